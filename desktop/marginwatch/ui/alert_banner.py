"""In-window banners: a dismissable alert bar and the persistent demo-mode notice."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.ui.tier_style import TIER_FILLS, tier_word

_DEMO_STYLE = "background-color: #56B4E9; color: #000000;"  # Okabe–Ito sky blue, black text


class AlertBanner(QFrame):
    """A coloured bar with what the container shows (the worst active condition); hidden until `show_alert`.

    "Acknowledge" says the user has seen it (alerts repeating on the forwarding channels stop) and
    also hides the bar; "Dismiss" only hides it.
    """

    dismissed = Signal()
    acknowledged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self._tier = RiskTier.UNKNOWN
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._ack = QPushButton(self.tr("Acknowledge"), self)
        self._ack.clicked.connect(self._acknowledge)
        self._button = QPushButton(self.tr("Dismiss"), self)
        self._button.clicked.connect(self._dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._ack)
        layout.addWidget(self._button)
        self.setVisible(False)

    def show_alert(self, text: str, tier: RiskTier) -> None:
        self._tier = tier
        # The tier word leads the text so the banner does not rely on its colour.
        self._label.setText(f"<b>{tier_word(tier).upper()}</b> — {_escape(text)}")
        fill = TIER_FILLS[tier].name()
        self.setStyleSheet(
            f"QFrame#alertBanner {{ background-color: {fill}; }} QFrame#alertBanner QLabel {{ color: #000000; }}"
        )
        self.setVisible(True)

    def clear(self) -> None:
        self._label.clear()
        self._tier = RiskTier.UNKNOWN
        self.setVisible(False)

    def text(self) -> str:
        return self._label.text()

    @property
    def tier(self) -> RiskTier:
        return self._tier

    @property
    def acknowledge_button(self) -> QPushButton:
        return self._ack

    def _dismiss(self) -> None:
        self.clear()
        self.dismissed.emit()

    def _acknowledge(self) -> None:
        self.clear()
        self.acknowledged.emit()


class DemoBanner(QFrame):
    """Says plainly that the figures are simulated; stays until a real account is added."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoBanner")
        self._label = QLabel(
            self.tr("Demo mode: simulated exchange, no real account. Add a real account in Settings → Accounts."),
            self,
        )
        self._label.setWordWrap(True)
        self.setStyleSheet(f"QFrame#demoBanner, QFrame#demoBanner QLabel {{ {_DEMO_STYLE} }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._label)
        self.setVisible(False)

    def set_demo(self, on: bool) -> None:
        self.setVisible(on)

    def text(self) -> str:
        return self._label.text()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
