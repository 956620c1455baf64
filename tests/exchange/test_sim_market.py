"""The market an exchange lists and the book its account starts from are given to it, not
process-wide: a larger market or book for one exchange leaves every other exchange as it was."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from marginwatch.core.position import MarginType, PositionSide
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_BOOK, AccountEngine, Book, BookEntry, SimulatedExchange
from marginwatch.exchange.sim.market import SYMBOLS, extra_symbols, with_extra_symbols
from marginwatch.exchange.sim.scenarios import make_scenario

TINY_BOOK = Book((BookEntry("SIM00USDT", PositionSide.LONG, "10", "10", MarginType.CROSS, 10),), Decimal(500))


def test_an_engine_starts_from_the_book_and_market_it_is_given() -> None:
    engine = AccountEngine(make_scenario("calm", 1), book=TINY_BOOK, symbols=with_extra_symbols(2))
    assert set(engine.marks) == {*SYMBOLS, "SIM00USDT", "SIM01USDT"}
    assert [(p.symbol, p.amount) for p in engine.open_positions()] == [("SIM00USDT", Decimal(10))]
    assert engine.cross_wallet == Decimal(500)
    extra = engine.bracket_entries["SIM01USDT"]
    assert extra["symbol"] == "SIM01USDT" and extra["brackets"] == engine.bracket_entries["SIM00USDT"]["brackets"]
    assert engine.brackets["SIM01USDT"].brackets  # leverageBracket serves it and risk can use it
    engine.open_position("SIM00USDT", "LONG", "20")
    engine.reset_book()  # scenarios reset to the given book, not the demo's
    assert [(p.symbol, p.amount) for p in engine.open_positions()] == [("SIM00USDT", Decimal(10))]
    # and nothing changed for an engine built afterwards with the defaults
    plain = AccountEngine(make_scenario("calm", 1))
    assert set(plain.marks) == set(SYMBOLS)
    assert len(plain.open_positions()) == len(DEMO_BOOK.entries)


def test_a_book_on_symbols_the_market_does_not_list_is_refused() -> None:
    with pytest.raises(ValueError, match="SIM00USDT"):
        AccountEngine(make_scenario("calm", 1), book=TINY_BOOK)


def test_calm_legs_add_one_small_leg_per_symbol_alternating_sides() -> None:
    extra = extra_symbols(3)
    book = DEMO_BOOK.with_calm_legs(extra.values())
    added = book.entries[len(DEMO_BOOK.entries):]
    assert [(b.symbol, b.side, b.entry) for b in added] == [
        ("SIM00USDT", PositionSide.LONG, "10"), ("SIM01USDT", PositionSide.SHORT, "11"),
        ("SIM02USDT", PositionSide.LONG, "12")]
    engine = AccountEngine(make_scenario("calm", 1), book=book, symbols={**SYMBOLS, **extra})
    risk = engine.assess()
    assert risk.margin_ratio is not None and risk.margin_ratio < Decimal("0.1")


@pytest.mark.asyncio
async def test_an_exchange_lists_its_own_market_and_another_the_default() -> None:
    async def listed(sim: SimulatedExchange, http: aiohttp.ClientSession) -> tuple[set[str], int]:
        async with http.get(f"{sim.base_url}/fapi/v1/exchangeInfo") as r:
            names = {s["symbol"] for s in (await r.json())["symbols"]}
        async with http.get(f"{sim.base_url}/fapi/v1/premiumIndex") as r:
            return names, len(await r.json())

    async with aiohttp.ClientSession(headers={"X-MBX-APIKEY": DEMO_API_KEY}) as http:
        async with SimulatedExchange(symbols=with_extra_symbols(3), autostart_engine=False) as big:
            names, marks = await listed(big, http)
            assert names == {*SYMBOLS, "SIM00USDT", "SIM01USDT", "SIM02USDT"} and marks == 7
        async with SimulatedExchange(autostart_engine=False) as plain:
            assert await listed(plain, http) == (set(SYMBOLS), 4)


def test_the_default_market_cannot_be_changed_in_place() -> None:
    with pytest.raises(TypeError):
        SYMBOLS["SIM00USDT"] = extra_symbols(1)["SIM00USDT"]  # type: ignore[index]
