"""The simulator's multi-assets and BNFCR accounts as a client reads them over loopback: account,
balance, accountConfig and positionRisk bodies consistent with the engine's collateral, and the
ACCOUNT_UPDATE rows a collateral change or a funding fee sends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from marginwatch.exchange.sim import SimulatedExchange
from marginwatch.exchange.sim.book import BNFCR_BOOK, MULTI_ASSETS_BOOK
from tests.exchange.sim_ws_client import TICK, listen_key, recv_event
from tests.exchange.test_sim_v2_rest import get_signed

pytestmark = pytest.mark.asyncio

EIGHT = Decimal("0.00000001")


def by_asset(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows by asset, their numbers (strings on the wire) as Decimals."""
    return {r["asset"]: {k: num(v) for k, v in r.items()} for r in rows}


def num(value: Any) -> Any:
    return Decimal(value) if isinstance(value, str) and value[:1].isdigit() else value


async def test_multi_assets_account_totals_are_the_usd_value_of_every_asset(http: aiohttp.ClientSession) -> None:
    async with SimulatedExchange(tick_interval=TICK, autostart_engine=False, book=MULTI_ASSETS_BOOK) as sim:
        _, account, _ = await get_signed(http, sim, "/fapi/v3/account")
        assets = by_asset(account["assets"])
        usdc, btc, usdt = assets["USDC"], assets["BTC"], assets["USDT"]
        assert (usdc["crossWalletBalance"], btc["walletBalance"]) == (Decimal("3500.00000000"), Decimal("0.02600000"))
        usd = usdt["crossWalletBalance"] + Decimal("3500") * Decimal("0.9998") \
            + Decimal("0.026") * 100000 * Decimal("0.95")
        assert num(account["totalCrossWalletBalance"]) == usd
        assert usdt["crossWalletBalance"] == Decimal("2900.00000000")  # the USDT wallet less the isolated margin
        # Each asset's availableBalance is the account's available USD in that asset's units.
        available = num(account["availableBalance"])
        assert available > 0 and usdt["availableBalance"] == available
        assert abs(usdc["availableBalance"] * Decimal("0.9998") - available) <= EIGHT * 100000
        assert abs(btc["availableBalance"] * 100000 - available) <= EIGHT * 100000
        assert btc["maxWithdrawAmount"] == btc["walletBalance"]  # less held than the available USD buys
        _, config, _ = await get_signed(http, sim, "/fapi/v1/accountConfig")
        assert config["multiAssetsMargin"] is True
        _, v2, _ = await get_signed(http, sim, "/fapi/v2/account")
        assert v2["multiAssetsMargin"] is True
        _, balances, _ = await get_signed(http, sim, "/fapi/v3/balance")
        assert {a: r["balance"] for a, r in by_asset(balances).items()} == {
            a: r["walletBalance"] for a, r in assets.items()}


async def test_single_asset_accounts_say_so(http: aiohttp.ClientSession) -> None:
    async with SimulatedExchange(tick_interval=TICK, autostart_engine=False) as sim:
        _, config, _ = await get_signed(http, sim, "/fapi/v1/accountConfig")
        _, account, _ = await get_signed(http, sim, "/fapi/v3/account")
        assert config["multiAssetsMargin"] is False
        assert num(account["totalCrossWalletBalance"]) == by_asset(account["assets"])["USDT"]["crossWalletBalance"]
        assert set(by_asset(account["assets"])) == {"USDT", "USDC", "BTC"}


async def test_a_collateral_change_sends_that_asset_alone(http: aiohttp.ClientSession) -> None:
    async with SimulatedExchange(tick_interval=TICK, autostart_engine=False, book=MULTI_ASSETS_BOOK) as sim:
        key = await listen_key(sim, http)
        async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
            async with http.post(f"{sim.base_url}/_sim/fault",
                                 json={"kind": "collateral", "asset": "USDC", "amount": "1200.5"}) as r:
                assert (r.status, (await r.json())["amount"]) == (200, "1200.5")
            event = await recv_event(ws, "ACCOUNT_UPDATE")
        assert event["a"]["m"] == "WITHDRAW" and event["a"]["P"] == []
        assert event["a"]["B"] == [{"a": "USDC", "wb": "1200.50000000", "cw": "1200.50000000", "bc": "-2299.50000000"}]
        reported = sim.state()
        assert reported["collateral"]["USDC"]["amount"] == "1200.5" and reported["multiAssetsMargin"] is True
        usd = Decimal("2900") + Decimal("1200.5") * Decimal("0.9998") + Decimal("0.026") * 100000 * Decimal("0.95")
        assert Decimal(reported["crossWalletUsd"]) == usd


async def test_a_bnfcr_account_margins_in_bnfcr(http: aiohttp.ClientSession) -> None:
    async with SimulatedExchange(tick_interval=TICK, autostart_engine=False, book=BNFCR_BOOK) as sim:
        _, risk, _ = await get_signed(http, sim, "/fapi/v3/positionRisk")
        assert {r["marginAsset"] for r in risk} == {"BNFCR"}
        _, account, _ = await get_signed(http, sim, "/fapi/v3/account")
        assets = by_asset(account["assets"])
        assert assets["BNFCR"]["crossWalletBalance"] == Decimal("8900.00000000")
        assert assets["USDT"]["walletBalance"] == 0
        key = await listen_key(sim, http)
        async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
            sim.engine.apply_funding_fee("BTCUSDT", "-1.5")
            event = await recv_event(ws, "ACCOUNT_UPDATE")
        assert event["a"]["B"] == [{"a": "BNFCR", "wb": "9998.50000000", "cw": "8898.50000000", "bc": "-1.50000000"}]
        with pytest.raises(ValueError, match="cannot be multi-assets collateral"):
            sim.engine.set_collateral("USDC", amount="1", usd_price="1")
