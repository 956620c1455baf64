"""Fixtures the exchange tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio

from marginwatch.exchange.sim import DEMO_API_KEY


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client that sends the simulator's demo API key."""
    async with aiohttp.ClientSession(headers={"X-MBX-APIKEY": DEMO_API_KEY}) as s:
        yield s
