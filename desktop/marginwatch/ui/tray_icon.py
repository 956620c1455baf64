"""The tray icon: colour of the worst risk tier, a menu, and the balloon fallback for alerts."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from marginwatch.core.risk_tiers import RiskTier

# Colour-blind-safe hues; the shape also changes so the state does not hang on colour alone.
TIER_COLOURS = {
    RiskTier.UNKNOWN: QColor("#8a8f98"),
    RiskTier.CALM: QColor("#1a9e77"),
    RiskTier.WARNING: QColor("#e6a100"),
    RiskTier.DANGER: QColor("#d7301f"),
}


def tier_icon(tier: RiskTier, *, disconnected: bool = False, size: int = 64) -> QIcon:
    """A round badge: a gauge needle whose angle rises with the tier; hollow when disconnected."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = TIER_COLOURS[RiskTier.UNKNOWN if disconnected else tier]
    m = size * 0.06
    rect = QRectF(m, m, size - 2 * m, size - 2 * m)
    # A dark rim keeps the badge legible on light and dark panels alike.
    p.setPen(QPen(QColor(20, 20, 20, 220), size * 0.06))
    p.setBrush(Qt.BrushStyle.NoBrush if disconnected else colour)
    p.drawEllipse(rect)
    if disconnected:
        p.setPen(QPen(colour, size * 0.1))
        p.drawLine(int(size * 0.3), int(size * 0.3), int(size * 0.7), int(size * 0.7))
    else:
        needle = QPen(QColor("white"), size * 0.1)
        needle.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(needle)
        c = size / 2
        angle = {RiskTier.UNKNOWN: 90, RiskTier.CALM: 150, RiskTier.WARNING: 90, RiskTier.DANGER: 30}[tier]
        from math import cos, radians, sin

        r = size * 0.3
        p.drawLine(int(c), int(c), int(c + r * cos(radians(angle))), int(c - r * sin(radians(angle))))
    p.end()
    return QIcon(pix)


class TrayIcon(QObject):
    show_requested = Signal()
    calculator_requested = Signal()
    test_notification_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray = QSystemTrayIcon(self)
        self._tier = RiskTier.UNKNOWN
        self._disconnected = True
        menu = QMenu()
        self._menu = menu  # QSystemTrayIcon does not own its menu
        self._add(menu, self.tr("Show MarginWatch"), self.show_requested)
        self._add(menu, self.tr("Calculator…"), self.calculator_requested)
        self._add(menu, self.tr("Send test notification"), self.test_notification_requested)
        menu.addSeparator()
        self._add(menu, self.tr("Quit"), self.quit_requested)
        self._tray.setContextMenu(menu)
        self._tray.activated.connect(self._on_activated)
        self._refresh()

    def _add(self, menu: QMenu, text: str, signal: Signal) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(signal.emit)
        return action

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()

    def show(self) -> None:
        self._tray.show()

    def hide(self) -> None:
        self._tray.hide()

    @property
    def tier(self) -> RiskTier:
        return self._tier

    @property
    def disconnected(self) -> bool:
        return self._disconnected

    def menu_texts(self) -> list[str]:
        return [a.text() for a in self._menu.actions() if not a.isSeparator()]

    def set_state(self, tier: RiskTier, *, disconnected: bool, tooltip: str) -> None:
        changed = (tier, disconnected) != (self._tier, self._disconnected)
        self._tier, self._disconnected = tier, disconnected
        self._tray.setToolTip(tooltip)
        if changed:
            self._refresh()

    def _refresh(self) -> None:
        self._tray.setIcon(tier_icon(self._tier, disconnected=self._disconnected))

    def show_balloon(self, title: str, body: str, tier: RiskTier) -> bool:
        """Fallback delivery; True when a tray exists to show it (Qt cannot tell us more)."""
        if not QSystemTrayIcon.isSystemTrayAvailable() or not self._tray.isVisible():
            return False
        icon = QSystemTrayIcon.MessageIcon.Critical if tier >= RiskTier.DANGER else QSystemTrayIcon.MessageIcon.Warning
        self._tray.showMessage(title, body, icon, 15000)
        return True
