"""The settings dialog: accounts and their keys, alert thresholds, forwarding channels, general preferences.

The Accounts tab is ui.account_editor.AccountEditor, the Alerts tab ui.alert_settings_tab, the
Notifications tab ui.notifications_tab (channels, saved with their own button); the
dialog wires them together, holds the General tab and keeps the public API (its signals, methods
and widgets) in one place. No network code here: see account_editor for the key test. Account
changes apply at once; the Alerts and General tabs apply on Save. Open with show()/open(), never
exec(): the app runs a qasync loop.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.services.channel_store import ChannelStore
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Language, Settings
from marginwatch.ui.account_editor import AccountEditor, TestResult
from marginwatch.ui.alert_settings_tab import AlertSettingsTab
from marginwatch.ui.message_styles import ERROR, OK
from marginwatch.ui.notifications_tab import NotificationsTab

__all__ = ["SettingsDialog", "TestResult"]


class SettingsDialog(QDialog):
    test_requested = Signal(object, str)  # AccountConfig, secret: run the key check, then show_test_result
    account_saved = Signal(object)  # AccountConfig, added or changed (a rename first emits account_removed)
    account_removed = Signal(str)
    account_enabled_changed = Signal(str, bool)
    start_at_login_changed = Signal(bool)
    language_changed = Signal(str)

    def __init__(
        self, settings: Settings, secrets: SecretStore, parent: QWidget | None = None,
        *, channels: ChannelStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("MarginWatch Settings"))
        self.resize(760, 520)
        self._settings = settings
        self.accounts = AccountEditor(settings, secrets)
        self.alerts = AlertSettingsTab(settings)
        # The container passes its own store: it holds the run-only channel URLs it forwards to.
        self.notifications = NotificationsTab(channels or ChannelStore(settings, secrets))
        self._expose_widgets()

        self.tabs = QTabWidget()
        self.tabs.addTab(self.accounts, self.tr("Accounts"))
        self.tabs.addTab(self.alerts, self.tr("Alerts"))
        self.tabs.addTab(self.notifications, self.tr("Notifications"))
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

        ed = self.accounts
        ed.test_requested.connect(self.test_requested)
        ed.account_saved.connect(self.account_saved)
        ed.account_removed.connect(self.account_removed)
        ed.account_enabled_changed.connect(self.account_enabled_changed)
        ed.account_renamed.connect(self.alerts.rename_account)
        ed.account_forgotten.connect(self.alerts.forget_account)
        ed.accounts_changed.connect(self.alerts.reload_scopes)
        ed.accounts_changed.connect(lambda: self.notifications.set_accounts(a.name for a in settings.accounts()))
        self.alerts.invalid.connect(self._show_invalid)
        self.reload()

    def _expose_widgets(self) -> None:
        """The tabs' widgets as the dialog's own attributes, where the container and tests reach them."""
        ed = self.accounts
        self.account_list = ed.account_list
        self.add_button = ed.add_button
        self.remove_button = ed.remove_button
        self.name_edit = ed.name_edit
        self.exchange_combo = ed.exchange_combo
        self.environment_combo = ed.environment_combo
        self.rest_url_edit = ed.rest_url_edit
        self.ws_url_edit = ed.ws_url_edit
        self.key_type_combo = ed.key_type_combo
        self.api_key_edit = ed.api_key_edit
        self.secret_edit = ed.secret_edit
        self.pem_edit = ed.pem_edit
        self.form = ed.form
        self.test_button = ed.test_button
        self.save_account_button = ed.save_account_button
        self.keychain_panel = ed.keychain_panel
        self.keychain_label = ed.keychain_label
        self.run_only_button = ed.run_only_button
        self.confirm_panel = ed.confirm_panel
        self.confirm_label = ed.confirm_label
        self.confirm_button = ed.confirm_button
        self.account_message = ed.account_message
        self.test_result_label = ed.test_result_label
        al = self.alerts
        self.scope_combo = al.scope_combo
        self.own_policy_check = al.own_policy_check
        self.ratio_warning_spin = al.ratio_warning_spin
        self.ratio_danger_spin = al.ratio_danger_spin
        self.distance_warning_spin = al.distance_warning_spin
        self.distance_danger_spin = al.distance_danger_spin
        self.ratio_hysteresis_spin = al.ratio_hysteresis_spin
        self.distance_hysteresis_spin = al.distance_hysteresis_spin
        self.cooldown_spin = al.cooldown_spin
        self.stream_down_spin = al.stream_down_spin

    # ================================================================= accounts tab

    def account_names(self) -> list[str]:
        return self.accounts.account_names()

    def new_account(self) -> None:
        """Empty the editor for a new account."""
        self.accounts.new_account()

    def edit_account(self, name: str) -> None:
        self.accounts.edit_account(name)

    def form_config(self) -> AccountConfig:
        """The account as the editor shows it (not yet validated)."""
        return self.accounts.form_config()

    def test_key(self) -> bool:
        """Ask the container to test the key in the editor; False (with a message) when it cannot."""
        return self.accounts.test_key()

    def show_test_result(self, result: TestResult) -> None:
        """The container's answer to `test_requested` (a services.key_check.KeyCheckResult)."""
        self.accounts.show_test_result(result)

    def test_result_text(self) -> str:
        return self.accounts.test_result_text()

    def save_account(self) -> bool:
        """Validate and save the editor's account, its secret to the keychain, then test the key.

        Without a keychain nothing is saved: the dialog says so and offers "Use for this run only".
        """
        return self.accounts.save_account()

    def use_for_this_run_only(self) -> bool:
        """After a refused save: keep the account and its secret in memory only (the config is saved)."""
        return self.accounts.use_for_this_run_only()

    def confirm_dangerous_key(self) -> bool:
        """The explicit second confirmation for a key that can trade or withdraw."""
        return self.accounts.confirm_dangerous_key()

    def set_account_enabled(self, name: str, enabled: bool) -> None:
        self.accounts.set_account_enabled(name, enabled)

    def remove_account(self, name: str) -> bool:
        """Forget the account, its threshold override and its secret."""
        return self.accounts.remove_account(name)

    # ================================================================= alerts tab

    def form_policy(self) -> AlertPolicy:
        """The thresholds the Alerts tab shows; raises ValueError (plain words) when they are impossible."""
        return self.alerts.form_policy()

    def select_threshold_scope(self, account: str | None) -> None:
        """Show the global thresholds (None) or one account's."""
        self.alerts.select_threshold_scope(account)

    # ================================================================= general tab

    def _build_general_tab(self) -> QWidget:
        self.sound_check = QCheckBox(self.tr("Play a sound with alerts"))
        self.funding_check = QCheckBox(self.tr("Alert when the next funding payment would cross a threshold"))
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
        layout.addRow(self.funding_check)
        layout.addRow(self.start_minimised_check)
        layout.addRow(self.start_at_login_check)
        layout.addRow(self.tr("Language"), self.language_combo)
        layout.addRow(note)
        return page

    # ================================================================= whole dialog

    def reload(self) -> None:
        """Show what the settings hold now (discarding unsaved Alerts/General edits)."""
        s = self._settings
        self.accounts.reload()
        self.alerts.reload()
        self.notifications.reload(a.name for a in s.accounts())
        self.sound_check.setChecked(s.sound_enabled)
        self.funding_check.setChecked(s.funding_alerts)
        self.start_minimised_check.setChecked(s.start_minimised)
        self.start_at_login_check.setChecked(s.start_at_login)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(s.language.value)))
        self.status_label.clear()

    def save(self) -> bool:
        """Apply the Alerts and General tabs; False (with the reason shown) when thresholds are impossible."""
        if not self.alerts.apply():
            return False
        s = self._settings
        s.sound_enabled = self.sound_check.isChecked()
        s.funding_alerts = self.funding_check.isChecked()
        s.start_minimised = self.start_minimised_check.isChecked()
        at_login = self.start_at_login_check.isChecked()
        if at_login != s.start_at_login:
            s.start_at_login = at_login
            self.start_at_login_changed.emit(at_login)
        language = Language(str(self.language_combo.currentData()))
        if language != s.language:
            s.language = language
            self.language_changed.emit(language.value)
        self.status_label.setStyleSheet(OK)
        self.status_label.setText(self.tr("Settings saved."))
        return True

    def _show_invalid(self, text: str) -> None:
        self.show_status(text, error=True)

    def show_status(self, text: str, error: bool = False) -> None:
        """For the container: say something at the bottom of the dialog (e.g. autostart trouble)."""
        self.status_label.setStyleSheet(ERROR if error else "")
        self.status_label.setText(text)
