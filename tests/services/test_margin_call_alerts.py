"""Every MARGIN_CALL reaches the user: decoded as the user stream does, journalled, raised as an
alert whose text says what could not be read, and handed to the notifier."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from marginwatch import i18n
from marginwatch.core.events import MarginCall, decode_user_event
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.alert_engine import AlertEngine
from marginwatch.services.journal import Journal, RowKind
from marginwatch.services.notifier import Notifier
from tests.core.margin_call_variants import DOCUMENTED, VARIANTS

ONE = "Margin call on Main: ETHUSDT, one unreadable field"
# variant -> (title, last line of the body; None: the call was read whole)
EXPECTED: dict[str, tuple[str, str | None]] = {
    "iw_missing": ("Margin call on Main: ETHUSDT", None),
    "iw_null": ("Margin call on Main: ETHUSDT", None),
    "mp_empty": (ONE, "Could not read: mark (ETHUSDT)"),
    "mt_unknown": (ONE, "Could not read: margin type (ETHUSDT)"),
    "ps_unknown": (ONE, "Could not read: side (ETHUSDT)"),
    "pa_snan": (ONE, "Could not read: size (ETHUSDT)"),
    "mm_infinite": (ONE, "Could not read: maint. margin (ETHUSDT)"),
    "up_huge_number": (ONE, "Could not read: unrealized PnL (ETHUSDT)"),
    "symbol_missing_of_two": ("Margin call on Main: 2 positions, one unreadable field",
                              "Could not read: symbol (position 1)"),
    "cw_nan": (ONE, "Could not read: cross wallet"),
    "mark_and_pnl_unreadable": ("Margin call on Main: ETHUSDT, 2 unreadable fields",
                                "Could not read: mark (ETHUSDT), unrealized PnL (ETHUSDT)"),
}


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal.open(tmp_path / "journal.sqlite3")
    yield j
    j.close()


@pytest.fixture
def english(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> QApplication:
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    i18n.install_translator(qapp, "en")
    return qapp


def deliver(journal: Journal, frame: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Alert, str, list[Alert]]:
    """The path a margin call takes in the app: decode, journal, alert, journal the alert, notify."""
    # No session bus: the notifier goes to its fallback, which records what the user would see.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    shown: list[Alert] = []
    notifier = Notifier(fallback=lambda a: shown.append(a) is None)
    engine = AlertEngine()
    raised: list[Alert] = []
    engine.alert_raised.connect(raised.append)
    event = decode_user_event(frame)
    assert isinstance(event, MarginCall)
    assert journal.record_margin_call_event("Main", event)
    engine.on_margin_call("Main", event)
    (alert,) = raised
    assert journal.record_alert(alert) is not None
    channel = asyncio.run(notifier.send(alert))
    return alert, channel, shown


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_an_odd_margin_call_is_journalled_and_notified_with_what_could_not_be_read(
    name: str, journal: Journal, english: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    variant = VARIANTS[name]
    alert, channel, shown = deliver(journal, variant.frame, monkeypatch)
    title, last_line = EXPECTED[name]
    assert (alert.kind, alert.tier) == (AlertKind.MARGIN_CALL, RiskTier.DANGER)
    assert alert.title == title
    lines = alert.body.splitlines()
    if last_line is None:
        assert "Could not read" not in alert.body
    else:
        assert lines[-1] == last_line
    for text in ("NaN", "Infinity", "PORTFOLIO", "BOTHER", "None", "1e+300"):
        assert text not in alert.title + alert.body  # an unreadable value is never shown as a value
    assert channel == "tray" and shown == [alert]
    # Journalled as received (the odd value included) and as alerted.
    (row,) = journal.query(kind=RowKind.MARGIN_CALL)
    assert json.loads(row.data["raw"])["p"] == [
        {k: v for k, v in p.items() if not (k == "iw" and v is None)} for p in variant.doc["p"]
    ]
    parsed = row.data["parsed"]
    keys = [f["key"] for f in parsed["unreadable"]] + [f["key"] for p in parsed["positions"] for f in p["unreadable"]]
    assert tuple(keys) == variant.unreadable
    (alert_row,) = journal.query(kind=RowKind.ALERT)
    assert alert_row.summary == title


def test_a_well_formed_margin_call_keeps_its_text(
    journal: Journal, english: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert, channel, _ = deliver(journal, json.dumps(DOCUMENTED).encode(), monkeypatch)
    assert alert.title == "Margin call on Main: ETHUSDT"
    assert alert.body.splitlines() == [
        "ETHUSDT LONG size 1.327 · mark 187.17127 · maint. margin 1.614445",
        "Cross wallet: 3.16812045 USDT",
    ]
    assert channel == "tray"


def test_unreadable_fields_are_named_in_chinese(
    journal: Journal, qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    assert i18n.install_translator(qapp, "zh_CN") == "zh_CN"
    try:
        alert, _, _ = deliver(journal, VARIANTS["symbol_missing_of_two"].frame, monkeypatch)
    finally:
        i18n.install_translator(qapp, "en")
    assert alert.title == "Main 追加保证金通知：2 个仓位，1 个字段无法读取"
    assert alert.body.splitlines()[-1] == "无法读取：交易对（第 1 个仓位）"
