"""The liquidation chart's graphics items: bars, their value labels and the distance bands.

Each is one pyqtgraph item painting many shapes in one pass: one item per bar or label cost tens
of milliseconds per redraw on the GUI thread (see each class).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPicture
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem


class BarLabels(pg.GraphicsObject):
    """Every bar's value label in one item, painted in one pass at screen size.

    One pyqtgraph TextItem per bar (~200) cost ~70 ms per redraw on the GUI thread: each item
    re-lays itself out whenever the view changes. Here a redraw is one list and one paint.
    """

    _GAP_PX = 3.0

    def __init__(self, outside: QColor) -> None:
        super().__init__()
        self._labels: list[tuple[float, float, str, bool]] = []  # x, y (data), text, inside the bar
        self._rect = QRectF()
        self._inside_pen = QPen(QColor("#000000"))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # a real exposedRect
        self._outside_pen = QPen(outside)

    def set_labels(
        self, labels: list[tuple[float, float, str, bool]], rect: QRectF, dirty: list[QRectF] | None = None
    ) -> None:
        """`dirty`: the only areas (in data coordinates) whose labels may have changed; None: all."""
        if labels == self._labels and rect == self._rect:
            return
        self._labels = labels
        if rect != self._rect or dirty is None:
            self.prepareGeometryChange()
            self._rect = rect
            self.update()
            return
        for area in dirty:
            self.update(area)

    def texts(self) -> list[str]:
        return [text for _, _, text, _ in self._labels]

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, *_args: object) -> None:
        if not self._labels:
            return
        to_device = painter.transform()
        # Only what is being repainted (a few rows' strips after a partial update): text outside
        # it would be clipped anyway, after being laid out.
        exposed = to_device.mapRect(option.exposedRect)
        painter.resetTransform()  # text at screen size, not stretched with the data axes
        metrics = painter.fontMetrics()
        half_height = (metrics.ascent() - metrics.descent()) / 2
        clip = painter.viewport()
        line = metrics.height()
        last_y = -float("inf")
        for x, y, text, inside in self._labels:  # top to bottom
            at = to_device.map(QPointF(x, y))
            if not (clip.top() - line <= at.y() <= clip.bottom() + line) or at.y() - last_y < line:
                continue  # off screen, or would overwrite the label above: rows denser than text
            last_y = at.y()
            if not (exposed.top() - line <= at.y() <= exposed.bottom() + line):
                continue
            if inside:
                painter.setPen(self._inside_pen)
                left = at.x() - metrics.horizontalAdvance(text) - self._GAP_PX
            else:
                painter.setPen(self._outside_pen)
                left = at.x() + self._GAP_PX
            painter.drawText(QPointF(left, at.y() + half_height), text)


class Bars(pg.GraphicsObject):
    """The bars: one rectangle, fill and outline each, recorded once per change and replayed.

    pyqtgraph's BarGraphItem records the same QPicture, but through numpy arrays, and works out
    its bounds from the pen's pixel width on every repaint (~0.3 ms of GUI time per update of 20
    bars); here the bounds come with the bars. A replayed picture rounds edges that fall on half
    pixels as BarGraphItem did (painting the rectangles directly moved some by a pixel).
    """

    def __init__(self) -> None:
        super().__init__()
        self._picture = QPicture()
        self._rect = QRectF()

    def set_bars(
        self, bars: list[tuple[QRectF, QBrush, QPen]], bounds: QRectF, dirty: list[QRectF] | None = None
    ) -> None:
        """`bounds` must hold every bar with its outline (the highlight pen is 3 px wide); `dirty`:
        the only areas whose bars may have changed (None: all)."""
        if bounds != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(bounds)
            dirty = None
        self._picture = QPicture()
        painter = QPainter(self._picture)
        for rect, brush, pen in bars:
            painter.setPen(pen)
            painter.setBrush(brush)
            painter.drawRect(rect)
        painter.end()
        if dirty is None:
            self.update()
            return
        for area in dirty:
            self.update(area)

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, *_args: object) -> None:
        self._picture.play(painter)


class BandShapes(pg.GraphicsObject):
    """The distance bands' shading and edge lines, or their dashed marks, in one item.

    Drawn before as two pyqtgraph LinearRegionItems (each with two InfiniteLine edges) and two
    InfiniteLines: six interactive items that worked out their bounds and painted in Python on
    every repaint of the chart (~0.4 ms of a ~1.2 ms repaint). Same shapes, same order and pens.
    """

    _NO_PEN = QPen(Qt.PenStyle.NoPen)

    def __init__(self) -> None:
        super().__init__()
        self._fills: list[tuple[float, float, QBrush]] = []
        self._lines: list[list[tuple[float, QPen]]] = []  # edge lines, drawn after the fill of the same index
        self._rect = QRectF()

    def set_shapes(self, fills: list[tuple[float, float, QBrush]], lines: list[list[tuple[float, QPen]]]) -> None:
        self._fills = fills
        self._lines = lines
        self.update()

    def set_view(self, rect: QRectF) -> None:
        """The plot's data range: the shapes span it from bottom to top (as infinite lines would)."""
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(rect)

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, *_args: object) -> None:
        top, bottom = self._rect.top(), self._rect.bottom()
        for i in range(max(len(self._fills), len(self._lines))):
            if i < len(self._fills):
                low, high, brush = self._fills[i]
                painter.setPen(self._NO_PEN)
                painter.setBrush(brush)
                painter.drawRect(QRectF(low, top, high - low, bottom - top))
            for x, pen in self._lines[i] if i < len(self._lines) else ():
                painter.setPen(pen)
                painter.drawLine(QPointF(x, top), QPointF(x, bottom))
