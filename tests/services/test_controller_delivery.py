"""What the controller does once an alert is delivered or shown: the banner's text, the channel noted
in the journal and reported, and the log lines that say how it went out or why the journal missed it."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from marginwatch.core.events import MarginCall, decode_user_event
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import AlertKind
from marginwatch.services.journal import Journal, RowKind
from tests.services.alert_factories import margin_call
from tests.services.alert_path_app import AlertPathApp, refuse_writes

WAIT_S = 10


def deliver(app: AlertPathApp, in_qasync_loop, event: MarginCall) -> list[tuple[AlertKind, str]]:
    async def scenario() -> list[tuple[AlertKind, str]]:
        delivered = app.deliveries(1)
        app.source.margin_call.emit("main", event)
        return await asyncio.wait_for(delivered, WAIT_S)

    return in_qasync_loop(scenario)  # type: ignore[no-any-return]


def test_the_banner_shows_the_alerts_title_and_only_the_first_line_of_its_body(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"))
    deliver(app, in_qasync_loop, margin_call())  # its body: the position, then the cross wallet
    banner = app.controller.window.alert_banner
    assert banner.text().endswith(
        "— Margin call on main: ETHUSDT — ETHUSDT LONG size 1.327 · mark 187.17127 · maint. margin 1.614445"
    )
    assert banner.tier is RiskTier.DANGER


def test_an_alert_without_a_body_shows_its_title_alone_on_the_banner(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"))
    event = decode_user_event(json.dumps({"e": "MARGIN_CALL", "E": 1_700_000_000_000, "p": []}))
    assert isinstance(event, MarginCall)  # names no position and no cross wallet: nothing for a body
    deliver(app, in_qasync_loop, event)
    assert app.controller.window.alert_banner.text().endswith("</b> — Margin call on main: ?")


def test_a_delivery_is_reported_noted_in_the_journal_and_logged_with_the_channel_it_took(
    alert_path_app, in_qasync_loop, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Offscreen there is neither a notification daemon nor a tray: the notifier says "none", and
    # History must say the same rather than claim a channel.
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"))
    caplog.set_level(logging.INFO, logger="marginwatch.controller")
    assert deliver(app, in_qasync_loop, margin_call()) == [(AlertKind.MARGIN_CALL, "none")]
    [row] = app.journal.query(kind=RowKind.ALERT)
    assert row.data["channel"] == "none"
    said = [r.getMessage() for r in caplog.records if r.name == "marginwatch.controller"]
    assert "alert margin_call delivered via none: Margin call on main: ETHUSDT" in said


def test_a_delivery_the_journal_cannot_note_is_logged_as_an_error_with_its_cause(
    alert_path_app, in_qasync_loop, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    journal = Journal.open(tmp_path / "journal.sqlite3")
    refuse_writes(tmp_path / "journal.sqlite3", "UPDATE ON alerts")
    app = alert_path_app(journal)
    caplog.set_level(logging.ERROR, logger="marginwatch.controller")
    deliver(app, in_qasync_loop, margin_call())
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "could not save “Margin call on main: ETHUSDT”" in logged.getMessage()
    assert logged.exc_info is not None and "write refused" in str(logged.exc_info[1])
