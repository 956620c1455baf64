"""SecretStore against real keyring backends that run headless (keyrings.alt's file keyring,
keyring's fail and null backends), which backends count as a keychain, and a scan proving a
known secret leaks nowhere."""

from __future__ import annotations

import base64
import json
import logging
import traceback
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, Windows, chainer, fail, kwallet, libsecret, macOS, null
from keyring.compat import properties
from keyring.errors import KeyringLocked, PasswordSetError
from keyrings.alt.file import EncryptedKeyring, PlaintextKeyring

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal
from marginwatch.services.secret_store import SecretStore, SecretStoreError

SECRET = "s3cr3t-Qx7pLm9wZr4TvK2nB8yD"
API_KEY = "apikey-Hn5Gf3Jk8Lp2Qw6Er9Ty"


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """keyrings.alt's plaintext file keyring in tmp_path, set as keyring's backend (tests only)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(previous)


@pytest.fixture
def set_backend():
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def test_save_load_delete_round_trip(file_keyring: PlaintextKeyring) -> None:
    store = SecretStore(allow_insecure=True)
    assert store.available() and store.why_unavailable is None
    assert "PlaintextKeyring" in store.backend_name()
    assert store.load("main") is None
    store.save("main", SECRET)
    store.save("other", "another-secret-value")
    assert store.load("main") == SECRET
    # Really in the backend's file, under our service: a second backend instance reads it.
    reader = PlaintextKeyring()
    reader.file_path = file_keyring.file_path
    assert reader.get_password("MarginWatch", "main") == SECRET
    store.save("main", "rotated-secret-value")
    assert store.load("main") == "rotated-secret-value"
    store.delete("main")
    store.delete("main")  # already gone: not an error
    assert store.load("main") is None
    assert store.load("other") == "another-secret-value"


def test_plain_file_keyring_is_refused_outside_tests(file_keyring: PlaintextKeyring) -> None:
    store = SecretStore()
    assert not store.available()
    assert store.why_unavailable and "file-based keyring" in store.why_unavailable
    with pytest.raises(SecretStoreError) as err:
        store.save("main", SECRET)
    assert SECRET not in str(err.value) and "this run only" in str(err.value)
    assert not Path(file_keyring.file_path).exists() or SECRET not in Path(file_keyring.file_path).read_text()
    store.remember_for_this_run("main", SECRET)
    assert store.is_run_only("main") and store.load("main") == SECRET
    assert SECRET not in repr(store) and SECRET not in repr(vars(store) if hasattr(store, "__dict__") else store)
    store.delete("main")
    assert store.load("main") is None


@pytest.mark.parametrize(
    ("backend", "words"),
    [(fail.Keyring(), "No system keychain was found"), (null.Keyring(), "switched off")],
)
def test_no_keychain_is_said_plainly(set_backend, backend, words: str) -> None:
    set_backend(backend)
    store = SecretStore()
    assert not store.available()
    assert words in (store.why_unavailable or "")
    assert store.load("main") is None
    store.delete("main")  # nothing to do, no error
    with pytest.raises(SecretStoreError, match="Not saved"):
        store.save("main", SECRET)
    store.remember_for_this_run("main", SECRET)  # the user pastes the key for this run
    assert store.load("main") == SECRET


class _ThirdPartyKeyring(KeyringBackend):
    """A backend MarginWatch does not know: for all it can tell, it writes secrets as plainly as a file."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


def test_a_backend_that_is_no_known_os_keychain_is_not_trusted_with_a_secret(set_backend) -> None:
    backend = _ThirdPartyKeyring()
    set_backend(backend)
    for store in (SecretStore(), SecretStore(allow_insecure=True)):  # the tests' opt-in covers keyrings.alt only
        assert not store.available()
        assert "No system keychain was found" in (store.why_unavailable or "")
        with pytest.raises(SecretStoreError, match="Not saved"):
            store.save("main", SECRET)
        assert store.load("main") is None
    assert backend.stored == {}
    store = SecretStore()
    store.remember_for_this_run("main", SECRET)  # what the app offers when there is no keychain
    assert store.load("main") == SECRET and backend.stored == {}


@pytest.mark.parametrize("backend", [EncryptedKeyring(), PlaintextKeyring(), fail.Keyring(), null.Keyring()])
def test_file_fail_and_null_backends_are_no_keychain(set_backend, backend) -> None:
    set_backend(backend)
    assert not SecretStore().available()


def _chain(*members: KeyringBackend) -> chainer.ChainerBackend:
    """keyring's chainer over exactly `members` (it otherwise chains whatever this machine offers)."""

    class Chain(chainer.ChainerBackend):
        @properties.classproperty
        def backends(cls) -> list[KeyringBackend]:
            return list(members)

    return Chain()


