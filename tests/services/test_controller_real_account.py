"""A configured account (not the demo): settings + secret from a real keyring backend + the exchange.

The "exchange" is the simulator on loopback, reached as a custom environment exactly as a testnet
or mainnet account would be: signed REST, listenKey, routed streams.
"""

from __future__ import annotations

import asyncio
import socket
import stat
from pathlib import Path

import qasync
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QSettings

from marginwatch.app import parse_args
from marginwatch.controller import AppController
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.services.alert import AlertKind
from marginwatch.services.channel_settings import ChannelConfig
from marginwatch.services.channel_store import ChannelStore
from marginwatch.services.journal import Journal, RowKind
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Settings
from marginwatch.ui.main_window import MainWindow
from tests.forward_servers import LoopbackReceiver
from tests.ui.shown_text import event_log_lines

CHANNEL_TOKEN = "tk_FullSession0d5e"
DEMO = ["Demo", "Demo · COIN-M", "Demo MEXC"]  # the demo scenario: USDⓈ-M, COIN-M and MEXC


def test_configured_account_is_followed_with_its_keychain_secret(
    qapp, qtbot, tmp_path: Path, caplog, capfd
) -> None:
    caplog.set_level("DEBUG")
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring.cfg")
    secrets = SecretStore(backend=kr, allow_insecure=True)  # a real file backend, tests only
    secrets.save("Main", DEMO_API_SECRET)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    phone = LoopbackReceiver()
    # A forwarding channel's URL is a secret too: it must end the session only in the keychain.
    ChannelStore(settings, secrets).save(ChannelConfig("a1b2c3d4", "Phone"),
                                         f"ntfy://{CHANNEL_TOKEN}@127.0.0.1:{phone.port}/phone")

    async def scenario() -> None:
        await phone.start()
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            settings.save_account(AccountConfig(
                name="Main", environment="custom", key_type="hmac", api_key=DEMO_API_KEY,
                rest_url=sim.base_url, ws_url=sim.ws_url,
            ))
            controller = AppController(
                qapp, window, parse_args([]), settings=settings,
                journal=Journal.open(tmp_path / "j.sqlite3"), secrets=secrets,
            )
            loop = asyncio.get_running_loop()
            got = loop.create_future()
            controller.alert_delivered.connect(
                lambda a, _ch: got.done() or a.kind is not AlertKind.MARGIN_CALL or got.set_result(a)
            )
            run = loop.create_task(controller.run())
            account = None
            for _ in range(200):  # wait for the account service to exist and be live
                account = controller.accounts.get("Main")
                if account is not None and all(
                    h.state is StreamState.LIVE for h in account.session.health.values()
                ):
                    break
                await asyncio.sleep(0.02)  # polling another component's state, bounded
            assert account is not None and account.session.ready.is_set()
            assert not window.demo_banner.isVisibleTo(window)
            sim.engine.emit_margin_call("SOLUSDT")
            alert = await asyncio.wait_for(got, 10)
            assert alert.title.startswith("Margin call on Main")
            await phone.wait_for(1)
            controller.request_quit()
            assert await asyncio.wait_for(run, 10) == 0
        await phone.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
    # After a whole session the secret is nowhere but the keychain: not in settings, the journal,
    # the logs or anything printed.
    settings.sync()
    out, err = capfd.readouterr()
    places = {
        "settings": (tmp_path / "settings.ini").read_bytes(),
        "journal": b"".join(p.read_bytes() for p in tmp_path.glob("j.sqlite3*")),
        "logs": caplog.text.encode(),
        "output": (out + err).encode(),
    }
    assert places["journal"] and places["logs"]  # there was something to scan
    assert any(m.title.startswith("Margin call on Main") for m in phone.received)
    # pytest also hooks the non-propagating `apprise` logger, whose raw lines the app never passes on.
    places["logs"] = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("apprise")).encode()
    for name, data in places.items():
        assert DEMO_API_SECRET.encode() not in data, f"secret found in {name}"
        assert CHANNEL_TOKEN.encode() not in data, f"channel URL found in {name}"
    # And what holds the API key or the account's history is readable by this user alone.
    for path in [tmp_path / "settings.ini", *tmp_path.glob("j.sqlite3*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is {oct(path.stat().st_mode)}"


def test_a_journalled_text_echoing_the_account_key_or_secret_stores_them_masked(qapp, qtbot, tmp_path: Path) -> None:
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring.cfg")
    secrets = SecretStore(backend=kr, allow_insecure=True)
    secrets.save("Main", DEMO_API_SECRET)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    journal = Journal.open(tmp_path / "j.sqlite3")
    echo = f"the exchange answered 401 for {DEMO_API_KEY} signed with {DEMO_API_SECRET}"

    async def scenario() -> None:
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            settings.save_account(AccountConfig(
                name="Main", environment="custom", key_type="hmac", api_key=DEMO_API_KEY,
                rest_url=sim.base_url, ws_url=sim.ws_url,
            ))
            controller = AppController(qapp, window, parse_args([]), settings=settings, journal=journal,
                                       secrets=secrets)
            run = asyncio.get_running_loop().create_task(controller.run())
            await asyncio.wait_for(_wait_signal(controller.started), 10)
            account = controller.accounts["Main"]
            # A stream's failure text that quotes the key and secret, as some errors do; the journal
            # stores every health change the account service reports.
            account.health_changed.emit("Main", StreamHealth("rest", StreamState.FAILED, echo))
            controller.request_quit()
            assert await asyncio.wait_for(run, 10) == 0

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
    with Journal.open(tmp_path / "j.sqlite3") as j:
        reasons = [r.data["reason"] for r in j.query(kind=RowKind.CONNECTION) if r.data["state"] == "failed"]
    assert reasons == ["the exchange answered 401 for *** signed with ***"]
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("j.sqlite3*"))
    assert DEMO_API_KEY.encode() not in stored and DEMO_API_SECRET.encode() not in stored


def test_account_without_a_secret_says_so_and_does_not_start(qapp, qtbot, tmp_path: Path) -> None:
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring.cfg")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.save_account(AccountConfig(name="Main", environment="mainnet", key_type="hmac", api_key="abcd1234"))
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(
        qapp, window, parse_args([]), settings=settings, journal=Journal.open(tmp_path / "j.sqlite3"),
        secrets=SecretStore(backend=kr, allow_insecure=True),
    )

    async def scenario() -> None:
        run = asyncio.get_running_loop().create_task(controller.run())
        await asyncio.sleep(0)  # let run() start the accounts (nothing to wait for: no network)
        for _ in range(50):
            if any("no secret" in line for line in event_log_lines(window.event_log)):
                break
            await asyncio.sleep(0.02)
        assert "Main" not in controller.accounts
        assert any("no secret in the keychain" in line for line in event_log_lines(window.event_log))
        controller.request_quit()
        await asyncio.wait_for(run, 10)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())


