"""One row of the positions table as the table shows it, built by a pure function.

`render_row` turns a PositionRisk into a `RowView`: per cell the text, alignment, brushes, tooltip
and sort key. The model keeps one RowView per row and answers every read from it (its delegate's
paint and Qt's roles alike), so what a view paints and what it asks through roles cannot disagree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import NamedTuple

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush

from marginwatch.core.account_risk import PositionRisk
from marginwatch.core.mexc_risk import EXTRA_MEXC_MARGIN_RATIO
from marginwatch.core.position import ADL_TOP_BUCKET as ADL_TOP
from marginwatch.core.position import ContractKind, Direction, MarginType, Position
from marginwatch.core.risk_tiers import PositionTier, RiskBands, RiskTier, position_tier
from marginwatch.ui.formatting import (
    DASH,
    format_decimal,
    format_fraction_as_percent,
    format_percent,
    format_price,
    format_quantity,
    to_float,
)
from marginwatch.ui.index_runs import adjacent_runs
from marginwatch.ui.tier_style import TIER_COLOURS, TIER_MARKS, tier_reason, tier_suffix, tier_word

PositionKey = tuple[str, str, str]  # (account, symbol, position side)

MISMATCH_MARK = "≠"
_INF = float("inf")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class Column(IntEnum):
    ACCOUNT = 0
    SYMBOL = 1
    SIDE = 2
    SIZE = 3
    ENTRY = 4
    MARK = 5
    LIQ = 6
    DISTANCE = 7
    MARGIN_TYPE = 8
    MARGIN_RATIO = 9
    UPNL = 10
    FUNDING = 11
    ADL = 12
    TREND = 13  # painted by the table's sparkline delegate; its cell holds only the tooltip


COLUMNS = len(Column)
_NUMERIC = frozenset(
    {Column.SIZE, Column.ENTRY, Column.MARK, Column.LIQ, Column.DISTANCE, Column.MARGIN_RATIO, Column.UPNL,
     Column.FUNDING}
)
ALIGNMENTS = tuple(_RIGHT if c in _NUMERIC else _LEFT for c in Column)
_MARK, _MARGIN_TYPE = int(Column.MARK), int(Column.MARGIN_TYPE)


class TierBrushes(NamedTuple):
    """The margin-ratio and distance cells' brushes for a tier; None keeps the palette's own colour."""

    foreground: QBrush | None
    background: QBrush | None


# Made once: the delegate paints with them many times a second.
TIER_BRUSHES: dict[RiskTier, TierBrushes] = {
    tier: TierBrushes(None if fg is None else QBrush(fg), None if bg is None else QBrush(bg))
    for tier, (bg, fg) in TIER_COLOURS.items()
}


class Cell(NamedTuple):
    """One cell as shown: what the delegate paints, and what Qt's roles return."""

    text: str
    alignment: Qt.AlignmentFlag
    foreground: QBrush | None
    background: QBrush | None
    tooltip: str | None
    sort: float | str  # a number where the column is numeric, so 9 < 10.5 < 100


@dataclass(frozen=True, slots=True)
class RowView:
    key: PositionKey
    risk: PositionRisk  # what the cells were made from
    tier: RiskTier  # the worse of the ratio's and the distance's (`risk_tiers.position_tier`)
    cells: tuple[Cell, ...]
    held: tuple[object, ...] = ()  # inputs of the cells that do not follow the mark, to reuse them


