"""COIN-M figures as shown: sizes in contracts of a USD face value, PnL and balances in the margin
coin with the USD value at the mark beside them; USDⓈ-M figures stay as they were."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from pytestqt.qtbot import QtBot

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.position import ContractKind, PositionSide
from marginwatch.core.risk_tiers import RiskBands
from marginwatch.ui.account_summary import AccountSummary
from marginwatch.ui.position_rows import Column, RowWords, render_row
from tests.ui.risk_factories import account_risk, position_risk


def _inverse(pnl: str = "-0.001234") -> PositionRisk:
    pr = position_risk(symbol="BTCUSD_PERP", side=PositionSide.LONG, amount="200", entry="99800", mark="100000",
                       pnl=pnl)
    pos = dataclasses.replace(pr.position, contract=ContractKind.INVERSE, contract_size=Decimal(100),
                              extra={"margin_asset": "BTC"})
    return dataclasses.replace(pr, position=pos)


def _cells(pr: PositionRisk) -> list[str]:
    key = ("Main · COIN-M BTC", pr.position.symbol, pr.position.position_side.value)
    return [c.text for c in render_row(key, pr, RowWords.translated(), RiskBands(), Decimal("0.1")).cells]


def test_an_inverse_row_shows_contracts_of_their_face_value_and_pnl_in_coin_and_usd() -> None:
    cells = _cells(_inverse())
    assert cells[Column.SIZE] == "200 × 100 USD"
    assert cells[Column.UPNL] == "-0.001234 BTC ≈ -123.40 USD"


def test_a_linear_row_keeps_its_quote_pnl_and_plain_size() -> None:
    cells = _cells(position_risk(pnl="500"))
    assert cells[Column.SIZE] == "0.5" and cells[Column.UPNL] == "+500.00"


def test_a_coin_pools_summary_is_in_its_coin_with_usd_beside(qtbot: QtBot) -> None:
    summary = AccountSummary()
    qtbot.addWidget(summary)
    base = account_risk(_inverse())
    pool = AccountRisk(**{**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
                          "wallet_balance": Decimal("0.035"), "margin_balance": Decimal("0.033766"),
                          "maint_margin": Decimal("0.00088")})
    summary.set_account_risk("Main · COIN-M BTC", pool)
    texts = summary.texts("Main · COIN-M BTC")
    assert texts["wallet"] == "0.03500000 BTC ≈ 3,500.00 USD"
    assert texts["maint"] == "0.00088000 BTC ≈ 88.00 USD"
    summary.set_account_risk("main", account_risk(position_risk()))
    assert summary.texts("main")["wallet"] == "10,000.00"
