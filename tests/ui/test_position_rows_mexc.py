"""A MEXC position's row: the margin ratio keeps the app's meaning and the tooltip says which, with
MEXC's own figure (which runs the other way); MEXC's liquidation price agrees with ours, no ≠."""

from __future__ import annotations

from decimal import Decimal

from marginwatch.core import mexc_models as m
from marginwatch.core import mexc_risk as r
from marginwatch.core.account_risk import PositionRisk
from marginwatch.core.account_state import AccountState
from marginwatch.core.calculator import single_bracket_table
from marginwatch.core.position import Position
from marginwatch.core.risk_tiers import RiskBands
from marginwatch.ui.position_rows import MISMATCH_MARK, Column, RowWords, render_row
from tests.fixtures.mexc.samples import CONTRACT_ROW, POSITION_ROW

D = Decimal


def snapshot_risk(pos: Position) -> tuple[PositionRisk, ...]:
    state = AccountState()  # as the session holds it: the snapshot check compares both rules' figures
    state.reseed([pos], D(0), {"BTC_USDT": single_bracket_table("0.004", symbol="BTC_USDT")})
    return state.risk().positions


def test_the_margin_ratio_tooltip_names_both_meanings_and_mexcs_figure() -> None:
    pos = r.to_position(m.positions([POSITION_ROW]).rows[0], m.contracts([CONTRACT_ROW]).rows[0], D("0.004"),
                        D(17000))
    (pr,) = snapshot_risk(pos)
    view = render_row(("mx", "BTC_USDT", "LONG"), pr, RowWords.translated(), RiskBands(), D("0.1"))
    ratio = view.cells[Column.MARGIN_RATIO]
    assert ratio.text.startswith("9.00 %")  # 36 / (900 − 500): ours, higher is worse
    assert "MEXC's own margin ratio: 10.00 %" in (ratio.tooltip or "")
    assert "higher is worse" in (ratio.tooltip or "") and "lower is worse" in (ratio.tooltip or "")
    assert view.cells[Column.LIQ].text == "16,272.0"  # MEXC's figure and ours agree: no ≠


def test_a_position_without_a_venue_ratio_has_no_venue_line() -> None:
    pos = r.to_position(m.positions([POSITION_ROW]).rows[0], m.contracts([CONTRACT_ROW]).rows[0], D("0.004"),
                        D(17000))
    pos.extra.pop(r.EXTRA_MEXC_MARGIN_RATIO)
    (pr,) = snapshot_risk(pos)
    view = render_row(("mx", "BTC_USDT", "LONG"), pr, RowWords.translated(), RiskBands(), D("0.1"))
    assert "MEXC" not in (view.cells[Column.MARGIN_RATIO].tooltip or "")
    assert MISMATCH_MARK not in view.cells[Column.LIQ].text
