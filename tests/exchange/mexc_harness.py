"""A started MexcSession against the MEXC simulator face, on fast options, and its checks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.mexc.endpoints import MexcEndpoints
from marginwatch.exchange.mexc.session import MexcSession, MexcSessionOptions
from marginwatch.exchange.sim_mexc import MEXC_DEMO_API_KEY, MEXC_DEMO_API_SECRET, MexcSimServer
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions
from tests.exchange.session_harness import Probe, wait_until


def fast_options(**overrides: Any) -> MexcSessionOptions:
    opts: dict[str, Any] = {
        "stream": ConnectionOptions(stale_after=2.0, backoff=Backoff(0.02, 0.2), ping_interval=None,
                                    close_timeout=0.5, max_connects=1000),
        "ping_interval": 0.05,
        "rest_backoff": Backoff(0.05, 0.5),
        "rest_timeout": 3.0,
        "resync_interval": None,
    }
    opts.update(overrides)
    return MexcSessionOptions(**opts)


@contextlib.asynccontextmanager
async def running_mexc(sim: MexcSimServer, *, secret: str = MEXC_DEMO_API_SECRET, wait_ready: bool = True,
                       **overrides: Any) -> AsyncIterator[tuple[MexcSession, Probe]]:
    probe = Probe()
    session = MexcSession(
        MexcEndpoints(sim.rest_url, sim.ws_url), Credentials(MEXC_DEMO_API_KEY, secret), name="mexc",
        on_change=probe.on_change, on_margin_call=probe.on_margin_call, on_health=probe.on_health,
        options=fast_options(**overrides),
    )
    await session.start()
    try:
        if wait_ready:
            await wait_until(session.ready.is_set, 5)
            await wait_until(lambda: live(session), 5)
        yield session, probe
    finally:
        await session.stop()


def live(session: MexcSession) -> bool:
    return all(h.state is StreamState.LIVE for h in session.health.values())


def truth(sim: MexcSimServer) -> tuple[Decimal, dict[tuple[str, str], tuple[Decimal, ...]]]:
    a = sim.account
    isolated = sum((p.im for p in a.positions.values() if p.isolated), Decimal(0))
    margin = sum((p.im for p in a.positions.values()), Decimal(0))
    return a.available + a.frozen + margin - isolated, {
        (p.symbol, "LONG" if p.long else "SHORT"): (
            p.vol if p.long else -p.vol, p.entry, p.im if p.isolated else Decimal(0),
            a.liquidate_price(p) or Decimal(0), a.fair[p.symbol])
        for p in a.positions.values()
    }


def believed(session: MexcSession) -> tuple[Decimal, dict[tuple[str, str], tuple[Decimal, ...]]]:
    st = session.state
    return st.cross_wallet_balance, {
        (p.symbol, p.position_side.value): (p.amount, p.entry_price, p.isolated_wallet,
                                            p.exchange_liquidation_price or Decimal(0), p.mark_price)
        for p in st.positions().values()
    }


async def converge(session: MexcSession, sim: MexcSimServer, limit: float = 5.0) -> None:
    try:
        await wait_until(lambda: truth(sim) == believed(session) and live(session), limit)
    except TimeoutError:
        raise AssertionError(f"not converged: truth={truth(sim)} believed={believed(session)} "
                             f"health={session.health}") from None
