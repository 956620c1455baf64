"""Threshold alerts: crossing upward, hysteresis, cooldown, escalation, start-up warning, stream down."""

from __future__ import annotations

from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.alert_rules import AlertPolicy, Metric, StreamDownMonitor, ThresholdMonitor
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState

D = Decimal


def account(ratio: str | None, distance: str | None = "50", margin_type: MarginType = MarginType.CROSS,
            iso_ratio: str | None = None) -> AccountRisk:
    pos = Position("BTCUSDT", PositionSide.BOTH, D("1"), D("100"), D("100"), margin_type=margin_type)
    pr = PositionRisk(
        position=pos, notional=D(100), unrealized_pnl=D(0), maint_margin=D(1),
        margin_ratio=D(iso_ratio) if iso_ratio else (D(ratio) if ratio else None),
        liquidation_price=D(50), distance_pct=D(distance) if distance else None,
    )
    zero = D(0)
    return AccountRisk(zero, zero, zero, zero, zero, zero, zero, zero,
                       D(ratio) if ratio else None, (pr,))


def ratio_alerts(alerts):
    return [a for a in alerts if a.metric is Metric.MARGIN_RATIO]


def test_crossing_upward_fires_once_and_wobble_does_not_spam():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=0))
    assert mon.observe("a", account("0.30"), now=0) == []
    fired = ratio_alerts(mon.observe("a", account("0.51"), now=1))
    assert [(a.level, a.subject, a.at_start) for a in fired] == [(RiskTier.WARNING, "account", False)]
    # Wobbling around 50 % within the 5-point hysteresis raises nothing more.
    for t, r in enumerate(["0.49", "0.52", "0.47", "0.50", "0.46"], start=2):
        assert ratio_alerts(mon.observe("a", account(r), now=t)) == []
    # Eased past the hysteresis, it re-arms and fires again on the next crossing.
    assert ratio_alerts(mon.observe("a", account("0.44"), now=10)) == []
    assert len(ratio_alerts(mon.observe("a", account("0.55"), now=11))) == 1


def test_cooldown_blocks_a_refire_of_the_same_level():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=300))
    mon.observe("a", account("0.30"), now=0)
    assert len(ratio_alerts(mon.observe("a", account("0.60"), now=1))) == 1
    mon.observe("a", account("0.30"), now=2)
    assert ratio_alerts(mon.observe("a", account("0.60"), now=100)) == []
    mon.observe("a", account("0.30"), now=200)
    assert len(ratio_alerts(mon.observe("a", account("0.6"), now=302))) == 1


def test_escalation_to_danger_fires_despite_cooldown():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=300))
    mon.observe("a", account("0.30"), now=0)
    assert [a.level for a in ratio_alerts(mon.observe("a", account("0.60"), now=1))] == [RiskTier.WARNING]
    assert [a.level for a in ratio_alerts(mon.observe("a", account("0.85"), now=2))] == [RiskTier.DANGER]


def test_start_up_warning_for_a_position_already_past_a_threshold():
    mon = ThresholdMonitor()
    fired = mon.observe("a", account("0.90", distance="4"), now=0)
    assert {(a.metric, a.level, a.at_start) for a in fired} == {
        (Metric.MARGIN_RATIO, RiskTier.DANGER, True),
        (Metric.DISTANCE, RiskTier.DANGER, True),
    }


def test_distance_alert_fires_as_distance_shrinks():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=0))
    assert mon.observe("a", account("0.1", distance="20"), now=0) == []
    fired = [a for a in mon.observe("a", account("0.1", distance="9"), now=1) if a.metric is Metric.DISTANCE]
    assert [(a.level, a.threshold) for a in fired] == [(RiskTier.WARNING, D(10))]
    assert mon.observe("a", account("0.1", distance="10.5"), now=2) == []  # within hysteresis
    assert [a.level for a in mon.observe("a", account("0.1", distance="4.9"), now=3)] == [RiskTier.DANGER]


def test_isolated_positions_use_their_own_ratio():
    mon = ThresholdMonitor()
    fired = mon.observe("a", account(None, margin_type=MarginType.ISOLATED, iso_ratio="0.82"), now=0)
    assert [(a.subject, a.level) for a in ratio_alerts(fired)] == [("BTCUSDT LONG", RiskTier.DANGER)]


