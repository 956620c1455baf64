"""The daily summary: what it says, when it is due, and that a day's goes to a channel that asks for it
once — across a restart too (real Apprise, a loopback ntfy receiver, a real SQLite journal)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QApplication

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.position import PositionSide
from marginwatch.core.risk_tiers import RiskBands, RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.daily_summary import DailySummary, summary_alert
from marginwatch.services.forwarding import Channel, Forwarder, ForwardKind
from marginwatch.services.journal import Journal
from tests.forward_servers import LoopbackReceiver
from tests.ui.risk_factories import account_risk, position_risk

EARLY = datetime(2026, 12, 2, 7, 59).timestamp()
MORNING = datetime(2026, 12, 2, 8, 0).timestamp()
NEXT_DAY = datetime(2026, 12, 3, 9, 30).timestamp()


def _risk() -> AccountRisk:
    return account_risk(
        position_risk("BTCUSDT", distance="18.03", ratio="0.2"),
        position_risk("SOLUSDT", side=PositionSide.LONG, distance="4.50", ratio="0.6"),
        ratio="0.6",
    )


def test_a_summary_names_the_open_positions_the_worst_tier_and_the_nearest_liquidation(qapp: QApplication) -> None:
    alert = summary_alert("Main", _risk(), RiskBands(), MORNING)
    # The ratio is at warning, SOLUSDT 4.5 % from liquidation: danger, as its alert says.
    assert alert.kind is AlertKind.SUMMARY and alert.tier is RiskTier.DANGER
    assert alert.title == "Daily summary for Main: 2 open position(s), danger"
    assert alert.body.splitlines() == [
        "Margin ratio 60.00 %, unrealized PnL +500.00",
        "Nearest liquidation: SOLUSDT LONG, 4.50 % away",
    ]
    assert alert.dedupe_key == "sum:Main:2026-12-02"


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_summaries_are_due_from_the_set_time_once_a_day_and_wait_for_every_accounts_figures(
    qapp: QApplication,
) -> None:
    clock = _Clock(EARLY)
    risks: dict[str, AccountRisk] = {"Sub": _risk(), "Main": _risk()}
    ready = [True]
    sent: list[Alert] = []
    summary = DailySummary(lambda: risks, lambda: ready[0], sent.append, lambda _name: RiskBands(), clock=clock)
    assert summary.check() == []  # 07:59
    clock.now = MORNING
    ready[0] = False
    assert summary.check() == []  # an account is still starting
    ready[0] = True
    assert [a.account for a in summary.check()] == ["Main", "Sub"]
    assert summary.check() == []  # the same day: once
    clock.now = NEXT_DAY
    assert [a.dedupe_key for a in summary.check()] == ["sum:Main:2026-12-03", "sum:Sub:2026-12-03"]
    assert len(sent) == 4


def test_a_days_summary_reaches_the_channel_that_asks_for_it_once_even_after_a_restart(
    qapp: QApplication, tmp_path: Path
) -> None:
    async def day(journal: Journal, server: LoopbackReceiver) -> None:
        wants = Channel(server.url(path="summary"), kinds=frozenset({ForwardKind.DAILY_SUMMARY}))
        urgent_only = Channel(server.url(path="urgent"), kinds=frozenset({ForwardKind.MARGIN_CALL}))
        fwd = Forwarder([wants, urgent_only], journal=journal, clock=lambda: MORNING)
        DailySummary(lambda: {"Main": _risk()}, lambda: True, fwd.forward, lambda _name: RiskBands(),
                     clock=lambda: MORNING).check()
        await fwd.drain()

    async def main() -> list[tuple[str, str]]:
        server = await LoopbackReceiver().start()
        try:
            with Journal.open(tmp_path / "j.sqlite3") as journal:
                await day(journal, server)
            with Journal.open(tmp_path / "j.sqlite3") as journal:  # the app restarted the same morning
                await day(journal, server)
        finally:
            await server.stop()
        return [(m.topic, m.title) for m in server.received]

    assert asyncio.run(main()) == [("summary", "Daily summary for Main: 2 open position(s), danger")]
