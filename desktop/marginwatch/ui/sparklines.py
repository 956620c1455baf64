"""The positions table's "Last hour" column: each position's margin ratio over the last hour as a
small line, coloured by the row's tier, the warning threshold dashed where it is in range.

Cheap by construction, as the table repaints every second: a line is built once per sample (every
10 s) as a polygon in unit coordinates, and a paint only maps it onto the cell. Only this column has
the delegate, so the other cells keep the table's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF, QTransform
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.ui.position_rows import PositionKey
from marginwatch.ui.tier_style import TIER_FILLS

if TYPE_CHECKING:  # the window paints before the services' modules are loaded
    from marginwatch.services.risk_history_store import RiskSample

AnyIndex = QModelIndex | QPersistentModelIndex
RecentSource = Callable[[PositionKey], Sequence["RiskSample"]]
RECENT_S = 3600.0  # the hour a line spans (services.risk_history keeps the same hour in memory)
_MIN_SPAN = 0.01  # a flat hour stays flat: one percentage point of ratio at least fills the cell
_PAD_PX = 3.0
POINTS = 40  # at most this many points a line


class Sparkline:
    """One position's line in unit coordinates (x: time over the hour, y: 0 at the top)."""

    __slots__ = ("polygon", "threshold_y")

    def __init__(self, polygon: QPolygonF, threshold_y: float | None) -> None:
        self.polygon = polygon
        self.threshold_y = threshold_y


def build_sparkline(samples: Sequence[RiskSample], warning: float) -> Sparkline | None:
    """The last hour's ratios as a unit polygon; None with fewer than two known points."""
    known = [(s.at, s.margin_ratio) for s in samples if s.margin_ratio is not None]
    if len(known) < 2:
        return None
    end = known[-1][0]
    start = end - RECENT_S
    # One point a bucket, its highest ratio: a cell is ~80 px wide, and drawing 360 points a line
    # made a full repaint of the table twenty times dearer.
    buckets: dict[int, tuple[float, float]] = {}
    for at, v in known:
        b = int((at - start) / RECENT_S * POINTS)
        kept = buckets.get(b)
        if kept is None or v > kept[1]:
            buckets[b] = (at, v)
    points = [buckets[b] for b in sorted(buckets)]
    values = [v for _, v in points]
    low, high = min(values), max(values)
    if high - low < _MIN_SPAN:
        middle = (high + low) / 2
        low, high = middle - _MIN_SPAN / 2, middle + _MIN_SPAN / 2
    span = high - low
    polygon = QPolygonF([QPointF((at - start) / RECENT_S, (high - v) / span) for at, v in points])
    threshold = (high - warning) / span if low <= warning <= high else None
    return Sparkline(polygon, threshold)


class SparklineDelegate(QStyledItemDelegate):
    """Paints the trend column from `recent(key)`; `invalidate()` after each new sample."""

    def __init__(self, key_at: Callable[[int], PositionKey], tier_at: Callable[[int], RiskTier],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._key_at = key_at
        self._tier_at = tier_at
        self._recent: RecentSource | None = None
        self._warning = 0.5
        self._lines: dict[PositionKey, Sparkline | None] = {}
        self._pens = {tier: QPen(QColor(colour), 1.5) for tier, colour in TIER_FILLS.items()}
        for pen in self._pens.values():
            pen.setCosmetic(True)
        self._threshold_pen = QPen(QColor(TIER_FILLS[RiskTier.WARNING]), 1, Qt.PenStyle.DotLine)
        self._threshold_pen.setCosmetic(True)
        self._pixmaps: dict[PositionKey, tuple[tuple[int, int, RiskTier, float], QPixmap]] = {}
        self.builds = 0  # lines built since start (tests and the bench read it)
        self.draws = 0  # lines drawn into pixmaps

    def set_source(self, recent: RecentSource | None) -> None:
        self._recent = recent
        self.invalidate()

    def set_warning(self, warning: float) -> None:
        self._warning = warning
        self.invalidate()

    def invalidate(self) -> None:
        self._lines.clear()
        self._pixmaps.clear()

    def line(self, key: PositionKey) -> Sparkline | None:
        if key not in self._lines:
            self._lines[key] = None if self._recent is None else build_sparkline(self._recent(key), self._warning)
            self.builds += 1
        return self._lines[key]

    def initStyleOption(self, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        # No text, no brushes: Qt's own asks the model seven roles (calls into Python) per cell. The
        # view has set the row's state (selected, alternate) already.
        option.index = index  # type: ignore[assignment]
        option.styleObject = None  # type: ignore[assignment]  # as Qt's: no style animations inside item views

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        super().paint(painter, option, index)  # background, selection, focus as the other cells
        row = index.row()
        key = self._key_at(row)
        spark = self.line(key)
        if spark is None:
            return
        rect = option.rect.adjusted(int(_PAD_PX), int(_PAD_PX), -int(_PAD_PX), -int(_PAD_PX))
        if rect.width() < 4 or rect.height() < 4:
            return
        # Drawn once per sample into a pixmap: an antialiased line cost ~0.1-0.2 ms a paint, and a
        # re-sort repaints the whole column.
        tier = self._tier_at(row)
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        look = (rect.width(), rect.height(), tier, ratio)
        cached = self._pixmaps.get(key)
        if cached is None or cached[0] != look:
            cached = self._pixmaps[key] = (look, self._draw(spark, rect.width(), rect.height(), tier, ratio))
        painter.drawPixmap(rect.topLeft(), cached[1])

    def _draw(self, spark: Sparkline, width: int, height: int, tier: RiskTier, ratio: float) -> QPixmap:
        pixmap = QPixmap(int(width * ratio), int(height * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if spark.threshold_y is not None:
            painter.setPen(self._threshold_pen)
            y = spark.threshold_y * (height - 1)
            painter.drawLine(QPointF(0, y), QPointF(width, y))
        painter.setPen(self._pens[tier])
        painter.drawPolyline(QTransform.fromScale(width - 1, height - 1).map(spark.polygon))
        painter.end()
        self.draws += 1
        return pixmap
