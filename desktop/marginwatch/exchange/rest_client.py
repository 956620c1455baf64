"""Signed asyncio REST client for Binance USDⓈ-M or COIN-M futures (read-only endpoints plus listenKey).

- Signed requests carry `X-MBX-APIKEY`, then `timestamp` and `recvWindow`, then `signature` last.
- Timestamps use a server-clock offset measured from `GET /fapi/v1/time` (or `/dapi/...`; RTT/2 corrected), so a
  skewed desktop clock does not cause -1021; on a -1021 the offset is re-measured once and the call retried.
- 429/418 set `blocked_until`; until then every request is refused locally (never hammer a ban).
- `used_weight` mirrors the `X-MBX-USED-WEIGHT-*` headers; close to the limit, requests back off.
- Logs name the method, path and status only: never the query (it holds the signature) or keys.
- Answers are read as a stream up to `max_body` bytes (decompressed); a longer one is refused unread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Literal, TypeVar
from urllib.parse import quote

import aiohttp
from yarl import URL

from marginwatch.core import rest_models as rm
from marginwatch.core.adl import AdlQuantileRow, decode_adl_quantiles
from marginwatch.core.events import DroppedRow
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.errors import (
    BinanceError,
    ExchangeError,
    ExchangeUnavailable,
    IpBanned,
    RateLimited,
    ResponseTooLarge,
    TimestampOutsideRecvWindow,
    UnexpectedResponse,
    error_from_response,
)
from marginwatch.exchange.signing import Signer, encode_signature, signer_for
from marginwatch.exchange.venue import USDM, Venue

log = logging.getLogger(__name__)

Security = Literal["none", "key", "signed"]
Host = Literal["fapi", "sapi"]
ParamValue = str | int | float | bool

WEIGHT_LIMIT_1M = 2400
# As on the WebSocket path: a longer wait is asked again after this. An endless one would block for
# good, and a timer of ≥ 2,147,484 s overflows Qt's (qasync) and kills the session.
MAX_RETRY_AFTER = 600.0
# exchangeInfo, the largest answer, is ~5 MB; a body is read whole, so a huge one would take the
# app's memory with it.
MAX_BODY = 32 * 1024 * 1024
_CHUNK = 64 * 1024
T = TypeVar("T")


def _typed(decode: Callable[[bytes], T], body: bytes) -> T:
    """Decode with core.rest_models; a shape we do not know becomes an ExchangeError."""
    try:
        return decode(body)
    except rm.MalformedResponseError as exc:
        raise UnexpectedResponse(str(exc)) from None


def describe_dropped(rows: Sequence[DroppedRow]) -> str:
    """`'BTCUSDT' (markPrice), 'USDT' (wb)` for a log line: names as sent, quoted and clipped."""
    shown = ", ".join(f"{r.name[:24]!r} ({', '.join(r.keys)})" for r in rows[:5])
    return shown + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")


def _encode_params(params: Sequence[tuple[str, ParamValue]]) -> str:
    """Percent-encode (UTF-8) in the given order; this exact string is what gets signed."""
    parts = []
    for key, value in params:
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        parts.append(f"{quote(key, safe='')}={quote(text, safe='')}")
    return "&".join(parts)


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # HTTP-date form: not used by Binance; fall back to the default
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


class BinanceRestClient:
    """Use as `async with BinanceRestClient(...) as client:`, or call `close()` yourself."""

    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials | None,
        *,
        recv_window: int = 5000,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        auto_time_sync: bool = True,
        max_auto_wait: float = 3.0,
        default_retry_after_429: float = 30.0,
        default_retry_after_418: float = 120.0,
        weight_limit: int = WEIGHT_LIMIT_1M,
        weight_headroom: float = 0.9,
        max_body: int = MAX_BODY,
        venue: Venue = USDM,
    ) -> None:
        """`venue`: USDⓈ-M (`/fapi`, the default) or COIN-M (`/dapi`); `endpoints.rest` must be its host."""
        if not 0 < recv_window <= 60000:
            raise ValueError("recv_window must be in 1..60000 ms")
        self.endpoints = endpoints
        self.venue = venue
        self._credentials = credentials
        self._signer: Signer | None = signer_for(credentials) if credentials is not None else None
        self.recv_window = recv_window
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 5.0))
        self.auto_time_sync = auto_time_sync
        self.max_auto_wait = max_auto_wait  # longest wait (s) the client sleeps itself instead of raising
        self._default_429 = default_retry_after_429
        self._default_418 = default_retry_after_418
        self.weight_limit = weight_limit
        self.weight_headroom = weight_headroom
        self.max_body = max_body

        self.time_offset_ms: int = 0  # server clock minus local clock
        self.time_synced = False
        self.used_weight: dict[str, int] = {}  # "1M" -> weight used in the current window
        self._weight_minute: int | None = None  # server minute in which used_weight["1M"] was reported
        self.blocked_until: float | None = None  # time.monotonic() deadline of a 429/418 back-off
        self._blocked_kind: type[RateLimited] | type[IpBanned] = RateLimited
        self._sync_lock = asyncio.Lock()
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> BinanceRestClient:
        self._ensure_session()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("BinanceRestClient is closed")
        if self._session is None or self._session.closed:
            if not self._owns_session:
                raise RuntimeError("the aiohttp session given to BinanceRestClient is closed")
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    @property
    def credentials(self) -> Credentials | None:
        return self._credentials

    # -- clock -------------------------------------------------------------------------------

    def server_now_ms(self) -> int:
        return int(time.time() * 1000) + self.time_offset_ms

    async def sync_time(self) -> int:
        """Measure server-minus-local clock offset (ms), correcting for half the round trip."""
        async with self._sync_lock:
            self.time_offset_ms = await self._measure_offset()
            self.time_synced = True
            return self.time_offset_ms

    async def _measure_offset(self) -> int:
        t0 = time.time() * 1000
        body = await self._request("GET", self.venue.time, security="none", weight=1)
        t1 = time.time() * 1000
        server_time = _typed(rm.decode_server_time, body)
        offset = round(server_time - (t0 + t1) / 2)
        log.debug("clock offset %d ms (rtt %.0f ms)", offset, t1 - t0)
        return offset

    async def _diagnose_offset(self) -> int | None:
        """For explain(): how far the local clock is from Binance's (raw, before any correction)."""
        try:
            return await self._measure_offset()
        except ExchangeError:
            return None

    async def _ensure_synced(self) -> None:
        async with self._sync_lock:
            if not self.time_synced:
                self.time_offset_ms = await self._measure_offset()
                self.time_synced = True

    # -- public endpoints --------------------------------------------------------------------

    async def server_time(self) -> int:
        body = await self._request("GET", self.venue.time, security="none", weight=1)
        return _typed(rm.decode_server_time, body)

    async def ping(self) -> None:
        await self._request("GET", self.venue.ping, security="none", weight=1)

    async def exchange_info(self) -> rm.ExchangeInfo:
        body = await self._request("GET", self.venue.exchange_info, security="none", weight=1)
        info = _typed(rm.decode_exchange_info, body)
        if info.dropped:
            log.warning("exchangeInfo: %d symbol(s) left out, unreadable: %s", len(info.dropped),
                        describe_dropped(info.dropped))
        return info

    async def premium_index(self, symbol: str | None = None) -> list[rm.PremiumIndex]:
        """Mark price and funding: one row with `symbol`, else every symbol."""
        params = [("symbol", symbol)] if symbol else []
        body = await self._request(
            "GET", self.venue.premium_index, params=params, security="none", weight=1 if symbol else 10
        )
        return _typed(rm.decode_premium_index, body)

    # -- signed endpoints --------------------------------------------------------------------

    async def leverage_brackets(self, symbol: str | None = None) -> rm.BracketTables:
        params = [("symbol", symbol)] if symbol else []
        body = await self._request("GET", self.venue.leverage_bracket, params=params, security="signed")
        # Raw bytes straight to the Decimal parser: brackets are JSON numbers and must not pass via float.
        tables = _typed(rm.decode_leverage_brackets, body)
        if tables.dropped:
            log.warning("leverageBracket: %d symbol(s) left out, their tables unreadable: %s", len(tables.dropped),
                        describe_dropped(tables.dropped))
        return tables

    async def account(self) -> rm.AccountInfo:
        body = await self._request("GET", self.venue.account, security="signed", weight=self.venue.account_weight)
        return _typed(rm.decode_account, body)

    async def position_risk(self, symbol: str | None = None) -> rm.PositionRiskRows:
        """The rows; one with a number that is not finite is left out (in `dropped`) and logged."""
        params = [("symbol", symbol)] if symbol else []
        body = await self._request("GET", self.venue.position_risk, params=params, security="signed",
                                   weight=self.venue.position_risk_weight)
        rows = _typed(rm.decode_position_risk, body)
        if rows.dropped:
            log.warning("positionRisk: %d row(s) left out for a number that is not finite: %s", len(rows.dropped),
                        describe_dropped(rows.dropped))
        return rows

    async def adl_quantiles(self) -> list[AdlQuantileRow]:
        """Every position's ADL bucket (weight 5; the exchange refreshes it every 30 s)."""
        body = await self._request("GET", "/fapi/v1/adlQuantile", security="signed", weight=5)
        return _typed(decode_adl_quantiles, body)

    async def balance(self) -> list[rm.BalanceRow]:
        body = await self._request("GET", self.venue.balance, security="signed", weight=self.venue.balance_weight)
        return _typed(rm.decode_balances, body)

    async def symbol_config(self, symbol: str | None = None) -> list[rm.SymbolConfig]:
        params = [("symbol", symbol)] if symbol else []
        body = await self._request("GET", self._path(self.venue.symbol_config, "symbolConfig"), params=params,
                                   security="signed", weight=5)
        return _typed(rm.decode_symbol_configs, body)

    async def account_config(self) -> rm.AccountConfig:
        body = await self._request("GET", self._path(self.venue.account_config, "accountConfig"), security="signed",
                                   weight=5)
        return _typed(rm.decode_account_config, body)

    async def api_restrictions(self) -> rm.ApiRestrictions:
        """Key permissions (`enableFutures`, `ipRestrict`, ...) from the spot host."""
        body = await self._request("GET", "/sapi/v1/account/apiRestrictions", security="signed", host="sapi")
        return _typed(rm.decode_api_restrictions, body)

    # -- listenKey (USER_STREAM: API key header, no signature) -------------------------------

    async def new_listen_key(self) -> str:
        key = _typed(rm.decode_listen_key, await self._request("POST", self.venue.listen_key, security="key"))
        if not key:
            raise UnexpectedResponse(f"empty listenKey in the answer to POST {self.venue.listen_key}")
        return key

    async def keepalive_listen_key(self, key: str) -> None:
        # The futures endpoint takes no parameter: Binance keeps one key per account (reference §2.1).
        del key
        await self._request("PUT", self.venue.listen_key, security="key")

    async def close_listen_key(self, key: str) -> None:
        del key
        await self._request("DELETE", self.venue.listen_key, security="key")

    # -- core --------------------------------------------------------------------------------

    def _path(self, path: str | None, what: str) -> str:
        if path is None:
            raise ValueError(f"{self.venue.market.value} has no {what} endpoint")
        return path

    def blocked_for(self) -> float:
        """Seconds left on a 429/418 back-off (0 when requests are allowed)."""
        if self.blocked_until is None:
            return 0.0
        return max(0.0, self.blocked_until - time.monotonic())

    def _block(self, kind: type[RateLimited] | type[IpBanned], seconds: float) -> None:
        until = time.monotonic() + seconds
        if self.blocked_until is None or until > self.blocked_until or kind is IpBanned:
            self.blocked_until = max(until, self.blocked_until or 0.0)
            self._blocked_kind = kind

    async def _respect_blocks(self, weight: int) -> None:
        """Wait out a short back-off, or refuse with the error that caused it."""
        remaining = self.blocked_for()
        if remaining > 0:
            if remaining > self.max_auto_wait or self._blocked_kind is IpBanned:
                status = 418 if self._blocked_kind is IpBanned else 429
                raise self._blocked_kind(
                    None, "request refused locally: back-off still running", status, retry_after=remaining
                )
            await asyncio.sleep(remaining)
        # Pre-emptive: stay under the per-minute weight budget instead of earning a 429.
        used = self._current_weight_1m()
        if used + weight > self.weight_limit * self.weight_headroom:
            wait = 60.0 - (self.server_now_ms() % 60000) / 1000 + 0.05
            log.warning(
                "weight budget nearly used (%d/%d); backing off %.1f s", used, self.weight_limit, wait
            )
            if wait > self.max_auto_wait:
                raise RateLimited(
                    None, f"request weight {used}/{self.weight_limit} this minute", None, retry_after=wait
                )
            await asyncio.sleep(wait)
            self.used_weight.pop("1M", None)

    def _current_weight_1m(self) -> int:
        if self._weight_minute is None or self._weight_minute != self.server_now_ms() // 60000:
            return 0  # the window rolled over since the last report
        return self.used_weight.get("1M", 0)

    def _record_weight(self, headers: Mapping[str, str]) -> None:
        for name, value in headers.items():
            upper = name.upper()
            if upper.startswith("X-MBX-USED-WEIGHT-"):
                try:
                    self.used_weight[upper.removeprefix("X-MBX-USED-WEIGHT-")] = int(value)
                except ValueError:
                    continue
                self._weight_minute = self.server_now_ms() // 60000

    def _build(
        self, params: Sequence[tuple[str, ParamValue]], security: Security
    ) -> tuple[str, dict[str, str]]:
        headers: dict[str, str] = {}
        if security != "none":
            if self._credentials is None or self._signer is None:
                raise ValueError("this endpoint needs an API key; the client has no credentials")
            headers["X-MBX-APIKEY"] = self._credentials.api_key
        items = list(params)
        if security == "signed":
            assert self._signer is not None
            items += [("timestamp", self.server_now_ms()), ("recvWindow", self.recv_window)]
            payload = _encode_params(items)
            signature = encode_signature(self._signer.sign(payload))
            return f"{payload}&signature={signature}", headers
        return _encode_params(items), headers

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, ParamValue]] = (),
        security: Security,
        host: Host = "fapi",
        weight: int = 1,
    ) -> bytes:
        if security == "signed" and self.auto_time_sync and not self.time_synced:
            await self._ensure_synced()
        resynced = False
        auto_waited = False
        transport_retry = method == "GET"
        while True:
            await self._respect_blocks(weight)
            try:
                return await self._send(method, path, params, security, host)
            except TimestampOutsideRecvWindow as exc:
                if resynced or not self.auto_time_sync:
                    exc.clock_offset_ms = await self._diagnose_offset()
                    raise
                resynced = True
                log.info("-1021 on %s %s: re-syncing the clock and retrying once", method, path)
                await self.sync_time()
                if abs(self.time_offset_ms) >= 1000:
                    log.warning("local clock is off by %.1f s from Binance", self.time_offset_ms / 1000)
            except (RateLimited, IpBanned) as exc:
                # One automatic retry only when the server asked for a short wait.
                if (
                    auto_waited
                    or isinstance(exc, IpBanned)
                    or exc.retry_after is None
                    or exc.retry_after > self.max_auto_wait
                ):
                    raise
                auto_waited = True
            except ExchangeUnavailable as exc:
                # A pooled keep-alive connection the server dropped: retry an idempotent GET once.
                if not transport_retry or exc.http_status is not None:
                    raise
                transport_retry = False

    async def _send(
        self, method: str, path: str, params: Sequence[tuple[str, ParamValue]], security: Security, host: Host
    ) -> bytes:
        session = self._ensure_session()
        base = self.endpoints.sapi_rest if host == "sapi" else self.endpoints.rest
        query, headers = self._build(params, security)
        url = URL(f"{base}{path}?{query}" if query else f"{base}{path}", encoded=True)
        try:
            async with session.request(
                method, url, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as resp:
                status = resp.status
                self._record_weight(resp.headers)
                retry_after = _parse_retry_after(resp.headers.get("Retry-After"))
                body = await self._read_body(resp, f"{method} {path}")
        except TimeoutError:
            log.warning("%s %s timed out", method, path)
            raise ExchangeUnavailable(f"timeout on {method} {path}") from None
        except aiohttp.ClientError as exc:
            # `from None`: some aiohttp errors carry the full URL, i.e. the signature.
            detail = type(exc).__name__
            if isinstance(exc, aiohttp.ClientConnectorError):
                detail += f" ({exc.host}:{exc.port}: {exc.os_error.strerror or exc.os_error})"
            log.warning("%s %s failed: %s", method, path, detail)
            raise ExchangeUnavailable(f"{detail} on {method} {path}") from None
        log.debug("%s %s -> %d (weight %s)", method, path, status, self.used_weight.get("1M"))
        if 200 <= status < 300:
            return body
        raise self._error(method, path, status, body, retry_after)

    async def _read_body(self, resp: aiohttp.ClientResponse, what: str) -> bytes:
        """The body, read chunk by chunk; past `max_body` the connection is dropped, not drained."""
        limit = self.max_body
        declared = resp.content_length
        body = bytearray()
        if declared is None or declared <= limit:
            async for chunk in resp.content.iter_chunked(_CHUNK):
                body += chunk
                if len(body) > limit:
                    break
            else:
                return bytes(body)
        resp.close()
        log.warning("%s: answer larger than %d bytes refused", what, limit)
        raise ResponseTooLarge(what, limit)

    def _error(
        self, method: str, path: str, status: int, body: bytes, retry_after: float | None
    ) -> BinanceError | ExchangeUnavailable:
        err = rm.decode_error(body)
        if err is not None:
            code, msg = err.code, err.msg
        else:
            code, msg = None, body[:200].decode("utf-8", "replace")
        if status in (418, 429):
            default = self._default_418 if status == 418 else self._default_429
            wait = retry_after if retry_after is not None else default
            kind: type[RateLimited] | type[IpBanned] = IpBanned if status == 418 else RateLimited
            self._block(kind, wait)
            log.warning("%s %s -> HTTP %d; pausing requests for %.1f s", method, path, status, wait)
            return kind(code, msg, status, retry_after=wait)
        if status >= 500:
            log.warning("%s %s -> HTTP %d", method, path, status)
            return ExchangeUnavailable(msg or "no error body", http_status=status)
        log.info("%s %s -> HTTP %d code %s", method, path, status, code)
        return error_from_response(status, code, msg, retry_after=retry_after)