def test_stream_down_after_the_configured_time_then_restored():
    mon = StreamDownMonitor(down_after_s=60)
    assert mon.observe("a", StreamHealth("user", StreamState.LIVE), now=0) == []
    assert mon.observe("a", StreamHealth("user", StreamState.RECONNECTING, reason="refused"), now=1) == []
    assert mon.poll(now=50) == []
    down = mon.poll(now=62)
    assert [(d.stream, d.restored, d.reason) for d in down] == [("user", False, "refused")]
    assert mon.poll(now=100) == []  # once per outage
    back = mon.observe("a", StreamHealth("user", StreamState.LIVE), now=101)
    assert [d.restored for d in back] == [True]


def distance_alerts(alerts):
    return [a for a in alerts if a.metric is Metric.DISTANCE]


def test_distance_back_above_the_warning_line_by_less_than_the_hysteresis_does_not_rearm():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=0))  # warning 10 %, hysteresis 1 point
    mon.observe("a", account("0.1", distance="20"), now=0)
    assert len(distance_alerts(mon.observe("a", account("0.1", distance="9"), now=1))) == 1
    for t, d in enumerate(["10.5", "9.5", "11", "9", "10.99", "8"], start=2):
        assert distance_alerts(mon.observe("a", account("0.1", distance=d), now=t)) == [], d


def test_distance_back_above_the_warning_line_by_more_than_the_hysteresis_rearms_after_the_cooldown():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=300))
    mon.observe("a", account("0.1", distance="20"), now=0)
    assert len(distance_alerts(mon.observe("a", account("0.1", distance="9"), now=1))) == 1
    mon.observe("a", account("0.1", distance="11.5"), now=2)
    assert distance_alerts(mon.observe("a", account("0.1", distance="9"), now=100)) == []  # cooling down
    mon.observe("a", account("0.1", distance="11.5"), now=200)
    fired = distance_alerts(mon.observe("a", account("0.1", distance="9"), now=302))
    assert [(a.level, a.value) for a in fired] == [(RiskTier.WARNING, D(9))]


def test_distance_danger_latch_eases_one_level_at_a_time_each_past_its_own_hysteresis():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=0))  # danger 5 %, warning 10 %
    mon.observe("a", account("0.1", distance="20"), now=0)
    mon.observe("a", account("0.1", distance="9"), now=1)
    assert [a.level for a in distance_alerts(mon.observe("a", account("0.1", distance="4"), now=2))] == [
        RiskTier.DANGER
    ]
    # 5.5 % is above the danger line but within its hysteresis: back to 4 % raises nothing.
    assert distance_alerts(mon.observe("a", account("0.1", distance="5.5"), now=3)) == []
    assert distance_alerts(mon.observe("a", account("0.1", distance="4"), now=4)) == []
    # 7 % eases danger (past 6 %) but not warning (not past 11 %): danger again, no new warning.
    assert distance_alerts(mon.observe("a", account("0.1", distance="7"), now=5)) == []
    assert distance_alerts(mon.observe("a", account("0.1", distance="9"), now=6)) == []
    assert [a.level for a in distance_alerts(mon.observe("a", account("0.1", distance="4"), now=7))] == [
        RiskTier.DANGER
    ]


def test_margin_ratio_danger_latch_holds_within_its_hysteresis_and_eases_past_it():
    mon = ThresholdMonitor(AlertPolicy(cooldown_s=0))  # danger 80 %, hysteresis 5 points
    mon.observe("a", account("0.30"), now=0)
    assert [a.level for a in ratio_alerts(mon.observe("a", account("0.85"), now=1))] == [RiskTier.DANGER]
    assert ratio_alerts(mon.observe("a", account("0.77"), now=2)) == []
    assert ratio_alerts(mon.observe("a", account("0.85"), now=3)) == []
    # 74 % eases danger (past 75 %) but not warning (not past 45 %): danger again, no new warning.
    assert ratio_alerts(mon.observe("a", account("0.74"), now=4)) == []
    assert ratio_alerts(mon.observe("a", account("0.60"), now=5)) == []
    assert [a.level for a in ratio_alerts(mon.observe("a", account("0.85"), now=6))] == [RiskTier.DANGER]


def test_a_forgotten_account_raises_neither_down_nor_restored():
    mon = StreamDownMonitor(down_after_s=60)
    mon.observe("alerted", StreamHealth("user", StreamState.FAILED), now=-100)
    assert [d.account for d in mon.poll(now=0)] == ["alerted"]
    mon.observe("gone", StreamHealth("market", StreamState.RECONNECTING), now=0)
    mon.observe("kept", StreamHealth("market", StreamState.RECONNECTING), now=0)
    mon.forget("gone")
    mon.forget("alerted")
    assert [d.account for d in mon.poll(now=61)] == ["kept"]
    # A stream of that name coming back later is a new stream, not a restored one.
    assert mon.observe("alerted", StreamHealth("user", StreamState.LIVE), now=62) == []
