"""The account engine and the named scenarios: margin calls, hysteresis, liquidation, demo cycle."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from marginwatch.core.position import PositionSide
from marginwatch.exchange.sim import DEMO_API_KEY, AccountEngine, SimulatedExchange, make_scenario
from tests.exchange.sim_ws_client import listen_key, recv, recv_event


def collect(engine: AccountEngine) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    engine.add_listener(events.append)
    return events


def sol_ratio(engine: AccountEngine) -> Decimal:
    r = engine.position_risks()[("SOLUSDT", PositionSide.LONG)].margin_ratio
    assert r is not None
    return r


def sol_price_for(engine: AccountEngine, ratio: str) -> Decimal:
    """The SOLUSDT mark at which the isolated SOLUSDT long's margin ratio is `ratio`."""
    key = ("SOLUSDT", PositionSide.LONG)
    lo, hi = Decimal(100), Decimal(180)
    for _ in range(40):
        mid = (lo + hi) / 2
        r = engine.ratio_at(key, "SOLUSDT", mid)
        lo, hi = (mid, hi) if r is not None and r >= Decimal(ratio) else (lo, mid)
    return lo


def test_margin_call_fires_once_then_rearms_below_level_minus_hysteresis() -> None:
    engine = AccountEngine(make_scenario("calm", 1))
    engine.paused = True
    events = collect(engine)

    def calls() -> int:
        return sum(1 for e in events if e["e"] == "MARGIN_CALL")

    above, inside, below = (sol_price_for(engine, r) for r in ("0.85", "0.77", "0.7"))
    engine.set_mark_price("SOLUSDT", above)
    engine.step()
    assert calls() == 1 and events[-1]["p"][0]["s"] == "SOLUSDT"
    assert Decimal("0.8") <= sol_ratio(engine) < 1
    engine.set_mark_price("SOLUSDT", inside)  # under 80 % but within the 5-point hysteresis
    engine.set_mark_price("SOLUSDT", above)
    assert calls() == 1
    engine.set_mark_price("SOLUSDT", below)  # re-armed
    engine.set_mark_price("SOLUSDT", above)
    assert calls() == 2


def test_liquidation_closes_the_position_with_a_liquidation_order() -> None:
    engine = AccountEngine(make_scenario("calm", 1))
    engine.paused = True
    events = collect(engine)
    engine.set_mark_price("SOLUSDT", "150")  # isolated long far past its liquidation price
    kinds = [e["e"] for e in events]
    assert kinds[0] == "MARGIN_CALL"  # advisory, pushed with the liquidation
    orders = [e["o"] for e in events if e["e"] == "ORDER_TRADE_UPDATE"]
    assert orders and all(o["o"] == "LIQUIDATION" and o["c"].startswith("autoclose-") for o in orders)
    assert orders[-1]["x"] == "CALCULATED" and orders[-1]["X"] == "FILLED" and orders[-1]["S"] == "SELL"
    upd = [e for e in events if e["e"] == "ACCOUNT_UPDATE"][-1]
    (leg,) = upd["a"]["P"]
    assert (leg["s"], leg["ps"], leg["pa"]) == ("SOLUSDT", "LONG", "0")
    assert ("SOLUSDT", PositionSide.LONG) not in engine.position_risks()
    # The cross account was untouched by the isolated liquidation.
    assert engine.assess().margin_ratio is not None and engine.assess().margin_ratio < Decimal("0.1")


def test_cross_margin_call_carries_cross_wallet_and_all_cross_legs() -> None:
    engine = AccountEngine(make_scenario("calm", 1))
    engine.paused = True
    events = collect(engine)
    for _ in range(1000):  # small steps: 0.05 % moves the cross margin balance by ~30 USDT
        engine.set_mark_price("BTCUSDT", engine.marks["BTCUSDT"] * Decimal("0.9995"))
        engine.set_mark_price("ETHUSDT", engine.marks["ETHUSDT"] * Decimal("0.9995"))
        r = engine.assess().margin_ratio
        if any(e["e"] == "MARGIN_CALL" and "cw" in e for e in events):
            break
    (mc,) = [e for e in events if e["e"] == "MARGIN_CALL" and "cw" in e]
    assert r is not None and Decimal("0.8") <= r < 1
    assert engine.stats.liquidations == 0
    assert {(p["s"], p["ps"]) for p in mc["p"]} == {("BTCUSDT", "LONG"), ("ETHUSDT", "LONG"), ("ETHUSDT", "SHORT")}
    assert all(p["mt"] == "CROSSED" for p in mc["p"])


