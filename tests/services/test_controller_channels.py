"""The whole app in-process with channels saved in Settings → Notifications (ini settings, file
keyring): a margin call from the simulator (calm, so it never clears by itself) reaches a saved
channel and a `--forward` one, a channel saved while running is used at once, acknowledging from
the event log or History stops the repeats, a channel that keeps failing is shown in the status bar
and tray, and no channel URL is left anywhere but the keychain."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import qasync
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from marginwatch.app_args import parse_args
from marginwatch.controller import AppController
from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.services.alert import sample_alert
from marginwatch.services.channel_settings import ChannelConfig
from marginwatch.services.channel_store import ChannelStore
from marginwatch.services.forward_channel import ForwardKind
from marginwatch.services.journal import Journal
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Settings
from marginwatch.ui.main_window import MainWindow
from tests.forward_servers import LoopbackReceiver, free_port

TOKEN = "tk_SavedChannel5e9a"
LATE_TOKEN = "tk_LateChannel77b0"
CLI_TOKEN = "tk_CommandLine31c4"


def _controller(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, kr: PlaintextKeyring, argv: list[str],
    settings: Settings | None = None,
) -> AppController:
    settings = settings or Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    return AppController(qapp, window, parse_args(argv), settings=settings,
                         journal=Journal.open(tmp_path / "j.sqlite3"),
                         secrets=SecretStore(backend=kr, allow_insecure=True))


def _when(signal: Any, ready: Callable[..., bool]) -> asyncio.Future[None]:
    """A future the signal resolves the first time `ready(*args)` holds."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    signal.connect(lambda *args: fut.done() or not ready(*args) or fut.set_result(None))
    return fut


def _run(qapp: QApplication, scenario: Callable[[], Any]) -> None:
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())


async def _margin_call_once_live(controller: AppController, sim: SimulatedExchange) -> None:
    """Once Main's streams are all live, the simulator sends it a MARGIN_CALL."""
    svc = controller.accounts["Main"]

    def live(*_args: object) -> bool:
        health = svc.health
        return "user" in health and all(h.state is StreamState.LIVE for h in health.values())

    if not live():
        await asyncio.wait_for(_when(svc.health_changed, live), 15)
    sim.engine.emit_margin_call("SOLUSDT")


def _with_account(settings: Settings, kr: PlaintextKeyring, sim: SimulatedExchange) -> None:
    SecretStore(backend=kr, allow_insecure=True).save("Main", DEMO_API_SECRET)
    settings.save_account(AccountConfig(name="Main", environment="custom", key_type="hmac", api_key=DEMO_API_KEY,
                                        rest_url=sim.base_url, ws_url=sim.ws_url))


