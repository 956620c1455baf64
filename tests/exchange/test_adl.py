"""ADL buckets end to end: the simulator answers `GET /fapi/v1/adlQuantile` in Binance's shape and
weight, the client decodes it, and a session polls it into each position of its state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest
import pytest_asyncio

from marginwatch.core.adl import AdlQuantileRow, decode_adl_quantiles, quantiles_by_position
from marginwatch.core.position import PositionSide
from marginwatch.core.rest_models import MalformedResponseError
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.exchange.sim.rest_views import adl_bucket
from tests.exchange.session_harness import running_session, wait_until


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatedExchange]:
    async with SimulatedExchange(scenario="calm", tick_interval=0.05, seed=7) as s:
        yield s


def test_binances_example_answer_decodes_without_the_hedge_sign() -> None:
    raw = (b'[{"symbol":"ETHUSDT","adlQuantile":{"LONG":3,"SHORT":3,"HEDGE":0}},'
           b'{"symbol":"BTCUSDT","adlQuantile":{"LONG":1,"SHORT":2,"BOTH":0}}]')
    assert quantiles_by_position(decode_adl_quantiles(raw)) == {
        ("ETHUSDT", PositionSide.LONG): 3, ("ETHUSDT", PositionSide.SHORT): 3,
        ("BTCUSDT", PositionSide.LONG): 1, ("BTCUSDT", PositionSide.SHORT): 2, ("BTCUSDT", PositionSide.BOTH): 0,
    }
    assert quantiles_by_position([AdlQuantileRow(symbol="X", adlQuantile={"BOTH": 9})]) == {("X", PositionSide.BOTH): 4}
    with pytest.raises(MalformedResponseError):
        decode_adl_quantiles(b'{"code":-1000}')


def test_the_simulators_bucket_is_zero_for_losers_and_grows_with_profit_and_leverage() -> None:
    assert adl_bucket(D("-5"), D("100"), D("2000")) == 0
    assert adl_bucket(D("1"), D("100"), D("2000")) == 1  # 1 % on margin at 20x: 0.2
    assert adl_bucket(D("50"), D("100"), D("2000")) == 3  # 10
    assert adl_bucket(D("75"), D("100"), D("2000")) == 4  # 15
    assert adl_bucket(D("75"), D("100"), D("1000")) == 2  # the same profit at 10x: 7.5


@pytest.mark.asyncio
async def test_the_client_reads_every_positions_bucket_at_weight_5(sim: SimulatedExchange) -> None:
    held = {p.key for p in sim.engine.open_positions()}
    some = next(iter(sorted(held)))
    sim.engine.adl_override[some] = 4
    async with BinanceRestClient(Endpoints.local(sim.base_url, sim.ws_url),
                                 Credentials(DEMO_API_KEY, DEMO_API_SECRET)) as client:
        await client.sync_time()
        before = sim.rest.weights.used()
        rows = await client.adl_quantiles()
        assert sim.rest.weights.used() - before == 5
    got = quantiles_by_position(rows)
    assert held <= set(got) and got[some] == 4
    assert all(0 <= q <= 4 for q in got.values())


@pytest.mark.asyncio
async def test_a_session_polls_the_buckets_into_its_positions(sim: SimulatedExchange) -> None:
    async with running_session(sim, adl_interval=0.05) as (session, _probe):
        key = next(iter(sorted(session.state.positions())))
        sim.engine.adl_override[key] = 4
        await wait_until(lambda: session.state.positions()[key].adl_quantile == 4, 5)
        sim.engine.adl_override[key] = 1
        await wait_until(lambda: session.state.adl_quantile(key) == 1, 5)
        risk = session.state.risk()
        assert next(pr for pr in risk.positions if pr.position.key == key).position.adl_quantile == 1
