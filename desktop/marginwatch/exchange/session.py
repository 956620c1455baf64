"""One followed account: REST snapshot + user stream + mark prices kept in one `AccountState`.

The session never goes silently deaf:
- every (re)connect of the user stream triggers a REST reseed, because events sent while we were away
  are gone (reference §9.3); user events that arrive during the reseed are buffered and those newer
  than the snapshot are applied on top of it;
- the mark stream follows exactly the held symbols and is reconnected when it goes quiet;
- every problem shows up in `health` (and `on_health`) instead of raising into the loop.
MARGIN_CALL events reach `on_margin_call` exactly once; `on_change` is coalesced.
The asset mode (single-asset or multi-assets) comes from `GET /fapi/v1/accountConfig` with the
first snapshot and with the reseed after each user-stream connect, the only times a change of it
(`ACCOUNT_CONFIG_UPDATE` `ai`) could have gone unseen; other reseeds keep the mode they know.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from marginwatch.core.account_state import AccountState
from marginwatch.core.events import AccountConfigUpdate, AccountUpdate, MarginCall
from marginwatch.core.rest_models import (
    ExchangeSymbol,
    collateral_from_account,
    positions_from_snapshot,
)
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.adl_poll import ADL_INTERVAL_S, poll_adl
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.errors import (
    ExchangeError,
    InvalidApiKey,
    InvalidSignature,
    IpBanned,
    RateLimited,
)
from marginwatch.exchange.event_order import Deduplicator, LatestByKey
from marginwatch.exchange.listen_key import ListenKeyManager
from marginwatch.exchange.mark_price_stream import MarkPriceStream
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.tasks import spawn
from marginwatch.exchange.user_stream import UserDataStream
from marginwatch.exchange.venue import Market
from marginwatch.exchange.ws_connection import Backoff, Clock, ConnectionOptions, ConnectReason, Sleep

log = logging.getLogger(__name__)
_T = TypeVar("_T")

REST = "rest"
USER = "user"
MARKET = "market"


@dataclass(frozen=True, slots=True)
class SessionOptions:
    user: ConnectionOptions = field(default_factory=lambda: ConnectionOptions(stale_after=None))
    market: ConnectionOptions = field(default_factory=lambda: ConnectionOptions(stale_after=5.0))
    rest_backoff: Backoff = field(default_factory=lambda: Backoff(base=1.0, cap=60.0))
    keepalive_interval: float = 1800.0
    change_delay: float = 0.0  # on_change at most once per this many seconds (0: once per loop turn; callers throttle)
    resync_interval: float | None = 900.0  # periodic REST reseed as a last safety net
    # Events at most this much older than the snapshot's server time are re-applied (they are full
    # state, so re-applying is harmless) to absorb clock-offset error between REST and stream times.
    snapshot_margin_ms: int = 1000
    all_market_threshold: int | None = 150
    stop_timeout: float = 3.0
    adl_interval: float | None = ADL_INTERVAL_S  # None: ADL buckets are not polled
    rest_timeout: float = 10.0


ChangeHandler = Callable[[AccountState], None]
EventHandler = Callable[[Any], None]
HealthHandler = Callable[[StreamHealth], None]


class AccountSession:
    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials,
        *,
        name: str,
        on_change: ChangeHandler | None = None,
        on_margin_call: EventHandler | None = None,
        on_health: HealthHandler | None = None,
        on_event: EventHandler | None = None,
        options: SessionOptions | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        """`clock` and `sleep` go to the user stream's connection (its backoff), to test it without waiting."""
        self.name = name
        self.endpoints = endpoints
        self._credentials = credentials
        self._on_change = on_change
        self._on_margin_call = on_margin_call
        self._on_health = on_health
        self._on_event = on_event
        self._user_timing: dict[str, Any] = {"clock": clock, "sleep": sleep}
        self.options = options or SessionOptions()
        self.state = AccountState()
        self._health: dict[str, StreamHealth] = {
            n: StreamHealth(n, StreamState.STOPPED) for n in (REST, USER, MARKET)
        }
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rng = random.Random()
        self._client: BinanceRestClient | None = None
        self._keys: ListenKeyManager | None = None
        self._user: UserDataStream | None = None
        self._marks: MarkPriceStream | None = None
        self._dedupe = Deduplicator(8192)
        self._latest = LatestByKey()
        self._buffer: list[AccountUpdate] | None = None  # not None while a reseed runs
        self._exchange_symbols: dict[str, ExchangeSymbol] | None = None
        # accountConfig is fetched while the mode was last read before the latest user-stream connect.
        self._user_connects = 0
        self._mode_read_at: int | None = None  # _user_connects when the mode in the state was read
        self._mode_events = 0  # ACCOUNT_CONFIG_UPDATEs with an asset mode: newer than any answer in flight
        self._reseed_wanted = asyncio.Event()
        self._change_handle: asyncio.Handle | asyncio.TimerHandle | None = None
        self._stopping = False
        self.ready = asyncio.Event()  # set after the first successful snapshot
        self.failed_reason: str | None = None
        self.resyncs = 0
        self.margin_calls = 0
        self.applied_updates = 0

    # ---- public API ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start in the background; returns at once. Progress and failures go to `health`."""
        if self._client is not None:
            return
        self._stopping = False
        self._client = BinanceRestClient(self.endpoints, self._credentials, timeout=self.options.rest_timeout)
        self._spawn(self._run())

    async def stop(self) -> None:
        """Close streams, DELETE the listenKey, close HTTP; bounded by options.stop_timeout (roughly)."""
        self._stopping = True
        grace = self.options.stop_timeout
        if self._change_handle is not None:
            self._change_handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        parts: list[Coroutine[Any, Any, None]] = []
        if self._user is not None:
            parts.append(self._user.stop())
        if self._marks is not None:
            parts.append(self._marks.stop())
        if parts:
            await asyncio.wait([asyncio.ensure_future(p) for p in parts], timeout=grace)
        if self._keys is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._keys.stop(), grace)
        if self._client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.close(), grace)
        self._client = None
        for name in (REST, USER, MARKET):
            self._set_health(StreamHealth(name, StreamState.STOPPED, reconnects=self._health[name].reconnects))

    @property
    def health(self) -> dict[str, StreamHealth]:
        out = dict(self._health)
        if self._user is not None and out[USER].state is not StreamState.STOPPED:
            out[USER] = self._user.health
        if self._marks is not None and out[MARKET].state is not StreamState.STOPPED:
            out[MARKET] = self._marks.health
        return out

    @property
    def counters(self) -> dict[str, int]:
        user, marks = self._user, self._marks
        return {
            "frames": (user.connection.frames if user else 0) + (marks.connection.frames if marks else 0),
            "malformed": (user.malformed if user else 0) + (marks.malformed if marks else 0),
            "unknown": (user.unknown if user else 0) + (marks.unknown if marks else 0),
            "reconnects": (user.connection.reconnects if user else 0)
            + (marks.connection.reconnects if marks else 0),
            "rotations": (user.connection.rotations if user else 0) + (marks.connection.rotations if marks else 0),
            "resyncs": self.resyncs,
            "duplicates": self._dedupe.duplicates,
            "stale_dropped": self._latest.stale_dropped,
            "margin_calls": self.margin_calls,
            "listen_key_expired": user.expired if user else 0,
        }

    @property
    def mark_symbols(self) -> frozenset[str]:
        return self._marks.symbols if self._marks is not None else frozenset()

    @property
    def mark_stream(self) -> MarkPriceStream | None:
        return self._marks

    @property
    def user_stream(self) -> UserDataStream | None:
        return self._user

    def request_resync(self) -> None:
        """Ask for a REST reseed: the session does on a leverage or asset-mode change, on event times
        that jump backwards and on an ACCOUNT_UPDATE row it had to leave out."""
        self._reseed_wanted.set()

    # ---- bootstrap and reseeding ------------------------------------------------------------

    async def _run(self) -> None:
        self._set_health(StreamHealth(REST, StreamState.CONNECTING))
        if not await self._reseed_with_retry():
            return
        assert self._client is not None
        self._keys = ListenKeyManager(self._client, keepalive_interval=self.options.keepalive_interval)
        self._user = UserDataStream(
            self.endpoints, self._keys, self._on_user_event, self._forward_health,
            on_connected=self._on_user_connected, options=self.options.user, **self._user_timing,
        )
        self._marks = MarkPriceStream(
            self.endpoints, self._on_marks, self._forward_health,
            options=self.options.market, all_market_threshold=self.options.all_market_threshold,
        )
        self._marks.set_symbols(self.state.held_symbols())
        await self._keys.start()
        self._user.start()
        self._marks.start()
        # USDⓈ-M only for now: COIN-M's ADL is another endpoint (/dapi), and its pools' states hold none.
        if self.options.adl_interval is not None and self._client.venue.market is Market.USDM:
            self._spawn(poll_adl(self._client, self.state, self._schedule_change, interval=self.options.adl_interval,
                                 name=self.name))
        await self._reseed_loop()

    async def _reseed_loop(self) -> None:
        interval = self.options.resync_interval
        while not self._stopping:
            try:
                await asyncio.wait_for(self._reseed_wanted.wait(), interval)
            except TimeoutError:
                pass
            self._reseed_wanted.clear()
            await self._reseed_with_retry()

    async def _reseed_with_retry(self) -> bool:
        """Take a snapshot, retrying transient failures; False only for a rejected key."""
        failures = 0
        while not self._stopping:
            self._buffer = []
            try:
                await self._reseed()
            except (InvalidApiKey, InvalidSignature) as exc:
                self._end_buffering()
                self.failed_reason = exc.explain()
                self._set_health(StreamHealth(REST, StreamState.FAILED, self.failed_reason))
                log.error("%s: %s", self.name, type(exc).__name__)
                return False  # retrying a rejected key only burns weight; the user must fix it
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._end_buffering()
                failures += 1
                delay = self.options.rest_backoff.delay(failures, self._rng)
                if isinstance(exc, RateLimited | IpBanned) and exc.retry_after:
                    delay = max(delay, exc.retry_after)
                text = exc.explain() if isinstance(exc, ExchangeError) else f"{type(exc).__name__}: {exc}"
                loop = asyncio.get_running_loop()
                self._set_health(StreamHealth(REST, StreamState.RECONNECTING, text, loop.time() + delay,
                                              reconnects=self._health[REST].reconnects + 1))
                log.warning("%s: snapshot failed (%s); retry in %.1fs", self.name, type(exc).__name__, delay)
                await asyncio.sleep(delay)  # backoff, not synchronisation
                continue
            self.failed_reason = None
            self._set_health(StreamHealth(REST, StreamState.LIVE, reconnects=self._health[REST].reconnects))
            self.ready.set()
            return True
        return False

    async def _reseed(self) -> None:
        client = self._client
        assert client is not None
        # Weight 1, and it keeps t0 below honest even when the clock (ours or theirs) moved.
        await client.sync_time()
        if self._exchange_symbols is None:
            info = await client.exchange_info()
            self.state.set_symbol_filters(info.symbol_filters())
            # Kept without the filters (now in the state): ~600 symbols' Decimals were 2 MB held for
            # the contract type alone.
            self._exchange_symbols = {s.symbol: msgspec.structs.replace(s, filters=()) for s in info.symbols}
        # Everything that happened before t0 is in the snapshot; a margin absorbs clock-offset error
        # (ACCOUNT_UPDATE carries full state, so re-applying one that is already included is harmless).
        t0 = client.server_now_ms() - self.options.snapshot_margin_ms
        connects, mode_events = self._user_connects, self._mode_events
        fetch_mode = self._mode_read_at != connects
        # The client's answers come decoded and checked (a body of another shape raised there).
        account, rows, configs, brackets, mode = await asyncio.gather(
            client.account(), client.position_risk(), client.symbol_config(), client.leverage_brackets(),
            client.account_config() if fetch_mode else _nothing(),
        )
        multi_assets = self.state.multi_assets_margin
        if mode is not None and self._mode_events == mode_events:  # else an event during the fetch is newer
            multi_assets = mode.multiAssetsMargin
        cross_wallet, collateral, multi = collateral_from_account(account, rows, multi_assets)
        positions = positions_from_snapshot(rows, configs, self._exchange_symbols)
        # rows.dropped: those the decoder left out, shown as risk unavailable rather than lost
        self.state.reseed(positions, cross_wallet, brackets, t0, dropped=rows.dropped, collateral=collateral,
                          multi_assets=multi)
        if fetch_mode:
            self._mode_read_at = connects
        self.resyncs += 1
        self._latest.reset(t0)
        self._end_buffering()
        self._after_state_change()

    def _end_buffering(self) -> None:
        buffered, self._buffer = self._buffer, None
        for event in buffered or []:
            self._apply_account_update(event)

    # ---- stream callbacks ---------------------------------------------------------------------

    def _on_user_connected(self, reason: ConnectReason) -> None:
        # A rotation overlaps the old socket, so nothing was missed; any other connect may have.
        if reason is not ConnectReason.ROTATION:
            self._user_connects += 1
            self._reseed_wanted.set()

    def _on_user_event(self, event: Any) -> None:
        if not self._dedupe.first_time_event(type(event).__name__, _event_time(event), event):
            return
        if self._on_event is not None:
            self._safe(self._on_event, event)
        if isinstance(event, MarginCall):
            self.margin_calls += 1
            if self._on_margin_call is not None:
                self._safe(self._on_margin_call, event)
        elif isinstance(event, AccountUpdate):
            if self._buffer is not None:
                self._buffer.append(event)
            else:
                self._apply_account_update(event)
        elif isinstance(event, AccountConfigUpdate):
            if event.asset_mode is not None:
                self._mode_events += 1
            if self.state.apply_config_update(event) or event.asset_mode is not None:
                # A new leverage can move the bracket cap; a new asset mode changes the collateral.
                self.request_resync()
            self._schedule_change()

    def _apply_account_update(self, event: AccountUpdate) -> None:
        filtered = _newest_parts(event, self._latest)
        if filtered is not None and self._collateral_needs_snapshot(filtered):
            self.request_resync()
        if self._latest.clock_jumped:  # exchange clock or our offset moved: trust only a new snapshot
            self._latest.clock_jumped = False
            log.warning("%s: event times jumped backwards; reseeding", self.name)
            self.request_resync()
        if filtered is None:
            return
        self.state.apply_account_update(filtered)
        if filtered.data.dropped:  # a row we could not read: the snapshot has the exchange's own figures
            self.request_resync()
        self.applied_updates += 1
        self._after_state_change()

    def _collateral_needs_snapshot(self, event: AccountUpdate) -> bool:
        """In multi-assets mode, a balance the state cannot value exactly: a new collateral asset,
        or one of several non-USDT assets (their haircuts are known only as a blend until the
        account's own USD total is read again)."""
        if not self.state.multi_assets_margin:
            return False
        held = self.state.collateral
        blended = sum(1 for asset in held if asset != "USDT") > 1
        for bal in event.data.balances or ():
            if bal.asset == "USDT":
                continue
            known = held.get(bal.asset)
            if known is None:
                if bal.cross_wallet != 0:
                    return True
            elif blended and bal.cross_wallet != known.cross_wallet:
                return True
        return False

    def _on_marks(self, marks: list[Any]) -> None:
        self.state.apply_mark_prices(marks)
        self._schedule_change()

    def _after_state_change(self) -> None:
        if self._marks is not None:
            self._marks.set_symbols(self.state.held_symbols())
        self._schedule_change()

    def _forward_health(self, health: StreamHealth) -> None:
        self._set_health(health)

    # ---- helpers ------------------------------------------------------------------------------

    def _schedule_change(self) -> None:
        if self._change_handle is not None or self._on_change is None or self._stopping:
            return
        loop = asyncio.get_running_loop()
        delay = self.options.change_delay
        if delay > 0:
            self._change_handle = loop.call_later(delay, self._fire_change)
        else:
            self._change_handle = loop.call_soon(self._fire_change)

    def _fire_change(self) -> None:
        self._change_handle = None
        if self._on_change is not None:
            self._safe(self._on_change, self.state)

    def _set_health(self, health: StreamHealth) -> None:
        self._health[health.name] = health
        if self._on_health is not None:
            self._safe(self._on_health, health)

    def _safe(self, fn: Callable[[_T], None], arg: _T) -> None:
        try:
            fn(arg)
        except Exception:
            log.exception("%s: callback failed", self.name)

    def _spawn(self, coro: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        return spawn(coro, self._tasks, name=f"{self.name} session", on_failure=self._report_crash)

    def _report_crash(self, exc: BaseException) -> None:
        """A bug in a background task must show as FAILED, never as a silent stall (spawn logged it)."""
        if self._stopping:
            return
        self.failed_reason = f"internal error: {type(exc).__name__}"
        self._set_health(StreamHealth(REST, StreamState.FAILED, self.failed_reason))


async def _nothing() -> None:
    return None


def _event_time(event: Any) -> int:
    value = getattr(event, "event_time", 0)
    return value if isinstance(value, int) else 0


def _newest_parts(event: AccountUpdate, latest: LatestByKey) -> AccountUpdate | None:
    """The update without the positions/balances that a newer update (or the snapshot) already wrote."""
    data = event.data
    when = event.event_time
    balances = tuple(b for b in data.balances or () if latest.accept(("B", b.asset), when))
    positions = tuple(
        p for p in data.positions or () if latest.accept(("P", p.symbol, p.position_side), when)
    )
    if not balances and not positions and not data.dropped:  # an unreadable row still needs a reseed
        return None
    if len(balances) == len(data.balances or ()) and len(positions) == len(data.positions or ()):
        return event
    new_data = msgspec.structs.replace(
        data, balances=balances if data.balances is not None else None,
        positions=positions if data.positions is not None else None,
    )
    return msgspec.structs.replace(event, data=new_data)

