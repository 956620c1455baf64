"""What a forwarding channel saved in Settings → Notifications takes, as stored in QSettings.

Only the non-secret part lives here: id, display name, alert kinds, accounts and quiet hours. The
URL (it carries tokens and passwords) is in the keychain under the channel's id (services.channel_store).
Each field has a reader in the manner of services.typed_setting: a hand-edited value that cannot be
used reads as its default (every kind, every account, no quiet hours: too much rather than nothing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings

from marginwatch.services.forward_channel import ForwardKind, QuietHours
from marginwatch.services.typed_setting import Reader, text

__all__ = ["ALL_KINDS", "MAX_CHANNELS", "ChannelConfig", "channel_problem", "read_channels", "write_channels"]

MAX_CHANNELS = 20  # a poisoned channels/size must not make every read walk millions of entries
MAX_NAME = 60
ALL_KINDS = frozenset(ForwardKind)
_ID = re.compile(r"[a-z0-9]{4,32}")
ARRAY = "channels"
ALL_ACCOUNTS = "*"


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """A channel as stored in settings; its URL lives only in the keychain."""

    channel_id: str
    name: str
    kinds: frozenset[ForwardKind] = ALL_KINDS
    accounts: frozenset[str] | None = None  # None: every account
    quiet_hours: QuietHours | None = None


def channel_problem(config: ChannelConfig) -> str | None:
    """Plain words (in the UI language) saying why `config` cannot be saved, or None."""
    translate = QCoreApplication.translate
    if not _ID.fullmatch(config.channel_id):
        return translate("ChannelSettings", "The channel id {0} is not usable.").format(repr(config.channel_id))
    if not config.name.strip():
        return translate("ChannelSettings", "The channel needs a name.")
    if len(config.name) > MAX_NAME:
        return translate("ChannelSettings", "The channel name is longer than {0} characters.").format(MAX_NAME)
    if not config.kinds:
        return translate("ChannelSettings", "Choose at least one kind of alert for the channel.")
    if config.accounts is not None and not config.accounts:
        return translate("ChannelSettings", "Choose at least one account, or all accounts.")
    return None


# ----------------------------------------------------------------------------- readers


def channel_id(raw: object) -> str:
    value = text(raw).strip()
    if not _ID.fullmatch(value):
        raise ValueError("expected 4 to 32 lowercase letters and digits")
    return value


def kinds(raw: object) -> frozenset[ForwardKind]:
    """Space-separated kind words (a comma would make an ini line a list)."""
    words = text(raw).split()
    try:
        found = frozenset(ForwardKind(w) for w in words)
    except ValueError:
        allowed = ", ".join(k.value for k in ForwardKind)
        raise ValueError(f"an unknown kind of alert (use {allowed})") from None
    if not found:
        raise ValueError("no kind of alert")
    return found


def accounts(raw: object) -> frozenset[str] | None:
    """`*` for every account, else a JSON list of account names."""
    value = text(raw).strip()
    if value == ALL_ACCOUNTS:
        return None
    try:
        names = json.loads(value)
    except ValueError:
        raise ValueError("expected * or a JSON list of account names") from None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError("expected * or a JSON list of account names")
    return frozenset(names)


def quiet_hours(raw: object) -> QuietHours | None:
    value = text(raw).strip()
    return QuietHours.parse(value) if value else None


def _write_accounts(names: frozenset[str] | None) -> str:
    return ALL_ACCOUNTS if names is None else json.dumps(sorted(names), ensure_ascii=False)


# field, default, reader
_FIELDS: tuple[tuple[str, Any, Reader[Any]], ...] = (
    ("name", "", text),
    ("kinds", ALL_KINDS, kinds),
    ("accounts", None, accounts),
    ("quiet_hours", None, quiet_hours),
)

Parse = Callable[[str, object, Reader[Any], Any], Any]  # label, raw value, reader, default -> value


def read_channels(store: QSettings, parse: Parse, problem: Callable[[str], None]) -> list[ChannelConfig]:
    """The saved channels in their order; an entry without a usable id is skipped (and said)."""
    out: list[ChannelConfig] = []
    size = store.beginReadArray(ARRAY)
    try:
        if size > MAX_CHANNELS:
            problem(f"Settings file: channels/size is {size}; only the first {MAX_CHANNELS} channels are read.")
        for i in range(min(size, MAX_CHANNELS)):
            store.setArrayIndex(i)
            cid = parse(f"channels/{i + 1}/id", store.value("id"), channel_id, "")
            if not cid or any(c.channel_id == cid for c in out):
                if cid:
                    problem(f"Settings file: channels/{i + 1} repeats the id of an earlier channel; it is skipped.")
                continue
            fields = {name: parse(f"channels/{i + 1}/{name}", store.value(name), read, default)
                      for name, default, read in _FIELDS}
            out.append(ChannelConfig(cid, fields["name"].strip() or cid, fields["kinds"], fields["accounts"],
                                     fields["quiet_hours"]))
    finally:
        store.endArray()
    return out


def write_channels(store: QSettings, channels: list[ChannelConfig]) -> None:
    store.remove(ARRAY)  # a shorter list must not leave stale entries behind
    store.beginWriteArray(ARRAY, len(channels))
    for i, c in enumerate(channels):
        store.setArrayIndex(i)
        store.setValue("id", c.channel_id)
        store.setValue("name", c.name)
        store.setValue("kinds", " ".join(sorted(k.value for k in c.kinds)))
        store.setValue("accounts", _write_accounts(c.accounts))
        store.setValue("quiet_hours", c.quiet_hours.text() if c.quiet_hours else "")
    store.endArray()
