"""Alerts forwarded beyond this desktop: the trader's phone (ntfy), webhooks, mail — any Apprise URL.

`Forwarder.forward(alert)` returns at once; each matching channel gets its own task that journals
the delivery as queued, sends, and retries with capped exponential backoff while the alert is
still current. One alert is sent to one channel once: the (dedupe key, channel) pair is kept in
memory and in the journal's `deliveries` table. A channel whose sends keep failing says so through
`channel_state_changed`; an alert that reaches a channel only after it came back is marked late
with the time it was raised.

Margin calls and danger alerts escalate: once sent, they are sent again every `repeat_every_s` up to
`repeat_cap` sends, until `acknowledge` (the user) or `clear` (the alert engine: the condition is
over, which is said once on the channels that had it). Both are journalled as the delivery's state.
A margin call may open with a burst (`burst` sends `burst_gap_s` apart) to wake a sleeping phone.

A channel's URL holds its tokens, so it is a secret: only `Channel.name` (masked) and `Channel.key`
(a hash) are ever logged, journalled or shown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QCoreApplication, QObject, Signal

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.forward_channel import URGENT, Channel, ForwardKind, QuietHours, forward_kind, priority_for
from marginwatch.services.forwarding_send import ENV_PREFIX, AppriseSender, Priority, SendOutcome, mask_url, resolve_url

if TYPE_CHECKING:
    from marginwatch.services.alert_engine import ClearedAlert
    from marginwatch.services.journal import Journal

__all__ = ["URGENT", "Channel", "ForwardKind", "Forwarder", "QuietHours", "forward_kind", "mask_url", "priority_for",
           "resolve_url"]

log = logging.getLogger(__name__)

FIRST_RETRY_S = 2.0
MAX_RETRY_S = 300.0
CURRENT_FOR_S = 3600.0  # an alert older than this is history, not news: retries stop
FAILING_AFTER = 3  # consecutive failed sends before a channel is shown as failing
LATE_AFTER_S = 60.0
REPEAT_EVERY_S = 300.0
REPEAT_CAP = 6  # sends of one urgent alert to one channel, the first included
BURST_GAP_S = 2.0
STOP_NOTICE_WAIT_S = 3.0


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    ACKNOWLEDGED = "acknowledged"  # sent; its repeats stopped by the user
    CLEARED = "cleared"  # sent; its repeats stopped because the condition is over


_DONE = frozenset({DeliveryState.SENT, DeliveryState.ACKNOWLEDGED, DeliveryState.CLEARED})


class ChannelState(StrEnum):
    OK = "ok"
    FAILING = "failing"


class Sender(Protocol):
    async def send(self, url: str, title: str, body: str, priority: Priority = ...) -> SendOutcome: ...


def backoff(attempt: int, first_s: float = FIRST_RETRY_S, cap_s: float = MAX_RETRY_S) -> float:
    """Wait before retry `attempt` (1, 2, …): first_s, 2·first_s, 4·first_s, … capped at cap_s."""
    return min(cap_s, first_s * 2 ** max(0, attempt - 1))


class Forwarder(QObject):
    """Forwards alerts to channels; `delivery_changed` and `channel_state_changed` report progress."""

    delivery_changed = Signal(str, str, str, str)  # dedupe key, channel name, state, reason
    channel_state_changed = Signal(str, str, str)  # channel name, "ok" | "failing", last reason

    def __init__(
        self,
        channels: Iterable[Channel] = (),
        *,
        journal: Journal | None = None,
        sender: Sender | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        current_for_s: float = CURRENT_FOR_S,
        repeat_every_s: float = REPEAT_EVERY_S,
        repeat_sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        repeat_cap: int = REPEAT_CAP,
        burst: int = 0,
        burst_gap_s: float = BURST_GAP_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.channels = list(channels)
        self.problems: list[str] = []  # channels that could not be set up, in plain words
        self._journal = journal
        self._sender: Sender = sender or AppriseSender()
        self._clock = clock
        self._sleep = sleep
        self._current_for_s = current_for_s
        self._claimed: set[tuple[str, str]] = set()  # (dedupe key, channel key) queued or sent this run
        self._failures: dict[str, int] = {}
        self._states: dict[str, ChannelState] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sending: set[asyncio.Task[Any]] = set()  # those waiting on a send, not in backoff
        self._repeat_every_s = repeat_every_s
        self._repeat_sleep = repeat_sleep
        self._repeats: set[asyncio.Task[None]] = set()  # waiting to repeat; `drain` does not wait for them
        self._repeat_cap = max(1, repeat_cap)
        self._burst = burst
        self._burst_gap_s = burst_gap_s
        self._escalating: dict[str, Alert] = {}  # urgent alerts not yet acknowledged or cleared
        self._reached: dict[str, list[Channel]] = {}  # dedupe key -> channels it was sent to
        self._key_tasks: dict[str, set[asyncio.Task[None]]] = {}

    @classmethod
    def from_specs(
        cls, specs: Iterable[str], *, environ: Mapping[str, str], **kwargs: Any
    ) -> Forwarder:
        """One all-alerts channel per `--forward` value; bad ones go to `problems`, the rest work."""
        forwarder = cls(**kwargs)
        checker = forwarder._sender if isinstance(forwarder._sender, AppriseSender) else AppriseSender()
        for spec in specs:
            shown = spec if spec.startswith(ENV_PREFIX) else mask_url(spec)
            try:
                url = resolve_url(spec, environ)
            except ValueError as exc:
                forwarder.problems.append(f"Forwarding to {shown} is off: {exc}.")
                continue
            why = checker.check(url)
            if why is not None:
                forwarder.problems.append(f"Forwarding to {mask_url(url)} is off: {why}.")
                continue
            channel = Channel(url)
            if all(c.key != channel.key for c in forwarder.channels):
                forwarder.channels.append(channel)
        for problem in forwarder.problems:
            log.warning("forwarding: %s", problem)
        return forwarder

    def channel_state(self, channel: Channel) -> ChannelState:
        return self._states.get(channel.key, ChannelState.OK)

    def set_channels(self, channels: Iterable[Channel]) -> None:
        """Forward to these from now on. A delivery under way to a URL still listed goes on; one to a
        URL no longer listed stops at its next retry or repeat."""
        self.channels = list({c.key: c for c in channels}.values())

    def _has(self, channel: Channel) -> bool:
        return any(c.key == channel.key for c in self.channels)

    # -- the alert path ---------------------------------------------------------------------------
    def forward(self, alert: Alert) -> None:
        """Queue `alert` for every channel that wants it; returns at once."""
        if not self.channels:
            return
        now = datetime.fromtimestamp(self._clock())
        for channel in self.channels:
            pair = (alert.dedupe_key, channel.key)
            if pair in self._claimed or self._already_sent(alert, channel):
                continue
            wanted, why = channel.wants(alert, now)
            if not wanted:
                self._record(alert, channel, DeliveryState.SKIPPED, why, 0)
                continue
            if forward_kind(alert) in URGENT:
                self._escalating[alert.dedupe_key] = alert
            self._queue(alert, channel)

    def _queue(self, alert: Alert, channel: Channel) -> asyncio.Task[None]:
        self._claimed.add((alert.dedupe_key, channel.key))
        self._record(alert, channel, DeliveryState.QUEUED, "", 0)
        task = asyncio.get_event_loop().create_task(self._deliver(alert, channel))
        self._tasks.add(task)
        self._key_tasks.setdefault(alert.dedupe_key, set()).add(task)
        task.add_done_callback(self._task_done)
        return task

    # -- escalation ---------------------------------------------------------------------------------
    def acknowledge(self, dedupe_key: str) -> bool:
        """The user has seen it: repeats stop (journalled `acknowledged`). False if it was not repeating."""
        return self._stop(dedupe_key, DeliveryState.ACKNOWLEDGED, "acknowledged")

    def acknowledge_all(self) -> int:
        """Every alert still repeating is acknowledged; how many."""
        return sum(self.acknowledge(key) for key in list(self._escalating))

    def escalating(self) -> list[str]:
        return list(self._escalating)

    def clear(self, cleared: ClearedAlert) -> None:
        """What `cleared` names is over: repeats stop, and the channels that had it are told once."""
        channels: list[Channel] = []
        for key in cleared.cleared_keys:
            self._stop(key, DeliveryState.CLEARED, "condition cleared")
            channels += [c for c in self._reached.get(key, []) if c not in channels]
        notice = Alert(kind=AlertKind.TEST, account=cleared.account, tier=cleared.tier, title=cleared.title,
                       body="", dedupe_key="clr:" + ",".join(cleared.cleared_keys), created_at=self._clock())
        for channel in channels:
            if (notice.dedupe_key, channel.key) not in self._claimed:
                self._queue(notice, channel)

    async def say_stopped(self, timeout_s: float = STOP_NOTICE_WAIT_S) -> None:
        """At quit: every channel hears that no further alerts will come, waited for at most `timeout_s`."""
        if not self.channels:
            return
        title = QCoreApplication.translate("Forwarder", "MarginWatch stopped monitoring — no further alerts")
        notice = Alert(kind=AlertKind.TEST, account="", tier=RiskTier.WARNING, title=title, body="",
                       dedupe_key=f"stop:{self._clock()}", created_at=self._clock())
        tasks = {self._queue(notice, channel) for channel in self.channels}
        await asyncio.wait(tasks, timeout=timeout_s)

    def _stop(self, dedupe_key: str, state: DeliveryState, reason: str) -> bool:
        alert = self._escalating.pop(dedupe_key, None)
        if alert is None:
            return False
        for task in self._key_tasks.get(dedupe_key, set()):
            if task not in self._sending:  # one mid-send finishes it, then sees it was stopped
                task.cancel()
        for channel in self._reached.get(dedupe_key, []):
            self._record(alert, channel, state, reason, 0)
        return True

    def _start_repeats(self, alert: Alert, channel: Channel) -> None:
        task = asyncio.get_event_loop().create_task(self._escalate(alert, channel))
        self._repeats.add(task)
        self._key_tasks.setdefault(alert.dedupe_key, set()).add(task)
        task.add_done_callback(self._task_done)

    async def _escalate(self, alert: Alert, channel: Channel) -> None:
        """Repeat an urgent alert on `channel` until acknowledged, cleared or the cap is reached."""
        gaps = [self._burst_gap_s] * (self._burst - 1) if alert.kind is AlertKind.MARGIN_CALL else []
        repeats = 1
        while alert.dedupe_key in self._escalating and (gaps or repeats < self._repeat_cap):
            in_burst = bool(gaps)
            await self._repeat_sleep(gaps.pop(0) if in_burst else self._repeat_every_s)
            if alert.dedupe_key not in self._escalating or not self._has(channel):
                return
            repeats += 0 if in_burst else 1
            title = QCoreApplication.translate("Forwarder", "[repeat {n}/{cap}] {title}").format(
                n=repeats, cap=self._repeat_cap, title=alert.title)
            outcome = await self._send(channel, title, alert.body, priority_for(alert))
            if outcome.ok:
                self._record(alert, channel, DeliveryState.SENT, f"repeat {repeats}/{self._repeat_cap}", repeats)
            else:
                log.warning("forwarding: a repeat to %s failed (%s)", channel.name, outcome.reason)

    async def _send(self, channel: Channel, title: str, body: str, priority: Priority) -> SendOutcome:
        me = asyncio.current_task()
        assert me is not None  # only called from delivery tasks
        self._sending.add(me)
        try:
            return await self._sender.send(channel.url, title, body, priority)
        finally:
            self._sending.discard(me)

    async def aclose(self, timeout_s: float = 3.0) -> None:
        """At shutdown: let sends in flight finish briefly; retries waiting out a backoff stop at once
        (their rows stay queued)."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=timeout_s)
        pending = self._tasks | self._repeats
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def drain(self, *, repeats: bool = False) -> None:
        """Wait until every queued delivery is sent or given up (tests, the benchmark); with `repeats`,
        also until every escalation has ended."""
        while self._tasks or (repeats and self._repeats):
            await asyncio.wait(self._tasks | (self._repeats if repeats else set()))

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._repeats.discard(task)
        for key, tasks in list(self._key_tasks.items()):
            tasks.discard(task)
            if not tasks:
                del self._key_tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("forwarding: a delivery task failed", exc_info=task.exception())

    async def _deliver(self, alert: Alert, channel: Channel) -> None:
        attempts = 0
        reason = ""
        while True:
            attempts += 1
            # After a failed try the channel has come back: the trader must see when it was raised.
            title, body = self._message(alert, late=attempts > 1 or self._is_late(alert))
            outcome = await self._send(channel, title, body, priority_for(alert))
            if outcome.ok:
                self._reached.setdefault(alert.dedupe_key, []).append(channel)
                self._record(alert, channel, DeliveryState.SENT, "late" if attempts > 1 else "", attempts)
                self._channel_ok(channel)
                if alert.dedupe_key in self._escalating:  # not acknowledged while this send was out
                    self._start_repeats(alert, channel)
                return
            reason = outcome.reason
            self._channel_failed(channel, reason)
            wait = backoff(attempts)
            if self._clock() + wait - alert.created_at > self._current_for_s:
                self._record(alert, channel, DeliveryState.FAILED, f"gave up: {reason}", attempts)
                return
            self._record(alert, channel, DeliveryState.QUEUED, f"retrying: {reason}", attempts)
            await self._sleep(wait)
            if not self._has(channel):
                self._record(alert, channel, DeliveryState.FAILED, "channel removed", attempts)
                return

    def _is_late(self, alert: Alert) -> bool:
        return self._clock() - alert.created_at >= LATE_AFTER_S

    @staticmethod
    def _message(alert: Alert, *, late: bool) -> tuple[str, str]:
        if not late:
            return alert.title, alert.body
        raised = datetime.fromtimestamp(alert.created_at).strftime("%Y-%m-%d %H:%M:%S")
        return f"[late] {alert.title}", f"{alert.body}\n(Raised at {raised}; sent late.)".lstrip()

    # -- state ----------------------------------------------------------------------------------
    def _already_sent(self, alert: Alert, channel: Channel) -> bool:
        if self._journal is None:
            return False
        try:
            rows = self._journal.deliveries(alert.dedupe_key)
        except Exception as exc:  # a journal in trouble must not stop forwarding
            log.warning("forwarding: the journal could not be read (%s)", type(exc).__name__)
            return False
        return any(r["channel"] == channel.key and r["state"] in _DONE for r in rows)

    def _record(self, alert: Alert, channel: Channel, state: DeliveryState, reason: str, attempts: int) -> None:
        if self._journal is not None:
            try:
                self._journal.record_delivery(
                    alert.dedupe_key, channel.key, state.value, reason=reason, attempts=attempts,
                    alert_at=alert.created_at,
                )
            except Exception as exc:
                log.warning("forwarding: the journal could not save a delivery (%s)", type(exc).__name__)
        if state is not DeliveryState.SKIPPED:
            log.info("forwarding %s to %s: %s %s", alert.kind.value, channel.name, state.value, reason)
        self.delivery_changed.emit(alert.dedupe_key, channel.name, state.value, reason)

    def _channel_failed(self, channel: Channel, reason: str) -> None:
        count = self._failures.get(channel.key, 0) + 1
        self._failures[channel.key] = count
        if count >= FAILING_AFTER and self._states.get(channel.key) is not ChannelState.FAILING:
            self._states[channel.key] = ChannelState.FAILING
            log.warning("forwarding: %s is failing (%s)", channel.name, reason)
            self.channel_state_changed.emit(channel.name, ChannelState.FAILING.value, reason)

    def _channel_ok(self, channel: Channel) -> None:
        self._failures[channel.key] = 0
        if self._states.get(channel.key) is ChannelState.FAILING:
            self._states[channel.key] = ChannelState.OK
            self.channel_state_changed.emit(channel.name, ChannelState.OK.value, "")
