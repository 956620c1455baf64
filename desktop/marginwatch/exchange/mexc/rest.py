"""Signed GETs of MEXC's futures REST API: the snapshot a session is seeded from. Read-only."""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from yarl import URL

from marginwatch.core import mexc_models as mm
from marginwatch.core.events import FrameError
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.mexc.endpoints import MexcEndpoints
from marginwatch.exchange.mexc.errors import MexcUnavailable, rejected
from marginwatch.exchange.mexc.signing import query_string, rest_headers

log = logging.getLogger(__name__)
MAX_BODY = 8 * 2**20


class MexcRestClient:
    def __init__(self, endpoints: MexcEndpoints, credentials: Credentials, *, timeout: float = 10.0) -> None:
        self.endpoints = endpoints
        self._credentials = credentials
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 5.0))
        self._session: aiohttp.ClientSession | None = None
        self.time_offset_ms = 0  # server clock minus ours, from `ping`

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def server_now_ms(self) -> int:
        return int(time.time() * 1000) + self.time_offset_ms

    async def sync_time(self) -> int:
        before = time.time() * 1000
        data = await self._get("/api/v1/contract/ping", signed=False)
        if isinstance(data, int) and not isinstance(data, bool):
            self.time_offset_ms = int(data - (before + time.time() * 1000) / 2)
        return self.server_now_ms()

    async def open_positions(self) -> Any:
        return await self._get("/api/v1/private/position/open_positions", signed=True)

    async def assets(self) -> Any:
        return await self._get("/api/v1/private/account/assets", signed=True)

    async def risk_limits(self) -> Any:
        return await self._get("/api/v1/private/account/risk_limit", signed=True)

    async def contract_details(self) -> Any:
        return await self._get("/api/v1/contract/detail", signed=False)

    async def tickers(self) -> Any:
        """Every contract's ticker: `fairPrice` is MEXC's mark."""
        return await self._get("/api/v1/contract/ticker", signed=False)

    async def _get(self, path: str, *, signed: bool, params: dict[str, str] | None = None) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        query = query_string(params or {})
        headers = rest_headers(self._credentials, self.server_now_ms(), query) if signed else {}
        url = URL(f"{self.endpoints.rest}{path}" + (f"?{query}" if query else ""), encoded=True)
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                body = await resp.content.read(MAX_BODY + 1)
                status = resp.status
        except TimeoutError:
            raise MexcUnavailable(f"timeout on GET {path}") from None
        except aiohttp.ClientError as exc:
            raise MexcUnavailable(f"{type(exc).__name__} on GET {path}") from None  # the URL stays out
        if len(body) > MAX_BODY:
            raise MexcUnavailable(f"answer to GET {path} larger than {MAX_BODY} bytes")
        if status >= 500 or status in (403, 429):
            raise MexcUnavailable(f"HTTP {status} on GET {path}", http_status=status)
        try:
            return mm.envelope_data(body)
        except mm.MexcApiError as exc:
            log.info("GET %s -> MEXC code %s", path, exc.code)
            raise rejected(exc.code, exc.message) from None
        except FrameError as exc:
            raise MexcUnavailable(f"unreadable answer to GET {path} (HTTP {status}): {exc}") from None
