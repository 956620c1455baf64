"""The risk history chart on a real journal file: the series it draws for the window chosen, the
threshold bands, alerts marked at their times, and the jump from a History row to its moment."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from marginwatch.core.position import PositionSide
from marginwatch.core.risk_tiers import RiskTier, TierThresholds
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal
from marginwatch.services.risk_history import RiskHistory
from marginwatch.ui.history_dialog import HistoryDialog
from marginwatch.ui.risk_history_chart import RiskHistoryChart
from tests.ui.risk_factories import account_risk, position_risk

NOW = 1_700_000_000.0
D = Decimal


@dataclass(frozen=True)
class Subject:
    """What a threshold alert's source event says it is about (alert_rules' crossing)."""

    subject: str


class Clock:
    now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "journal.sqlite3") as j:
        yield j


@pytest.fixture
def history(journal: Journal) -> RiskHistory:
    """Three hours of samples every 10 s: BTC's ratio climbs 1 point a minute from 20 %, ETH (short,
    hedge) stays at 30 %; the account at 40 %."""
    clock = Clock()
    state = {"ratio": 0.2}

    def risks() -> dict[str, object]:
        return {"main": account_risk(
            position_risk("BTCUSDT", ratio=f"{state['ratio']:.4f}", distance="12"),
            position_risk("ETHUSDT", side=PositionSide.SHORT, amount="-1", ratio="0.3"),
            ratio="0.4",
        )}

    h = RiskHistory(journal, risks, clock=clock)  # type: ignore[arg-type]  # AccountRisk values
    for i in range(3 * 360):
        clock.now = NOW - 3 * 3600 + i * 10
        state["ratio"] = 0.2 + i / 36000  # one point an hour
        h.sample()
    return h


def chart_for(qtbot: QtBot, history: RiskHistory, journal: Journal) -> RiskHistoryChart:
    chart = RiskHistoryChart(history, journal, clock=Clock())
    qtbot.addWidget(chart)
    chart.reload_series()
    return chart


def test_the_series_offered_are_the_account_first_then_each_position(
    qtbot: QtBot, history: RiskHistory, journal: Journal
) -> None:
    chart = chart_for(qtbot, history, journal)
    labels = [chart.series_combo.itemText(i) for i in range(chart.series_combo.count())]
    assert labels == ["main: account margin ratio", "main: BTCUSDT", "main: ETHUSDT SHORT"]


def test_the_last_hour_draws_that_hours_samples_in_percent(
    qtbot: QtBot, history: RiskHistory, journal: Journal
) -> None:
    chart = chart_for(qtbot, history, journal)
    assert chart.select("main", "ETHUSDT", "SHORT")
    xs, ys = chart.plotted()
    assert len(xs) == 360 and min(xs) >= NOW - 3600 and max(xs) < NOW
    assert set(ys) == {30.0}
    chart.set_span("day")
    xs, _ = chart.plotted()
    assert chart.time_window() == (NOW - 86400, NOW)
    # All three hours: older than two hours one a minute (folded while sampling), then every 10 s.
    assert xs[0] == (NOW - 3 * 3600) // 60 * 60 and xs[1] - xs[0] == 60 and xs[-1] == NOW - 10 and xs[-1] - xs[-2] == 10


def test_bands_follow_the_thresholds_for_the_ratio_and_the_distance_settings(
    qtbot: QtBot, history: RiskHistory, journal: Journal
) -> None:
    chart = chart_for(qtbot, history, journal)
    chart.set_thresholds(TierThresholds(D("0.6"), D("0.9")))
    assert chart.bands() == [(60.0, 90.0, RiskTier.WARNING), (90.0, 100.0, RiskTier.DANGER)]
    chart.set_distance_bands(15.0, 4.0)
    chart.metric_combo.setCurrentIndex(chart.metric_combo.findData("distance_pct"))
    assert chart.bands() == [(4.0, 15.0, RiskTier.WARNING), (0.0, 4.0, RiskTier.DANGER)]
    chart.select("main", "BTCUSDT")
    assert set(chart.plotted()[1]) == {12.0}
    chart.metric_combo.setCurrentIndex(chart.metric_combo.findData("mark"))
    assert chart.bands() == []


def test_a_figure_that_was_unknown_is_a_gap_not_a_zero(journal: Journal, qtbot: QtBot) -> None:
    clock = Clock()
    ratio = {"v": "0.2"}
    h = RiskHistory(journal, lambda: {"main": account_risk(position_risk(ratio=ratio["v"]))}, clock=clock)
    for i, r in enumerate(["0.2", None, "0.3"]):
        clock.now, ratio["v"] = NOW - 60 + i * 10, r  # type: ignore[assignment]
        h.sample()
    chart = chart_for(qtbot, h, journal)
    chart.select("main", "BTCUSDT")
    ys = chart.plotted()[1]
    assert ys[0] == 20.0 and math.isnan(ys[1]) and ys[2] == 30.0


def test_alerts_are_marked_at_their_times_with_their_tier(qtbot: QtBot, history: RiskHistory, journal: Journal) -> None:
    at = NOW - 1200
    journal.record_alert(Alert(AlertKind.THRESHOLD, "main", RiskTier.DANGER, "Danger: BTCUSDT", "ratio 85 %",
                               "a1", created_at=at, raw=Subject("BTCUSDT BOTH")))
    journal.record_alert(Alert(AlertKind.THRESHOLD, "main", RiskTier.WARNING, "Warning: account", "ratio 55 %",
                               "a2", created_at=NOW - 600))
    journal.record_alert(Alert(AlertKind.THRESHOLD, "main", RiskTier.WARNING, "Warning: account", "old",
                               "a3", created_at=NOW - 7200))  # outside the hour
    chart = chart_for(qtbot, history, journal)
    # The account's chart marks all of the account's alerts in the window; a position's, its own.
    assert [(t, tier) for t, tier, _ in chart.alert_marks()] == [(at, RiskTier.DANGER), (NOW - 600, RiskTier.WARNING)]
    chart.select("main", "BTCUSDT")
    assert chart.alert_marks() == [(at, RiskTier.DANGER, "Danger: BTCUSDT")]


def test_a_history_row_opens_the_chart_at_its_time(qtbot: QtBot, history: RiskHistory, journal: Journal) -> None:
    at = NOW - 1.5 * 3600  # outside the last hour: the jump must move the window
    journal.record_alert(Alert(AlertKind.THRESHOLD, "main", RiskTier.DANGER, "Danger: BTCUSDT", "ratio 85 %",
                               "a1", created_at=at, raw=Subject("BTCUSDT BOTH")))
    dialog = HistoryDialog(journal)
    qtbot.addWidget(dialog)
    chart = chart_for(qtbot, history, journal)
    dialog.chart_requested.connect(chart.show_at)
    with qtbot.waitSignal(dialog.chart_requested) as asked:
        dialog.show_row_on_chart(0)
    assert asked.args == ["main", "BTCUSDT", at]
    assert chart.current_key() == ("main", "BTCUSDT", "BOTH")
    assert chart.time_window() == (at - 1800, at + 1800)
    xs, _ = chart.plotted()
    assert min(xs) >= at - 1800 and max(xs) < at + 1800 and len(xs) == 360
    assert [t for t, _, _ in chart.alert_marks()] == [at]
    chart.range_combo.setCurrentIndex(chart.range_combo.findData("day"))  # "last day" again ends now
    assert chart.time_window() == (NOW - 86400, NOW)


def test_an_open_dialog_follows_new_samples_unless_it_shows_a_moment(
    qtbot: QtBot, history: RiskHistory, journal: Journal
) -> None:
    from marginwatch.ui.risk_history_chart import RiskHistoryDialog

    dialog = RiskHistoryDialog(history, journal)
    qtbot.addWidget(dialog)
    dialog.chart._clock = lambda: NOW + 10  # the sample below is the newest
    dialog.chart.reload_series()
    dialog.chart.select("main", "ETHUSDT", "SHORT")
    dialog.show()
    before = len(dialog.chart.plotted()[0])
    history._clock = lambda: NOW
    history.sample()
    assert len(dialog.chart.plotted()[0]) == before + 1
    dialog.chart.show_at("main", "ETHUSDT", NOW - 5000)
    shown = dialog.chart.plotted()
    history._clock = lambda: NOW + 5
    history.sample()
    assert dialog.chart.plotted() == shown


def test_a_pause_in_sampling_is_a_break_in_the_line(journal: Journal, qtbot: QtBot) -> None:
    clock = Clock()
    h = RiskHistory(journal, lambda: {"main": account_risk(position_risk(ratio="0.2"))}, clock=clock)
    for at in (NOW - 900, NOW - 890, NOW - 880, NOW - 300, NOW - 290):  # ten minutes without samples
        clock.now = at
        h.sample()
    chart = chart_for(qtbot, h, journal)
    chart.select("main", "BTCUSDT")
    xs, ys = chart.plotted()
    assert [x for x, y in zip(xs, ys, strict=True) if not math.isnan(y)] == [NOW - 900, NOW - 890, NOW - 880,
                                                                             NOW - 300, NOW - 290]
    assert len(xs) == 6 and math.isnan(ys[3]) and NOW - 880 < xs[3] < NOW - 300