def test_a_saved_channel_gets_a_margin_call_and_acknowledging_it_in_the_event_log_stops_the_repeats(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, keyring_file: PlaintextKeyring,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    phone, late, cli = LoopbackReceiver(), LoopbackReceiver(), LoopbackReceiver()
    monkeypatch.setenv("MW_TEST_NTFY", f"ntfy://{CLI_TOKEN}@127.0.0.1:{cli.port}/cli")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    ChannelStore(settings, SecretStore(backend=keyring_file, allow_insecure=True)).save(
        ChannelConfig("a1b2c3d4", "Phone", frozenset({ForwardKind.MARGIN_CALL})),
        f"ntfy://{TOKEN}@127.0.0.1:{phone.port}/phone",
    )
    gate = asyncio.Event()  # the repeats' wait (5 minutes in the app) ends when the test says so

    async def repeat_sleep(_s: float) -> None:
        await gate.wait()

    mc_key: list[str] = []

    async def scenario() -> None:
        for server in (phone, late, cli):
            await server.start()
        # calm: nothing nears liquidation, so the margin call below never clears by itself
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            _with_account(settings, keyring_file, sim)
            controller = _controller(qapp, qtbot, tmp_path, keyring_file, ["--forward", "env:MW_TEST_NTFY"],
                                     settings=settings)
            controller.forwarder._repeat_sleep = repeat_sleep  # the Forwarder's own injection point
            loop = asyncio.get_running_loop()
            sent_to_phone = _when(controller.forwarder.delivery_changed,
                                  lambda key, ch, state, _w: key.startswith("mc:") and state == "sent"
                                  and ch.startswith("Phone") and not mc_key.append(key))
            run = loop.create_task(controller.run())
            await asyncio.wait_for(_when(controller.started, lambda: True), 15)
            await _margin_call_once_live(controller, sim)
            await asyncio.wait_for(sent_to_phone, 15)
            await cli.wait_for(1)
            key = mc_key[0]
            assert key in controller.forwarder.escalating()

            log = controller.window.event_log
            row = next(i for i in range(len(log)) if log.entry_key(i) == key)
            assert log.acknowledge_row(row)
            assert key not in controller.forwarder.escalating()
            assert all(log.entry_key(i) != key for i in range(len(log)))
            gate.set()  # a repeat still waiting would now be sent at once
            await controller.forwarder.drain(repeats=True)

            # A channel saved while running is forwarded to from then on (here: the stop notice).
            controller.channel_store.save(ChannelConfig("e5f6a7b8", "Late"),
                                          f"ntfy://{LATE_TOKEN}@127.0.0.1:{late.port}/late")
            assert [c.label for c in controller.forwarder.channels] == ["Phone", "Late", ""]
            controller.request_quit()
            assert await asyncio.wait_for(run, 10) == 0
            events = [text for _t, _k, text in controller.window.event_log.entries()]
        for server in (phone, late, cli):
            await server.stop()
        assert any("Acknowledged" in text for text in events)

    _run(qapp, scenario)
    calls = [m for m in phone.received if m.title.startswith("Margin call on Main")]
    assert len(calls) == 1 and calls[0].priority == 5 and calls[0].topic == "phone"
    # The phone channel takes margin calls only: everything else it got is the stop notice.
    assert all(m.title.startswith("Margin call") or "stopped monitoring" in m.title for m in phone.received)
    assert len([m for m in cli.received if m.title.startswith("Margin call on Main")]) == 1
    assert [m.topic for m in late.received] == ["late"] and "stopped monitoring" in late.received[0].title
    with Journal.open(tmp_path / "j.sqlite3") as j:
        states = {r["channel"].split("#")[0]: r["state"] for r in j.deliveries(mc_key[0])}
    assert states["ntfy://****@127.0.0.1:" + str(phone.port) + "/…"] == "acknowledged"

    # After the session no channel URL's token is anywhere but the keychain.
    out, err = capfd.readouterr()
    places = {
        "settings": (tmp_path / "settings.ini").read_bytes(),
        "journal": b"".join(p.read_bytes() for p in tmp_path.glob("j.sqlite3*")),
        # pytest also hooks the non-propagating `apprise` logger, whose raw lines the app never passes on.
        "logs": "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("apprise")).encode(),
        "output": (out + err).encode(),
    }
    assert b"Phone" in places["settings"] and places["journal"] and places["logs"]
    for name, data in places.items():
        for token in (TOKEN, LATE_TOKEN, CLI_TOKEN):
            assert token.encode() not in data, f"{token} found in {name}"


def test_a_saved_channel_that_keeps_failing_is_shown_until_it_is_removed(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, keyring_file: PlaintextKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    controller = _controller(qapp, qtbot, tmp_path, keyring_file, ["--demo", "--speed", "1"])

    async def short_backoff(_s: float) -> None:
        await asyncio.sleep(0.01)  # the app waits 2 s, 4 s, …; the test need not

    controller.forwarder._sleep = short_backoff  # the Forwarder's own injection point

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        run = loop.create_task(controller.run())
        await asyncio.wait_for(_when(controller.started, lambda: True), 20)
        failing = _when(controller.forward_channels.failing_changed,
                        lambda: bool(controller.forward_channels.failing()))
        controller.channel_store.save(ChannelConfig("a1b2c3d4", "Phone"),
                                      f"ntfy://127.0.0.1:{free_port()}/phone")  # nothing listens
        controller._deliver(sample_alert())
        await asyncio.wait_for(failing, 20)
        status = controller.window.forwarding_status
        assert status.startswith("Forwarding failing — Phone (ntfy://127.0.0.1:") and "connection refused" in status
        assert status in controller.tray.tooltip
        controller.open_settings()
        dialog = controller._settings_dialog
        assert dialog is not None and "failing: connection refused" in dialog.notifications.channel_list.item(0).text()

        assert controller.channel_store.remove("a1b2c3d4")
        assert controller.window.forwarding_status == "" and "failing" not in controller.tray.tooltip
        await asyncio.wait_for(controller.forwarder.drain(), 5)  # its retries stop: the channel is gone
        controller.request_quit()
        assert await asyncio.wait_for(run, 10) == 0

    _run(qapp, scenario)
    with Journal.open(tmp_path / "j.sqlite3") as j:
        assert [r["reason"] for r in j.deliveries() if r["dedupe_key"].startswith("test:")] == ["channel removed"]


def test_acknowledging_a_repeating_margin_call_from_history_stops_its_repeats(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, keyring_file: PlaintextKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    phone = LoopbackReceiver()
    monkeypatch.setenv("MW_TEST_NTFY", phone.url(path="phone"))
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    gate = asyncio.Event()

    async def repeat_sleep(_s: float) -> None:
        await gate.wait()

    mc_key: list[str] = []

    async def scenario() -> None:
        await phone.start()
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            _with_account(settings, keyring_file, sim)
            controller = _controller(qapp, qtbot, tmp_path, keyring_file, ["--forward", "env:MW_TEST_NTFY"],
                                     settings=settings)
            controller.forwarder._repeat_sleep = repeat_sleep
            sent = _when(controller.forwarder.delivery_changed,
                         lambda key, _ch, state, _w: key.startswith("mc:") and state == "sent"
                         and not mc_key.append(key))
            run = asyncio.get_running_loop().create_task(controller.run())
            await asyncio.wait_for(_when(controller.started, lambda: True), 15)
            await _margin_call_once_live(controller, sim)
            await asyncio.wait_for(sent, 15)
            controller.open_history()
            history = controller._history_dialog
            assert history is not None
            row = next(i for i, r in enumerate(history.rows()) if r.data.get("dedupe_key") == mc_key[0])
            history.table.selectRow(row)
            assert history.acknowledge_button.isEnabled()
            history.acknowledge_button.click()
            assert mc_key[0] not in controller.forwarder.escalating()
            gate.set()
            await controller.forwarder.drain(repeats=True)
            controller.request_quit()
            assert await asyncio.wait_for(run, 10) == 0
        await phone.stop()

    _run(qapp, scenario)
    titles = [m.title for m in phone.received]
    assert len([t for t in titles if t.startswith("Margin call on Main")]) == 1
    # (The book starts with a danger alert, not acknowledged here: its repeats may well be sent.)
    assert not any(t.startswith("[repeat") and "Margin call" in t for t in titles)
