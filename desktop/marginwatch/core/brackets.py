"""Leverage brackets (`GET /fapi/v1/leverageBracket`) and maintenance-margin lookup.

Brackets arrive as JSON numbers; parse them with `float_hook=Decimal` so that
0.004 stays 0.004 and not 0.004000000000000000083.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

import msgspec

from marginwatch.core.errors import NoBracketsError

_DECIMAL_JSON = msgspec.json.Decoder(float_hook=Decimal)


@dataclass(frozen=True, slots=True)
class Bracket:
    bracket: int
    initial_leverage: int
    floor: Decimal  # notionalFloor (USDⓈ-M) or qtyFloor (COIN-M, in coin)
    cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal  # "maintenance amount"


@dataclass(frozen=True, slots=True)
class BracketTable:
    """Brackets of one symbol, sorted by floor."""

    symbol: str
    brackets: tuple[Bracket, ...]
    # `notionalCoef`: this account's caps relative to the symbol's default schedule (present only
    # where they differ). The endpoint returns the account's own brackets ("user notional and
    # leverage bracket"), so the caps already include it: kept for display, never re-applied.
    notional_coef: Decimal = Decimal(1)
    # Maintenance margin is a continuous, convex function of notional (cum consistent at every
    # cap, ratios rising, all below 1): lets the liquidation solver settle some cases without
    # scanning every bracket segment. Binance's own tables are; a hand-edited one may not be.
    convex: bool = field(init=False, repr=False, compare=False)
    # Each notional where `for_notional` changes bracket, with the change in (cum, MMR) there:
    # the liquidation solver walks these instead of looking brackets up segment by segment.
    steps: tuple[tuple[Decimal, Decimal, Decimal], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.brackets:
            raise NoBracketsError(self.symbol)
        object.__setattr__(self, "convex", _is_convex(self.brackets))
        object.__setattr__(self, "steps", _steps(self))

    def for_notional(self, notional: Decimal) -> Bracket:
        """The bracket whose [floor, cap) holds |notional|; the last one beyond the top cap."""
        n = abs(notional)
        for b in self.brackets:
            if n < b.cap:
                return b
        return self.brackets[-1]

    def max_leverage(self, notional: Decimal) -> int:
        return self.for_notional(notional).initial_leverage


def _steps(table: BracketTable) -> tuple[tuple[Decimal, Decimal, Decimal], ...]:
    out: list[tuple[Decimal, Decimal, Decimal]] = []
    current = table.for_notional(Decimal(0))
    for cap in sorted({b.cap for b in table.brackets if b.cap > 0}):
        b = table.for_notional(cap)
        if b is not current:
            out.append((cap, b.cum - current.cum, b.maint_margin_ratio - current.maint_margin_ratio))
            current = b
    return tuple(out)


def _is_convex(brackets: tuple[Bracket, ...]) -> bool:
    if brackets[0].cum != 0 or any(not 0 <= b.maint_margin_ratio < 1 for b in brackets):
        return False
    for lo, hi in pairwise(brackets):
        if hi.maint_margin_ratio < lo.maint_margin_ratio:
            return False
        if lo.cap * lo.maint_margin_ratio - lo.cum != lo.cap * hi.maint_margin_ratio - hi.cum:
            return False
    return True


def _bracket_from(obj: Mapping[str, Any]) -> Bracket:
    floor = obj.get("notionalFloor", obj.get("qtyFloor", 0))
    cap = obj.get("notionalCap", obj.get("qtyCap", 0))
    return Bracket(
        bracket=int(obj["bracket"]),
        initial_leverage=int(obj["initialLeverage"]),
        floor=_dec(floor),
        cap=_dec(cap),
        maint_margin_ratio=_dec(obj["maintMarginRatio"]),
        cum=_dec(obj.get("cum", 0)),
    )


def _dec(value: object) -> Decimal:
    # Already a Decimal when parsed with float_hook=Decimal; ints and strings go via str so a
    # float never becomes a binary fraction.
    return value if type(value) is Decimal else Decimal(str(value))


def table_from_binance(
    entry: Mapping[str, Any], shared: dict[tuple[Bracket, ...], tuple[Bracket, ...]] | None = None
) -> BracketTable:
    """One element of the leverageBracket response: {"symbol": ..., "notionalCoef"?: ..., "brackets": [...]}.

    `shared`: tables parsed together pass one dict, so symbols on the same schedule share one
    tuple of brackets (most of Binance's ~600 symbols use one of a few dozen schedules: ~10 MB
    of Decimals kept once instead of per symbol).
    """
    symbol = str(entry.get("symbol", entry.get("pair", "")))
    items = tuple(sorted((_bracket_from(b) for b in entry.get("brackets", ())), key=lambda b: b.floor))
    if shared is not None:
        items = shared.setdefault(items, items)
    raw_coef = entry.get("notionalCoef")
    coef = Decimal(1) if raw_coef is None else _dec(raw_coef)
    if not coef.is_finite() or coef <= 0:
        raise ValueError(f"{symbol}: notionalCoef must be a positive number, got {coef}")
    return BracketTable(symbol=symbol, brackets=items, notional_coef=coef)


def parse_leverage_brackets(raw: bytes | str) -> dict[str, BracketTable]:
    """Parse the whole response body (a list, or one object when `symbol=` was given)."""
    data = _DECIMAL_JSON.decode(raw)
    entries: Iterable[Mapping[str, Any]] = [data] if isinstance(data, dict) else data
    shared: dict[tuple[Bracket, ...], tuple[Bracket, ...]] = {}
    tables = (table_from_binance(e, shared) for e in entries)
    return {t.symbol: t for t in tables}


def cum_from_rates(tiers: Iterable[tuple[Decimal, Decimal]]) -> list[Decimal]:
    """Maintenance amounts from (floor, MMR) per level, lowest level first (Binance FAQ).

    cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1}, cum_1 = 0. This keeps the maintenance
    margin continuous where one bracket ends and the next begins.
    """
    out: list[Decimal] = []
    prev_rate: Decimal | None = None
    for floor, rate in tiers:
        if prev_rate is None:
            out.append(Decimal(0))
        else:
            out.append(floor * (rate - prev_rate) + out[-1])
        prev_rate = rate
    return out


def cum_is_consistent(table: BracketTable) -> bool:
    """True when the table's cum values follow the FAQ recursion exactly."""
    expected = cum_from_rates((b.floor, b.maint_margin_ratio) for b in table.brackets)
    return all(b.cum == c for b, c in zip(table.brackets, expected, strict=True))
