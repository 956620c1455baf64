"""position_tier and worst_tier: one tier per position (the worse of ratio and distance), and the tray's for all."""

from __future__ import annotations

from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.risk_tiers import RiskBands, RiskTier, TierDriver, TierThresholds, position_tier, worst_tier

D = Decimal
Z = D(0)
THRESHOLDS = RiskBands(TierThresholds(warning=D("0.5"), danger=D("0.8")), D(10), D(5))


def position(
    ratio: str | None, margin_type: MarginType = MarginType.ISOLATED, distance: str | None = None
) -> PositionRisk:
    pos = Position("BTCUSDT", PositionSide.BOTH, D("0.1"), D(60000), D(60000), margin_type, D(600))
    return PositionRisk(pos, D(6000), Z, D(30), None if ratio is None else D(ratio), None,
                        None if distance is None else D(distance))


def account(ratio: str | None, *positions: PositionRisk) -> AccountRisk:
    return AccountRisk(Z, Z, Z, Z, Z, Z, Z, Z, None if ratio is None else D(ratio), positions)


def test_no_accounts_and_no_ratios_are_unknown() -> None:
    assert worst_tier([], THRESHOLDS) is RiskTier.UNKNOWN
    assert worst_tier([account(None, position(None))], THRESHOLDS) is RiskTier.UNKNOWN


def test_the_cross_account_ratio_counts() -> None:
    assert worst_tier([account("0.6")], THRESHOLDS) is RiskTier.WARNING


def test_an_isolated_position_in_danger_outranks_a_calm_cross_account() -> None:
    assert worst_tier([account("0.1", position("0.85"))], THRESHOLDS) is RiskTier.DANGER


def test_the_worst_account_wins_whatever_its_place() -> None:
    calm, warning = account("0.2", position("0.1")), account("0.55", position("0.3"))
    assert worst_tier([warning, calm], THRESHOLDS) is RiskTier.WARNING
    assert worst_tier([calm, warning], THRESHOLDS) is RiskTier.WARNING
    assert worst_tier([calm], RiskBands(TierThresholds(warning=D("0.05"), danger=D("0.15")))) is RiskTier.DANGER


def test_a_position_near_liquidation_under_a_calm_cross_ratio_is_in_danger() -> None:
    # The demo's SOLUSDT: 17.99 % cross ratio, 3.3 % from liquidation.
    tiers = position_tier(position("0.1799", MarginType.CROSS, distance="3.30"), THRESHOLDS)
    assert (tiers.tier, tiers.ratio, tiers.distance) == (RiskTier.DANGER, RiskTier.CALM, RiskTier.DANGER)
    assert tiers.driver is TierDriver.DISTANCE
    assert worst_tier([account("0.1799", position("0.1799", MarginType.CROSS, "3.30"))], THRESHOLDS) is RiskTier.DANGER


def test_the_distance_thresholds_are_inclusive_and_the_worse_figure_sets_the_tier() -> None:
    assert position_tier(position("0.1", distance="5"), THRESHOLDS).tier is RiskTier.DANGER
    assert position_tier(position("0.1", distance="5.01"), THRESHOLDS).tier is RiskTier.WARNING
    assert position_tier(position("0.1", distance="10"), THRESHOLDS).tier is RiskTier.WARNING
    assert position_tier(position("0.1", distance="10.01"), THRESHOLDS).tier is RiskTier.CALM
    ratio_led = position_tier(position("0.85", distance="8"), THRESHOLDS)
    assert (ratio_led.tier, ratio_led.driver) == (RiskTier.DANGER, TierDriver.MARGIN_RATIO)
    both = position_tier(position("0.6", distance="8"), THRESHOLDS)
    assert (both.tier, both.driver) == (RiskTier.WARNING, TierDriver.BOTH)
    unknown = position_tier(position(None), THRESHOLDS)
    assert (unknown.tier, unknown.driver) == (RiskTier.UNKNOWN, TierDriver.NONE)
    # Only the distance known: it alone decides.
    assert position_tier(position(None, distance="2"), THRESHOLDS).tier is RiskTier.DANGER


def test_the_alert_policy_reads_tiers_with_the_same_bands() -> None:
    from marginwatch.core.alert_rules import AlertPolicy

    policy = AlertPolicy(distance_warning_pct=D(20), distance_danger_pct=D(8))
    assert policy.bands == RiskBands(policy.ratio, D(20), D(8))
    assert policy.distance_level(D(8)) is policy.bands.tier_for_distance(D(8)) is RiskTier.DANGER
