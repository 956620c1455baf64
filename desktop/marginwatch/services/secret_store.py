"""API secrets in the OS keychain (Secret Service, KWallet, macOS Keychain, Windows Credential Locker).

Nothing else ever holds a secret on disk. Only the keychains in OS_KEYCHAINS count as one: any
other backend (keyrings.alt's plain-text or encrypted files, the fail and null backends, a chain
with no OS keychain in it, a third-party backend we do not know) means "no keychain": `save`
refuses and says why; the user can still hand a secret over for this run only with
`remember_for_this_run`.
Secrets never appear in logs, reprs or exception messages: keyring's errors are re-raised as
`SecretStoreError` with any secret text removed and without the original chained.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

# keyring (with importlib_metadata, email, ...) costs memory and start-up time to import; it is imported
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


# The keychains secrets may go to, by the exact class keyring ships for each: an allow-list, so an
# unknown backend (which could write a file as plainly as keyrings.alt's does) is never trusted.
OS_KEYCHAINS = frozenset({
    "keyring.backends.SecretService.Keyring",  # freedesktop Secret Service: GNOME Keyring, KeePassXC, …
    "keyring.backends.libsecret.Keyring",  # the same service through libsecret
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
    "keyring.backends.macOS.Keyring",
    "keyring.backends.Windows.WinVaultKeyring",  # Windows Credential Locker
})


def _class_name(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


_TEST_FILE_KEYRINGS = frozenset({"keyrings.alt.file.PlaintextKeyring", "keyrings.alt.file.EncryptedKeyring"})


def _is_test_file_keyring(backend: KeyringBackend) -> bool:
    # By name along the class's bases: keyrings.alt is a test dependency, never imported by the app.
    return any(f"{c.__module__}.{c.__qualname__}" in _TEST_FILE_KEYRINGS for c in type(backend).__mro__)


def _resolve(backend: KeyringBackend) -> KeyringBackend:
    """The backend secrets go to and come from: for a chain, its first OS keychain (used directly,
    as the chain would also read plain files), else its first member; any other backend itself."""
    from keyring.backends import chainer

    if isinstance(backend, chainer.ChainerBackend):
        chain = list(backend.backends)
        return next((b for b in chain if _class_name(b) in OS_KEYCHAINS), chain[0] if chain else backend)
    return backend


def _why_not_usable(backend: KeyringBackend, allow_insecure: bool) -> str | None:
    """None when `backend` is an OS keychain (or an allowed test file keyring), else the reason."""
    from keyring.backends import null

    backend = _resolve(backend)
    if _class_name(backend) in OS_KEYCHAINS or (allow_insecure and _is_test_file_keyring(backend)):
        return None
    if isinstance(backend, null.Keyring):
        return translate(
            "SecretStore",
            "The keychain is switched off (keyring's null backend is configured), so secrets cannot be stored.",
        )
    cls = type(backend)
    if cls.__module__.startswith("keyrings.alt") or "plaintext" in cls.__name__.lower():
        return translate(
            "SecretStore",
            "Only a file-based keyring ({0}) is available, not the system keychain, "
            "so MarginWatch will not store secrets with it.",
        ).format(backend.name)
    return _no_keychain()  # the fail backend, an empty chain, or a backend that is no known keychain


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
        # Tests only: accepts keyrings.alt's file keyrings and nothing else. A constructor argument that
        # no setting or environment variable reaches, so no user can switch it on by accident.
        self._allow_insecure = allow_insecure
        self._run: dict[str, _Hidden] = {}

    def __repr__(self) -> str:
        return f"<SecretStore service={self.service!r} backend={self.backend_name()!r} run_only={len(self._run)}>"

    def for_service(self, service: str) -> SecretStore:
        """The same keychain under another service name, with its own run-only secrets."""
        return SecretStore(service, backend=self._backend, allow_insecure=self._allow_insecure)

    def _kr(self) -> KeyringBackend:
        import keyring

        return _resolve(self._backend if self._backend is not None else keyring.get_keyring())

    def backend_name(self) -> str:
        return str(self._kr().name)

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
