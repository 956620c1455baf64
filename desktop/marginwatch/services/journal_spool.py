"""Rows waiting for the journal file, and merging them back into it.

While the journal file cannot take a write (locked by another process, disk full, …) rows go to a
spool: an in-memory database with the journal's own schema, or a side file when the file was
already locked at start-up. Spooled rows get negative ids, so an id handed out while spooling
never collides with one of the file's; `merge` copies a spool (or a side file left by an earlier
run) into the file in one transaction and skips rows the file already has, so merging the same
rows twice (a crash between the commit and deleting the side file) adds nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from marginwatch.services.journal_schema import migrate

# What makes two rows the same row, per table: the dedupe key where there is one, else the content.
SAME_ROW: dict[str, tuple[str, ...]] = {
    "margin_calls": ("dedupe_key",),
    "alerts": ("dedupe_key",),
    "connection_events": ("account", "stream", "state", "reason", "at"),
    "account_snapshots": ("account", "at"),
    "risk_samples": ("account", "symbol", "side", "at", "level"),
}
DELIVERED_SQL = (
    "UPDATE alerts SET delivered_at = ?,"
    " channel = CASE WHEN channel IS NULL OR channel = '' THEN ? ELSE channel || ',' || ? END"
    " WHERE id = ?"
)
# The same, once: a delivery merged a second time must not list its channel twice.
_DELIVERED_ONCE_SQL = DELIVERED_SQL + " AND instr(',' || coalesce(channel, '') || ',', ',' || ? || ',') = 0"
# Deliveries noted while an alert's row was already in the file, applied when the spool is merged.
_PENDING_DELIVERIES = "CREATE TABLE IF NOT EXISTS pending_deliveries (alert_id INTEGER, channel TEXT, at REAL)"


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    conflict = " ON CONFLICT (dedupe_key) DO NOTHING" if "dedupe_key" in columns else ""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}){conflict}"


def insert_row(conn: sqlite3.Connection, table: str, cols: Mapping[str, Any]) -> int | None:
    """Insert one row; its id, or None when its dedupe key is already stored."""
    cur = conn.execute(_insert_sql(table, tuple(cols)), tuple(cols.values()))
    return int(cur.lastrowid or 0) if cur.rowcount == 1 else None


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def merge(source: sqlite3.Connection, target: sqlite3.Connection) -> tuple[int, dict[int, int]]:
    """Copy every row of `source` into `target` (autocommit mode) in one transaction.

    Returns how many rows were new to `target`, and each source alert id -> its id in `target`.
    """
    moved = 0
    alert_ids: dict[int, int] = {}
    target.execute("BEGIN IMMEDIATE")
    try:
        for table, same in SAME_ROW.items():
            wanted = set(_columns(target, table))
            cols = [c for c in _columns(source, table) if c != "id" and c in wanted]
            match = " AND ".join(f"{c} IS ?" for c in same)
            for row in source.execute(f"SELECT id, {', '.join(cols)} FROM {table} ORDER BY abs(id)"):
                values = dict(zip(cols, row[1:], strict=True))
                found = target.execute(
                    f"SELECT id FROM {table} WHERE {match} LIMIT 1", [values[c] for c in same]
                ).fetchone()
                if found is None:
                    new_id = insert_row(target, table, values)
                    moved += 1
                else:
                    new_id = int(found[0])
                if table == "alerts" and new_id is not None:
                    alert_ids[int(row[0])] = new_id
        if _has_table(source, "pending_deliveries"):
            for alert_id, channel, at in source.execute("SELECT alert_id, channel, at FROM pending_deliveries"):
                target_id = alert_ids.get(alert_id, alert_id)
                if target_id > 0:
                    target.execute(_DELIVERED_ONCE_SQL, (at, channel, channel, target_id, channel))
        target.execute("COMMIT")
    except BaseException:
        if target.in_transaction:
            target.execute("ROLLBACK")
        raise
    return moved, alert_ids


class Spool:
    """Rows kept aside until the journal file takes them: in memory (`path` None) or in a side file."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None, ids: Iterator[int]) -> None:
        self.conn = conn
        self.path = path
        self.rows = 0  # rows spooled so far
        self._ids = ids
        conn.execute(_PENDING_DELIVERIES)

    @classmethod
    def in_memory(cls, ids: Iterator[int]) -> Spool:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        migrate(conn)
        return cls(conn, None, ids)

    def insert(self, table: str, cols: Mapping[str, Any]) -> int | None:
        """Keep a row; its (negative) id, or None when this dedupe key is already kept."""
        row_id = insert_row(self.conn, table, {"id": next(self._ids), **cols})
        if row_id is not None:
            self.rows += 1
        return row_id

    def mark_delivered(self, alert_id: int, channel: str, at: float) -> bool:
        """Note a delivery on a kept alert; False when no such alert is kept here."""
        return self.conn.execute(DELIVERED_SQL, (at, channel, channel, alert_id)).rowcount == 1

    def note_delivery(self, alert_id: int, channel: str, at: float) -> None:
        """Note a delivery of an alert already in the journal file, to apply when the spool is merged."""
        self.conn.execute("INSERT INTO pending_deliveries VALUES (?, ?, ?)", (alert_id, channel, at))

    def close(self) -> None:
        self.conn.close()
