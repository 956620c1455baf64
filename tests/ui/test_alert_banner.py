"""The alert banner: Acknowledge says the alert was seen (and hides it), Dismiss only hides it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.ui.alert_banner import AlertBanner


def test_acknowledge_hides_the_banner_and_says_the_alert_was_seen(qtbot: QtBot) -> None:
    banner = AlertBanner()
    qtbot.addWidget(banner)
    banner.show_alert("Margin call on Main", RiskTier.DANGER)
    acks: list[bool] = []
    banner.acknowledged.connect(lambda: acks.append(True))
    banner.acknowledge_button.click()
    assert acks == [True] and banner.isHidden() and banner.text() == ""


def test_dismiss_hides_without_acknowledging(qtbot: QtBot) -> None:
    banner = AlertBanner()
    qtbot.addWidget(banner)
    banner.show_alert("Margin call on Main", RiskTier.DANGER)
    acks: list[bool] = []
    banner.acknowledged.connect(lambda: acks.append(True))
    banner._button.click()
    assert acks == [] and banner.isHidden()
