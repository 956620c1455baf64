"""The account editor's exchange choice: a MEXC account is saved as MEXC's, shown so in the list,
and reloads with MEXC chosen; MEXC's testnet is refused in words."""

from __future__ import annotations

from keyrings.alt.file import PlaintextKeyring
from pytestqt.qtbot import QtBot

from marginwatch.services.secret_store import SERVICE, SecretStore
from marginwatch.services.settings import AccountConfig, Settings
from marginwatch.ui.settings_dialog import SettingsDialog

SECRET = "mexcSecret-Qw8Er5Ty2Ui9Op3As6"


def test_a_mexc_account_is_saved_shown_and_reloaded_as_mexcs(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    dialog = SettingsDialog(settings, SecretStore(backend=keyring_file, allow_insecure=True))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.new_account()
    dialog.name_edit.setText("mx")
    dialog.exchange_combo.setCurrentIndex(dialog.exchange_combo.findData("mexc"))
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData("testnet"))
    dialog.api_key_edit.setText("mx0vglKey")
    dialog.secret_edit.setText(SECRET)
    assert not dialog.save_account() and "no futures testnet" in dialog.account_message.text()
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData("mainnet"))
    assert dialog.save_account()
    assert settings.accounts() == [AccountConfig("mx", "mainnet", "hmac", "mx0vglKey", exchange="mexc")]
    assert keyring_file.get_password(SERVICE, "mx") == SECRET
    assert "MEXC" in dialog.account_list.item(0).text()
    dialog.new_account()
    assert dialog.exchange_combo.currentData() == "binance"  # a new account starts as Binance's
    dialog.edit_account("mx")
    assert dialog.exchange_combo.currentData() == "mexc"
