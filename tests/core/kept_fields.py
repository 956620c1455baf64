"""Compare a decoded struct with the JSON it came from: every field the struct keeps must equal
the source's value under the field's wire name (numbers sent as strings or as JSON numbers, times
sent as strings), and a field the source lacks must be at its default."""

from __future__ import annotations

import enum
import json
from decimal import Decimal
from typing import Any

import msgspec


def source(raw: bytes | str) -> Any:
    """The JSON as Python values, JSON numbers exact (as Decimal or int)."""
    return json.loads(raw, parse_float=Decimal)


def unwrap(doc: Any) -> Any:
    """The payload of a combined-stream frame ({"stream": ..., "data": ...}), else the frame."""
    if isinstance(doc, dict) and "stream" in doc and "data" in doc:
        return doc["data"]
    return doc


def mismatches(decoded: Any, sent: Any, where: str = "$") -> list[str]:
    """Where `decoded` differs from `sent` (empty when every kept field equals its source)."""
    if isinstance(decoded, msgspec.Struct):
        if not isinstance(sent, dict):
            return [f"{where}: {type(decoded).__name__} from {type(sent).__name__}"]
        out: list[str] = []
        for f in msgspec.structs.fields(decoded):
            value = getattr(decoded, f.name)
            if f.encode_name not in sent:
                if f.required or value != f.default:
                    out.append(f"{where}.{f.encode_name}: {value!r} without a source value")
                continue
            out += mismatches(value, sent[f.encode_name], f"{where}.{f.encode_name}")
        return out
    if isinstance(decoded, tuple | list):
        if not isinstance(sent, list) or len(sent) != len(decoded):
            return [f"{where}: {len(decoded)} items from {sent!r:.60}"]
        pairs = enumerate(zip(decoded, sent, strict=True))
        return [m for i, (d, s) in pairs for m in mismatches(d, s, f"{where}[{i}]")]
    if not _same(decoded, sent):
        return [f"{where}: {decoded!r} from {sent!r}"]
    return []


def _same(value: Any, sent: Any) -> bool:
    if isinstance(value, enum.Enum):
        return bool(value.value == sent)
    if isinstance(value, bool):  # some bodies send booleans as "true"/"false"
        return value is sent or (isinstance(sent, str) and sent == str(value).lower())
    if value is None:
        return sent is None
    if isinstance(value, Decimal):
        return not isinstance(sent, bool) and value == Decimal(str(sent))
    if isinstance(value, int):
        return not isinstance(sent, bool) and str(value) == str(sent).strip()
    if isinstance(value, str):
        return value == (sent if isinstance(sent, str) else str(sent))
    return bool(value == sent)
