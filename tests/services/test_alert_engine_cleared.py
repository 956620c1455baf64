"""The alert engine's `alert_cleared`: which danger alerts and margin calls end, when, and what it says.

Positions here are isolated, so each has its own margin ratio and is its own threshold subject.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QApplication

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.position import MarginType, Position, PositionSide
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
