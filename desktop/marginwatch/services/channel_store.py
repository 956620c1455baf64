"""Forwarding channels the user saved: settings for what each takes, the keychain for its URL.

The URL carries tokens and passwords, so it is a secret like an API secret: stored in the OS
keychain under the channel's id (its own keychain service, so no account name can clash with it),
or kept in memory for this run when there is no keychain. Only `mask_url`'s form is ever shown.
"""

from __future__ import annotations

import logging
import secrets as random_ids
from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication

from marginwatch.services.channel_settings import ChannelConfig, channel_problem
from marginwatch.services.forward_channel import Channel
from marginwatch.services.forwarding_send import AppriseSender, mask_url
from marginwatch.services.secret_store import SecretStore, SecretStoreError
from marginwatch.services.settings import Settings

__all__ = ["CHANNEL_SERVICE", "ChannelStore", "SecretStoreError"]

log = logging.getLogger(__name__)

CHANNEL_SERVICE = "MarginWatch forwarding channels"
translate = QCoreApplication.translate  # lupdate finds translate("ChannelStore", "...")


def new_channel_id() -> str:
    return random_ids.token_hex(6)


class ChannelStore:
    """Saved channels: `save` and `remove` write settings and keychain together; `channels()` builds
    what the Forwarder sends to."""

    def __init__(self, settings: Settings, secrets: SecretStore, *, checker: AppriseSender | None = None) -> None:
        self.settings = settings
        self._urls = secrets.for_service(CHANNEL_SERVICE)
        self._checker = checker

    @property
    def why_no_keychain(self) -> str | None:
        return self._urls.why_unavailable

    def configs(self) -> list[ChannelConfig]:
        return self.settings.channels()

    def url(self, channel_id: str) -> str | None:
        """The channel's URL (this run's, else the keychain's); None when there is none."""
        return self._urls.load(channel_id)

    def masked_url(self, channel_id: str) -> str:
        try:
            url = self.url(channel_id)
        except SecretStoreError:
            return ""
        return mask_url(url) if url else ""

    def is_run_only(self, channel_id: str) -> bool:
        return self._urls.is_run_only(channel_id)

    def check(self, config: ChannelConfig, url: str | None) -> str:
        """The URL to store (`url`, else the saved one); ValueError in plain words when it cannot be saved."""
        problem = channel_problem(config)
        if problem is not None:
            raise ValueError(problem)
        url = (url or "").strip()
        if not url:
            if self.settings.channel(config.channel_id) is not None and self.url(config.channel_id):
                return ""  # keep the URL already saved
            example = "ntfy://ntfy.sh/your-topic"
            raise ValueError(translate("ChannelStore", "The channel needs a URL, e.g. {0}.").format(example))
        if any(ch.isspace() for ch in url):
            raise ValueError(translate("ChannelStore", "The URL has a space or line break in it."))
        why = (self._checker or AppriseSender()).check(url)
        if why is not None:
            raise ValueError(translate("ChannelStore", "This URL cannot be used: {0}.").format(why))
        return url

    def save(self, config: ChannelConfig, url: str | None) -> None:
        """Save the URL (if given) to the keychain, then the rest to settings: the settings change that
        re-applies the channels finds the URL. ValueError or SecretStoreError (no keychain) otherwise."""
        checked = self.check(config, url)
        if checked:
            self._urls.save(config.channel_id, checked)
        self.settings.save_channel(config)
        log.info("forwarding channel %s saved (%s)", config.channel_id, self.masked_url(config.channel_id))

    def save_for_this_run(self, config: ChannelConfig, url: str | None) -> None:
        """No keychain: the URL is kept in memory until MarginWatch exits; the settings are saved."""
        checked = self.check(config, url)
        if checked:
            self._urls.remember_for_this_run(config.channel_id, checked)
        self.settings.save_channel(config)

    def remove(self, channel_id: str) -> bool:
        """Forget the channel and its URL everywhere."""
        self._urls.delete(channel_id)
        return self.settings.remove_channel(channel_id)

    def channels(self) -> tuple[list[Channel], list[str]]:
        """The saved channels the Forwarder can use, and plain words for each one it cannot."""
        out: list[Channel] = []
        problems: list[str] = []
        for c in self.configs():
            try:
                url = self.url(c.channel_id)
            except SecretStoreError as exc:
                problems.append(translate("ChannelStore", "Forwarding to {0} is off: {1}").format(c.name, exc))
                continue
            if not url:
                problems.append(translate(
                    "ChannelStore",
                    "Forwarding to {0} is off: its URL is not in the keychain (enter it again in "
                    "Settings → Notifications).",
                ).format(c.name))
                continue
            out.append(Channel(url, c.kinds, c.accounts, c.quiet_hours, label=c.name, channel_id=c.channel_id))
        return out, problems


def merged(saved: Iterable[Channel], command_line: Iterable[Channel]) -> list[Channel]:
    """Saved channels first; a command-line channel with the same URL as a saved one is dropped."""
    out = list(saved)
    keys = {c.key for c in out}
    return out + [c for c in command_line if c.key not in keys]
