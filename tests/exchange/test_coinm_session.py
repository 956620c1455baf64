"""A COIN-M session against the simulator's COIN-M face over loopback sockets: it converges to the
simulator's truth per margin coin, a COIN-M MARGIN_CALL reaches on_margin_call exactly once, and its
liquidation prices equal the simulator's and Binance's COIN-M formula (reference §8.3)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from marginwatch.core.events import MarginCall
from marginwatch.core.position import ContractKind, PositionSide
from marginwatch.exchange.coinm_endpoints import coinm_local
from marginwatch.exchange.coinm_session import CoinMAccountSession
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.venue import COINM
from tests.exchange.session_harness import TOL, Probe, fast_options, live, wait_until

pytestmark = pytest.mark.asyncio

CREDS = Credentials(DEMO_API_KEY, DEMO_API_SECRET)
Legs = dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]


@contextlib.asynccontextmanager
async def coinm_session(sim: SimulatedExchange) -> AsyncIterator[tuple[CoinMAccountSession, Probe]]:
    probe = Probe()
    session = CoinMAccountSession(
        coinm_local(sim.base_url, sim.ws_url), CREDS, name="coinm",
        on_change=probe.on_change, on_margin_call=probe.on_margin_call, on_health=probe.on_health,
        options=fast_options(),
    )
    await session.start()
    try:
        await asyncio.wait_for(session.ready.wait(), 5)
        await wait_until(lambda: live(session), 5)
        yield session, probe
    finally:
        await session.stop()


def _truth(engine: AccountEngine) -> tuple[Decimal, Legs]:
    return engine.cross_wallet, {(p.symbol, p.side.value): (p.amount, p.entry_price, p.isolated_wallet)
                                 for p in engine.open_positions()}


def _believed(session: CoinMAccountSession, coin: str) -> tuple[Decimal, Legs]:
    pool = session.book.pools.get(coin)
    if pool is None:
        return Decimal(-1), {}
    return pool.cross_wallet_balance, {(p.symbol, p.position_side.value): (p.amount, p.entry_price, p.isolated_wallet)
                                       for p in pool.positions().values()}


def _matches(session: CoinMAccountSession, sim: SimulatedExchange) -> bool:
    assert sim.coinm is not None
    for coin, engine in sim.coinm.engines.items():
        (w1, p1), (w2, p2) = _truth(engine), _believed(session, coin)
        if abs(w1 - w2) > TOL or p1.keys() != p2.keys():
            return False
        if any(abs(a - b) > TOL for k in p1 for a, b in zip(p1[k], p2[k], strict=True)):
            return False
    return True


async def _converge(session: CoinMAccountSession, sim: SimulatedExchange) -> None:
    try:
        await wait_until(lambda: _matches(session, sim) and live(session), 5)
    except TimeoutError:
        assert sim.coinm is not None
        raise AssertionError({c: (_truth(e), _believed(session, c)) for c, e in sim.coinm.engines.items()}) from None


async def test_coinm_session_converges_to_each_coins_truth() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, coinm_session(sim) as (session, _):
        assert sim.coinm is not None
        await _converge(session, sim)
        assert set(session.book.pools) == {"BTC", "ETH"}
        leg = session.book.positions()[("BTCUSD_PERP", PositionSide.LONG)]
        assert (leg.contract, leg.contract_size, leg.leverage) == (ContractKind.INVERSE, Decimal(100), 20)
        assert session.mark_symbols == {"BTCUSD_PERP", "ETHUSD_PERP"}
        # A change on the stream: a new isolated short in the ETH pool, and the BTC short closed.
        eth, btc = sim.coinm.engines["ETH"], sim.coinm.engines["BTC"]
        eth.open_position("ETHUSD_PERP", "SHORT", "50", margin_type="isolated", leverage=5)
        btc.close_position("BTCUSD_PERP", "SHORT")
        await _converge(session, sim)
        new = session.book.pools["ETH"].positions()[("ETHUSD_PERP", PositionSide.SHORT)]
        assert (new.contract, new.contract_size) == (ContractKind.INVERSE, Decimal(10))
        assert ("BTCUSD_PERP", PositionSide.SHORT) not in session.book.positions()


async def test_coinm_margin_call_reaches_on_margin_call_exactly_once() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, \
            coinm_session(sim) as (session, probe):
        assert sim.coinm is not None
        sim.coinm.faults.duplicate_user_events(1)  # the frame goes out twice; the session keeps one
        sent = sim.coinm.engines["BTC"].emit_margin_call()
        await wait_until(lambda: len(probe.margin_calls) == 1)
        # A later event proves the duplicate has been read (and dropped) by now.
        sim.coinm.engines["ETH"].emit_margin_call("ETHUSD_PERP")
        await wait_until(lambda: len(probe.margin_calls) == 2)
        first, second = probe.margin_calls
        assert isinstance(first, MarginCall) and first.account_alias == "SgsR"
        assert first.cross_wallet == Decimal(sent["cw"])
        assert {(p.symbol, p.position_side) for p in first.positions} == {
            ("BTCUSD_PERP", PositionSide.LONG), ("BTCUSD_PERP", PositionSide.SHORT)}
        assert second.cross_wallet is None and second.positions[0].symbol == "ETHUSD_PERP"
        assert session.counters["margin_calls"] == 2 and session.counters["duplicates"] >= 1


def _close(a: Decimal | None, b: Decimal) -> bool:
    """Equal up to the wire's 8 decimal places of the wallets and prices (a relative 1e-8)."""
    return a is not None and abs(a - b) <= abs(b) * Decimal("1e-8")


