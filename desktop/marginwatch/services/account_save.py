"""Saving or removing an account together with its secret: AccountSaver.

`save(config, secret, replaces)` returns a SaveOutcome; the settings dialog only shows it. What
happens to the secret (`secret` is what the user typed, "" when the field was left empty):

- typed in: stored in the keychain under `config.name`;
- left empty when editing: the stored secret stays where it is and is used for the key test;
- on a rename (`replaces` is the old name) left empty: the stored secret moves to the new name,
  as it was kept (keychain stays keychain, "this run only" stays in memory; into memory when the
  keychain has gone meanwhile); typed in: the new name gets the new one. Either way the old
  name's secret is then deleted, so no orphan stays in the keychain;
- a key the last key test found able to trade, withdraw or move funds (`dangerous`, the flags):
  nothing is written and the outcome is NEEDS_CONFIRMATION; `confirm_dangerous()` (the user's
  explicit second "save anyway") then goes on with that save;
- no usable keychain (none, or only a plain-file keyring): nothing is written and the outcome is
  NO_KEYCHAIN; `save_for_this_run()` (the user's "Use for this run only") then finishes that
  save with the secret in memory until the app exits.

Order: the secret goes to the new name first, the settings are written next, the old name's
secret is deleted last, so a refusal at any step leaves the account as it was. Outcomes never
show a secret in their repr; only `test_secret` holds one, for the key test that follows a save.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QCoreApplication

from marginwatch.exchange.endpoints import is_binance_host, is_loopback_host, url_host, url_is_unsafe
from marginwatch.services.secret_store import SecretStore, SecretStoreError
from marginwatch.services.settings import AccountConfig, Settings, account_problem

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


def endpoint_problem(config: AccountConfig) -> str | None:
    """Why a custom environment must not be used (the API key would cross the network unencrypted), or None."""
    if config.environment != "custom":
        return None
    for url, kind in ((config.rest_url, "rest"), (config.ws_url, "ws")):
        if url and url_is_unsafe(url, kind):
            return translate(
                "AccountSave",
                "The URL {0} is not safe for an API key: use https:// (REST) and wss:// (WebSocket); plain http:// "
                "and ws:// are allowed only for this computer (localhost, 127.0.0.1, ::1).",
            ).format(url)
    return None


def foreign_host_warning(config: AccountConfig) -> str | None:
    """A warning when a custom environment sends the API key to a host that is not Binance's, else None."""
    if config.environment != "custom":
        return None
    hosts = {url_host(u) for u in (config.rest_url, config.ws_url) if u}
    foreign = sorted(h for h in hosts if h and not is_binance_host(h) and not is_loopback_host(h))
    if not foreign:
        return None
    return translate(
        "AccountSave",
        "{0} is not a Binance host: your API key and everything MarginWatch reads go to it. "
        "Use it only if you trust whoever runs it.",
    ).format(", ".join(foreign))


class SaveStatus(StrEnum):
    SAVED = "saved"  # settings written, the secret in the keychain; detail: the keychain's name
    RUN_ONLY = "run_only"  # settings written, the secret in memory until the app exits
    INVALID = "invalid"  # detail: what is wrong, in plain words
    NAME_TAKEN = "name_taken"  # another account has config.name
    SECRET_MISSING = "secret_missing"  # a new account needs its secret
    NO_KEYCHAIN = "no_keychain"  # nothing written; detail: why; save_for_this_run() can finish it
    NEEDS_CONFIRMATION = "needs_confirmation"  # nothing written; `dangerous` lists why; confirm_dangerous() goes on
    FAILED = "failed"  # the keychain refused, nothing written; detail: its words (never the secret)


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    status: SaveStatus
    config: AccountConfig
    replaces: str | None = None
    detail: str = ""
    warning: str = ""  # saved, but something is left over (e.g. the old name's secret not deleted)
    test_secret: str | None = field(default=None, repr=False)  # test the key with this after a save
    host_warning: str = ""  # the account's custom host is not Binance's
    dangerous: tuple[str, ...] = ()  # NEEDS_CONFIRMATION: the key's permissions beyond reading

    @property
    def saved(self) -> bool:
        return self.status in (SaveStatus.SAVED, SaveStatus.RUN_ONLY)

    @property
    def renamed_from(self) -> str | None:
        """The old name, when this save renamed the account."""
        if self.saved and self.replaces is not None and self.replaces != self.config.name:
            return self.replaces
        return None


@dataclass(frozen=True, slots=True)
class RemoveOutcome:
    removed: bool  # False: there was no such account
    secret_error: str = ""  # the account is gone but the keychain kept its secret: why


@dataclass(frozen=True, slots=True)
class _Pending:
    """A save waiting for "use for this run only" (no keychain) or for "save anyway" (a dangerous key)."""

    config: AccountConfig
    replaces: str | None
    secret: str = field(repr=False)
    dangerous: tuple[str, ...] = ()


