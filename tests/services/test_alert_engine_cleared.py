"""The alert engine's `alert_cleared`: which danger alerts and margin calls end, when, and what it says.

Positions here are isolated, so each has its own margin ratio and is its own threshold subject.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QApplication

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.alert_engine import AlertEngine, ClearedAlert
from tests.services.alert_factories import margin_call

D = Decimal


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def isolated(symbol: str, ratio: str | None) -> PositionRisk:
    """A short isolated position with its own margin ratio (None: not computable) and far from liquidation."""
    pos = Position(symbol, PositionSide.BOTH, D("-2"), D("3000"), D("3000"), margin_type=MarginType.ISOLATED,
                   isolated_wallet=D(300))
    return PositionRisk(pos, D(6000), D(0), D(30), None if ratio is None else D(ratio), D(3500), D("16.6"))


def snapshot(*positions: PositionRisk) -> AccountRisk:
    z = D(0)
    return AccountRisk(z, z, z, z, z, z, z, z, None, positions)


def cross(ratio: str) -> AccountRisk:
    pos = Position("ETHUSDT", PositionSide.BOTH, D("-2"), D("3000"), D("3000"))
    z = D(0)
    return AccountRisk(z, z, z, z, z, z, z, z, D(ratio), (PositionRisk(pos, D(6000), z, D(30), D(ratio), D(3500),
                                                                        D("16.6")),))


def watch(engine: AlertEngine) -> tuple[list[Alert], list[ClearedAlert]]:
    raised: list[Alert] = []
    cleared: list[ClearedAlert] = []
    engine.alert_raised.connect(raised.append)
    engine.alert_cleared.connect(cleared.append)
    return raised, cleared


def calls_cleared(cleared: list[ClearedAlert]) -> list[ClearedAlert]:
    return [c for c in cleared if c.title.startswith("Margin call")]


# ----------------------------------------------------------------------------- danger thresholds


def test_a_position_out_of_danger_says_back_to_calm_on_its_account_naming_symbol_and_side(qtbot) -> None:
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = watch(engine)
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.85")))
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.30")))
    [c] = cleared
    assert (c.account, c.tier, c.title) == ("main", RiskTier.CALM, "ETHUSDT SHORT back to calm on main")
    assert c.cleared_keys == (raised[0].dedupe_key,)


def test_a_position_closed_in_danger_says_closed(qtbot) -> None:
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = watch(engine)
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.85"), isolated("BTCUSDT", "0.1")))
    engine.on_risk("main", snapshot(isolated("BTCUSDT", "0.1")))
    [c] = cleared
    assert (c.account, c.tier, c.title) == ("main", RiskTier.CALM, "ETHUSDT SHORT on main: position closed")
    assert c.cleared_keys == (raised[0].dedupe_key,)


def test_a_warning_that_worsened_to_danger_clears_only_the_danger_alert(qtbot) -> None:
    # The warning is not repeated (only margin calls and danger escalate): it is not the cleared one.
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = watch(engine)
    engine.on_risk("main", cross("0.65"))
    engine.on_risk("main", cross("0.83"))
    engine.on_risk("main", cross("0.70"))
    assert [a.tier for a in raised] == [RiskTier.WARNING, RiskTier.DANGER]
    assert [c.cleared_keys for c in cleared] == [(raised[1].dedupe_key,)]


def test_a_danger_held_back_by_the_cooldown_is_neither_raised_nor_cleared_again(qtbot) -> None:
    clock = FakeClock()
    engine = AlertEngine(AlertPolicy(cooldown_s=60), clock=clock)
    raised, cleared = watch(engine)
    for t, ratio in ((0, "0.83"), (1, "0.70"), (10, "0.84"), (11, "0.70")):
        clock.t = t
        engine.on_risk("main", cross(ratio))
    assert [a.body for a in raised] == ["Already at start: margin ratio 83.0 % (threshold 80 %)"]
    assert [c.cleared_keys for c in cleared] == [(raised[0].dedupe_key,)]
    # Past the cooldown a new crossing is news again, and so is its end.
    for t, ratio in ((70, "0.85"), (71, "0.70")):
        clock.t = t
        engine.on_risk("main", cross(ratio))
    assert [a.body for a in raised[1:]] == ["margin ratio 85.0 % (threshold 80 %)"]
    assert [c.cleared_keys for c in cleared[1:]] == [(raised[1].dedupe_key,)]


def test_an_account_restarted_in_danger_still_says_when_its_danger_and_margin_call_are_over(qtbot) -> None:
    # Saving an account's settings restarts it: the alerts raised before are still being repeated.
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = watch(engine)
    engine.on_margin_call("main", margin_call(symbols=("ETHUSDT",)))
    engine.on_risk("main", cross("0.90"))
    engine.forget_account("main")
    engine.on_risk("main", cross("0.90"))  # the same figures after the restart: no new alert
    assert [a.kind for a in raised] == [AlertKind.MARGIN_CALL, AlertKind.THRESHOLD]
    engine.on_risk("main", cross("0.40"))
    assert sorted(c.cleared_keys for c in cleared) == sorted([(raised[0].dedupe_key,), (raised[1].dedupe_key,)])


# ----------------------------------------------------------------------------- margin calls


def test_a_cleared_margin_call_says_where_its_positions_now_stand(qtbot) -> None:
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    _raised, cleared = watch(engine)
    engine.on_margin_call("main", margin_call(symbols=("ETHUSDT",)))
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.95")))
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.65")))
    assert [(c.account, c.tier) for c in calls_cleared(cleared)] == [("main", RiskTier.WARNING)]
    # Closed: nothing is left at any tier.
    engine.on_margin_call("main", margin_call(event_time=1_700_000_000_000, symbols=("BTCUSDT",)))
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.65")))
    assert [(c.account, c.tier) for c in calls_cleared(cleared)[1:]] == [("main", RiskTier.CALM)]


def test_margin_calls_on_different_positions_each_clear_on_their_own(qtbot) -> None:
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = watch(engine)
    for i, symbol in enumerate(("ETHUSDT", "BTCUSDT", "SOLUSDT")):
        engine.on_margin_call("main", margin_call(event_time=1_700_000_000_000 + i, symbols=(symbol,)))
    eth, btc, sol = (a.dedupe_key for a in raised)
    # ETH's ratio cannot be known now, and the other two are in danger.
    engine.on_risk("main", snapshot(isolated("ETHUSDT", None), isolated("BTCUSDT", "0.9"), isolated("SOLUSDT", "0.9")))
    # All calm; ETH was never seen in danger, so its calm may predate the call.
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.3"), isolated("BTCUSDT", "0.3"), isolated("SOLUSDT", "0.3")))
    assert [c.cleared_keys for c in calls_cleared(cleared)] == [(btc,), (sol,)]
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.9")))
    engine.on_risk("main", snapshot(isolated("ETHUSDT", "0.3")))
    assert [c.cleared_keys for c in calls_cleared(cleared)] == [(btc,), (sol,), (eth,)]


# ----------------------------------------------------------------------------- in Chinese


def test_cleared_titles_in_chinese_name_the_subject_as_its_alert_did(chinese: QApplication, qtbot) -> None:
    engine = AlertEngine(AlertPolicy(cooldown_s=0), clock=FakeClock())
    raised, cleared = watch(engine)
    engine.on_margin_call("主账户", margin_call(symbols=("ETHUSDT",)))
    engine.on_risk("主账户", snapshot(isolated("ETHUSDT", "0.85"), isolated("BTCUSDT", "0.85"),
                                     isolated("SOLUSDT", "0.85")))
    engine.on_risk("主账户", snapshot(isolated("ETHUSDT", "0.65"), isolated("BTCUSDT", "0.3")))
    assert raised[2].title == "危险：主账户 · BTCUSDT 空头"
    assert [c.title for c in cleared] == [
        "主账户 上的 ETHUSDT 空头 已回到警告",
        "主账户 上的 BTCUSDT 空头 已回到平稳",
        "主账户 上的 SOLUSDT 空头：仓位已平",
        "主账户 的追加保证金通知已解除",
    ]
