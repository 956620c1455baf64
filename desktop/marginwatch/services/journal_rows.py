"""What the journal hands back: one `JournalRow` per stored entry, whatever its table, with a
one-line English summary for a table cell. Also which table and time column hold each kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class RowKind(StrEnum):
    MARGIN_CALL = "margin_call"
    ALERT = "alert"
    CONNECTION = "connection"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One history entry, whatever its table; `data` holds the table's other columns."""

    kind: RowKind
    id: int
    account: str
    at: float  # wall-clock seconds
    symbols: tuple[str, ...]
    summary: str  # one English line for a table cell
    data: dict[str, Any]


# kind -> (table, time column, has a symbols column)
TABLES: dict[RowKind, tuple[str, str, bool]] = {
    RowKind.MARGIN_CALL: ("margin_calls", "received_at", True),
    RowKind.ALERT: ("alerts", "created_at", True),
    RowKind.CONNECTION: ("connection_events", "at", False),
    RowKind.SNAPSHOT: ("account_snapshots", "at", True),
}


def row_from_columns(kind: RowKind, cols: dict[str, Any]) -> JournalRow:
    """A row of `kind`'s table (column name -> value) as a JournalRow; `cols` is consumed."""
    _, time_col, _ = TABLES[kind]
    row_id, account, at = cols.pop("id"), cols.pop("account"), cols.pop(time_col)
    symbols = tuple(str(cols.pop("symbols", "") or "").split())
    for json_col in ("parsed", "positions"):
        if json_col in cols:
            try:
                cols[json_col] = json.loads(cols[json_col])
            except (TypeError, ValueError):
                pass  # keep the stored text
    if kind is RowKind.MARGIN_CALL:
        summary = f"Margin call: {', '.join(symbols) or '?'}"
    elif kind is RowKind.ALERT:
        summary = str(cols["title"])
    elif kind is RowKind.CONNECTION:
        summary = f"{cols['stream']} stream {cols['state']}" + (f": {cols['reason']}" if cols["reason"] else "")
    else:
        summary = f"margin ratio {cols['margin_ratio'] or '--'}, margin balance {cols['margin_balance']}"
    return JournalRow(kind, int(row_id), str(account), float(at), symbols, summary, cols)
