"""Bar chart of each position's distance from mark price to liquidation, coloured by risk tier.

pyqtgraph is imported with this module; the app imports and builds the chart after the main
window has painted, so start-up does not wait for it (and numpy).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QPalette, QPen
from PySide6.QtWidgets import QGraphicsItem, QToolTip, QVBoxLayout, QWidget

from marginwatch import pacing
from marginwatch.core.account_risk import PositionRisk
from marginwatch.core.position import Direction, PositionSide
from marginwatch.core.risk_tiers import BandsByAccount, PositionTier, RiskBands, RiskTier, position_tier
from marginwatch.ui.chart_items import BandShapes, BarLabels, Bars
from marginwatch.ui.coalescer import Coalescer
from marginwatch.ui.formatting import DASH, format_fraction_as_percent, format_percent, format_price
from marginwatch.ui.index_runs import adjacent_runs
from marginwatch.ui.tier_style import TIER_FILLS, tier_reason, tier_word
from marginwatch.ui.what_if_rows import ChartGhost

ChartRow = tuple[str, PositionRisk]  # (account, position risk)
BarKey = tuple[str, str, str]  # (account, symbol, position side)

_BAR_HEIGHT = 0.6
_GHOST_HEIGHT = 0.3
# The axis ends here at the latest: one far-off liquidation price (a cross hedge pair's can be
# millions of percent away) would squash every other bar to nothing.
AXIS_CAP_PCT = 100.0
_NO_LIQ_FILL = QColor("#999999")


def _translucent(colour: QColor, alpha: int) -> QColor:
    out = QColor(colour)
    out.setAlpha(alpha)
    return out


@dataclass(frozen=True, slots=True)
class _Bar:
    key: BarKey
    label: str
    value: float | None  # distance in percent; None when there is no liquidation price
    tiers: PositionTier
    risk: PositionRisk

    @property
    def tier(self) -> RiskTier:
        return self.tiers.tier


def _round_up(value: float) -> float:
    """`value` rounded up to a coarse step (half its order of magnitude: 23.4 → 25, 8.7 → 9)."""
    step = 10 ** math.floor(math.log10(value)) / 2
    return math.ceil(value / step) * step


_Look = tuple[tuple[object, ...], tuple[tuple[object, ...], ...]]


def _changed_rows(old: _Look | None, new: _Look | None) -> list[int] | None:
    """Rows that look different; None when everything must be repainted (size, range or count)."""
    if old is None or new is None or old[0] != new[0]:
        return None
    return [i for i, (a, b) in enumerate(zip(old[1], new[1], strict=True)) if a != b]


class LiquidationChart(QWidget):
    """Widget only: fed by `set_data`, reports clicks through `position_selected`."""

    position_selected = Signal(str, str, str)  # account, symbol, position side
    rendered = Signal()  # after each render of new data (throttled; repainted only if it looks different)

    def __init__(
        self, parent: QWidget | None = None, max_repaints_per_second: float = pacing.CHART_RENDERS_PER_S
    ) -> None:
        super().__init__(parent)
        self._bands = RiskBands()  # the shaded bands: the default ones
        self._by_account = BandsByAccount()
        self._rows: list[ChartRow] = []
        self._bars: list[_Bar] = []
        self._highlighted: BarKey | None = None
        self._render_count = 0
        self._draw_count = 0
        self._drawn_look: _Look | None = None  # what the bars and labels look like on screen
        self._axis_max = 1.0
        self._drawn_ranges: tuple[float, int] | None = None
        self._drawn_ticks: list[tuple[float, str]] | None = None
        self._ghosts: Mapping[BarKey, ChartGhost] = {}
        self._drawn_ghosts: object = None  # what the ghosts look like on screen
        self._coalescer: Coalescer[list[ChartRow]] = Coalescer(
            self._render, max_repaints_per_second, self, first_delay_ms=pacing.CHART_FIRST_DELAY_MS
        )

        base = self.palette().color(QPalette.ColorRole.Base)
        self._text_colour = self.palette().color(QPalette.ColorRole.Text)
        self._plot = pg.PlotWidget(background=base)
        item = self._plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=True, y=False, alpha=0.2)
        item.setLabel("bottom", self.tr("Distance to liquidation (%)"))
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setTextPen(self._text_colour)
            axis.setPen(self._text_colour)
            # The x grid makes the axis overlap the bars, so every bar update repainted both
            # axes' texts too; cached as a pixmap until the axis itself changes.
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._bar_item = Bars()
        self._bar_item.setVisible(False)
        self._plot.addItem(self._bar_item)
        # Shading under the bars, dashed band marks over them (added after the bars, same z).
        self._band_fill = BandShapes()
        self._band_fill.setZValue(-10)
        self._plot.addItem(self._band_fill)
        self._band_marks = BandShapes()
        self._plot.addItem(self._band_marks)
        # What-if ghosts over the live bars, under the labels.
        self._ghost_item = Bars()
        self._ghost_item.setZValue(5)
        self._ghost_item.setVisible(False)
        self._plot.addItem(self._ghost_item)
        self._labels = BarLabels(self._text_colour)
        self._labels.setZValue(10)
        self._plot.addItem(self._labels)
        self._brushes = {tier: QBrush(TIER_FILLS[tier]) for tier in TIER_FILLS}
        self._no_liq_brush = QBrush(_NO_LIQ_FILL, Qt.BrushStyle.BDiagPattern)
        self._plain_pen = QPen(Qt.PenStyle.NoPen)  # a transparent pen still strokes every bar
        self._ghost_pen = pg.mkPen(self._text_colour, width=1, style=Qt.PenStyle.DashLine)
        self._ghost_brushes = {tier: QBrush(_translucent(TIER_FILLS[tier], 150)) for tier in TIER_FILLS}
        self._gone_brush = QBrush(TIER_FILLS[RiskTier.DANGER], Qt.BrushStyle.DiagCrossPattern)
        self._highlight_pen = pg.mkPen(self._text_colour, width=3)
        self._band_edge_pen = pg.mkPen((200, 200, 100))  # what pyqtgraph's region bounds were drawn with
        self._band_edge_pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)

        scene = self._plot.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._plot)
        # The bars are re-drawn only when they look different at the current size (`_draw`);
        # a new size changes how a value maps to pixels, so it re-draws the latest data.
        item.vb.sigResized.connect(self._on_view_resized)
        self._shade_bands()
        self._render([])

    # ---- feeding ------------------------------------------------------------------------------

    def set_data(self, rows: Sequence[ChartRow]) -> None:
        """Show these positions; renders are throttled, the latest data always wins, and only
        a render that looks different on screen repaints (see `draw_count`)."""
        self._coalescer.push(list(rows))

    def set_bands(self, bands: RiskBands | BandsByAccount) -> None:
        """Tier bars by these thresholds (per account); shade 0–danger % and danger–warning % of
        distance by the default ones."""
        self._by_account = BandsByAccount.of_any(bands)
        self._bands = self._by_account.default
        self._shade_bands()
        self._render(self._rows)

    def _shade_bands(self) -> None:
        warn_pct, danger_pct = float(self._bands.distance_warning_pct), float(self._bands.distance_danger_pct)
        spans = ((0.0, danger_pct, RiskTier.DANGER), (danger_pct, warn_pct, RiskTier.WARNING))
        fills: list[tuple[float, float, QBrush]] = []
        edges: list[list[tuple[float, QPen]]] = []
        marks: list[tuple[float, QPen]] = []
        for low, high, tier in spans:
            fill = QColor(TIER_FILLS[tier])
            fill.setAlpha(45)
            fills.append((low, high, QBrush(fill)))
            edges.append([(low, self._band_edge_pen), (high, self._band_edge_pen)])  # a region's bounds
            marks.append((high, pg.mkPen(TIER_FILLS[tier], width=1, style=Qt.PenStyle.DashLine)))
        self._band_fill.set_shapes(fills, edges)
        self._band_marks.set_shapes([], [marks])

    def set_ghosts(self, ghosts: Mapping[BarKey, ChartGhost] | None) -> None:
        """Draw these shocked positions as ghosts over their live bars (None or empty: none)."""
        self._ghosts = dict(ghosts or {})
        # A slider step changes only the ghosts: the live bars are not rendered again (7 ms for
        # 200) unless the ghosts need a wider axis.
        if self._axis_for(self._bars) != self._axis_max:
            self._render(self._rows)
        else:
            self._draw_ghosts(len(self._bars))

    def highlight(self, account: str, symbol: str, position_side: str) -> None:
        key = (account, symbol, position_side)
        if key != self._highlighted:
            self._highlighted = key
            self._render(self._rows)

    def flush(self) -> None:
        """Paint pending data now (e.g. before a screenshot)."""
        self._coalescer.flush()

    # ---- reading ------------------------------------------------------------------------------

    def bars(self) -> list[tuple[str, float | None, RiskTier]]:
        """(label, distance %, tier) per bar, top to bottom as drawn; distance None = no liq. price."""
        return [(bar.label, bar.value, bar.tier) for bar in self._bars]

    def ghost_bars(self) -> list[tuple[str, float | None, bool]]:
        """(label, shocked distance %, liquidated) per bar that has a ghost, top to bottom."""
        return [(b.label, g.distance, g.liquidated) for b in self._bars if (g := self._ghosts.get(b.key)) is not None]

    def bar_keys(self) -> list[BarKey]:
        return [bar.key for bar in self._bars]

    @property
    def highlighted(self) -> BarKey | None:
        return self._highlighted

    @property
    def render_count(self) -> int:
        return self._render_count

    def label_texts(self) -> list[str]:
        """The value labels as drawn, top to bottom (they can be older than `bars()` by less than
        a pixel and a label digit: an update that looks the same is not drawn)."""
        return self._labels.texts()

    @property
    def draw_count(self) -> int:
        """How often the bars and labels were re-drawn: renders whose data looked different."""
        return self._draw_count

    def describe_bar(self, index: int) -> str:
        """The hover text for a bar."""
        bar = self._bars[index]
        pos = bar.risk.position
        side = self.tr("long") if pos.direction is Direction.LONG else self.tr("short")
        return "\n".join(
            (
                f"{bar.key[0]} · {pos.symbol} · {side}",
                self.tr("Mark: {0}").format(format_price(pos.mark_price)),
                self.tr("Liq. price: {0}").format(format_price(bar.risk.liquidation_price)),
                self.tr("Distance: {0} ({1})").format(
                    format_percent(bar.risk.distance_pct), tier_word(bar.tiers.distance)
                ),
                self.tr("Margin ratio: {0} ({1})").format(
                    format_fraction_as_percent(bar.risk.margin_ratio), tier_word(bar.tiers.ratio)
                ),
                tier_reason(bar.tiers, self._by_account.of(bar.key[0])),
                *self._describe_ghost(bar.key),
            )
        )

    def _describe_ghost(self, key: BarKey) -> tuple[str, ...]:
        ghost = self._ghosts.get(key)
        if ghost is None:
            return ()
        if ghost.liquidated:
            return (self.tr("What-if: liquidated (from a move of {0})").format(format_percent(ghost.liquidation_move)),)
        return (
            self.tr("What-if: liq. price {0}, distance {1} ({2})").format(
                format_price(ghost.risk.liquidation_price), format_percent(ghost.risk.distance_pct),
                tier_word(ghost.tier),
            ),
        )

    def bar_index_at(self, view_point: QPointF) -> int | None:
        """The bar under a point in plot coordinates (x = distance %, y = row)."""
        count = len(self._bars)
        row = round(view_point.y())
        if not (0 <= row < count) or abs(view_point.y() - row) > _BAR_HEIGHT / 2:
            return None
        if not (0 <= view_point.x() <= self._axis_max):
            return None
        return count - 1 - row  # the first bar is drawn at the top

    def bar_centre_in_scene(self, index: int) -> QPointF:
        """Scene position of a bar's middle (for tests that click)."""
        bar = self._bars[index]
        width = min(bar.value, self._axis_max) if bar.value is not None else self._axis_max
        y = len(self._bars) - 1 - index
        scene_point: QPointF = self._plot.getPlotItem().vb.mapViewToScene(QPointF(width / 2, y))
        return scene_point

    @property
    def plot_widget(self) -> pg.PlotWidget:
        return self._plot

    # ---- internals ----------------------------------------------------------------------------

    def _render(self, rows: list[ChartRow]) -> None:
        self._rows = rows
        many_accounts = len({account for account, _ in rows}) > 1
        bars: list[_Bar] = []
        for account, risk in rows:
            pos = risk.position
            label = pos.symbol
            if pos.position_side is not PositionSide.BOTH:
                label += " " + (self.tr("L") if pos.position_side is PositionSide.LONG else self.tr("S"))
            if many_accounts:
                label = f"{account} · {label}"
            distance = risk.distance_pct
            value = float(distance) if distance is not None and distance.is_finite() else None
            key = (account, pos.symbol, str(pos.position_side))
            bars.append(_Bar(key, label, value, position_tier(risk, self._by_account.of(account)), risk))
        # Nearest to liquidation on top; positions without a liquidation price last.
        bars.sort(key=lambda b: (b.value is None, b.value if b.value is not None else 0.0, b.label))
        self._bars = bars
        self._axis_max = self._axis_for(bars)
        self._draw()
        self._render_count += 1
        self.rendered.emit()

    def _axis_for(self, bars: list[_Bar]) -> float:
        """The x axis' end: past every bar, ghost and the warning band, in coarse steps."""
        values = [b.value for b in bars if b.value is not None]
        ghosts = [g.distance for g in self._ghosts.values() if g.distance is not None and not g.liquidated]
        top = max([*values, *ghosts, float(self._bands.distance_warning_pct), 1.0])
        return min(_round_up(top * 1.1), max(AXIS_CAP_PCT, _round_up(float(self._bands.distance_warning_pct) * 1.1)))

    def _draw(self) -> None:
        item = self._plot.getPlotItem()
        count = len(self._bars)
        # Axes re-lay out and repaint all their labels when range or ticks are set, even to the
        # same values: set them only on a change (the x range moves in coarse steps, _round_up).
        ranges = (self._axis_max, count)
        if ranges != self._drawn_ranges:
            self._drawn_ranges = ranges
            item.setXRange(0, self._axis_max, padding=0)
            item.setYRange(-0.5, max(count, 1) - 0.5, padding=0)
            view = QRectF(0.0, -0.5, self._axis_max, float(max(count, 1)))
            self._band_fill.set_view(view)
            self._band_marks.set_view(view)
        # A label per row only while rows are at least a text line high: pyqtgraph draws every
        # given tick and checks each against all drawn ones (quadratic in the rows, every paint).
        line = self.fontMetrics().height()
        every = max(1, math.ceil(count * line / max(1, self._plot.height())))
        ticks = [(float(count - 1 - i), bar.label) for i, bar in enumerate(self._bars) if i % every == 0]
        if ticks != self._drawn_ticks:
            self._drawn_ticks = ticks
            item.getAxis("left").setTicks([ticks, []])
        self._draw_ghosts(count)
        if count == 0:
            self._drawn_look = None
            self._bar_item.setVisible(False)
            self._labels.set_labels([], QRectF())
            return
        widths: list[float] = []
        labels: list[tuple[float, float, str, bool]] = []
        row_labels: list[tuple[float, str, bool] | None] = []
        no_liq = self.tr("no liq. price")
        for i, bar in enumerate(self._bars):
            if bar.value is None:
                widths.append(self._axis_max)
            else:
                # Keep 0 % visible; a bar past the axis' cap ends at it (its label says how far).
                widths.append(min(max(bar.value, self._axis_max * 0.003), self._axis_max))
            text = no_liq if bar.value is None else format_percent(bar.risk.distance_pct)
            if text == DASH:
                row_labels.append(None)
                continue
            # Long bars carry their figure inside the end, short ones just past it.
            inside = bar.value is not None and bar.value > self._axis_max * 0.6
            x = 0.0 if bar.value is None else min(bar.value, self._axis_max)
            labels.append((x, float(count - 1 - i), text, inside))
            row_labels.append((x, text, inside))
        look = self._look(widths, row_labels)
        if look is not None and look == self._drawn_look:
            return  # every bar end within the same pixel, same colours, same label texts: nothing to repaint
        changed = _changed_rows(self._drawn_look, look)
        self._drawn_look = look
        rects: list[tuple[QRectF, QBrush, QPen]] = []
        for i, (bar, width) in enumerate(zip(self._bars, widths, strict=True)):
            brush = self._no_liq_brush if bar.value is None else self._brushes[bar.tier]
            pen = self._highlight_pen if bar.key == self._highlighted else self._plain_pen
            # Same float steps as pyqtgraph's BarGraphItem, so edges on a half pixel round alike.
            low = float(count - 1 - i) - _BAR_HEIGHT / 2
            rects.append((QRectF(0.0, low, width, (low + _BAR_HEIGHT) - low), brush, pen))
        # Bounds with room for the 3 px highlight outline on every side.
        pixel_w, pixel_h = self._plot.getPlotItem().vb.viewPixelSize()
        pad_x, pad_y = 2 * pixel_w, 2 * pixel_h
        height = count - 1 + _BAR_HEIGHT + 2 * pad_y
        bounds = QRectF(-pad_x, -_BAR_HEIGHT / 2 - pad_y, self._axis_max + 2 * pad_x, height)
        # Only the rows that look different are repainted: a row's strip, a text line taller on
        # both sides (a label can be taller than its row), across the plot.
        strips = None
        if changed is not None:
            margin = 0.5 + self.fontMetrics().height() * pixel_h + pad_y
            strips = []
            for first, last in adjacent_runs(changed):  # adjacent rows as one area: one update call each
                bottom = count - 1 - last - margin  # the last row is the lowest on screen
                strips.append(QRectF(-pad_x, bottom, self._axis_max + 2 * pad_x, last - first + 2 * margin))
        self._bar_item.set_bars(rects, bounds, strips)
        self._bar_item.setVisible(True)
        self._labels.set_labels(labels, QRectF(0.0, -0.5, self._axis_max, float(count)), strips)
        self._draw_count += 1

    def _look(self, widths: list[float], labels: list[tuple[float, str, bool] | None]) -> _Look | None:
        """What the bars and labels look like on screen: (the frame: view size, axis range, row
        count; per row: bar end and label anchor in whole device pixels, fill, highlight, label
        text). None while the view has no size yet."""
        view = self._plot.getPlotItem().vb
        size = (view.width(), view.height())
        if size[0] < 1 or size[1] < 1:
            return None
        px = size[0] / self._axis_max
        rows = tuple(
            (
                round(width * px),
                bar.value is None,
                bar.tier,
                bar.key == self._highlighted,
                None if label is None else (round(label[0] * px), label[1], label[2]),
            )
            for bar, width, label in zip(self._bars, widths, labels, strict=True)
        )
        return (size, self._axis_max, len(rows)), rows

    def _draw_ghosts(self, count: int) -> None:
        """The ghosts, re-recorded only when they look different (like the bars)."""
        view = self._plot.getPlotItem().vb
        ghosts = [(i, g) for i, b in enumerate(self._bars) if (g := self._ghosts.get(b.key)) is not None]
        px = view.width() / self._axis_max
        rows = tuple((i, g.liquidated, g.tier, None if g.distance is None else round(g.distance * px))
                     for i, g in ghosts)
        look = (view.width(), view.height(), self._axis_max, count, rows)
        if look == self._drawn_ghosts:
            return
        self._drawn_ghosts = look
        if not ghosts:
            self._ghost_item.setVisible(False)
            return
        rects: list[tuple[QRectF, QBrush, QPen]] = []
        for i, g in ghosts:
            middle = float(count - 1 - i)
            if g.liquidated:  # the whole row crossed out: gone at this move
                rects.append((QRectF(0.0, middle - _BAR_HEIGHT / 2, self._axis_max, _BAR_HEIGHT), self._gone_brush,
                              self._ghost_pen))
            elif g.distance is not None:  # a thinner bar inside the live one, at the shocked distance
                width = min(max(g.distance, self._axis_max * 0.003), self._axis_max)
                rect = QRectF(0.0, middle - _GHOST_HEIGHT / 2, width, _GHOST_HEIGHT)
                rects.append((rect, self._ghost_brushes[g.tier], self._ghost_pen))
        pixel_w, pixel_h = view.viewPixelSize()
        bounds = QRectF(-2 * pixel_w, -_BAR_HEIGHT / 2 - 2 * pixel_h, self._axis_max + 4 * pixel_w,
                        max(count - 1, 0) + _BAR_HEIGHT + 4 * pixel_h)
        self._ghost_item.set_bars(rects, bounds)
        self._ghost_item.setVisible(True)

    def _on_view_resized(self) -> None:
        if self._drawn_look is not None:
            self._drawn_look = None  # pixels per percent changed: the next draw must not be skipped
            self._draw()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        index = self.bar_index_at(self._plot.getPlotItem().vb.mapSceneToView(scene_pos))
        if index is None:
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), self.describe_bar(index), self._plot)

    def _on_mouse_clicked(self, event: object) -> None:
        scene_pos = event.scenePos()  # type: ignore[attr-defined]  # pyqtgraph MouseClickEvent
        index = self.bar_index_at(self._plot.getPlotItem().vb.mapSceneToView(scene_pos))
        if index is None:
            return
        key = self._bars[index].key
        self.highlight(*key)
        self.position_selected.emit(*key)
