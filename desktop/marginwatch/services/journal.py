"""The journal: margin calls as received, alerts and their delivery, connection changes and
account snapshots, in one SQLite file that survives crashes and never stops the app.

Durability: WAL mode with `synchronous=NORMAL`. A commit is in the WAL file (the OS's page
cache) before the call returns, so a committed margin call or alert survives the app crashing or
being killed at any later point — the guarantee "journalled before notified" needs. What NORMAL
gives up against FULL is only the last commits before an OS crash or power cut (the WAL is
fsynced at checkpoints, not per commit); the database itself stays consistent. FULL's fsync per
commit cost ~4-5 ms p99 (120 ms max) on the GUI thread in front of every notification, more than
the whole alert-latency budget (bench/alert_latency.py).

Trouble never raises into the app: a damaged file is moved aside and a new one started, a file
locked by another program is left alone and a new one is started beside it, an unwritable
location falls back to memory. Each case sets `problem` (plain words) and is logged.
Secrets are never stored: `signature`, `apiKey`, `secret` values are scrubbed from payloads and
texts, and so is any value registered with `add_redaction`.

Beside this module: journal_rows (what a query returns), journal_scrub (the secret scrubbing),
journal_csv (export and reading back), journal_recovery (kinds of file trouble, names for new files),
journal_schema (tables and migrations).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from marginwatch.services import paths
from marginwatch.services.journal_csv import CSV_COLUMNS, read_csv, write_csv
from marginwatch.services.journal_recovery import Corrupt, beside, classify, move_aside, short
from marginwatch.services.journal_rows import TABLES, JournalRow, RowKind, row_from_columns
from marginwatch.services.journal_schema import SchemaTooNewError, migrate, symbols_column, symbols_of_positions
from marginwatch.services.journal_scrub import MIN_REDACTION_LEN, REDACTED, scrub_json, scrub_raw, scrub_text

if TYPE_CHECKING:
    from marginwatch.core.account_risk import AccountRisk
    from marginwatch.core.events import MarginCall
    from marginwatch.core.stream_health import StreamHealth
    from marginwatch.services.alert import Alert

log = logging.getLogger(__name__)

__all__ = ["CSV_COLUMNS", "REDACTED", "Journal", "JournalRow", "RowKind", "read_csv"]


# ----------------------------------------------------------------------------- payloads


def _plain(obj: Any) -> Any:
    """Event structs to JSON-ready values with readable attribute names, money as strings."""
    if isinstance(obj, msgspec.Struct):
        return {f: _plain(getattr(obj, f)) for f in obj.__struct_fields__}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    return obj


def _alert_symbols(raw: Any) -> list[str]:
    positions = getattr(raw, "positions", None)
    if positions is not None:
        return [s for s in (getattr(p, "symbol", None) for p in positions) if isinstance(s, str)]
    subject = getattr(raw, "subject", None)
    if isinstance(subject, str) and subject and subject != "account":
        return [subject.split()[0]]
    return []


def _epoch(t: float | datetime | None) -> float | None:
    return t.timestamp() if isinstance(t, datetime) else t


def _num(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


# ----------------------------------------------------------------------------- the journal


class Journal:
    """One writer's handle on the journal file. Every write is one short transaction."""

    def __init__(self, path: Path, busy_timeout_s: float, clock: Callable[[], float]) -> None:
        self.requested_path = path  # where the journal should be
        self.path: Path | None = path  # where it is now; None when held in memory
        self.problem: str | None = None
        self.on_problem: Callable[[str], None] | None = None
        self._busy_timeout_s = busy_timeout_s
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._redactions: set[str] = set()
        self._last_state: dict[tuple[str, str], tuple[str, str | None]] = {}

    @classmethod
    def open(
        cls, path: Path | None = None, *, busy_timeout_s: float = 2.0, clock: Callable[[], float] = time.time
    ) -> Journal:
        """Open (creating or migrating) the journal; never raises for a bad or busy file."""
        if path is None:
            try:
                path = paths.journal_path()
            except OSError:
                path = paths.data_dir(create=False) / paths.JOURNAL_FILENAME  # fails below, into memory
        else:
            path = Path(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                pass  # connecting fails next and says why
        journal = cls(path, busy_timeout_s, clock)
        with journal._lock:
            journal._conn = journal._open_recovering(journal.requested_path, None)
        return journal

    def __repr__(self) -> str:
        return f"<Journal {self.path or 'in memory'}{' problem' if self.problem else ''}>"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- opening and recovery

    def _connect(self, target: Path | None) -> sqlite3.Connection:
        conn = sqlite3.connect(
            ":memory:" if target is None else str(target),
            timeout=self._busy_timeout_s,
            isolation_level=None,  # autocommit; we BEGIN/COMMIT ourselves
            check_same_thread=False,  # guarded by self._lock
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # see the module docstring
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise Corrupt(str(check)[:200])
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_recovering(self, target: Path, failure: BaseException | None) -> sqlite3.Connection:
        """Connect to `target`; on trouble, set `problem` and fall back to a fresh file or memory."""
        if failure is None:
            try:
                self.path = target
                return self._connect(target)
            except (sqlite3.Error, OSError, SchemaTooNewError, Corrupt) as exc:
                failure = exc
        kind = classify(failure)
        fresh: Path | None = target
        if kind == "corrupt":
            try:
                aside = move_aside(target, "corrupt")
                message = (
                    f"The journal file {target.name} is damaged ({short(failure)}). It was moved aside as "
                    f"{aside.name} and a new journal was started."
                )
            except OSError as exc:
                fresh = beside(target, "new")
                message = (
                    f"The journal file {target.name} is damaged ({short(failure)}) and could not be moved "
                    f"aside ({exc.strerror}); a new journal {fresh.name} was started beside it."
                )
        elif kind in ("locked", "too_new"):
            fresh = beside(target, "while-locked" if kind == "locked" else "older-app")
            why = "is locked by another program" if kind == "locked" else "was written by a newer MarginWatch"
            message = f"The journal file {target.name} {why}; this run writes to {fresh.name} beside it."
        else:
            fresh = None
            message = f"The journal file {target} cannot be written ({short(failure)})."
        conn: sqlite3.Connection | None = None
        if fresh is not None:
            try:
                conn = self._connect(fresh)
                self.path = fresh
            except (sqlite3.Error, OSError, SchemaTooNewError, Corrupt) as exc:
                message += f" The new file failed too ({short(exc)})."
        if conn is None:
            conn = self._connect(None)
            self.path = None
            message += " History for this run is kept in memory only and will be lost on exit."
        self._report(message)
        return conn

    def _report(self, message: str) -> None:
        self.problem = message
        log.error("journal: %s", message)
        if self.on_problem is not None:
            self.on_problem(message)

    def _write(self, op: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `op` in one BEGIN IMMEDIATE … COMMIT; on a broken or busy file, recover and retry once."""
        with self._lock:
            for attempt in (1, 2):
                conn = self._live()
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = op(conn)
                        conn.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                        raise
                    return result
                except sqlite3.Error as exc:
                    if attempt == 2 or self.path is None or classify(exc) == "bug":
                        raise
                    log.warning("journal: write failed (%s); recovering", short(exc))
                    conn.close()
                    self._conn = None
                    self._conn = self._open_recovering(self.path, exc)
            raise AssertionError("unreachable")

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the journal is closed")
        return self._conn

    # -------------------------------------------------------------- scrubbing

    def add_redaction(self, value: str) -> None:
        """Never store `value` (an API key, say) in any text, even where no key name marks it."""
        if len(value) >= MIN_REDACTION_LEN:
            with self._lock:
                self._redactions.add(value)

    def _text(self, text: str | None) -> str | None:
        return scrub_text(text, self._redactions)

    def _raw(self, raw: bytes | str) -> str:
        return scrub_raw(raw, self._redactions)

    def _json(self, obj: Any) -> str:
        return scrub_json(obj, self._redactions)

    # -------------------------------------------------------------- writes

    def record_margin_call(
        self,
        account: str,
        raw: bytes | str,
        parsed: Mapping[str, Any],
        event_time: int,
        dedupe_key: str,
        *,
        received_at: float | None = None,
    ) -> bool:
        """Store a MARGIN_CALL as received. False when this dedupe key is already stored (a replay)."""
        positions = parsed.get("positions", parsed.get("p"))
        row = (
            account,
            int(event_time),
            self._clock() if received_at is None else received_at,
            self._raw(raw),
            self._json(parsed),
            dedupe_key,
            symbols_column(symbols_of_positions(positions)),
        )

        def op(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT INTO margin_calls (account, event_time, received_at, raw, parsed, dedupe_key, symbols)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
                row,
            )
            return cur.rowcount == 1

        return bool(self._write(op))

    def record_margin_call_event(
        self, account: str, event: MarginCall, raw: bytes | str | None = None, dedupe_key: str | None = None
    ) -> bool:
        """Convenience for a decoded event; `raw` defaults to its exact wire encoding."""
        from marginwatch.core.events import encode_event  # core import kept off the module's load path

        symbols = ", ".join(p.symbol for p in event.positions) or "?"
        return self.record_margin_call(
            account,
            encode_event(event) if raw is None else raw,
            _plain(event),
            event.event_time,
            dedupe_key or f"mc:{account}:{event.event_time}:{symbols}",
        )

    def record_alert(self, alert: Alert) -> int | None:
        """Store an alert before it is shown; its row id, or None when its dedupe key is already stored."""
        row = (
            alert.account,
            str(alert.kind.value if isinstance(alert.kind, Enum) else alert.kind),
            alert.tier.name.lower() if isinstance(alert.tier, Enum) else str(alert.tier),
            self._text(alert.title) or "",
            self._text(alert.body) or "",
            float(alert.created_at),
            alert.dedupe_key,
            symbols_column(_alert_symbols(alert.raw)),
        )

        def op(conn: sqlite3.Connection) -> int | None:
            cur = conn.execute(
                "INSERT INTO alerts (account, kind, tier, title, body, created_at, dedupe_key, symbols)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
                row,
            )
            return cur.lastrowid if cur.rowcount == 1 else None

        result: int | None = self._write(op)
        return result

    def mark_delivered(self, alert_id: int, channel: str) -> bool:
        """Note how an alert reached the user; several channels accumulate ("tray,sound")."""
        at = self._clock()

        def op(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE alerts SET delivered_at = ?,"
                " channel = CASE WHEN channel IS NULL OR channel = '' THEN ? ELSE channel || ',' || ? END"
                " WHERE id = ?",
                (at, channel, channel, alert_id),
            )
            return cur.rowcount == 1

        return bool(self._write(op))

    def record_connection(self, account: str, health: StreamHealth, *, at: float | None = None) -> bool:
        """Store a stream's state when it changed since the last one stored; True when stored."""
        key = (account, health.name)
        state = (str(health.state.value), self._text(health.reason))
        with self._lock:
            if self._last_state.get(key) == state:
                return False
            row = (account, health.name, state[0], state[1], self._clock() if at is None else at)
            self._write(
                lambda conn: conn.execute(
                    "INSERT INTO connection_events (account, stream, state, reason, at) VALUES (?, ?, ?, ?, ?)", row
                )
            )
            self._last_state[key] = state
            return True

    def record_snapshot(self, account: str, risk: AccountRisk, *, at: float | None = None) -> int:
        """Store the account's figures now (the caller rate-limits); returns the row id."""
        positions = [
            {
                "symbol": pr.position.symbol,
                "side": pr.position.position_side.value,
                "margin_type": pr.position.margin_type.value,
                "amount": str(pr.position.amount),
                "entry_price": str(pr.position.entry_price),
                "mark_price": str(pr.position.mark_price),
                "notional": str(pr.notional),
                "unrealized_pnl": str(pr.unrealized_pnl),
                "maint_margin": _num(pr.maint_margin),
                "margin_ratio": _num(pr.margin_ratio),
                "liquidation_price": _num(pr.liquidation_price),
                "distance_pct": _num(pr.distance_pct),
            }
            for pr in risk.positions
        ]
        row = (
            account,
            self._clock() if at is None else at,
            str(risk.wallet_balance),
            str(risk.margin_balance),
            str(risk.maint_margin),
            _num(risk.margin_ratio),
            self._json(positions),
            symbols_column([pr.position.symbol for pr in risk.positions]),
        )

        def op(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO account_snapshots (account, at, wallet, margin_balance, maint_margin, margin_ratio,"
                " positions, symbols) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid or 0)

        result: int = self._write(op)
        return result

    def prune(self, keep_days: int = 30, *, now: float | None = None) -> int:
        """Delete snapshots and connection events older than `keep_days`; margin calls and alerts stay.

        Returns the number of rows deleted.
        """
        cutoff = (self._clock() if now is None else now) - keep_days * 86400

        def op(conn: sqlite3.Connection) -> int:
            a = conn.execute("DELETE FROM account_snapshots WHERE at < ?", (cutoff,)).rowcount
            b = conn.execute("DELETE FROM connection_events WHERE at < ?", (cutoff,)).rowcount
            return a + b

        deleted: int = self._write(op)
        return deleted

    # -------------------------------------------------------------- reads

    def query(
        self,
        kind: RowKind | str | None = None,
        account: str | None = None,
        symbol: str | None = None,
        since: float | datetime | None = None,
        until: float | datetime | None = None,
        limit: int | None = 1000,
    ) -> list[JournalRow]:
        """Newest first; `since` inclusive, `until` exclusive; `limit=None` for everything."""
        kinds = list(RowKind) if kind is None else [RowKind(kind)]
        start, end = _epoch(since), _epoch(until)
        rows: list[JournalRow] = []
        with self._lock:
            conn = self._live()
            for k in kinds:
                table, time_col, has_symbols = TABLES[k]
                if symbol and not has_symbols:
                    continue
                where, args = [], []
                for cond, value in (
                    ("account = ?", account),
                    ("instr(symbols, ?) > 0", f" {symbol} " if symbol else None),
                    (f"{time_col} >= ?", start),
                    (f"{time_col} < ?", end),
                ):
                    if value is not None:
                        where.append(cond)
                        args.append(value)
                sql = f"SELECT * FROM {table}"
                if where:
                    sql += " WHERE " + " AND ".join(where)
                sql += f" ORDER BY {time_col} DESC, id DESC"
                if limit is not None:
                    sql += f" LIMIT {int(limit)}"
                cur = conn.execute(sql, args)
                names = [d[0] for d in cur.description]
                rows.extend(row_from_columns(k, dict(zip(names, r, strict=True))) for r in cur.fetchall())
        rows.sort(key=lambda r: (r.at, r.id), reverse=True)
        return rows if limit is None else rows[:limit]

    def export_csv(self, path: Path, **filters: Any) -> int:
        """Write the rows `query(**filters)` finds (all of them unless `limit` is given); returns the count."""
        filters.setdefault("limit", None)
        return write_csv(path, self.query(**filters))

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close; safe to call twice."""
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.warning("journal: checkpoint on close failed (%s)", short(exc))
            self._conn.close()
            self._conn = None
