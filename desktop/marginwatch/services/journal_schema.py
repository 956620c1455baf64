"""The journal's SQLite schema as numbered migrations; `PRAGMA user_version` says which ran.

Each step runs in the same transaction as its version bump, so a crash mid-migration leaves
the previous version intact. Never edit a released step: add a new one.
Money is stored as TEXT (exact Decimal strings); times are wall-clock seconds (REAL), except
`event_time`, which is the exchange's millisecond timestamp as sent.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

Step = str | Callable[[sqlite3.Connection], None]

V1: tuple[Step, ...] = (
    """CREATE TABLE margin_calls (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        event_time INTEGER NOT NULL,
        received_at REAL NOT NULL,
        raw TEXT NOT NULL,
        parsed TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        tier TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        channel TEXT,
        delivered_at REAL
    )""",
    """CREATE TABLE connection_events (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        stream TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        at REAL NOT NULL
    )""",
    """CREATE TABLE account_snapshots (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        at REAL NOT NULL,
        wallet TEXT,
        margin_balance TEXT,
        maint_margin TEXT,
        margin_ratio TEXT,
        positions TEXT NOT NULL
    )""",
    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)",
)


def symbols_column(symbols: Sequence[str]) -> str:
    """' BTCUSDT ETHUSDT ': padded so `instr(symbols, ' X ')` matches whole symbols only."""
    unique = sorted({s for s in symbols if s})
    return f" {' '.join(unique)} " if unique else ""


def symbols_of_positions(positions: Any) -> list[str]:
    """Symbols from parsed positions in either spelling (`symbol` or Binance's `s`)."""
    out: list[str] = []
    if isinstance(positions, list):
        for p in positions:
            if isinstance(p, dict):
                sym = p.get("symbol", p.get("s"))
                if isinstance(sym, str):
                    out.append(sym)
    return out


def _backfill_symbols(conn: sqlite3.Connection) -> None:
    # v1 rows have their symbols only inside JSON; copy them out so the history view can filter.
    for table, column, key in (("margin_calls", "parsed", "positions"), ("account_snapshots", "positions", None)):
        rows = conn.execute(f"SELECT id, {column} FROM {table}").fetchall()
        for row_id, text in rows:
            try:
                data = json.loads(text)
            except (TypeError, ValueError):
                continue
            if key is not None:
                data = (data.get(key) or data.get("p")) if isinstance(data, dict) else None
            conn.execute(
                f"UPDATE {table} SET symbols = ? WHERE id = ?",
                (symbols_column(symbols_of_positions(data)), row_id),
            )


V2: tuple[Step, ...] = (
    "ALTER TABLE margin_calls ADD COLUMN symbols TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE alerts ADD COLUMN symbols TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE account_snapshots ADD COLUMN symbols TEXT NOT NULL DEFAULT ''",
    _backfill_symbols,
    "CREATE INDEX margin_calls_at ON margin_calls (received_at)",
    "CREATE INDEX alerts_at ON alerts (created_at)",
    "CREATE INDEX connection_events_at ON connection_events (at)",
    "CREATE INDEX account_snapshots_at ON account_snapshots (at)",
)

# Forwarding: one row per alert and channel (a masked name and a hash, never the channel's URL).
V3: tuple[Step, ...] = (
    """CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        dedupe_key TEXT NOT NULL,
        channel TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        alert_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (dedupe_key, channel)
    )""",
)

# Risk over time (services/risk_history_store): chart samples, not records, so REAL rather than
# exact text: a sixth of the bytes per row, and bucketing needs arithmetic. `level` is the resolution
# (0 raw, 1 a minute, 2 ten minutes); `symbol` '' is the account's own ratio.
V4: tuple[Step, ...] = (
    """CREATE TABLE risk_samples (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        at REAL NOT NULL,
        level INTEGER NOT NULL DEFAULT 0,
        margin_ratio REAL,
        distance_pct REAL,
        mark REAL
    )""",
    "CREATE INDEX risk_samples_series ON risk_samples (account, symbol, side, at)",
    "CREATE INDEX risk_samples_level ON risk_samples (level, at)",
)

# Version N is reached by running MIGRATIONS[N] on a database at version N - 1.
MIGRATIONS: dict[int, tuple[Step, ...]] = {1: V1, 2: V2, 3: V3, 4: V4}
CURRENT_VERSION = max(MIGRATIONS)


class SchemaTooNewError(Exception):
    """The file was written by a newer MarginWatch; we must not write to it."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to CURRENT_VERSION; returns the version found before migrating.

    `conn` must be in autocommit mode (isolation_level=None): each version is its own
    BEGIN IMMEDIATE … COMMIT.
    """
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > CURRENT_VERSION:
        raise SchemaTooNewError(f"journal schema version {found} is newer than this app's {CURRENT_VERSION}")
    for version in range(found + 1, CURRENT_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for step in MIGRATIONS[version]:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
            conn.execute("INSERT OR REPLACE INTO schema_version VALUES (?, ?)", (version, time.time()))
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
