"""A WebSocket client's side of the simulator: read a frame or an event, wait ticks, get a listenKey."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from marginwatch.exchange.sim import SimulatedExchange

TICK = 0.05


async def ticks(sim: SimulatedExchange, n: int) -> None:
    for _ in range(n):
        await asyncio.wait_for(sim.tick_event.wait(), 2)


async def recv(ws: aiohttp.ClientWebSocketResponse, wait_s: float = 2.0) -> Any:
    msg = await ws.receive(timeout=wait_s)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def recv_event(ws: aiohttp.ClientWebSocketResponse, event: str, wait_s: float = 3.0) -> dict[str, Any]:
    async def loop() -> dict[str, Any]:
        while True:
            m = await recv(ws, wait_s)
            data = m.get("data", m) if isinstance(m, dict) else m
            if isinstance(data, dict) and data.get("e") == event:
                return data

    return await asyncio.wait_for(loop(), wait_s)


async def nothing_for(ws: aiohttp.ClientWebSocketResponse, sim: SimulatedExchange, n_ticks: int = 5) -> None:
    """Assert no frame arrives within a bounded wait of `n_ticks` ticks."""
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive(timeout=TICK * n_ticks / sim.speed)


async def listen_key(sim: SimulatedExchange, http: aiohttp.ClientSession) -> str:
    async with http.post(f"{sim.base_url}/fapi/v1/listenKey") as r:
        return str((await r.json())["listenKey"])
