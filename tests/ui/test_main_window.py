"""MainWindow composition, close-to-tray, menus, table behaviour and table ↔ chart linking."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from marginwatch import pacing
from marginwatch.core.account_risk import PositionRisk
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.ui.liquidation_chart import LiquidationChart
from marginwatch.ui.main_window import MainWindow
from marginwatch.ui.positions_model import Column
from marginwatch.ui.positions_table import PositionsTable
from tests.ui.risk_factories import account_risk, position_risk


def three_positions() -> tuple[PositionRisk, ...]:
    return (
        position_risk(symbol="BTCUSDT", mark="61000", distance="18"),
        position_risk(symbol="ETHUSDT", mark="2000", distance="4"),
        position_risk(symbol="SOLUSDT", mark="150", distance="30"),
    )


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    return win


def test_composes_and_feeds_parts(window: MainWindow, qtbot: QtBot) -> None:
    assert window.windowTitle() == "MarginWatch"
    assert window.width() >= 1000 and window.height() >= 600
    window.update_account("main", account_risk(*three_positions()))
    window.set_health("main", StreamHealth("user", StreamState.LIVE))
    window.add_event(1.0, "info", "started")
    window.set_demo_mode(True)
    window.show_alert("ETHUSDT near liquidation", RiskTier.DANGER)
    assert window.positions_model.rowCount() == 3
    assert window.account_summary.texts("main")["health"] == "user: live"
    assert window.event_log.entries() == [(1.0, "info", "started")]
    assert not window.demo_banner.isHidden() and not window.alert_banner.isHidden()
    assert window.positions_table.isColumnHidden(Column.ACCOUNT)
    window.update_account("second", account_risk(position_risk()))
    assert not window.positions_table.isColumnHidden(Column.ACCOUNT)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Tools", "&Help"]
    assert window.calculator_action.shortcut().toString() == "Ctrl+K"


def test_close_hides_to_tray_unless_allowed(window: MainWindow, qtbot: QtBot) -> None:
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.hidden_to_tray, timeout=1000):
        window.close()
    assert window.isHidden()
    window.show()
    window.allow_close()
    with qtbot.assertNotEmitted(window.hidden_to_tray):
        assert window.close()


def test_actions_emit(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.calculator_requested, timeout=1000):
        window.calculator_action.trigger()
    with qtbot.waitSignal(window.quit_requested, timeout=1000):
        window.quit_action.trigger()


def test_table_sorts_selects_and_offers_calculator(qtbot: QtBot) -> None:
    table = PositionsTable()
    qtbot.addWidget(table)
    table.positions_model.update_account("main", account_risk(*three_positions()))
    table.sortByColumn(Column.MARK, Qt.SortOrder.DescendingOrder)
    shown = [table.model().index(r, Column.SYMBOL).data() for r in range(3)]
    assert shown == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    with qtbot.waitSignal(table.position_selected, timeout=1000) as selected:
        table.selectRow(1)
    assert selected.args == ["main", "ETHUSDT", "BOTH"]
    # Selection on request does not echo back as a user selection.
    with qtbot.assertNotEmitted(table.position_selected):
        assert table.select_position("main", "SOLUSDT", "BOTH")
    assert table.selected_key() == ("main", "SOLUSDT", "BOTH")
    assert not table.select_position("main", "NOPE", "BOTH")
    menu = table.context_menu_for(table.model().index(0, Column.SYMBOL))
    assert menu is not None
    action, history = menu.actions()
    assert action.text() == "Open calculator…" and history.text() == "Risk history…"
    with qtbot.waitSignal(table.calculator_requested, timeout=1000) as requested:
        action.trigger()
    assert requested.args == ["main", "BTCUSDT", "BOTH"]
    with qtbot.waitSignal(table.risk_history_requested, timeout=1000) as requested:
        history.trigger()
    assert requested.args == ["main", "BTCUSDT", "BOTH"]
    # Selection survives updates (no model reset).
    table.positions_model.update_account("main", account_risk(*three_positions()))
    assert table.selected_key() == ("main", "SOLUSDT", "BOTH")


def test_table_and_chart_are_linked(window: MainWindow, qtbot: QtBot) -> None:
    window.update_account("main", account_risk(*three_positions()))
    table = window.positions_table
    table.select_position("main", "BTCUSDT", "BOTH")
    chart = LiquidationChart()
    window.attach_chart(chart)
    assert window.chart is chart
    qtbot.waitUntil(lambda: len(chart.bars()) == 3, timeout=2000)
    assert chart.highlighted == ("main", "BTCUSDT", "BOTH")  # the earlier selection carries over
    # Table → chart.
    with qtbot.waitSignal(window.position_selected, timeout=1000) as selected:
        table.selectRow(2)
    assert selected.args == ["main", "SOLUSDT", "BOTH"]
    assert chart.highlighted == ("main", "SOLUSDT", "BOTH")
    # Chart → table.
    with qtbot.waitSignal(window.position_selected, timeout=1000):
        chart.position_selected.emit("main", "ETHUSDT", "BOTH")
    assert table.selected_key() == ("main", "ETHUSDT", "BOTH")
    # Later updates reach the chart too.
    window.update_account("main", account_risk(position_risk(symbol="BTCUSDT", distance="18")))
    qtbot.waitUntil(lambda: len(chart.bars()) == 1, timeout=2000)


def test_in_the_tray_updates_wait_and_the_window_opens_on_the_latest(window: MainWindow, qtbot: QtBot) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.update_account("main", account_risk(position_risk(symbol="BTCUSDT", mark="61000")))
    window.close()  # to the tray
    assert window.isHidden()
    for mark in ("62000", "63000"):
        window.update_account("main", account_risk(position_risk(symbol="BTCUSDT", mark=mark)))
    window.update_account("second", account_risk(position_risk(symbol="ETHUSDT", mark="2000")))
    model = window.positions_model
    assert model.rowCount() == 1  # nothing re-formatted while nobody looks
    assert "61,000" in str(model.index(0, Column.MARK).data())
    window.show()
    assert model.rowCount() == 2  # shown before the first paint, only the latest figures
    marks = {str(model.index(r, Column.MARK).data()) for r in range(2)}
    assert any("63,000" in m for m in marks) and any("2,000" in m for m in marks)


def test_started_in_the_tray_the_first_show_brings_the_figures(window: MainWindow) -> None:
    window.start_in_tray()
    window.update_account("main", account_risk(*three_positions()))
    assert window.positions_model.rowCount() == 0
    window.remove_account("main")
    window.update_account("other", account_risk(position_risk()))
    window.show()
    assert window.positions_model.rowCount() == 1  # the removed account's figures were dropped


def test_a_window_opened_from_the_tray_shows_every_held_row_before_its_first_paint(
    window: MainWindow, qtbot: QtBot
) -> None:
    symbols = [f"S{i:02d}USDT" for i in range(pacing.INLINE_ROWS + 4)]  # wider than a live update renders inline
    window.update_account("main", account_risk(*(position_risk(symbol=s, mark="100") for s in symbols)))
    window.start_in_tray()
    window.update_account("main", account_risk(*(position_risk(symbol=s, mark="101") for s in symbols)))
    window.show()
    model = window.positions_model
    assert [model.index(r, Column.MARK).data() for r in range(model.rowCount())] == ["101.00"] * len(symbols)
