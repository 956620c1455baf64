"""The calculator dialog: every tab shows what core computes, prefill, validation, the seed example."""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from marginwatch.cli import main as cli_main
from marginwatch.core import auto_add, calculator
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.ui.calculator_dialog import CalculatorDialog
from marginwatch.ui.formatting import DASH, format_decimal, format_price

TICK = Decimal("0.1")
STEP = Decimal("0.001")
BTC = load_snapshot()["BTCUSDT"]


def num(text: str) -> Decimal:
    """A displayed figure back as a number: "16,200.0 USDT" -> 16200.0."""
    return Decimal(text.split()[0].replace(",", ""))


def usdt(value: Decimal, *, signed: bool = False) -> str:
    return f"{format_decimal(value, 2, signed=signed)} USDT"


@pytest.fixture
def dialog(qtbot: QtBot) -> CalculatorDialog:
    d = CalculatorDialog()
    qtbot.addWidget(d)
    d.set_symbol_info({"BTCUSDT": TICK, "BTCUSD_PERP": TICK}, {"BTCUSDT": STEP})
    return d


def fill(d: CalculatorDialog, *, entry: str = "60000", qty: str = "0.5", leverage: int = 10, short: bool = False,
         symbol: str = "BTCUSDT", inverse: bool = False, face: str = "1", cross: bool = False) -> None:  # fmt: skip
    c = d.common
    c.symbol.setEditText(symbol)
    (c.short_button if short else c.long_button).setChecked(True)
    c.contract.setCurrentIndex(1 if inverse else 0)
    c.margin_type.setCurrentIndex(1 if cross else 0)
    c.face.setText(face)
    c.entry.setText(entry)
    c.qty.setText(qty)
    c.leverage.setValue(leverage)


def test_non_modal_and_shown_without_exec(dialog: CalculatorDialog, qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    owned = CalculatorDialog(parent)  # as the container opens it
    owned.show()
    qtbot.waitExposed(owned)
    assert owned.isVisible() and not owned.isModal() and owned.parent() is parent
    assert owned.windowModality() == Qt.WindowModality.NonModal
    owned.reset_button.click()  # without a prefill: a fresh calculation
    assert owned.origin.text() == "New calculation" and owned.common.entry.text() == ""
    owned.close()
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "PnL", "Target Price", "Liquidation Price", "Max Open", "Open Price", "Auto-Add Margin"]  # fmt: skip


@pytest.mark.parametrize("short", [False, True])
def test_pnl_tab_matches_core_linear(dialog: CalculatorDialog, short: bool) -> None:
    fill(dialog, short=short, entry="60000", qty="0.25", leverage=20)
    dialog.pnl_tab.exit_price.setText("63000")
    r = calculator.pnl("short" if short else "long", "60000", "63000", "0.25", 20)
    assert dialog.results("pnl") == {
        "initial_margin": usdt(r.initial_margin),
        "pnl": usdt(r.pnl, signed=True),
        "roe": f"{format_decimal(r.roe_pct, 2, signed=True)} %",
    }
    assert dialog.results("pnl")["pnl"] == ("-" if short else "+") + "750.00 USDT"


def test_pnl_tab_matches_core_inverse(dialog: CalculatorDialog) -> None:
    fill(dialog, symbol="BTCUSD_PERP", inverse=True, face="100", entry="50000", qty="30", leverage=5)
    dialog.pnl_tab.exit_price.setText("55000")
    r = calculator.pnl("long", "50000", "55000", "30", 5, "inverse", "100")
    res = dialog.results("pnl")
    assert res["pnl"] == f"{format_decimal(r.pnl, 8, signed=True)} BTC"
    assert res["initial_margin"] == f"{format_decimal(r.initial_margin, 8)} BTC"
    assert dialog.common.face_label.text() == "Face value (USD)"


