"""The settings dialog: accounts and their keys, alert thresholds, general preferences.

No network code here. "Test key" (and every account save) emits `test_requested(config, secret)`;
the container runs `services.key_check.check_account_key` and hands the answer back through
`show_test_result(result)`. Secrets go only to the SecretStore (the OS keychain), or, when there is
none and the user agrees, into memory for this run. Account changes apply at once; the Alerts and
General tabs apply on Save. Open with show()/open(), never exec(): the app runs a qasync loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.risk_tiers import TierThresholds
from marginwatch.services.secret_store import SecretStore, SecretStoreError
from marginwatch.services.settings import AccountConfig, Settings, account_problem

if TYPE_CHECKING:
    from collections.abc import Sequence

_ERROR = "color: #b00020;"
_WARN = "color: #a15c00;"
_OK = "color: #1b5e20;"


class TestResult(Protocol):
    """What `show_test_result` reads (services.key_check.KeyCheckResult has these)."""

    ok: bool
    messages: Sequence[str]
    warnings: Sequence[str]


@dataclass(frozen=True, slots=True)
class _Pending:
    """An account save waiting for the user's "use for this run only"."""

    config: AccountConfig
    replaces: str | None
    secret: str

    def __repr__(self) -> str:
        return f"_Pending({self.config.name!r}, secret=<hidden>)"


