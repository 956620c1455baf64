"""The app container wired for alert-path tests: a real journal file, read from the notifier's side.

The desktop notification daemon is the one part that cannot run here; the notifier falls back to
the tray as it would without one. What is watched is the moment the notifier is asked to notify.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from marginwatch.controller import AppController
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal


def committed_keys(path: Path, table: str) -> frozenset[str]:
    """Dedupe keys in `table` as another reader of the file sees them: committed rows only."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return frozenset(row[0] for row in conn.execute(f"SELECT dedupe_key FROM {table}"))


def refuse_writes(path: Path, *statements: str) -> None:
    """Make SQLite itself refuse writes to the journal file: one trigger per 'INSERT ON alerts' etc."""
    with closing(sqlite3.connect(path)) as conn:
        for i, statement in enumerate(statements):
            refuse = "SELECT RAISE(ABORT, 'write refused')"
            conn.execute(f"CREATE TRIGGER refuse_{i} BEFORE {statement} BEGIN {refuse}; END")


@dataclass(frozen=True)
class Seen:
    """One notify() call and what the journal file held, committed, at that moment."""

    alert: Alert
    margin_calls: frozenset[str]
    alerts: frozenset[str]


class MarginCallSource(QObject):
    """Emits margin calls the way an AccountService does."""

    margin_call = Signal(str, object)  # account name, MarginCall event


@dataclass
class AlertPathApp:
    controller: AppController
    journal: Journal
    source: MarginCallSource
    seen: list[Seen] = field(default_factory=list)

    def deliveries(self, count: int) -> asyncio.Future[list[tuple[AlertKind, str]]]:
        """Resolves with (kind, channel) of the next `count` deliveries the notifier reports."""
        done: asyncio.Future[list[tuple[AlertKind, str]]] = asyncio.get_running_loop().create_future()
        got: list[tuple[AlertKind, str]] = []

        def on_delivered(alert: Alert, channel: str) -> None:
            got.append((alert.kind, channel))
            if len(got) == count and not done.done():
                done.set_result(got)

        self.controller.alert_delivered.connect(on_delivered)
        return done

    def events(self) -> list[tuple[str, str]]:
        """(kind, text) of the event log, newest first."""
        return [(kind, text) for _t, kind, text in self.controller.window.event_log.entries()]
