"""The Accounts tab of the settings dialog: the list of accounts (ticked = monitored) and the form
for one account (name, environment, custom URLs, key type, API key, secret) with its key test.

No network code here, and no account/secret bookkeeping: services.account_save.AccountSaver
saves, renames and removes an account with its secret (the keychain, or with the user's consent
memory for this run) and this tab shows the outcome. "Test key" (and every account save) emits
`test_requested(config, secret)`; the container answers through `show_test_result(result)`.
Changes apply at once. Strings keep the "SettingsDialog" translation context they had before this
tab had a module of its own, so the existing translations still match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from marginwatch.services.account_save import AccountSaver, SaveOutcome, SaveStatus
from marginwatch.services.secret_store import SecretStore, SecretStoreError
from marginwatch.services.settings import AccountConfig, Settings, account_problem
from marginwatch.ui.message_styles import ERROR, OK, WARN

if TYPE_CHECKING:
    from collections.abc import Sequence

translate = QCoreApplication.translate


class TestResult(Protocol):
    """What `show_test_result` reads (services.key_check.KeyCheckResult has these)."""

    @property
    def ok(self) -> bool: ...
    @property
    def messages(self) -> Sequence[str]: ...
    @property
    def warnings(self) -> Sequence[str]: ...
    @property
    def dangerous(self) -> Sequence[str]: ...


def _key_of(config: AccountConfig) -> tuple[str, ...]:
    """What identifies a key and where it is used, whatever the account is called."""
    return (config.exchange, config.environment, config.rest_url, config.ws_url, config.key_type, config.api_key)


class AccountEditor(QWidget):
    """The accounts page; SettingsDialog relays its first four signals as its own."""

    test_requested = Signal(object, str)  # AccountConfig, secret: run the key check, then show_test_result
    account_saved = Signal(object)  # AccountConfig, added or changed (a rename first emits account_removed)
    account_removed = Signal(str)
    account_enabled_changed = Signal(str, bool)
    # For the Alerts tab, which keeps per-account thresholds and lists the accounts:
    account_renamed = Signal(str, str)  # old name, new name
    account_forgotten = Signal(str)  # removed for good (not renamed)
    accounts_changed = Signal()  # the list of accounts may differ

    def __init__(self, settings: Settings, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._saver = AccountSaver(settings, secrets)
        self._editing: str | None = None  # name of the account in the editor; None for a new one
        self._testing: str | None = None  # account name whose key test is running
        self._tested: tuple[AccountConfig, str] | None = None  # what the running key test was asked about
        self._test_after_save = False  # the running test follows a save that knew no permissions
        # The permissions beyond reading the last key test found, for which key and secret.
        self._found: tuple[tuple[str, ...], str, tuple[str, ...]] | None = None
        self._confirmed: tuple[tuple[str, ...], str] | None = None  # the key the user said "save anyway" to
        self._paused: str | None = None  # account saved with a key found dangerous afterwards, not monitored
        self._setup_ui()

    def reload(self) -> None:
        """Show the accounts the settings hold now, keeping the one in the editor if it still exists."""
        self._reload_accounts(select=self._editing)
        if self._editing is None or self._settings.account(self._editing) is None:
            self.new_account()

    # -- building the page ---------------------------------------------------------------------
    def _setup_ui(self) -> None:
        layout = QHBoxLayout(self)
        layout.addLayout(self._setup_account_list(), 2)
        right = QVBoxLayout()
        right.addLayout(self._setup_form())
        right.addWidget(self._setup_hint())
        right.addLayout(self._setup_buttons())
        right.addWidget(self._setup_keychain_panel())
        right.addWidget(self._setup_confirm_panel())
        self._setup_messages()
        right.addWidget(self.account_message)
        right.addWidget(self.test_result_label)
        right.addStretch(1)
        layout.addLayout(right, 3)

    def _setup_account_list(self) -> QVBoxLayout:
        self.account_list = QListWidget()
        self.account_list.currentItemChanged.connect(self._on_current_changed)
        self.account_list.itemChanged.connect(self._on_item_changed)
        self.add_button = QPushButton(translate("SettingsDialog", "Add"))
        self.add_button.clicked.connect(self.new_account)
        self.remove_button = QPushButton(translate("SettingsDialog", "Remove…"))
        self.remove_button.clicked.connect(self._confirm_remove)
        left = QVBoxLayout()
        left.addWidget(self.account_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        return left

    def _setup_form(self) -> QFormLayout:
        self.name_edit = QLineEdit()
        self.exchange_combo = QComboBox()
        self.exchange_combo.addItem(translate("SettingsDialog", "Binance USDⓈ-M futures"), "binance")
        self.exchange_combo.addItem(translate("SettingsDialog", "MEXC futures (read-only API)"), "mexc")
        self.environment_combo = QComboBox()
        for label, value in (
            (translate("SettingsDialog", "Mainnet"), "mainnet"),
            (translate("SettingsDialog", "Testnet"), "testnet"),
            (translate("SettingsDialog", "Custom URLs"), "custom"),
        ):
            self.environment_combo.addItem(label, value)
        self.environment_combo.currentIndexChanged.connect(self._sync_custom_fields)
        # One API key serves both futures; COIN-M is shown per margin coin ("Main · COIN-M BTC").
        self.markets_combo = QComboBox()
        for label, value in (
            (translate("SettingsDialog", "USDⓈ-M"), "usdm"),
            (translate("SettingsDialog", "COIN-M"), "coinm"),
            (translate("SettingsDialog", "USDⓈ-M and COIN-M"), "both"),
        ):
            self.markets_combo.addItem(label, value)
        self.rest_url_edit = QLineEdit()
        self.rest_url_edit.setPlaceholderText("https://fapi.example.com")
        self.ws_url_edit = QLineEdit()
        self.ws_url_edit.setPlaceholderText("wss://fstream.example.com")
        self.key_type_combo = QComboBox()
        self.key_type_combo.addItem(translate("SettingsDialog", "HMAC (secret key)"), "hmac")
        self.key_type_combo.addItem(translate("SettingsDialog", "Ed25519 (private key, PEM)"), "ed25519")
        self.key_type_combo.currentIndexChanged.connect(self._sync_secret_field)
        self.api_key_edit = QLineEdit()
        self._setup_secret_fields()

        self.form = QFormLayout()
        self.form.addRow(translate("SettingsDialog", "Name"), self.name_edit)
        self.form.addRow(translate("SettingsDialog", "Exchange"), self.exchange_combo)
        self.form.addRow(translate("SettingsDialog", "Environment"), self.environment_combo)
        self.form.addRow(translate("SettingsDialog", "Futures"), self.markets_combo)
        self.form.addRow(translate("SettingsDialog", "REST base URL"), self.rest_url_edit)
        self.form.addRow(translate("SettingsDialog", "WebSocket base URL"), self.ws_url_edit)
        self.form.addRow(translate("SettingsDialog", "Key type"), self.key_type_combo)
        self.form.addRow(translate("SettingsDialog", "API key"), self.api_key_edit)
        self.form.addRow(translate("SettingsDialog", "Secret"), self._secret_stack)
        return self.form

    def _setup_secret_fields(self) -> None:
        """Password fields for an HMAC secret and an Ed25519 PEM key; one shows at a time.

        A pasted PEM keeps its line breaks in a QLineEdit, so the private key is masked like the
        HMAC secret rather than shown in a text box.
        """
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pem_edit = QLineEdit()
        self.pem_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pem_edit.setPlaceholderText("-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----")
        self._secret_stack = QStackedWidget()
        self._secret_stack.addWidget(self.secret_edit)
        self._secret_stack.addWidget(self.pem_edit)
        self._sync_secret_field()

    def _setup_hint(self) -> QLabel:
        hint = QLabel(
            translate(
                "SettingsDialog",
                "Use a read-only key (only 'Enable Reading') restricted to your IP address. "
                "The secret is kept in the system keychain, nowhere else.",
            )
        )
        hint.setWordWrap(True)
        hint.setEnabled(False)
        return hint

    def _setup_buttons(self) -> QHBoxLayout:
        self.test_button = QPushButton(translate("SettingsDialog", "Test key"))
        self.test_button.clicked.connect(self.test_key)
        self.save_account_button = QPushButton(translate("SettingsDialog", "Save account"))
        self.save_account_button.clicked.connect(self.save_account)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_account_button)
        return buttons

    def _setup_keychain_panel(self) -> QFrame:
        """Shown when a save finds no keychain: why, and the offer to use the key for this run only."""
        self.keychain_panel = QFrame()
        self.keychain_panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.keychain_label = QLabel()
        self.keychain_label.setWordWrap(True)
        self.run_only_button = QPushButton(translate("SettingsDialog", "Use for this run only"))
        self.run_only_button.clicked.connect(self.use_for_this_run_only)
        panel = QVBoxLayout(self.keychain_panel)
        panel.addWidget(self.keychain_label)
        panel.addWidget(self.run_only_button, 0, Qt.AlignmentFlag.AlignRight)
        self.keychain_panel.hide()
        return self.keychain_panel

    def _setup_confirm_panel(self) -> QFrame:
        """Shown when a key can trade, withdraw or move funds: the second, explicit confirmation."""
        self.confirm_panel = QFrame()
        self.confirm_panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        self.confirm_label.setStyleSheet(ERROR)
        self.confirm_button = QPushButton()
        self.confirm_button.clicked.connect(self.confirm_dangerous_key)
        panel = QVBoxLayout(self.confirm_panel)
        panel.addWidget(self.confirm_label)
        panel.addWidget(self.confirm_button, 0, Qt.AlignmentFlag.AlignRight)
        self.confirm_panel.hide()
        return self.confirm_panel

    def _setup_messages(self) -> None:
        self.account_message = QLabel()
        self.account_message.setWordWrap(True)
        self.account_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_result_label = QLabel()
        self.test_result_label.setWordWrap(True)
        self.test_result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    # -- showing accounts ------------------------------------------------------------------------
    def _sync_custom_fields(self) -> None:
        custom = self.environment_combo.currentData() == "custom"
        for field in (self.rest_url_edit, self.ws_url_edit):
            field.setVisible(custom)
            label = self.form.labelForField(field)
            if label is not None:
                label.setVisible(custom)

    def _sync_secret_field(self) -> None:
        pem = self.key_type_combo.currentData() == "ed25519"
        self._secret_stack.setCurrentIndex(1 if pem else 0)

    def _reload_accounts(self, select: str | None = None) -> None:
        self.account_list.blockSignals(True)
        self.account_list.clear()
        for a in self._settings.accounts():
            where = self._env_label(a.environment)
            if a.exchange != "binance":
                where = f"MEXC, {where}"
            item = QListWidgetItem(f"{a.name}  ({where})")
            item.setData(Qt.ItemDataRole.UserRole, a.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if a.enabled else Qt.CheckState.Unchecked)
            item.setToolTip(translate("SettingsDialog", "Ticked: monitored. Unticked: kept but not monitored."))
            self.account_list.addItem(item)
            if a.name == select:
                self.account_list.setCurrentItem(item)
        self.account_list.blockSignals(False)
        self.remove_button.setEnabled(self.account_list.currentItem() is not None)

    def _env_label(self, environment: str) -> str:
        index = self.environment_combo.findData(environment)
        return self.environment_combo.itemText(index) if index >= 0 else environment

    def account_names(self) -> list[str]:
        return [str(self.account_list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.account_list.count())]

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.remove_button.setEnabled(current is not None)
        if current is not None:
            self.edit_account(str(current.data(Qt.ItemDataRole.UserRole)))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.set_account_enabled(str(item.data(Qt.ItemDataRole.UserRole)), item.checkState() == Qt.CheckState.Checked)

    def _clear_secret_fields(self) -> None:
        self.secret_edit.clear()
        self.pem_edit.clear()

    def _set_message(self, text: str, style: str = "") -> None:
        self.account_message.setStyleSheet(style)
        self.account_message.setText(text)

    def new_account(self) -> None:
        """Empty the editor for a new account."""
        self.account_list.blockSignals(True)
        self.account_list.setCurrentRow(-1)
        self.account_list.blockSignals(False)
        self._editing = None
        self._load_form(AccountConfig("", "mainnet", "hmac", ""))
        self.name_edit.setFocus()

    def edit_account(self, name: str) -> None:
        config = self._settings.account(name)
        if config is None:
            return
        self._editing = name
        self._load_form(config)

    def _load_form(self, config: AccountConfig) -> None:
        self._saver.discard_pending()
        self.keychain_panel.hide()
        if self._paused is None or self._paused != config.name:
            self.confirm_panel.hide()
        self._set_message("")
        self.test_result_label.clear()
        self.name_edit.setText(config.name)
        self.exchange_combo.setCurrentIndex(max(0, self.exchange_combo.findData(config.exchange)))
        self.environment_combo.setCurrentIndex(max(0, self.environment_combo.findData(config.environment)))
        self.key_type_combo.setCurrentIndex(max(0, self.key_type_combo.findData(config.key_type)))
        self.markets_combo.setCurrentIndex(max(0, self.markets_combo.findData(config.markets)))
        self.api_key_edit.setText(config.api_key)
        self.rest_url_edit.setText(config.rest_url)
        self.ws_url_edit.setText(config.ws_url)
        self._clear_secret_fields()
        stored = translate("SettingsDialog", "(kept in the keychain: leave empty to keep it)") if self._editing else ""
        self.secret_edit.setPlaceholderText(stored)
        if self._editing:
            self.pem_edit.setPlaceholderText(stored)
        self._sync_custom_fields()
        self._sync_secret_field()

    def form_config(self) -> AccountConfig:
        """The account as the editor shows it (not yet validated)."""
        enabled = True
        if self._editing is not None:
            current = self._settings.account(self._editing)
            enabled = current.enabled if current is not None else True
        custom = self.environment_combo.currentData() == "custom"
        return AccountConfig(
            name=self.name_edit.text().strip(),
            environment=str(self.environment_combo.currentData()),
            key_type=str(self.key_type_combo.currentData()),
            api_key=self.api_key_edit.text().strip(),
            enabled=enabled,
            rest_url=self.rest_url_edit.text().strip() if custom else "",
            ws_url=self.ws_url_edit.text().strip() if custom else "",
            markets=str(self.markets_combo.currentData()),
            exchange=str(self.exchange_combo.currentData()),
        )

    def _form_secret(self) -> str:
        if self.key_type_combo.currentData() == "ed25519":
            pem = self.pem_edit.text().strip()
            return pem + "\n" if pem else ""
        return self.secret_edit.text().strip()

    def _secret_for_test(self) -> str | None:
        try:
            return self._saver.secret_for_test(self._form_secret(), self._editing)
        except SecretStoreError as exc:
            self._set_message(str(exc), ERROR)
            return None

    def test_key(self) -> bool:
        """Ask the container to test the key in the editor; False (with a message) when it cannot."""
        config = self.form_config()
        problem = account_problem(config)
        if problem is not None:
            self._set_message(problem, ERROR)  # words from services.settings
            return False
        secret = self._secret_for_test()
        if not secret:
            self._set_message(translate("SettingsDialog", "Enter the secret to test the key."), ERROR)
            return False
        self._request_test(config, secret)
        return True

    def _request_test(self, config: AccountConfig, secret: str, *, after_save: bool = False) -> None:
        self._testing = config.name
        self._tested = (config, secret)
        self._test_after_save = after_save
        self.test_button.setEnabled(False)
        self.test_result_label.setStyleSheet("")
        self.test_result_label.setText(translate("SettingsDialog", "Testing the key for %s…") % config.name)
        self.test_requested.emit(config, secret)

    def show_test_result(self, result: TestResult) -> None:
        """The container's answer to `test_requested` (a services.key_check.KeyCheckResult)."""
        self.test_button.setEnabled(True)
        name, self._testing = self._testing, None
        tested, self._tested = self._tested, None
        after_save, self._test_after_save = self._test_after_save, False
        dangerous = tuple(result.dangerous)
        if tested is not None and result.ok:
            self._found = (_key_of(tested[0]), tested[1], dangerous)
            if after_save and dangerous and self._confirmed != (_key_of(tested[0]), tested[1]):
                self._pause(tested[0].name, dangerous)
        head = (
            translate("SettingsDialog", "Key test for %s: passed.")
            if result.ok
            else translate("SettingsDialog", "Key test for %s: failed.")
        ) % (name or "?")
        lines = [head, *result.messages]
        if result.warnings:
            lines += ["", translate("SettingsDialog", "Warnings:"), *(f"• {w}" for w in result.warnings)]
        style = ERROR if not result.ok else WARN if result.warnings else OK
        self.test_result_label.setStyleSheet(style)
        self.test_result_label.setText("\n".join(lines))

    def test_result_text(self) -> str:
        return self.test_result_label.text()

    def save_account(self) -> bool:
        """Save the editor's account with its secret (AccountSaver), show the outcome, then test the key.

        Without a keychain nothing is saved: the dialog says so and offers "Use for this run only".
        A key the last test found able to trade or withdraw is saved only after "Save anyway".
        """
        self.keychain_panel.hide()
        self.confirm_panel.hide()
        config = self.form_config()
        return self._show_outcome(
            self._saver.save(config, self._form_secret(), self._editing, dangerous=self._known_dangerous(config))
        )

    def _known_dangerous(self, config: AccountConfig) -> tuple[str, ...]:
        """What the last key test found beyond reading for the key in the form; () when untested or read-only."""
        if self._found is None or self._found[0] != _key_of(config):
            return ()
        try:
            secret = self._saver.secret_for_test(self._form_secret(), self._editing)
        except SecretStoreError:
            return ()
        return self._found[2] if secret == self._found[1] else ()

    def confirm_dangerous_key(self) -> bool:
        """The second confirmation: save the key anyway, or (after a save) monitor the paused account."""
        self.confirm_panel.hide()
        if self._paused is not None:
            name, self._paused = self._paused, None
            self.set_account_enabled(name, True)
            return True
        outcome = self._saver.confirm_dangerous()
        if outcome is None:
            return False
        secret = outcome.test_secret
        if outcome.saved and secret:
            self._confirmed = (_key_of(outcome.config), secret)
        return self._show_outcome(outcome)

    def _pause(self, name: str, dangerous: tuple[str, ...]) -> None:
        """A key saved before its permissions were known turned out able to trade or withdraw: stop monitoring
        it until the user confirms."""
        self._paused = name
        self.set_account_enabled(name, False)
        self.confirm_label.setText(
            translate(
                "SettingsDialog",
                "This key can do more than read (%s). The account %s is saved but not monitored: make the key "
                "read-only on Binance, or confirm that MarginWatch should use it anyway.",
            )
            % (", ".join(dangerous), name)
        )
        self.confirm_button.setText(translate("SettingsDialog", "Monitor with this key anyway"))
        self.confirm_panel.show()

    def use_for_this_run_only(self) -> bool:
        """After a refused save: keep the account and its secret in memory only (the config is saved)."""
        self.keychain_panel.hide()
        outcome = self._saver.save_for_this_run()
        return outcome is not None and self._show_outcome(outcome)

    def _show_outcome(self, outcome: SaveOutcome) -> bool:
        """Say what a save did; after a save, show the saved account, tell the dialog, test the key."""
        status = outcome.status
        if status is SaveStatus.NEEDS_CONFIRMATION:
            self.confirm_label.setText(
                translate(
                    "SettingsDialog",
                    "This key can do more than read (%s): anyone who gets hold of it from this computer could "
                    "trade or move your funds. Make it read-only on Binance, or save it anyway.",
                )
                % ", ".join(outcome.dangerous)
            )
            self.confirm_button.setText(translate("SettingsDialog", "Save this key anyway"))
            self.confirm_panel.show()
            self._set_message("")
            return False
        if status is SaveStatus.NO_KEYCHAIN:
            self.keychain_label.setText(
                translate(
                    "SettingsDialog",
                    "The secret was not saved. %s\n\nYou can still use this key until MarginWatch exits; "
                    "you will need to enter the secret again next time.",
                )
                % outcome.detail
            )
            self.keychain_panel.show()
            self._set_message("")
            return False
        if not outcome.saved:
            self._set_message(self._refusal_text(outcome), ERROR)  # INVALID and FAILED: words from services
            return False
        self._after_save(outcome)
        if status is SaveStatus.RUN_ONLY:
            style = WARN
            text = translate("SettingsDialog", "Using this key until MarginWatch exits; its secret was not stored.")
        else:
            style = OK
            text = translate("SettingsDialog", "Saved. The secret is in the keychain (%s).") % outcome.detail
        for extra in (outcome.warning, outcome.host_warning):
            if extra:
                text, style = f"{text}\n{extra}", WARN
        self._set_message(text, style)
        if outcome.test_secret:
            self._request_test(outcome.config, outcome.test_secret, after_save=True)
        return True

    @staticmethod
    def _refusal_text(outcome: SaveOutcome) -> str:
        if outcome.status is SaveStatus.NAME_TAKEN:
            return translate("SettingsDialog", "An account named %s already exists.") % outcome.config.name
        if outcome.status is SaveStatus.SECRET_MISSING:
            return translate("SettingsDialog", "Enter the API secret (or, for Ed25519, the private key).")
        return outcome.detail

    def _after_save(self, outcome: SaveOutcome) -> None:
        config = outcome.config
        self._clear_secret_fields()
        old = outcome.renamed_from
        if old is not None:
            self.account_removed.emit(old)
            self.account_renamed.emit(old, config.name)
        self._editing = config.name
        self._reload_accounts(select=config.name)
        self._load_form(config)
        self.accounts_changed.emit()
        self.account_saved.emit(config)

    def set_account_enabled(self, name: str, enabled: bool) -> None:
        if self._settings.set_account_enabled(name, enabled):
            self.account_enabled_changed.emit(name, enabled)
        self._reload_accounts(select=self._editing)

    def _confirm_remove(self) -> None:
        item = self.account_list.currentItem()
        if item is None:
            return
        name = str(item.data(Qt.ItemDataRole.UserRole))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            translate("SettingsDialog", "Remove account"),
            translate("SettingsDialog", "Remove the account %s and delete its secret from the keychain?") % name,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window(),  # the dialog: the question is modal to it
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.remove_account(name))
        box.open()

    def remove_account(self, name: str) -> bool:
        """Forget the account and its secret (and, through `account_forgotten`, its threshold override)."""
        outcome = self._saver.remove(name)
        if not outcome.removed:
            return False
        if outcome.secret_error:
            self._set_message(outcome.secret_error, ERROR)
        else:
            self._set_message(translate("SettingsDialog", "Removed %s.") % name)
        self.account_removed.emit(name)
        self.account_forgotten.emit(name)
        if self._editing == name:
            self.new_account()
        self._reload_accounts(select=self._editing)
        return True
