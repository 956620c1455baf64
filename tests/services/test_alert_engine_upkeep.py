"""The alert engine's upkeep: whose policy applies, how much it remembers, who owns it, and that it
polls only while a stream is down (an idle app sleeps)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import shiboken6
from PySide6.QtCore import QObject, QTimer

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.position import Position, PositionSide
from marginwatch.core.risk_tiers import RiskTier, TierThresholds
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.alert_engine import _DEDUPE_MEMORY, AlertEngine

D = Decimal
STRICT = AlertPolicy(ratio=TierThresholds(warning=D("0.2"), danger=D("0.3")), cooldown_s=0)


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def risk(ratio: str) -> AccountRisk:
    pos = Position("ETHUSDT", PositionSide.BOTH, D("-2"), D("3000"), D("3000"))
    z = D(0)
    return AccountRisk(z, z, z, z, z, z, z, z, D(ratio), (PositionRisk(pos, D(6000), z, D(30), D(ratio), D(3500),
                                                                        D("16.6")),))


def collect(engine: AlertEngine) -> list[Alert]:
    got: list[Alert] = []
    engine.alert_raised.connect(got.append)
    return got


def down(stream: str = "market") -> StreamHealth:
    return StreamHealth(stream, StreamState.RECONNECTING, reason="connection refused")


def polling(engine: AlertEngine) -> bool:
    """Whether the engine keeps a timer running (it wakes the process every second)."""
    return any(t.isActive() for t in engine.findChildren(QTimer))


# ----------------------------------------------------------------------------- policies


def test_the_engines_policy_applies_to_every_account_without_an_override(qtbot) -> None:
    engine = AlertEngine(STRICT, clock=FakeClock())
    got = collect(engine)
    engine.on_risk("main", risk("0.25"))
    assert [(a.account, a.tier) for a in got] == [("main", RiskTier.WARNING)]
    assert engine.policy is STRICT and engine.policy_of("other") is STRICT


def test_a_new_global_policy_applies_to_running_accounts_and_to_stream_down_timing(qtbot) -> None:
    clock = FakeClock()
    engine = AlertEngine(clock=clock)
    got = collect(engine)
    engine.on_risk("main", risk("0.25"))
    assert got == []
    policy = AlertPolicy(ratio=STRICT.ratio, stream_down_after_s=5)
    engine.set_policy(policy)
    assert engine.policy is policy and engine.policy_of("main") is policy
    engine.on_risk("main", risk("0.26"))
    engine.on_health("main", down())
    clock.t = 6
    engine.on_health("main", down())  # a stream event polls the streams that are down
    assert [(a.kind, a.tier) for a in got] == [(AlertKind.THRESHOLD, RiskTier.WARNING),
                                               (AlertKind.STREAM_DOWN, RiskTier.WARNING)]


def test_a_new_global_policy_leaves_an_account_override_in_place(qtbot) -> None:
    engine = AlertEngine(policy_for=lambda account: STRICT if account == "careful" else AlertPolicy(),
                         clock=FakeClock())
    got = collect(engine)
    engine.on_risk("careful", risk("0.1"))
    engine.set_policy(AlertPolicy(cooldown_s=0))
    engine.on_risk("careful", risk("0.25"))
    assert [(a.account, a.tier) for a in got] == [("careful", RiskTier.WARNING)]
    assert engine.policy_of("careful") is STRICT


# ----------------------------------------------------------------------------- memory and ownership


def call(event_time: int) -> SimpleNamespace:
    return SimpleNamespace(event_time=event_time, positions=[], cross_wallet=None)


def test_the_dedupe_memory_keeps_the_latest_alerts_and_forgets_the_oldest(qtbot) -> None:
    engine = AlertEngine(clock=FakeClock())
    got = collect(engine)
    for t in range(_DEDUPE_MEMORY):
        engine.on_margin_call("main", call(t))
    engine.on_margin_call("main", call(0))  # still remembered: a replay
    assert len(got) == _DEDUPE_MEMORY
    engine.on_margin_call("main", call(_DEDUPE_MEMORY))  # one more: the oldest is forgotten
    engine.on_margin_call("main", call(_DEDUPE_MEMORY))
    assert len(got) == _DEDUPE_MEMORY + 1
    engine.on_margin_call("main", call(0))
    assert len(got) == _DEDUPE_MEMORY + 2 and got[-1].raw.event_time == 0


def test_an_engine_is_deleted_with_its_parent(qtbot) -> None:
    parent = QObject()
    engine = AlertEngine(parent=parent)
    gone: list[bool] = []
    engine.destroyed.connect(lambda: gone.append(True))
    shiboken6.delete(parent)
    assert gone == [True]


# ----------------------------------------------------------------------------- polling


def test_the_engine_polls_only_while_a_stream_is_down(qtbot) -> None:
    engine = AlertEngine(clock=FakeClock())
    engine.on_health("main", StreamHealth("market", StreamState.LIVE))
    assert not polling(engine)
    engine.on_health("main", down("user"))
    assert polling(engine)
    engine.on_health("main", StreamHealth("market", StreamState.LIVE))  # another stream: user is still down
    assert polling(engine)
    engine.on_health("main", StreamHealth("user", StreamState.LIVE))
    assert not polling(engine)
    engine.on_health("main", down("user"))
    engine.on_health("main", StreamHealth("user", StreamState.STOPPED))  # stopped on purpose: not down
    assert not polling(engine)


def test_forgetting_an_account_stops_the_poll_only_once_no_other_stream_is_down(qtbot) -> None:
    clock = FakeClock()
    engine = AlertEngine(AlertPolicy(stream_down_after_s=60), clock=clock)
    got = collect(engine)
    engine.on_health("gone", down())
    engine.on_health("kept", down())
    engine.forget_account("gone")
    assert polling(engine)
    clock.t = 61
    qtbot.waitUntil(lambda: len(got) > 0, timeout=3000)  # from the poll timer: no stream event came
    assert [(a.kind, a.account) for a in got] == [(AlertKind.STREAM_DOWN, "kept")]
    engine.on_health("kept", StreamHealth("market", StreamState.LIVE))
    assert not polling(engine)
    engine.on_health("gone", down())
    engine.forget_account("gone")
    assert not polling(engine)
