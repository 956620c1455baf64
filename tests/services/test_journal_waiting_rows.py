"""Rows the journal file cannot take at once (another process holds its lock, the disk is full): they
wait, are shown, are said, and end up in the same file exactly once; nothing waits for the lock.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from pytestqt.qtbot import QtBot

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal, JournalHealth, JournalState, RowKind
from tests.services.alert_path_app import committed_keys
from tests.services.journal_locks import held_by_another_process
from tests.ui.risk_factories import account_risk, position_risk


def alert(key: str) -> Alert:
    return Alert(AlertKind.MARGIN_CALL, "main", RiskTier.DANGER, f"Margin call {key}", "body", key, created_at=1_000.0)


def margin_call(journal: Journal, i: int) -> bool:
    parsed = {"e": "MARGIN_CALL", "E": i, "p": [{"s": "BTCUSDT", "pa": str(i)}]}
    return journal.record_margin_call("main", str(parsed), parsed, i, f"mc:{i}", received_at=float(i))


def count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def cap_pages(journal: Journal, pages: int | None) -> None:
    """SQLite's own page cap on the journal's connection: past it, writes fail with SQLITE_FULL
    exactly as on a full disk (which cannot be had here without filling a real one)."""
    conn = journal._conn
    assert conn is not None
    if pages is None:
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    conn.execute(f"PRAGMA max_page_count = {pages}")


def test_a_write_while_another_process_holds_the_lock_does_not_wait_and_lands_in_the_same_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite3"
    states: list[JournalState] = []
    with Journal.open(path, retry_s=0) as j:
        j.state_changed.connect(states.append)
        in_file = j.record_alert(alert("before"))
        assert in_file is not None
        with held_by_another_process(path) as lock:
            assert j.prune() == 0 and not j.state.degraded  # housekeeping just waits for the next start
            started = time.perf_counter()
            waiting = j.record_alert(alert("during"))
            assert margin_call(j, 1)
            j.record_connection("main", StreamHealth("user", StreamState.RECONNECTING, "socket dropped"))
            j.record_snapshot("main", account_risk(position_risk()))
            spent = time.perf_counter() - started
            assert spent < 0.5, f"four writes took {spent:.2f} s behind the lock"
            assert waiting is not None and waiting < 0  # a waiting row's id, never one of the file's
            assert j.record_alert(alert("during")) is None  # a replay while waiting is still a replay
            assert j.record_alert(alert("before")) is None  # and so is one of a row already in the file
            assert j.mark_delivered(waiting, "tray") and j.mark_delivered(in_file, "sound")
            assert j.path == path
            assert committed_keys(path, "alerts") == {"before"}
            assert [s.health for s in states] == [JournalHealth.LOCKED]
            assert "locked by another process" in j.state.reason and j.state.waiting == 4
            # The history is whole meanwhile: the file's rows and the waiting ones.
            assert len(j.query()) == 5
            lock.release()
            assert margin_call(j, 2)  # the next write writes what waited first
        assert [s.health for s in states] == [JournalHealth.LOCKED, JournalHealth.OK]
        assert "writable again" in states[-1].reason and "4 rows" in states[-1].reason
        assert not j.state.degraded
        alerts = {r.data["dedupe_key"]: r for r in j.query(kind=RowKind.ALERT)}
        assert alerts["during"].id > 0 and alerts["during"].data["channel"] == "tray"
        assert alerts["before"].data["channel"] == "sound"  # noted while locked, applied after
        assert j.mark_delivered(waiting, "sound")  # the id handed out while waiting still works
    assert committed_keys(path, "alerts") == {"before", "during"}
    assert committed_keys(path, "margin_calls") == {"mc:1", "mc:2"}
    assert count(path, "connection_events") == 1 and count(path, "account_snapshots") == 1
    with Journal.open(path) as j:
        assert {r.data["dedupe_key"]: r.data["channel"] for r in j.query(kind=RowKind.ALERT)} == {
            "before": "sound",
            "during": "tray,sound",
        }
    assert list(tmp_path.glob("journal.*.sqlite3")) == []


def test_the_retry_timer_writes_waiting_rows_once_the_lock_is_gone(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path, retry_s=0.02) as j:
        j.record_alert(alert("before"))
        with held_by_another_process(path) as lock:
            j.record_alert(alert("during"))
            assert j.state.health is JournalHealth.LOCKED
            with qtbot.waitSignal(j.state_changed, timeout=5000) as recovered:
                lock.release()  # and no further write: only the timer can write what waits
        assert recovered.args[0].health is JournalHealth.OK
        assert committed_keys(path, "alerts") == {"before", "during"}


def test_a_full_disk_keeps_rows_shows_them_and_writes_them_when_space_returns(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    states: list[JournalState] = []
    with Journal.open(path, retry_s=0) as j:
        j.state_changed.connect(states.append)
        j.record_alert(alert("first"))
        cap_pages(j, None)
        for i in range(148):
            assert margin_call(j, i)
        assert [s.health for s in states] == [JournalHealth.DISK_FULL]
        state = j.state
        assert state.waiting > 100 and f"disk full: {state.waiting} rows kept in memory" in state.reason
        assert "will be written when space returns" in state.reason
        assert len(j.query(limit=None)) == 149  # every row is shown, not only those written before
        assert j.path == path
        cap_pages(j, 1_000_000)  # space returns
        j.record_alert(alert("after"))
        assert [s.health for s in states] == [JournalHealth.DISK_FULL, JournalHealth.OK]
        assert len(j.query(limit=None)) == 150
    assert count(path, "margin_calls") == 148 and committed_keys(path, "alerts") == {"first", "after"}


def test_rows_still_waiting_at_exit_are_kept_and_merged_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    j = Journal.open(path, busy_timeout_s=0.05)
    margin_call(j, 0)
    in_file = j.record_alert(alert("in-file"))
    cap_pages(j, None)
    for i in range(1, 40):
        margin_call(j, i)
    assert j.state.health is JournalHealth.DISK_FULL
    waiting = j.record_alert(alert("waiting"))
    assert in_file is not None and waiting is not None
    assert j.mark_delivered(in_file, "tray") and j.mark_delivered(waiting, "sound")
    j.close()  # the disk is still full for the journal file
    assert count(path, "margin_calls") < 40
    (kept,) = tmp_path.glob("journal.pending-*.sqlite3")
    with Journal.open(path) as again:
        assert again.problem is None and not again.state.degraded
        assert sorted(r.data["event_time"] for r in again.query(kind=RowKind.MARGIN_CALL)) == list(range(40))
        channels = {r.data["dedupe_key"]: r.data["channel"] for r in again.query(kind=RowKind.ALERT)}
    assert channels == {"in-file": "tray", "waiting": "sound"}  # deliveries noted while waiting kept too
    assert not kept.exists()
    assert count(path, "margin_calls") == 40


def test_a_side_file_from_a_run_that_found_the_file_locked_is_merged_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path) as j:
        j.record_alert(alert("kept"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # not even readable: the run starts on a side file
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM alerts")
    try:
        with Journal.open(path, busy_timeout_s=0.05) as j:
            side = j.path
            assert side is not None and side != path and j.state.health is JournalHealth.LOCKED
            assert j.record_alert(alert("while-locked")) is not None
            assert margin_call(j, 7)
            j.record_connection("main", StreamHealth("user", StreamState.LIVE), at=5.0)
            j.record_snapshot("main", account_risk(position_risk()), at=6.0)
            assert len(j.query()) == 4  # this run's rows, all of them
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(side, copy)
    with Journal.open(path) as j:
        assert {r.data.get("dedupe_key") for r in j.query(kind=RowKind.ALERT)} == {"kept", "while-locked"}
    assert not side.exists()
    # A crash after the merge was committed but before the side file was deleted: merged again, nothing doubles.
    shutil.copyfile(copy, side)
    with Journal.open(path) as j:
        kinds = sorted(r.kind.value for r in j.query())
    assert kinds == ["alert", "alert", "connection", "margin_call", "snapshot"]
    assert not side.exists()