@pytest.mark.parametrize(("short", "roe"), [(False, "50"), (True, "-30")])
def test_target_tab_matches_core(dialog: CalculatorDialog, short: bool, roe: str) -> None:
    fill(dialog, short=short, leverage=25)
    dialog.target_tab.roe.setText(roe)
    r = calculator.target_price("short" if short else "long", "60000", roe, 25)
    assert dialog.target_tab.result_text("target_price") == format_price(r.target_price, TICK)


def test_liquidation_tab_isolated_and_cross_match_core(dialog: CalculatorDialog) -> None:
    fill(dialog, entry="60000", qty="2", leverage=20)
    r = calculator.liquidation("long", "60000", "2", 20, brackets=BTC)
    tab = dialog.liquidation_tab
    assert tab.result_text("liquidation_price") == format_price(r.liquidation_price, TICK)
    assert tab.result_text("maint_amount") == usdt(r.maint_amount)

    fill(dialog, short=True, entry="60000", qty="2", leverage=20, cross=True)
    dialog.common.position_mode.setCurrentIndex(1)  # hedge
    assert tab.result_text("liquidation_price") == DASH  # cross needs the wallet balance
    tab.wallet.setText("9000")
    tab.other_maint.setText("120")
    tab.other_upnl.setText("-300")
    r = calculator.liquidation("short", "60000", "2", 20, margin_type="cross", wallet="9000", brackets=BTC,
                               other_maint="120", other_upnl="-300", hedge=True)  # fmt: skip
    assert r.liquidation_price is not None
    assert tab.result_text("liquidation_price") == format_price(r.liquidation_price, TICK)

    tab.mmr.setText("1.5")  # a fixed rate overrides the brackets
    r = calculator.liquidation("short", "60000", "2", 20, margin_type="cross", wallet="9000", mmr="0.015",
                               other_maint="120", other_upnl="-300", hedge=True)  # fmt: skip
    assert tab.result_text("liquidation_price") == format_price(r.liquidation_price, TICK)
    assert tab.result_text("mmr") == "1.50 %"


def test_impossible_liquidation_shows_dash_with_reason(dialog: CalculatorDialog) -> None:
    fill(dialog, entry="60000", qty="0.1", leverage=1)
    dialog.liquidation_tab.wallet.setText("7000")  # more than the whole position is worth
    assert calculator.liquidation("long", "60000", "0.1", 1, wallet="7000", brackets=BTC).liquidation_price is None
    assert dialog.liquidation_tab.result_text("liquidation_price") == DASH
    assert dialog.liquidation_tab.reason() == "No liquidation price: the margin covers a move to zero."


def test_max_open_tab_matches_core(dialog: CalculatorDialog) -> None:
    fill(dialog, entry="60000", leverage=50)
    dialog.max_open_tab.balance.setText("12345.67")
    r = calculator.max_open("12345.67", 50, "60000", BTC)
    res = dialog.results("max_open")
    assert num(res["max_qty"]) == r.max_qty.quantize(STEP, rounding=ROUND_DOWN)  # never rounded up
    assert res["max_notional"] == usdt(r.max_notional)
    assert res["bracket_cap"] == usdt(r.bracket_cap)


def test_open_price_tab_position_plus_fills(dialog: CalculatorDialog) -> None:
    fill(dialog, entry="60000", qty="1")
    tab = dialog.open_price_tab
    tab.fills[0][0].setText("50000")
    tab.fills[0][1].setText("0.5")
    tab.add_fill("40000", "0.5")
    tab.add_fill()  # a blank row is ignored
    r = calculator.average_open_price([("60000", "1"), ("50000", "0.5"), ("40000", "0.5")])
    assert tab.result_text("average_price") == format_price(r.average_price, TICK)
    assert tab.result_text("total_qty") == "2.000"
    tab.fills[2][0].setText("45000")  # half a fill is an error
    assert tab.fills[2][1].error() == "Required"
    assert tab.result_text("average_price") == DASH
    tab.remove_fill(2)
    tab.remove_fill(1)
    r = calculator.average_open_price([("60000", "1"), ("50000", "0.5")])
    assert tab.result_text("average_price") == format_price(r.average_price, TICK)