def _pct(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


class SettingsDialog(QDialog):
    test_requested = Signal(object, str)  # AccountConfig, secret: run the key check, then show_test_result
    account_saved = Signal(object)  # AccountConfig, added or changed (a rename first emits account_removed)
    account_removed = Signal(str)
    account_enabled_changed = Signal(str, bool)
    start_at_login_changed = Signal(bool)
    language_changed = Signal(str)

    def __init__(self, settings: Settings, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("MarginWatch Settings"))
        self.resize(760, 520)
        self._settings = settings
        self._secrets = secrets
        self._editing: str | None = None  # name of the account in the editor; None for a new one
        self._testing: str | None = None  # account name whose key test is running
        self._pending: _Pending | None = None
        self._policies: dict[str | None, AlertPolicy | None] = {}
        self._scope: str | None = None

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_accounts_tab(), self.tr("Accounts"))
        self.tabs.addTab(self._build_alerts_tab(), self.tr("Alerts"))
        self.tabs.addTab(self._build_general_tab(), self.tr("General"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setToolTip(
            self.tr("Save the Alerts and General tabs (accounts are saved with their own button)")
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.reload()

    # ================================================================= accounts tab

    def _build_accounts_tab(self) -> QWidget:
        self.account_list = QListWidget()
        self.account_list.currentItemChanged.connect(self._on_current_changed)
        self.account_list.itemChanged.connect(self._on_item_changed)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.clicked.connect(self.new_account)
        self.remove_button = QPushButton(self.tr("Remove…"))
        self.remove_button.clicked.connect(self._confirm_remove)
        left = QVBoxLayout()
        left.addWidget(self.account_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)

        self.name_edit = QLineEdit()
        self.environment_combo = QComboBox()
        for label, value in ((self.tr("Mainnet"), "mainnet"), (self.tr("Testnet"), "testnet"),
                             (self.tr("Custom URLs"), "custom")):
            self.environment_combo.addItem(label, value)
        self.environment_combo.currentIndexChanged.connect(self._sync_custom_fields)
        self.rest_url_edit = QLineEdit()
        self.rest_url_edit.setPlaceholderText("https://fapi.example.com")
        self.ws_url_edit = QLineEdit()
        self.ws_url_edit.setPlaceholderText("wss://fstream.example.com")
        self.key_type_combo = QComboBox()
        self.key_type_combo.addItem(self.tr("HMAC (secret key)"), "hmac")
        self.key_type_combo.addItem(self.tr("Ed25519 (private key, PEM)"), "ed25519")
        self.key_type_combo.currentIndexChanged.connect(self._sync_secret_field)
        self.api_key_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pem_edit = QPlainTextEdit()
        self.pem_edit.setPlaceholderText("-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----")
        self.pem_edit.setTabChangesFocus(True)
        self._secret_stack = QStackedWidget()
        self._secret_stack.addWidget(self.secret_edit)
        self._secret_stack.addWidget(self.pem_edit)

        self.form = QFormLayout()
        self.form.addRow(self.tr("Name"), self.name_edit)
        self.form.addRow(self.tr("Environment"), self.environment_combo)
        self.form.addRow(self.tr("REST base URL"), self.rest_url_edit)
        self.form.addRow(self.tr("WebSocket base URL"), self.ws_url_edit)
        self.form.addRow(self.tr("Key type"), self.key_type_combo)
        self.form.addRow(self.tr("API key"), self.api_key_edit)
        self.form.addRow(self.tr("Secret"), self._secret_stack)
        hint = QLabel(self.tr("Use a read-only key (only 'Enable Reading') restricted to your IP address. "
                              "The secret is kept in the system keychain, nowhere else."))
        hint.setWordWrap(True)
        hint.setEnabled(False)

        self.test_button = QPushButton(self.tr("Test key"))
        self.test_button.clicked.connect(self.test_key)
        self.save_account_button = QPushButton(self.tr("Save account"))
        self.save_account_button.clicked.connect(self.save_account)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_account_button)

        self.keychain_panel = QFrame()
        self.keychain_panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.keychain_label = QLabel()
        self.keychain_label.setWordWrap(True)
        self.run_only_button = QPushButton(self.tr("Use for this run only"))
        self.run_only_button.clicked.connect(self.use_for_this_run_only)
        panel = QVBoxLayout(self.keychain_panel)
        panel.addWidget(self.keychain_label)
        panel.addWidget(self.run_only_button, 0, Qt.AlignmentFlag.AlignRight)
        self.keychain_panel.hide()

        self.account_message = QLabel()
        self.account_message.setWordWrap(True)
        self.account_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_result_label = QLabel()
        self.test_result_label.setWordWrap(True)
        self.test_result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        right = QVBoxLayout()
        right.addLayout(self.form)
        right.addWidget(hint)
        right.addLayout(buttons)
        right.addWidget(self.keychain_panel)
        right.addWidget(self.account_message)
        right.addWidget(self.test_result_label)
        right.addStretch(1)
        page = QWidget()
        layout = QHBoxLayout(page)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)
        return page

    def _sync_custom_fields(self) -> None:
        custom = self.environment_combo.currentData() == "custom"
        for field in (self.rest_url_edit, self.ws_url_edit):
            field.setVisible(custom)
            label = self.form.labelForField(field)
            if label is not None:
                label.setVisible(custom)

    def _sync_secret_field(self) -> None:
        self._secret_stack.setCurrentIndex(1 if self.key_type_combo.currentData() == "ed25519" else 0)

    def _reload_accounts(self, select: str | None = None) -> None:
        self.account_list.blockSignals(True)
        self.account_list.clear()
        for a in self._settings.accounts():
            item = QListWidgetItem(f"{a.name}  ({self._env_label(a.environment)})")
            item.setData(Qt.ItemDataRole.UserRole, a.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if a.enabled else Qt.CheckState.Unchecked)
            item.setToolTip(self.tr("Ticked: monitored. Unticked: kept but not monitored."))
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
        self.set_account_enabled(
            str(item.data(Qt.ItemDataRole.UserRole)), item.checkState() == Qt.CheckState.Checked
        )

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
        self._pending = None
        self.keychain_panel.hide()
        self._set_message("")
        self.test_result_label.clear()
        self.name_edit.setText(config.name)
        self.environment_combo.setCurrentIndex(max(0, self.environment_combo.findData(config.environment)))
        self.key_type_combo.setCurrentIndex(max(0, self.key_type_combo.findData(config.key_type)))
        self.api_key_edit.setText(config.api_key)
        self.rest_url_edit.setText(config.rest_url)
        self.ws_url_edit.setText(config.ws_url)
        self._clear_secret_fields()
        stored = self.tr("(kept in the keychain: leave empty to keep it)") if self._editing else ""
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
        )

    def _form_secret(self) -> str:
        if self.key_type_combo.currentData() == "ed25519":
            return self.pem_edit.toPlainText().strip() + "\n" if self.pem_edit.toPlainText().strip() else ""
        return self.secret_edit.text().strip()

    def _secret_for_test(self) -> str | None:
        secret = self._form_secret()
        if secret or self._editing is None:
            return secret or None
        try:
            return self._secrets.load(self._editing)
        except SecretStoreError as exc:
            self._set_message(str(exc), _ERROR)
            return None

    def test_key(self) -> bool:
        """Ask the container to test the key in the editor; False (with a message) when it cannot."""
        config = self.form_config()
        problem = account_problem(config)
        if problem is not None:
            self._set_message(problem, _ERROR)  # words from services.settings
            return False
        secret = self._secret_for_test()
        if not secret:
            self._set_message(self.tr("Enter the secret to test the key."), _ERROR)
            return False
        self._request_test(config, secret)
        return True

    def _request_test(self, config: AccountConfig, secret: str) -> None:
        self._testing = config.name
        self.test_button.setEnabled(False)
        self.test_result_label.setStyleSheet("")
        self.test_result_label.setText(self.tr("Testing the key for %s…") % config.name)
        self.test_requested.emit(config, secret)

    def show_test_result(self, result: TestResult) -> None:
        """The container's answer to `test_requested` (a services.key_check.KeyCheckResult)."""
        self.test_button.setEnabled(True)
        name, self._testing = self._testing, None
        head = (self.tr("Key test for %s: passed.") if result.ok else self.tr("Key test for %s: failed.")) % (
            name or "?"
        )
        lines = [head, *result.messages]
        if result.warnings:
            lines += ["", self.tr("Warnings:"), *(f"• {w}" for w in result.warnings)]
        style = _ERROR if not result.ok else _WARN if result.warnings else _OK
        self.test_result_label.setStyleSheet(style)
        self.test_result_label.setText("\n".join(lines))

    def test_result_text(self) -> str:
        return self.test_result_label.text()

    def save_account(self) -> bool:
        """Validate and save the editor's account, its secret to the keychain, then test the key.

        Without a keychain nothing is saved: the dialog says so and offers "Use for this run only".
        """
        self._pending = None
        self.keychain_panel.hide()
        config = self.form_config()
        problem = account_problem(config)
        if problem is not None:
            self._set_message(problem, _ERROR)  # words from services.settings
            return False
        taken = config.name != self._editing and self._settings.account(config.name) is not None
        if taken:
            self._set_message(self.tr("An account named %s already exists.") % config.name, _ERROR)
            return False
        secret = self._form_secret()
        if not secret and self._editing is None:
            self._set_message(self.tr("Enter the API secret (or, for Ed25519, the private key)."), _ERROR)
            return False
        if secret and not self._secrets.available():
            self._pending = _Pending(config, self._editing, secret)
            self.keychain_label.setText(
                self.tr("The secret was not saved. %s\n\nYou can still use this key until MarginWatch exits; "
                        "you will need to enter the secret again next time.")
                % (self._secrets.why_unavailable or "")
            )
            self.keychain_panel.show()
            self._set_message("")
            return False
        try:
            if secret:
                self._secrets.save(config.name, secret)
            elif self._editing is not None and self._editing != config.name:
                self._move_secret(self._editing, config.name)
        except SecretStoreError as exc:
            self._set_message(str(exc), _ERROR)
            return False
        self._commit_account(config, self._editing)
        if not secret:
            secret = self._secret_for_test() or ""
        self._set_message(self.tr("Saved. The secret is in the keychain (%s).") % self._secrets.backend_name(), _OK)
        if secret:
            self._request_test(config, secret)
        return True

    def _move_secret(self, old: str, new: str) -> None:
        value = self._secrets.load(old)
        if value is None:
            return
        if self._secrets.is_run_only(old) or not self._secrets.available():
            self._secrets.remember_for_this_run(new, value)
        else:
            self._secrets.save(new, value)
        self._secrets.delete(old)

    def _commit_account(self, config: AccountConfig, replaces: str | None) -> None:
        try:
            self._settings.save_account(config, replaces=replaces)
        except ValueError as exc:
            self._set_message(str(exc), _ERROR)
            return
        self._clear_secret_fields()
        if replaces is not None and replaces != config.name:
            self.account_removed.emit(replaces)
        if replaces is not None and replaces != config.name and replaces in self._policies:
            self._policies[config.name] = self._policies.pop(replaces)
        if replaces is not None and self._scope == replaces:
            self._scope = config.name
        self._editing = config.name
        self._reload_accounts(select=config.name)
        self._load_form(config)
        self._reload_scopes()
        self.account_saved.emit(config)

    def use_for_this_run_only(self) -> bool:
        """After a refused save: keep the account and its secret in memory only (the config is saved)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return False
        self.keychain_panel.hide()
        try:
            self._secrets.remember_for_this_run(pending.config.name, pending.secret)
            if pending.replaces is not None and pending.replaces != pending.config.name:
                self._secrets.delete(pending.replaces)
        except SecretStoreError as exc:
            self._set_message(str(exc), _ERROR)
            return False
        self._commit_account(pending.config, pending.replaces)
        self._set_message(self.tr("Using this key until MarginWatch exits; its secret was not stored."), _WARN)
        self._request_test(pending.config, pending.secret)
        return True

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
            self.tr("Remove account"),
            self.tr("Remove the account %s and delete its secret from the keychain?") % name,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.remove_account(name))
        box.open()

    def remove_account(self, name: str) -> bool:
        """Forget the account, its threshold override and its secret."""
        if not self._settings.remove_account(name):
            return False
        try:
            self._secrets.delete(name)
        except SecretStoreError as exc:
            self._set_message(str(exc), _ERROR)
        else:
            self._set_message(self.tr("Removed %s.") % name)
        self.account_removed.emit(name)
        self._policies.pop(name, None)
        self._reload_scopes()
        if self._editing == name:
            self.new_account()
        self._reload_accounts(select=self._editing)
        return True

    # ================================================================= alerts tab

    def _build_alerts_tab(self) -> QWidget:
        self.scope_combo = QComboBox()
        self.scope_combo.currentIndexChanged.connect(self._on_scope_changed)
        self.own_policy_check = QCheckBox(self.tr("This account has its own thresholds"))
        self.own_policy_check.toggled.connect(self._on_own_toggled)

        def spin(suffix: str, maximum: float, decimals: int = 1) -> QDoubleSpinBox:
            box = QDoubleSpinBox()
            box.setDecimals(decimals)
            box.setRange(0.0, maximum)
            box.setSuffix(suffix)
            return box

        self.ratio_warning_spin = spin(" %", 100.0)
        self.ratio_danger_spin = spin(" %", 100.0)
        self.distance_warning_spin = spin(" %", 100.0)
        self.distance_danger_spin = spin(" %", 100.0)
        self.ratio_hysteresis_spin = spin(self.tr(" pts"), 50.0)
        self.distance_hysteresis_spin = spin(" %", 50.0)
        self.cooldown_spin = spin(self.tr(" s"), 86400.0, 0)
        self.stream_down_spin = spin(self.tr(" s"), 3600.0, 0)
        self._policy_fields = QWidget()
        form = QFormLayout(self._policy_fields)
        form.addRow(self.tr("Margin ratio: warning at"), self.ratio_warning_spin)
        form.addRow(self.tr("Margin ratio: danger at"), self.ratio_danger_spin)
        form.addRow(self.tr("Distance to liquidation: warning within"), self.distance_warning_spin)
        form.addRow(self.tr("Distance to liquidation: danger within"), self.distance_danger_spin)
        form.addRow(self.tr("Margin ratio hysteresis"), self.ratio_hysteresis_spin)
        form.addRow(self.tr("Distance hysteresis"), self.distance_hysteresis_spin)
        form.addRow(self.tr("Repeat an alert at most every"), self.cooldown_spin)
        form.addRow(self.tr("Warn when a stream is down for"), self.stream_down_spin)
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QFormLayout()
        top.addRow(self.tr("Thresholds for"), self.scope_combo)
        layout.addLayout(top)
        layout.addWidget(self.own_policy_check)
        layout.addWidget(self._policy_fields)
        layout.addStretch(1)
        return page

    def _reload_scopes(self, keep_edits: bool = True) -> None:
        if keep_edits and self.scope_combo.count():
            self._keep_scope_edits()  # the form is about to be refilled
        self.scope_combo.blockSignals(True)
        self.scope_combo.clear()
        self.scope_combo.addItem(self.tr("All accounts (default)"), None)
        for a in self._settings.accounts():
            self.scope_combo.addItem(a.name, a.name)
        index = self.scope_combo.findData(self._scope) if self._scope is not None else 0
        self.scope_combo.setCurrentIndex(max(0, index))
        self._scope = self.scope_combo.currentData()
        self.scope_combo.blockSignals(False)
        self._show_scope()

    def _show_policy(self, p: AlertPolicy) -> None:
        self.ratio_warning_spin.setValue(float(p.ratio.warning * 100))
        self.ratio_danger_spin.setValue(float(p.ratio.danger * 100))
        self.distance_warning_spin.setValue(float(p.distance_warning_pct))
        self.distance_danger_spin.setValue(float(p.distance_danger_pct))
        self.ratio_hysteresis_spin.setValue(float(p.ratio_hysteresis * 100))
        self.distance_hysteresis_spin.setValue(float(p.distance_hysteresis_pct))
        self.cooldown_spin.setValue(p.cooldown_s)
        self.stream_down_spin.setValue(p.stream_down_after_s)

    def form_policy(self) -> AlertPolicy:
        """The thresholds the Alerts tab shows; raises ValueError (plain words) when they are impossible."""
        return AlertPolicy(
            ratio=TierThresholds(
                warning=_pct(self.ratio_warning_spin.value()) / 100, danger=_pct(self.ratio_danger_spin.value()) / 100
            ),
            distance_warning_pct=_pct(self.distance_warning_spin.value()),
            distance_danger_pct=_pct(self.distance_danger_spin.value()),
            ratio_hysteresis=_pct(self.ratio_hysteresis_spin.value()) / 100,
            distance_hysteresis_pct=_pct(self.distance_hysteresis_spin.value()),
            cooldown_s=float(self.cooldown_spin.value()),
            stream_down_after_s=float(self.stream_down_spin.value()),
        )

    def _global_policy(self) -> AlertPolicy:
        p = self._policies.get(None)
        return p if p is not None else self._settings.alert_policy()

    def _show_scope(self) -> None:
        scope = self._scope
        if scope is None:
            own: AlertPolicy | None = self._global_policy()
        else:
            own = self._policies[scope] if scope in self._policies else self._settings.account_policy(scope)
        self.own_policy_check.blockSignals(True)
        self.own_policy_check.setVisible(scope is not None)
        self.own_policy_check.setChecked(scope is None or own is not None)
        self.own_policy_check.blockSignals(False)
        self._policy_fields.setEnabled(scope is None or own is not None)
        self._show_policy(own if own is not None else self._global_policy())

    def _keep_scope_edits(self) -> bool:
        """Remember the shown scope's values before showing another; False when they are impossible."""
        if self._scope is not None and not self.own_policy_check.isChecked():
            self._policies[self._scope] = None
            return True
        try:
            self._policies[self._scope] = self.form_policy()
        except ValueError as exc:
            self.status_label.setStyleSheet(_ERROR)
            self.status_label.setText(self.tr("Thresholds not valid: %s") % exc)
            return False
        return True

    def _on_scope_changed(self, _index: int) -> None:
        if not self._keep_scope_edits():
            self.scope_combo.blockSignals(True)
            self.scope_combo.setCurrentIndex(max(0, self.scope_combo.findData(self._scope)))
            self.scope_combo.blockSignals(False)
            return
        self._scope = self.scope_combo.currentData()
        self._show_scope()

    def _on_own_toggled(self, on: bool) -> None:
        self._policy_fields.setEnabled(on)
        if not on:
            self._show_policy(self._global_policy())

    def select_threshold_scope(self, account: str | None) -> None:
        """Show the global thresholds (None) or one account's."""
        index = self.scope_combo.findData(account) if account is not None else 0
        if index >= 0:
            self.scope_combo.setCurrentIndex(index)

    # ================================================================= general tab

    def _build_general_tab(self) -> QWidget:
        self.sound_check = QCheckBox(self.tr("Play a sound with alerts"))
        self.start_minimised_check = QCheckBox(self.tr("Start minimised to the tray"))
        self.start_at_login_check = QCheckBox(self.tr("Start MarginWatch when I log in"))
        self.language_combo = QComboBox()
        self.language_combo.addItem(self.tr("System default"), "system")
        self.language_combo.addItem("English", "en")  # language names stay in their own language
        self.language_combo.addItem("简体中文", "zh_CN")
        note = QLabel(self.tr("A new language takes effect when MarginWatch restarts."))
        note.setEnabled(False)
        page = QWidget()
        layout = QFormLayout(page)
        layout.addRow(self.sound_check)
        layout.addRow(self.start_minimised_check)
        layout.addRow(self.start_at_login_check)
        layout.addRow(self.tr("Language"), self.language_combo)
        layout.addRow(note)
        return page

    # ================================================================= whole dialog

    def reload(self) -> None:
        """Show what the settings hold now (discarding unsaved Alerts/General edits)."""
        s = self._settings
        self._policies.clear()
        self._reload_accounts(select=self._editing)
        if self._editing is None or s.account(self._editing) is None:
            self.new_account()
        self._reload_scopes(keep_edits=False)
        self.sound_check.setChecked(s.sound_enabled())
        self.start_minimised_check.setChecked(s.start_minimised())
        self.start_at_login_check.setChecked(s.start_at_login())
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(s.language())))
        self.status_label.clear()

    def save(self) -> bool:
        """Apply the Alerts and General tabs; False (with the reason shown) when thresholds are impossible."""
        if not self._keep_scope_edits():
            return False
        s = self._settings
        for scope, policy in self._policies.items():
            if scope is None:
                if policy is not None:
                    s.set_alert_policy(policy)
            elif s.account(scope) is None:
                continue  # removed meanwhile
            elif policy is None:
                if s.has_account_policy(scope):
                    s.clear_account_policy(scope)
            else:
                s.set_alert_policy(policy, account=scope)
        s.set_sound_enabled(self.sound_check.isChecked())
        s.set_start_minimised(self.start_minimised_check.isChecked())
        at_login = self.start_at_login_check.isChecked()
        if at_login != s.start_at_login():
            s.set_start_at_login(at_login)
            self.start_at_login_changed.emit(at_login)
        language = str(self.language_combo.currentData())
        if language != s.language():
            s.set_language(language)
            self.language_changed.emit(language)
        self.status_label.setStyleSheet(_OK)
        self.status_label.setText(self.tr("Settings saved."))
        return True

    def show_status(self, text: str, error: bool = False) -> None:
        """For the container: say something at the bottom of the dialog (e.g. autostart trouble)."""
        self.status_label.setStyleSheet(_ERROR if error else "")
        self.status_label.setText(text)
