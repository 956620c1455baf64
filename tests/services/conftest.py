"""Fixtures for the controller's alert path (see alert_path_app.py) and for alert text in either language."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from marginwatch import controller as controller_module
from marginwatch import i18n
from marginwatch.app import parse_args
from marginwatch.controller import AppController
from marginwatch.services.alert import Alert
from marginwatch.services.journal import Journal
from marginwatch.services.notifier import Notifier
from marginwatch.services.settings import Settings
from marginwatch.ui.main_window import MainWindow
from tests.services.alert_path_app import AlertPathApp, MarginCallSource, Seen, committed_keys


@pytest.fixture
def alert_path_app(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., AlertPathApp]]:
    """Builds the app container on `journal` (demo mode, or `argv`), its notifier noting the journal
    file at each notify()."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # no daemon here: the tray fallback runs
    made: list[AlertPathApp] = []

    def make(journal: Journal, argv: Sequence[str] = ("--demo",)) -> AlertPathApp:
        assert journal.path is not None, "the witness reads the journal file"
        path = journal.path
        seen: list[Seen] = []

        class WitnessNotifier(Notifier):
            def notify(self, alert: Alert) -> None:
                seen.append(Seen(alert, committed_keys(path, "margin_calls"), committed_keys(path, "alerts")))
                super().notify(alert)

        monkeypatch.setattr(controller_module, "Notifier", WitnessNotifier)
        settings = Settings(QSettings(str(tmp_path / f"settings-{len(made)}.ini"), QSettings.Format.IniFormat))
        window = MainWindow()
        qtbot.addWidget(window)
        controller = AppController(qapp, window, parse_args(list(argv)), settings=settings, journal=journal)
        source = MarginCallSource()
        source.margin_call.connect(controller._on_margin_call)
        app = AlertPathApp(controller, journal, source, seen)
        made.append(app)
        return app

    yield make
    for app in made:
        app.journal.close()


@pytest.fixture
def in_qasync_loop(qapp: QApplication) -> Callable[[Callable[[], Coroutine[Any, Any, Any]]], Any]:
    """Runs a coroutine on a qasync loop merged into Qt's, as the app does."""

    def run(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
            return runner.run(scenario())

    return run


@pytest.fixture
def english(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[QApplication]:
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    assert i18n.install_translator(qapp, "en") == "en"
    yield qapp


@pytest.fixture
def chinese(english: QApplication) -> Iterator[QApplication]:
    assert i18n.install_translator(english, "zh_CN") == "zh_CN"
    yield english
    i18n.install_translator(english, "en")
