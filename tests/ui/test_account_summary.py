"""AccountSummary: figures, tier text and colour, stream health with a ticking countdown; banners."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from marginwatch.core.risk_tiers import RiskTier, TierThresholds
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.ui.account_summary import AccountSummary
from marginwatch.ui.alert_banner import AlertBanner, DemoBanner
from tests.ui.risk_factories import account_risk


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_figures_and_ratio_tier(qtbot: QtBot) -> None:
    summary = AccountSummary()
    qtbot.addWidget(summary)
    summary.set_account_risk("main", account_risk(ratio="0.85"))
    texts = summary.texts("main")
    assert texts["wallet"] == "10,000.00"
    assert texts["margin"] == "10,500.00"
    assert texts["maint"] == "2,100.00"
    assert texts["ratio"] == "85.00 % ▲ danger"
    assert summary.tier("main") is RiskTier.DANGER
    assert "background-color" in summary.ratio_style("main")
    summary.set_thresholds(TierThresholds(warning=Decimal("0.9"), danger=Decimal("0.95")))
    assert summary.texts("main")["ratio"] == "85.00 % calm"
    assert summary.ratio_style("main") == ""
    summary.set_account_risk("main", account_risk(ratio=None))
    assert summary.texts("main")["ratio"] == "--"


def test_health_text_counts_down(qtbot: QtBot) -> None:
    clock = FakeClock()
    summary = AccountSummary(clock=clock)
    qtbot.addWidget(summary)
    summary.set_health("main", StreamHealth("market", StreamState.RECONNECTING, next_retry_at=1003.0))
    summary.set_health("main", StreamHealth("user", StreamState.LIVE))
    assert summary.texts("main")["health"] == "user: live · market: reconnecting in 3s"
    summary.set_health("main", StreamHealth("rest", StreamState.LIVE))
    assert "REST snapshot: live" in summary.texts("main")["health"]  # a periodic snapshot, not a stream
    clock.now = 1001.0
    # The 1 s ticker refreshes the countdown without any new health report.
    qtbot.waitUntil(lambda: "reconnecting in 2s" in summary.texts("main")["health"], timeout=3000)
    summary.set_health("main", StreamHealth("user", StreamState.FAILED, reason="API key rejected"))
    assert summary.texts("main")["health"].startswith("user: failed: API key rejected")


def test_accounts_listed_and_removed(qtbot: QtBot) -> None:
    summary = AccountSummary()
    qtbot.addWidget(summary)
    summary.set_account_risk("a", account_risk())
    summary.set_account_risk("b", account_risk())
    assert summary.accounts() == ["a", "b"]
    summary.remove_account("a")
    assert summary.accounts() == ["b"]


def test_alert_banner_and_demo_banner(qtbot: QtBot) -> None:
    banner = AlertBanner()
    qtbot.addWidget(banner)
    assert banner.isHidden()
    banner.show_alert("BTCUSDT margin ratio 85 % <cross>", RiskTier.DANGER)
    assert not banner.isHidden()
    assert "DANGER" in banner.text() and "&lt;cross&gt;" in banner.text()
    with qtbot.waitSignal(banner.dismissed, timeout=1000):
        banner._button.click()
    assert banner.isHidden() and banner.tier is RiskTier.UNKNOWN
    demo = DemoBanner()
    qtbot.addWidget(demo)
    demo.set_demo(True)
    assert not demo.isHidden()
    assert "Demo mode: simulated exchange, no real account." in demo.text()
    demo.set_demo(False)
    assert demo.isHidden()


class _PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _figure_label(summary: AccountSummary, text: str) -> QLabel:
    return next(label for label in summary.findChildren(QLabel) if label.text() == text)


def test_a_new_figure_repaints_its_label_once(qtbot: QtBot) -> None:
    # A selectable label lays its text out in its first paint and asks for a second one; the
    # figures change every second, so that was two paints of the window per update.
    summary = AccountSummary()
    qtbot.addWidget(summary)
    summary.set_account_risk("main", account_risk(ratio="0.2"))
    summary.show()
    qtbot.waitExposed(summary)
    counter = _PaintCounter()
    _figure_label(summary, "10,500.00").installEventFilter(counter)
    summary.set_account_risk("main", replace(account_risk(ratio="0.2"), margin_balance=Decimal("10501.25")))
    assert summary.texts("main")["margin"] == "10,501.25"
    qtbot.waitUntil(lambda: counter.count >= 1, timeout=2000)
    for _ in range(5):  # a second request would be posted while the first paint runs
        QApplication.processEvents()
    assert counter.count == 1


def test_figures_are_selectable_while_the_pointer_is_over_them(qtbot: QtBot) -> None:
    summary = AccountSummary()
    qtbot.addWidget(summary)
    summary.set_account_risk("main", account_risk(ratio="0.2"))
    label = _figure_label(summary, "10,500.00")
    selectable = Qt.TextInteractionFlag.TextSelectableByMouse
    assert not label.textInteractionFlags() & selectable
    QApplication.sendEvent(label, QEnterEvent(QPointF(2, 2), QPointF(2, 2), QPointF(2, 2)))
    assert label.textInteractionFlags() & selectable
    label.setSelection(0, 3)  # the user selected some of it: it stays selectable after leaving
    QApplication.sendEvent(label, QEvent(QEvent.Type.Leave))
    assert label.textInteractionFlags() & selectable and label.selectedText() == "10,"
    label.setSelection(0, 0)
    QApplication.sendEvent(label, QEvent(QEvent.Type.Leave))
    assert not label.textInteractionFlags() & selectable
