"""Saved forwarding channels through real ini settings and a real file keyring: what round-trips,
where the URL lives (the keychain only), and how a hand-spoiled entry reads."""

from __future__ import annotations

import logging
from datetime import time
from pathlib import Path

import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QSettings

from marginwatch.services.channel_settings import ALL_KINDS, MAX_CHANNELS, ChannelConfig
from marginwatch.services.channel_store import CHANNEL_SERVICE, ChannelStore, SecretStoreError, merged
from marginwatch.services.forward_channel import Channel, ForwardKind, QuietHours
from marginwatch.services.secret_store import SERVICE, SecretStore
from marginwatch.services.settings import AccountConfig, Settings

URL = "ntfy://tk_SecretToken4242@127.0.0.1:8080/phone-topic-77"
URL_2 = "json://user:Pa55word9@127.0.0.1:9000/hook"
NIGHT = QuietHours(time(23, 0), time(7, 0))


def _store(settings: Settings, kr: PlaintextKeyring) -> ChannelStore:
    return ChannelStore(settings, SecretStore(backend=kr, allow_insecure=True))


def test_a_channel_round_trips_through_the_ini_file_and_its_url_only_through_the_keychain(
    settings: Settings, ini: Path, keyring_file: PlaintextKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = ChannelConfig("a1b2c3d4", "Phone", frozenset({ForwardKind.MARGIN_CALL, ForwardKind.DANGER}),
                           frozenset({"Main", "Sub, 2"}), NIGHT)
    _store(settings, keyring_file).save(config, URL)

    reread = Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    store = _store(reread, keyring_file)
    assert reread.channels() == [config] and reread.problems == []
    assert keyring_file.get_password(CHANNEL_SERVICE, "a1b2c3d4") == URL
    assert keyring_file.get_password(SERVICE, "a1b2c3d4") is None  # not among the account secrets
    channels, problems = store.channels()
    assert problems == []
    assert channels == [Channel(URL, config.kinds, config.accounts, NIGHT, label="Phone", channel_id="a1b2c3d4")]
    assert channels[0].name == "Phone (ntfy://****@127.0.0.1:8080/…)"
    text = ini.read_text(encoding="utf-8")
    assert "Phone" in text and "23:00-07:00" in text  # the scan below reads the right file
    # pytest also hooks the non-propagating `apprise` logger, whose raw lines the app never passes on.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("apprise"))
    assert "a1b2c3d4" in logged  # the save was logged: the scan below has something to read
    for secret in ("tk_SecretToken4242", "phone-topic-77"):
        assert secret not in text and secret not in logged


def test_saving_without_a_url_keeps_the_saved_one_and_a_new_channel_needs_one(
    settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    store = _store(settings, keyring_file)
    with pytest.raises(ValueError, match="needs a URL"):
        store.save(ChannelConfig("a1b2c3d4", "Phone"), "")
    store.save(ChannelConfig("a1b2c3d4", "Phone"), URL)
    store.save(ChannelConfig("a1b2c3d4", "Phone renamed", frozenset({ForwardKind.HEALTH})), None)
    assert store.url("a1b2c3d4") == URL
    assert settings.channels() == [ChannelConfig("a1b2c3d4", "Phone renamed", frozenset({ForwardKind.HEALTH}))]
    store.save(ChannelConfig("a1b2c3d4", "Phone renamed"), URL_2)
    assert store.url("a1b2c3d4") == URL_2


@pytest.mark.parametrize(
    ("config", "url", "words"),
    [
        (ChannelConfig("a1b2c3d4", " "), URL, "needs a name"),
        (ChannelConfig("a1b2c3d4", "Phone", frozenset()), URL, "at least one kind"),
        (ChannelConfig("a1b2c3d4", "Phone", ALL_KINDS, frozenset()), URL, "at least one account"),
        (ChannelConfig("Bad id!", "Phone"), URL, "not usable"),
        (ChannelConfig("a1b2c3d4", "Phone"), "nosuchscheme://x/y", "cannot be used"),
        (ChannelConfig("a1b2c3d4", "Phone"), "ntfy://host/a b", "space"),
    ],
)
def test_an_unusable_channel_is_refused_in_words_and_nothing_is_stored(
    settings: Settings, keyring_file: PlaintextKeyring, config: ChannelConfig, url: str, words: str
) -> None:
    store = _store(settings, keyring_file)
    with pytest.raises(ValueError, match=words):
        store.save(config, url)
    assert settings.channels() == [] and keyring_file.get_password(CHANNEL_SERVICE, config.channel_id) is None


def test_remove_forgets_the_settings_and_the_url(settings: Settings, keyring_file: PlaintextKeyring) -> None:
    store = _store(settings, keyring_file)
    store.save(ChannelConfig("a1b2c3d4", "Phone"), URL)
    store.save(ChannelConfig("e5f6a7b8", "Hook"), URL_2)
    assert store.remove("a1b2c3d4")
    assert [c.channel_id for c in settings.channels()] == ["e5f6a7b8"]
    assert keyring_file.get_password(CHANNEL_SERVICE, "a1b2c3d4") is None
    assert keyring_file.get_password(CHANNEL_SERVICE, "e5f6a7b8") == URL_2
    assert not store.remove("a1b2c3d4")


def test_without_a_keychain_save_refuses_and_this_run_only_keeps_the_url_in_memory(
    settings: Settings, ini: Path
) -> None:
    store = ChannelStore(settings, SecretStore(backend=fail.Keyring()))
    with pytest.raises(SecretStoreError, match="No system keychain"):
        store.save(ChannelConfig("a1b2c3d4", "Phone"), URL)
    assert settings.channels() == []
    store.save_for_this_run(ChannelConfig("a1b2c3d4", "Phone"), URL)
    assert store.is_run_only("a1b2c3d4") and store.url("a1b2c3d4") == URL
    assert [c.url for c in store.channels()[0]] == [URL]
    assert "tk_SecretToken4242" not in ini.read_text(encoding="utf-8")


def test_a_saved_channel_whose_url_is_gone_is_named_as_off(settings: Settings, keyring_file: PlaintextKeyring) -> None:
    store = _store(settings, keyring_file)
    store.save(ChannelConfig("a1b2c3d4", "Phone"), URL)
    keyring_file.delete_password(CHANNEL_SERVICE, "a1b2c3d4")
    channels, problems = store.channels()
    assert channels == [] and problems == [
        "Forwarding to Phone is off: its URL is not in the keychain (enter it again in Settings → Notifications)."
    ]


def test_spoiled_channel_fields_read_as_their_defaults_with_a_warning_each(ini: Path) -> None:
    ini.write_text(
        "[channels]\nsize=4\n"
        "1\\id=a1b2c3d4\n1\\name=Phone\n1\\kinds=margin_call bogus\n1\\accounts=[1, 2]\n1\\quiet_hours=25:00-07:00\n"
        "2\\id=NOT VALID\n2\\name=Skipped\n"
        "3\\id=a1b2c3d4\n3\\name=Twin\n"
        "4\\id=e5f6a7b8\n4\\name=Hook\n4\\kinds=warning, health\n",
        encoding="utf-8",
    )
    settings = Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    assert settings.channels() == [ChannelConfig("a1b2c3d4", "Phone"), ChannelConfig("e5f6a7b8", "Hook")]
    spoiled = ["channels/1/kinds", "channels/1/accounts", "channels/1/quiet_hours", "channels/2/id",
               "channels/3 repeats", "channels/4/kinds"]
    for label in spoiled:
        assert sum(label in p for p in settings.problems) == 1, label
    assert len(settings.problems) == len(spoiled)


def test_a_huge_channels_size_reads_the_first_entries_only(ini: Path) -> None:
    ini.write_text("[channels]\nsize=99999999\n1\\id=a1b2c3d4\n1\\name=Phone\n", encoding="utf-8")
    settings = Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    assert [c.name for c in settings.channels()] == ["Phone"]
    assert any(f"only the first {MAX_CHANNELS} channels" in p for p in settings.problems)


def test_saved_channels_come_first_and_a_command_line_twin_is_dropped() -> None:
    saved = [Channel(URL, label="Phone", channel_id="a1b2c3d4")]
    cli = [Channel(URL), Channel(URL_2)]
    assert [c.url for c in merged(saved, cli)] == [URL, URL_2]
    assert merged(saved, cli)[0].label == "Phone"


def test_renaming_an_account_carries_the_channels_limited_to_it(settings: Settings) -> None:
    settings.save_account(AccountConfig("Main", "mainnet", "hmac", "KEYmain123"))
    settings.save_channel(ChannelConfig("a1b2c3d4", "Phone", accounts=frozenset({"Main", "Sub"})))
    settings.save_channel(ChannelConfig("e5f6a7b8", "Hook"))
    changed: list[str] = []
    settings.changed.connect(changed.append)
    settings.save_account(AccountConfig("Primary", "mainnet", "hmac", "KEYmain123"), replaces="Main")
    assert settings.channel("a1b2c3d4") == ChannelConfig("a1b2c3d4", "Phone", accounts=frozenset({"Primary", "Sub"}))
    assert settings.channel("e5f6a7b8") == ChannelConfig("e5f6a7b8", "Hook")
    assert changed == ["accounts", "channels"]  # the running forwarder re-applies its channels
