"""Risk history in the whole app (offscreen, demo mode, the simulator over loopback): the controller
samples what the table shows into the journal (not while an account's streams are down), and the
table's menu opens the chart on that position."""

from __future__ import annotations

import asyncio
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from marginwatch.app import parse_args
from marginwatch.controller import AppController
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.journal import Journal
from marginwatch.services.settings import Settings
from marginwatch.ui.main_window import MainWindow


def test_a_demo_position_is_sampled_and_its_chart_opens_from_the_table(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    controller = AppController(qapp, window, parse_args(["--demo", "--speed", "1"]), settings=settings,
                               journal=journal)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        live: asyncio.Future[None] = loop.create_future()

        def check(*_args: object) -> None:
            if controller.registry.all_live() and controller.registry.risks and not live.done():
                live.set_result(None)

        controller.registry.account_added.connect(lambda svc: (svc.risk_changed.connect(check),
                                                               svc.health_changed.connect(check)))
        run = loop.create_task(controller.run())
        await asyncio.wait_for(live, 30)
        everyone = controller.risk_history.sample()  # what the 10 s timer does, every demo account
        assert everyone >= 5  # Demo alone: 4+ positions and the account
        key = next(k for k in controller.accounts["Demo"].session.state.positions() if k[0] == "SOLUSDT")
        window.positions_table.risk_history_requested.emit("Demo", "SOLUSDT", key[1].value)
        dialog = controller._risk_dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.chart.current_key() == ("Demo", "SOLUSDT", key[1].value)
        xs, ys = dialog.chart.plotted()
        shown = controller.registry.risks["Demo"]
        ratio = next(p.margin_ratio for p in shown.positions if p.position.symbol == "SOLUSDT")
        assert len(xs) == 1 and ratio is not None and abs(ys[0] - float(ratio) * 100) < 1e-6
        # A stream down: its account is not sampled (a gap on the chart, not its last figures again).
        session = controller.accounts["Demo"].session
        session._forward_health(StreamHealth("market", StreamState.RECONNECTING, "socket dropped"))
        demo_rows = everyone - controller.risk_history.sample()  # the other demo accounts still are
        assert demo_rows >= 5
        session._forward_health(StreamHealth("market", StreamState.LIVE))
        assert controller.risk_history.sample() == everyone
        controller.request_quit()
        assert await asyncio.wait_for(run, 10) == 0

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