def test_seed_example_in_auto_add_tab(dialog: CalculatorDialog, capsys: pytest.CaptureFixture[str]) -> None:
    fill(dialog, entry="18000", qty="5000", face="0.0001", leverage=10)
    tab = dialog.auto_add_tab
    tab.available.setText("50")
    tab.mmr.setText("0.4")
    assert tab.convention_kind() is auto_add.AutoAddConvention.MEXC
    shown = [(num(added), num(liq)) for _trigger, added, _margin, liq, _avail in tab.steps()]
    assert shown == [(Decimal(36), Decimal(16200)), (Decimal(14), Decimal(16172))]
    assert cli_main(["calc", "auto-add", "--side", "long", "--entry", "18000", "--leverage", "10", "--contracts",
                     "5000", "--face", "0.0001", "--mmr", "0.004", "--available", "50", "--json"]) == 0  # fmt: skip
    cli = json.loads(capsys.readouterr().out)["steps"]
    assert shown == [(Decimal(s["added"]), Decimal(s["liquidation_price"])) for s in cli]
    assert num(tab.steps()[-1][4]) == 0
    assert "MEXC" in tab.explanation.text()


def test_auto_add_binance_convention_matches_core(dialog: CalculatorDialog) -> None:
    fill(dialog, short=True, entry="60000", qty="1", leverage=20)
    tab = dialog.auto_add_tab
    tab.available.setText("700")
    tab.convention.setCurrentIndex(1)
    r = auto_add.auto_add_margin_binance("short", "60000", "1", "1", 20, "700", brackets=BTC)
    expected = [(format_price(s.trigger_price, TICK), usdt(s.added), usdt(s.margin_after),
                 format_price(s.liquidation_price, TICK), usdt(s.available_after)) for s in r.steps]  # fmt: skip
    assert len(expected) > 2 and tab.steps() == expected
    assert "Binance" in tab.explanation.text()


def position(**kw: object) -> Position:
    base: dict[str, object] = dict(symbol="ETHUSDT", position_side=PositionSide.SHORT, amount=Decimal("-3.5"),
                                   entry_price=Decimal("2500.5"), mark_price=Decimal("2400"),
                                   margin_type=MarginType.CROSS, leverage=15)  # fmt: skip
    base.update(kw)
    return Position(**base)  # type: ignore[arg-type]


def test_prefill_fills_every_field_and_never_mutates(dialog: CalculatorDialog) -> None:
    pos = position()
    before = Position(**{f: getattr(pos, f) for f in Position.__dataclass_fields__})  # type: ignore[arg-type]
    eth = load_snapshot()["ETHUSDT"]
    dialog.prefill_from_position(pos, wallet=Decimal("5000"), brackets=eth, tick_size=Decimal("0.01"),
                                 step_size=Decimal("0.001"), other_maint=Decimal("12"), other_upnl=Decimal("-40"),
                                 account="Demo")  # fmt: skip
    c = dialog.common
    assert dialog.origin.text() == "From position ETHUSDT SHORT (Demo)"
    assert c.symbol_text() == "ETHUSDT" and c.short_button.isChecked()
    assert (c.entry.text(), c.qty.text(), c.face.text(), c.leverage.value()) == ("2500.5", "3.5", "1", 15)
    assert c.margin_type.currentText() == "Cross" and c.position_mode.currentText() == "Hedge"
    assert c.contract.currentIndex() == 0
    liq = dialog.liquidation_tab
    assert (liq.wallet.text(), liq.other_maint.text(), liq.other_upnl.text()) == ("5000", "12", "-40")
    assert dialog.pnl_tab.exit_price.text() == "2400"
    assert dialog.brackets_source() == "Brackets: exchange (live)"
    r = calculator.liquidation("short", "2500.5", "3.5", 15, margin_type="cross", wallet="5000", brackets=eth,
                               other_maint="12", other_upnl="-40", hedge=True)  # fmt: skip
    assert liq.result_text("liquidation_price") == format_price(r.liquidation_price, Decimal("0.01"))

    c.entry.setText("3000")
    c.long_button.setChecked(True)
    c.leverage.setValue(5)
    liq.wallet.setText("1")
    assert pos == before and pos.entry_price == Decimal("2500.5") and pos.leverage == 15
    dialog.reset_button.click()
    assert (c.entry.text(), c.short_button.isChecked(), c.leverage.value(), liq.wallet.text()) == (
        "2500.5", True, 15, "5000")  # fmt: skip