@dataclass(frozen=True, slots=True)
class RowWords:
    """The translated words of a row, looked up once (`render_row` runs for many rows a second)."""

    long: str
    short: str
    cross: str
    isolated: str
    side_tip: str
    side_words: dict[str, str]
    cross_ratio_tip: str
    isolated_ratio_tip: str
    liq_mismatch_tip: str
    # MEXC's own margin ratio runs the other way (lower is worse): shown beside ours, never instead of it.
    venue_ratio_tip: str = (
        "MEXC's own margin ratio: {0} (margin ÷ position value, lower is worse). MarginWatch shows "
        "maintenance margin ÷ margin balance: higher is worse, 100 % is liquidation."
    )
    unavailable: str = "unavailable"  # in the liquidation cell when this position's risk cannot be computed
    no_brackets_tip: str = (
        "No leverage brackets for this symbol: its maintenance margin and liquidation price are unknown"
    )
    funding_tip: str = "Next funding at {0} (rate {1}): {2} at the current mark and rate"
    funding_iso_tip: str = (
        "Paid from this isolated position's margin: its liquidation price moves from {0} to {1} ({2} away)"
    )
    adl_tip: str = "Auto-deleveraging queue: bucket {0} of 0-4 (4: first to be closed against a liquidated trader)"
    trend_tip: str = "Margin ratio over the last hour (double-click for the risk chart)"
    # Tooltips by what they say, made once: (cross, tiers, bands) for the ratio cell, (tiers, bands) for distance.
    _ratio_tips: dict[tuple[bool, PositionTier, RiskBands], str] = field(default_factory=dict)
    _distance_tips: dict[tuple[PositionTier, RiskBands], str] = field(default_factory=dict)
    _adl_cells: dict[int | None, Cell] = field(default_factory=dict)  # bucket -> its cell, made once

    @classmethod
    def translated(cls) -> RowWords:
        """In the installed language (the source texts without a translator), in the model's context."""
        return cls(
            long=QCoreApplication.translate("PositionsModel", "Long"),
            short=QCoreApplication.translate("PositionsModel", "Short"),
            cross=QCoreApplication.translate("PositionsModel", "Cross"),
            isolated=QCoreApplication.translate("PositionsModel", "Isolated"),
            side_tip=QCoreApplication.translate("PositionsModel", "Position side: {0}"),
            side_words={
                "LONG": QCoreApplication.translate("PositionsModel", "LONG"),
                "SHORT": QCoreApplication.translate("PositionsModel", "SHORT"),
                "BOTH": QCoreApplication.translate("PositionsModel", "BOTH"),
            },
            cross_ratio_tip=QCoreApplication.translate(
                "PositionsModel", "Cross account's margin ratio (maintenance margin / margin balance): {0}"
            ),
            isolated_ratio_tip=QCoreApplication.translate(
                "PositionsModel", "This isolated position's margin ratio: {0}"
            ),
            liq_mismatch_tip=QCoreApplication.translate(
                "PositionsModel",
                "Exchange's liquidation price at the last snapshot: {0}; ours from the same prices: {1}",
            ),
            venue_ratio_tip=QCoreApplication.translate(
                "PositionsModel",
                "MEXC's own margin ratio: {0} (margin ÷ position value, lower is worse). MarginWatch shows "
                "maintenance margin ÷ margin balance: higher is worse, 100 % is liquidation.",
            ),
            unavailable=QCoreApplication.translate("PositionsModel", "unavailable"),
            no_brackets_tip=QCoreApplication.translate(
                "PositionsModel",
                "No leverage brackets for this symbol: its maintenance margin and liquidation price are unknown",
            ),
            funding_tip=QCoreApplication.translate(
                "PositionsModel", "Next funding at {0} (rate {1}): {2} at the current mark and rate"),
            funding_iso_tip=QCoreApplication.translate(
                "PositionsModel",
                "Paid from this isolated position's margin: its liquidation price moves from {0} to {1} ({2} away)"),
            adl_tip=QCoreApplication.translate(
                "PositionsModel",
                "Auto-deleveraging queue: bucket {0} of 0-4 (4: first to be closed against a liquidated trader)"),
            trend_tip=QCoreApplication.translate(
                "PositionsModel", "Margin ratio over the last hour (double-click for the risk chart)"),
        )

    def ratio_tip(self, is_cross: bool, tiers: PositionTier, bands: RiskBands) -> str:
        """What the ratio is, its own tier, and which threshold sets the row's tier."""
        key = (is_cross, tiers, bands)
        tip = self._ratio_tips.get(key)
        if tip is None:
            template = self.cross_ratio_tip if is_cross else self.isolated_ratio_tip
            tip = self._ratio_tips[key] = f"{template.format(tier_word(tiers.ratio))}\n{tier_reason(tiers, bands)}"
        return tip

    def distance_tip(self, tiers: PositionTier, bands: RiskBands) -> str:
        tip = self._distance_tips.get((tiers, bands))
        if tip is None:
            tip = self._distance_tips[(tiers, bands)] = tier_reason(tiers, bands)
        return tip


