"""LiquidationChart: bar values and tiers, throttled repaints, no-liq bars, selection and highlight."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from marginwatch.core.position import PositionSide
from marginwatch.core.risk_tiers import RiskBands, RiskTier
from marginwatch.ui.liquidation_chart import LiquidationChart
from tests.ui.risk_factories import position_risk


@pytest.fixture
def chart(qtbot: QtBot) -> LiquidationChart:
    widget = LiquidationChart()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    return widget


def test_bars_follow_data_nearest_first(chart: LiquidationChart, qtbot: QtBot) -> None:
    chart.set_data(
        [
            ("main", position_risk(symbol="BTCUSDT", distance="18.03", ratio="0.2")),
            ("main", position_risk(symbol="ETHUSDT", distance="4.5", ratio="0.85")),
            ("main", position_risk(symbol="SOLUSDT", liq=None, distance=None, ratio=None)),
            ("main", position_risk(symbol="XRPUSDT", distance="9", ratio="0.6", side=PositionSide.SHORT)),
        ]
    )
    qtbot.waitUntil(lambda: len(chart.bars()) == 4, timeout=2000)
    assert chart.bars() == [
        ("ETHUSDT", 4.5, RiskTier.DANGER),
        ("XRPUSDT S", 9.0, RiskTier.WARNING),
        ("BTCUSDT", pytest.approx(18.03), RiskTier.CALM),
        ("SOLUSDT", None, RiskTier.UNKNOWN),  # kept, drawn as a hatched "no liq. price" bar
    ]
    text = chart.describe_bar(0)
    assert "ETHUSDT" in text and "4.50 %" in text and "85.00 %" in text and "danger" in text


def test_distance_bands_raise_tier(chart: LiquidationChart, qtbot: QtBot) -> None:
    chart.set_bands(RiskBands(distance_warning_pct=Decimal(10), distance_danger_pct=Decimal(5)))
    chart.set_data(
        [
            ("a", position_risk(symbol="AAA", distance="3", ratio="0.1")),
            ("a", position_risk(symbol="BBB", distance="7", ratio="0.1")),
            ("a", position_risk(symbol="CCC", distance="30", ratio="0.1")),
            ("b", position_risk(symbol="DDD", distance="30", ratio="0.9")),
        ]
    )
    qtbot.waitUntil(lambda: len(chart.bars()) == 4, timeout=2000)
    assert [(label, tier) for label, _, tier in chart.bars()] == [
        ("a · AAA", RiskTier.DANGER),
        ("a · BBB", RiskTier.WARNING),
        ("a · CCC", RiskTier.CALM),
        ("b · DDD", RiskTier.DANGER),  # the ratio is worse than the distance band
    ]
    assert "set by the distance to liquidation (danger at or under 5 %)" in chart.describe_bar(0)
    with pytest.raises(ValueError, match="distance thresholds"):
        RiskBands(distance_warning_pct=Decimal(5), distance_danger_pct=Decimal(10))


def test_many_updates_few_repaints_latest_shown(chart: LiquidationChart, qtbot: QtBot) -> None:
    before = chart.render_count
    for i in range(200):
        chart.set_data([("main", position_risk(distance=str(10 + i)))])
    qtbot.waitUntil(lambda: bool(chart.bars()) and chart.bars()[0][1] == 209.0, timeout=3000)
    # One leading repaint plus one trailing repaint with the newest data.
    assert chart.render_count - before <= 3


def test_click_selects_and_highlight_marks(chart: LiquidationChart, qtbot: QtBot) -> None:
    chart.set_data(
        [
            ("main", position_risk(symbol="BTCUSDT", distance="20")),
            ("main", position_risk(symbol="ETHUSDT", distance="5")),
        ]
    )
    chart.flush()
    chart.show()
    qtbot.waitExposed(chart)
    assert chart.bar_keys() == [("main", "ETHUSDT", "BOTH"), ("main", "BTCUSDT", "BOTH")]
    view = chart.plot_widget
    point = view.mapFromScene(chart.bar_centre_in_scene(1))
    with qtbot.waitSignal(chart.position_selected, timeout=2000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == ["main", "BTCUSDT", "BOTH"]
    assert chart.highlighted == ("main", "BTCUSDT", "BOTH")
    chart.highlight("main", "ETHUSDT", "BOTH")
    assert chart.highlighted == ("main", "ETHUSDT", "BOTH")
    # Off the bars nothing is hit.
    assert chart.bar_index_at(QPointF(1.0, 5.0)) is None


def test_empty_data_clears(chart: LiquidationChart, qtbot: QtBot) -> None:
    chart.set_data([("main", position_risk(distance="12"))])
    chart.flush()
    chart.set_data([])
    chart.flush()
    assert chart.bars() == []


def _shown(chart: LiquidationChart, qtbot: QtBot) -> None:
    chart.show()
    qtbot.waitExposed(chart)


def test_a_render_that_looks_the_same_does_not_redraw(chart: LiquidationChart, qtbot: QtBot) -> None:
    _shown(chart, qtbot)
    chart.set_data([("main", position_risk(symbol="AAA", distance="20.0"))])
    chart.flush()
    drawn, renders = chart.draw_count, chart.render_count
    assert chart.label_texts() == ["20.00 %"]
    # 0.001 % moves the bar end by a fraction of a pixel and leaves the label's text as it is.
    chart.set_data([("main", position_risk(symbol="AAA", distance="20.001"))])
    chart.flush()
    assert chart.render_count == renders + 1
    assert chart.draw_count == drawn
    assert chart.bars()[0][1] == pytest.approx(20.001)  # the newest figures are still what it reports
    # A new label text is a visible change.
    chart.set_data([("main", position_risk(symbol="AAA", distance="20.01"))])
    chart.flush()
    assert chart.draw_count == drawn + 1
    assert chart.label_texts() == ["20.01 %"]
    # So is a new colour (the margin ratio crossed into the warning tier), at the same distance.
    chart.set_data([("main", position_risk(symbol="AAA", distance="20.01", ratio="0.6"))])
    chart.flush()
    assert chart.draw_count == drawn + 2
    # And the highlight.
    chart.highlight("main", "AAA", "BOTH")
    assert chart.draw_count == drawn + 3


def test_a_bar_end_moving_a_pixel_redraws_even_with_the_same_label(chart: LiquidationChart, qtbot: QtBot) -> None:
    _shown(chart, qtbot)
    # Narrow bands keep the axis at ~1 %, where a thousandth of a percent is a pixel.
    chart.set_bands(RiskBands(distance_warning_pct=Decimal("0.6"), distance_danger_pct=Decimal("0.3")))
    chart.set_data([("main", position_risk(symbol="AAA", distance="0.501"))])
    chart.flush()
    drawn = chart.draw_count
    view = chart.plot_widget.getPlotItem().vb
    pixels_per_percent = view.width() / view.viewRange()[0][1]
    assert (0.5049 - 0.501) * pixels_per_percent >= 1.0  # the premise: the end moves a whole pixel
    chart.set_data([("main", position_risk(symbol="AAA", distance="0.5049"))])
    chart.flush()
    assert chart.label_texts() == ["0.50 %"]
    assert chart.draw_count == drawn + 1


def test_a_resize_draws_the_newest_data(chart: LiquidationChart, qtbot: QtBot) -> None:
    _shown(chart, qtbot)
    chart.set_data([("main", position_risk(symbol="AAA", distance="20.0"))])
    chart.flush()
    chart.set_data([("main", position_risk(symbol="AAA", distance="20.004"))])  # not drawn: looks the same
    chart.flush()
    drawn = chart.draw_count
    chart.resize(900, 500)
    qtbot.waitUntil(lambda: chart.draw_count > drawn, timeout=2000)


class _PaintRegions(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.heights: list[int] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.heights.append(event.region().boundingRect().height())  # type: ignore[attr-defined]
        return False


def test_a_changed_row_repaints_only_its_strip_and_the_screen_matches_a_full_paint(
    chart: LiquidationChart, qtbot: QtBot
) -> None:
    _shown(chart, qtbot)

    def book(moved: str) -> list[tuple[str, object]]:
        return [
            ("main", position_risk(symbol=f"S{i:02d}USDT", distance=moved if i == 4 else str(5 + 3 * i)))
            for i in range(12)
        ]

    chart.set_data(book("17"))  # type: ignore[arg-type]
    chart.flush()
    for _ in range(3):  # the scene's queued update, then the full paint of the first data
        QApplication.processEvents()
    viewport = chart.plot_widget.viewport()
    regions = _PaintRegions()
    viewport.installEventFilter(regions)
    chart.set_data(book("17.5"))  # type: ignore[arg-type]  # one label and bar end change
    chart.flush()
    qtbot.waitUntil(lambda: bool(regions.heights), timeout=2000)
    viewport.removeEventFilter(regions)
    assert max(regions.heights) < viewport.height() / 3
    on_screen = chart.screen().grabWindow(chart.winId()).toImage()
    full = chart.grab().toImage().convertToFormat(on_screen.format())
    assert on_screen == full


def test_shocked_positions_are_drawn_as_ghosts_over_their_live_bars(chart: LiquidationChart, qtbot: QtBot) -> None:
    from marginwatch.ui.what_if_rows import ChartGhost

    _shown(chart, qtbot)
    chart.set_data([("main", position_risk(symbol="AAA", distance="20")),
                    ("main", position_risk(symbol="BBB", distance="30"))])
    chart.flush()
    shocked = position_risk(symbol="AAA", liq="50000", distance="4")
    renders = chart.render_count
    chart.set_ghosts({
        ("main", "AAA", "BOTH"): ChartGhost(4.0, RiskTier.DANGER, False, shocked, Decimal("-15")),
        ("main", "BBB", "BOTH"): ChartGhost(None, RiskTier.DANGER, True, shocked, Decimal("-8")),
    })
    assert chart.ghost_bars() == [("AAA", 4.0, False), ("BBB", None, True)]
    assert chart.render_count == renders  # a slider step draws the ghosts only, not the live bars again
    assert "What-if: liq. price 50,000.00, distance 4.00 % (danger)" in chart.describe_bar(0)
    assert "What-if: liquidated (from a move of -8.00 %)" in chart.describe_bar(1)
    assert chart.bars()[0][1] == 20.0  # the live bars stay as they are
    chart.set_ghosts(None)
    assert chart.ghost_bars() == [] and "What-if" not in chart.describe_bar(0)


def test_a_far_off_liquidation_does_not_squash_the_other_bars(chart: LiquidationChart, qtbot: QtBot) -> None:
    from marginwatch.ui.liquidation_chart import AXIS_CAP_PCT

    _shown(chart, qtbot)
    chart.set_data([("main", position_risk(symbol="AAA", distance="4")),
                    ("main", position_risk(symbol="HEDGE", distance="5452617.67"))])
    chart.flush()
    assert chart.plot_widget.getPlotItem().vb.viewRange()[0][1] == AXIS_CAP_PCT
    assert chart.label_texts() == ["4.00 %", "5,452,617.67 %"]  # the far one still says how far
    assert chart.bars()[1][1] == pytest.approx(5452617.67)