def test_prefill_isolated_sets_margin_for_auto_add(dialog: CalculatorDialog) -> None:
    pos = position(position_side=PositionSide.BOTH, margin_type=MarginType.ISOLATED, isolated_wallet=Decimal("600"))
    dialog.prefill_from_position(pos, wallet=Decimal("600"), brackets=None)
    assert dialog.origin.text() == "From position ETHUSDT SHORT"
    assert dialog.common.margin_type.currentText() == "Isolated"
    assert dialog.common.position_mode.currentText() == "One-way"
    assert dialog.auto_add_tab.margin.text() == "600"
    assert dialog.brackets_source() == "Brackets: bundled snapshot (may be out of date)"


def test_validation_messages_and_no_result(dialog: CalculatorDialog) -> None:
    fill(dialog)
    entry = dialog.common.entry
    dialog.pnl_tab.exit_price.setText("61000")
    assert dialog.results("pnl")["pnl"] != DASH
    for text, message in (("", "Required"), ("abc", "Not a number"), ("-5", "Must not be negative"),
                          ("0", "Must be above 0")):  # fmt: skip
        entry.setText(text)
        assert entry.error() == message, text
        assert "border" in entry.edit.styleSheet()
        assert all(v == DASH for v in dialog.results("pnl").values())
        assert all(v == DASH for v in dialog.results("liquidation").values())
    entry.setText("60000")
    assert entry.error() == "" and entry.edit.styleSheet() == ""
    assert dialog.results("pnl")["pnl"] != DASH


def test_leverage_zero_and_above_bracket(dialog: CalculatorDialog) -> None:
    fill(dialog, entry="60000", qty="0.5", leverage=10)
    lev = dialog.common.leverage
    lev.setValue(0)
    assert lev.error() == "Must be at least 1x"
    assert dialog.results("pnl")["initial_margin"] == DASH
    # 100 BTC at 60000 sits in a bracket that allows far less than 125x.
    dialog.common.qty.setText("100")
    allowed = BTC.max_leverage(Decimal(6_000_000))
    assert allowed < lev.spin.maximum() == 125
    lev.setValue(allowed + 1)
    assert lev.error() == f"Above the bracket maximum of {allowed}x at this size"
    assert dialog.results("liquidation")["liquidation_price"] == DASH
    assert dialog.results("auto_add")["add_per_trigger"] == DASH
    lev.setValue(allowed)
    assert lev.error() == ""
    assert dialog.results("liquidation")["liquidation_price"] != DASH


def test_brackets_source_label(dialog: CalculatorDialog) -> None:
    assert dialog.brackets_source() == "Brackets: bundled snapshot (may be out of date)"
    dialog.set_brackets({"BTCUSDT": BTC}, source="exchange")
    assert dialog.brackets_source() == "Brackets: exchange (live)"
    fill(dialog, symbol="FOOUSDT")
    assert dialog.brackets_source() == "Brackets: none for this symbol"
    assert dialog.liquidation_tab.mmr.error() == "Required: no brackets for this symbol"
    dialog.liquidation_tab.mmr.setText("0.5")
    r = calculator.liquidation("long", "60000", "0.5", 10, mmr="0.005")
    assert num(dialog.liquidation_tab.result_text("liquidation_price")) == round(r.liquidation_price, 2)  # type: ignore[arg-type]
    assert "FOOUSDT" in dialog.max_open_tab.reason()
