"""LiquidationChart: bar values and tiers, throttled repaints, no-liq bars, selection and highlight."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from marginwatch.core.position import PositionSide
from marginwatch.core.risk_tiers import RiskTier
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
    chart.set_distance_bands(warn_pct=10, danger_pct=5)
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
    with pytest.raises(ValueError, match="distance bands"):
        chart.set_distance_bands(warn_pct=5, danger_pct=10)


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
