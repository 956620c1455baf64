"""What an AccountSession's REST snapshot puts into its state, against the simulator: brackets, the
asset mode, a multi-assets account's collateral, and positionRisk rows the decoder left out."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from marginwatch.exchange.sim.server import SimulatedExchange
from tests.exchange.session_harness import running_session, settled, wait_until

pytestmark = pytest.mark.asyncio

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BTC_RATE = Decimal(100_000)


def edit_json(sim: SimulatedExchange, name: str, edit: Callable[[Any], None]) -> None:
    """Let `edit` change the JSON one of the simulator's REST handlers answers (routes bind on start)."""
    original: Handler = getattr(sim.rest, name)

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = await original(request)
        assert isinstance(resp, web.Response) and resp.text is not None
        body = json.loads(resp.text)
        edit(body)
        return web.json_response(body, status=resp.status)

    setattr(sim.rest, name, handler)


def with_btc_collateral(body: dict[str, Any]) -> None:
    """A multi-assets account that also holds 0.01 BTC as collateral, worth 1000 USDT."""
    avail = Decimal(body["availableBalance"])
    for a in body["assets"]:
        if a["asset"] == "BTC":
            a.update(walletBalance="0.01", crossWalletBalance="0.01", availableBalance=str(avail / BTC_RATE))
    body["totalCrossWalletBalance"] = str(Decimal(body["totalCrossWalletBalance"]) + 1000)


def btc_balance(e: int, cross_wallet: str) -> dict[str, Any]:
    b = {"a": "BTC", "wb": cross_wallet, "cw": cross_wallet, "bc": "0"}
    return {"e": "ACCOUNT_UPDATE", "E": e, "T": e - 1, "a": {"m": "DEPOSIT", "B": [b]}}


async def test_the_snapshot_installs_the_brackets_and_the_single_asset_mode() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        assert set(session.state.brackets) >= session.state.held_symbols()
        assert session.state.multi_assets_margin is False


async def test_a_multi_assets_accounts_other_collateral_moves_the_cross_wallet_from_the_stream() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    edit_json(sim, "_account", with_btc_collateral)
    edit_json(sim, "_account_config", lambda body: body.update(multiAssetsMargin=True))  # the mode is read there
    async with sim, running_session(sim) as (session, _):
        await settled(session)
        assert session.state.multi_assets_margin is True
        before = session.state.cross_wallet_balance
        assert abs(before - (sim.engine.cross_wallet + 1000)) < Decimal("0.0001")
        t = session.state.snapshot_time_ms
        assert t is not None
        sim.emit_user_event(btc_balance(t + 200, "0.02"))
        await wait_until(lambda: abs(session.state.cross_wallet_balance - before - 1000) < Decimal("0.0001"))
        # an older BTC row is stale for BTC alone: the USDT row in the same update is not
        usdt = {"a": "USDT", "wb": "1", "cw": str(sim.engine.cross_wallet + 5), "bc": "0"}
        older = btc_balance(t + 100, "0.03")
        older["a"]["B"].append(usdt)
        sim.emit_user_event(older)
        await wait_until(lambda: abs(session.state.cross_wallet_balance - before - 1005) < Decimal("0.0001"))
        assert session.counters["stale_dropped"] == 1


async def test_an_asset_mode_the_stream_announced_is_kept_by_the_snapshot_it_asks_for() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        resyncs = session.resyncs
        e = sim.now_ms()
        sim.emit_user_event({"e": "ACCOUNT_CONFIG_UPDATE", "E": e, "T": e - 1, "ai": {"j": True}})
        await wait_until(lambda: session.resyncs > resyncs)
        # the account body alone reads as single-asset (USDT only): the mode comes from the event
        assert session.state.multi_assets_margin is True


async def test_a_position_risk_row_the_decoder_left_out_shows_as_risk_unavailable() -> None:
    def nan_mark_for_btc(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["symbol"] == "BTCUSDT":
                row["markPrice"] = "NaN"

    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    edit_json(sim, "_position_risk", nan_mark_for_btc)
    async with sim, running_session(sim) as (session, _):
        assert [u.symbol for u in session.state.unreadable] == ["BTCUSDT"]
