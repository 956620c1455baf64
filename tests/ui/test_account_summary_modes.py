"""AccountSummary says when an account is in multi-assets mode (its figures are USD over several
assets) and stops saying it when the account leaves that mode."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from marginwatch.ui.account_summary import AccountSummary
from tests.ui.risk_factories import account_risk


def name_label(summary: AccountSummary, text: str) -> QLabel:
    return next(label for label in summary.findChildren(QLabel) if label.text() == text)


def test_multi_assets_mode_is_named_on_the_account_line(qtbot: QtBot) -> None:
    summary = AccountSummary()
    qtbot.addWidget(summary)
    summary.set_account_risk("main", replace(account_risk(), multi_assets=True))
    assert summary.texts("main")["name"] == "main · multi-assets"
    assert "USD value of all collateral assets" in name_label(summary, "main · multi-assets").toolTip()
    summary.set_account_risk("main", replace(account_risk(), multi_assets=False))
    assert summary.texts("main")["name"] == "main"
    assert name_label(summary, "main").toolTip() == ""


def test_a_single_asset_or_unknown_mode_shows_the_name_alone(qtbot: QtBot) -> None:
    summary = AccountSummary()
    qtbot.addWidget(summary)
    summary.set_account_risk("eu", account_risk())  # multi_assets None: not known yet
    assert summary.texts("eu")["name"] == "eu"
