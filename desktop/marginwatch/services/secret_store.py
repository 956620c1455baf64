"""API secrets in the OS keychain (Secret Service, macOS Keychain, Windows Credential Locker).

Nothing else ever holds a secret on disk. When no real keychain is available (no backend, the
null backend, or a plain file keyring such as keyrings.alt's), `save` refuses and says why; the
user can still hand a secret over for this run only with `remember_for_this_run`.
Secrets never appear in logs, reprs or exception messages: keyring's errors are re-raised as
`SecretStoreError` with any secret text removed and without the original chained.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

# keyring (with importlib_metadata, email, ...) costs ~12 MB and ~60 ms to import; it is imported
# on first use, which demo mode and a start without configured accounts never reach.

log = logging.getLogger(__name__)

SERVICE = "MarginWatch"


class SecretStoreError(Exception):
    """A keychain operation failed; the message names the account and backend, never the secret."""


class _Hidden:
    """Holds a run-only secret so that no repr, log or debugger listing shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<secret>"


translate = QCoreApplication.translate  # lupdate finds translate("SecretStore", "...")


def _no_keychain() -> str:
    return translate(
        "SecretStore",
        "No system keychain was found (on Linux this needs a Secret Service such as GNOME Keyring "
        "or KWallet running in your session), so secrets cannot be stored.",
    )


def _why_not_usable(backend: KeyringBackend, allow_insecure: bool) -> str | None:
    """None when `backend` is a real keychain (or an allowed test file keyring), else the reason."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, chainer.ChainerBackend):
        chain = list(backend.backends)
        # set_password goes to the first backend in the chain, so that one decides.
        return _why_not_usable(chain[0], allow_insecure) if chain else _no_keychain()
    if isinstance(backend, fail.Keyring):
        return _no_keychain()
    if isinstance(backend, null.Keyring):
        return translate(
            "SecretStore",
            "The keychain is switched off (keyring's null backend is configured), so secrets cannot be stored.",
        )
    cls = type(backend)
    is_file = cls.__module__.startswith("keyrings.alt.file") or "plaintext" in cls.__name__.lower()
    if is_file and not allow_insecure:
        return translate(
            "SecretStore",
            "Only a file-based keyring ({0}) is available, not the system keychain, "
            "so MarginWatch will not store secrets with it.",
        ).format(backend.name)
    return None


def _clean(exc: BaseException, secret: str | None) -> str:
    text = str(exc) or type(exc).__name__
    if secret:
        text = text.replace(secret, "***")
    return text[:200]


class SecretStore:
    """Account secrets keyed by account name under one keychain service."""

    def __init__(
        self, service: str = SERVICE, *, backend: KeyringBackend | None = None, allow_insecure: bool = False
    ) -> None:
        self.service = service
        self._backend = backend  # None: whatever keyring is configured at the time of each call
        self._allow_insecure = allow_insecure  # tests only: accept keyrings.alt's file backends
        self._run: dict[str, _Hidden] = {}

    def __repr__(self) -> str:
        return f"<SecretStore service={self.service!r} backend={self.backend_name()!r} run_only={len(self._run)}>"

    def _kr(self) -> KeyringBackend:
        import keyring

        return self._backend if self._backend is not None else keyring.get_keyring()

    def backend_name(self) -> str:
        from keyring.backends import chainer

        kr = self._kr()
        if isinstance(kr, chainer.ChainerBackend) and kr.backends:
            return str(kr.backends[0].name)
        return str(kr.name)

    @property
    def why_unavailable(self) -> str | None:
        """Plain words for the settings dialog, or None when the keychain can be used."""
        return _why_not_usable(self._kr(), self._allow_insecure)

    def available(self) -> bool:
        return self.why_unavailable is None

    def save(self, account: str, secret: str) -> None:
        """Store in the keychain; raises SecretStoreError when there is none or it refuses."""
        _check_account(account)
        if not secret:
            raise SecretStoreError(f"No secret given for account {account!r}.")
        why = self.why_unavailable
        if why is not None:
            raise SecretStoreError(
                translate("SecretStore", "Not saved: {0} You can still use the key for this run only.").format(why)
            )
        try:
            self._kr().set_password(self.service, account, secret)
        except Exception as exc:
            raise SecretStoreError(
                translate("SecretStore", "The keychain ({0}) could not save the secret for account {1}: ").format(
                    self.backend_name(), repr(account)
                )
                + f"{_clean(exc, secret)}"
            ) from None
        self._run.pop(account, None)  # the keychain copy is now the one to use
        log.info("secret for account %r saved in %s", account, self.backend_name())

    def load(self, account: str) -> str | None:
        """This run's secret if one was given, else the keychain's; None when there is none."""
        _check_account(account)
        if account in self._run:
            return self._run[account].value
        if not self.available():
            return None
        try:
            value = self._kr().get_password(self.service, account)
        except Exception as exc:
            raise SecretStoreError(
                translate("SecretStore", "The keychain ({0}) could not read the secret for account {1}: ").format(
                    self.backend_name(), repr(account)
                )
                + f"{_clean(exc, None)}"
            ) from None
        return value

    def delete(self, account: str) -> None:
        """Forget the account's secret everywhere; deleting an absent secret is not an error."""
        _check_account(account)
        self._run.pop(account, None)
        if not self.available():
            return
        from keyring.errors import PasswordDeleteError

        try:
            self._kr().delete_password(self.service, account)
        except PasswordDeleteError:
            pass  # nothing stored: already the state we want
        except Exception as exc:
            raise SecretStoreError(
                translate("SecretStore", "The keychain ({0}) could not delete the secret for account {1}: ").format(
                    self.backend_name(), repr(account)
                )
                + f"{_clean(exc, None)}"
            ) from None
        log.info("secret for account %r deleted from %s", account, self.backend_name())

    def remember_for_this_run(self, account: str, secret: str) -> None:
        """Keep a secret in memory only, until the app exits (used when there is no keychain)."""
        _check_account(account)
        if not secret:
            raise SecretStoreError(f"No secret given for account {account!r}.")
        self._run[account] = _Hidden(secret)

    def is_run_only(self, account: str) -> bool:
        return account in self._run


def _check_account(account: str) -> None:
    if not isinstance(account, str) or not account.strip():
        raise SecretStoreError("An account name is needed to store its secret.")
