"""The journal: margin calls as received, alerts and their delivery, connection changes and
account snapshots, in one SQLite file that survives crashes and never stops the app.

Durability: WAL mode with `synchronous=NORMAL`. A commit is in the WAL file (the OS's page
cache) before the call returns, so a committed margin call or alert survives the app crashing or
being killed at any later point — the guarantee "journalled before notified" needs. What NORMAL
gives up against FULL is only the last commits before an OS crash or power cut (the WAL is
fsynced at checkpoints, not per commit); the database itself stays consistent. FULL's fsync per
commit cost ~4-5 ms p99 (120 ms max) on the GUI thread in front of every notification, more than
the whole alert-latency budget (bench/alert_latency.py).

Trouble never raises into the app, and never holds up an alert: a write waits at most
WRITE_WAIT_S for another process's lock. A row the file cannot take at once (locked, disk full,
unwritable) is kept in a spool, shown by `query` with the rest, and merged into the file by the
next write or the retry timer once it can take it; `state` / `state_changed` say meanwhile what
waits and why. At start-up a damaged file is moved aside and a new one started, a file locked by
another program gets a side file whose rows are merged in when it is free (by this run or the
next), and an unwritable location falls back to memory; each case sets `problem` (plain words)
and is logged. The files are created 0600: they hold the account's history.
Secrets are never stored: `signature`, `apiKey`, `secret` values are scrubbed from payloads and
texts, and so is any value registered with `add_redaction`.

Beside this module: journal_rows (what a query returns), journal_scrub (the secret scrubbing),
journal_csv (export and reading back), journal_recovery (kinds of file trouble, names for new files),
journal_schema (tables and migrations), journal_spool (rows waiting, merging), journal_state;
risk_history_store writes and reads its risk samples through `insert_rows`, `tidy` and `read_each`.
"""

from __future__ import annotations

import itertools
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from marginwatch.services import paths
from marginwatch.services.journal_csv import CSV_COLUMNS, read_csv, write_csv
from marginwatch.services.journal_recovery import Corrupt, beside, classify, make_private, move_aside, short
from marginwatch.services.journal_rows import TABLES, JournalRow, RowKind, row_from_columns
from marginwatch.services.journal_schema import SchemaTooNewError, migrate, symbols_column, symbols_of_positions
from marginwatch.services.journal_scrub import MIN_REDACTION_LEN, REDACTED, scrub_json, scrub_raw, scrub_text
from marginwatch.services.journal_spool import DELIVERED_SQL, Spool, insert_row, merge
from marginwatch.services.journal_state import JournalHealth, JournalState, recovered_reason, waiting_reason

if TYPE_CHECKING:
    from marginwatch.core.account_risk import AccountRisk
    from marginwatch.core.events import MarginCall
    from marginwatch.core.stream_health import StreamHealth
    from marginwatch.services.alert import Alert

log = logging.getLogger(__name__)
_T = TypeVar("_T")

__all__ = ["CSV_COLUMNS", "REDACTED", "Journal", "JournalHealth", "JournalRow", "JournalState", "RowKind", "read_csv"]


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

WRITE_WAIT_S = 0.01  # a write waits this long for another process's lock, then its row is spooled
RETRY_S = 5.0  # how often spooled rows are offered to the journal file again
_SIDE_LABELS = ("while-locked", "pending")  # side files whose rows belong in the journal file
_FILE_TROUBLE = (sqlite3.Error, OSError, SchemaTooNewError, Corrupt)
_HEALTH = {"locked": JournalHealth.LOCKED, "full": JournalHealth.DISK_FULL}


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


def _remove(target: Path) -> None:
    for ext in ("", "-wal", "-shm"):
        Path(f"{target}{ext}").unlink(missing_ok=True)


