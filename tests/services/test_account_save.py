"""AccountSaver without any widget: real settings in an ini file, real keyring backends (keyrings.alt's
file keyring, accepted only through allow_insecure=True; keyring's fail backend as "no keychain")."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import fail
from keyring.errors import PasswordSetError
from keyrings.alt.file import PlaintextKeyring

from marginwatch.services.account_save import AccountSaver, SaveStatus
from marginwatch.services.secret_store import SERVICE, SecretStore
from marginwatch.services.settings import AccountConfig

SECRET = "saveSecret-Kq3Vw8Zr1Tn6Mb4Yx9"
SECRET_2 = "saveSecret2-Hd5Lp0Gs7Fc2Ja8"
MAIN = AccountConfig("main", "mainnet", "hmac", "KEYmain123")


class RefusingKeyring(PlaintextKeyring):
    """A keychain that is there but refuses to store (as a locked one does)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the collection is locked")


@pytest.fixture
def secrets(keyring_file: PlaintextKeyring) -> SecretStore:
    return SecretStore(backend=keyring_file, allow_insecure=True)


def renamed(config: AccountConfig, name: str) -> AccountConfig:
    return AccountConfig(name, config.environment, config.key_type, config.api_key, config.enabled)


def test_a_new_account_goes_to_settings_and_its_secret_to_the_keychain(settings, secrets, keyring_file) -> None:
    outcome = AccountSaver(settings, secrets).save(MAIN, SECRET)
    assert outcome.status is SaveStatus.SAVED and outcome.saved and outcome.renamed_from is None
    assert "PlaintextKeyring" in outcome.detail
    assert settings.accounts() == [MAIN]
    assert keyring_file.get_password(SERVICE, "main") == SECRET
    assert outcome.test_secret == SECRET


def test_an_edit_without_a_new_secret_keeps_the_stored_one_and_tests_with_it(settings, secrets, keyring_file) -> None:
    saver = AccountSaver(settings, secrets)
    saver.save(MAIN, SECRET)
    changed = AccountConfig("main", "testnet", "hmac", "KEYmain456")
    outcome = saver.save(changed, "", replaces="main")
    assert outcome.status is SaveStatus.SAVED and settings.accounts() == [changed]
    assert keyring_file.get_password(SERVICE, "main") == SECRET and outcome.test_secret == SECRET


def test_a_rename_without_a_new_secret_moves_the_stored_one(settings, secrets, keyring_file) -> None:
    saver = AccountSaver(settings, secrets)
    saver.save(MAIN, SECRET)
    outcome = saver.save(renamed(MAIN, "primary"), "", replaces="main")
    assert outcome.status is SaveStatus.SAVED and outcome.renamed_from == "main"
    assert [a.name for a in settings.accounts()] == ["primary"]
    assert keyring_file.get_password(SERVICE, "primary") == SECRET
    assert keyring_file.get_password(SERVICE, "main") is None
    assert outcome.test_secret == SECRET


def test_a_rename_with_a_new_secret_leaves_no_secret_under_the_old_name(settings, secrets, keyring_file) -> None:
    saver = AccountSaver(settings, secrets)
    saver.save(MAIN, SECRET)
    outcome = saver.save(renamed(MAIN, "primary"), SECRET_2, replaces="main")
    assert outcome.renamed_from == "main" and outcome.test_secret == SECRET_2
    assert keyring_file.get_password(SERVICE, "primary") == SECRET_2
    assert keyring_file.get_password(SERVICE, "main") is None


def test_without_a_keychain_nothing_is_written_until_the_user_takes_it_for_this_run(settings) -> None:
    secrets = SecretStore(backend=fail.Keyring())
    saver = AccountSaver(settings, secrets)
    outcome = saver.save(MAIN, SECRET)
    assert outcome.status is SaveStatus.NO_KEYCHAIN and not outcome.saved
    assert "No system keychain was found" in outcome.detail and outcome.test_secret is None
    assert settings.accounts() == [] and secrets.load("main") is None and saver.has_pending
    done = saver.save_for_this_run()
    assert done is not None and done.status is SaveStatus.RUN_ONLY and done.test_secret == SECRET
    assert settings.accounts() == [MAIN] and secrets.is_run_only("main") and secrets.load("main") == SECRET
    assert saver.save_for_this_run() is None  # that consent was used up


