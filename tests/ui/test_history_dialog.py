"""History dialog on a real journal file: filters, CSV export round trip, and rows that wait while
another process holds the journal file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal, RowKind, read_csv
from marginwatch.ui.history_dialog import HistoryDialog
from tests.services.journal_locks import held_by_another_process

T0 = 1_700_000_000.0


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal.open(tmp_path / "journal.sqlite3")
    for i, (account, symbol) in enumerate([("main", "BTCUSDT"), ("main", "ETHUSDT"), ("alt", "BTCUSDT")]):
        raw = f'{{"e":"MARGIN_CALL","p":[{{"s":"{symbol}"}}]}}'
        j.record_margin_call(account, raw, {"p": [{"s": symbol}]}, 1000 + i, f"mc{i}", received_at=T0 + i * 3600)
    j.record_alert(Alert(AlertKind.THRESHOLD, "main", RiskTier.DANGER, "Danger: account", "ratio 85 %", "a1",
                         created_at=T0 + 4 * 3600))
    j.record_connection("alt", StreamHealth("user", StreamState.RECONNECTING, reason="socket dropped"),
                        at=T0 + 5 * 3600)
    yield j
    j.close()


def test_shows_all_rows_newest_first(qtbot: QtBot, journal: Journal) -> None:
    dialog = HistoryDialog(journal)
    qtbot.addWidget(dialog)
    dialog.show()
    rows = dialog.rows()
    assert len(rows) == 5 and dialog.table.rowCount() == 5
    assert [r.at for r in rows] == sorted((r.at for r in rows), reverse=True)
    assert rows[0].kind is RowKind.CONNECTION
    assert dialog.table.item(0, 1).text() == "alt"
    assert "user stream reconnecting" in dialog.table.item(0, 4).text()
    assert {dialog.account_combo.itemData(i) for i in range(dialog.account_combo.count())} == {None, "alt", "main"}


def test_filters_by_account_symbol_kind_and_time(qtbot: QtBot, journal: Journal) -> None:
    dialog = HistoryDialog(journal)
    qtbot.addWidget(dialog)
    dialog.set_filters(account="main")
    assert {r.account for r in dialog.rows()} == {"main"} and len(dialog.rows()) == 3
    dialog.set_filters(symbol="BTCUSDT")
    assert [(r.account, r.symbols) for r in dialog.rows()] == [("alt", ("BTCUSDT",)), ("main", ("BTCUSDT",))]
    dialog.set_filters(kind=RowKind.ALERT)
    assert [r.summary for r in dialog.rows()] == ["Danger: account"]
    dialog.set_filters(since=T0 + 3600, until=T0 + 3 * 3600)
    assert [r.at for r in dialog.rows()] == [T0 + 2 * 3600, T0 + 3600]
    # The widgets drive the same filters: typing a symbol in lower case.
    dialog.set_filters()
    dialog.symbol_edit.setText("ethusdt")
    dialog.symbol_edit.editingFinished.emit()
    assert [r.symbols for r in dialog.rows()] == [("ETHUSDT",)]
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(RowKind.CONNECTION.value))
    assert dialog.rows() == []  # connection rows have no symbols


def test_csv_export_round_trip(qtbot: QtBot, journal: Journal, tmp_path: Path) -> None:
    dialog = HistoryDialog(journal, limit=2)
    qtbot.addWidget(dialog)
    assert len(dialog.rows()) == 2 and "newest 2 rows" in dialog.status_label.text()
    with qtbot.waitSignal(dialog.export_finished) as done:
        count = dialog.export_csv(tmp_path / "all.csv")
    assert count == 5 and done.args == [str(tmp_path / "all.csv"), 5]  # export ignores the display limit
    back = read_csv(tmp_path / "all.csv")
    assert back == journal.query(limit=None)
    dialog.set_filters(account="main", kind="margin_call")
    assert dialog.export_csv(tmp_path / "main.csv") == 2
    assert [(r.account, r.kind, r.symbols) for r in read_csv(tmp_path / "main.csv")] == [
        ("main", RowKind.MARGIN_CALL, ("ETHUSDT",)),
        ("main", RowKind.MARGIN_CALL, ("BTCUSDT",)),
    ]


def test_export_failure_is_reported_not_raised(qtbot: QtBot, journal: Journal, tmp_path: Path) -> None:
    dialog = HistoryDialog(journal)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.export_failed):
        assert dialog.export_csv(tmp_path / "missing-dir" / "x.csv") is None
    assert dialog.status_label.text().startswith("Export failed")


def test_rows_waiting_while_another_process_holds_the_journal_are_shown_with_the_rest(
    qtbot: QtBot, journal: Journal, tmp_path: Path
) -> None:
    with held_by_another_process(tmp_path / "journal.sqlite3"):
        journal.record_alert(Alert(AlertKind.MARGIN_CALL, "main", RiskTier.DANGER, "Margin call on main", "body",
                                   "a2", created_at=T0 + 6 * 3600))
        journal.record_margin_call("alt", '{"e":"MARGIN_CALL"}', {"p": [{"s": "SOLUSDT"}]}, 2000, "mc9",
                                   received_at=T0 + 7 * 3600)
        dialog = HistoryDialog(journal)
        qtbot.addWidget(dialog)
        rows = dialog.rows()
        assert len(rows) == 7 and dialog.table.rowCount() == 7  # the file's five and the two waiting
        assert [r.summary for r in rows[:2]] == ["Margin call: SOLUSDT", "Margin call on main"]
        assert "locked by another process" in dialog.status_label.text()
        dialog.set_filters(symbol="SOLUSDT")
        assert [r.account for r in dialog.rows()] == ["alt"]


def test_a_selected_alert_still_repeating_can_be_acknowledged_and_others_cannot(
    qtbot: QtBot, journal: Journal
) -> None:
    dialog = HistoryDialog(journal)
    qtbot.addWidget(dialog)
    dialog.show()
    asked: list[str] = []
    dialog.acknowledge_requested.connect(asked.append)
    dialog.set_escalating({"a1", "mc2"})
    rows = dialog.rows()
    by_key = {r.data.get("dedupe_key"): i for i, r in enumerate(rows)}

    dialog.table.selectRow(by_key["mc0"])  # a margin call that no longer repeats
    assert not dialog.acknowledge_button.isEnabled() and not dialog.acknowledge_selected()
    connection = next(i for i, r in enumerate(rows) if r.kind is RowKind.CONNECTION)
    dialog.table.selectRow(connection)
    assert not dialog.acknowledge_button.isEnabled()
    dialog.table.selectRow(by_key["mc2"])
    assert dialog.acknowledge_button.isEnabled()
    dialog.acknowledge_button.click()
    assert asked == ["mc2"] and not dialog.acknowledge_button.isEnabled()
    dialog.table.selectRow(by_key["a1"])
    assert dialog.acknowledge_selected() and asked == ["mc2", "a1"]
