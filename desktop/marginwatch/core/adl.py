"""Binance's auto-deleveraging (ADL) queue: `GET /fapi/v1/adlQuantile` answers, per symbol, a bucket
0-4 for each position side; 4 is first in line to be closed against a liquidated trader when the
insurance fund cannot absorb the loss. The exchange updates the values every 30 s.

A cross symbol in hedge mode answers "HEDGE" (only a sign) instead of "BOTH", and one shared value for
LONG and SHORT; the sign is dropped here.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from msgspec import Struct

from marginwatch.core.position import ADL_TOP_BUCKET, PositionSide
from marginwatch.core.rest_models import MalformedResponseError

TOP_BUCKET = ADL_TOP_BUCKET
_SIDES = {s.value: s for s in PositionSide}


class AdlQuantileRow(Struct, frozen=True, kw_only=True):
    symbol: str
    adlQuantile: dict[str, int]  # Binance's name


_DECODER = msgspec.json.Decoder(list[AdlQuantileRow], strict=False)


def decode_adl_quantiles(raw: bytes | str) -> list[AdlQuantileRow]:
    if not raw.strip():
        raise MalformedResponseError("empty adlQuantile response")
    try:
        return _DECODER.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise MalformedResponseError(f"unexpected adlQuantile response: {str(exc)[:200]}") from None


def quantiles_by_position(rows: Iterable[AdlQuantileRow]) -> dict[tuple[str, PositionSide], int]:
    """(symbol, side) -> bucket, clamped to 0-4; the hedge-mode sign and unknown sides left out."""
    out: dict[tuple[str, PositionSide], int] = {}
    for row in rows:
        for side, value in row.adlQuantile.items():
            known = _SIDES.get(side)
            if known is not None:
                out[(row.symbol, known)] = max(0, min(TOP_BUCKET, int(value)))
    return out
