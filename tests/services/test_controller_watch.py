"""The whole demo app in-process with a loopback ntfy channel and a loopback heartbeat endpoint: the
heartbeat pings once the demo's streams are live, the banner's Acknowledge stops the margin call's
repeats, a sleep is said and journalled and every account resyncs, and quitting says so on the channel
before `run()` returns."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings

from marginwatch.app_args import parse_args
from marginwatch.controller import AppController
from marginwatch.services.journal import Journal, RowKind
from marginwatch.services.settings import Settings
from marginwatch.ui.main_window import MainWindow
from tests.forward_servers import LoopbackReceiver, PingCounter

WAIT_S = 30


def test_heartbeat_acknowledge_sleep_and_stop_notice_through_the_app(qapp, qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    server, pings = LoopbackReceiver(), PingCounter()
    monkeypatch.setenv("MW_TEST_NTFY", server.url(path="phone"))
    argv = ["--demo", "--speed", "20", "--forward", "env:MW_TEST_NTFY", "--heartbeat-url", pings.url()]
    controller = AppController(qapp, window, parse_args(argv), settings=settings, journal=journal)
    asleep_from = datetime(2026, 12, 2, 2, 10).timestamp()
    awake_at = datetime(2026, 12, 2, 7, 45).timestamp()

    async def scenario() -> None:
        await server.start()
        await pings.start()
        run = asyncio.get_running_loop().create_task(controller.run())
        await pings.wait_for(1, WAIT_S)
        call = asyncio.get_running_loop().create_future()

        def on_delivery(key: str, _channel: str, state: str, _why: str) -> None:
            if key.startswith("mc:") and state == "sent" and not call.done():
                call.set_result(key)

        controller.forwarder.delivery_changed.connect(on_delivery)
        key = await asyncio.wait_for(call, WAIT_S)
        assert key in controller.forwarder.escalating()
        window.alert_banner.acknowledge_button.click()
        assert controller.forwarder.escalating() == []
        assert "acknowledged" in [r["state"] for r in journal.deliveries(key)]

        sent = len(server.received)
        controller.sleep_watch.resumed.emit(asleep_from, awake_at)
        assert all(svc.session._reseed_wanted.is_set() for svc in controller.accounts.values())
        await server.wait_for(sent + 1, WAIT_S)
        controller.request_quit()
        assert await asyncio.wait_for(run, WAIT_S) == 0
        await server.stop()
        await pings.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
    paused = "Monitoring was paused from 02:10 to 07:45; resyncing every account."
    assert any(text.startswith(paused) for _t, _k, text in window.event_log.entries())
    titles = [m.title for m in server.received]
    assert paused in titles
    assert titles[-1] == "MarginWatch stopped monitoring — no further alerts"
    reopened = Journal.open(tmp_path / "journal.sqlite3")
    assert any(r.data["title"] == paused for r in reopened.query(kind=RowKind.ALERT))
    reopened.close()
