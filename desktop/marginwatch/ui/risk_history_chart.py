"""Risk over time: one series (a position, or an account's own margin ratio) over the last hour, day
or week, the warning and danger bands drawn behind it and the journal's alerts and margin calls
marked on the time axis. `show_at` centres the window on a moment: an alert picked in History.

pyqtgraph comes in with this module, which is only imported when the chart is first opened.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from marginwatch.core.risk_tiers import RiskTier, TierThresholds
from marginwatch.services.journal import RowKind
from marginwatch.services.risk_history import INTERVAL_S
from marginwatch.services.risk_history_store import ACCOUNT_SYMBOL, MINUTE_S, TEN_MINUTES_S, RiskSample, SeriesKey
from marginwatch.ui.tier_style import TIER_FILLS, TIER_MARKS

if TYPE_CHECKING:
    from marginwatch.services.journal import Journal, JournalRow
    from marginwatch.services.risk_history import RiskHistory

SPANS = {"hour": 3600.0, "day": 86400.0, "week": 7 * 86400.0}
METRICS = ("margin_ratio", "distance_pct", "mark")
_BAND_ALPHA = 60
_ALERT_LIMIT = 500
_SPACING = {0: INTERVAL_S, 1: MINUTE_S, 2: TEN_MINUTES_S}  # seconds between samples at each level


def _tier_of(row: JournalRow) -> RiskTier:
    if row.kind is RowKind.MARGIN_CALL:
        return RiskTier.DANGER
    try:
        return RiskTier[str(row.data.get("tier", "")).upper()]
    except KeyError:
        return RiskTier.UNKNOWN


def _value(sample: RiskSample, metric: str) -> float:
    v: float | None = getattr(sample, metric)
    if v is None:
        return math.nan  # a gap in the line: the figure was not known then
    return v * 100 if metric == "margin_ratio" else v


def _with_gaps(samples: Sequence[RiskSample], metric: str) -> tuple[list[float], list[float]]:
    """The points to draw, with a break (NaN) where samples stop for over three of their intervals:
    the app was off or the account's streams were down, and a line across would invent figures."""
    xs: list[float] = []
    ys: list[float] = []
    for i, s in enumerate(samples):
        if i and s.at - samples[i - 1].at > 3 * _SPACING[max(s.level, samples[i - 1].level)]:
            xs.append((s.at + samples[i - 1].at) / 2)
            ys.append(math.nan)
        xs.append(s.at)
        ys.append(_value(s, metric))
    return xs, ys


