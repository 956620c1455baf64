"""`marginwatch --demo --forward ntfy://…`: the whole app in-process delivers the demo's margin call to a
loopback ntfy-protocol server at priority max, and journals the delivery as sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings

from marginwatch.app_args import parse_args
from marginwatch.controller import AppController
from marginwatch.services.journal import Journal
from marginwatch.services.settings import Settings
from marginwatch.ui.main_window import MainWindow
from tests.forward_servers import LoopbackReceiver


def test_demo_forwards_its_margin_call_to_ntfy_at_priority_5(qapp, qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    server = LoopbackReceiver()
    monkeypatch.setenv("MW_TEST_NTFY", server.url(path="phone"))
    controller = AppController(
        qapp, window, parse_args(["--demo", "--speed", "20", "--forward", "env:MW_TEST_NTFY"]),
        settings=settings, journal=journal,
    )

    async def scenario() -> None:
        await server.start()
        run = asyncio.get_running_loop().create_task(controller.run())
        got = asyncio.get_running_loop().create_future()

        def on_delivery(key: str, _channel: str, state: str, _why: str) -> None:
            if key.startswith("mc:") and state == "sent" and not got.done():
                got.set_result(key)

        controller.forwarder.delivery_changed.connect(on_delivery)
        await asyncio.wait_for(got, 30)
        controller.request_quit()
        assert await asyncio.wait_for(run, 10) == 0
        await server.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
    calls = [m for m in server.received if m.title.startswith("Margin call on Demo")]
    assert calls and calls[0].priority == 5 and calls[0].topic == "phone"
    reopened = Journal.open(tmp_path / "journal.sqlite3")
    assert any(r["dedupe_key"].startswith("mc:") and r["state"] == "sent" for r in reopened.deliveries())
    reopened.close()
