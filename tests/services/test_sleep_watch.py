"""Sleep/resume and clock jumps, seen by comparing an injected wall clock with an injected monotonic one."""

from __future__ import annotations

from datetime import datetime

from pytestqt.qtbot import QtBot

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import AlertKind
from marginwatch.services.sleep_watch import SleepWatch, pause_alert

NIGHT = datetime(2026, 12, 2, 2, 10).timestamp()


class Clocks:
    def __init__(self) -> None:
        self.wall = NIGHT
        self.mono = 1000.0

    def advance(self, wall_s: float, mono_s: float) -> None:
        self.wall += wall_s
        self.mono += mono_s


def watch(clocks: Clocks) -> tuple[SleepWatch, list[tuple[float, float]]]:
    w = SleepWatch(wall=lambda: clocks.wall, monotonic=lambda: clocks.mono, check_every_s=5, gap_s=30)
    seen: list[tuple[float, float]] = []
    w.resumed.connect(lambda a, b: seen.append((a, b)))
    return w, seen


def test_ordinary_ticks_and_small_drift_are_not_a_pause(qtbot: QtBot) -> None:
    clocks = Clocks()
    w, seen = watch(clocks)
    for _ in range(10):
        clocks.advance(5.2, 5.0)
        assert w.check() is False
    clocks.advance(25, 5)  # an NTP step of 20 s
    assert w.check() is False
    assert seen == []


def test_a_suspend_is_reported_once_from_the_last_check_to_now(qtbot: QtBot) -> None:
    clocks = Clocks()
    w, seen = watch(clocks)
    clocks.advance(5, 5)
    w.check()
    before = clocks.wall
    clocks.advance(5 * 3600 + 35 * 60, 2)  # monotonic time stands still while suspended
    assert w.check() is True
    clocks.advance(5, 5)
    w.check()
    assert seen == [(before, before + 5 * 3600 + 35 * 60)]


def test_a_stopped_process_counts_as_a_pause(qtbot: QtBot) -> None:
    clocks = Clocks()
    w, seen = watch(clocks)
    clocks.advance(120, 120)
    assert w.check() is True and len(seen) == 1


def test_a_clock_set_back_is_reported(qtbot: QtBot) -> None:
    clocks = Clocks()
    w, seen = watch(clocks)
    clocks.advance(-3600, 5)
    assert w.check() is True
    assert seen[0][1] < seen[0][0]


def test_the_pause_alert_names_the_gap_in_local_time(qtbot: QtBot) -> None:
    a = pause_alert(NIGHT, datetime(2026, 12, 2, 7, 45).timestamp())
    assert a.title == "Monitoring was paused from 02:10 to 07:45; resyncing every account."
    assert (a.kind, a.tier) == (AlertKind.STREAM_DOWN, RiskTier.WARNING)
    back = pause_alert(NIGHT, NIGHT - 3600)
    assert back.title.startswith("The clock was set back from 02:10 to 01:10")