class RiskHistoryChart(QWidget):
    """Reads the samples through `history` and the alerts from `journal`; draws, never writes."""

    def __init__(
        self,
        history: RiskHistory,
        journal: Journal,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._journal = journal
        self._clock = clock
        self._thresholds = TierThresholds()
        self._distance_bands = (10.0, 5.0)  # warning, danger (percent)
        self._centre: float | None = None  # None: the window ends now
        self._marks: list[tuple[float, RiskTier, str]] = []
        self._bands: list[tuple[float, float, RiskTier]] = []

        self.series_combo = QComboBox()
        self.range_combo = QComboBox()
        spans = (("hour", self.tr("Last hour")), ("day", self.tr("Last day")), ("week", self.tr("Last week")))
        for key, label in spans:
            self.range_combo.addItem(label, key)
        self.metric_combo = QComboBox()
        for key, label in zip(METRICS, (self.tr("Margin ratio (%)"), self.tr("Distance to liquidation (%)"),
                                        self.tr("Mark price")), strict=True):
            self.metric_combo.addItem(label, key)
        self.status_label = QLabel()
        for combo in (self.series_combo, self.metric_combo):
            combo.currentIndexChanged.connect(self.redraw)
        self.range_combo.currentIndexChanged.connect(self._on_range)

        text = self.palette().color(QPalette.ColorRole.Text)
        self._plot = pg.PlotWidget(background=self.palette().color(QPalette.ColorRole.Base),
                                   axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        item = self._plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=True, y=False)
        item.showGrid(x=True, y=True, alpha=0.2)
        for name in ("left", "bottom"):
            item.getAxis(name).setTextPen(text)
            item.getAxis(name).setPen(text)
        self._curve = pg.PlotDataItem(pen=pg.mkPen(text, width=2), connect="finite")
        self._curve.setZValue(10)
        self._plot.addItem(self._curve)
        self._band_items: list[pg.LinearRegionItem] = []
        self._mark_items: list[pg.InfiniteLine] = []

        controls = QHBoxLayout()
        for w in (self.series_combo, self.range_combo, self.metric_combo):
            controls.addWidget(w)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self._plot, 1)
        layout.addWidget(self.status_label)

    # ------------------------------------------------------------------ settings

    def set_thresholds(self, thresholds: TierThresholds) -> None:
        self._thresholds = thresholds
        self.redraw()

    def set_distance_bands(self, warning_pct: float, danger_pct: float) -> None:
        self._distance_bands = (warning_pct, danger_pct)
        self.redraw()

    # ------------------------------------------------------------------ choosing what to show

    def reload_series(self) -> None:
        """Offer every series with a sample in the last week, keeping the one shown."""
        current = self.current_key()
        keys = self._history.keys(self._clock() - SPANS["week"])
        self.series_combo.blockSignals(True)
        self.series_combo.clear()
        for key in keys:
            self.series_combo.addItem(self._label(key), key)
        found = self.series_combo.findData(current) if current is not None else -1
        self.series_combo.setCurrentIndex(max(0, found))
        self.series_combo.blockSignals(False)
        self.redraw()

    def _label(self, key: SeriesKey) -> str:
        account, symbol, side = key
        if symbol == ACCOUNT_SYMBOL:
            return self.tr("{0}: account margin ratio").format(account)
        return f"{account}: {symbol}" + ("" if side == "BOTH" else f" {side}")

    def current_key(self) -> SeriesKey | None:
        key = self.series_combo.currentData()
        return (str(key[0]), str(key[1]), str(key[2])) if key is not None else None

    def select(self, account: str, symbol: str = ACCOUNT_SYMBOL, side: str = "") -> bool:
        """Show one series (a position, or with no symbol the account); False when it has no samples."""
        self.reload_series()
        for i in range(self.series_combo.count()):
            a, s, d = self.series_combo.itemData(i)
            if a == account and s == symbol and (not side or d == side or s == ACCOUNT_SYMBOL):
                self.series_combo.setCurrentIndex(i)
                return True
        return False

    def set_span(self, span: str) -> None:
        self.range_combo.setCurrentIndex(max(0, self.range_combo.findData(span)))

    def show_at(self, account: str, symbol: str, at: float) -> bool:
        """The hour around `at` on that symbol's series (the account's when it has none)."""
        found = self.select(account, symbol) or self.select(account)
        self._centre = at
        self.range_combo.blockSignals(True)
        self.set_span("hour")
        self.range_combo.blockSignals(False)
        self.redraw()
        return found

    def follow_now(self) -> None:
        """A new sample: redraw when the window ends now (not when it shows an alert's moment)."""
        if self._centre is None:
            self.redraw()

    def _on_range(self) -> None:
        self._centre = None  # "last …": the window ends now again
        self.redraw()

    def time_window(self) -> tuple[float, float]:
        span = SPANS[str(self.range_combo.currentData())]
        if self._centre is not None:
            return self._centre - span / 2, self._centre + span / 2
        now = self._clock()
        return now - span, now

    # ------------------------------------------------------------------ drawing

    def redraw(self) -> None:
        key = self.current_key()
        start, end = self.time_window()
        metric = str(self.metric_combo.currentData())
        samples = self._history.series(key, start, end) if key is not None else []
        xs, ys = _with_gaps(samples, metric)
        self._curve.setData(xs, ys)
        finite = [y for y in ys if not math.isnan(y)]
        self._draw_bands(metric, max(finite, default=0.0))
        self._draw_marks(key, start, end)
        self._plot.setXRange(start, end, padding=0)
        if finite:
            low = 0.0 if metric != "mark" else min(finite)
            high = max([*finite, *(hi for _, hi, _ in self._bands)])  # the bands stay in view
            self._plot.setYRange(low, high, padding=0.05)
        if not samples:
            self.status_label.setText(self.tr("No samples in this window yet: one is taken every 10 seconds."))
        else:
            self.status_label.setText(self.tr("%d samples") % len(samples))

    def _draw_bands(self, metric: str, top: float) -> None:
        for band in self._band_items:
            self._plot.removeItem(band)
        self._band_items = []
        if metric == "margin_ratio":
            warning, danger = float(self._thresholds.warning) * 100, float(self._thresholds.danger) * 100
            self._bands = [(warning, danger, RiskTier.WARNING), (danger, max(100.0, top), RiskTier.DANGER)]
        elif metric == "distance_pct":
            warning, danger = self._distance_bands
            self._bands = [(danger, warning, RiskTier.WARNING), (0.0, danger, RiskTier.DANGER)]
        else:
            self._bands = []
        for low, high, tier in self._bands:
            colour = QColor(TIER_FILLS[tier])
            colour.setAlpha(_BAND_ALPHA)
            band = pg.LinearRegionItem((low, high), orientation="horizontal", movable=False, brush=colour,
                                       pen=pg.mkPen(None))
            band.setZValue(-10)
            self._plot.addItem(band)
            self._band_items.append(band)

    def _draw_marks(self, key: SeriesKey | None, start: float, end: float) -> None:
        for line in self._mark_items:
            self._plot.removeItem(line)
        self._mark_items = []
        self._marks = []
        if key is None:
            return
        account, symbol, _side = key
        rows: list[JournalRow] = []
        try:
            for kind in (RowKind.ALERT, RowKind.MARGIN_CALL):
                rows += self._journal.query(kind=kind, account=account, symbol=symbol or None, since=start,
                                            until=end, limit=_ALERT_LIMIT)
        except Exception:  # a closed journal: the line still shows
            rows = []
        for row in sorted(rows, key=lambda r: r.at):
            tier = _tier_of(row)
            title = str(row.data.get("title", "")) or row.summary
            self._marks.append((row.at, tier, title))
            line = pg.InfiniteLine(pos=row.at, angle=90, movable=False,
                                   pen=pg.mkPen(TIER_FILLS[tier], width=2, style=Qt.PenStyle.DashLine),
                                   label=TIER_MARKS[tier] or "●", labelOpts={"position": 0.95})
            line.setToolTip(f"{time.strftime('%H:%M:%S', time.localtime(row.at))} {title}")
            self._plot.addItem(line)
            self._mark_items.append(line)

    # ------------------------------------------------------------------ what is shown (tests, a11y)

    def plotted(self) -> tuple[Sequence[float], Sequence[float]]:
        xs, ys = self._curve.getData()
        return ([] if xs is None else list(xs)), ([] if ys is None else list(ys))

    def bands(self) -> list[tuple[float, float, RiskTier]]:
        return list(self._bands)

    def alert_marks(self) -> list[tuple[float, RiskTier, str]]:
        return list(self._marks)


class RiskHistoryDialog(QDialog):
    """The chart in a window of its own; modeless (opened with show())."""

    def __init__(self, history: RiskHistory, journal: Journal, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("MarginWatch Risk history"))
        self.resize(900, 480)
        self.chart = RiskHistoryChart(history, journal, self)
        QVBoxLayout(self).addWidget(self.chart)
        history.sampled.connect(self._on_sampled)

    def _on_sampled(self, _at: float) -> None:
        if self.isVisible():
            self.chart.follow_now()
