"""Risk samples in the journal's `risk_samples` table: what a sample row holds, how older rows are
folded into coarser ones, and how a series is read back.

Resolutions: raw samples (every 10 s by default) are kept RAW_KEEP_S, then folded into one row a
minute, which is kept MINUTE_KEEP_S, then into one row per ten minutes until the journal prunes
them. A folded row keeps the worst of what it replaces (highest margin ratio, smallest distance):
a spike toward liquidation must still show on the week's chart, not be averaged away. The mark is
the average. Bucket edges are aligned to the bucket width, so a bucket is never folded twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marginwatch.core.account_risk import AccountRisk

TABLE = "risk_samples"
ACCOUNT_SYMBOL = ""  # the symbol of the account's own series
RAW_KEEP_S = 2 * 3600.0
MINUTE_S = 60.0
MINUTE_KEEP_S = 2 * 86400.0
TEN_MINUTES_S = 600.0
# (level folded, kept this long before folding, width of the bucket it is folded into)
_FOLDS = ((0, RAW_KEEP_S, MINUTE_S), (1, MINUTE_KEEP_S, TEN_MINUTES_S))


@dataclass(frozen=True, slots=True)
class RiskSample:
    """One point of a series; None where the figure could not be computed at that time."""

    at: float
    margin_ratio: float | None
    distance_pct: float | None
    mark: float | None
    level: int = 0


SeriesKey = tuple[str, str, str]  # account, symbol ('' for the account), side ('' for the account)


def _f(value: Decimal | None) -> float | None:
    return None if value is None or not value.is_finite() else float(value)


def sample_rows(account: str, risk: AccountRisk, at: float) -> list[dict[str, Any]]:
    """The rows one sample of `account` adds: one per open position and one for the account, whose
    distance is its nearest position's."""
    rows: list[dict[str, Any]] = []
    distances: list[float] = []
    for pr in risk.positions:
        p = pr.position
        if not p.is_open:
            continue
        distance = _f(pr.distance_pct)
        if distance is not None:
            distances.append(distance)
        rows.append({
            "account": account, "symbol": p.symbol, "side": str(p.position_side), "at": at,
            "margin_ratio": _f(pr.margin_ratio), "distance_pct": distance, "mark": _f(p.mark_price),
        })
    rows.append({
        "account": account, "symbol": ACCOUNT_SYMBOL, "side": "", "at": at,
        "margin_ratio": _f(risk.margin_ratio), "distance_pct": min(distances, default=None), "mark": None,
    })
    return rows


def fold(conn: sqlite3.Connection, now: float) -> int:
    """Fold rows older than their resolution's keep into coarser ones; returns the rows removed
    (net of those added). Runs inside the caller's transaction."""
    removed = 0
    for level, keep, width in _FOLDS:
        edge = ((now - keep) // width) * width  # whole buckets only
        conn.execute(
            f"INSERT INTO {TABLE} (account, symbol, side, at, level, margin_ratio, distance_pct, mark)"
            " SELECT account, symbol, side, (CAST(at / ? AS INTEGER)) * ? AS bucket, ?,"
            " MAX(margin_ratio), MIN(distance_pct), AVG(mark)"
            f" FROM {TABLE} WHERE level = ? AND at < ? GROUP BY account, symbol, side, bucket",
            (width, width, level + 1, level, edge),
        )
        added = conn.execute("SELECT changes()").fetchone()[0]
        gone = conn.execute(f"DELETE FROM {TABLE} WHERE level = ? AND at < ?", (level, edge)).rowcount
        removed += gone - int(added)
    return removed


def read_series(
    conn: sqlite3.Connection, key: SeriesKey, since: float, until: float | None = None
) -> list[RiskSample]:
    """One series' samples in [since, until), oldest first, whatever their resolution."""
    account, symbol, side = key
    sql = (f"SELECT at, margin_ratio, distance_pct, mark, level FROM {TABLE}"
           " WHERE account = ? AND symbol = ? AND side = ? AND at >= ?")
    args: list[Any] = [account, symbol, side, since]
    if until is not None:
        sql += " AND at < ?"
        args.append(until)
    return [RiskSample(float(a), r, d, m, int(lv)) for a, r, d, m, lv in conn.execute(sql + " ORDER BY at", args)]


def read_keys(conn: sqlite3.Connection, since: float) -> list[SeriesKey]:
    """The series with a sample since `since`."""
    return [(str(a), str(s), str(d)) for a, s, d in conn.execute(
        f"SELECT DISTINCT account, symbol, side FROM {TABLE} WHERE at >= ?", (since,))]


def merged(parts: Iterable[RiskSample]) -> list[RiskSample]:
    """Samples from the file and from rows waiting for it, as one series, oldest first."""
    return sorted(parts, key=lambda s: s.at)


def stored_bytes(conn: sqlite3.Connection) -> int:
    """Bytes the table and its indexes take in the file (dbstat), or -1 where SQLite lacks it."""
    try:
        row = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = ? OR name LIKE ?", (TABLE, f"{TABLE}_%")
        ).fetchone()
    except sqlite3.Error:
        return -1
    return int(row[0] or 0)
