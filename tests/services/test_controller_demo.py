"""The whole app in-process (offscreen) in demo mode: data reaches every widget, a margin call is delivered.

Drives the real controller, services, exchange client and simulator over loopback on a qasync loop.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings

from marginwatch.app import parse_args
from marginwatch.controller import AppController
from marginwatch.core.stream_health import StreamState
from marginwatch.services.alert import AlertKind
from marginwatch.services.journal import Journal, RowKind
from marginwatch.services.settings import Settings
from marginwatch.ui.main_window import MainWindow
from tests.ui.shown_text import event_log_lines


def test_demo_mode_fills_the_window_and_delivers_a_margin_call(qapp, qtbot, tmp_path: Path) -> None:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    journal = Journal.open(tmp_path / "journal.sqlite3")
    controller = AppController(
        qapp, window, parse_args(["--demo", "--speed", "20"]), settings=settings, journal=journal
    )
    delivered: list[tuple[object, str]] = []
    controller.alert_delivered.connect(lambda a, ch: delivered.append((a, ch)))

    async def scenario() -> None:
        run = asyncio.get_running_loop().create_task(controller.run())
        got = asyncio.get_running_loop().create_future()

        def on_alert(alert: object, _channel: str) -> None:
            if getattr(alert, "kind", None) is AlertKind.MARGIN_CALL and not got.done():
                got.set_result(alert)

        controller.alert_delivered.connect(on_alert)
        alert = await asyncio.wait_for(got, 30)
        assert "Margin call on Demo" in alert.title  # type: ignore[attr-defined]
        # Everything the trader looks at is alive by now.
        assert window.positions_model.rowCount() >= 4
        assert window.chart is not None and len(window.chart.bars()) >= 4
        account = next(iter(controller.accounts.values()))
        assert {h.state for h in account.health.values()} == {StreamState.LIVE}
        assert any("Margin call" in line for line in event_log_lines(window.event_log))
        assert window.demo_banner.isVisible()
        controller.request_quit()
        assert await asyncio.wait_for(run, 10) == 0

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
    assert delivered, "the notifier reported no delivery at all"
    # The journal kept the raw margin call and the alert with how it was delivered.
    reopened = Journal.open(tmp_path / "journal.sqlite3")
    calls = reopened.query(kind=RowKind.MARGIN_CALL)
    alerts = reopened.query(kind=RowKind.ALERT)
    assert calls and "MARGIN_CALL" in str(calls[0].data)
    assert any("Margin call on Demo" in r.summary for r in alerts)
    reopened.close()


def test_calculator_opens_prefilled_from_a_demo_position(qapp, qtbot, tmp_path: Path) -> None:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(
        qapp, window, parse_args(["--demo", "--speed", "1"]), settings=settings,
        journal=Journal.open(tmp_path / "journal.sqlite3"),
    )

    async def scenario() -> None:
        run = asyncio.get_running_loop().create_task(controller.run())
        for _ in range(250):  # bounded wait for the first snapshot to reach the table
            if window.positions_model.rowCount() >= 4:
                break
            await asyncio.sleep(0.02)
        positions = controller.accounts["Demo"].session.state.positions()
        key = next(k for k in positions if k[0] == "SOLUSDT")
        amount = positions[key].amount
        # As the table's context menu does it: account, symbol, side.
        window.position_calculator_requested.emit("Demo", key[0], key[1].value)
        dialog = controller._calculator
        assert dialog is not None and dialog.isVisible()
        assert dialog.common.symbol_text() == "SOLUSDT"
        assert dialog.origin.text() == "From position SOLUSDT LONG (Demo)"
        assert Decimal(dialog.liquidation_tab.wallet.text()) == positions[key].isolated_wallet
        assert controller.accounts["Demo"].session.state.positions()[key].amount == amount
        controller.request_quit()
        await asyncio.wait_for(run, 10)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
