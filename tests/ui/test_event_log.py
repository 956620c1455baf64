"""EventLog: newest first by timestamp, bounded, kinds checked."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from marginwatch.ui.event_log import EventLog
from tests.ui.shown_text import event_log_lines


def test_newest_first(qtbot: QtBot) -> None:
    log = EventLog()
    qtbot.addWidget(log)
    log.add_entry(100.0, "info", "first")
    log.add_entry(300.0, "margin_call", "third")
    log.add_entry(200.0, "connection", "second (arrived late)")
    assert [text for _, _, text in log.entries()] == ["third", "second (arrived late)", "first"]
    top = event_log_lines(log)[0]
    assert "Margin call" in top and "third" in top


def test_bounded_drops_oldest(qtbot: QtBot) -> None:
    log = EventLog(max_entries=50)
    qtbot.addWidget(log)
    for i in range(120):
        log.add_entry(float(i), "threshold", f"event {i}")
    assert len(log) == 50
    assert log.entries()[0][2] == "event 119"
    assert log.entries()[-1][2] == "event 70"
    log.add_entry(1.0, "info", "too old to keep")
    assert len(log) == 50 and log.entries()[-1][2] == "event 70"
    log.clear()
    assert log.entries() == []


def test_unknown_kind_is_a_clear_error(qtbot: QtBot) -> None:
    log = EventLog()
    qtbot.addWidget(log)
    with pytest.raises(ValueError, match="unknown event kind 'oops'"):
        log.add_entry(1.0, "oops", "x")
    assert len(log) == 0


def test_an_entry_with_an_alert_key_asks_to_acknowledge_it_and_offers_nothing_once_forgotten(qtbot: QtBot) -> None:
    log = EventLog()
    qtbot.addWidget(log)
    log.add_entry(100.0, "margin_call", "Margin call on Main", key="mc:Main:1:BTCUSDT")
    log.add_entry(200.0, "info", "no alert here")
    asked: list[str] = []
    log.acknowledge_requested.connect(asked.append)
    assert not log.acknowledge_row(0)  # the info entry (newest, first)
    assert log.acknowledge_row(1)
    assert asked == ["mc:Main:1:BTCUSDT"]
    log.forget_key("mc:Main:1:BTCUSDT")
    assert log.entry_key(1) == "" and not log.acknowledge_row(1)
    assert asked == ["mc:Main:1:BTCUSDT"]
