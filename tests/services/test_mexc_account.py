"""A MEXC account from settings: the registry runs it on MEXC's feed beside a Binance one, its
liquidation warning reaches AccountService.margin_call, and the key test reads MEXC.

Real parts: ini settings, a file keyring, both simulators on loopback, a qasync loop.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QSettings

from marginwatch.core.events import MarginCall
from marginwatch.core.position import PositionSide
from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.sim import DEMO_API_SECRET, SimulatedExchange
from marginwatch.exchange.sim_mexc import MEXC_DEMO_API_KEY, MEXC_DEMO_API_SECRET, MexcSimServer
from marginwatch.services.account_registry import AccountRegistry
from marginwatch.services.key_checks import check_any_account_key
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Settings, account_problem
from tests.exchange.session_harness import wait_until
from tests.services.test_account_registry import Heard, run_qasync, sim_account

D = Decimal


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring.cfg")
    return SecretStore(backend=kr, allow_insecure=True)  # a real file backend, tests only


def mexc_account(sim: MexcSimServer, name: str = "Mexc") -> AccountConfig:
    return AccountConfig(name=name, environment="custom", key_type="hmac", api_key=MEXC_DEMO_API_KEY,
                         rest_url=sim.rest_url, ws_url=sim.ws_url, exchange="mexc")


def test_an_accounts_exchange_is_saved_and_words_what_mexc_cannot_do(settings: Settings) -> None:
    base = AccountConfig("Mexc", "mainnet", "hmac", "mx0key", exchange="mexc")
    settings.save_account(base)
    assert settings.accounts() == [base]
    assert account_problem(base) is None
    assert "testnet" in (account_problem(AccountConfig("M", "testnet", "hmac", "k", exchange="mexc")) or "")
    assert "HMAC" in (account_problem(AccountConfig("M", "mainnet", "ed25519", "k", exchange="mexc")) or "")
    assert "exchange" in (account_problem(AccountConfig("M", "mainnet", "hmac", "k", exchange="kraken")) or "")


def test_a_mexc_account_runs_beside_a_binance_one_and_its_warning_is_a_margin_call(qapp, settings, secrets) -> None:
    registry = AccountRegistry(settings, secrets)
    heard = Heard(registry)
    calls: list[tuple[str, object]] = []

    async def main() -> None:
        mexc = MexcSimServer()
        await mexc.start()
        mexc.account.available = D(950)
        mexc.account.open("BTC_USDT", long=True, vol=5000, entry=18000, leverage=10)
        try:
            async with SimulatedExchange(scenario="calm") as binance:
                secrets.save("Main", DEMO_API_SECRET)
                secrets.save("Mexc", MEXC_DEMO_API_SECRET)
                settings.save_account(sim_account(binance))
                settings.save_account(mexc_account(mexc))
                await registry.sync()
                assert sorted(registry.accounts) == ["Main", "Mexc"]
                svc = registry.accounts["Mexc"]
                svc.margin_call.connect(lambda name, ev: calls.append((name, ev)))
                await wait_until(lambda: svc.session.ready.is_set() and mexc.logged_in.is_set()
                                 and all(h.state is StreamState.LIVE for h in svc.session.health.values()))
                assert ("BTC_USDT", PositionSide.LONG) in svc.session.state.positions()
                await mexc.set_fair_price("BTC_USDT", 16300)
                await wait_until(lambda: bool(calls))
                assert any("MEXC does not tell" in n for n in heard.notices)  # the key check's warning, once
                await registry.close()
        finally:
            await mexc.stop()

    run_qasync(qapp, main)
    ((name, event),) = calls
    assert name == "Mexc" and isinstance(event, MarginCall) and event.positions[0].symbol == "BTC_USDT"


@pytest.mark.asyncio
async def test_the_key_test_reads_mexc_and_warns_it_cannot_see_the_keys_permissions() -> None:
    sim = MexcSimServer()
    await sim.start()
    try:
        good = await check_any_account_key(mexc_account(sim), MEXC_DEMO_API_SECRET, timeout_s=5)
        assert good.ok and "MEXC does not tell" in good.warnings[0]
        bad = await check_any_account_key(mexc_account(sim), "not-the-secret", timeout_s=5)
        assert not bad.ok and bad.problem == "wrong_key" and "not-the-secret" not in bad.text()
    finally:
        await sim.stop()