def test_another_save_or_form_drops_a_waiting_run_only_save(settings) -> None:
    saver = AccountSaver(settings, SecretStore(backend=fail.Keyring()))
    saver.save(MAIN, SECRET)
    saver.discard_pending()
    assert saver.save_for_this_run() is None and settings.accounts() == []
    saver.save(MAIN, SECRET)
    assert saver.save(AccountConfig("", "mainnet", "hmac", "K"), SECRET).status is SaveStatus.INVALID
    assert saver.save_for_this_run() is None and settings.accounts() == []


def test_a_run_only_secret_stays_in_memory_when_its_account_is_renamed(settings) -> None:
    secrets = SecretStore(backend=fail.Keyring())
    saver = AccountSaver(settings, secrets)
    saver.save(MAIN, SECRET)
    saver.save_for_this_run()
    outcome = saver.save(renamed(MAIN, "primary"), "", replaces="main")
    assert outcome.status is SaveStatus.RUN_ONLY and outcome.renamed_from == "main"
    assert secrets.is_run_only("primary") and secrets.load("primary") == SECRET
    assert not secrets.is_run_only("main") and secrets.load("main") is None


def test_refused_input_writes_nothing_and_says_why(settings, secrets, keyring_file) -> None:
    saver = AccountSaver(settings, secrets)
    saver.save(MAIN, SECRET)
    before = settings.accounts()
    cases = [
        (AccountConfig("", "mainnet", "hmac", "K"), SECRET_2, None, SaveStatus.INVALID, "needs a name"),
        (AccountConfig("alt", "custom", "hmac", "K"), SECRET_2, None, SaveStatus.INVALID, "REST base URL"),
        (renamed(MAIN, "main"), SECRET_2, None, SaveStatus.NAME_TAKEN, ""),
        (AccountConfig("alt", "mainnet", "hmac", "K"), "", None, SaveStatus.SECRET_MISSING, ""),
        (AccountConfig("alt", "mainnet", "hmac", "K"), SECRET_2, "gone", SaveStatus.INVALID, "no account named"),
    ]
    for config, secret, replaces, status, words in cases:
        outcome = saver.save(config, secret, replaces)
        assert (outcome.status, outcome.saved, outcome.test_secret) == (status, False, None), config
        assert words in outcome.detail
    assert settings.accounts() == before
    assert keyring_file.get_password(SERVICE, "main") == SECRET
    assert keyring_file.get_password(SERVICE, "alt") is None


def test_a_keychain_that_refuses_leaves_the_account_as_it_was(settings, tmp_path: Path) -> None:
    kr = RefusingKeyring()
    kr.file_path = str(tmp_path / "refusing.cfg")
    saver = AccountSaver(settings, SecretStore(backend=kr, allow_insecure=True))
    settings.save_account(MAIN)
    outcome = saver.save(renamed(MAIN, "primary"), SECRET, replaces="main")
    assert outcome.status is SaveStatus.FAILED and "could not save" in outcome.detail
    assert SECRET not in outcome.detail
    assert settings.accounts() == [MAIN]


def test_no_outcome_shows_the_secret(settings, secrets) -> None:
    saver = AccountSaver(settings, SecretStore(backend=fail.Keyring()))
    waiting = saver.save(MAIN, SECRET)
    done = saver.save_for_this_run()
    saved = AccountSaver(settings, secrets).save(renamed(MAIN, "alt"), SECRET_2)
    for shown in (repr(waiting), repr(done), repr(saved), repr(saver), str(saved)):
        assert SECRET not in shown and SECRET_2 not in shown


