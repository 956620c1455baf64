"""A started AccountSession against the simulator, on fast options, and the checks the session
tests share: the session is live, its state equals the simulator's, a condition holds in time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marginwatch.core.account_state import AccountState
from marginwatch.core.events import MarginCall
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.session import AccountSession, SessionOptions
from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions
from tests.exchange.virtual_time import VirtualTime

TOL = Decimal("0.000001")


def fast_options(**overrides: Any) -> SessionOptions:
    """Small backoffs and staleness limits so every recovery takes well under a second or two (and a
    connect budget to match: the soak reconnects dozens of times in a few seconds)."""
    opts: dict[str, Any] = {
        "user": ConnectionOptions(stale_after=None, backoff=Backoff(0.02, 0.2), ping_interval=0.3,
                                  ping_timeout=0.3, close_timeout=0.5, max_connects=1000),
        "market": ConnectionOptions(stale_after=0.5, backoff=Backoff(0.02, 0.2), close_timeout=0.5,
                                    max_connects=1000),
        "rest_backoff": Backoff(0.05, 0.5),
        "change_delay": 0.01,
        "rest_timeout": 3.0,
    }
    opts.update(overrides)
    return SessionOptions(**opts)


@dataclass
class Probe:
    """Everything the session reports through its callbacks."""

    margin_calls: list[MarginCall] = field(default_factory=list)
    health: list[StreamHealth] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    changes: int = 0

    def on_change(self, state: AccountState) -> None:
        self.changes += 1

    def on_margin_call(self, event: Any) -> None:
        self.margin_calls.append(event)

    def on_health(self, health: StreamHealth) -> None:
        self.health.append(health)

    def on_event(self, event: Any) -> None:
        self.events.append(event)


@contextlib.asynccontextmanager
async def running_session(
    sim: SimulatedExchange, *, secret: str = DEMO_API_SECRET, wait_ready: bool = True,
    clock: VirtualTime | None = None, probe: Probe | None = None, **overrides: Any
) -> AsyncIterator[tuple[AccountSession, Probe]]:
    """A started session on fast options (`overrides` replace some); `clock` runs its user stream's backoff;
    `probe` (a fresh Probe by default) gets its callbacks."""
    probe = probe if probe is not None else Probe()
    session = AccountSession(
        Endpoints.local(sim.base_url, sim.ws_url),
        Credentials(DEMO_API_KEY, secret),
        name="test",
        on_change=probe.on_change,
        on_margin_call=probe.on_margin_call,
        on_health=probe.on_health,
        on_event=probe.on_event,
        options=fast_options(**overrides),
        clock=clock, sleep=clock.sleep if clock is not None else None,
    )
    await session.start()
    try:
        if wait_ready:
            await asyncio.wait_for(session.ready.wait(), 5)
            await wait_until(lambda: live(session), 5)
        yield session, probe
    finally:
        await session.stop()


async def settled(session: AccountSession) -> None:
    """Past the snapshot the user stream's first connect asks for (the start's own is the first), so
    that counting snapshots or reading the snapshot time is not raced by it."""
    await wait_until(lambda: session.resyncs >= 2)


def live(session: AccountSession) -> bool:
    h = session.health
    return all(h[n].state is StreamState.LIVE for n in ("rest", "user", "market"))


async def wait_until(cond: Callable[[], bool], limit: float = 5.0) -> None:
    """Like qtbot.waitUntil: re-check a condition on every loop turn (10 ms) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not cond():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


def truth(sim: SimulatedExchange) -> tuple[Decimal, dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]]:
    e = sim.engine
    return e.cross_wallet, {
        (p.symbol, p.side.value): (p.amount, p.entry_price, p.isolated_wallet) for p in e.open_positions()
    }


def believed(session: AccountSession) -> tuple[Decimal, dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]]:
    st = session.state
    return st.cross_wallet_balance, {
        (p.symbol, p.position_side.value): (p.amount, p.entry_price, p.isolated_wallet)
        for p in st.positions().values()
    }


def matches_truth(session: AccountSession, sim: SimulatedExchange) -> bool:
    """Positions and wallet equal the simulator's (up to the wire's decimal places)."""
    (w1, p1), (w2, p2) = truth(sim), believed(session)
    if abs(w1 - w2) > TOL or p1.keys() != p2.keys():
        return False
    return all(abs(a - b) <= TOL for k in p1 for a, b in zip(p1[k], p2[k], strict=True))


async def converge(session: AccountSession, sim: SimulatedExchange, limit: float = 5.0) -> None:
    try:
        await wait_until(lambda: matches_truth(session, sim) and live(session), limit)
    except TimeoutError:
        raise AssertionError(
            f"not converged: truth={truth(sim)} believed={believed(session)} health={session.health}"
        ) from None
