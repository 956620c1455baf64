"""The positions table's own delegate: same pixels as Qt's, from one model call per cell."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyledItemDelegate
from pytestqt.qtbot import QtBot

from marginwatch.ui.positions_model import Column, PositionsModel
from marginwatch.ui.positions_table import PositionsTable
from tests.ui.risk_factories import account_risk, position_risk


def _book() -> object:
    return account_risk(
        position_risk(symbol="AAA", distance="3.5", ratio="0.9"),  # danger: coloured ratio cell
        position_risk(symbol="BBB", distance="12", ratio="0.6", exchange_liq="49000"),  # warning, mismatch mark
        position_risk(symbol="CCC", liq=None, distance=None, ratio=None),
        position_risk(symbol="DDD", distance="40", mark="0.012345", pnl="-12.5"),
    )


def test_the_cells_the_delegate_paints_are_what_the_roles_return(qtbot: QtBot) -> None:
    model = PositionsModel()
    model.update_account("main", _book())  # type: ignore[arg-type]
    roles = Qt.ItemDataRole
    for row in range(model.rowCount()):
        for col in Column:
            index = model.index(row, col)
            cell = model.cell(row, col)
            assert cell is not None
            text, alignment, foreground, background = cell.text, cell.alignment, cell.foreground, cell.background
            assert text == index.data(roles.DisplayRole)
            assert cell.tooltip == index.data(roles.ToolTipRole)
            assert alignment == index.data(roles.TextAlignmentRole)
            for brush, role in ((foreground, roles.ForegroundRole), (background, roles.BackgroundRole)):
                expected = index.data(role)
                assert (brush is None) == (expected is None)
                if brush is not None:
                    assert brush.color() == expected.color()
    assert model.cell(99, 0) is None
    assert model.cell(0, 99) is None


def test_delegate_paints_what_qts_own_delegate_paints(qtbot: QtBot) -> None:
    table = PositionsTable()
    qtbot.addWidget(table)
    table.resize(1100, 200)
    table.positions_model.update_account("main", _book())  # type: ignore[arg-type]
    table.show()
    qtbot.waitExposed(table)
    assert table.select_position("main", "BBB", "BOTH")
    ours = table.grab().toImage()
    assert any(ours.pixel(x, 40) != ours.pixel(0, 40) for x in range(ours.width()))  # something was drawn
    table.setItemDelegate(QStyledItemDelegate(table))
    assert table.grab().toImage() == ours