class AccountSaver:
    """Accounts in Settings and their secrets in the SecretStore, changed together."""

    def __init__(self, settings: Settings, secrets: SecretStore) -> None:
        self._settings = settings
        self._secrets = secrets
        self._pending: _Pending | None = None

    @property
    def has_pending(self) -> bool:
        """A NO_KEYCHAIN or NEEDS_CONFIRMATION save is waiting."""
        return self._pending is not None

    def discard_pending(self) -> None:
        self._pending = None

    def save(
        self, config: AccountConfig, secret: str, replaces: str | None = None, *, dangerous: tuple[str, ...] = ()
    ) -> SaveOutcome:
        """Add `config`, or change the account named `replaces`, with `secret` ("" keeps the stored one).

        `dangerous`: the permissions beyond reading a key test found for this key; such a save
        waits for `confirm_dangerous()`.
        """
        self._pending = None
        problem = account_problem(config) or endpoint_problem(config)
        if problem is not None:
            return SaveOutcome(SaveStatus.INVALID, config, replaces, detail=problem)
        if config.name != replaces and self._settings.account(config.name) is not None:
            return SaveOutcome(SaveStatus.NAME_TAKEN, config, replaces)
        if replaces is not None and self._settings.account(replaces) is None:
            detail = f"There is no account named {replaces!r} to change."
            return SaveOutcome(SaveStatus.INVALID, config, replaces, detail=detail)
        if not secret and replaces is None:
            return SaveOutcome(SaveStatus.SECRET_MISSING, config, replaces)
        if dangerous:
            self._pending = _Pending(config, replaces, secret, tuple(dangerous))
            return SaveOutcome(SaveStatus.NEEDS_CONFIRMATION, config, replaces, dangerous=tuple(dangerous))
        return self._store(config, secret, replaces)

    def confirm_dangerous(self) -> SaveOutcome | None:
        """Go on with the save refused with NEEDS_CONFIRMATION (the user said "save anyway"); None if none waits."""
        pending = self._pending
        if pending is None or not pending.dangerous:
            return None
        self._pending = None
        return self._store(pending.config, pending.secret, pending.replaces)

    def _store(self, config: AccountConfig, secret: str, replaces: str | None) -> SaveOutcome:
        if secret and not self._secrets.available():
            self._pending = _Pending(config, replaces, secret)
            return SaveOutcome(SaveStatus.NO_KEYCHAIN, config, replaces, detail=self._secrets.why_unavailable or "")
        return self._commit(config, replaces, secret, run_only=False)

    def save_for_this_run(self) -> SaveOutcome | None:
        """Finish the save refused with NO_KEYCHAIN, its secret in memory only; None if there is none."""
        pending = self._pending
        if pending is None or pending.dangerous:
            return None
        self._pending = None
        return self._commit(pending.config, pending.replaces, pending.secret, run_only=True)

    def secret_for_test(self, typed: str, name: str | None) -> str | None:
        """The secret a key test uses: the one typed in, else account `name`'s stored one.

        Raises SecretStoreError when the keychain cannot be read.
        """
        if typed or name is None:
            return typed or None
        return self._secrets.load(name)

    def remove(self, name: str) -> RemoveOutcome:
        """Forget the account (settings, threshold override), then its secret everywhere."""
        if not self._settings.remove_account(name):
            return RemoveOutcome(False)
        try:
            self._secrets.delete(name)
        except SecretStoreError as exc:
            return RemoveOutcome(True, str(exc))
        return RemoveOutcome(True)

    def _commit(self, config: AccountConfig, replaces: str | None, secret: str, *, run_only: bool) -> SaveOutcome:
        old = replaces if replaces is not None and replaces != config.name else None
        try:
            if secret and run_only:
                self._secrets.remember_for_this_run(config.name, secret)
            elif secret:
                self._secrets.save(config.name, secret)
            elif old is not None:
                self._copy_secret(old, config.name)
        except SecretStoreError as exc:
            return SaveOutcome(SaveStatus.FAILED, config, replaces, detail=str(exc))
        try:
            self._settings.save_account(config, replaces=replaces)
        except ValueError as exc:
            if old is not None:
                self._drop_copy(config.name)
            return SaveOutcome(SaveStatus.INVALID, config, replaces, detail=str(exc))
        warnings = []
        if old is not None:
            try:
                self._secrets.delete(old)
            except SecretStoreError as exc:
                warnings.append(str(exc))
        test_secret: str | None = secret
        if not secret:
            try:
                test_secret = self._secrets.load(config.name)
            except SecretStoreError as exc:
                test_secret = None
                warnings.append(str(exc))
        if self._secrets.is_run_only(config.name):
            status, detail = SaveStatus.RUN_ONLY, ""
        else:
            status, detail = SaveStatus.SAVED, self._secrets.backend_name()
        host_warning = foreign_host_warning(config) or ""
        return SaveOutcome(status, config, replaces, detail, "\n".join(warnings), test_secret or None, host_warning)

    def _copy_secret(self, old: str, new: str) -> None:
        value = self._secrets.load(old)
        if value is None:
            return
        if self._secrets.is_run_only(old) or not self._secrets.available():
            self._secrets.remember_for_this_run(new, value)
        else:
            self._secrets.save(new, value)

    def _drop_copy(self, name: str) -> None:
        try:
            self._secrets.delete(name)
        except SecretStoreError as exc:
            log.warning("could not undo the secret copied to %r: %s", name, exc)
