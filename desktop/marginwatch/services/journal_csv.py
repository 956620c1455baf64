"""The journal's CSV export and reading it back (`Journal.export_csv` writes, `read_csv` reads).

Text cells a spreadsheet would run as a formula (starting with = + - @, tab, CR or LF) are written
with a leading `'` (OWASP's advice against CSV injection), and so is a text cell that starts
with `'` itself, so that `read_csv` can take exactly one off and get the text back. Numeric cells
(`id`, `at`) are written as numbers, negative ones too.
"""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING

from marginwatch.services.journal_rows import JournalRow, RowKind

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

CSV_COLUMNS = ("kind", "id", "account", "at", "symbols", "summary", "data")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "'")


def _text(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _untext(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def write_csv(path: Path, rows: Sequence[JournalRow]) -> int:
    """Write `rows` to `path`; returns how many."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:  # BOM: spreadsheets then read UTF-8
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    _text(r.kind.value),
                    r.id,
                    _text(r.account),
                    repr(r.at),
                    _text(json.dumps(list(r.symbols))),
                    _text(r.summary),
                    _text(json.dumps(r.data, ensure_ascii=False, sort_keys=True)),
                ]
            )
    return len(rows)


def read_csv(path: Path) -> list[JournalRow]:
    """Read back a file written by `Journal.export_csv`."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
            raise ValueError(f"{path.name} is not a MarginWatch journal export (columns {reader.fieldnames})")
        return [
            JournalRow(
                kind=RowKind(_untext(r["kind"])),
                id=int(r["id"]),
                account=_untext(r["account"]),
                at=float(r["at"]),
                symbols=tuple(json.loads(_untext(r["symbols"]))),
                summary=_untext(r["summary"]),
                data=json.loads(_untext(r["data"])),
            )
            for r in reader
        ]
