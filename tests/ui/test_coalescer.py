"""Coalescer (the chart's): the latest value wins, and no value waits longer than one interval."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from marginwatch import pacing
from marginwatch.ui.coalescer import Coalescer


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_value_waits_at_most_one_interval_after_the_previous_delivery_and_is_not_postponed(qtbot: QtBot) -> None:
    clock, got = Clock(), []
    coalescer: Coalescer[int] = Coalescer(got.append, 4.0, clock=clock)  # every 250 ms at most
    coalescer.push(1)
    assert got == [1] and coalescer.scheduled_ms is None  # after a quiet spell: at once
    clock.now += 0.1
    coalescer.push(2)
    assert got == [1] and coalescer.scheduled_ms == 151  # the rest of the interval (+1 ms of timer rounding)
    clock.now += 0.1
    coalescer.push(3)
    assert coalescer.scheduled_ms == 151  # a later value rides on the delivery already due
    qtbot.waitUntil(lambda: got == [1, 3], timeout=2000)  # the timer's own delivery, newest value only
    clock.now += 1.0
    coalescer.push(4)
    assert got == [1, 3, 4]


def test_with_a_first_delay_even_a_value_after_a_quiet_spell_waits_exactly_that_long(qtbot: QtBot) -> None:
    clock, got = Clock(), []
    coalescer: Coalescer[int] = Coalescer(
        got.append, pacing.CHART_RENDERS_PER_S, first_delay_ms=pacing.CHART_FIRST_DELAY_MS, clock=clock
    )
    coalescer.push(1)
    assert got == [] and coalescer.scheduled_ms == pacing.CHART_FIRST_DELAY_MS
    coalescer.flush()  # as the timer would
    assert got == [1] and coalescer.scheduled_ms is None
    clock.now += 0.05
    coalescer.push(2)
    assert coalescer.scheduled_ms == 201  # the interval still rules once a delivery was made
    coalescer.cancel()
    assert not coalescer.pending and coalescer.scheduled_ms is None