def test_random_scenario_is_deterministic_with_a_seed() -> None:
    def run(seed: int) -> list[dict[str, Decimal]]:
        e = AccountEngine(make_scenario("random", seed))
        out = []
        for _ in range(50):
            e.step()
            out.append(dict(e.marks))
        return out

    assert run(42) == run(42)
    assert run(42) != run(43)


def test_demo_cycle_timing_at_speed_one() -> None:
    """Scenario time: first MARGIN_CALL between 20 and 40 s, recovery, a second one, no liquidation."""
    engine = AccountEngine(make_scenario("demo", 5), tick_interval=1.0)
    events = collect(engine)
    first_call = None
    for t in range(1, 200):
        engine.step()
        if first_call is None and any(e["e"] == "MARGIN_CALL" for e in events):
            first_call = t
    assert first_call is not None and 20 <= first_call <= 40
    calls = [e for e in events if e["e"] == "MARGIN_CALL"]
    assert len(calls) >= 2
    assert not any(e["e"] == "ORDER_TRADE_UPDATE" for e in events)
    assert engine.stats.liquidations == 0
    assert any(e["e"] == "ACCOUNT_UPDATE" and e["a"]["m"] == "MARGIN_TRANSFER" for e in events)


@pytest.mark.asyncio
async def test_crash_scenario_pushes_a_margin_call_on_the_user_stream_quickly() -> None:
    async with SimulatedExchange(scenario="crash", speed=50, tick_interval=1.0, seed=2) as sim, \
            aiohttp.ClientSession(headers={"X-MBX-APIKEY": DEMO_API_KEY}) as http:
        key = await listen_key(sim, http)
        start = time.monotonic()
        async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
            mc = await recv_event(ws, "MARGIN_CALL", 5.0)
        assert time.monotonic() - start < 5
        assert mc["p"] and mc["p"][0]["s"] in {"SOLUSDT", "BTCUSDT", "ETHUSDT"}


@pytest.mark.asyncio
async def test_demo_scenario_calls_then_recovers_without_liquidation() -> None:
    async with SimulatedExchange(scenario="demo", speed=100, tick_interval=1.0, seed=4) as sim, \
            aiohttp.ClientSession(headers={"X-MBX-APIKEY": DEMO_API_KEY}) as http:
        key = await listen_key(sim, http)
        async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
            seen: list[dict[str, Any]] = []
            while sum(1 for e in seen if e["e"] == "MARGIN_CALL") < 2:  # one full cycle and the next call
                seen.append(await recv(ws, 5.0))
        kinds = [e["e"] for e in seen]
        first = kinds.index("MARGIN_CALL")
        transfers = [e for e in seen[first:] if e["e"] == "ACCOUNT_UPDATE" and e["a"]["m"] == "MARGIN_TRANSFER"]
        assert transfers, "margin is added after the call"
        assert "ORDER_TRADE_UPDATE" not in kinds
        assert sim.engine.stats.liquidations == 0
        assert sim.engine.positions[("SOLUSDT", PositionSide.LONG)].amount != 0
        assert sim.engine.assess().margin_ratio is not None
        # The cross account never gets a call in the demo.
        assert all("cw" not in e for e in seen if e["e"] == "MARGIN_CALL")


def test_every_user_event_and_mark_frame_decodes_with_core_codecs() -> None:
    """The sim's hand-built payloads must read back through core's wire codecs without loss."""
    import json

    from marginwatch.core.events import UnknownEvent, decode_market_frame, decode_user_event
    from marginwatch.exchange.sim.rest_views import mark_price_update

    engine = AccountEngine(make_scenario("crash", 1))
    events = collect(engine)
    engine.transfer_margin("SOLUSDT", "LONG", "5")
    engine.apply_funding_fee("BNBUSDT", "0.5")
    for _ in range(130):  # margin calls, liquidations and the cycle reset
        engine.step()
    kinds = {e["e"] for e in events}
    assert {"MARGIN_CALL", "ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE"} <= kinds
    for e in events:
        decoded = decode_user_event(json.dumps(e))
        if e["e"] == "ORDER_TRADE_UPDATE":  # documented, but nothing in the app reads it
            assert isinstance(decoded, UnknownEvent) and decoded.event_type == "ORDER_TRADE_UPDATE", e
        else:
            assert not isinstance(decoded, UnknownEvent), e
    frame = decode_market_frame(json.dumps(mark_price_update(engine, "BTCUSDT", 1)))
    assert frame is not None
