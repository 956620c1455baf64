"""The journal's CSV export and reading it back (`Journal.export_csv` writes, `read_csv` reads)."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING

from marginwatch.services.journal_rows import JournalRow, RowKind

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

CSV_COLUMNS = ("kind", "id", "account", "at", "symbols", "summary", "data")


def write_csv(path: Path, rows: Sequence[JournalRow]) -> int:
    """Write `rows` to `path`; returns how many."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:  # BOM: spreadsheets then read UTF-8
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r.kind.value,
                    r.id,
                    r.account,
                    repr(r.at),
                    json.dumps(list(r.symbols)),
                    r.summary,
                    json.dumps(r.data, ensure_ascii=False, sort_keys=True),
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
                kind=RowKind(r["kind"]),
                id=int(r["id"]),
                account=r["account"],
                at=float(r["at"]),
                symbols=tuple(json.loads(r["symbols"])),
                summary=r["summary"],
                data=json.loads(r["data"]),
            )
            for r in reader
        ]
