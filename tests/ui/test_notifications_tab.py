"""Settings → Notifications in the real settings dialog (offscreen), on ini settings and a file keyring:
channels added, edited and removed through the form; the URL masked once saved and nowhere but the
keychain; "Send test" against loopback receivers, the outcome said in words."""

from __future__ import annotations

import asyncio
import logging
from datetime import time
from pathlib import Path

import pytest
import qasync
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from marginwatch.services.channel_manager import ChannelManager
from marginwatch.services.channel_settings import ChannelConfig
from marginwatch.services.channel_store import CHANNEL_SERVICE, ChannelStore
from marginwatch.services.forward_channel import ForwardKind, QuietHours
from marginwatch.services.forwarding import Forwarder
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Settings
from marginwatch.ui.notifications_tab import NotificationsTab
from marginwatch.ui.settings_dialog import SettingsDialog
from tests.forward_servers import LoopbackReceiver, free_port

TOKEN = "tk_TabToken8c1f"


def _dialog(qtbot: QtBot, settings: Settings, secrets: SecretStore) -> tuple[SettingsDialog, NotificationsTab]:
    dialog = SettingsDialog(settings, secrets)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.notifications)
    return dialog, dialog.notifications


def test_add_edit_and_remove_a_channel_with_its_url_masked_once_saved(
    qtbot: QtBot, settings: Settings, ini: Path, keyring_file: PlaintextKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.save_account(AccountConfig("Main", "mainnet", "hmac", "KEYmain123"))
    settings.save_account(AccountConfig("Sub", "mainnet", "hmac", "KEYsub456"))
    dialog, tab = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    assert dialog.tabs.tabText(dialog.tabs.indexOf(tab)) == "Notifications"
    changed: list[None] = []
    tab.channels_changed.connect(lambda: changed.append(None))

    url = f"ntfy://{TOKEN}@127.0.0.1:8080/night-topic"
    tab.new_channel()
    tab.name_edit.setText("Phone")
    tab.url_edit.setText(url)
    tab.kind_checks[ForwardKind.WARNING].setChecked(False)
    tab.kind_checks[ForwardKind.DAILY_SUMMARY].setChecked(False)
    tab.all_accounts_check.setChecked(False)
    tab.account_list.item(0).setCheckState(Qt.CheckState.Checked)  # Main
    tab.quiet_check.setChecked(True)
    tab.quiet_start_edit.setTime(QTime(22, 30))
    tab.quiet_end_edit.setTime(QTime(6, 45))
    assert tab.save_channel(), tab.message_label.text()

    [saved] = settings.channels()
    assert saved == ChannelConfig(saved.channel_id, "Phone",
                                  frozenset({ForwardKind.MARGIN_CALL, ForwardKind.DANGER, ForwardKind.HEALTH}),
                                  frozenset({"Main"}), QuietHours(time(22, 30), time(6, 45)))
    assert keyring_file.get_password(CHANNEL_SERVICE, saved.channel_id) == url
    assert changed == [None]
    # Once saved the field is empty; the placeholder and the list show the masked URL only.
    assert tab.url_edit.text() == ""
    assert tab.url_edit.placeholderText().startswith("Saved: ntfy://****@127.0.0.1:8080/…")
    assert tab.channel_list.item(0).text() == "Phone\nntfy://****@127.0.0.1:8080/…"

    # Edit without a new URL: the keychain copy stays.
    tab.edit_channel(saved.channel_id)
    tab.name_edit.setText("Phone (night)")
    tab.all_accounts_check.setChecked(True)
    assert tab.save_channel()
    assert settings.channel(saved.channel_id) == ChannelConfig(
        saved.channel_id, "Phone (night)", saved.kinds, None, saved.quiet_hours)
    assert keyring_file.get_password(CHANNEL_SERVICE, saved.channel_id) == url

    assert tab.remove_channel(saved.channel_id)
    assert settings.channels() == [] and tab.channel_ids() == []
    assert keyring_file.get_password(CHANNEL_SERVICE, saved.channel_id) is None
    text = ini.read_text(encoding="utf-8")
    assert "Phone (night)" not in text and "KEYmain123" in text  # the ini scanned is the one written
    # pytest also hooks the non-propagating `apprise` logger, whose raw lines the app never passes on.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("apprise")]
    assert any("channel" in line for line in logged)  # something was logged to scan
    for part in (TOKEN, "night-topic"):
        assert not any(part in line for line in logged)


def test_a_channel_is_refused_in_words_when_it_takes_nothing(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    _, tab = _dialog(qtbot, settings, SecretStore(backend=keyring_file, allow_insecure=True))
    tab.new_channel()
    tab.name_edit.setText("Phone")
    tab.url_edit.setText("ntfy://127.0.0.1:8080/t")
    for check in tab.kind_checks.values():
        check.setChecked(False)
    assert not tab.save_channel()
    assert tab.message_label.text() == "Choose at least one kind of alert for the channel."
    assert settings.channels() == []


def test_without_a_keychain_the_tab_offers_this_run_only(qtbot: QtBot, settings: Settings, ini: Path) -> None:
    store = ChannelStore(settings, SecretStore(backend=fail.Keyring()))
    tab = NotificationsTab(store)
    qtbot.addWidget(tab)
    tab.show()
    tab.reload([])
    tab.name_edit.setText("Phone")
    tab.url_edit.setText(f"ntfy://{TOKEN}@127.0.0.1:8080/t")
    assert not tab.save_channel()
    assert tab.keychain_panel.isVisible() and "No system keychain" in tab.keychain_label.text()
    tab.run_only_button.click()
    [saved] = settings.channels()
    assert store.is_run_only(saved.channel_id)
    assert "(this run only)" in tab.channel_list.item(0).text()
    assert TOKEN not in ini.read_text(encoding="utf-8")


def test_a_failing_channel_is_marked_with_its_reason(
    qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    store = ChannelStore(settings, SecretStore(backend=keyring_file, allow_insecure=True))
    store.save(ChannelConfig("a1b2c3d4", "Phone"), "ntfy://127.0.0.1:8080/t")
    tab = NotificationsTab(store)
    qtbot.addWidget(tab)
    tab.reload([])
    tab.set_failing({"a1b2c3d4": "connection refused"})
    assert tab.channel_list.item(0).text().endswith("\nfailing: connection refused")
    tab.set_failing({})
    assert "failing" not in tab.channel_list.item(0).text()


def _send_test_in_loop(qapp: QApplication, tab: NotificationsTab, manager: ChannelManager,
                       server: LoopbackReceiver | None) -> tuple[str, str]:
    """Click "Send test" as the container answers it; (text right after the click, text at the end)."""
    tasks: list[asyncio.Task[None]] = []

    async def answer(channel_id: str, url: str) -> None:
        tab.show_test_outcome(channel_id, await manager.send_test(channel_id, url))

    async def scenario() -> tuple[str, str]:
        if server is not None:
            await server.start()
        loop = asyncio.get_running_loop()
        tab.test_requested.connect(lambda cid, url: tasks.append(loop.create_task(answer(cid, url))))
        tab.test_button.click()
        during = tab.test_result_text()  # the click returned before anything was sent
        assert server is None or server.requests_seen == 0
        assert not tab.test_button.isEnabled()
        await asyncio.wait_for(tasks[0], 15)
        if server is not None:
            await server.stop()
        return during, tab.test_result_text()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        return runner.run(scenario())


def test_send_test_to_a_saved_channel_says_delivered_and_the_receiver_has_it(
    qapp: QApplication, qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    server = LoopbackReceiver()
    store = ChannelStore(settings, SecretStore(backend=keyring_file, allow_insecure=True))
    store.save(ChannelConfig("a1b2c3d4", "Phone"), server.url(path="phone"))
    manager = ChannelManager(store, Forwarder())
    tab = NotificationsTab(store)
    qtbot.addWidget(tab)
    tab.reload([])
    tab.edit_channel("a1b2c3d4")
    during, after = _send_test_in_loop(qapp, tab, manager, server)
    assert during == "Sending a test…"
    assert after.startswith("Delivered (") and tab.test_button.isEnabled()
    assert [(m.topic, m.title) for m in server.received] == [("phone", "MarginWatch test notification")]


@pytest.mark.parametrize(("statuses", "reason"), [([401], "HTTP 401 (unauthorized)"), (None, "connection refused")])
def test_send_test_names_why_it_was_not_delivered(
    qapp: QApplication, qtbot: QtBot, settings: Settings, keyring_file: PlaintextKeyring,
    statuses: list[int] | None, reason: str,
) -> None:
    server = LoopbackReceiver(statuses=statuses) if statuses is not None else None
    port = server.port if server is not None else free_port()  # nothing listens on a free port
    store = ChannelStore(settings, SecretStore(backend=keyring_file, allow_insecure=True))
    manager = ChannelManager(store, Forwarder())
    tab = NotificationsTab(store)
    qtbot.addWidget(tab)
    tab.reload([])
    tab.new_channel()  # an unsaved channel: the URL typed in the form is tested
    tab.url_edit.setText(f"ntfy://{TOKEN}@127.0.0.1:{port}/topic")
    _, after = _send_test_in_loop(qapp, tab, manager, server)
    assert after == f"Not delivered: {reason}."
    assert TOKEN not in after
