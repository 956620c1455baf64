"""The alert engine service: thresholds from risk snapshots, stream-down, dedupe of replays."""

from __future__ import annotations

from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.position import Position, PositionSide
from marginwatch.core.risk_tiers import RiskTier, TierThresholds
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import AlertKind
from marginwatch.services.alert_engine import AlertEngine
from tests.services.alert_factories import margin_call

D = Decimal


class FakeClock:
    """Only time is faked; every rule runs for real."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def risk(ratio: str) -> AccountRisk:
    pos = Position("ETHUSDT", PositionSide.BOTH, D("-2"), D("3000"), D("3000"))
    pr = PositionRisk(pos, D(6000), D(0), D(30), D(ratio), D(3500), D("16.6"))
    z = D(0)
    return AccountRisk(z, z, z, z, z, z, z, z, D(ratio), (pr,))


def collect(engine: AlertEngine) -> list:
    got: list = []
    engine.alert_raised.connect(got.append)
    return got


def test_threshold_crossing_raises_one_alert_with_readable_text(qtbot):
    clock = FakeClock()
    engine = AlertEngine(AlertPolicy(cooldown_s=60), clock=clock)
    got = collect(engine)
    engine.on_risk("main", risk("0.3"))
    clock.t = 1
    engine.on_risk("main", risk("0.83"))
    engine.on_risk("main", risk("0.84"))
    assert [(a.kind, a.tier) for a in got] == [(AlertKind.THRESHOLD, RiskTier.DANGER)]
    assert "83.0 %" in got[0].body and "main" in got[0].title


def test_stream_down_alert_comes_from_the_poll_timer(qtbot):
    clock = FakeClock()
    engine = AlertEngine(AlertPolicy(stream_down_after_s=5), clock=clock)
    got = collect(engine)
    engine.on_health("main", StreamHealth("market", StreamState.RECONNECTING, reason="connection refused"))
    clock.t = 6
    qtbot.waitUntil(lambda: any(a.kind is AlertKind.STREAM_DOWN for a in got), timeout=3000)
    assert "connection refused" in got[-1].body
    engine.on_health("main", StreamHealth("market", StreamState.LIVE))
    assert got[-1].kind is AlertKind.STREAM_RESTORED


def test_an_account_override_applies_to_that_account_only(qtbot):
    clock = FakeClock()
    strict = AlertPolicy(ratio=TierThresholds(warning=D("0.2"), danger=D("0.3")))
    engine = AlertEngine(AlertPolicy(), policy_for=lambda a: strict if a == "careful" else AlertPolicy(), clock=clock)
    got = collect(engine)
    engine.on_risk("careful", risk("0.25"))
    engine.on_risk("relaxed", risk("0.25"))
    assert [(a.account, a.tier) for a in got] == [("careful", RiskTier.WARNING)]
    assert engine.policy_of("careful") is strict


def test_a_margin_call_replayed_across_a_reconnect_overlap_is_raised_once(qtbot):
    engine = AlertEngine(clock=FakeClock())
    got = collect(engine)
    engine.on_margin_call("main", margin_call(event_time=1_700_000_000_000))
    engine.on_margin_call("main", margin_call(event_time=1_700_000_000_000))  # the same frame, replayed
    assert [(a.kind, a.account) for a in got] == [(AlertKind.MARGIN_CALL, "main")]
    # A later margin call, or the same one on another account, is news.
    engine.on_margin_call("main", margin_call(event_time=1_700_000_060_000))
    engine.on_margin_call("other", margin_call(event_time=1_700_000_000_000))
    assert [a.account for a in got] == ["main", "main", "other"]


def test_a_start_up_threshold_alert_is_not_raised_again_when_the_account_restarts_with_the_same_figures(qtbot):
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    got = collect(engine)
    engine.on_risk("main", risk("0.83"))
    assert [(a.kind, a.tier) for a in got] == [(AlertKind.THRESHOLD, RiskTier.DANGER)]
    # Restarting the account (its settings were saved) starts its thresholds afresh; the figures
    # are the very ones already reported, so the monitor's "already at start" alert is a repeat.
    engine.forget_account("main")
    engine.on_risk("main", risk("0.83"))
    assert len(got) == 1
    engine.forget_account("main")
    engine.on_risk("main", risk("0.86"))  # new figures are news
    assert [a.body for a in got[1:]] == ["Already at start: margin ratio 86.0 % (threshold 80 %)"]


def test_each_outage_of_a_stream_raises_its_own_down_alert(qtbot):
    clock = FakeClock()
    engine = AlertEngine(AlertPolicy(stream_down_after_s=5), clock=clock)
    got = collect(engine)
    for start in (0.0, 100.0):
        clock.t = start
        engine.on_health("main", StreamHealth("user", StreamState.RECONNECTING, reason="refused"))
        clock.t = start + 6
        engine.on_health("main", StreamHealth("user", StreamState.RECONNECTING, reason="refused"))
        clock.t = start + 7
        engine.on_health("main", StreamHealth("user", StreamState.LIVE))
    kinds = [a.kind for a in got]
    assert kinds == [AlertKind.STREAM_DOWN, AlertKind.STREAM_RESTORED] * 2


def test_a_forgotten_account_raises_no_stream_down_alert(qtbot):
    clock = FakeClock()
    engine = AlertEngine(AlertPolicy(stream_down_after_s=60), clock=clock)
    got = collect(engine)
    engine.on_health("gone", StreamHealth("market", StreamState.RECONNECTING, reason="connection refused"))
    engine.on_health("kept", StreamHealth("market", StreamState.RECONNECTING, reason="connection refused"))
    engine.forget_account("gone")
    clock.t = 61
    # A stream event polls every stream that is down, as the poll timer does.
    engine.on_health("kept", StreamHealth("market", StreamState.RECONNECTING, reason="timed out"))
    assert [(a.kind, a.account) for a in got] == [(AlertKind.STREAM_DOWN, "kept")]


def collect_cleared(engine: AlertEngine) -> list:
    got: list = []
    engine.alert_cleared.connect(got.append)
    return got


def test_a_danger_threshold_easing_to_warning_says_cleared_once_with_the_alerts_it_ends(qtbot):
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = collect(engine), collect_cleared(engine)
    engine.on_risk("main", risk("0.83"))
    engine.on_risk("main", risk("0.78"))  # within the hysteresis: still danger
    assert cleared == []
    engine.on_risk("main", risk("0.72"))
    engine.on_risk("main", risk("0.70"))
    [c] = cleared
    assert c.cleared_keys == (raised[0].dedupe_key,)
    assert (c.tier, c.title) == (RiskTier.WARNING, "cross account back to warning on main")


def test_a_warning_that_eases_is_not_a_cleared_danger(qtbot):
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    cleared = collect_cleared(engine)
    engine.on_risk("main", risk("0.65"))
    engine.on_risk("main", risk("0.3"))
    assert cleared == []


def test_a_margin_call_clears_once_its_position_seen_in_danger_leaves_it(qtbot):
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = collect(engine), collect_cleared(engine)
    engine.on_margin_call("main", margin_call(symbols=("ETHUSDT",)))
    engine.on_risk("main", risk("0.3"))  # a snapshot from before the call: not proof it is over
    assert cleared == []
    engine.on_risk("main", risk("0.95"))
    engine.on_risk("main", risk("0.5"))
    calls = [c for c in cleared if c.title == "Margin call on main cleared"]
    assert [c.cleared_keys for c in calls] == [(raised[0].dedupe_key,)]
    engine.on_risk("main", risk("0.4"))
    assert len([c for c in cleared if c.title == "Margin call on main cleared"]) == 1


def test_a_margin_call_clears_when_its_positions_are_closed(qtbot):
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    cleared = collect_cleared(engine)
    engine.on_margin_call("main", margin_call(symbols=("ETHUSDT",)))
    z = D(0)
    engine.on_risk("main", AccountRisk(z, z, z, z, z, z, z, z, None, ()))
    assert [c.title for c in cleared] == ["Margin call on main cleared"]