def test_adding_an_account_replaces_the_demo_and_removing_it_brings_the_demo_back(
    qapp, qtbot, tmp_path: Path
) -> None:
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring.cfg")
    secrets = SecretStore(backend=kr, allow_insecure=True)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(
        qapp, window, parse_args([]), settings=settings, journal=Journal.open(tmp_path / "j.sqlite3"),
        secrets=secrets,
    )

    async def scenario() -> None:
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            run = asyncio.get_running_loop().create_task(controller.run())
            await asyncio.wait_for(_wait_signal(controller.started), 10)
            assert list(controller.accounts) == DEMO and window.demo_banner.isVisibleTo(window)
            secrets.save("Main", DEMO_API_SECRET)
            settings.save_account(AccountConfig(
                name="Main", environment="custom", key_type="hmac", api_key=DEMO_API_KEY,
                rest_url=sim.base_url, ws_url=sim.ws_url,
            ))
            await controller.registry.sync({"Main"})
            assert list(controller.accounts) == ["Main"]
            assert not window.demo_banner.isVisibleTo(window)
            assert all(k[0] == "Main" for k in _model_accounts(window))
            settings.remove_account("Main")
            await controller.registry.sync()
            assert list(controller.accounts) == DEMO and window.demo_banner.isVisibleTo(window)
            controller.request_quit()
            await asyncio.wait_for(run, 10)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())


async def _wait_signal(signal) -> None:
    fut = asyncio.get_running_loop().create_future()
    signal.connect(lambda *a: fut.done() or fut.set_result(None))
    await fut


def _model_accounts(window: MainWindow) -> list[tuple[str, ...]]:
    model = window.positions_model
    return [model.key_at(r) for r in range(model.rowCount())]


def test_a_removed_account_whose_stream_is_down_raises_no_stream_down_alert_later(
    qapp, qtbot, tmp_path: Path
) -> None:
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring.cfg")
    secrets = SecretStore(backend=kr, allow_insecure=True)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    with socket.socket() as s:  # a port nobody listens on: every connect is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name in ("Gone", "Kept"):
        secrets.save(name, DEMO_API_SECRET)
        settings.save_account(AccountConfig(
            name=name, environment="custom", key_type="hmac", api_key=DEMO_API_KEY,
            rest_url=f"http://127.0.0.1:{port}", ws_url=f"ws://127.0.0.1:{port}",
        ))
    now = [0.0]
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(
        qapp, window, parse_args([]), settings=settings, journal=Journal.open(tmp_path / "j.sqlite3"),
        secrets=secrets, clock=lambda: now[0],
    )
    raised: list = []
    controller.alerts.alert_raised.connect(raised.append)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        down = {name: loop.create_future() for name in ("Gone", "Kept")}

        def on_added(svc) -> None:
            svc.health_changed.connect(
                lambda name, h: down[name].done()
                or h.state in (StreamState.LIVE, StreamState.STOPPED)
                or down[name].set_result(h)
            )

        controller.registry.account_added.connect(on_added)
        run = loop.create_task(controller.run())
        await asyncio.wait_for(asyncio.gather(*down.values()), 10)  # both count as down from t = 0
        secrets.delete("Gone")
        settings.remove_account("Gone")
        await controller.registry.sync()
        assert list(controller.accounts) == ["Kept"]
        now[0] = 61.0  # past the 60 s stream-down delay
        first = loop.create_future()
        controller.alerts.alert_raised.connect(lambda a: first.done() or first.set_result(a))
        await asyncio.wait_for(first, 10)  # the next poll, within a second
        controller.request_quit()
        await asyncio.wait_for(run, 10)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
    down_alerts = [a for a in raised if a.kind is AlertKind.STREAM_DOWN]
    assert down_alerts and {a.account for a in down_alerts} == {"Kept"}
