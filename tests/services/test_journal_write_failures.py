"""A journal write the file cannot take, on a real SQLite file: a damaged file is replaced and the
write lands in the new one, a status that can wait is skipped and said, the reason a row waits names
the file's error, and a delivery noted while the file is locked keeps the time it happened."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal, JournalHealth
from tests.services.journal_locks import held_by_another_process


class Clock:
    def __init__(self, t: float = 3_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def alert(key: str) -> Alert:
    return Alert(AlertKind.THRESHOLD, "main", RiskTier.DANGER, "T", "B", key, created_at=1_500.0)


def delivered(path: Path) -> dict[str, tuple[str | None, float | None]]:
    """Each alert's (channel, delivered_at) as the file holds them, read by a connection of its own."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT dedupe_key, channel, delivered_at FROM alerts").fetchall()
    return {str(k): (c, t) for k, c, t in rows}


def messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.endswith("journal") and r.levelno == level]


class DamagedOnce:
    """A write that meets a damaged file the first time (as SQLite says it) and stores a row after."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, conn: sqlite3.Connection) -> int:
        self.calls += 1
        if self.calls == 1:
            exc = sqlite3.DatabaseError("database disk image is malformed")
            exc.sqlite_errorname = "SQLITE_CORRUPT"  # as sqlite3 sets it for a damaged page
            raise exc
        cur = conn.execute(
            "INSERT INTO connection_events (account, stream, state, reason, at) VALUES (?, ?, ?, ?, ?)",
            ("main", "user", "connected", None, 1.0),
        )
        return int(cur.lastrowid or 0)


def test_a_write_on_a_damaged_file_moves_it_aside_and_lands_in_a_new_file_at_the_same_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "journal.sqlite3"
    problems: list[str] = []
    caplog.set_level(logging.INFO)
    with Journal.open(path) as j:
        j.on_problem = problems.append
        assert j.record_alert(alert("before")) is not None
        op = DamagedOnce()
        assert j._write(op, None) == 1  # the first row of the new file
        assert op.calls == 2 and j.path == path
        (aside,) = tmp_path.glob("journal.corrupt-*.sqlite3")
        assert delivered(aside) == {"before": (None, None)}  # the old rows stay readable aside
        assert delivered(path) == {}
        with closing(sqlite3.connect(path)) as conn:
            assert conn.execute("SELECT account, stream, state FROM connection_events").fetchall() == [
                ("main", "user", "connected")
            ]
        assert problems == [j.problem]
        assert j.problem is not None and "(database disk image is malformed)" in j.problem
        assert aside.name in j.problem
    said = messages(caplog, logging.WARNING)[0]
    assert said == "journal: write failed (database disk image is malformed); recovering"


def test_a_delivery_status_the_locked_file_cannot_take_is_skipped_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "journal.sqlite3"
    caplog.set_level(logging.INFO)
    with Journal.open(path, retry_s=0) as j:
        with held_by_another_process(path):
            j.record_delivery("k1", "telegram", "sent", alert_at=1.0)
            assert not j.state.degraded and j.state.waiting == 0  # nothing waits for it
        assert j.deliveries() == []
    skipped = [m for m in messages(caplog, logging.INFO) if "can wait" in m]
    assert skipped == ["journal: a write that can wait was skipped (database is locked)"]


def test_the_reason_rows_wait_names_the_error_the_file_gave(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "journal.sqlite3", retry_s=3600) as j:
        conn = j._conn
        assert conn is not None
        conn.execute("PRAGMA query_only = ON")  # SQLite refuses writes as on a read-only file
        waiting = j.record_alert(alert("k1"))
        assert waiting is not None and waiting < 0
        assert j.state.health is JournalHealth.UNWRITABLE
        assert "(attempt to write a readonly database)" in j.state.reason


def test_a_waiting_alert_delivered_while_the_file_is_locked_keeps_its_delivery_time(tmp_path: Path) -> None:
    path, clock = tmp_path / "journal.sqlite3", Clock()
    with Journal.open(path, retry_s=3600, clock=clock) as j:
        with held_by_another_process(path) as lock:
            waiting = j.record_alert(alert("k1"))
            assert waiting is not None and waiting < 0
            clock.t = 3_000_042.0
            assert j.mark_delivered(waiting, "tray") is True
            lock.release()
            assert j.retry() is True
        assert delivered(path) == {"k1": ("tray", 3_000_042.0)}


def test_a_filed_alert_delivered_while_the_file_is_locked_gets_its_delivery_time_once_free(
    tmp_path: Path,
) -> None:
    path, clock = tmp_path / "journal.sqlite3", Clock()
    with Journal.open(path, retry_s=3600, clock=clock) as j:
        filed = j.record_alert(alert("k1"))
        assert filed is not None and filed > 0
        with held_by_another_process(path) as lock:
            clock.t = 3_000_077.0
            assert j.mark_delivered(filed, "sound") is True
            assert delivered(path) == {"k1": (None, None)}  # noted aside, not yet in the file
            lock.release()
            assert j.retry() is True
        assert delivered(path) == {"k1": ("sound", 3_000_077.0)}


def test_marking_an_unknown_waiting_id_delivered_says_false_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path) as j:
        assert j.record_alert(alert("k1")) is not None
        assert j.mark_delivered(-7, "tray") is False
    assert delivered(path) == {"k1": (None, None)}
