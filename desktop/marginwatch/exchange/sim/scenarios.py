"""Named mark-price scenarios. Time is scenario time (seconds); the server compresses it by `speed`.

- calm: small waves around the base prices; nothing ever gets near a margin call.
- crash: every mark falls 0.2 %/s; the isolated SOLUSDT long gets a MARGIN_CALL after ~20 s and is
  liquidated, the cross account follows after ~70 s. After 120 s the book and prices reset and it
  starts again, so a client connecting at any time sees a MARGIN_CALL within ~2 min (12 s at speed 10).
- squeeze: every mark rises 0.25 %/s, hurting the isolated BNBUSDT short; resets every 90 s.
- random: seeded mean-reverting random walks.
- demo: the whole alert path, forever: the isolated SOLUSDT long slides to a margin ratio of 90 % in
  30 s (MARGIN_CALL at ~29 s), margin is added at the bottom (MARGIN_TRANSFER), the price rebounds,
  the added margin is taken back at the top, and the cycle repeats. Nothing gets liquidated.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from marginwatch.core.position import PositionSide

if TYPE_CHECKING:
    from marginwatch.exchange.sim.engine import AccountEngine

SCENARIOS = ("calm", "crash", "squeeze", "random", "demo")


class Scenario(Protocol):
    """Drives one engine's marks: `start` once when the engine is built, `step` on every tick."""

    name: str

    def start(self, engine: AccountEngine) -> None: ...

    def step(self, engine: AccountEngine, t: float, dt: float) -> None: ...


def _price(engine: AccountEngine, symbol: str, factor: float) -> None:
    base = engine.symbols[symbol].base_price
    engine.set_mark_price(symbol, base * Decimal(repr(max(factor, 0.01))), evaluate=False)


class Calm:
    name = "calm"

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed)
        self._phase: dict[str, float] = {}

    def start(self, engine: AccountEngine) -> None:
        self._phase = {s: self._rng.uniform(0, 2 * math.pi) for s in engine.symbols}

    def wiggle(self, engine: AccountEngine, t: float, symbols: list[str]) -> None:
        for s in symbols:
            f = 1 + 0.003 * math.sin(2 * math.pi * t / 60 + self._phase[s]) + self._rng.uniform(-2e-4, 2e-4)
            _price(engine, s, f)

    def step(self, engine: AccountEngine, t: float, dt: float) -> None:
        self.wiggle(engine, t, list(engine.symbols))


class Trend:
    """Constant drift from the base prices, resetting book and prices every `cycle` seconds."""

    def __init__(self, name: str, rate_per_s: float, cycle: float) -> None:
        self.name = name
        self._rate = rate_per_s
        self._cycle = cycle
        self._cycle_start = 0.0

    def start(self, engine: AccountEngine) -> None:
        self._cycle_start = engine.scenario_time

    def step(self, engine: AccountEngine, t: float, dt: float) -> None:
        elapsed = t - self._cycle_start
        if elapsed >= self._cycle:
            self._cycle_start = t
            for s in engine.symbols:
                _price(engine, s, 1.0)
            engine.reset_book()
            return
        for s in engine.symbols:
            _price(engine, s, 1 + self._rate * elapsed)


class RandomWalk:
    name = "random"

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed)
        self._level: dict[str, float] = {}  # log deviation from base

    def start(self, engine: AccountEngine) -> None:
        self._level = dict.fromkeys(engine.symbols, 0.0)

    def step(self, engine: AccountEngine, t: float, dt: float) -> None:
        for s in engine.symbols:
            x = self._level[s]
            x += -0.01 * x * dt + 0.002 * math.sqrt(dt) * self._rng.gauss(0, 1)
            self._level[s] = x
            _price(engine, s, math.exp(x))


class Demo:
    """Drive one isolated leg between its start price and a 90 % margin ratio, forever."""

    name = "demo"
    VICTIM = ("SOLUSDT", PositionSide.LONG)
    FALL, HOLD, RISE, REST = 30.0, 5.0, 20.0, 10.0
    TARGET_RATIO = Decimal("0.9")
    TOP_UP = Decimal("200")

    def __init__(self, seed: int | None) -> None:
        self._calm = Calm(seed)
        self._cycle_start = 0.0
        self._top = Decimal(0)
        self._bottom = Decimal(0)
        self._topped_up = False

    def start(self, engine: AccountEngine) -> None:
        self._calm.start(engine)
        self._begin(engine, engine.scenario_time)

    def _begin(self, engine: AccountEngine, t: float) -> None:
        symbol, side = self.VICTIM
        if self._topped_up:
            engine.transfer_margin(symbol, side, -self.TOP_UP)
            self._topped_up = False
        if engine.positions.get(self.VICTIM) is None or engine.positions[self.VICTIM].amount == 0:
            engine.reset_book()
        self._cycle_start = t
        self._top = engine.symbols[symbol].base_price
        self._bottom = self._price_for_ratio(engine, self.TARGET_RATIO)

    def _price_for_ratio(self, engine: AccountEngine, target: Decimal) -> Decimal:
        symbol = self.VICTIM[0]
        lo, hi = self._top * Decimal("0.3"), self._top  # ratio(lo) high, ratio(hi) low
        for _ in range(40):
            mid = (lo + hi) / 2
            r = engine.ratio_at(self.VICTIM, symbol, mid)
            if r is not None and r >= target:
                lo = mid
            else:
                hi = mid
        return hi

    def step(self, engine: AccountEngine, t: float, dt: float) -> None:
        self._calm.wiggle(engine, t, [s for s in engine.symbols if s != self.VICTIM[0]])
        symbol, side = self.VICTIM
        e = t - self._cycle_start
        top, bottom = self._top, self._bottom
        if e < self.FALL:
            price = top + (bottom - top) * Decimal(repr(e / self.FALL))
        elif e < self.FALL + self.HOLD:
            price = bottom
        elif e < self.FALL + self.HOLD + self.RISE:
            if not self._topped_up:
                engine.transfer_margin(symbol, side, self.TOP_UP)
                self._topped_up = True
            price = bottom + (top - bottom) * Decimal(repr((e - self.FALL - self.HOLD) / self.RISE))
        elif e < self.FALL + self.HOLD + self.RISE + self.REST:
            price = top
        else:
            engine.set_mark_price(symbol, top, evaluate=False)
            self._begin(engine, t)
            return
        engine.set_mark_price(symbol, price, evaluate=False)


def make_scenario(name: str, seed: int | None) -> Scenario:
    if name == "calm":
        return Calm(seed)
    if name == "crash":
        return Trend("crash", -0.002, 120.0)
    if name == "squeeze":
        return Trend("squeeze", 0.0025, 90.0)
    if name == "random":
        return RandomWalk(seed)
    if name == "demo":
        return Demo(seed)
    raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