def test_a_chain_without_an_os_keychain_is_no_keychain() -> None:
    assert not SecretStore(backend=_chain(PlaintextKeyring(), _ThirdPartyKeyring())).available()
    assert not SecretStore(backend=_chain()).available()


def test_a_chain_with_an_os_keychain_uses_that_keychain_alone() -> None:
    store = SecretStore(backend=_chain(_ThirdPartyKeyring(), SecretService.Keyring(), PlaintextKeyring()))
    assert store.available() and store.backend_name() == SecretService.Keyring().name


@pytest.mark.parametrize(
    "cls",
    [
        SecretService.Keyring,
        libsecret.Keyring,
        kwallet.DBusKeyring,
        kwallet.DBusKeyringKWallet4,
        macOS.Keyring,
        Windows.WinVaultKeyring,
    ],
)
def test_the_os_keychains_are_accepted(cls: type[KeyringBackend]) -> None:
    store = SecretStore(backend=cls())  # not called: only which backend it is matters here
    assert store.available() and store.why_unavailable is None


class _RefusingKeyring(PlaintextKeyring):
    """A real file keyring that misbehaves: its errors quote the password (some backends do)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"refused to store {password!r} for {username}")

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("collection is locked")


def test_backend_errors_become_secret_free_secret_store_errors(set_backend, tmp_path: Path) -> None:
    kr = _RefusingKeyring()
    kr.file_path = str(tmp_path / "kr.cfg")
    set_backend(kr)
    store = SecretStore(allow_insecure=True)
    with pytest.raises(SecretStoreError) as err:
        store.save("main", SECRET)
    assert "could not save" in str(err.value) and "'main'" in str(err.value)
    assert SECRET not in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert SECRET not in "".join(traceback.format_exception(err.value))
    with pytest.raises(SecretStoreError, match="locked"):
        store.load("main")


def test_bad_input_is_a_clear_error(file_keyring: PlaintextKeyring) -> None:
    store = SecretStore(allow_insecure=True)
    with pytest.raises(SecretStoreError, match="account name"):
        store.save("  ", SECRET)
    with pytest.raises(SecretStoreError, match="No secret"):
        store.save("main", "")


def test_known_secret_appears_in_no_journal_byte_log_line_or_output(
    file_keyring: PlaintextKeyring, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = SecretStore(allow_insecure=True)
    store.save("main", SECRET)
    assert store.load("main") == SECRET
    logging.getLogger("test").info("store %r", store)

    data_dir = tmp_path / "data" / "MarginWatch"
    journal = Journal.open(data_dir / "journal.sqlite3")
    journal.add_redaction(API_KEY)
    for i in range(50):
        frame = {"e": "MARGIN_CALL", "E": i, "p": [{"s": "BTCUSDT"}], "signature": SECRET, "apiKey": API_KEY}
        raw = json.dumps(frame)
        parsed = {"event_time": i, "positions": [{"symbol": "BTCUSDT"}], "auth": {"secret": SECRET}}
        journal.record_margin_call("main", raw, parsed, i, f"mc:{i}")
        alert = Alert(
            AlertKind.MARGIN_CALL,
            "main",
            RiskTier.DANGER,
            f"Margin call {i}",
            f"request /fapi/v3/account?timestamp={i}&signature={SECRET} failed for key {API_KEY}",
            f"a:{i}",
        )
        alert_id = journal.record_alert(alert)
        assert alert_id is not None
        journal.mark_delivered(alert_id, "tray")
        state = StreamState.RECONNECTING if i % 2 else StreamState.LIVE
        journal.record_connection("main", StreamHealth("user", state, f"secret: {SECRET}" if i % 2 else None))
    logging.getLogger("test").info("journal %r", journal)
    exported = data_dir / "export.csv"
    assert journal.export_csv(exported) > 100
    journal.close()

    secret_bytes = [SECRET.encode(), API_KEY.encode(), SECRET.encode("utf-16-le"), base64.b64encode(SECRET.encode())]
    scanned = [p for p in data_dir.iterdir() if p.is_file()]
    assert any(p.name == "journal.sqlite3" for p in scanned)
    for p in scanned:
        content = p.read_bytes()
        for s in secret_bytes:
            assert s not in content, f"secret found in {p.name}"
    out, err = capfd.readouterr()
    assert caplog.records, "expected log output to scan"
    for text in (caplog.text, out, err):
        assert SECRET not in text and API_KEY not in text
    # The scan is meaningful: the secret really went through the keychain stand-in.
    assert base64.b64encode(SECRET.encode()).decode() in Path(file_keyring.file_path).read_text()