def test_removing_forgets_the_account_and_its_secret(settings, secrets, keyring_file) -> None:
    saver = AccountSaver(settings, secrets)
    saver.save(MAIN, SECRET)
    outcome = saver.remove("main")
    assert outcome.removed and outcome.secret_error == ""
    assert settings.accounts() == [] and keyring_file.get_password(SERVICE, "main") is None
    assert not saver.remove("main").removed


@pytest.mark.parametrize(
    ("rest_url", "ws_url"),
    [("http://fapi.example.com", "wss://fstream.example.com"), ("https://fapi.example.com", "ws://10.0.0.5:9000")],
)
def test_a_custom_host_over_plain_http_or_ws_is_refused_unless_loopback(
    settings, secrets, keyring_file, rest_url: str, ws_url: str
) -> None:
    config = AccountConfig("proxy", "custom", "hmac", "KEYproxy", rest_url=rest_url, ws_url=ws_url)
    outcome = AccountSaver(settings, secrets).save(config, SECRET)
    assert outcome.status is SaveStatus.INVALID and "https://" in outcome.detail and "wss://" in outcome.detail
    assert settings.accounts() == [] and keyring_file.get_password(SERVICE, "proxy") is None
    for host in ("127.0.0.1:9", "127.3.2.1:9", "localhost:9", "[::1]:9"):
        local = AccountConfig(f"local {host}", "custom", "hmac", "KEY", rest_url=f"http://{host}", ws_url=f"ws://{host}")
        saved = AccountSaver(settings, secrets).save(local, SECRET)
        assert saved.status is SaveStatus.SAVED and saved.host_warning == ""


def test_a_custom_host_that_is_not_binance_is_saved_with_a_warning_naming_it(settings, secrets) -> None:
    proxy = AccountConfig("proxy", "custom", "hmac", "KEY", rest_url="https://fapi.example.com",
                          ws_url="wss://fstream.binance.com")
    outcome = AccountSaver(settings, secrets).save(proxy, SECRET)
    assert outcome.saved and "fapi.example.com is not a Binance host" in outcome.host_warning
    binance = AccountConfig("b", "custom", "hmac", "KEY", rest_url="https://fapi.binance.com",
                            ws_url="wss://fstream.binancefuture.com")
    assert AccountSaver(settings, secrets).save(binance, SECRET).host_warning == ""
    assert AccountSaver(settings, secrets).save(MAIN, SECRET).host_warning == ""
    # A look-alike is not Binance: only the domain itself and its subdomains are.
    fake = AccountConfig("fake", "custom", "hmac", "KEY", rest_url="https://fapi.binance.com.example.net",
                         ws_url="wss://evilbinance.com")
    warning = AccountSaver(settings, secrets).save(fake, SECRET).host_warning
    assert "evilbinance.com" in warning and "fapi.binance.com.example.net" in warning


def test_a_key_that_can_trade_or_withdraw_is_written_only_after_the_second_confirmation(
    settings, secrets, keyring_file
) -> None:
    saver = AccountSaver(settings, secrets)
    outcome = saver.save(MAIN, SECRET, dangerous=("enableFutures", "enableWithdrawals"))
    assert outcome.status is SaveStatus.NEEDS_CONFIRMATION and not outcome.saved
    assert outcome.dangerous == ("enableFutures", "enableWithdrawals") and SECRET not in repr(outcome)
    assert settings.accounts() == [] and keyring_file.get_password(SERVICE, "main") is None
    assert saver.has_pending and saver.save_for_this_run() is None  # not a keychain question
    confirmed = saver.confirm_dangerous()
    assert confirmed is not None and confirmed.status is SaveStatus.SAVED
    assert settings.accounts() == [MAIN] and keyring_file.get_password(SERVICE, "main") == SECRET
    assert saver.confirm_dangerous() is None  # confirmed once, for that save only
