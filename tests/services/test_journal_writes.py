"""What each journal write stores, column by column, on a real SQLite file: margin calls, alerts
and their delivery, connection changes, snapshots, and a write that fails half-way."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from enum import Enum
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from marginwatch.core.alert_rules import Metric, ThresholdAlert
from marginwatch.core.events import MarginCall, decode_user_event, encode_event
from marginwatch.core.position import MarginType
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, AlertKind, margin_call_alert
from marginwatch.services.journal import Journal, JournalRow, RowKind, _plain
from tests.ui.risk_factories import account_risk, position_risk

D = Decimal
FIXTURE = Path(__file__).parents[1] / "fixtures" / "binance" / "margin_call.json"


class Clock:
    def __init__(self, t: float = 2_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path: Path, clock: Clock):
    j = Journal.open(tmp_path / "journal.sqlite3", clock=clock)
    yield j
    j.close()


def only(journal: Journal, kind: RowKind) -> JournalRow:
    (row,) = journal.query(kind=kind)
    return row


def margin_call() -> MarginCall:
    event = decode_user_event(FIXTURE.read_bytes())
    assert isinstance(event, MarginCall)
    return event


def alert(key: str = "k1", raw: Any = None, **over: Any) -> Alert:
    fields: dict[str, Any] = dict(kind=AlertKind.THRESHOLD, account="main", tier=RiskTier.DANGER, title="T",
                                  body="B", dedupe_key=key, created_at=1_500.0, raw=raw)
    fields.update(over)
    return Alert(**fields)


# ----------------------------------------------------------------------------- margin calls


def test_a_decoded_margin_call_is_stored_with_readable_names_and_money_as_strings(journal: Journal) -> None:
    event = margin_call()
    assert journal.record_margin_call_event("main", event) is True
    row = only(journal, RowKind.MARGIN_CALL)
    assert row.account == "main" and row.at == 2_000_000.0 and row.symbols == ("ETHUSDT",)
    assert row.data["event_time"] == 1587727187525
    assert row.data["dedupe_key"] == "mc:main:1587727187525:ETHUSDT"
    assert row.data["raw"] == encode_event(event).decode()  # no frame at hand: our exact encoding
    assert row.data["parsed"] == {
        "event_time": 1587727187525,
        "cross_wallet": "3.16812045",
        "positions": [
            {
                "symbol": "ETHUSDT",
                "position_side": "LONG",
                "amount": "1.327",
                "margin_type_wire": "CROSSED",
                "isolated_wallet": "0",
                "mark_price": "187.17127",
                "unrealized_pnl": "-1.166074",
                "maint_margin": "1.614445",
                "unreadable": [],
            }
        ],
        "unreadable": [],
        "account_alias": None,  # COIN-M's `i`; USDⓈ-M sends none
    }


def test_margin_call_dedupe_key_matches_the_alert_for_the_same_event(journal: Journal) -> None:
    event = margin_call()
    journal.record_margin_call_event("main", event)
    assert only(journal, RowKind.MARGIN_CALL).data["dedupe_key"] == margin_call_alert("main", event).dedupe_key


def test_a_margin_call_frame_given_with_the_event_is_stored_as_received(journal: Journal) -> None:
    frame = b'{"e": "MARGIN_CALL", "E": 1587727187525, "cw": "3.16812045", "p": [{"s": "ETHUSDT", "ps": "LONG",' \
            b' "pa": "1.327", "mt": "CROSSED", "iw": "0", "mp": "187.17127", "up": "-1.166074", "mm": "1.614445"}]}'
    journal.record_margin_call_event("main", margin_call(), frame)
    assert only(journal, RowKind.MARGIN_CALL).data["raw"] == frame.decode()


@pytest.mark.parametrize(
    ("positions", "key"),
    [('[{"s":"BTCUSDT"},{"s":"ETHUSDT"}]', "mc:main:9:BTCUSDT, ETHUSDT"), ("[]", "mc:main:9:?")],
)
def test_the_default_dedupe_key_lists_every_symbol_or_a_question_mark(
    journal: Journal, positions: str, key: str
) -> None:
    fields = '"ps":"BOTH","pa":"1","mt":"CROSSED","iw":"0","mp":"1","up":"0","mm":"1"'
    frame = '{"e":"MARGIN_CALL","E":9,"p":' + positions.replace('"}', '",' + fields + "}") + "}"
    event = decode_user_event(frame)
    assert isinstance(event, MarginCall)
    journal.record_margin_call_event("main", event)
    assert only(journal, RowKind.MARGIN_CALL).data["dedupe_key"] == key


def test_event_payloads_become_json_ready_values() -> None:
    class Colour(Enum):
        RED = "red"

    assert _plain({"a": Decimal("1.50"), 2: [Colour.RED, (1, None)]}) == {"a": "1.50", "2": ["red", [1, None]]}


def test_a_given_dedupe_key_is_used_as_is(journal: Journal) -> None:
    assert journal.record_margin_call_event("main", margin_call(), dedupe_key="mc:custom") is True
    assert only(journal, RowKind.MARGIN_CALL).data["dedupe_key"] == "mc:custom"
    assert journal.record_margin_call_event("main", margin_call(), dedupe_key="mc:custom") is False
    assert journal.record_margin_call_event("main", margin_call()) is True  # the default key differs


def test_a_raw_margin_call_takes_symbols_from_binance_field_names_and_its_receive_time(journal: Journal) -> None:
    raw = '{"e":"MARGIN_CALL","E":7,"p":[{"s":"BTCUSDT"},{"s":"ETHUSDT"}]}'
    parsed = {"e": "MARGIN_CALL", "E": 7, "p": [{"s": "BTCUSDT"}, {"s": "ETHUSDT"}]}
    assert journal.record_margin_call("main", raw, parsed, "7", "mc:7", received_at=123.5) is True  # type: ignore[arg-type]
    row = only(journal, RowKind.MARGIN_CALL)
    assert row.at == 123.5 and row.symbols == ("BTCUSDT", "ETHUSDT")
    assert row.data["event_time"] == 7 and row.data["raw"] == raw and row.data["parsed"] == parsed


def test_the_same_margin_call_on_two_accounts_is_two_rows(journal: Journal) -> None:
    event = margin_call()
    assert journal.record_margin_call_event("main", event) and journal.record_margin_call_event("other", event)
    assert sorted(r.account for r in journal.query(kind=RowKind.MARGIN_CALL)) == ["main", "other"]


# ----------------------------------------------------------------------------- alerts


def test_an_alert_row_holds_every_field(journal: Journal) -> None:
    alert_id = journal.record_alert(alert(title="Danger: BTCUSDT", body="ratio 81 %"))
    row = only(journal, RowKind.ALERT)
    assert row.id == alert_id and row.account == "main" and row.at == 1_500.0
    assert {k: row.data[k] for k in ("kind", "tier", "title", "body", "dedupe_key", "channel", "delivered_at")} == {
        "kind": "threshold", "tier": "danger", "title": "Danger: BTCUSDT", "body": "ratio 81 %",
        "dedupe_key": "k1", "channel": None, "delivered_at": None,
    }


def test_alert_ids_are_distinct_row_ids(journal: Journal) -> None:
    first, second = journal.record_alert(alert("k1")), journal.record_alert(alert("k2"))
    assert first is not None and second is not None and first != second
    assert {r.id for r in journal.query(kind=RowKind.ALERT)} == {first, second}


def test_an_alert_with_an_empty_body_stores_an_empty_body(journal: Journal) -> None:
    journal.record_alert(alert(title="", body=""))
    row = only(journal, RowKind.ALERT)
    assert (row.data["title"], row.data["body"]) == ("", "")


def test_positions_without_a_symbol_are_skipped_when_filing_an_alert(journal: Journal) -> None:
    raw = SimpleNamespace(positions=[SimpleNamespace(), SimpleNamespace(symbol=7), SimpleNamespace(symbol="BTCUSDT")])
    journal.record_alert(alert(raw=raw))
    assert only(journal, RowKind.ALERT).symbols == ("BTCUSDT",)


def test_alert_kind_and_tier_given_as_plain_strings_are_stored_as_given(journal: Journal) -> None:
    journal.record_alert(alert(kind="custom", tier="odd"))
    row = only(journal, RowKind.ALERT)
    assert (row.data["kind"], row.data["tier"]) == ("custom", "odd")


@pytest.mark.parametrize(
    ("raw", "symbols"),
    [
        (None, ()),
        ("margin_call", ("ETHUSDT",)),
        (ThresholdAlert("main", "BTCUSDT LONG", Metric.DISTANCE, RiskTier.DANGER, D(4), D(5)), ("BTCUSDT",)),
        (ThresholdAlert("main", "account", Metric.MARGIN_RATIO, RiskTier.DANGER, D(1), D(1)), ()),
    ],
)
def test_an_alert_is_filed_under_the_symbols_of_its_source(
    journal: Journal, raw: Any, symbols: tuple[str, ...]
) -> None:
    journal.record_alert(alert(raw=margin_call() if raw == "margin_call" else raw))
    assert only(journal, RowKind.ALERT).symbols == symbols


def test_delivery_is_stamped_with_the_time_it_happened(journal: Journal, clock: Clock) -> None:
    alert_id = journal.record_alert(alert())
    assert alert_id is not None
    clock.t = 2_000_010.0
    assert journal.mark_delivered(alert_id, "notification") is True
    row = only(journal, RowKind.ALERT)
    assert (row.data["channel"], row.data["delivered_at"]) == ("notification", 2_000_010.0)


def test_marking_one_alert_delivered_leaves_the_others_alone(journal: Journal) -> None:
    first, second = journal.record_alert(alert("k1")), journal.record_alert(alert("k2"))
    assert first is not None and second is not None
    journal.mark_delivered(second, "tray")
    channels = {r.id: r.data["channel"] for r in journal.query(kind=RowKind.ALERT)}
    assert channels == {first: None, second: "tray"}


# ----------------------------------------------------------------------------- connections and snapshots


def test_a_connection_change_is_stored_with_its_time_and_the_same_state_per_account(journal: Journal) -> None:
    down = StreamHealth("user", StreamState.RECONNECTING, "timeout")
    assert journal.record_connection("main", down, at=10.0) is True
    assert journal.record_connection("other", down, at=11.0) is True  # another account's stream
    assert journal.record_connection("main", StreamHealth("user", StreamState.RECONNECTING, "refused")) is True
    assert journal.record_connection("main", StreamHealth("user", StreamState.RECONNECTING, "refused")) is False
    rows = sorted(journal.query(kind=RowKind.CONNECTION), key=lambda r: r.id)
    assert [(r.account, r.at, r.data["state"], r.data["reason"]) for r in rows] == [
        ("main", 10.0, "reconnecting", "timeout"),
        ("other", 11.0, "reconnecting", "timeout"),
        ("main", 2_000_000.0, "reconnecting", "refused"),
    ]


def test_a_snapshot_stores_the_account_figures_and_each_position(journal: Journal) -> None:
    btc = position_risk("BTCUSDT", margin_type=MarginType.ISOLATED)
    eth = position_risk("ETHUSDT", ratio=None, liq=None, distance=None)
    row_id = journal.record_snapshot("main", account_risk(btc, eth, ratio=None))
    row = only(journal, RowKind.SNAPSHOT)
    assert row.id == row_id and row.at == 2_000_000.0 and row.symbols == ("BTCUSDT", "ETHUSDT")
    assert (row.data["wallet"], row.data["margin_balance"], row.data["maint_margin"], row.data["margin_ratio"]) == (
        "10000", "10500", "2100", None
    )
    assert row.data["positions"] == [
        {"symbol": "BTCUSDT", "side": "BOTH", "margin_type": "isolated", "amount": "0.5", "entry_price": "60000",
         "mark_price": "61000", "notional": "30500.0", "unrealized_pnl": "500", "maint_margin": "100",
         "margin_ratio": "0.2", "liquidation_price": "50000", "distance_pct": "18.03"},
        {"symbol": "ETHUSDT", "side": "BOTH", "margin_type": "cross", "amount": "0.5", "entry_price": "60000",
         "mark_price": "61000", "notional": "30500.0", "unrealized_pnl": "500", "maint_margin": "100",
         "margin_ratio": None, "liquidation_price": None, "distance_pct": None},
    ]


def test_a_snapshot_at_a_given_time_returns_its_row_id(journal: Journal) -> None:
    first = journal.record_snapshot("main", account_risk(position_risk()), at=5.0)
    second = journal.record_snapshot("main", account_risk(position_risk()))
    assert first > 0 and second == first + 1
    assert {r.id: r.at for r in journal.query(kind=RowKind.SNAPSHOT)} == {first: 5.0, second: 2_000_000.0}


# ----------------------------------------------------------------------------- one transaction per write


def test_a_write_that_fails_half_way_leaves_nothing_and_the_next_one_works(journal: Journal) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO connection_events (account, stream, state, reason, at)"
            " VALUES ('main', 'user', 'live', NULL, 1)"
        )
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        journal._write(half_then_fail, None)
    assert journal.query(kind=RowKind.CONNECTION) == []
    assert journal.record_connection("main", StreamHealth("user", StreamState.LIVE)) is True
    assert len(journal.query(kind=RowKind.CONNECTION)) == 1


def test_a_write_after_close_is_a_clear_error(tmp_path: Path) -> None:
    j = Journal.open(tmp_path / "j.sqlite3")
    j.close()
    with pytest.raises(RuntimeError, match="the journal is closed"):
        j.record_alert(alert())


def busy_error() -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("database is locked")
    exc.sqlite_errorname = "SQLITE_BUSY"  # as sqlite3 sets it for a busy file
    return exc


class FailingOp:
    def __init__(self, exc: Exception) -> None:
        self.exc, self.calls = exc, 0

    def __call__(self, conn: sqlite3.Connection) -> None:
        self.calls += 1
        raise self.exc


def test_a_write_on_a_busy_file_is_kept_aside_once_not_retried_and_the_file_stays(journal: Journal) -> None:
    path = journal.path
    op = FailingOp(busy_error())
    kept: list[object] = []
    assert journal._write(op, lambda spool: kept.append(spool) or "kept") == "kept"
    assert op.calls == 1 and len(kept) == 1
    assert journal.path == path  # the same file: its rows go back into it once it is free


def test_a_write_held_in_memory_is_not_retried(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with Journal.open(blocker / "journal.sqlite3") as j:
        assert j.path is None
        op = FailingOp(busy_error())
        with pytest.raises(sqlite3.OperationalError):
            j._write(op, None)
        assert op.calls == 1


def test_a_bug_in_a_write_is_raised_at_once_without_touching_the_file(journal: Journal) -> None:
    path = journal.path
    op = FailingOp(sqlite3.IntegrityError("NOT NULL constraint failed"))
    with pytest.raises(sqlite3.IntegrityError):
        journal._write(op, None)
    assert op.calls == 1 and journal.path == path and journal.problem is None
