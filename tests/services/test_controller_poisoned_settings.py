"""The whole app in-process (offscreen) on a poisoned settings file: it starts, and says what it ignored."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSettings

from marginwatch.app import parse_args
from marginwatch.controller import AppController
from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.services.journal import Journal
from marginwatch.services.settings import Settings
from marginwatch.ui.main_window import MainWindow
from tests.ui.shown_text import event_log_lines

POISONED = "[accounts]\nsize=20000000\n\n[alerts]\nratio_warning=NaN\n"


def test_a_controller_started_on_a_poisoned_settings_file_runs_and_shows_the_warnings(
    qapp, qtbot, in_qasync_loop, tmp_path: Path
) -> None:
    ini = tmp_path / "MarginWatch.conf"
    ini.write_text(POISONED)
    settings = Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(
        qapp, window, parse_args(["--speed", "20"]), settings=settings, journal=Journal.open(tmp_path / "j.sqlite3")
    )

    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = loop.create_future()
        controller.started.connect(lambda: started.done() or started.set_result(None))
        run = loop.create_task(controller.run())
        await asyncio.wait_for(started, 30)
        events = event_log_lines(window.event_log)
        controller.request_quit()
        assert await asyncio.wait_for(run, 10) == 0
        return events

    events = in_qasync_loop(scenario)
    assert controller.alerts.policy == AlertPolicy()  # the default in place of NaN, alerts still on
    assert any("alerts/ratio_warning" in e and "not a finite number" in e for e in events), events
    assert any("accounts/size is 20000000" in e for e in events), events
