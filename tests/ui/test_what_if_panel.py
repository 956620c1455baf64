"""WhatIfPanel: the controls ask for the shock they show, the exact field and the slider follow each
other, and the results are shown first-to-be-liquidated first with a summary that names them."""

from __future__ import annotations

from decimal import Decimal

from pytestqt.qtbot import QtBot

from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.price_shock import Shock, shock_account
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.ui.what_if_panel import WhatIfPanel
from marginwatch.ui.what_if_rows import ghosts, result_rows

D = Decimal
TABLES = load_snapshot()
BTC = Position("BTCUSDT", PositionSide.BOTH, D("0.1"), D(60000), D(60000), MarginType.ISOLATED, D(1200))
SOL = Position("SOLUSDT", PositionSide.BOTH, D(40), D(150), D(150), MarginType.ISOLATED, D(1500))
ETH = Position("ETHUSDT", PositionSide.BOTH, D(1), D(3000), D(3000), MarginType.ISOLATED, D(3000))


def panel(qtbot: QtBot) -> tuple[WhatIfPanel, list[Shock | None]]:
    widget = WhatIfPanel()
    qtbot.addWidget(widget)
    widget.set_symbols(["SOLUSDT", "BTCUSDT", "ETHUSDT"])
    asked: list[Shock | None] = []
    widget.shock_changed.connect(asked.append)
    return widget, asked


def test_the_slider_and_the_exact_field_ask_for_the_same_shock_in_both_directions(qtbot: QtBot) -> None:
    widget, asked = panel(qtbot)
    widget.slider.setValue(-100)  # 0.1 % steps
    assert widget.move_field.value() == -10.0
    assert asked[-1] == Shock(D(-10), None, {})
    widget.move_field.setValue(12.34)
    assert widget.slider.value() == 123 and asked[-1] == Shock(D("12.34"), None, {})
    widget.move_field.setValue(0)
    assert asked[-1] is None  # back at now: nothing to show


def test_the_scope_and_the_alts_beta_shape_the_shock(qtbot: QtBot) -> None:
    widget, asked = panel(qtbot)
    widget.move_field.setValue(-10)
    widget.scope_box.setCurrentIndex(widget.scope_box.findData("SOLUSDT"))
    assert asked[-1] == Shock(D(-10), frozenset({"SOLUSDT"}), {})
    widget.scope_box.setCurrentIndex(1)  # the alts
    widget.beta_field.setValue(1.5)
    assert asked[-1] == Shock(D(-10), frozenset({"ETHUSDT", "SOLUSDT"}), {"ETHUSDT": D("1.5"), "SOLUSDT": D("1.5")})
    # A symbol no longer held leaves the box; a shock on it becomes one on every mark.
    widget.scope_box.setCurrentIndex(widget.scope_box.findData("SOLUSDT"))
    widget.set_symbols(["BTCUSDT"])
    assert widget.scope_box.findData("SOLUSDT") == -1
    assert asked[-1] is not None and asked[-1].symbols is None


def test_results_are_shown_first_to_go_first_and_the_summary_names_them(qtbot: QtBot) -> None:
    widget, _asked = panel(qtbot)
    shock = Shock(D(-20))
    result = shock_account([BTC, SOL, ETH], D(0), TABLES, shock)
    rows = widget.show_results(shock, (("main", result),))
    model = widget.results_model
    names = [model.text(r, 0) for r in range(model.rowCount())]
    assert names == ["BTCUSDT long", "SOLUSDT long", "ETHUSDT long"]  # BTC gone, SOL next, ETH never
    assert model.text(0, 5) == "✕ liquidated" and model.text(2, 6) == "not within range"
    assert rows[0].tier is RiskTier.DANGER
    text = widget.summary_text()
    assert text.startswith("-20.00 % on every mark: 1 of 3 positions liquidated.")
    assert "First to go: BTCUSDT long at -19." in text and "SOLUSDT long at -24." in text
    ghost = ghosts(result_rows((("main", result),), widget._bands))
    assert ghost[("main", "BTCUSDT", "BOTH")].liquidated and not ghost[("main", "SOLUSDT", "BOTH")].liquidated
    widget.clear_results()
    assert model.rowCount() == 0
