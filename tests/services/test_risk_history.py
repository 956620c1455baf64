"""Risk over time in the journal's SQLite: what a sample stores, how older samples fold into coarser
ones keeping the worst, that the table stays bounded, and that samples survive a locked file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from marginwatch.core.position import PositionSide
from marginwatch.services import risk_history_store as store
from marginwatch.services.journal import Journal
from marginwatch.services.risk_history import RiskHistory
from tests.services.journal_locks import held_by_another_process
from tests.ui.risk_factories import account_risk, position_risk


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def file_rows(path: Path) -> list[tuple[str, str, float, int, float | None, float | None, float | None]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return conn.execute(
            "SELECT symbol, side, at, level, margin_ratio, distance_pct, mark FROM risk_samples ORDER BY symbol, at"
        ).fetchall()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "journal.sqlite3", retry_s=0) as j:
        yield j


BTC = ("main", "BTCUSDT", "BOTH")
ACCOUNT = ("main", "", "")


def test_a_sample_stores_each_open_position_and_the_account_in_the_journal_file(journal: Journal) -> None:
    risks = {"main": account_risk(
        position_risk("BTCUSDT", mark="61000", ratio="0.25", distance="18.03"),
        position_risk("ETHUSDT", side=PositionSide.SHORT, amount="-2", mark="3000", ratio="0.4", distance="7.5"),
        position_risk("SOLUSDT", amount="0"),  # closed: no series
        ratio="0.31",
    )}
    history = RiskHistory(journal, lambda: risks, clock=Clock(500.0))
    assert history.sample() == 3
    assert journal.path is not None
    assert file_rows(journal.path) == [
        ("", "", 500.0, 0, 0.31, 7.5, None),  # the account's distance is its nearest position's
        ("BTCUSDT", "BOTH", 500.0, 0, 0.25, 18.03, 61000.0),
        ("ETHUSDT", "SHORT", 500.0, 0, 0.4, 7.5, 3000.0),
    ]
    assert history.keys(0.0) == [ACCOUNT, ("main", "BTCUSDT", "BOTH"), ("main", "ETHUSDT", "SHORT")]


def test_samples_older_than_two_hours_fold_into_one_a_minute_that_keeps_the_worst(journal: Journal) -> None:
    clock = Clock(0.0)
    ratio = {"v": "0.2"}
    history = RiskHistory(journal, lambda: {"main": account_risk(position_risk(ratio=ratio["v"], distance=str(
        30 - float(ratio["v"]) * 10), mark=str(60000 + clock.now)))}, clock=clock)
    for i, r in enumerate(["0.2", "0.5", "0.3", "0.1", "0.2", "0.2"]):  # one minute, 10 s apart
        clock.now, ratio["v"] = 60.0 + i * 10, r
        history.sample()
    clock.now = 60.0 + store.RAW_KEEP_S + store.MINUTE_S + 1
    ratio["v"] = "0.2"
    history._last_fold = -float("inf")
    history.sample()  # folds the first minute
    series = history.series(BTC, 0.0)
    assert [(s.at, s.level) for s in series][:1] == [(60.0, 1)] and series[1].level == 0
    assert series[0].margin_ratio == 0.5 and series[0].distance_pct == 25.0  # the worst of the minute
    assert series[0].mark == pytest.approx(60000 + 85.0)  # the minute's average
    assert len(history.series(ACCOUNT, 0.0)) == 2
    # Folding again folds nothing twice.
    assert journal.tidy(lambda conn: store.fold(conn, clock.now)) == 0
    assert history.series(BTC, 0.0) == series


def test_a_week_of_samples_every_ten_seconds_stays_within_the_bound(journal: Journal) -> None:
    # Fed straight through the journal's write path: the same rows a week of sample() calls writes.
    at, step, end = 0.0, store.MINUTE_S, 7 * 86400.0
    rows_per_minute = 6
    while at < end:
        batch = [row for k in range(rows_per_minute)
                 for row in store.sample_rows("main", account_risk(position_risk()), at + k * 10)]
        journal.insert_rows(store.TABLE, batch)
        at += step
        if int(at) % int(store.TEN_MINUTES_S * 3) == 0:
            journal.tidy(lambda conn, now=at: store.fold(conn, now))
    journal.tidy(lambda conn: store.fold(conn, end))
    # Raw for the last two hours, a minute each back to two days, ten minutes each before that.
    per_series = (store.RAW_KEEP_S / 10 + (store.MINUTE_KEEP_S - store.RAW_KEEP_S) / store.MINUTE_S
                  + (end - store.MINUTE_KEEP_S) / store.TEN_MINUTES_S)
    assert journal.path is not None
    with closing(sqlite3.connect(journal.path)) as conn:
        counts = dict(conn.execute("SELECT level, count(*) FROM risk_samples GROUP BY level").fetchall())
    total = sum(counts.values())
    assert set(counts) == {0, 1, 2}
    assert total <= 2 * (per_series + 3), counts  # two series, a bucket of slack at each edge
    assert total >= 2 * (per_series - 3), counts  # and nothing lost beyond the folding


def test_samples_taken_while_another_process_holds_the_lock_are_read_back_and_reach_the_file(
    journal: Journal,
) -> None:
    clock = Clock(100.0)
    history = RiskHistory(journal, lambda: {"main": account_risk(position_risk())}, clock=clock)
    history.sample()
    assert journal.path is not None
    with held_by_another_process(journal.path) as lock:
        clock.now = 110.0
        history.sample()  # kept aside, not waited for
        assert [s.at for s in history.series(BTC, 0.0)] == [100.0, 110.0]
        assert [r[2] for r in file_rows(journal.path) if r[0]] == [100.0]
        lock.release()
    assert journal.retry()
    assert [r[2] for r in file_rows(journal.path) if r[0]] == [100.0, 110.0]
    assert [s.at for s in history.series(BTC, 0.0)] == [100.0, 110.0]  # merged once, not twice


def test_the_journal_prune_drops_old_risk_samples(journal: Journal) -> None:
    clock = Clock(1_000.0)
    history = RiskHistory(journal, lambda: {"main": account_risk(position_risk())}, clock=clock)
    history.sample()
    clock.now = 1_000.0 + 31 * 86400
    history.sample()
    assert journal.prune(30, now=clock.now) == 2
    assert [s.at for s in history.series(BTC, 0.0)] == [clock.now]


def test_the_last_hour_is_kept_in_memory_and_a_closed_position_leaves_it(journal: Journal) -> None:
    clock = Clock(0.0)
    held = {"v": True}
    history = RiskHistory(
        journal, lambda: {"main": account_risk(*([position_risk()] if held["v"] else []))}, clock=clock
    )
    for i in range(400):
        clock.now = i * 10.0
        history.sample()
    recent = history.recent(BTC)
    assert len(recent) == 361 and recent[0].at == 3990.0 - 3600 and recent[-1].at == 3990.0
    held["v"] = False
    clock.now = 3990.0 + 3600
    history.sample()
    assert history.recent(BTC) == ()
    assert len(history.recent(ACCOUNT)) == 361


def test_the_timer_samples_every_interval(qtbot: QtBot, journal: Journal) -> None:
    history = RiskHistory(journal, lambda: {"main": account_risk(position_risk())}, interval_s=0.02)
    history.start()
    with qtbot.waitSignal(history.sampled, timeout=2000):
        pass
    history.stop()
    assert len(history.series(BTC, 0.0)) >= 1


def test_after_a_restart_the_last_hour_is_read_back_from_the_journal_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    clock = Clock(10_000.0)
    with Journal.open(path) as j:
        earlier = RiskHistory(j, lambda: {"main": account_risk(position_risk())}, clock=clock)
        for at in (10_000.0 - 4000, 10_000.0 - 1200, 10_000.0 - 600):
            clock.now = at
            earlier.sample()
    clock.now = 10_000.0
    with Journal.open(path) as j:
        later = RiskHistory(j, lambda: {}, clock=clock)
        assert [s.at for s in later.recent(BTC)] == [8_800.0, 9_400.0]  # the hour only
        assert [s.at for s in later.recent(("main", "ETHUSDT", "BOTH"))] == []
        j.insert_rows("risk_samples", [{"account": "main", "symbol": "ETHUSDT", "side": "BOTH", "at": 9_990.0}])
        assert list(later.recent(("main", "ETHUSDT", "BOTH"))) == []  # looked up once per run, not per paint
