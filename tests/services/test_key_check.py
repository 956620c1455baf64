"""The key test against the real simulated exchange on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

import pytest

from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.services.key_check import (
    KeyCheckResult,
    check_account_key,
    check_key,
    dangerous_permissions,
    endpoints_for,
    permission_warnings,
)
from marginwatch.services.settings import AccountConfig

WRONG_SECRET = "wrongSecret-Zq8Lm3Xv7Tb1Nc5Rk9Pw2Hd6"


def _with_sim(
    body: Callable[[SimulatedExchange, Endpoints], Awaitable[KeyCheckResult]],
) -> KeyCheckResult:
    async def main() -> KeyCheckResult:
        async with SimulatedExchange(autostart_engine=False) as sim:
            return await body(sim, Endpoints.local(sim.base_url, sim.ws_url))

    return asyncio.run(main())


def test_good_key_passes_with_permission_facts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = _with_sim(lambda sim, ep: check_key(ep, Credentials(DEMO_API_KEY, DEMO_API_SECRET)))
    assert result.ok and result.problem is None
    assert result.permissions is not None
    assert result.permissions["enableReading"] is True
    assert result.permissions["enableFutures"] is False
    assert result.permissions["enableWithdrawals"] is False
    assert "cannot trade or withdraw" in result.text()
    # The demo key has no IP whitelist: that is worth a warning and the recommendation.
    assert any("not restricted to your IP" in w for w in result.warnings)
    assert not any("can trade" in w or "WITHDRAW" in w for w in result.warnings)
    assert result.clock_offset_ms is not None and abs(result.clock_offset_ms) < 1000
    assert DEMO_API_SECRET not in caplog.text and DEMO_API_SECRET not in repr(result)


def test_wrong_secret_says_wrong_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = _with_sim(lambda sim, ep: check_key(ep, Credentials(DEMO_API_KEY, WRONG_SECRET)))
    assert not result.ok and result.problem == "wrong_secret"
    assert result.messages[0].startswith("Wrong API secret")
    assert result.permissions is None
    assert WRONG_SECRET not in caplog.text and WRONG_SECRET not in result.text()


def test_unknown_key_says_wrong_key_or_ip() -> None:
    result = _with_sim(lambda sim, ep: check_key(ep, Credentials("unknownKey123456", DEMO_API_SECRET)))
    assert not result.ok and result.problem == "wrong_key"
    assert "key is wrong" in result.messages[0] and "IP not whitelisted" in result.messages[0]


def test_skewed_server_clock_is_reported_but_passes() -> None:
    async def body(sim: SimulatedExchange, ep: Endpoints) -> KeyCheckResult:
        sim.faults.skew_clock(-7000)  # Binance 7 s behind us, i.e. our clock 7 s ahead
        return await check_key(ep, Credentials(DEMO_API_KEY, DEMO_API_SECRET))

    result = _with_sim(body)
    assert result.ok
    assert result.clock_offset_ms is not None and -7500 < result.clock_offset_ms < -6500
    assert any("clock is off by 7.0 s (ahead of Binance)" in w for w in result.warnings)


def test_unreachable_host_says_network() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the check: connection refused
    ep = Endpoints.local(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    result = asyncio.run(check_key(ep, Credentials(DEMO_API_KEY, DEMO_API_SECRET), timeout_s=5))
    assert not result.ok and result.problem == "network"
    assert result.messages[0].startswith("Network unreachable")


def test_account_config_route_and_bad_input() -> None:
    async def body(sim: SimulatedExchange, ep: Endpoints) -> KeyCheckResult:
        cfg = AccountConfig("sim", "custom", "hmac", DEMO_API_KEY, rest_url=sim.base_url, ws_url=sim.ws_url)
        assert endpoints_for(cfg) == ep
        return await check_account_key(cfg, DEMO_API_SECRET)

    assert _with_sim(body).ok
    empty = asyncio.run(check_account_key(AccountConfig("a", "mainnet", "hmac", DEMO_API_KEY), ""))
    assert not empty.ok and empty.problem == "bad_input" and "secret is empty" in empty.messages[0]
    pem = "-----BEGIN PRIVATE KEY-----\nnot really a key\n-----END PRIVATE KEY-----\n"
    bad_pem = asyncio.run(check_account_key(AccountConfig("a", "mainnet", "ed25519", DEMO_API_KEY), pem))
    assert not bad_pem.ok and bad_pem.problem == "bad_input" and "PEM" in bad_pem.messages[0]
    assert "not really a key" not in bad_pem.text()


def test_trading_and_withdrawal_permissions_warn() -> None:
    warnings = permission_warnings(
        {"enableReading": True, "enableFutures": True, "enableWithdrawals": True, "ipRestrict": True}
    )
    assert any("can trade (futures)" in w for w in warnings)
    assert any("WITHDRAW" in w for w in warnings)
    assert "read-only key" in warnings[-1] and "IP whitelist" in warnings[-1]
    assert permission_warnings({"enableReading": True, "ipRestrict": True, "enableFutures": False}) == []


def test_a_key_that_can_trade_over_fix_is_a_trading_key() -> None:
    async def body(sim: SimulatedExchange, ep: Endpoints) -> KeyCheckResult:
        sim.faults.set_key_permissions(enableFixApiTrade=True)
        return await check_key(ep, Credentials(DEMO_API_KEY, DEMO_API_SECRET))

    result = _with_sim(body)
    assert result.ok and result.permissions is not None and result.permissions["enableFixApiTrade"] is True
    assert result.dangerous == ("enableFixApiTrade",)
    assert any("can trade (FIX API)" in w for w in result.warnings)
    assert "cannot trade or withdraw" not in result.text()


def test_the_read_only_shape_is_an_allow_list_any_other_true_flag_warns() -> None:
    read_only = {"ipRestrict": True, "enableReading": True, "enableFixReadOnly": True, "enableFutures": False}
    assert permission_warnings(read_only) == [] and dangerous_permissions(read_only) == ()
    unheard_of = {**read_only, "enableTeleportation": True}
    assert dangerous_permissions(unheard_of) == ("enableTeleportation",)
    assert any("enableTeleportation" in w for w in permission_warnings(unheard_of))
    every = {k: True for k in ("enableFutures", "enableSpotAndMarginTrading", "enableMargin", "enableVanillaOptions",
                               "enablePortfolioMarginTrading", "enableFixApiTrade", "enableWithdrawals",
                               "enableInternalTransfer", "permitsUniversalTransfer")}
    assert set(dangerous_permissions({**read_only, **every})) == set(every)


def test_a_custom_environment_refuses_plain_http_to_a_remote_host_and_warns_for_a_foreign_one() -> None:
    remote = AccountConfig("p", "custom", "hmac", DEMO_API_KEY, rest_url="http://fapi.example.com",
                           ws_url="wss://fstream.example.com")
    with pytest.raises(ValueError, match="https://"):
        endpoints_for(remote)
    refused = asyncio.run(check_account_key(remote, DEMO_API_SECRET))
    assert not refused.ok and refused.problem == "bad_input" and "http://fapi.example.com" in refused.messages[0]
    assert endpoints_for(AccountConfig("l", "custom", "hmac", "K", rest_url="http://[::1]:8", ws_url="ws://[::1]:8"))

    async def body(sim: SimulatedExchange, ep: Endpoints) -> KeyCheckResult:
        cfg = AccountConfig("sim", "custom", "hmac", DEMO_API_KEY, rest_url=sim.base_url, ws_url=sim.ws_url)
        return await check_account_key(cfg, DEMO_API_SECRET)

    assert not any("not a Binance host" in w for w in _with_sim(body).warnings)  # loopback is this computer