def render_row(
    key: PositionKey,
    pr: PositionRisk,
    words: RowWords,
    bands: RiskBands,
    tick: Decimal | None = None,
    step: Decimal | None = None,
    old: RowView | None = None,
) -> RowView:
    """The row for `pr`, prices at `tick` and the size at `step`. The cells that do not follow the
    mark (account, symbol, side, size, entry, margin type) are reused from an `old` row made from
    the same inputs: a calm update moves the mark-driven figures of every row every second."""
    pos = pr.position
    held = (pos.amount, pos.entry_price, pos.margin_type, tick, step)
    is_cross = pos.margin_type is MarginType.CROSS
    if old is not None and old.held == held:
        account, symbol, side, size, entry = old.cells[:_MARK]
        margin = old.cells[_MARGIN_TYPE]
    else:
        account = Cell(key[0], _LEFT, None, None, None, key[0])
        symbol = Cell(pos.symbol, _LEFT, None, None, None, pos.symbol)
        side_text = words.long if pos.direction is Direction.LONG else words.short
        side_tip = words.side_tip.format(words.side_words.get(key[2], key[2]))
        side = Cell(side_text, _LEFT, None, None, side_tip, side_text)
        size = Cell(_size_text(pos, step), _RIGHT, None, None, None, float(pos.qty))
        entry = Cell(format_price(pos.entry_price, tick), _RIGHT, None, None, None, float(pos.entry_price))
        margin_text = words.cross if is_cross else words.isolated
        margin = Cell(margin_text, _LEFT, None, None, None, margin_text)
    tiers = position_tier(pr, bands)
    liq_text = format_price(pr.liquidation_price, tick)
    liq_tip = liquidation_mismatch_tip(pr, tick, words.liq_mismatch_tip)
    if liq_tip is not None:
        liq_text = f"{liq_text} {MISMATCH_MARK}"
    ratio_text = format_fraction_as_percent(pr.margin_ratio)
    if ratio_text != DASH:
        ratio_text += tier_suffix(tiers.ratio)
    ratio_fg, ratio_bg = TIER_BRUSHES[tiers.ratio]
    ratio_tip = words.ratio_tip(is_cross, tiers, bands)
    venue_ratio = pos.extra.get(EXTRA_MEXC_MARGIN_RATIO)
    if venue_ratio is not None:  # MEXC's own figure runs the other way: give it beside ours
        ratio_tip = f"{ratio_tip}\n{words.venue_ratio_tip.format(format_fraction_as_percent(Decimal(venue_ratio)))}"
    # The distance carries its own tier like the ratio: a cross position can be calm by the
    # account's ratio and 3 % from liquidation.
    distance_text = format_percent(pr.distance_pct)
    if distance_text != DASH:
        distance_text += tier_suffix(tiers.distance)
    distance_fg, distance_bg = TIER_BRUSHES[tiers.distance]
    distance_tip: str | None = words.distance_tip(tiers, bands)
    if pr.risk_unavailable:  # say so where the figures would be, and why (in English: the exchange's data)
        liq_text, liq_tip, ratio_tip = words.unavailable, pr.risk_unavailable, pr.risk_unavailable
        distance_tip = pr.risk_unavailable
    elif pr.maint_margin is None:  # the exchange sent no readable bracket table for the symbol
        liq_tip = ratio_tip = distance_tip = words.no_brackets_tip
    pnl_places = 2 if pos.contract is ContractKind.LINEAR else 6
    cells = (
        account,
        symbol,
        side,
        size,
        entry,
        Cell(format_price(pos.mark_price, tick), _RIGHT, None, None, None, float(pos.mark_price)),
        Cell(liq_text, _RIGHT, None, None, liq_tip, to_float(pr.liquidation_price, _INF)),
        # No liquidation price sorts as "furthest away".
        Cell(distance_text, _RIGHT, distance_fg, distance_bg, distance_tip, to_float(pr.distance_pct, _INF)),
        margin,
        Cell(ratio_text, _RIGHT, ratio_fg, ratio_bg, ratio_tip, to_float(pr.margin_ratio, -1.0)),
        Cell(_pnl_text(pr), _RIGHT, None, None, None, float(pr.unrealized_pnl)),
        funding_cell(pr, words, tick, pnl_places),
        adl_cell(pos.adl_quantile, words),
        Cell("", _LEFT, None, None, words.trend_tip, 0.0),
    )
    return RowView(key, pr, tiers.tier, cells, held)


def _coin(pos: Position) -> str:
    return pos.extra.get("margin_asset", "")


def _size_text(pos: Position, step: Decimal | None) -> str:
    """COIN-M sizes count contracts of a fixed USD value: "200 × 100 USD"."""
    text = format_quantity(pos.qty, step)
    if pos.contract is ContractKind.INVERSE and pos.contract_size.is_finite():
        text += f" × {format_quantity(pos.contract_size)} USD"
    return text


