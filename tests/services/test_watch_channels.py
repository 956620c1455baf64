"""`marginwatch-cli watch` on the app's accounts forwards to the channels saved in the app as well
as to its --forward ones (real ini settings, a real file keyring, a real Forwarder)."""

from __future__ import annotations

import logging

import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from marginwatch.cli_watch import add_saved_channels
from marginwatch.services.channel_settings import ChannelConfig
from marginwatch.services.channel_store import ChannelStore
from marginwatch.services.forward_channel import ForwardKind
from marginwatch.services.forwarding import Forwarder
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import Settings

SAVED = "ntfy://tk_Saved4242@127.0.0.1:8080/phone"
COMMAND_LINE = "json://127.0.0.1:9000/hook"


def _save(settings: Settings, secrets: SecretStore) -> None:
    ChannelStore(settings, secrets).save(
        ChannelConfig("c0ffee01", "Phone", frozenset({ForwardKind.MARGIN_CALL}), None, None), SAVED)


def test_the_watch_forwards_to_the_saved_channels_as_well_as_the_command_lines(
    settings: Settings, keyring_file: PlaintextKeyring
) -> None:
    secrets = SecretStore(backend=keyring_file, allow_insecure=True)
    _save(settings, secrets)
    forwarder = Forwarder.from_specs([COMMAND_LINE], environ={})
    assert add_saved_channels(forwarder, settings, secrets) == []
    assert [c.url for c in forwarder.channels] == [SAVED, COMMAND_LINE]  # the app's order: saved first
    assert forwarder.channels[0].kinds == frozenset({ForwardKind.MARGIN_CALL})


def test_a_saved_channel_without_a_keychain_on_the_box_is_logged_and_left_out(
    settings: Settings, keyring_file: PlaintextKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    _save(settings, SecretStore(backend=keyring_file, allow_insecure=True))
    forwarder = Forwarder.from_specs([COMMAND_LINE], environ={})
    with caplog.at_level(logging.WARNING, logger="marginwatch"):
        problems = add_saved_channels(forwarder, settings, SecretStore(backend=fail.Keyring()))
    assert [c.url for c in forwarder.channels] == [COMMAND_LINE]
    assert problems and "Phone" in problems[0]
    assert any("Phone" in r.getMessage() for r in caplog.records)
    assert all("tk_Saved4242" not in r.getMessage() for r in caplog.records)
