"""One followed account as a QObject: the exchange session's callbacks turned into Qt signals.

Margin calls go out at once (latency matters). Risk snapshots are throttled here, the one
throttle in time between the exchange and the screen (`PublishSchedule`, `pacing`): the session
may change state hundreds of times a second under all-market mark updates, the widgets and the
threshold rules need the latest picture a few times a second. The risk itself is computed off
the GUI thread (`RiskWorker`): for 200 positions it takes a few ms, a stall in one piece.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from marginwatch import pacing
from marginwatch.core.account_risk import AccountRisk, assess_account
from marginwatch.core.account_state import AccountState
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.account_feed import AccountFeed, ChangeHandler, EventHandler, FeedFactory, HealthHandler
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.session import AccountSession, SessionOptions

log = logging.getLogger(__name__)


class PublishSchedule:
    """When an account's risk is published: its first change after start on the next loop turn,
    later ones at most `interval_ms` after they happened, and at most once per interval.

    A change that finds a publish already due rides on it and never pushes it back (a debounce
    would, and under a steady stream of marks would never publish). No clock: the delays alone
    make the bound, and the caller's timer keeps the time.
    """

    def __init__(self, interval_ms: int, first_ms: int = 0) -> None:
        self._interval_ms = interval_ms
        self._first_ms = first_ms
        self._due = False
        self._started = False

    @property
    def due(self) -> bool:
        return self._due

    def change(self) -> int | None:
        """A change now: the delay until the publish that will carry it, or None when one is due."""
        if self._due:
            return None
        self._due = True
        delay = self._interval_ms if self._started else self._first_ms
        self._started = True
        return delay

    def published(self) -> None:
        self._due = False

    def cancel(self) -> None:
        self._due = False


class RiskWorker(QObject):
    """Computes an AccountState's risk on one worker thread; `computed` arrives on this object's thread.

    `request` takes a consistent snapshot on the caller's thread (positions, cross wallet, bracket
    tables: immutable values in fresh containers), so the worker never touches the AccountState.
    At most one computation is in flight: requests made meanwhile become one more computation of
    the latest state when it ends. Results come in request order. The worker holds the GIL while
    it computes, but Python hands it over every switch interval, so the GUI thread keeps
    running between slices instead of waiting for the whole computation (slices of 1 ms:
    `pacing.SWITCH_INTERVAL_S`, set at start-up by `app.main`).
    """

    computed = Signal(int, object)  # state version, AccountRisk
    failed = Signal(int, str)  # state version, what went wrong (the last good risk is stale from here on)
    _finished = Signal(int, int, object)  # generation, state version, Future (emitted on the worker)

    def __init__(self, name: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._generation = 0  # results of an earlier generation (before close) are dropped
        self._busy = False
        self._pending: AccountState | None = None
        # Always queued: usually emitted on the worker thread, but on ours when the computation
        # ends before its callback is added; either way the result arrives in a later turn.
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._busy

    def request(self, state: AccountState) -> None:
        if self._busy:
            self._pending = state
            return
        version = state.version
        positions = tuple(state.positions().values())
        job = partial(
            assess_account, positions, state.cross_wallet_balance, dict(state.brackets), dict(state.fallback_brackets),
            unreadable=state.unreadable, multi_assets=state.multi_assets_margin,
        )
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"risk-{self._name}")
        self._busy = True
        generation = self._generation
        future = self._executor.submit(job)
        future.add_done_callback(lambda f: self._finished.emit(generation, version, f))

    def close(self) -> None:
        """Stop: wait for a computation in flight (one at most), drop its result and any pending one."""
        self._generation += 1
        self._pending = None
        self._busy = False
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _on_finished(self, generation: int, version: int, future: Future[AccountRisk]) -> None:
        if generation != self._generation:
            return
        self._busy = False
        try:
            risk = future.result()
        except Exception as exc:  # a bug in one snapshot must not stop the monitor, nor go unseen
            log.exception("risk assessment failed for %s", self._name)
            self.failed.emit(version, f"{type(exc).__name__}: {exc}"[:200])
        else:
            self.computed.emit(version, risk)
        pending, self._pending = self._pending, None
        if pending is not None and self._generation == generation:
            self.request(pending)


def binance_feed(
    endpoints: Endpoints, credentials: Credentials, options: SessionOptions | None = None,
    session_class: type[AccountSession] = AccountSession,
) -> FeedFactory:
    """A Binance session as an account feed (mypy checks that it is one): USDⓈ-M's, or COIN-M's
    `session_class`, which takes the same arguments."""

    def make(*, name: str, on_change: ChangeHandler, on_margin_call: EventHandler,
             on_health: HealthHandler) -> AccountFeed:
        return session_class(endpoints, credentials, name=name, on_change=on_change,
                             on_margin_call=on_margin_call, on_health=on_health, options=options)

    return make


class AccountService(QObject):
    risk_changed = Signal(str, object)  # account name, AccountRisk
    # account name, reason ("" once a computation succeeds again): the shown risk is stale meanwhile
    risk_failed = Signal(str, str)
    margin_call = Signal(str, object)  # account name, MarginCall event
    health_changed = Signal(str, object)  # account name, StreamHealth
    log_entry = Signal(str, str, str)  # account name, kind, text

    def __init__(
        self,
        name: str,
        endpoints: Endpoints | None = None,
        credentials: Credentials | None = None,
        *,
        refresh_ms: int = pacing.PUBLISH_INTERVAL_MS,
        session_options: SessionOptions | None = None,
        feed: FeedFactory | None = None,
        parent: QObject | None = None,
        session_class: type[AccountSession] = AccountSession,
    ) -> None:
        """`feed` makes the account's exchange feed; without one, Binance's from endpoints and
        credentials (`session_class`: the venue's session, COIN-M's takes the same arguments)."""
        super().__init__(parent)
        self.name = name
        if feed is None:
            if endpoints is None or credentials is None:
                raise ValueError("an account needs endpoints and credentials, or a feed")
            feed = binance_feed(endpoints, credentials, session_options, session_class)
        self._session = feed(
            name=name, on_change=self._on_change, on_margin_call=self._on_margin_call, on_health=self._on_health
        )
        self._schedule = PublishSchedule(refresh_ms, pacing.FIRST_PUBLISH_MS)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._stopped = False
        self._refresh.timeout.connect(self._publish)
        self._last_version = -1
        self._health: dict[str, StreamHealth] = {}
        self._risk_worker = RiskWorker(name, self)
        self._risk_worker.computed.connect(self._on_risk_computed)
        self._risk_worker.failed.connect(self._on_risk_failed)
        self.risk_error: str | None = None  # why the latest risk computation failed, None while it works

    @property
    def session(self) -> AccountFeed:
        return self._session

    @property
    def health(self) -> dict[str, StreamHealth]:
        return dict(self._health)

    def tick_sizes(self) -> dict[str, Any]:
        state = self._session.state
        out = {}
        for symbol in state.held_symbols():
            f = state.symbol_filters(symbol)
            if f is not None and f.tick_size is not None:
                out[symbol] = f.tick_size
        return out

    async def start(self) -> None:
        await self._session.start()

    async def stop(self) -> None:
        self._refresh.stop()
        await self._session.stop()
        self._refresh.stop()  # the session's last changes may have started it again
        self._schedule.cancel()
        self._stopped = True
        self._risk_worker.close()

    def _on_change(self, *_args: object) -> None:
        delay = self._schedule.change()
        if delay is not None:
            self._refresh.start(delay)

    def _publish(self) -> None:
        self._schedule.published()
        if self._stopped:
            return
        state = self._session.state
        version = getattr(state, "version", None)
        if version is not None and version == self._last_version:
            return
        self._last_version = version if version is not None else -1
        try:
            self._risk_worker.request(state)
        except Exception:  # a bug in one snapshot must not stop the monitor
            log.exception("risk snapshot failed for %s", self.name)

    def _on_risk_computed(self, _version: int, risk: AccountRisk) -> None:
        if self.risk_error is not None:
            self.risk_error = None
            self.risk_failed.emit(self.name, "")
            self.log_entry.emit(self.name, "risk", "risk computation works again")
        self.risk_changed.emit(self.name, risk)

    def _on_risk_failed(self, _version: int, reason: str) -> None:
        first = self.risk_error is None
        self.risk_error = reason
        self.risk_failed.emit(self.name, reason)
        if first:
            self.log_entry.emit(self.name, "risk", f"risk computation failed: {reason}")

    def _on_margin_call(self, event: object) -> None:
        self.margin_call.emit(self.name, event)

    def _on_health(self, health: StreamHealth) -> None:
        previous = self._health.get(health.name)
        self._health[health.name] = health
        self.health_changed.emit(self.name, health)
        if previous is None or previous.state is not health.state:
            if health.state in (StreamState.LIVE, StreamState.FAILED, StreamState.RECONNECTING, StreamState.STALE):
                text = f"{health.name} stream: {health.state.value}"
                if health.reason:
                    text += f" ({health.reason})"
                self.log_entry.emit(self.name, "connection", text)
