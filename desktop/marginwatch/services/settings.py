"""User settings in QSettings: alert thresholds (global and per account), sound, start-up behaviour,
language, accounts and forwarding channels. Never a secret: those live only in the OS keychain (services.secret_store).

Each key is a typed `Setting` (services.typed_setting). A value in the file that cannot be used
(unparsable, NaN or infinite, out of range, the wrong type, impossible together) reads as its
default; the reason goes to `problems` (plain words, once each) and the log, so a hand-edited file
never stops the app nor quietly turns alerts off.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Signal

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.risk_tiers import BandsByAccount, TierThresholds
from marginwatch.services import paths
from marginwatch.services.channel_settings import (
    MAX_CHANNELS,
    ChannelConfig,
    channel_problem,
    read_channels,
    write_channels,
)
from marginwatch.services.typed_setting import (
    Reader,
    Setting,
    choice,
    decimal_in,
    flag,
    seconds_in,
    text,
    write_flag,
)

log = logging.getLogger(__name__)



class Environment(StrEnum):
    MAINNET = "mainnet"
    TESTNET = "testnet"
    CUSTOM = "custom"


class Exchange(StrEnum):
    BINANCE = "binance"  # USDⓈ-M futures
    MEXC = "mexc"  # futures (contract API), read-only


class KeyType(StrEnum):
    HMAC = "hmac"
    ED25519 = "ed25519"


class Markets(StrEnum):
    """Which futures an account is watched on; one API key serves both."""

    USDM = "usdm"
    COINM = "coinm"
    BOTH = "both"

    @property
    def usdm(self) -> bool:
        return self is not Markets.COINM

    @property
    def coinm(self) -> bool:
        return self is not Markets.USDM


class Language(StrEnum):
    SYSTEM = "system"
    EN = "en"
    ZH_CN = "zh_CN"


ENVIRONMENTS = tuple(e.value for e in Environment)
KEY_TYPES = tuple(k.value for k in KeyType)
MARKETS = tuple(m.value for m in Markets)
EXCHANGES = tuple(x.value for x in Exchange)
LANGUAGES = tuple(lang.value for lang in Language)
MAX_ACCOUNTS = 100  # a poisoned accounts/size must not make every read walk millions of empty entries


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """An account as stored in settings; its secret lives only in the OS keychain."""

    name: str
    environment: str  # "mainnet" | "testnet" | "custom"
    key_type: str  # "hmac" | "ed25519"
    api_key: str
    enabled: bool = True
    rest_url: str = ""
    ws_url: str = ""
    markets: str = Markets.USDM.value  # "usdm" | "coinm" | "both"
    exchange: str = Exchange.BINANCE.value  # accounts saved before MEXC came are Binance's


def account_problem(config: AccountConfig) -> str | None:
    """Plain words (in the UI language) saying what is wrong with `config`, or None when it can be saved."""
    translate = QCoreApplication.translate  # spelled so that lupdate finds the strings
    if not config.name.strip():
        return translate("Settings", "The account needs a name.")
    if config.name != config.name.strip():
        return translate("Settings", "The account name must not start or end with spaces.")
    if config.environment not in ENVIRONMENTS:
        return translate("Settings", "Unknown environment {0}.").format(repr(config.environment))
    if config.markets not in MARKETS:
        return translate("Settings", "Unknown futures market {0}.").format(repr(config.markets))
    if config.key_type not in KEY_TYPES:
        return translate("Settings", "Unknown key type {0}.").format(repr(config.key_type))
    if config.exchange not in EXCHANGES:
        return translate("Settings", "Unknown exchange {0}.").format(repr(config.exchange))
    if config.exchange == Exchange.MEXC and config.environment == Environment.TESTNET:
        return translate("Settings", "MEXC has no futures testnet: choose Mainnet or Custom.")
    if config.exchange == Exchange.MEXC and config.key_type != KeyType.HMAC:
        return translate("Settings", "MEXC keys are HMAC keys (a secret key), not Ed25519.")
    if not config.api_key.strip():
        return translate("Settings", "The API key is empty.")
    if config.api_key != config.api_key.strip():
        return translate("Settings", "The API key has spaces or a line break at its start or end.")
    if config.environment == "custom":
        if not config.rest_url.startswith(("http://", "https://")):
            return translate("Settings", "A custom environment needs a REST base URL starting with http:// or https://.")
        if not config.ws_url.startswith(("ws://", "wss://")):
            return translate("Settings", "A custom environment needs a WebSocket base URL starting with ws:// or wss://.")
    return None


_RATIO = decimal_in(Decimal(0), Decimal(1), above_low=True)
_PCT = decimal_in(Decimal(0), Decimal(100), above_low=True)
_D = AlertPolicy()

# The thresholds, read from "alerts/<key>" and from an account's override group; the ranges are the
# Alerts tab's. An override's missing or unusable key falls back to the global value.
POLICY_KEYS: tuple[Setting[Any], ...] = (
    Setting("ratio_warning", _D.ratio.warning, _RATIO, "margin ratio (fraction) that warns"),
    Setting("ratio_danger", _D.ratio.danger, _RATIO, "margin ratio (fraction) that is danger"),
    Setting("distance_warning_pct", _D.distance_warning_pct, _PCT, "distance to liquidation (%) that warns"),
    Setting("distance_danger_pct", _D.distance_danger_pct, _PCT, "distance to liquidation (%) that is danger"),
    Setting("ratio_hysteresis", _D.ratio_hysteresis, decimal_in(Decimal(0), Decimal("0.5")),
            "how far the ratio eases back before a tier fires again"),
    Setting("distance_hysteresis_pct", _D.distance_hysteresis_pct, decimal_in(Decimal(0), Decimal(50)),
            "how far the distance (%) eases back before a tier fires again"),
    Setting("cooldown_s", _D.cooldown_s, seconds_in(0, 86400), "shortest time between repeats of an alert"),
    Setting("stream_down_after_s", _D.stream_down_after_s, seconds_in(0, 3600), "a stream down this long alerts"),
)


def _policy_values(p: AlertPolicy) -> dict[str, Any]:
    return {
        "ratio_warning": p.ratio.warning,
        "ratio_danger": p.ratio.danger,
        "distance_warning_pct": p.distance_warning_pct,
        "distance_danger_pct": p.distance_danger_pct,
        "ratio_hysteresis": p.ratio_hysteresis,
        "distance_hysteresis_pct": p.distance_hysteresis_pct,
        "cooldown_s": p.cooldown_s,
        "stream_down_after_s": p.stream_down_after_s,
    }


def _policy(values: dict[str, Any]) -> AlertPolicy:
    """Raises ValueError when the values are impossible together (e.g. warning above danger)."""
    v = dict(values)
    ratio = TierThresholds(warning=v.pop("ratio_warning"), danger=v.pop("ratio_danger"))
    return AlertPolicy(ratio=ratio, **v)


# An account entry in the "accounts" array: field, default, reader.
_ACCOUNT_FIELDS: tuple[tuple[str, Any, Reader[Any]], ...] = (
    ("name", "", text),
    ("environment", Environment.MAINNET.value, text),  # account_problem() words an unknown one
    ("key_type", KeyType.HMAC.value, text),
    ("api_key", "", text),
    ("enabled", True, flag),
    ("rest_url", "", text),
    ("ws_url", "", text),
    ("markets", Markets.USDM.value, text),  # absent in files from before COIN-M: USDⓈ-M, as then
    ("exchange", Exchange.BINANCE.value, text),  # account_problem() words an unknown one
)


def make_private(store: QSettings) -> None:
    """Keep the settings file (it holds the API key) readable by its owner only.

    QSettings writes through QSaveFile, which gives a new file 0666 & ~umask but keeps an existing
    file's mode: so the file is created empty with 0600 before QSettings first writes it, and an
    older, looser one is tightened. Called at start-up and after each sync.
    """
    native = store.format() == QSettings.Format.NativeFormat
    if sys.platform == "win32" or (native and sys.platform == "darwin"):
        return  # the registry, or a plist cfprefsd owns; both are private to the user already
    path = Path(store.fileName())
    try:
        if native and path.parent == paths.config_dir(create=False):
            paths.config_dir()  # ours: 0700
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            path.chmod(0o600)
    except OSError as exc:
        log.warning("settings: could not make %s private (%s)", path, exc)


class Settings(QObject):
    """Typed access to QSettings. `changed` fires after every write with the key or group written
    ("General/sound", "alerts", "account_alerts/<name>", "accounts", "channels"); `problem_found` with each new
    entry of `problems`."""

    changed = Signal(str)
    problem_found = Signal(str)

    # QSettings writes a "general" group as the ini file's [%General] section and reads that back
    # as "General": so the keys are spelled as they come back from a file.
    sound_enabled = Setting("General/sound", True, flag, "play a sound with each alert", write=write_flag)
    funding_alerts = Setting(
        "General/funding_alerts", True, flag, "alert when the next funding payment would cross a threshold",
        write=write_flag,
    )
    start_minimised = Setting("General/start_minimised", False, flag, "start hidden in the tray", write=write_flag)
    start_at_login = Setting(
        "General/start_at_login", False, flag, "the user's wish; services.autostart makes it so", write=write_flag
    )
    language = Setting("General/language", Language.SYSTEM, choice(Language), "UI language")

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._s = store or QSettings("MarginWatch", "MarginWatch")
        make_private(self._s)
        self.problems: list[str] = []  # what the file held that could not be used, in plain words
        # Parsed values, dropped on every write (reads are frequent: the alert engine, each sync).
        self._values: dict[str, Any] = {}
        self._policies: dict[str | None, AlertPolicy] = {}
        self._accounts: tuple[AccountConfig, ...] | None = None
        self._channels: tuple[ChannelConfig, ...] | None = None
        self._check_all()

    def sync(self) -> None:
        self._s.sync()
        make_private(self._s)

    def _commit(self, key: str) -> None:
        self._values.clear()
        self._policies.clear()
        self._accounts = None
        self._channels = None
        self.sync()
        self.changed.emit(key)

    def _check_all(self) -> None:
        """Read every key once now, so that what the file spoils is in `problems` at start-up."""
        for setting in vars(type(self)).values():
            if isinstance(setting, Setting):
                setting.__get__(self)
        for a in self.accounts():
            self.alert_policy(a.name)
        self.channels()

    def _problem(self, message: str) -> None:
        if message in self.problems:
            return
        log.warning("%s", message)
        self.problems.append(message)
        self.problem_found.emit(message)

    def _parse(self, label: str, raw: object, read: Reader[Any], default: Any, *, show: bool = True) -> Any:
        if raw is None or raw == "":
            return default
        try:
            return read(raw)
        except (ValueError, ArithmeticError) as exc:
            held = f" holds {str(raw)[:40]!r}" if show else ""
            self._problem(f"Settings file: {label}{held}, which is not usable ({exc}); using {default}.")
            return default

    # ----------------------------------------------------------------- typed keys (Setting's owner)

    def _get(self, setting: Setting[Any]) -> Any:
        if setting.key not in self._values:
            raw = self._s.value(setting.key)
            self._values[setting.key] = self._parse(setting.key, raw, setting.read, setting.default)
        return self._values[setting.key]

    def _set(self, setting: Setting[Any], value: Any) -> None:
        self._s.setValue(setting.key, setting.write(value))
        self._commit(setting.key)

    # ----------------------------------------------------------------- alert thresholds

    def _read_policy(self, group: str, fallback: AlertPolicy) -> AlertPolicy:
        defaults = _policy_values(fallback)
        values = {
            k.key: self._parse(f"{group}/{k.key}", self._s.value(f"{group}/{k.key}"), k.read, defaults[k.key])
            for k in POLICY_KEYS
        }
        try:
            return _policy(values)
        except (ValueError, ArithmeticError) as exc:
            self._problem(f"Settings file: the thresholds in [{group}] are impossible together ({exc}); "
                          "using the defaults.")
            return fallback

    def _write_policy(self, group: str, p: AlertPolicy) -> None:
        for key, value in _policy_values(p).items():
            self._s.setValue(f"{group}/{key}", str(value))

    @staticmethod
    def _override_group(account: str) -> str:
        # Account names may hold "/" or other characters QSettings treats specially.
        return "account_alerts/" + quote(account, safe="")

    def alert_policy(self, account: str | None = None) -> AlertPolicy:
        """The global thresholds, or `account`'s own override when it has one."""
        if None not in self._policies:
            self._policies[None] = self._read_policy("alerts", AlertPolicy())
        glob = self._policies[None]
        if account is None or not self.has_account_policy(account):
            return glob
        if account not in self._policies:
            self._policies[account] = self._read_policy(self._override_group(account), glob)
        return self._policies[account]

    def bands_by_account(self, accounts: Iterable[str]) -> BandsByAccount:
        """The tier thresholds of these accounts: their own where they have an override."""
        own = tuple((a, self.alert_policy(a).bands) for a in sorted(accounts) if self.has_account_policy(a))
        return BandsByAccount(self.alert_policy().bands, own)

    def set_alert_policy(self, p: AlertPolicy, account: str | None = None) -> None:
        """Save the global thresholds, or an override for one account."""
        group = "alerts" if account is None else self._override_group(account)
        self._write_policy(group, p)
        self._commit(group)

    def has_account_policy(self, account: str) -> bool:
        return bool(self._s.value(f"{self._override_group(account)}/ratio_warning"))

    def account_policy(self, account: str) -> AlertPolicy | None:
        """`account`'s override, or None when it uses the global thresholds."""
        return self.alert_policy(account) if self.has_account_policy(account) else None

    def clear_account_policy(self, account: str) -> None:
        group = self._override_group(account)
        self._s.remove(group)
        self._commit(group)

    # ----------------------------------------------------------------- accounts

    def accounts(self) -> list[AccountConfig]:
        if self._accounts is None:
            self._accounts = tuple(self._read_accounts())
        return list(self._accounts)

    def _read_accounts(self) -> list[AccountConfig]:
        s = self._s
        out = []
        size = s.beginReadArray("accounts")
        if size > MAX_ACCOUNTS:
            self._problem(f"Settings file: accounts/size is {size}; only the first {MAX_ACCOUNTS} accounts are read.")
        for i in range(min(size, MAX_ACCOUNTS)):
            s.setArrayIndex(i)
            fields = {
                name: self._parse(f"accounts/{i + 1}/{name}", s.value(name), read, default, show=name != "api_key")
                for name, default, read in _ACCOUNT_FIELDS
            }
            if fields["name"]:
                out.append(AccountConfig(**fields))
        s.endArray()
        return out

    def account(self, name: str) -> AccountConfig | None:
        return next((a for a in self.accounts() if a.name == name), None)

    def _write_accounts(self, accounts: list[AccountConfig]) -> None:
        s = self._s
        s.remove("accounts")  # a shorter list must not leave stale entries behind
        s.beginWriteArray("accounts", len(accounts))
        for i, a in enumerate(accounts):
            s.setArrayIndex(i)
            s.setValue("name", a.name)
            s.setValue("environment", a.environment)
            s.setValue("key_type", a.key_type)
            s.setValue("api_key", a.api_key)
            s.setValue("enabled", write_flag(a.enabled))
            s.setValue("rest_url", a.rest_url)
            s.setValue("ws_url", a.ws_url)
            if a.markets != Markets.USDM.value:  # so a USDⓈ-M account's entry is written as before COIN-M
                s.setValue("markets", a.markets)
            if a.exchange != Exchange.BINANCE:  # a file of Binance accounts stays as earlier versions wrote it
                s.setValue("exchange", a.exchange)
        s.endArray()

    def save_account(self, config: AccountConfig, *, replaces: str | None = None) -> None:
        """Add `config`, or update the account named `replaces` (default: the same name).

        A rename keeps the account's place in the list and carries its threshold override along, and
        the forwarding channels limited to the account follow it.
        Raises ValueError with plain words for an invalid config, a name already taken or a full list.
        """
        problem = account_problem(config)
        if problem is not None:
            raise ValueError(problem)
        old = replaces if replaces is not None else config.name
        accounts = self.accounts()
        if config.name != old and any(a.name == config.name for a in accounts):
            raise ValueError(f"An account named {config.name!r} already exists.")
        index = next((i for i, a in enumerate(accounts) if a.name == old), None)
        if index is None:
            if replaces is not None and replaces != config.name:
                raise ValueError(f"There is no account named {replaces!r} to change.")
            if len(accounts) >= MAX_ACCOUNTS:
                raise ValueError(f"MarginWatch watches at most {MAX_ACCOUNTS} accounts; remove one first.")
            accounts.append(config)
        else:
            accounts[index] = config
        if config.name != old and self.has_account_policy(old):
            override = self.alert_policy(old)
            self._s.remove(self._override_group(old))
            self._write_policy(self._override_group(config.name), override)
        self._write_accounts(accounts)
        self._commit("accounts")
        if config.name != old:
            self._rename_in_channels(old, config.name)

    def remove_account(self, name: str) -> bool:
        """Forget the account and its override; False when there was none. (Its secret is the caller's.)"""
        accounts = self.accounts()
        kept = [a for a in accounts if a.name != name]
        if len(kept) == len(accounts):
            return False
        self._write_accounts(kept)
        self._s.remove(self._override_group(name))
        self._commit("accounts")
        return True

    def set_account_enabled(self, name: str, enabled: bool) -> bool:
        accounts = self.accounts()
        for i, a in enumerate(accounts):
            if a.name == name:
                accounts[i] = replace(a, enabled=enabled)
                self._write_accounts(accounts)
                self._commit("accounts")
                return True
        return False

    # ----------------------------------------------------------------- forwarding channels (URLs: keychain)

    def channels(self) -> list[ChannelConfig]:
        if self._channels is None:
            self._channels = tuple(read_channels(self._s, self._parse, self._problem))
        return list(self._channels)

    def channel(self, channel_id: str) -> ChannelConfig | None:
        return next((c for c in self.channels() if c.channel_id == channel_id), None)

    def save_channel(self, config: ChannelConfig) -> None:
        """Add `config`, or replace the channel with its id (keeping its place); ValueError in plain words."""
        problem = channel_problem(config)
        if problem is not None:
            raise ValueError(problem)
        channels = self.channels()
        index = next((i for i, c in enumerate(channels) if c.channel_id == config.channel_id), None)
        if index is not None:
            channels[index] = config
        elif len(channels) >= MAX_CHANNELS:
            raise ValueError(f"MarginWatch forwards to at most {MAX_CHANNELS} channels; remove one first.")
        else:
            channels.append(config)
        write_channels(self._s, channels)
        self._commit("channels")

    def _rename_in_channels(self, old: str, new: str) -> None:
        channels = self.channels()
        renamed = [replace(c, accounts=(c.accounts - {old}) | {new}) if c.accounts and old in c.accounts else c
                   for c in channels]
        if renamed != channels:
            write_channels(self._s, renamed)
            self._commit("channels")

    def remove_channel(self, channel_id: str) -> bool:
        """Forget the channel's settings; False when there was none. (Its URL is the caller's.)"""
        channels = self.channels()
        kept = [c for c in channels if c.channel_id != channel_id]
        if len(kept) == len(channels):
            return False
        write_channels(self._s, kept)
        self._commit("channels")
        return True
