"""The positions table's "Last hour" sparklines: the line's shape, what is painted where, and that a
line is built once per sample, not once per repaint."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.risk_history_store import RiskSample
from marginwatch.ui.position_rows import Column, PositionKey
from marginwatch.ui.positions_table import PositionsTable
from marginwatch.ui.sparklines import build_sparkline
from marginwatch.ui.tier_style import TIER_FILLS
from tests.ui.risk_factories import account_risk, position_risk


def ramp(start: float, step: float, n: int = 10) -> list[RiskSample]:
    return [RiskSample(1000.0 + i * 360, start + i * step, None, None) for i in range(n)]


def test_the_line_spans_the_hour_with_the_highest_ratio_at_the_top() -> None:
    spark = build_sparkline(ramp(0.2, 0.05), warning=0.5)
    assert spark is not None
    points = [(p.x(), p.y()) for p in spark.polygon]
    assert points[0] == (pytest.approx(0.1), 1.0) and points[-1] == (1.0, 0.0)  # rising: ends at the top
    assert spark.threshold_y is not None and abs(spark.threshold_y - (0.65 - 0.5) / 0.45) < 1e-9
    assert build_sparkline(ramp(0.2, 0.01), warning=0.5).threshold_y is None  # type: ignore[union-attr]


def test_a_flat_hour_stays_flat_in_the_middle_and_unknown_figures_are_left_out() -> None:
    spark = build_sparkline(ramp(0.3, 0.0), warning=0.5)
    assert spark is not None and {p.y() for p in spark.polygon} == {0.5}
    gaps = [RiskSample(1.0, None, None, None), RiskSample(2.0, 0.3, None, None)]
    assert build_sparkline(gaps, warning=0.5) is None  # one known point is no line


def cell_colours(image: QImage, table: PositionsTable, row: int) -> set[tuple[int, int, int]]:
    rect = table.visualRect(table.model().index(row, Column.TREND))
    rect.translate(table.viewport().pos())
    ratio = image.devicePixelRatio()
    return {QColor(image.pixel(int(x * ratio), int(y * ratio))).getRgb()[:3]
            for x in range(rect.left(), rect.right()) for y in range(rect.top(), rect.bottom())}


def test_the_table_paints_each_positions_line_in_its_tier_colour_and_builds_it_once_per_sample(
    qtbot: QtBot,
) -> None:
    table = PositionsTable()
    qtbot.addWidget(table)
    table.resize(1600, 300)
    table.positions_model.update_account("main", account_risk(
        position_risk("BTCUSDT", ratio="0.9"), position_risk("ETHUSDT", ratio="0.1")))
    series: dict[PositionKey, Sequence[RiskSample]] = {
        ("main", "BTCUSDT", "BOTH"): ramp(0.8, 0.01), ("main", "ETHUSDT", "BOTH"): ramp(0.1, -0.005)}
    table.set_sparkline_source(lambda key: series.get(key, ()))
    table.show()
    qtbot.waitExposed(table)
    model = table.positions_model
    btc, eth = model.row_of("main", "BTCUSDT", "BOTH"), model.row_of("main", "ETHUSDT", "BOTH")
    assert btc is not None and eth is not None
    image = table.grab().toImage()
    danger, calm = TIER_FILLS[RiskTier.DANGER].getRgb()[:3], TIER_FILLS[RiskTier.CALM].getRgb()[:3]
    assert danger in cell_colours(image, table, btc) and calm not in cell_colours(image, table, btc)
    assert calm in cell_colours(image, table, eth)
    built, drawn = table.sparklines.builds, table.sparklines.draws
    table.grab()
    table.viewport().repaint()
    assert (table.sparklines.builds, table.sparklines.draws) == (built, drawn)  # repaints reuse the lines
    table.refresh_sparklines()
    table.grab()
    assert table.sparklines.builds == built + 2  # one per position after a sample


def test_a_double_click_on_the_line_asks_for_that_positions_chart(qtbot: QtBot) -> None:
    table = PositionsTable()
    qtbot.addWidget(table)
    table.positions_model.update_account("main", account_risk(position_risk("BTCUSDT")))
    with qtbot.waitSignal(table.risk_history_requested) as asked:
        table.doubleClicked.emit(table.model().index(0, Column.TREND))
    assert asked.args == ["main", "BTCUSDT", "BOTH"]
    with qtbot.assertNotEmitted(table.risk_history_requested):
        table.doubleClicked.emit(table.model().index(0, Column.SYMBOL))
    tip = table.model().index(0, Column.TREND).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "Margin ratio over the last hour (double-click for the risk chart)"
