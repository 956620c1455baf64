"""The bundled, illustrative leverage-bracket snapshot used when no exchange is connected.

The file is package data (`marginwatch/data/brackets_snapshot.json`), read once and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import msgspec

from marginwatch.core.brackets import BracketTable, table_from_binance
from marginwatch.core.errors import InvalidInputError

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
SNAPSHOT_FILE = "brackets_snapshot.json"


def parse_bracket_document(raw: bytes | str) -> dict[str, BracketTable]:
    """Bracket tables from either a raw leverageBracket response (a list or one object) or the
    snapshot's shape `{"_note": ..., "data": [...]}`."""
    try:
        data = _DECODER.decode(raw)
    except (msgspec.DecodeError, ValueError) as exc:
        raise InvalidInputError("brackets", f"not valid JSON: {exc}") from None
    entries: Iterable[Any]
    if isinstance(data, dict):
        entries = data["data"] if isinstance(data.get("data"), list) else [data]
    elif isinstance(data, list):
        entries = data
    else:
        raise InvalidInputError("brackets", "expected a leverageBracket list or object")
    tables: dict[str, BracketTable] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise InvalidInputError("brackets", "each entry must be an object with 'brackets'")
        try:
            table = table_from_binance(entry)
        except (KeyError, TypeError, ArithmeticError, ValueError) as exc:
            if isinstance(exc, InvalidInputError):
                raise
            raise InvalidInputError("brackets", f"malformed bracket entry: {exc!r}") from None
        tables[table.symbol] = table
    return tables


@cache
def load_snapshot() -> Mapping[str, BracketTable]:
    """Symbol -> BracketTable from the bundled snapshot (illustrative values, not live)."""
    raw = resources.files("marginwatch").joinpath("data", SNAPSHOT_FILE).read_bytes()
    return parse_bracket_document(raw)


def snapshot_note() -> str:
    """The snapshot's own `_note` saying what it is."""
    raw = resources.files("marginwatch").joinpath("data", SNAPSHOT_FILE).read_bytes()
    doc = _DECODER.decode(raw)
    return str(doc.get("_note", "")) if isinstance(doc, dict) else ""
