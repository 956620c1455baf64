"""Demo mode shows a MEXC account beside the Binance one, and MEXC's own liquidation warning raises
a margin-call alert for it through the same journal and notifier path (whole app, offscreen)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings

from marginwatch.app import parse_args
from marginwatch.controller import AppController
from marginwatch.core.position import PositionSide
from marginwatch.services.alert import AlertKind
from marginwatch.services.journal import Journal, RowKind
from marginwatch.services.settings import Settings
from marginwatch.ui.main_window import MainWindow


def test_the_demo_shows_a_mexc_account_whose_warning_is_a_margin_call(qapp, qtbot, tmp_path: Path) -> None:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    journal = Journal.open(tmp_path / "journal.sqlite3")
    controller = AppController(qapp, window, parse_args(["--demo", "--speed", "40"]), settings=settings,
                               journal=journal)

    async def scenario() -> None:
        run = asyncio.get_running_loop().create_task(controller.run())
        got = asyncio.get_running_loop().create_future()

        def on_alert(alert: object, _channel: str) -> None:
            if (getattr(alert, "kind", None) is AlertKind.MARGIN_CALL and getattr(alert, "account", "") == "Demo MEXC"
                    and not got.done()):
                got.set_result(alert)

        controller.alert_delivered.connect(on_alert)
        alert = await asyncio.wait_for(got, 30)
        assert "Demo MEXC" in alert.title  # type: ignore[attr-defined]
        assert sorted(controller.accounts) == ["Demo", "Demo MEXC", "Demo · COIN-M"]
        mexc = controller.accounts["Demo MEXC"].session.state.positions()
        assert {("BTC_USDT", PositionSide.LONG), ("ETH_USDT", PositionSide.SHORT)} <= set(mexc)
        controller.request_quit()
        assert await asyncio.wait_for(run, 10) == 0

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
    reopened = Journal.open(tmp_path / "journal.sqlite3")
    calls = [r for r in reopened.query(kind=RowKind.MARGIN_CALL) if r.account == "Demo MEXC"]
    assert calls and "BTC_USDT" in str(calls[0].data)
    reopened.close()
