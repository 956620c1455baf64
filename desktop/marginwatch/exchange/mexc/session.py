"""One followed MEXC futures account as an `AccountFeed`: REST snapshot + private stream kept in
one `AccountState`, like the Binance session.

The MEXC picture (positions by contract and side, assets, risk limits, contract details, fair
prices) is kept here in MEXC's own terms and converted at this edge into core's positions on
every change: MEXC pushes whole rows, so a rebuild is exact and a handful of positions is cheap.
Every (re)connect of the stream triggers a REST reseed (pushes sent while away are gone); pushes
that arrive during a reseed are replayed on top of it when they are not older than the snapshot.
MEXC's liquidation warning (`generic.notify`, notifyType 2) names the contract by display name
only: it is matched against the contract details and reaches `on_margin_call` once, as a core
MarginCall, so it takes the same journal/desktop/forwarding path as Binance's MARGIN_CALL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from marginwatch.core import mexc_models as mm
from marginwatch.core import mexc_risk as mr
from marginwatch.core.account_state import AccountState, Collateral, SymbolFilters
from marginwatch.core.auto_add import AutoAddResult
from marginwatch.core.events import DroppedRow, MarginCall, MarginCallPosition, MarkPriceUpdate, UnreadableField
from marginwatch.core.position import ZERO, PositionSide
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.account_feed import AccountFeed, ChangeHandler, EventHandler, FeedFactory, HealthHandler
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.errors import ExchangeError
from marginwatch.exchange.mexc.endpoints import MexcEndpoints
from marginwatch.exchange.mexc.errors import MexcKeyRejected
from marginwatch.exchange.mexc.private_stream import PING_INTERVAL_S, USER, MexcPrivateStream
from marginwatch.exchange.mexc.rest import MexcRestClient
from marginwatch.exchange.tasks import spawn
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions, ConnectReason

log = logging.getLogger(__name__)

REST = "rest"
MARGIN_ASSET = "USDT"
_Key = tuple[str, bool]  # contract, long


@dataclass(frozen=True, slots=True)
class MexcSessionOptions:
    stream: ConnectionOptions | None = None
    ping_interval: float = PING_INTERVAL_S
    rest_backoff: Backoff = field(default_factory=lambda: Backoff(base=1.0, cap=60.0))
    resync_interval: float | None = 900.0
    snapshot_margin_ms: int = 1000
    stop_timeout: float = 3.0
    rest_timeout: float = 10.0


class MexcSession:
    def __init__(
        self,
        endpoints: MexcEndpoints,
        credentials: Credentials,
        *,
        name: str,
        on_change: ChangeHandler | None = None,
        on_margin_call: EventHandler | None = None,
        on_health: HealthHandler | None = None,
        options: MexcSessionOptions | None = None,
    ) -> None:
        self.name = name
        self.endpoints = endpoints
        self._credentials = credentials
        self._on_change = on_change
        self._on_margin_call = on_margin_call
        self._on_health = on_health
        self.options = options or MexcSessionOptions()
        self.state = AccountState(margin_asset=MARGIN_ASSET)
        self.ready = asyncio.Event()
        self.failed_reason: str | None = None
        self._health = {n: StreamHealth(n, StreamState.STOPPED) for n in (REST, USER)}
        self._client: MexcRestClient | None = None
        self._stream: MexcPrivateStream | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rng = random.Random()
        self._positions: dict[_Key, mm.MexcPosition] = {}
        self._assets: dict[str, mm.MexcAsset] = {}
        self._limits: dict[_Key, mm.MexcRiskLimit] = {}
        self._contracts: dict[str, mm.MexcContract] = {}
        self._contracts_stale = True
        self._marks: dict[str, Decimal] = {}
        self._dropped: tuple[DroppedRow, ...] = ()
        self._buffer: list[mm.Push] | None = None
        self._reseed_wanted = asyncio.Event()
        self._change_handle: asyncio.Handle | None = None
        self._seen_notices: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self._stopping = False
        self.resyncs = 0
        self.margin_calls = 0
        self.liquidations = 0

    # ---- AccountFeed ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._client is not None:
            return
        self._stopping = False
        self._client = MexcRestClient(self.endpoints, self._credentials, timeout=self.options.rest_timeout)
        spawn(self._run(), self._tasks, name=f"{self.name} mexc session", on_failure=self._report_crash)

    async def stop(self) -> None:
        self._stopping = True
        grace = self.options.stop_timeout
        if self._change_handle is not None:
            self._change_handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        if self._stream is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._stream.stop(), grace)
        if self._client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.close(), grace)
        self._client = None
        for name in (REST, USER):
            self._set_health(StreamHealth(name, StreamState.STOPPED, reconnects=self._health[name].reconnects))

    @property
    def health(self) -> dict[str, StreamHealth]:
        out = dict(self._health)
        if self._stream is not None and out[USER].state is not StreamState.STOPPED:
            out[USER] = self._stream.health
        return out

    def request_resync(self) -> None:
        self._reseed_wanted.set()

    @property
    def stream(self) -> MexcPrivateStream | None:
        return self._stream

    def auto_add_preview(self, symbol: str, long: bool) -> AutoAddResult | None:
        """The auto-add calculator prefilled from a live position: how much of the available balance
        MEXC would add, down to which prices (None: no such position, contract or rate)."""
        pos, contract = self._positions.get((symbol, long)), self._contracts.get(symbol)
        asset = self._assets.get(MARGIN_ASSET)
        mmr = mr.mmr_for(pos, self._limits, contract) if pos is not None else None
        if pos is None or contract is None or mmr is None or asset is None:
            return None
        return mr.auto_add_preview(pos, contract, mmr, max(asset.available_balance, ZERO))

    # ---- snapshot ------------------------------------------------------------------------

    async def _run(self) -> None:
        self._set_health(StreamHealth(REST, StreamState.CONNECTING))
        if not await self._reseed_with_retry():
            return
        assert self._client is not None
        client = self._client
        self._stream = MexcPrivateStream(
            self.endpoints, self._credentials, self._on_frame, self._set_health,
            on_connected=self._on_connected, symbols=self._held_symbols, server_now_ms=client.server_now_ms,
            options=self.options.stream, ping_interval=self.options.ping_interval,
        )
        self._stream.start()
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reseed_wanted.wait(), self.options.resync_interval)
            self._reseed_wanted.clear()
            await self._reseed_with_retry()

    async def _reseed_with_retry(self) -> bool:
        failures = 0
        while not self._stopping:
            self._buffer = []
            try:
                await self._reseed()
            except MexcKeyRejected as exc:
                self._buffer = None
                self.failed_reason = exc.explain()
                self._set_health(StreamHealth(REST, StreamState.FAILED, self.failed_reason))
                log.error("%s: MEXC rejected the key (code %s)", self.name, exc.code)
                return False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._buffer = None
                failures += 1
                delay = self.options.rest_backoff.delay(failures, self._rng)
                text = exc.explain() if isinstance(exc, ExchangeError) else f"{type(exc).__name__}: {exc}"
                retry_at = asyncio.get_running_loop().time() + delay
                self._set_health(StreamHealth(REST, StreamState.RECONNECTING, text, retry_at,
                                              reconnects=self._health[REST].reconnects + 1))
                log.warning("%s: MEXC snapshot failed (%s); retry in %.1fs", self.name, type(exc).__name__, delay)
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
        await client.sync_time()
        if self._contracts_stale:
            found = mm.contracts(await client.contract_details())
            self._contracts = {c.symbol: c for c in found.rows}
            self._contracts_stale = False
            # Prices shown at the contract's tick; sizes count whole contracts.
            self.state.set_symbol_filters({c.symbol: SymbolFilters(c.price_unit, Decimal(1)) for c in found.rows
                                           if c.price_unit is not None and c.price_unit > 0})
        t0 = client.server_now_ms() - self.options.snapshot_margin_ms
        pos_raw, asset_raw, limit_raw, ticker_raw = await asyncio.gather(
            client.open_positions(), client.assets(), client.risk_limits(), client.tickers())
        positions, assets, limits = mm.positions(pos_raw), mm.assets(asset_raw), mm.risk_limits(limit_raw)
        self._positions = {(p.symbol, p.long): p for p in positions.rows if _is_open(p)}
        self._assets = {a.currency: a for a in assets.rows}
        self._limits = {(r.symbol, r.long): r for r in limits.rows}
        self._marks = {s: p for s, p in mm.fair_prices(ticker_raw).items() if s in self._held_symbols()}
        self._dropped = positions.dropped
        buffered, self._buffer = self._buffer, None
        for push in buffered or []:
            if push.ts >= t0:
                self._apply_push(push)
        self.resyncs += 1
        self._rebuild()

    # ---- stream --------------------------------------------------------------------------

    def _on_connected(self, reason: ConnectReason) -> None:
        if reason is not ConnectReason.ROTATION:
            self.request_resync()

    def _on_frame(self, frame: mm.MexcFrame) -> None:
        if isinstance(frame, mm.FairPrice):
            if frame.symbol in self._marks or frame.symbol in self._held_symbols():
                self._marks[frame.symbol] = frame.price
                update = MarkPriceUpdate(event_time=frame.ts, symbol=frame.symbol, mark_price_text=str(frame.price))
                if self.state.apply_mark_prices([update]):
                    self._schedule_change()
        elif isinstance(frame, mm.Push):
            if frame.channel == "push.personal.generic.notify":
                self._on_notice(frame)
            elif self._buffer is not None:
                self._buffer.append(frame)
            elif self._apply_push(frame):
                self._rebuild()

    def _apply_push(self, push: mm.Push) -> bool:
        """Merge one push into the MEXC picture; True when it changed something."""
        if push.dropped:
            self.request_resync()  # the snapshot has the row we could not read
        changed = False
        for row in push.rows:
            if isinstance(row, mm.MexcPosition):
                key = (row.symbol, row.long)
                old = self._positions.get(key)
                if old is not None and old.position_id == row.position_id and row.version < old.version:
                    continue  # an older state of the same position
                if _is_open(row):
                    self._positions[key] = row
                elif old is None or old.position_id == row.position_id:
                    self._positions.pop(key, None)
                changed = True
            elif isinstance(row, mm.MexcAsset):
                self._assets[row.currency] = row
                changed = True
            elif isinstance(row, mm.MexcRiskLimit):
                self._limits[(row.symbol, row.long)] = row
                changed = True
            elif isinstance(row, mm.MexcLiquidateRisk):
                for key, pos in self._positions.items():
                    if pos.position_id == row.position_id or (row.position_id == 0 and pos.symbol == row.symbol):
                        self._positions[key] = replace(
                            pos, liquidate_price=row.liquidate_price, margin_ratio=row.margin_ratio,
                            adl_level=row.adl_level if row.adl_level is not None else pos.adl_level)
                        changed = True
        return changed

    def _on_notice(self, push: mm.Push) -> None:
        for notice in push.rows:
            if not isinstance(notice, mm.MexcNotify):
                continue
            key = (notice.ts, notice.notify_type, notice.display_name, notice.display_name_en, notice.isolated)
            if key in self._seen_notices:
                continue
            self._seen_notices[key] = None
            while len(self._seen_notices) > 256:
                self._seen_notices.popitem(last=False)
            if notice.is_warning:
                self.margin_calls += 1
                call = self._margin_call(notice)
                if self._on_margin_call is not None:
                    self._safe(self._on_margin_call, call)
            else:
                self.liquidations += 1
                log.warning("%s: MEXC reports a liquidation (%s)", self.name, notice.display_name_en)
                self.request_resync()

    def _margin_call(self, notice: mm.MexcNotify) -> MarginCall:
        symbol = mm.match_display_name(notice, list(self._contracts.values()))
        legs = [p for p in self._positions.values()
                if p.symbol == symbol and (notice.isolated is None or p.isolated == notice.isolated)]
        if not legs:
            # Unknown name or position: the call still goes out; a fresh snapshot (and contract list) follows.
            self._contracts_stale = symbol is None
            self.request_resync()
            named = symbol or notice.display_name_en or notice.display_name
            sent = json.dumps(notice.display_name_en or notice.display_name, ensure_ascii=False)
            unknown = MarginCallPosition(symbol=named, unreadable=(UnreadableField(key="s", sent=sent),))
            return MarginCall(event_time=notice.ts, positions=(unknown,))
        out = []
        for p in legs:
            contract = self._contracts[p.symbol]
            mmr = mr.mmr_for(p, self._limits, contract)
            out.append(MarginCallPosition(
                symbol=p.symbol,
                position_side=PositionSide.LONG if p.long else PositionSide.SHORT,
                amount=p.vol if p.long else -p.vol,
                margin_type_wire="isolated" if p.isolated else "cross",
                isolated_wallet=p.im if p.isolated else None,
                mark_price=self._marks.get(p.symbol),
                maint_margin=mr.maintenance_at_entry(p, contract, mmr) if mmr is not None else None,
            ))
        return MarginCall(event_time=notice.ts, positions=tuple(out))

    # ---- the picture in core terms -------------------------------------------------------

    def _held_symbols(self) -> set[str]:
        return {p.symbol for p in self._positions.values()}

    def _rebuild(self) -> None:
        positions = []
        dropped = list(self._dropped)
        isolated_margin = ZERO
        for pos in self._positions.values():
            contract = self._contracts.get(pos.symbol)
            if contract is None:
                dropped.append(DroppedRow(where="positions", name=pos.symbol, keys=("contractSize",)))
                self._contracts_stale = True
                continue
            mmr = mr.mmr_for(pos, self._limits, contract)
            positions.append(mr.to_position(pos, contract, mmr, self._marks.get(pos.symbol)))
            if pos.isolated:
                isolated_margin += pos.im
        asset = self._assets.get(MARGIN_ASSET)
        # What backs cross positions: everything in the futures wallet but isolated margin (no uPnL).
        cross_wallet = ZERO
        if asset is not None:
            cross_wallet = asset.available_balance + asset.frozen_balance + asset.position_margin - isolated_margin
        held = self._held_symbols()
        brackets = mr.bracket_tables({k: v for k, v in self._limits.items() if k[0] in held},
                                     {s: c for s, c in self._contracts.items() if s in held})
        # Rows named in "positionRisk" show as risk unavailable, like Binance's unreadable rows.
        unreadable = [DroppedRow(where="positionRisk", name=d.name, keys=d.keys) for d in dropped if d.name]
        self.state.reseed(positions, cross_wallet, brackets, None, dropped=unreadable,
                          collateral=[Collateral(MARGIN_ASSET, cross_wallet)], multi_assets=False)
        if self._stream is not None and held - self._stream.subscribed:
            spawn(self._stream.follow(held), self._tasks, name=f"{self.name} mexc follow")
        self._schedule_change()

    # ---- helpers -------------------------------------------------------------------------

    def _schedule_change(self) -> None:
        if self._change_handle is not None or self._on_change is None or self._stopping:
            return
        self._change_handle = asyncio.get_running_loop().call_soon(self._fire_change)

    def _fire_change(self) -> None:
        self._change_handle = None
        if self._on_change is not None:
            self._safe(self._on_change, self.state)

    def _set_health(self, health: StreamHealth) -> None:
        self._health[health.name] = health
        if self._on_health is not None:
            self._safe(self._on_health, health)

    def _safe(self, fn: Callable[[Any], None], arg: Any) -> None:
        try:
            fn(arg)
        except Exception:
            log.exception("%s: callback failed", self.name)

    def _report_crash(self, exc: BaseException) -> None:
        if not self._stopping:
            self.failed_reason = f"internal error: {type(exc).__name__}"
            self._set_health(StreamHealth(REST, StreamState.FAILED, self.failed_reason))


def _is_open(pos: mm.MexcPosition) -> bool:
    return pos.state != 3 and pos.vol > 0


def mexc_feed(endpoints: MexcEndpoints, credentials: Credentials,
              options: MexcSessionOptions | None = None) -> FeedFactory:
    """The MEXC session as an account feed (mypy checks that it is one)."""

    def make(*, name: str, on_change: ChangeHandler, on_margin_call: EventHandler,
             on_health: HealthHandler) -> AccountFeed:
        return MexcSession(endpoints, credentials, name=name, on_change=on_change,
                           on_margin_call=on_margin_call, on_health=on_health, options=options)

    return make