class Journal(QObject):
    """One writer's handle on the journal file. Every write is one short transaction."""

    state_changed = Signal(object)  # JournalState, each time its health changes

    def __init__(
        self,
        path: Path,
        busy_timeout_s: float,
        clock: Callable[[], float],
        *,
        write_wait_s: float = WRITE_WAIT_S,
        retry_s: float = RETRY_S,
    ) -> None:
        super().__init__()
        self.requested_path = path  # where the journal should be
        self.problem: str | None = None
        self.on_problem: Callable[[str], None] | None = None
        self._busy_timeout_s = busy_timeout_s  # opening at start-up and closing may wait this long
        self._write_wait_s = write_wait_s
        self._retry_s = retry_s
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None  # None while the file was locked since start-up
        self._home: Path | None = path  # the file `_conn` is on; None when held in memory
        self._closed = False
        self._spool: Spool | None = None
        self._spool_ids = itertools.count(-1, -1)  # never reused, so merged ids stay unambiguous
        self._merged_ids: dict[int, int] = {}  # spooled alert id -> its id in the file
        self._health = JournalHealth.OK
        self._announced = JournalHealth.OK
        self._detail = ""
        self._reason = ""
        self._last_try = -math.inf
        self._retry_timer: QTimer | None = None
        self._redactions: set[str] = set()
        self._last_state: dict[tuple[str, str], tuple[str, str | None]] = {}

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        busy_timeout_s: float = 2.0,
        clock: Callable[[], float] = time.time,
        write_wait_s: float = WRITE_WAIT_S,
        retry_s: float = RETRY_S,
    ) -> Journal:
        """Open (creating or migrating) the journal; never raises for a bad or busy file.

        Rows that side files of an earlier run kept (the file was locked, or could not be written at
        exit) are merged in.
        """
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
        journal = cls(path, busy_timeout_s, clock, write_wait_s=write_wait_s, retry_s=retry_s)
        with journal._lock:
            journal._start()
        return journal

    @property
    def path(self) -> Path | None:
        """Where new rows go now: the journal file, a side file, or None when held in memory."""
        if self._spool is not None and (self._spool.path is not None or self._conn is None):
            return self._spool.path
        return self._home

    @property
    def state(self) -> JournalState:
        """Whether every row is in the journal file; if not, why and how many wait."""
        with self._lock:
            if self._health is JournalHealth.OK:
                return JournalState(JournalHealth.OK, self._reason)
            spool = self._spool
            waiting = spool.rows if spool is not None else 0
            side = spool.path if spool is not None else None
            reason = waiting_reason(self._health, self.requested_path, waiting, side, self._detail)
            return JournalState(self._health, reason, waiting)

    def __repr__(self) -> str:
        return f"<Journal {self.path or 'in memory'}{' problem' if self.problem else ''}>"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- opening and recovery

    def _connect(self, target: Path | None, wait_s: float) -> sqlite3.Connection:
        if target is not None:
            make_private(target)  # before SQLite creates it (and its -wal/-shm) world-readable
        conn = sqlite3.connect(
            ":memory:" if target is None else str(target),
            timeout=wait_s,
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
            conn.execute(f"PRAGMA busy_timeout = {_ms(self._write_wait_s)}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _start(self) -> None:
        target = self.requested_path
        try:
            self._conn = self._connect(target, self._busy_timeout_s)
        except _FILE_TROUBLE as exc:
            if classify(exc) == "locked":
                self._start_locked(target, exc)
                return
            self._conn = self._open_recovering(target, exc)
        if self._home == target:
            self._merge_side_files(self._busy_timeout_s)

    def _start_locked(self, target: Path, failure: BaseException) -> None:
        """Another program holds the file: spool to a side file, merged in when the file is free."""
        side = beside(target, "while-locked")
        try:
            self._spool = Spool(self._connect(side, self._busy_timeout_s), side, self._spool_ids)
            message = (
                f"The journal file {target.name} is locked by another program; this run writes to {side.name} "
                "beside it, and its rows are merged into the journal when the file is free."
            )
        except _FILE_TROUBLE as exc:
            self._spool = Spool.in_memory(self._spool_ids)
            message = (
                f"The journal file {target.name} is locked by another program, and a side file failed too "
                f"({short(exc)}); this run's rows are kept in memory until the file is free."
            )
        self._health, self._detail = JournalHealth.LOCKED, short(failure)
        self._report(message)
        self._announce()
        self._arm_retry()

    def _open_recovering(self, target: Path, failure: BaseException) -> sqlite3.Connection:
        """After `failure` on `target`: set `problem` and fall back to a fresh file or memory."""
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
        elif kind == "too_new":
            fresh = beside(target, "older-app")
            message = (
                f"The journal file {target.name} was written by a newer MarginWatch; this run writes to "
                f"{fresh.name} beside it."
            )
        else:
            fresh = None
            message = f"The journal file {target} cannot be written ({short(failure)})."
        conn: sqlite3.Connection | None = None
        if fresh is not None:
            try:
                conn = self._connect(fresh, self._busy_timeout_s)
                self._home = fresh
            except _FILE_TROUBLE as exc:
                message += f" The new file failed too ({short(exc)})."
        if conn is None:
            conn = self._connect(None, self._busy_timeout_s)
            self._home = None
            message += " History for this run is kept in memory only and will be lost on exit."
        self._report(message)
        return conn

    def _report(self, message: str) -> None:
        self.problem = message
        log.error("journal: %s", message)
        if self.on_problem is not None:
            self.on_problem(message)

    def _merge_side_files(self, wait_s: float) -> None:
        """Merge rows an earlier run kept in side files into the journal file, waiting up to `wait_s`
        for its lock; a side file that cannot be merged now is left for the next start."""
        target, conn = self.requested_path, self._conn
        assert conn is not None
        own = self._spool.path if self._spool is not None else None
        conn.execute(f"PRAGMA busy_timeout = {_ms(wait_s)}")
        try:
            self._merge_side_files_into(conn, target, own)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {_ms(self._write_wait_s)}")

    def _merge_side_files_into(self, conn: sqlite3.Connection, target: Path, own: Path | None) -> None:
        for label in _SIDE_LABELS:
            for side in sorted(target.parent.glob(f"{target.stem}.{label}-*{target.suffix}")):
                if side == own:
                    continue
                try:
                    source = self._connect(side, self._write_wait_s)
                except _FILE_TROUBLE as exc:
                    log.warning("journal: side file %s left as it is (%s)", side.name, short(exc))
                    continue
                try:
                    moved, _ = merge(source, conn)
                except sqlite3.Error as exc:
                    log.warning("journal: side file %s not merged yet (%s)", side.name, short(exc))
                    continue
                finally:
                    source.close()
                _remove(side)
                log.info("journal: merged %d rows from %s into %s", moved, side.name, target.name)

    # -------------------------------------------------------------- writing, spooling, retrying

    def _write(self, op: Callable[[sqlite3.Connection], Any], spooled: Callable[[Spool], Any] | None) -> Any:
        """Run `op` in one BEGIN IMMEDIATE … COMMIT on the journal file. When the file cannot take it
        at once (locked, full, unwritable), `spooled` keeps the row aside instead and it is written
        later; `spooled=None` skips the write (and returns None). A damaged file is replaced once."""
        with self._lock:
            self._check_open()
            if self._spool is not None and self._conn is not None and self._due():
                self._flush(0.0)  # the next write is the first chance to write what waits
            if self._spool is None:
                conn = self._conn
                assert conn is not None
                try:
                    return self._commit(conn, op)
                except sqlite3.Error as exc:
                    kind = classify(exc)
                    if kind == "bug" or self._home is None:
                        raise
                    if kind == "corrupt":
                        log.warning("journal: write failed (%s); recovering", short(exc))
                        conn.close()
                        self._conn = None
                        self._conn = self._open_recovering(self._home, exc)
                        return self._commit(self._conn, op)
                    if spooled is None:
                        log.info("journal: a write that can wait was skipped (%s)", short(exc))
                        return None
                    self._begin_spool(kind, exc)
            if spooled is None:
                return None
            assert self._spool is not None
            try:
                return spooled(self._spool)
            finally:
                self._announce()

    @staticmethod
    def _commit(conn: sqlite3.Connection, op: Callable[[sqlite3.Connection], Any]) -> Any:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = op(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _begin_spool(self, kind: str, exc: sqlite3.Error) -> None:
        self._spool = Spool.in_memory(self._spool_ids)
        self._health, self._detail = _HEALTH.get(kind, JournalHealth.UNWRITABLE), short(exc)
        self._last_try = time.monotonic()
        self._arm_retry()

    def _due(self) -> bool:
        return time.monotonic() - self._last_try >= self._retry_s

    def _in_file(self, table: str, dedupe_key: str) -> bool:
        """Whether the journal file holds this key already (it can be read while another process writes)."""
        if self._conn is None:
            return False
        try:
            found = self._conn.execute(f"SELECT 1 FROM {table} WHERE dedupe_key = ?", (dedupe_key,)).fetchone()
        except sqlite3.Error:
            return False  # unknown: keep the row; merging drops it if it was a replay
        return found is not None

    def _flush(self, wait_s: float) -> bool:
        """Merge the spool into the journal file; True when nothing waits any more."""
        spool, conn = self._spool, self._conn
        assert spool is not None and conn is not None
        self._last_try = time.monotonic()
        try:
            conn.execute(f"PRAGMA busy_timeout = {_ms(wait_s)}")
            moved, ids = merge(spool.conn, conn)
        except sqlite3.Error as exc:
            kind = classify(exc)
            if kind == "bug":
                log.error("journal: the waiting rows could not be merged (%s)", short(exc))
            else:
                self._health, self._detail = _HEALTH.get(kind, JournalHealth.UNWRITABLE), short(exc)
                self._announce()
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {_ms(self._write_wait_s)}")
        self._merged_ids.update(ids)
        spool.close()
        if spool.path is not None:
            _remove(spool.path)
        self._spool = None
        self._stop_retry()
        log.info("journal: %d waiting rows merged into %s (%d new)", spool.rows, self._home, moved)
        self._health, self._reason = JournalHealth.OK, recovered_reason(self.requested_path, spool.rows)
        self._announce()
        return True

    def _reopen(self, wait_s: float) -> bool:
        """Try the journal file again after it was locked at start-up; True when it is open."""
        try:
            self._conn = self._connect(self.requested_path, wait_s)
        except _FILE_TROUBLE as exc:
            log.info("journal: %s still unavailable (%s)", self.requested_path.name, short(exc))
            return False
        self._home = self.requested_path
        self._merge_side_files(wait_s)
        return True

    def retry(self) -> bool:
        """Offer what waits to the journal file now (the retry timer does this every `retry_s`);
        True when every row is in the file."""
        with self._lock:
            if self._closed or self._spool is None:
                return not self._closed
            if self._conn is None and not self._reopen(self._write_wait_s):
                return False
            return self._flush(self._write_wait_s)

    def _on_retry_timer(self) -> None:
        try:
            self.retry()
        except Exception:
            log.exception("journal: retrying the waiting rows failed")

    def _arm_retry(self) -> None:
        if QCoreApplication.instance() is None:
            return  # no event loop to run a timer: the next write retries
        if self._retry_timer is None:
            self._retry_timer = QTimer(self)
            self._retry_timer.setInterval(_ms(self._retry_s))
            self._retry_timer.timeout.connect(self._on_retry_timer)
        self._retry_timer.start()

    def _stop_retry(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()

    def _announce(self) -> None:
        """Say a change of health once: log it and emit `state_changed`."""
        if self._health is self._announced:
            return
        self._announced = self._health
        state = self.state
        (log.warning if state.degraded else log.info)("journal: %s", state.reason)
        self.state_changed.emit(state)

    def _keep_for_next_run(self) -> None:
        """At exit, rows still waiting in memory go to a side file that the next start merges."""
        spool = self._spool
        assert spool is not None
        self._spool = None
        try:
            if spool.path is not None:
                log.warning("journal: %d rows stay in %s until the next start", spool.rows, spool.path.name)
                return
            side = beside(self.requested_path, "pending")
            try:
                make_private(side)
                with closing(sqlite3.connect(side)) as conn:
                    spool.conn.backup(conn)  # as it is: its ids and noted deliveries mean the same next time
            except _FILE_TROUBLE as exc:
                log.error("journal: %d waiting rows could not be kept and are lost (%s)", spool.rows, short(exc))
                return
            log.warning("journal: %d waiting rows kept in %s until the next start", spool.rows, side.name)
        finally:
            spool.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the journal is closed")

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

    def _insert(self, table: str, cols: dict[str, Any]) -> int | None:
        """One row into the file, or the spool while the file cannot take it; None for a stored dedupe key."""

        def spooled(spool: Spool) -> int | None:
            key = cols.get("dedupe_key")
            if isinstance(key, str) and self._in_file(table, key):
                return None
            return spool.insert(table, cols)

        result: int | None = self._write(lambda conn: insert_row(conn, table, cols), spooled)
        return result

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
        row = {
            "account": account,
            "event_time": int(event_time),
            "received_at": self._clock() if received_at is None else received_at,
            "raw": self._raw(raw),
            "parsed": self._json(parsed),
            "dedupe_key": dedupe_key,
            "symbols": symbols_column(symbols_of_positions(positions)),
        }
        return self._insert("margin_calls", row) is not None

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
        """Store an alert before it is shown; its row id, or None when its dedupe key is already stored.

        The id is negative while the row waits to be written to the file; `mark_delivered` takes either.
        """
        row = {
            "account": alert.account,
            "kind": str(alert.kind.value if isinstance(alert.kind, Enum) else alert.kind),
            "tier": alert.tier.name.lower() if isinstance(alert.tier, Enum) else str(alert.tier),
            "title": self._text(alert.title) or "",
            "body": self._text(alert.body) or "",
            "created_at": float(alert.created_at),
            "dedupe_key": alert.dedupe_key,
            "symbols": symbols_column(_alert_symbols(alert.raw)),
        }
        return self._insert("alerts", row)

    def mark_delivered(self, alert_id: int, channel: str) -> bool:
        """Note how an alert reached the user; several channels accumulate ("tray,sound")."""
        at = self._clock()
        with self._lock:
            self._check_open()
            if alert_id < 0:
                if self._spool is not None and self._spool.mark_delivered(alert_id, channel, at):
                    return True
                merged = self._merged_ids.get(alert_id)
                if merged is None:
                    return False
                alert_id = merged

            def spooled(spool: Spool) -> bool:
                spool.note_delivery(alert_id, channel, at)
                return True

            return bool(
                self._write(lambda conn: conn.execute(DELIVERED_SQL, (at, channel, channel, alert_id)).rowcount == 1,
                            spooled)
            )

    def record_delivery(
        self, dedupe_key: str, channel: str, state: str, *, reason: str = "", attempts: int = 0, alert_at: float
    ) -> None:
        """Set where forwarding `dedupe_key` to `channel` stands (queued, sent, failed, skipped)."""
        row = (dedupe_key, channel, state, self._text(reason) or "", attempts, alert_at, self._clock())
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO deliveries (dedupe_key, channel, state, reason, attempts, alert_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key, channel) DO UPDATE SET"
                " state = excluded.state, reason = excluded.reason, attempts = excluded.attempts,"
                " updated_at = excluded.updated_at",
                row,
            ),
            None,  # a status the file cannot take now is skipped: the forwarder holds it for this run
        )

    def deliveries(self, dedupe_key: str | None = None) -> list[dict[str, Any]]:
        """Forwarding rows, oldest first; all of them or those of one alert."""
        sql = "SELECT * FROM deliveries" + (" WHERE dedupe_key = ?" if dedupe_key is not None else "")
        with self._lock:
            self._check_open()
            if self._conn is None:
                return []
            cur = self._conn.execute(sql + " ORDER BY id", () if dedupe_key is None else (dedupe_key,))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def record_connection(self, account: str, health: StreamHealth, *, at: float | None = None) -> bool:
        """Store a stream's state when it changed since the last one stored; True when stored."""
        key = (account, health.name)
        state = (str(health.state.value), self._text(health.reason))
        with self._lock:
            if self._last_state.get(key) == state:
                return False
            row = {
                "account": account,
                "stream": health.name,
                "state": state[0],
                "reason": state[1],
                "at": self._clock() if at is None else at,
            }
            self._insert("connection_events", row)
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
        row = {
            "account": account,
            "at": self._clock() if at is None else at,
            "wallet": str(risk.wallet_balance),
            "margin_balance": str(risk.margin_balance),
            "maint_margin": str(risk.maint_margin),
            "margin_ratio": _num(risk.margin_ratio),
            "positions": self._json(positions),
            "symbols": symbols_column([pr.position.symbol for pr in risk.positions]),
        }
        return int(self._insert("account_snapshots", row) or 0)

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Several rows of `table` in one transaction, kept aside like any row while the file cannot take them."""

        def op(conn: sqlite3.Connection) -> None:
            for row in rows:
                insert_row(conn, table, row)

        def spooled(spool: Spool) -> None:
            for row in rows:
                spool.insert(table, row)

        self._write(op, spooled)

    def tidy(self, op: Callable[[sqlite3.Connection], _T]) -> _T | None:
        """Run `op` on the file in one transaction; skipped (None) while the file cannot take writes."""
        result: _T | None = self._write(op, None)
        return result

    def read_each(self, op: Callable[[sqlite3.Connection], list[_T]]) -> list[_T]:
        """`op` on the file and on the rows waiting for it (the history is the run's, whole)."""
        with self._lock:
            self._check_open()
            sources = [self._conn, self._spool.conn if self._spool is not None else None]
            return [item for conn in sources if conn is not None for item in op(conn)]

    def prune(self, keep_days: int = 30, *, now: float | None = None) -> int:
        """Delete snapshots, connection events and risk samples older than `keep_days`; margin calls
        and alerts stay.

        Returns the number of rows deleted (0 when the file cannot be written now: the next start prunes).
        """
        cutoff = (self._clock() if now is None else now) - keep_days * 86400

        def op(conn: sqlite3.Connection) -> int:
            a = conn.execute("DELETE FROM account_snapshots WHERE at < ?", (cutoff,)).rowcount
            b = conn.execute("DELETE FROM connection_events WHERE at < ?", (cutoff,)).rowcount
            c = conn.execute("DELETE FROM risk_samples WHERE at < ?", (cutoff,)).rowcount
            return a + b + c

        deleted: int | None = self._write(op, None)
        return deleted or 0

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
            self._check_open()
            # The file's rows and those waiting to be written to it: the history is the run's, whole.
            sources = [self._conn, self._spool.conn if self._spool is not None else None]
            for conn, k in ((c, k) for c in sources if c is not None for k in kinds):
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
        """Write what waits (waiting up to `busy_timeout_s`; what still cannot be written goes to a side
        file the next start merges), checkpoint the WAL into the main file and close; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            if self._spool is not None:
                if self._conn is not None or self._reopen(self._busy_timeout_s):
                    self._flush(self._busy_timeout_s)
                if self._spool is not None:
                    self._keep_for_next_run()
            self._stop_retry()
            self._closed = True
            if self._conn is None:
                return
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.warning("journal: checkpoint on close failed (%s)", short(exc))
            self._conn.close()
            self._conn = None
