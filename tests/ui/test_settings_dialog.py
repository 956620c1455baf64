"""Settings dialog driven by its methods and widgets, with a real QSettings ini file and a real
keyring backend (keyrings.alt's file keyring, accepted here only through allow_insecure=True)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from keyring.backends import fail
from keyring.errors import PasswordSetError
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from marginwatch.services.key_check import KeyCheckResult
from marginwatch.services.secret_store import SERVICE, SecretStore
from marginwatch.services.settings import AccountConfig, Settings
from marginwatch.ui.settings_dialog import SettingsDialog

SECRET = "dlgSecret-Vb7Nq2Lx9Rt4Mk8Wz3Hc"
SECRET_2 = "dlgSecret2-Pd6Gy1Js5Fe0Ua7Ko4"


def _dialog(qtbot: QtBot, settings: Settings, secrets: SecretStore) -> SettingsDialog:
    dialog = SettingsDialog(settings, secrets)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _fill(dialog: SettingsDialog, name: str, api_key: str, secret: str, environment: str = "mainnet") -> None:
    dialog.new_account()
    dialog.name_edit.setText(name)
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData(environment))
    dialog.api_key_edit.setText(api_key)
    dialog.secret_edit.setText(secret)


def _leak_scan(ini: Path, caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    text = ini.read_text(encoding="utf-8") if ini.exists() else ""
    for s in secrets:
        assert s not in text, "secret in QSettings"
        assert s not in caplog.text, "secret in the log"


def test_add_edit_rename_disable_remove_with_keychain(
    qtbot: QtBot, settings: Settings, ini: Path, keyring_file: PlaintextKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = SecretStore(backend=keyring_file, allow_insecure=True)
    dialog = _dialog(qtbot, settings, secrets)
    tests: list[tuple[AccountConfig, str]] = []
    saved: list[AccountConfig] = []
    removed: list[str] = []
    dialog.test_requested.connect(lambda c, s: tests.append((c, s)))
    dialog.account_saved.connect(saved.append)
    dialog.account_removed.connect(removed.append)

    _fill(dialog, "main", "KEYmain123", SECRET)
    assert dialog.save_account()
    assert settings.accounts() == [AccountConfig("main", "mainnet", "hmac", "KEYmain123")]
    assert keyring_file.get_password(SERVICE, "main") == SECRET
    assert tests == [(settings.accounts()[0], SECRET)]  # saving tests the key
    assert saved == settings.accounts() and dialog.secret_edit.text() == ""
    assert dialog.account_names() == ["main"]

    dialog.show_test_result(KeyCheckResult(True, None, ("The key works.",), ("This key can trade (futures).",)))
    assert "passed" in dialog.test_result_text() and "can trade" in dialog.test_result_text()
    assert dialog.test_button.isEnabled()

    # Edit without a new secret: the keychain copy stays and is used for the test.
    dialog.edit_account("main")
    dialog.api_key_edit.setText("KEYmain456")
    assert dialog.save_account()
    assert settings.account("main") == AccountConfig("main", "mainnet", "hmac", "KEYmain456")
    assert tests[-1][1] == SECRET
    # Rename: the secret moves with the account.
    dialog.name_edit.setText("primary")
    assert dialog.save_account()
    assert [a.name for a in settings.accounts()] == ["primary"] and removed == ["main"]
    assert keyring_file.get_password(SERVICE, "primary") == SECRET
    assert keyring_file.get_password(SERVICE, "main") is None

    # A second account, a custom environment, then disable it from the list's tick box.
    _fill(dialog, "local", "KEYlocal", SECRET_2, environment="custom")
    assert dialog.rest_url_edit.isVisibleTo(dialog)
    dialog.rest_url_edit.setText("http://127.0.0.1:9")
    dialog.ws_url_edit.setText("ws://127.0.0.1:9")
    assert dialog.save_account()
    assert settings.account("local") == AccountConfig(
        "local", "custom", "hmac", "KEYlocal", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9"
    )
    with qtbot.waitSignal(dialog.account_enabled_changed) as toggled:
        dialog.account_list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert toggled.args == ["local", False] and not settings.account("local").enabled  # type: ignore[union-attr]

    assert dialog.remove_account("primary")
    assert [a.name for a in settings.accounts()] == ["local"] and removed[-1] == "primary"
    assert keyring_file.get_password(SERVICE, "primary") is None
    assert keyring_file.get_password(SERVICE, "local") == SECRET_2
    assert "KEYlocal" in ini.read_text()  # the scan reads the file the settings live in
    _leak_scan(ini, caplog, SECRET, SECRET_2)


def test_no_keychain_says_so_and_offers_run_only(
    qtbot: QtBot, settings: Settings, ini: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = SecretStore(backend=fail.Keyring())
    dialog = _dialog(qtbot, settings, secrets)
    tests: list[tuple[AccountConfig, str]] = []
    dialog.test_requested.connect(lambda c, s: tests.append((c, s)))
    _fill(dialog, "main", "KEYmain123", SECRET)
    assert not dialog.save_account()
    assert dialog.keychain_panel.isVisible()
    assert "No system keychain was found" in dialog.keychain_label.text()
    assert settings.accounts() == [] and tests == []
    dialog.run_only_button.click()
    assert not dialog.keychain_panel.isVisible()
    assert [a.name for a in settings.accounts()] == ["main"]
    assert secrets.is_run_only("main") and secrets.load("main") == SECRET
    assert tests == [(settings.accounts()[0], SECRET)]
    assert "until MarginWatch exits" in dialog.account_message.text()
    _leak_scan(ini, caplog, SECRET)


def test_a_plain_file_keyring_is_not_a_keychain(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file))  # no allow_insecure: the app's view
    _fill(dialog, "main", "KEYmain123", SECRET)
    assert not dialog.save_account()
    assert "file-based keyring" in dialog.keychain_label.text()
    assert not Path(keyring_file.file_path).exists()


def test_invalid_input_is_refused_in_words(qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring) -> None:
    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    _fill(dialog, "", "KEY", SECRET)
    assert not dialog.save_account() and dialog.account_message.text() == "The account needs a name."
    _fill(dialog, "main", "KEY", "")
    assert not dialog.save_account() and "Enter the API secret" in dialog.account_message.text()
    assert not dialog.test_key() and "Enter the secret" in dialog.account_message.text()
    _fill(dialog, "main", "KEY", SECRET, environment="custom")
    assert not dialog.save_account() and "REST base URL" in dialog.account_message.text()
    assert settings.accounts() == []
    # Ed25519 shows the PEM field instead of the HMAC secret field.
    dialog.key_type_combo.setCurrentIndex(dialog.key_type_combo.findData("ed25519"))
    assert dialog.pem_edit.isVisibleTo(dialog) and not dialog.secret_edit.isVisibleTo(dialog)
    dialog.environment_combo.setCurrentIndex(0)
    assert not dialog.rest_url_edit.isVisibleTo(dialog)


def test_test_key_emits_and_shows_a_failure(qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring) -> None:
    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    _fill(dialog, "main", "KEY", SECRET)
    with qtbot.waitSignal(dialog.test_requested) as req:
        assert dialog.test_key()
    assert req.args[0].name == "main" and req.args[1] == SECRET
    assert not dialog.test_button.isEnabled() and "Testing" in dialog.test_result_text()
    dialog.show_test_result(KeyCheckResult(False, "wrong_secret", ("Wrong API secret: …",)))
    assert "failed" in dialog.test_result_text() and "Wrong API secret" in dialog.test_result_text()
    assert settings.accounts() == []  # testing saves nothing


def test_alerts_and_general_tabs_save(qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring) -> None:
    settings.save_account(AccountConfig("main", "mainnet", "hmac", "K"))
    settings.save_account(AccountConfig("alt", "mainnet", "hmac", "K2"))
    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    dialog.ratio_warning_spin.setValue(60)
    dialog.ratio_danger_spin.setValue(85)
    dialog.cooldown_spin.setValue(120)
    dialog.select_threshold_scope("main")
    assert not dialog.own_policy_check.isChecked() and dialog.ratio_warning_spin.value() == 60
    dialog.own_policy_check.setChecked(True)
    dialog.distance_warning_spin.setValue(20)
    dialog.distance_danger_spin.setValue(8)
    dialog.sound_check.setChecked(False)
    assert dialog.funding_check.isChecked()  # funding alerts are on by default
    dialog.funding_check.setChecked(False)
    dialog.start_minimised_check.setChecked(True)
    dialog.start_at_login_check.setChecked(True)
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh_CN"))
    with qtbot.waitSignals([dialog.start_at_login_changed, dialog.language_changed]):
        assert dialog.save()
    glob = settings.alert_policy()
    assert glob.ratio.warning == Decimal("0.6") and glob.ratio.danger == Decimal("0.85") and glob.cooldown_s == 120
    own = settings.account_policy("main")
    assert own is not None and own.distance_warning_pct == 20 and own.distance_danger_pct == 8
    assert own.ratio.warning == Decimal("0.6")  # started from the global values shown
    assert settings.account_policy("alt") is None and settings.alert_policy("alt") == glob
    assert not settings.sound_enabled and settings.start_minimised and settings.start_at_login
    assert not settings.funding_alerts
    assert settings.language == "zh_CN"
    # Turning the override off removes it; impossible thresholds are refused.
    dialog.own_policy_check.setChecked(False)
    assert dialog.save() and settings.account_policy("main") is None
    dialog.select_threshold_scope(None)
    dialog.distance_danger_spin.setValue(30)  # above the warning distance
    assert not dialog.save() and "not valid" in dialog.status_label.text()


def test_key_test_wired_like_the_container_against_the_simulator(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    """test_requested -> services.key_check on the real simulator -> show_test_result."""
    from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
    from marginwatch.exchange.sim.server import SimulatedExchange
    from marginwatch.services.key_check import check_account_key

    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    requests: list[tuple[AccountConfig, str]] = []
    dialog.test_requested.connect(lambda c, s: requests.append((c, s)))

    async def main() -> None:
        async with SimulatedExchange(autostart_engine=False) as sim:
            for secret in (SECRET, DEMO_API_SECRET):
                _fill(dialog, "sim", DEMO_API_KEY, secret, environment="custom")
                dialog.rest_url_edit.setText(sim.base_url)
                dialog.ws_url_edit.setText(sim.ws_url)
                assert dialog.test_key()
                config, given = requests.pop()
                dialog.show_test_result(await check_account_key(config, given))
                if secret == SECRET:
                    assert "failed" in dialog.test_result_text() and "Wrong API secret" in dialog.test_result_text()
                else:
                    assert "passed" in dialog.test_result_text()
                    assert "cannot trade or withdraw" in dialog.test_result_text()

    asyncio.run(main())


def test_a_keychain_refusal_is_shown_and_the_form_kept(qtbot: QtBot, settings: Settings, tmp_path: Path) -> None:
    class RefusingKeyring(PlaintextKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise PasswordSetError("the collection is locked")

    kr = RefusingKeyring()
    kr.file_path = str(tmp_path / "refusing.cfg")
    dialog = _dialog(qtbot, settings, SecretStore(backend=kr, allow_insecure=True))
    saved: list[AccountConfig] = []
    dialog.account_saved.connect(saved.append)
    _fill(dialog, "main", "KEYmain123", SECRET)
    assert not dialog.save_account()
    assert "the collection is locked" in dialog.account_message.text()
    assert not dialog.keychain_panel.isVisible() and saved == [] and settings.accounts() == []
    assert dialog.secret_edit.text() == SECRET and dialog.name_edit.text() == "main"  # nothing typed is lost


def test_an_ed25519_pem_is_masked_like_the_hmac_secret_and_saved_whole(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    body = pem.splitlines()[1]
    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    _fill(dialog, "ed", "KEYed25519", "")
    dialog.key_type_combo.setCurrentIndex(dialog.key_type_combo.findData("ed25519"))
    qtbot.keyClicks(dialog.pem_edit, "x")  # typed, as a user would, then replaced by a paste
    dialog.pem_edit.setText(pem)
    assert dialog.pem_edit.echoMode() == dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password
    assert body not in dialog.pem_edit.displayText() and "PRIVATE" not in dialog.pem_edit.displayText()
    assert dialog.save_account()
    assert keyring_file.get_password(SERVICE, "ed") == pem  # the PEM's line breaks survive the one-line field


def test_the_editor_refuses_plain_http_to_a_remote_host_and_warns_for_a_foreign_one(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    _fill(dialog, "proxy", "KEYproxy", SECRET, environment="custom")
    dialog.rest_url_edit.setText("http://fapi.example.com")
    dialog.ws_url_edit.setText("wss://fstream.example.com")
    assert not dialog.save_account() and "is not safe for an API key" in dialog.account_message.text()
    assert settings.accounts() == [] and dialog.secret_edit.text() == SECRET  # nothing typed is lost
    dialog.rest_url_edit.setText("https://fapi.example.com")
    assert dialog.save_account()
    assert "fapi.example.com, fstream.example.com is not a Binance host" in dialog.account_message.text()


def _sim_form(dialog: SettingsDialog, base_url: str, ws_url: str) -> None:
    from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET

    _fill(dialog, "sim", DEMO_API_KEY, DEMO_API_SECRET, environment="custom")
    dialog.rest_url_edit.setText(base_url)
    dialog.ws_url_edit.setText(ws_url)


def test_a_tested_trading_key_is_saved_only_after_save_anyway(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    from marginwatch.exchange.sim.auth import DEMO_API_SECRET
    from marginwatch.exchange.sim.server import SimulatedExchange
    from marginwatch.services.key_check import check_account_key

    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    requests: list[tuple[AccountConfig, str]] = []
    dialog.test_requested.connect(lambda c, s: requests.append((c, s)))

    async def main() -> None:
        async with SimulatedExchange(autostart_engine=False) as sim:
            sim.faults.set_key_permissions(enableFixApiTrade=True)
            _sim_form(dialog, sim.base_url, sim.ws_url)
            assert dialog.test_key()
            dialog.show_test_result(await check_account_key(*requests.pop()))
            assert not dialog.save_account()
            assert dialog.confirm_panel.isVisible() and "enableFixApiTrade" in dialog.confirm_label.text()
            assert settings.accounts() == [] and keyring_file.get_password(SERVICE, "sim") is None
            assert dialog.secret_edit.text() == DEMO_API_SECRET  # nothing typed is lost
            dialog.confirm_button.click()
            assert [a.name for a in settings.accounts()] == ["sim"] and not dialog.confirm_panel.isVisible()
            dialog.show_test_result(await check_account_key(*requests.pop()))  # the test after the save
            assert settings.account("sim").enabled and not dialog.confirm_panel.isVisible()  # type: ignore[union-attr]

    asyncio.run(main())


def test_a_key_found_able_to_trade_after_its_save_is_not_monitored_until_confirmed(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    from marginwatch.exchange.sim.server import SimulatedExchange
    from marginwatch.services.key_check import check_account_key

    dialog = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    requests: list[tuple[AccountConfig, str]] = []
    toggled: list[tuple[str, bool]] = []
    dialog.test_requested.connect(lambda c, s: requests.append((c, s)))
    dialog.account_enabled_changed.connect(lambda n, on: toggled.append((n, on)))

    async def main() -> None:
        async with SimulatedExchange(autostart_engine=False) as sim:
            sim.faults.set_key_permissions(enableWithdrawals=True)
            _sim_form(dialog, sim.base_url, sim.ws_url)
            assert dialog.save_account()  # untested: its permissions are not known yet
            dialog.show_test_result(await check_account_key(*requests.pop()))
            assert toggled == [("sim", False)] and not settings.account("sim").enabled  # type: ignore[union-attr]
            assert dialog.confirm_panel.isVisible() and "enableWithdrawals" in dialog.confirm_label.text()
            assert dialog.confirm_dangerous_key()
            assert toggled[-1] == ("sim", True) and settings.account("sim").enabled  # type: ignore[union-attr]

    asyncio.run(main())
