"""worst_tier: the tray's one tier for every account and position at once."""

from __future__ import annotations

from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.risk_tiers import RiskTier, TierThresholds, worst_tier

D = Decimal
Z = D(0)
THRESHOLDS = TierThresholds(warning=D("0.5"), danger=D("0.8"))


def position(ratio: str | None, margin_type: MarginType = MarginType.ISOLATED) -> PositionRisk:
    pos = Position("BTCUSDT", PositionSide.BOTH, D("0.1"), D(60000), D(60000), margin_type, D(600))
    return PositionRisk(pos, D(6000), Z, D(30), None if ratio is None else D(ratio), None, None)


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
    assert worst_tier([calm], TierThresholds(warning=D("0.05"), danger=D("0.15"))) is RiskTier.DANGER
