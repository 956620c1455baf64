"""Delivers alerts to the user: the platform's notification service first, a fallback second.

desktop-notifier talks to org.freedesktop.Notifications over D-Bus (Linux), the Notification
Center (macOS) or toasts (Windows), so alerts land in the system's own notification history.
Qt's tray balloon only reaches that service when a StatusNotifierItem host runs, so it is the
fallback, injected by the app as a callable (services do not know widgets).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.exchange.tasks import spawn
from marginwatch.services.alert import Alert

log = logging.getLogger(__name__)

Fallback = Callable[[Alert], bool]


def _session_bus_available() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))


class Notifier(QObject):
    """`notify(alert)` returns at once; `delivered(alert, channel)` reports where it went."""

    delivered = Signal(object, str)  # Alert, "desktop" | "tray" | "none"

    def __init__(
        self,
        *,
        app_name: str = "MarginWatch",
        icon_path: Path | None = None,
        fallback: Fallback | None = None,
        sound: bool = True,
        sound_path: Path | None = None,
        send_timeout_s: float = 5.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._app_name = app_name
        self._icon_path = icon_path
        self._fallback = fallback
        self.sound = sound
        self._sound_path = sound_path  # our chime; the platform's default sound without it
        self._send_timeout_s = send_timeout_s
        self._backend: object | None = None
        self._backend_broken = False
        self._tasks: set[asyncio.Task[str]] = set()
        self.last_error: str | None = None

    def notify(self, alert: Alert) -> None:
        spawn(self.send(alert), self._tasks, name="notification")

    async def send(self, alert: Alert) -> str:
        channel = "none"
        if await self._send_desktop(alert):
            channel = "desktop"
        elif self._fallback is not None and self._fallback(alert):
            channel = "tray"
        self.delivered.emit(alert, channel)
        return channel

    async def aclose(self) -> None:
        """Wait briefly for notifications still in flight (called at shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self._send_timeout_s)

    def _get_backend(self) -> object | None:
        if self._backend is None and not self._backend_broken:
            try:
                from desktop_notifier import DesktopNotifier, Icon

                icon = Icon(path=self._icon_path) if self._icon_path else None
                self._backend = (
                    DesktopNotifier(app_name=self._app_name, app_icon=icon)
                    if icon
                    else DesktopNotifier(app_name=self._app_name)  # the library's default icon
                )
            except Exception as exc:  # a missing platform backend must not stop alerts
                self._backend_broken = True
                self.last_error = f"desktop notifications unavailable: {exc}"
                log.warning(self.last_error)
        return self._backend

    async def _send_desktop(self, alert: Alert) -> bool:
        if not _session_bus_available():
            self.last_error = "no D-Bus session bus"
            return False
        backend = self._get_backend()
        if backend is None:
            return False
        from desktop_notifier import DEFAULT_SOUND, Sound, Urgency

        chime = Sound(path=self._sound_path) if self._sound_path else DEFAULT_SOUND
        urgency = Urgency.Critical if alert.tier >= RiskTier.DANGER else Urgency.Normal
        try:
            await asyncio.wait_for(
                backend.send(  # type: ignore[attr-defined]
                    title=alert.title,
                    message=alert.body,
                    urgency=urgency,
                    sound=chime if self.sound else None,
                ),
                timeout=self._send_timeout_s,
            )
        except Exception as exc:  # no daemon, bus refused, timeout: fall back, say why
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("desktop notification failed, falling back: %s", self.last_error)
            return False
        return True
