"""Settings → Notifications: the channels alerts are forwarded to (a phone through ntfy, a webhook,
mail: any Apprise URL), what each takes, and a "Send test" per channel.

Saving goes through services.channel_store.ChannelStore (URL to the keychain, the rest to settings;
without a keychain, with the user's consent, memory for this run). The URL field never shows a saved
URL: it stays empty with the masked form as its placeholder. "Send test" emits `test_requested`;
the container sends it off the GUI thread and answers through `show_test_outcome`. The container
also marks failing channels through `set_failing`. Desktop notifications, sound and the banner are
not configured here: forwarding is in addition to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time as clock_time

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStyle,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from marginwatch.services.channel_settings import ChannelConfig
from marginwatch.services.channel_store import ChannelStore, SecretStoreError, new_channel_id
from marginwatch.services.forward_channel import ForwardKind, QuietHours
from marginwatch.services.forwarding_send import SendOutcome
from marginwatch.ui.message_styles import ERROR, OK, WARN

_ID = Qt.ItemDataRole.UserRole


class NotificationsTab(QWidget):
    test_requested = Signal(str, str)  # channel id, URL typed in the form ("" : use the saved one)
    channels_changed = Signal()  # a channel was saved or removed

    def __init__(self, store: ChannelStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._editing: str | None = None  # id of the saved channel in the form; None for a new one
        self._draft_id = new_channel_id()  # the id a new channel gets when saved
        self._testing: str | None = None
        self._failing: dict[str, str] = {}
        self._accounts: list[str] = []
        self._masked: dict[str, str] = {}  # read once per reload: each keychain read may be a D-Bus call
        self._setup_ui()

    # -- building the page ---------------------------------------------------------------------
    def _setup_ui(self) -> None:
        self.channel_list = QListWidget()
        self.channel_list.currentItemChanged.connect(self._on_current_changed)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.clicked.connect(self.new_channel)
        self.remove_button = QPushButton(self.tr("Remove…"))
        self.remove_button.clicked.connect(self._confirm_remove)
        left = QVBoxLayout()
        left.addWidget(self.channel_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)

        right = QVBoxLayout()
        right.addLayout(self._setup_form())
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self.tr("Save channel"))
        self.save_button.clicked.connect(self.save_channel)
        self.test_button = QPushButton(self.tr("Send test"))
        self.test_button.clicked.connect(self.send_test)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        right.addLayout(buttons)
        right.addWidget(self._setup_keychain_panel())
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.test_result_label = QLabel()
        self.test_result_label.setWordWrap(True)
        self.test_result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right.addWidget(self.message_label)
        right.addWidget(self.test_result_label)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)

    def _setup_form(self) -> QFormLayout:
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("e.g. Phone"))
        self.url_edit = QLineEdit()
        # Shown while typed, dotted once the field loses focus: a URL holds tokens and passwords.
        self.url_edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.kind_checks = {
            ForwardKind.MARGIN_CALL: QCheckBox(self.tr("Margin calls")),
            ForwardKind.DANGER: QCheckBox(self.tr("Danger")),
            ForwardKind.WARNING: QCheckBox(self.tr("Warning")),
            ForwardKind.HEALTH: QCheckBox(self.tr("Stream and monitor health")),
            ForwardKind.DAILY_SUMMARY: QCheckBox(self.tr("Daily summary")),
        }
        kinds = QVBoxLayout()
        for check in self.kind_checks.values():
            kinds.addWidget(check)
        self.all_accounts_check = QCheckBox(self.tr("All accounts"))
        self.account_list = QListWidget()
        self.account_list.setMaximumHeight(90)
        self.all_accounts_check.toggled.connect(lambda on: self.account_list.setEnabled(not on))
        accounts = QVBoxLayout()
        accounts.addWidget(self.all_accounts_check)
        accounts.addWidget(self.account_list)
        self.quiet_check = QCheckBox(self.tr("Quiet from"))
        self.quiet_start_edit = QTimeEdit(QTime(23, 0))
        self.quiet_end_edit = QTimeEdit(QTime(7, 0))
        for edit in (self.quiet_start_edit, self.quiet_end_edit):
            edit.setDisplayFormat("HH:mm")
            edit.setEnabled(False)
            self.quiet_check.toggled.connect(edit.setEnabled)
        quiet = QHBoxLayout()
        quiet.addWidget(self.quiet_check)
        quiet.addWidget(self.quiet_start_edit)
        quiet.addWidget(QLabel(self.tr("to")))
        quiet.addWidget(self.quiet_end_edit)
        quiet.addStretch(1)
        note = QLabel(self.tr("Margin calls and danger alerts are sent in quiet hours too. Desktop "
                              "notifications, sound and the banner stay as they are."))
        note.setWordWrap(True)
        note.setEnabled(False)
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("URL"), self.url_edit)
        form.addRow(self.tr("Sends"), kinds)
        form.addRow(self.tr("Accounts"), accounts)
        form.addRow(self.tr("Quiet hours"), quiet)
        form.addRow(note)
        return form

    def _setup_keychain_panel(self) -> QFrame:
        self.keychain_panel = QFrame()
        self.keychain_label = QLabel()
        self.keychain_label.setWordWrap(True)
        self.keychain_label.setStyleSheet(WARN)
        self.run_only_button = QPushButton(self.tr("Use for this run only"))
        self.run_only_button.clicked.connect(self.use_for_this_run_only)
        box = QVBoxLayout(self.keychain_panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.keychain_label)
        box.addWidget(self.run_only_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.keychain_panel.setVisible(False)
        return self.keychain_panel

    # -- fed by the dialog and the container -------------------------------------------------------
    def reload(self, accounts: Iterable[str] | None = None) -> None:
        """Show the saved channels (and, if given, these account names to choose from)."""
        if accounts is not None:
            self._accounts = list(accounts)
        editing = self._editing
        configs = self._store.configs()
        self._masked = {c.channel_id: self._store.masked_url(c.channel_id) for c in configs}
        self.channel_list.blockSignals(True)
        self.channel_list.clear()
        for config in configs:
            item = QListWidgetItem()
            item.setData(_ID, config.channel_id)
            self.channel_list.addItem(item)
            self._paint_item(item)
        self.channel_list.blockSignals(False)
        if editing is not None and self._store.settings.channel(editing) is not None:
            self.edit_channel(editing)
        else:
            self.new_channel()

    def set_accounts(self, names: Iterable[str]) -> None:
        """The accounts a channel can be limited to, offered the next time a channel is shown."""
        self._accounts = list(names)

    def set_failing(self, failing: Mapping[str, str]) -> None:
        """Saved channels whose sends keep failing: channel id -> last reason."""
        self._failing = dict(failing)
        for i in range(self.channel_list.count()):
            self._paint_item(self.channel_list.item(i))

    def show_test_outcome(self, channel_id: str, outcome: SendOutcome) -> None:
        """The container's answer to `test_requested`."""
        if channel_id != self._testing:
            return  # the form moved on to another channel meanwhile
        self._testing = None
        self.test_button.setEnabled(True)
        if outcome.ok:
            self.test_result_label.setStyleSheet(OK)
            self.test_result_label.setText(self.tr("Delivered ({0} s).").format(f"{outcome.elapsed_s:.1f}"))
        else:
            self.test_result_label.setStyleSheet(ERROR)
            self.test_result_label.setText(self.tr("Not delivered: {0}.").format(outcome.reason))

    # -- the form -------------------------------------------------------------------------------
    def channel_ids(self) -> list[str]:
        return [str(self.channel_list.item(i).data(_ID)) for i in range(self.channel_list.count())]

    def new_channel(self) -> None:
        self._editing = None
        self._draft_id = new_channel_id()
        self.channel_list.setCurrentRow(-1)
        self._show(ChannelConfig(self._draft_id, ""))

    def edit_channel(self, channel_id: str) -> None:
        config = self._store.settings.channel(channel_id)
        if config is None:
            return
        self._editing = channel_id
        for i, cid in enumerate(self.channel_ids()):
            if cid == channel_id:
                self.channel_list.blockSignals(True)
                self.channel_list.setCurrentRow(i)
                self.channel_list.blockSignals(False)
        self._show(config)

    def _show(self, config: ChannelConfig) -> None:
        self.name_edit.setText(config.name)
        self.url_edit.clear()
        masked = self._masked.get(config.channel_id, "") if self._editing else ""
        self.url_edit.setPlaceholderText(
            self.tr("Saved: {0} (type a new URL to replace it)").format(masked) if masked
            else self.tr("ntfy://ntfy.sh/your-topic")
        )
        for kind, check in self.kind_checks.items():
            check.setChecked(kind in config.kinds)
        self.all_accounts_check.setChecked(config.accounts is None)
        self.account_list.clear()
        for name in sorted(set(self._accounts) | set(config.accounts or ())):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = config.accounts is not None and name in config.accounts
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.account_list.addItem(item)
        self.account_list.setEnabled(config.accounts is not None)
        quiet = config.quiet_hours
        self.quiet_check.setChecked(quiet is not None)
        if quiet is not None:
            self.quiet_start_edit.setTime(QTime(quiet.start.hour, quiet.start.minute))
            self.quiet_end_edit.setTime(QTime(quiet.end.hour, quiet.end.minute))
        self.remove_button.setEnabled(self._editing is not None)
        self.keychain_panel.setVisible(False)
        self.message_label.clear()
        self.test_result_label.clear()
        self._testing = None
        self.test_button.setEnabled(True)

    def form_config(self) -> ChannelConfig:
        """The channel as the form shows it (not yet validated)."""
        kinds = frozenset(k for k, check in self.kind_checks.items() if check.isChecked())
        accounts = None
        if not self.all_accounts_check.isChecked():
            items = (self.account_list.item(i) for i in range(self.account_list.count()))
            accounts = frozenset(i.text() for i in items if i.checkState() == Qt.CheckState.Checked)
        quiet = None
        if self.quiet_check.isChecked():
            start, end = self.quiet_start_edit.time(), self.quiet_end_edit.time()
            quiet = QuietHours(clock_time(start.hour(), start.minute()), clock_time(end.hour(), end.minute()))
        return ChannelConfig(self._editing or self._draft_id, self.name_edit.text().strip(), kinds, accounts, quiet)

    def save_channel(self) -> bool:
        """Save the form's channel, its URL to the keychain; without one, offer "Use for this run only"."""
        config = self.form_config()
        try:
            self._store.save(config, self.url_edit.text())
        except ValueError as exc:
            self._say(str(exc), ERROR)
            return False
        except SecretStoreError as exc:
            why = self._store.why_no_keychain
            self.keychain_label.setText(why or str(exc))
            self.keychain_panel.setVisible(why is not None)
            self._say(self.tr("Not saved.") if why else str(exc), ERROR)
            return False
        self._saved(config, self.tr("Channel saved; its URL is in the keychain."))
        return True

    def use_for_this_run_only(self) -> bool:
        config = self.form_config()
        try:
            self._store.save_for_this_run(config, self.url_edit.text())
        except (ValueError, SecretStoreError) as exc:
            self._say(str(exc), ERROR)
            return False
        self._saved(config, self.tr("Channel saved; its URL is kept until MarginWatch exits."))
        return True

    def _saved(self, config: ChannelConfig, message: str) -> None:
        self._editing = config.channel_id
        self.reload()
        self._say(message, OK)
        self.channels_changed.emit()

    def remove_channel(self, channel_id: str) -> bool:
        """Forget the channel and delete its URL from the keychain."""
        try:
            removed = self._store.remove(channel_id)
        except SecretStoreError as exc:
            self._say(str(exc), ERROR)
            return False
        if self._editing == channel_id:
            self._editing = None
        self.reload()
        if removed:
            self.channels_changed.emit()
        return removed

    def send_test(self) -> bool:
        """Ask the container to send a test to the form's URL, else the saved one; False when there is none."""
        url = self.url_edit.text().strip()
        if not url and self._editing is None:
            self._say(self.tr("Enter the channel's URL first."), ERROR)
            return False
        self._testing = self._editing or self._draft_id
        self.test_button.setEnabled(False)
        self.test_result_label.setStyleSheet("")
        self.test_result_label.setText(self.tr("Sending a test…"))
        self.test_requested.emit(self._testing, url)
        return True

    def test_result_text(self) -> str:
        return self.test_result_label.text()

    # -- helpers --------------------------------------------------------------------------------
    def _paint_item(self, item: QListWidgetItem) -> None:
        cid = str(item.data(_ID))
        config = self._store.settings.channel(cid)
        name = config.name if config else cid
        masked = self._masked.get(cid) or self.tr("no URL saved")
        text = f"{name}\n{masked}"  # two lines: a long URL must not push the state out of sight
        if self._store.is_run_only(cid):
            text += " " + self.tr("(this run only)")
        if cid in self._failing:
            why = self._failing[cid]
            text += "\n" + (self.tr("failing: {0}").format(why) if why else self.tr("failing"))
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        else:
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton))
        item.setToolTip(text)
        item.setText(text)

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.edit_channel(str(current.data(_ID)))

    def _say(self, text: str, style: str) -> None:
        self.message_label.setStyleSheet(style)
        self.message_label.setText(text)

    def _confirm_remove(self) -> None:
        if self._editing is None:
            return
        channel_id = self._editing
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Remove channel"),
            self.tr("Remove this channel and delete its URL from the keychain?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window(),
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.remove_channel(channel_id))
        box.open()

