"""User settings in QSettings: alert thresholds (global and per account), sound, start-up behaviour,
language, and accounts. Never a secret: those live only in the OS keychain (services.secret_store).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Signal

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.risk_tiers import TierThresholds
from marginwatch.services import paths

log = logging.getLogger(__name__)

ENVIRONMENTS = ("mainnet", "testnet", "custom")
KEY_TYPES = ("hmac", "ed25519")
LANGUAGES = ("system", "en", "zh_CN")


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


def account_problem(config: AccountConfig) -> str | None:
    """Plain words (in the UI language) saying what is wrong with `config`, or None when it can be saved."""
    translate = QCoreApplication.translate  # spelled so that lupdate finds the strings
    if not config.name.strip():
        return translate("Settings", "The account needs a name.")
    if config.name != config.name.strip():
        return translate("Settings", "The account name must not start or end with spaces.")
    if config.environment not in ENVIRONMENTS:
        return translate("Settings", "Unknown environment {0}.").format(repr(config.environment))
    if config.key_type not in KEY_TYPES:
        return translate("Settings", "Unknown key type {0}.").format(repr(config.key_type))
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


def _decimal(value: object, default: Decimal) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else default
    except (InvalidOperation, ValueError):
        return default


def _flag(value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    return str(value).lower() in ("true", "1", "yes")


def _policy_values(p: AlertPolicy) -> dict[str, str]:
    return {
        "ratio_warning": str(p.ratio.warning),
        "ratio_danger": str(p.ratio.danger),
        "distance_warning_pct": str(p.distance_warning_pct),
        "distance_danger_pct": str(p.distance_danger_pct),
        "ratio_hysteresis": str(p.ratio_hysteresis),
        "distance_hysteresis_pct": str(p.distance_hysteresis_pct),
        "cooldown_s": str(p.cooldown_s),
        "stream_down_after_s": str(p.stream_down_after_s),
    }


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
    """Typed access to QSettings. `changed` fires after every write."""

    changed = Signal()

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._s = store or QSettings("MarginWatch", "MarginWatch")
        make_private(self._s)

    def sync(self) -> None:
        self._s.sync()
        make_private(self._s)

    def _commit(self) -> None:
        self.sync()
        self.changed.emit()

    # ----------------------------------------------------------------- alert thresholds

    def _read_policy(self, group: str, fallback: AlertPolicy) -> AlertPolicy:
        s = self._s
        d = fallback
        try:
            return AlertPolicy(
                ratio=TierThresholds(
                    warning=_decimal(s.value(f"{group}/ratio_warning"), d.ratio.warning),
                    danger=_decimal(s.value(f"{group}/ratio_danger"), d.ratio.danger),
                ),
                distance_warning_pct=_decimal(s.value(f"{group}/distance_warning_pct"), d.distance_warning_pct),
                distance_danger_pct=_decimal(s.value(f"{group}/distance_danger_pct"), d.distance_danger_pct),
                ratio_hysteresis=_decimal(s.value(f"{group}/ratio_hysteresis"), d.ratio_hysteresis),
                distance_hysteresis_pct=_decimal(
                    s.value(f"{group}/distance_hysteresis_pct"), d.distance_hysteresis_pct
                ),
                cooldown_s=float(_decimal(s.value(f"{group}/cooldown_s"), Decimal(str(d.cooldown_s)))),
                stream_down_after_s=float(
                    _decimal(s.value(f"{group}/stream_down_after_s"), Decimal(str(d.stream_down_after_s)))
                ),
            )
        except ValueError:
            # A hand-edited file with impossible thresholds must not stop the app.
            return fallback

    def _write_policy(self, group: str, p: AlertPolicy) -> None:
        for key, value in _policy_values(p).items():
            self._s.setValue(f"{group}/{key}", value)

    @staticmethod
    def _override_group(account: str) -> str:
        # Account names may hold "/" or other characters QSettings treats specially.
        return "account_alerts/" + quote(account, safe="")

    def alert_policy(self, account: str | None = None) -> AlertPolicy:
        """The global thresholds, or `account`'s own override when it has one."""
        glob = self._read_policy("alerts", AlertPolicy())
        if account is None or not self.has_account_policy(account):
            return glob
        return self._read_policy(self._override_group(account), glob)

    def set_alert_policy(self, p: AlertPolicy, account: str | None = None) -> None:
        """Save the global thresholds, or an override for one account."""
        self._write_policy("alerts" if account is None else self._override_group(account), p)
        self._commit()

    def has_account_policy(self, account: str) -> bool:
        return bool(self._s.value(f"{self._override_group(account)}/ratio_warning"))

    def account_policy(self, account: str) -> AlertPolicy | None:
        """`account`'s override, or None when it uses the global thresholds."""
        return self.alert_policy(account) if self.has_account_policy(account) else None

    def clear_account_policy(self, account: str) -> None:
        self._s.remove(self._override_group(account))
        self._commit()

    # ----------------------------------------------------------------- general

    def sound_enabled(self) -> bool:
        return _flag(self._s.value("general/sound"), True)

    def set_sound_enabled(self, on: bool) -> None:
        self._s.setValue("general/sound", "true" if on else "false")
        self._commit()

    def start_minimised(self) -> bool:
        return _flag(self._s.value("general/start_minimised"), False)

    def set_start_minimised(self, on: bool) -> None:
        self._s.setValue("general/start_minimised", "true" if on else "false")
        self._commit()

    def start_at_login(self) -> bool:
        """The user's wish; services.autostart makes it so on the desktop."""
        return _flag(self._s.value("general/start_at_login"), False)

    def set_start_at_login(self, on: bool) -> None:
        self._s.setValue("general/start_at_login", "true" if on else "false")
        self._commit()

    def language(self) -> str:
        """"system", "en" or "zh_CN"; anything else read from the file counts as "system"."""
        value = str(self._s.value("general/language", "system"))
        return value if value in LANGUAGES else "system"

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r} (use one of {', '.join(LANGUAGES)})")
        self._s.setValue("general/language", language)
        self._commit()

    # ----------------------------------------------------------------- accounts

    def accounts(self) -> list[AccountConfig]:
        s = self._s
        out = []
        size = s.beginReadArray("accounts")
        for i in range(size):
            s.setArrayIndex(i)
            name = str(s.value("name", ""))
            if name:
                out.append(
                    AccountConfig(
                        name=name,
                        environment=str(s.value("environment", "mainnet")),
                        key_type=str(s.value("key_type", "hmac")),
                        api_key=str(s.value("api_key", "")),
                        enabled=_flag(s.value("enabled"), True),
                        rest_url=str(s.value("rest_url", "")),
                        ws_url=str(s.value("ws_url", "")),
                    )
                )
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
            s.setValue("enabled", "true" if a.enabled else "false")
            s.setValue("rest_url", a.rest_url)
            s.setValue("ws_url", a.ws_url)
        s.endArray()

    def save_account(self, config: AccountConfig, *, replaces: str | None = None) -> None:
        """Add `config`, or update the account named `replaces` (default: the same name).

        A rename keeps the account's place in the list and carries its threshold override along.
        Raises ValueError with plain words for an invalid config or a name already taken.
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
            accounts.append(config)
        else:
            accounts[index] = config
        if config.name != old and self.has_account_policy(old):
            override = self.alert_policy(old)
            self._s.remove(self._override_group(old))
            self._write_policy(self._override_group(config.name), override)
        self._write_accounts(accounts)
        self._commit()

    def remove_account(self, name: str) -> bool:
        """Forget the account and its override; False when there was none. (Its secret is the caller's.)"""
        accounts = self.accounts()
        kept = [a for a in accounts if a.name != name]
        if len(kept) == len(accounts):
            return False
        self._write_accounts(kept)
        self._s.remove(self._override_group(name))
        self._commit()
        return True

    def set_account_enabled(self, name: str, enabled: bool) -> bool:
        accounts = self.accounts()
        for i, a in enumerate(accounts):
            if a.name == name:
                accounts[i] = replace(a, enabled=enabled)
                self._write_accounts(accounts)
                self._commit()
                return True
        return False
