"""AccountRegistry: which accounts run after each sync, and what it says while they start and stop.

Real parts throughout: settings in an ini file, secrets in keyrings.alt's file keyring, accounts
followed on the simulator over loopback, a qasync loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import qasync
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.services.account_registry import AccountRegistry
from marginwatch.services.account_service import AccountService
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring.cfg")
    return SecretStore(backend=kr, allow_insecure=True)  # a real file backend, tests only


def run_qasync(qapp: QApplication, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(main())


def sim_account(sim: SimulatedExchange, name: str = "Main") -> AccountConfig:
    return AccountConfig(
        name=name, environment="custom", key_type="hmac", api_key=DEMO_API_KEY,
        rest_url=sim.base_url, ws_url=sim.ws_url,
    )


class Heard:
    """Everything a registry says, in order."""

    def __init__(self, registry: AccountRegistry) -> None:
        self.added: list[AccountService] = []
        self.removed: list[str] = []
        self.demo: list[bool] = []
        self.notices: list[str] = []
        registry.account_added.connect(self.added.append)
        registry.account_removed.connect(self.removed.append)
        registry.demo_changed.connect(self.demo.append)
        registry.notice.connect(self.notices.append)


# The demo exchange's USDⓈ-M account and its COIN-M side.
DEMO = ["Demo", "Demo · COIN-M", "Demo MEXC"]  # the demo scenario runs a MEXC account too


def test_the_demo_runs_exactly_while_no_account_is_enabled(qapp, settings, secrets) -> None:
    registry = AccountRegistry(settings, secrets, speed=1)
    heard = Heard(registry)

    async def main() -> None:
        async with SimulatedExchange(scenario="calm") as sim:
            await registry.sync()
            assert list(registry.accounts) == DEMO and registry.demo is not None
            assert [s.name for s in heard.added] == DEMO and heard.demo == [True]
            # The COIN-M side's first snapshot makes its margin-coin pools.
            await asyncio.wait_for(registry.accounts["Demo · COIN-M"].session.ready.wait(), 5)
            secrets.save("Main", DEMO_API_SECRET)
            settings.save_account(sim_account(sim))
            await registry.sync()
            assert list(registry.accounts) == ["Main"] and registry.demo is None
            assert heard.demo == [True, False]
            # Each demo account goes, the COIN-M side's margin-coin pools with it.
            assert sorted(heard.removed) == sorted([*DEMO, "Demo · COIN-M BTC", "Demo · COIN-M ETH"])
            settings.set_account_enabled("Main", False)
            await registry.sync()
            assert list(registry.accounts) == DEMO and heard.removed[-1] == "Main"
            assert heard.demo == [True, False, True]
            await registry.close()

    run_qasync(qapp, main)


def test_demo_only_runs_the_demo_even_with_an_account_enabled(qapp, settings, secrets) -> None:
    secrets.save("Main", DEMO_API_SECRET)
    settings.save_account(AccountConfig("Main", "mainnet", "hmac", "KEY123"))
    registry = AccountRegistry(settings, secrets, demo_only=True)

    async def main() -> None:
        await registry.sync()
        assert list(registry.accounts) == DEMO
        await registry.close()

    run_qasync(qapp, main)


def test_an_unchanged_account_keeps_running_a_changed_or_restarted_one_starts_again(
    qapp, settings, secrets
) -> None:
    secrets.save("Main", DEMO_API_SECRET)
    registry = AccountRegistry(settings, secrets)
    heard = Heard(registry)

    async def main() -> None:
        async with SimulatedExchange(scenario="calm") as sim:
            settings.save_account(sim_account(sim))
            await registry.sync()
            first = registry.accounts["Main"]
            await registry.sync()
            assert registry.accounts["Main"] is first and heard.removed == []
            await registry.sync({"Main"})  # saved with a new secret: same settings, new credentials
            second = registry.accounts["Main"]
            assert second is not first and heard.removed == ["Main"]
            settings.save_account(replace(sim_account(sim), ws_url=sim.ws_url + "/"))
            await registry.sync()
            assert registry.accounts["Main"] is not second and heard.removed == ["Main", "Main"]
            assert [s.name for s in heard.added] == ["Main"] * 3
            await registry.close()

    run_qasync(qapp, main)


def test_an_account_without_a_secret_does_not_start_and_says_why(qapp, settings, secrets) -> None:
    settings.save_account(AccountConfig("Main", "mainnet", "hmac", "KEY123"))
    registry = AccountRegistry(settings, secrets)
    heard = Heard(registry)

    async def main() -> None:
        await registry.sync()

    run_qasync(qapp, main)
    assert dict(registry.accounts) == {} and heard.added == []
    assert heard.notices == ["Main: no secret in the keychain; add it in Settings → Accounts."]


def test_a_removed_account_is_silent_while_it_stops_and_announced_once_stopped(qapp, settings, secrets) -> None:
    secrets.save("Main", DEMO_API_SECRET)
    registry = AccountRegistry(settings, secrets)
    heard = Heard(registry)
    states: list[StreamState] = []
    at_removal: list[set[StreamState]] = []

    async def main() -> None:
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            settings.save_account(sim_account(sim))
            loop = asyncio.get_running_loop()
            risk_kept = loop.create_future()
            registry.account_added.connect(
                lambda svc: svc.risk_changed.connect(
                    lambda name, _risk: risk_kept.done() or risk_kept.set_result(name in registry.risks)
                )
            )
            await registry.sync()
            svc = registry.accounts["Main"]
            svc.health_changed.connect(lambda _name, health: states.append(health.state))
            registry.account_removed.connect(
                lambda _name: at_removal.append({h.state for h in svc.session.health.values()})
            )
            # The registry's own slot runs first: the risk is kept when listeners hear of it.
            assert await asyncio.wait_for(risk_kept, 10)
            settings.remove_account("Main")
            heard_before = len(states)
            await registry.sync()
            assert heard.removed == ["Main"]
            assert at_removal == [{StreamState.STOPPED}]  # announced after the service stopped
            assert len(states) == heard_before  # its "stopped" health went nowhere
            assert "Main" not in registry.risks
            await registry.close()

    run_qasync(qapp, main)


def test_at_start_a_key_that_can_trade_or_withdraw_is_told_a_read_only_one_stays_quiet(
    qapp, settings, secrets
) -> None:
    secrets.save("Main", DEMO_API_SECRET)
    registry = AccountRegistry(settings, secrets)
    heard = Heard(registry)

    async def main() -> None:
        async with SimulatedExchange(scenario="calm") as sim:
            settings.save_account(sim_account(sim))
            await registry.sync()
            await registry.permission_checks_done()
            assert heard.notices == []  # the demo key is read-only
            await registry.close()
        quiet = heard.notices[:]
        async with SimulatedExchange(scenario="calm") as sim:
            sim.faults.set_key_permissions(enableFixApiTrade=True, enableWithdrawals=True)
            again = AccountRegistry(settings, secrets)  # the next run of the app
            again.notice.connect(heard.notices.append)
            settings.save_account(sim_account(sim), replaces="Main")
            await again.sync()
            await again.permission_checks_done()
            await again.sync({"Main"})  # the same key restarted: checked once per run
            await again.permission_checks_done()
            await again.close()
        assert quiet == [] and len(heard.notices) == 1
        assert heard.notices[0].startswith("Main: this API key can do more than read")
        assert "enableWithdrawals" in heard.notices[0] and "enableFixApiTrade" in heard.notices[0]

    run_qasync(qapp, main)


def test_a_custom_host_over_plain_http_does_not_start_and_a_foreign_one_is_told(qapp, settings, secrets) -> None:
    secrets.save("Plain", DEMO_API_SECRET)
    secrets.save("Proxy", DEMO_API_SECRET)
    settings.save_account(AccountConfig("Plain", "custom", "hmac", DEMO_API_KEY, rest_url="http://fapi.example.com",
                                        ws_url="ws://fstream.example.com"))
    registry = AccountRegistry(settings, secrets, stop_timeout=2)
    heard = Heard(registry)

    async def main() -> None:
        await registry.sync()
        assert "Plain" not in registry.accounts
        assert heard.notices[0].startswith("Plain: The URL http://fapi.example.com is not safe")
        settings.save_account(AccountConfig("Proxy", "custom", "hmac", DEMO_API_KEY,
                                            rest_url="https://127.0.0.1.invalid", ws_url="wss://127.0.0.1.invalid"))
        await registry.sync()
        assert any(n.startswith("Proxy: 127.0.0.1.invalid is not a Binance host") for n in heard.notices)
        await registry.close()

    run_qasync(qapp, main)
