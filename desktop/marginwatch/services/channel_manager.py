"""The Forwarder's channels while the app runs: the saved ones plus `--forward` ones, re-applied when
Settings → Notifications changes them; which of them are failing; and a channel's "Send test".
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, Signal

from marginwatch.services.channel_store import ChannelStore, merged
from marginwatch.services.forward_channel import Channel
from marginwatch.services.forwarding import ChannelState, Forwarder, Sender
from marginwatch.services.forwarding_send import AppriseSender, Priority, SendOutcome
from marginwatch.services.secret_store import SecretStoreError

__all__ = ["ChannelManager"]

log = logging.getLogger(__name__)


class ChannelManager(QObject):
    """`failing_changed` fires when the set of failing channels (or a reason) changes."""

    failing_changed = Signal()

    def __init__(
        self, store: ChannelStore, forwarder: Forwarder, *, sender: Sender | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.forwarder = forwarder
        self._command_line = list(forwarder.channels)  # from_specs built these; they stay for the run
        self._sender: Sender = sender or AppriseSender()
        self._reasons: dict[str, str] = {}  # channel key -> why its last sends failed
        forwarder.channel_state_changed.connect(self._on_state)

    def apply(self) -> list[str]:
        """Hand the Forwarder the saved channels and the command line's; plain words for saved ones
        that cannot be used (no URL in the keychain)."""
        saved, problems = self.store.channels()
        self.forwarder.set_channels(merged(saved, self._command_line))
        for problem in problems:
            log.warning("forwarding: %s", problem)
        self.failing_changed.emit()  # a removed channel is no longer failing
        return problems

    def _on_state(self, name: str, state: str, reason: str) -> None:
        for channel in self.forwarder.channels:
            if channel.name == name:
                if state == ChannelState.FAILING.value:
                    self._reasons[channel.key] = reason
                else:
                    self._reasons.pop(channel.key, None)
        self.failing_changed.emit()

    def failing(self) -> list[tuple[Channel, str]]:
        """The channels in use whose sends keep failing, with the last reason."""
        return [(c, self._reasons.get(c.key, "")) for c in self.forwarder.channels
                if self.forwarder.channel_state(c) is ChannelState.FAILING]

    def failing_by_id(self) -> dict[str, str]:
        """Saved channels that are failing: channel id -> reason (for Settings → Notifications)."""
        return {c.channel_id: why for c, why in self.failing() if c.channel_id}

    def failing_text(self) -> str:
        """One line for the status bar and the tray; empty when every channel is fine."""
        failing = self.failing()
        if not failing:
            return ""
        names = "; ".join(f"{c.name}: {why}" if why else c.name for c, why in failing)
        return QCoreApplication.translate("ChannelManager", "Forwarding failing — {0}").format(names)

    async def send_test(self, channel_id: str, url: str = "") -> SendOutcome:
        """One test message to `url`, else to the saved channel's URL; the outcome in plain words."""
        translate = QCoreApplication.translate
        if not url:
            try:
                url = self.store.url(channel_id) or ""
            except SecretStoreError as exc:
                return SendOutcome(False, str(exc))
        if not url:
            return SendOutcome(False, translate("ChannelManager", "no URL is saved for this channel"))
        title = translate("ChannelManager", "MarginWatch test notification")
        body = translate("ChannelManager", "This channel will receive MarginWatch alerts.")
        outcome = await self._sender.send(url, title, body, Priority.DEFAULT)
        log.info("forwarding: test to channel %s: %s %s", channel_id or "(new)", "delivered" if outcome.ok else
                 "failed", outcome.reason)
        return outcome
