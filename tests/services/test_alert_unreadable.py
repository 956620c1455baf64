"""What a margin-call alert says about what could not be read of the frame, in English and Chinese:
each wire field by name, where it was, how many, and the '?' shown in place of a missing value."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from PySide6.QtWidgets import QApplication

from marginwatch.core.events import MarginCall, decode_user_event
from marginwatch.services.alert import margin_call_alert
from tests.core.margin_call_variants import ABSENT, margin_call

D = Decimal
EVERY_FIELD = {"ps": "LONGISH", "pa": "sNaN", "mt": "PORTFOLIO", "iw": "NaN", "mp": "", "up": "NaN", "mm": "Infinity"}


def decoded(position: dict[str, Any] | None = None, *, extra_positions: int = 0, **top: Any) -> MarginCall:
    frame = json.dumps(margin_call(position, extra_positions=extra_positions, **top)).encode()
    event = decode_user_event(frame)
    assert isinstance(event, MarginCall)
    return event


def test_every_unreadable_field_is_named_with_its_position(english: QApplication) -> None:
    alert = margin_call_alert("Main", decoded(EVERY_FIELD, cw="NaN"))
    assert alert.title == "Margin call on Main: ETHUSDT, 8 unreadable fields"
    assert alert.body.splitlines() == [
        "ETHUSDT ? size -- · mark -- · maint. margin --",
        "Could not read: cross wallet, side (ETHUSDT), size (ETHUSDT), margin type (ETHUSDT), "
        "isolated wallet (ETHUSDT), mark (ETHUSDT), unrealized PnL (ETHUSDT), maint. margin (ETHUSDT)",
    ]


def test_every_unreadable_field_is_named_in_chinese(chinese: QApplication) -> None:
    alert = margin_call_alert("Main", decoded(EVERY_FIELD, cw="NaN"))
    assert alert.title == "Main 追加保证金通知：ETHUSDT，8 个字段无法读取"
    assert alert.body.splitlines()[-1] == (
        "无法读取：全仓钱包余额, 持仓方向（ETHUSDT）, 数量（ETHUSDT）, 保证金模式（ETHUSDT）, "
        "逐仓钱包余额（ETHUSDT）, 标记价格（ETHUSDT）, 未实现盈亏（ETHUSDT）, 维持保证金（ETHUSDT）"
    )


def test_an_unreadable_time_or_position_list_is_named_in_words(english: QApplication) -> None:
    alert = margin_call_alert("Main", decoded(E="soon", p="x"))
    assert alert.title == "Margin call on Main: 0 positions, 2 unreadable fields"
    assert alert.body.splitlines()[-1] == "Could not read: event time, position list"


def test_an_unreadable_time_or_position_list_is_named_in_chinese(chinese: QApplication) -> None:
    alert = margin_call_alert("Main", decoded(E="soon", p="x"))
    assert alert.body.splitlines()[-1] == "无法读取：事件时间, 仓位列表"


def test_a_lone_position_without_its_symbol_is_called_one_position(english: QApplication) -> None:
    alert = margin_call_alert("Main", decoded({"s": ABSENT}))
    assert alert.title == "Margin call on Main: one position, one unreadable field"
    lines = alert.body.splitlines()
    assert lines[0] == "? LONG size 1.327 · mark 187.17127 · maint. margin 1.614445"
    assert lines[-1] == "Could not read: symbol (position 1)"


def test_a_lone_position_without_its_symbol_in_chinese(chinese: QApplication) -> None:
    alert = margin_call_alert("Main", decoded({"s": ABSENT}))
    assert alert.title == "Main 追加保证金通知：1 个仓位，1 个字段无法读取"


def test_an_unreadable_call_on_several_named_positions_lists_their_symbols(english: QApplication) -> None:
    alert = margin_call_alert("Main", decoded({"mp": ""}, extra_positions=1))
    assert alert.title == "Margin call on Main: ETHUSDT, SOL0USDT, one unreadable field"
    assert alert.body.splitlines()[-1] == "Could not read: mark (ETHUSDT)"


def test_a_side_left_empty_in_an_older_journal_row_shows_as_a_question_mark(english: QApplication) -> None:
    position = SimpleNamespace(symbol="BTCUSDT", position_side="", amount=D("1"), mark_price=D("60000"),
                               maint_margin=D("12"))
    alert = margin_call_alert("Main", SimpleNamespace(event_time=1, positions=[position]))
    assert alert.body == "BTCUSDT ? size 1 · mark 60000 · maint. margin 12"


def test_a_field_this_version_has_no_name_for_is_shown_by_its_wire_key(english: QApplication) -> None:
    # A journal row written by another version may name a field this one does not know.
    event = SimpleNamespace(event_time=1, positions=[], unreadable=[SimpleNamespace(key="xq")])
    assert margin_call_alert("Main", event).body == "Could not read: xq"
