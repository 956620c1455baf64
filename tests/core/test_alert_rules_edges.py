"""Alert rules at their edges: policy validation, threshold boundaries, cooldown, what an alert
carries, per-account tracks, and stream-down timing across several streams and outages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.alert_rules import (
    AlertPolicy,
    Metric,
    StreamDownAlert,
    StreamDownMonitor,
    ThresholdAlert,
    ThresholdMonitor,
)
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.risk_tiers import RiskTier, TierThresholds
from marginwatch.core.stream_health import StreamHealth, StreamState

D = Decimal
T0 = 50_000.0  # monotonic clocks are far from zero; cooldown arithmetic must not rely on it


def snapshot(ratio: str | None, distance: str | None = "50", *, isolated_ratio: str | None = None,
             positions: int = 1) -> AccountRisk:
    margin_type = MarginType.ISOLATED if isolated_ratio is not None else MarginType.CROSS
    pos = Position("BTCUSDT", PositionSide.BOTH, D("1"), D("100"), D("100"), margin_type=margin_type)
    pr = PositionRisk(
        position=pos, notional=D(100), unrealized_pnl=D(0), maint_margin=D(1),
        margin_ratio=D(isolated_ratio) if isolated_ratio is not None else (D(ratio) if ratio else None),
        liquidation_price=D(50), distance_pct=D(distance) if distance else None,
    )
    zero = D(0)
    return AccountRisk(zero, zero, zero, zero, zero, zero, zero, zero, D(ratio) if ratio else None,
                       (pr,) * positions)


def ratio_alerts(alerts: list[ThresholdAlert]) -> list[ThresholdAlert]:
    return [a for a in alerts if a.metric is Metric.MARGIN_RATIO]


def distance_alerts(alerts: list[ThresholdAlert]) -> list[ThresholdAlert]:
    return [a for a in alerts if a.metric is Metric.DISTANCE]


# ----------------------------------------------------------------------------- the policy

DISTANCE_ERROR = r"^distance thresholds must satisfy 0 < danger < warning$"
NEGATIVE_ERROR = r"^hysteresis and cooldown must not be negative$"


def test_policy_accepts_a_danger_distance_below_one_percent() -> None:
    p = AlertPolicy(distance_danger_pct=D("0.5"), distance_warning_pct=D(2))
    assert (p.distance_danger_pct, p.distance_warning_pct) == (D("0.5"), D(2))


@pytest.mark.parametrize(("danger", "warning"), [(D(0), D(10)), (D(-1), D(10)), (D(10), D(10)), (D(11), D(10))])
def test_policy_rejects_distance_thresholds_out_of_order(danger: Decimal, warning: Decimal) -> None:
    with pytest.raises(ValueError, match=DISTANCE_ERROR):
        AlertPolicy(distance_danger_pct=danger, distance_warning_pct=warning)


@pytest.mark.parametrize(
    "bad",
    [{"ratio_hysteresis": D("-0.01")}, {"distance_hysteresis_pct": D("-0.5")}, {"cooldown_s": -1.0}],
)
def test_policy_rejects_each_negative_hysteresis_or_cooldown_alone(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=NEGATIVE_ERROR):
        AlertPolicy(**bad)  # type: ignore[arg-type]


def test_policy_accepts_zero_hysteresis_and_cooldown_and_a_small_distance_hysteresis() -> None:
    AlertPolicy(ratio_hysteresis=D(0), distance_hysteresis_pct=D(0), cooldown_s=0.0)
    assert AlertPolicy(distance_hysteresis_pct=D("0.5")).distance_hysteresis_pct == D("0.5")


def test_distance_exactly_on_a_threshold_counts_as_past_it() -> None:
    p = AlertPolicy(distance_warning_pct=D(10), distance_danger_pct=D(5))
    assert p.distance_level(D(5)) is RiskTier.DANGER
    assert p.distance_level(D("5.01")) is RiskTier.WARNING
    assert p.distance_level(D(10)) is RiskTier.WARNING
    assert p.distance_level(D("10.01")) is RiskTier.CALM


# ----------------------------------------------------------------------------- threshold alerts


def test_an_alert_carries_account_subject_value_and_the_threshold_of_its_level() -> None:
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=0))
    mon.observe("main", snapshot("0.30", distance="20"), now=T0)
    assert mon.observe("main", snapshot("0.62", distance="7"), now=T0 + 1) == [
        ThresholdAlert("main", "account", Metric.MARGIN_RATIO, RiskTier.WARNING, D("0.62"), D("0.5")),
        ThresholdAlert("main", "BTCUSDT LONG", Metric.DISTANCE, RiskTier.WARNING, D("7"), D("10")),
    ]
    assert mon.observe("main", snapshot("0.85", distance="4"), now=T0 + 2) == [
        ThresholdAlert("main", "account", Metric.MARGIN_RATIO, RiskTier.DANGER, D("0.85"), D("0.8")),
        ThresholdAlert("main", "BTCUSDT LONG", Metric.DISTANCE, RiskTier.DANGER, D("4"), D("5")),
    ]


def test_cooldown_blocks_until_exactly_its_length_has_passed() -> None:
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=300))
    mon.observe("a", snapshot("0.30"), now=T0)
    assert len(ratio_alerts(mon.observe("a", snapshot("0.60"), now=T0 + 1))) == 1
    mon.observe("a", snapshot("0.30"), now=T0 + 2)
    assert ratio_alerts(mon.observe("a", snapshot("0.60"), now=T0 + 100)) == []
    mon.observe("a", snapshot("0.30"), now=T0 + 200)
    assert len(ratio_alerts(mon.observe("a", snapshot("0.60"), now=T0 + 301))) == 1


def test_an_account_with_only_isolated_positions_has_no_cross_ratio_alert() -> None:
    mon = ThresholdMonitor()
    fired = ratio_alerts(mon.observe("a", snapshot("0.95", isolated_ratio="0.10"), now=T0))
    assert fired == []


def test_observing_one_account_leaves_another_accounts_alerts_latched() -> None:
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=0))
    assert len(ratio_alerts(mon.observe("a", snapshot("0.60"), now=T0))) == 1
    assert len(ratio_alerts(mon.observe("b", snapshot("0.60"), now=T0))) == 1
    assert mon.observe("a", snapshot("0.60"), now=T0 + 1) == []
    assert mon.observe("b", snapshot("0.60"), now=T0 + 1) == []


def test_a_closed_position_starts_afresh_when_it_reopens() -> None:
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=300))
    assert [a.at_start for a in distance_alerts(mon.observe("a", snapshot("0.1", distance="8"), now=T0))] == [True]
    mon.observe("a", snapshot("0.1", distance="8", positions=0), now=T0 + 1)  # closed
    again = distance_alerts(mon.observe("a", snapshot("0.1", distance="8"), now=T0 + 2))
    assert [(a.level, a.at_start) for a in again] == [(RiskTier.WARNING, True)]


def test_forgetting_an_account_resets_only_that_account() -> None:
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=300))
    mon.observe("a", snapshot("0.60"), now=T0)
    mon.observe("b", snapshot("0.60"), now=T0)
    mon.forget("a")
    assert [a.at_start for a in ratio_alerts(mon.observe("a", snapshot("0.60"), now=T0 + 1))] == [True]
    assert mon.observe("b", snapshot("0.60"), now=T0 + 1) == []


def test_a_new_policy_applies_to_the_next_snapshot() -> None:
    mon = ThresholdMonitor()
    assert mon.observe("a", snapshot("0.35"), now=T0) == []
    mon.set_policy(AlertPolicy(ratio=TierThresholds(warning=D("0.3"), danger=D("0.4"))))
    assert [(a.level, a.threshold) for a in ratio_alerts(mon.observe("a", snapshot("0.35"), now=T0 + 1))] == [
        (RiskTier.WARNING, D("0.3"))
    ]


# ----------------------------------------------------------------------------- stream down


def down(name: str, reason: str | None = "refused") -> StreamHealth:
    return StreamHealth(name, StreamState.RECONNECTING, reason=reason)


def live(name: str) -> StreamHealth:
    return StreamHealth(name, StreamState.LIVE)


def test_stream_down_fires_once_the_default_minute_has_passed_and_says_how_long() -> None:
    mon = StreamDownMonitor()
    mon.observe("main", down("market"), now=T0)
    assert mon.poll(now=T0 + 59.9) == []
    assert mon.poll(now=T0 + 60) == [StreamDownAlert("main", "market", 60.0, "refused")]


def test_a_stream_already_reported_does_not_hide_another_streams_outage() -> None:
    mon = StreamDownMonitor(down_after_s=60)
    mon.observe("main", down("user"), now=T0)
    assert [a.stream for a in mon.poll(now=T0 + 60)] == ["user"]
    mon.observe("main", down("market", reason="timeout"), now=T0 + 30)
    assert mon.poll(now=T0 + 95) == [StreamDownAlert("main", "market", 65.0, "timeout")]


def test_restored_alert_names_the_account_and_stream() -> None:
    mon = StreamDownMonitor(down_after_s=60)
    mon.observe("main", down("user"), now=T0)
    mon.poll(now=T0 + 61)
    assert mon.observe("main", live("user"), now=T0 + 70) == [StreamDownAlert("main", "user", 0.0, None, restored=True)]
    assert mon.observe("main", live("user"), now=T0 + 71) == []


def test_each_outage_is_timed_from_its_own_start_and_reported_again() -> None:
    mon = StreamDownMonitor(down_after_s=60)
    mon.observe("main", down("user"), now=T0)
    assert len(mon.poll(now=T0 + 61)) == 1
    mon.observe("main", live("user"), now=T0 + 70)
    mon.observe("main", down("user"), now=T0 + 100)
    assert mon.poll(now=T0 + 130) == []
    assert mon.poll(now=T0 + 160) == [StreamDownAlert("main", "user", 60.0, "refused")]


def test_a_short_blip_that_recovers_before_the_limit_raises_nothing() -> None:
    mon = StreamDownMonitor(down_after_s=60)
    mon.observe("main", down("user"), now=T0)
    assert mon.observe("main", live("user"), now=T0 + 10) == []
    mon.observe("main", down("user"), now=T0 + 100)
    assert mon.poll(now=T0 + 130) == []