def _pnl_text(pr: PositionRisk) -> str:
    """Linear PnL in the quote asset; inverse PnL in its margin coin with the USD value at the mark
    beside it ("-0.001234 BTC ≈ -123.40 USD"), since the coin's own price moves the account too."""
    pos = pr.position
    if pos.contract is ContractKind.LINEAR:
        return format_decimal(pr.unrealized_pnl, 2, signed=True)
    coin = " ".join(t for t in (format_decimal(pr.unrealized_pnl, 6, signed=True), _coin(pos)) if t)
    usd = format_decimal(pr.unrealized_pnl * pos.mark_price, 2, signed=True)
    return f"{coin} ≈ {usd} USD"


def funding_cell(pr: PositionRisk, words: RowWords, tick: Decimal | None, places: int) -> Cell:
    """The next payment (signed: what the margin receives) and when; the tooltip says the rate and,
    for an isolated position, where its liquidation price moves once paid."""
    est = pr.funding
    if est is None:
        return _NO_FUNDING
    when = _clock_time(est.next_time_ms)
    payment = format_decimal(est.payment, places, signed=True)
    tip = words.funding_tip.format(when, format_fraction_as_percent(est.rate, 4), payment)
    if est.liquidation_after is not None:
        tip += "\n" + words.funding_iso_tip.format(
            format_price(pr.liquidation_price, tick), format_price(est.liquidation_after, tick),
            format_percent(est.distance_after_pct))
    return Cell(f"{payment} @ {when}", _RIGHT, None, None, tip, float(est.payment))


_ADL_TEXT = tuple(f"{'▮' * q}{'▯' * (ADL_TOP - q)} {q}" for q in range(ADL_TOP + 1))


def adl_cell(quantile: int | None, words: RowWords) -> Cell:
    """Bars and the number, so the bucket reads without colour; the top bucket in the warning colours.
    One cell per bucket, reused: an unchanged bucket is then the same cell, never repainted."""
    cell = words._adl_cells.get(quantile)
    if cell is not None:
        return cell
    if quantile is None:
        cell = Cell(DASH, _LEFT, None, None, None, -1.0)
    else:
        q = max(0, min(ADL_TOP, quantile))
        fg, bg = TIER_BRUSHES[RiskTier.WARNING] if q == ADL_TOP else (None, None)
        text = _ADL_TEXT[q] + (f" {TIER_MARKS[RiskTier.WARNING]}" if q == ADL_TOP else "")
        cell = Cell(text, _LEFT, fg, bg, words.adl_tip.format(q), float(q))
    words._adl_cells[quantile] = cell
    return cell


_NO_FUNDING = Cell(DASH, _RIGHT, None, None, None, 0.0)
_CLOCK_TIMES: dict[int, str] = {}  # settlement times seen (a few a day) -> "HH:MM"


def _clock_time(ms: int | None) -> str:
    if ms is None:
        return DASH
    text = _CLOCK_TIMES.get(ms)
    if text is None:
        if len(_CLOCK_TIMES) > 64:
            _CLOCK_TIMES.clear()
        text = _CLOCK_TIMES[ms] = time.strftime("%H:%M", time.localtime(ms / 1000))
    return text


def changed_runs(old: RowView, new: RowView) -> list[tuple[int, int]]:
    """Contiguous column ranges whose cells look different: text, tooltip or colour. Sort keys are
    not shown (a change there is a re-sort, not a repaint); reused cells are the same object."""
    return adjacent_runs(
        col
        for col, (a, b) in enumerate(zip(old.cells, new.cells, strict=True))
        if a is not b
        and (
            a.text != b.text
            or a.tooltip != b.tooltip
            or a.foreground is not b.foreground
            or a.background is not b.background
        )
    )


def liquidation_mismatch_tip(pr: PositionRisk, tick: Decimal | None, template: str) -> str | None:
    """A note when the exchange's liquidation price and ours, both from the last snapshot's marks and
    wallet, differ by more than one tick. (The live figure is not compared: a cross position's moves
    with every other mark, so it drifts from a snapshot's without any disagreement.)"""
    pos = pr.position
    theirs = pos.exchange_liquidation_price
    if theirs is None:
        return None  # the exchange has not told us (streams do not carry it)
    ours = pos.liquidation_price_at_snapshot
    ours_known = ours is not None and ours.is_finite() and ours > 0
    theirs_known = theirs.is_finite() and theirs > 0
    if not ours_known and not theirs_known:
        return None
    if ours_known and theirs_known:
        assert ours is not None
        tolerance = tick if tick is not None and tick > 0 else abs(ours) * Decimal("0.0001")
        if abs(ours - theirs) <= tolerance:
            return None
    return template.format(format_price(theirs, tick), format_price(ours, tick))
