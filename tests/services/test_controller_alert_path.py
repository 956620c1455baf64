"""The controller's alert path on a real journal file: journalled before notified, a replay across a
restart not notified again, a journal that cannot write never costing a notification, and one that
another process holds never holding the notification up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from marginwatch.services.alert import Alert, AlertKind, margin_call_alert
from marginwatch.services.journal import Journal, JournalHealth, JournalState, RowKind
from tests.services.alert_factories import margin_call
from tests.services.alert_path_app import committed_keys, refuse_writes
from tests.services.journal_locks import held_by_another_process

WAIT_S = 10


def test_a_margin_call_is_committed_to_the_journal_file_before_the_notifier_is_asked(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"))
    event = margin_call()

    async def scenario() -> None:
        delivered = app.deliveries(1)
        app.source.margin_call.emit("main", event)
        await asyncio.wait_for(delivered, WAIT_S)

    in_qasync_loop(scenario)
    key = margin_call_alert("main", event).dedupe_key
    [seen] = app.seen
    assert seen.alert.kind is AlertKind.MARGIN_CALL
    assert seen.margin_calls == {key}  # the raw MARGIN_CALL as received
    assert seen.alerts == {key}  # the alert, so that a restart knows it was shown
    [row] = app.journal.query(kind=RowKind.ALERT)
    assert row.data["delivered_at"] is not None


def test_an_alert_journalled_by_a_previous_run_is_not_notified_again(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite3"

    async def scenario() -> None:
        first = alert_path_app(Journal.open(path))
        delivered = first.deliveries(1)
        first.source.margin_call.emit("main", margin_call(event_time=1_700_000_000_000))
        await asyncio.wait_for(delivered, WAIT_S)
        first.journal.close()

        # The next run: the exchange replays the same margin call (a reconnect overlap across the restart).
        second = alert_path_app(Journal.open(path))
        delivered = second.deliveries(1)
        second.source.margin_call.emit("main", margin_call(event_time=1_700_000_000_000))
        assert second.seen == []
        assert not any(kind == "margin_call" for kind, _text in second.events())
        # A new margin call in the same run is notified: the run is alive and listening.
        second.source.margin_call.emit("main", margin_call(event_time=1_700_000_090_000))
        await asyncio.wait_for(delivered, WAIT_S)
        assert [s.alert.raw.event_time for s in second.seen] == [1_700_000_090_000]

    in_qasync_loop(scenario)
    with Journal.open(path) as journal:
        assert len(journal.query(kind=RowKind.MARGIN_CALL)) == 2
        assert len(journal.query(kind=RowKind.ALERT)) == 2


def test_a_margin_call_replayed_within_a_run_is_notified_once(alert_path_app, in_qasync_loop, tmp_path: Path) -> None:
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"))

    async def scenario() -> None:
        delivered = app.deliveries(1)
        app.source.margin_call.emit("main", margin_call())
        app.source.margin_call.emit("main", margin_call())
        await asyncio.wait_for(delivered, WAIT_S)
        await app.controller.notifier.aclose()

    in_qasync_loop(scenario)
    assert [s.alert.kind for s in app.seen] == [AlertKind.MARGIN_CALL]


def test_a_margin_call_is_notified_when_the_journal_cannot_write_and_the_failure_is_shown(
    alert_path_app, in_qasync_loop, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    journal = Journal.open(tmp_path / "journal.sqlite3")
    refuse_writes(tmp_path / "journal.sqlite3", "INSERT ON margin_calls", "INSERT ON alerts")
    app = alert_path_app(journal)
    caplog.set_level(logging.ERROR, logger="marginwatch.controller")

    async def scenario() -> list[tuple[AlertKind, str]]:
        delivered = app.deliveries(1)
        app.source.margin_call.emit("main", margin_call())
        return await asyncio.wait_for(delivered, WAIT_S)

    assert [kind for kind, _channel in in_qasync_loop(scenario)] == [AlertKind.MARGIN_CALL]
    assert [s.alert.kind for s in app.seen] == [AlertKind.MARGIN_CALL]
    shown = app.events()
    assert ("info", "The journal could not save the margin call on main (write refused).") in shown
    assert ("info", "The journal could not save “Margin call on main: ETHUSDT” (write refused).") in shown
    assert any(kind == "margin_call" and text.startswith("Margin call on main: ETHUSDT") for kind, text in shown)
    assert "Margin call on main: ETHUSDT" in app.controller.window.alert_banner.text()
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(logged) == 2 and all(r.exc_info for r in logged)
    assert journal.query(kind=RowKind.ALERT) == [] and journal.query(kind=RowKind.MARGIN_CALL) == []


def test_a_delivery_the_journal_cannot_note_is_still_reported_and_the_failure_is_shown(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    journal = Journal.open(tmp_path / "journal.sqlite3")
    refuse_writes(tmp_path / "journal.sqlite3", "UPDATE ON alerts")
    app = alert_path_app(journal)

    async def scenario() -> list[tuple[AlertKind, str]]:
        delivered = app.deliveries(1)
        app.source.margin_call.emit("main", margin_call())
        return await asyncio.wait_for(delivered, WAIT_S)

    assert [kind for kind, _channel in in_qasync_loop(scenario)] == [AlertKind.MARGIN_CALL]
    assert ("info", "The journal could not save “Margin call on main: ETHUSDT” (write refused).") in app.events()
    [row] = journal.query(kind=RowKind.ALERT)  # stored when raised; only the delivery note is missing
    assert row.data["delivered_at"] is None


def test_a_margin_call_while_another_process_holds_the_journal_is_notified_at_once_and_journalled_after(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite3"
    app = alert_path_app(Journal.open(path, retry_s=0.05), ("--demo", "--scenario", "calm"))
    event = margin_call()
    key = margin_call_alert("main", event).dedupe_key

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = loop.create_future()
        delivered: asyncio.Future[None] = loop.create_future()
        recovered: asyncio.Future[JournalState] = loop.create_future()
        app.controller.started.connect(lambda: started.done() or started.set_result(None))

        def on_delivered(alert: Alert, _channel: str) -> None:
            if alert.dedupe_key == key and not delivered.done():
                delivered.set_result(None)

        def on_state(state: JournalState) -> None:
            if state.health is JournalHealth.OK and not recovered.done():
                recovered.set_result(state)

        app.controller.alert_delivered.connect(on_delivered)
        app.journal.state_changed.connect(on_state)
        run = loop.create_task(app.controller.run())
        try:
            await asyncio.wait_for(started, WAIT_S)
            with held_by_another_process(path) as lock:
                t0 = time.perf_counter()
                app.source.margin_call.emit("main", event)  # journal, alert engine and notifier run in here
                spent = time.perf_counter() - t0
                await asyncio.wait_for(delivered, WAIT_S)
                lock.release()
                await asyncio.wait_for(recovered, WAIT_S)  # the retry timer: no further write needed
        finally:
            app.controller.request_quit()
            await asyncio.wait_for(run, WAIT_S)
        return spent

    spent = in_qasync_loop(scenario)
    assert spent < 1.0, f"the margin call waited {spent:.2f} s for the journal's lock"
    [seen] = [s for s in app.seen if s.alert.dedupe_key == key]
    assert key not in seen.margin_calls and key not in seen.alerts  # notified first, journalled when possible
    shown = [text for kind, text in app.events() if kind == "info"]
    assert any("locked by another process" in text for text in shown)
    assert any("writable again" in text for text in shown)
    assert key in committed_keys(path, "margin_calls") and key in committed_keys(path, "alerts")
    with Journal.open(path) as journal:
        [row] = [r for r in journal.query(kind=RowKind.ALERT) if r.data["dedupe_key"] == key]
        assert row.id > 0 and row.data["delivered_at"] is not None
    assert list(tmp_path.glob("journal.*.sqlite3")) == []


def test_a_journal_that_falls_behind_is_shown_on_the_banner_and_in_the_event_log(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"), ("--demo", "--scenario", "calm"))
    degraded = JournalState(JournalHealth.DISK_FULL, "disk full: 3 rows kept in memory", waiting=3)

    async def scenario() -> str:
        loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = loop.create_future()
        app.controller.started.connect(lambda: started.done() or started.set_result(None))
        run = loop.create_task(app.controller.run())
        try:
            await asyncio.wait_for(started, WAIT_S)
            app.journal.state_changed.emit(degraded)  # as the journal announces it when a write cannot land
            return app.controller.window.alert_banner.text()
        finally:
            app.controller.request_quit()
            await asyncio.wait_for(run, WAIT_S)

    banner = in_qasync_loop(scenario)
    assert "Journal: disk full: 3 rows kept in memory" in banner
    assert ("info", "disk full: 3 rows kept in memory") in app.events()