def _formula(wallet: Decimal, size: Decimal, mmr: Decimal, legs: list[tuple[int, Decimal, Decimal]]) -> Decimal:
    """§8.3 with one symbol (TMM1 = UPNL1 = 0) in bracket 1 (cum 0); legs are (side, |Q|, entry)."""
    num = size * sum((q * mmr + s * q for s, q, _ in legs), Decimal(0))
    den = wallet + size * sum((s * q / e for s, q, e in legs), Decimal(0))
    return num / den


async def _exchange_liq(client: BinanceRestClient, symbol: str, side: str) -> Decimal:
    rows = await client.position_risk()
    (row,) = [r for r in rows if r.symbol == symbol and r.positionSide.value == side]
    assert row.liquidationPrice is not None
    return row.liquidationPrice


async def test_coinm_liquidation_prices_equal_the_simulators_and_the_formula() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, coinm_session(sim) as (session, _):
        assert sim.coinm is not None
        btc, eth = sim.coinm.engines["BTC"], sim.coinm.engines["ETH"]
        # ETH: one-way isolated long next to the book's hedge-mode isolated long, and an isolated short.
        eth.open_position("ETHUSD_PERP", "BOTH", "120", margin_type="isolated", leverage=10, entry_price="3400.00")
        eth.open_position("ETHUSD_PERP", "SHORT", "80", margin_type="isolated", leverage=10, entry_price="3550.00")
        await _converge(session, sim)
        ours = {k: r.liquidation_price for risk in session.book.risk_by_asset().values() for r in risk.positions
                for k in [(r.position.symbol, r.position.position_side.value)]}
        ten, hundred = Decimal(10), Decimal(100)
        eth_mmr, btc_mmr = Decimal("0.005"), Decimal("0.004")
        cases: dict[tuple[str, str], Decimal] = {}
        for side, sign in (("BOTH", 1), ("LONG", 1), ("SHORT", -1)):
            p = eth.positions[("ETHUSD_PERP", PositionSide(side))]
            cases[("ETHUSD_PERP", side)] = _formula(p.isolated_wallet, ten, eth_mmr,
                                                    [(sign, abs(p.amount), p.entry_price)])
        # BTC: the book's cross hedge pair (LONG 200, SHORT 20) against the BTC pool's wallet.
        long_ = btc.positions[("BTCUSD_PERP", PositionSide.LONG)]
        short = btc.positions[("BTCUSD_PERP", PositionSide.SHORT)]
        hedge = _formula(btc.cross_wallet, hundred, btc_mmr,
                         [(1, abs(long_.amount), long_.entry_price), (-1, abs(short.amount), short.entry_price)])
        cases[("BTCUSD_PERP", "LONG")] = cases[("BTCUSD_PERP", "SHORT")] = hedge
        async with BinanceRestClient(coinm_local(sim.base_url, sim.ws_url), CREDS, venue=COINM) as client:
            for key, expected in cases.items():
                theirs = await _exchange_liq(client, *key)
                assert _close(ours[key], theirs), (key, ours[key], theirs)
                assert _close(ours[key], expected), (key, ours[key], expected)
            # One-way cross: the hedge pair closed, one BOTH long on the BTC pool's wallet.
            btc.close_position("BTCUSD_PERP", "LONG")
            btc.close_position("BTCUSD_PERP", "SHORT")
            btc.open_position("BTCUSD_PERP", "BOTH", "150", margin_type="cross", leverage=20, entry_price="98000.0")
            await _converge(session, sim)
            pos = btc.positions[("BTCUSD_PERP", PositionSide.BOTH)]
            expected = _formula(btc.cross_wallet, hundred, btc_mmr, [(1, abs(pos.amount), pos.entry_price)])
            (mine,) = [r.liquidation_price for r in session.book.risk_by_asset()["BTC"].positions]
            theirs = await _exchange_liq(client, "BTCUSD_PERP", "BOTH")
            assert _close(mine, theirs) and _close(mine, expected), (mine, theirs, expected)


async def test_coinm_listen_key_lifecycle_is_its_own() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, \
            BinanceRestClient(coinm_local(sim.base_url, sim.ws_url), CREDS, venue=COINM) as client:
        assert sim.coinm is not None
        key = await client.new_listen_key()
        assert sim.coinm.listen_keys.active == key and sim.listen_keys.active is None
        await client.keepalive_listen_key(key)
        assert await client.new_listen_key() == key  # POST on an active key returns it
        await client.close_listen_key(key)
        assert sim.coinm.listen_keys.active is None and sim.coinm.listen_keys.posts == 2
