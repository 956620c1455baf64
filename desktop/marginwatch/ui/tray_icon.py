"""The tray icon: the worst risk tier (colour and shape), a menu, and the balloon fallback for alerts."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from marginwatch import resources
from marginwatch.core.risk_tiers import RiskTier


class TrayIcon(QObject):
    show_requested = Signal()
    calculator_requested = Signal()
    test_notification_requested = Signal()
    acknowledge_requested = Signal()  # stop alerts repeating on the forwarding channels
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray = QSystemTrayIcon(self)
        self._tier = RiskTier.UNKNOWN
        self._disconnected = True
        menu = QMenu()
        self._menu = menu  # QSystemTrayIcon does not own its menu
        self._add(menu, self.tr("Show MarginWatch"), self.show_requested)
        self._add(menu, self.tr("Acknowledge alerts"), self.acknowledge_requested)
        self._add(menu, self.tr("Calculator…"), self.calculator_requested)
        self._add(menu, self.tr("Send test notification"), self.test_notification_requested)
        menu.addSeparator()
        self._add(menu, self.tr("Quit"), self.quit_requested)
        self._tray.setContextMenu(menu)
        self._tray.activated.connect(self._on_activated)
        self._refresh()

    def _add(self, menu: QMenu, text: str, signal: SignalInstance) -> QAction:
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

    @property
    def tooltip(self) -> str:
        return self._tray.toolTip()

    def menu_texts(self) -> list[str]:
        return [a.text() for a in self._menu.actions() if not a.isSeparator()]

    def set_state(self, tier: RiskTier, *, disconnected: bool, tooltip: str) -> None:
        changed = (tier, disconnected) != (self._tier, self._disconnected)
        self._tier, self._disconnected = tier, disconnected
        self._tray.setToolTip(tooltip)
        if changed:
            self._refresh()

    def _refresh(self) -> None:
        self._tray.setIcon(resources.tray_icon(self._tier, self._disconnected))

    def show_balloon(self, title: str, body: str, tier: RiskTier) -> bool:
        """Fallback delivery; True when a tray exists to show it (Qt cannot tell us more)."""
        if not QSystemTrayIcon.isSystemTrayAvailable() or not self._tray.isVisible():
            return False
        icon = QSystemTrayIcon.MessageIcon.Critical if tier >= RiskTier.DANGER else QSystemTrayIcon.MessageIcon.Warning
        self._tray.showMessage(title, body, icon, 15000)
        return True
