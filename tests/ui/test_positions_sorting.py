"""The positions table keeps its rows sorted through updates: order, selection and one repaint."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from pytestqt.qtbot import QtBot

from marginwatch.ui.positions_model import LAYOUT_ARGS, Column
from marginwatch.ui.positions_table import PositionsTable
from tests.ui.risk_factories import account_risk, position_risk


def shown(table: PositionsTable) -> list[str]:
    model = table.model()
    return [model.index(r, Column.SYMBOL).data() for r in range(model.rowCount())]


def book(**distances: str) -> object:
    return account_risk(*(position_risk(symbol=s, distance=d) for s, d in distances.items()))


def test_rows_follow_new_values_and_the_selection_follows_its_row(qtbot: QtBot) -> None:
    table = PositionsTable()
    qtbot.addWidget(table)
    model = table.positions_model
    model.update_account("main", book(AAA="30", BBB="10", CCC="20"))  # type: ignore[arg-type]
    assert shown(table) == ["BBB", "CCC", "AAA"]  # nearest to liquidation first, by default
    assert model.sort_column() == Column.DISTANCE
    assert table.horizontalHeader().sortIndicatorSection() == Column.DISTANCE
    assert table.select_position("main", "CCC", "BOTH")
    hints: list[object] = []
    model.layoutChanged[LAYOUT_ARGS].connect(lambda _parents, hint: hints.append(hint))
    model.update_account("main", book(AAA="5", BBB="10", CCC="20"))  # type: ignore[arg-type]
    assert shown(table) == ["AAA", "BBB", "CCC"]
    assert table.selected_key() == ("main", "CCC", "BOTH")
    assert table.selectionModel().selectedRows()[0].row() == 2
    # The view hears a vertical sort, so the headers keep their sections as they are.
    assert hints == [QAbstractItemModel.LayoutChangeHint.VerticalSortHint]


def test_header_clicks_sort_numerically_both_ways_and_new_rows_take_their_place(qtbot: QtBot) -> None:
    table = PositionsTable()
    qtbot.addWidget(table)
    model = table.positions_model
    model.update_account(
        "main",
        account_risk(
            position_risk(symbol="AAA", mark="9"),
            position_risk(symbol="BBB", mark="100"),
            position_risk(symbol="CCC", mark="10.5"),
        ),
    )
    table.sortByColumn(Column.MARK, Qt.SortOrder.AscendingOrder)
    assert shown(table) == ["AAA", "CCC", "BBB"]
    table.sortByColumn(Column.MARK, Qt.SortOrder.DescendingOrder)
    assert shown(table) == ["BBB", "CCC", "AAA"]
    assert model.sort_order() is Qt.SortOrder.DescendingOrder
    model.update_account(
        "main",
        account_risk(
            position_risk(symbol="AAA", mark="9"),
            position_risk(symbol="BBB", mark="100"),
            position_risk(symbol="CCC", mark="10.5"),
            position_risk(symbol="DDD", mark="50"),
        ),
    )
    assert shown(table) == ["BBB", "DDD", "CCC", "AAA"]
    # Rows whose order did not change are not re-laid out.
    resets: list[object] = []
    model.layoutChanged.connect(lambda *_: resets.append(1))
    model.update_account(
        "main",
        account_risk(
            position_risk(symbol="AAA", mark="9.5"),
            position_risk(symbol="BBB", mark="100"),
            position_risk(symbol="CCC", mark="10.5"),
            position_risk(symbol="DDD", mark="50"),
        ),
    )
    assert shown(table) == ["BBB", "DDD", "CCC", "AAA"] and resets == []
