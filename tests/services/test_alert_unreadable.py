"""What a margin-call alert says about what could not be read of the frame, in English and Chinese:
each wire field by name, where it was, how many, and the '?' shown in place of a missing value."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QApplication

from marginwatch.core.events import MarginCall, decode_user_event
from marginwatch.services.alert import margin_call_alert
from tests.core.margin_call_variants import margin_call

D = Decimal


def decoded(position: dict[str, Any] | None = None, *, extra_positions: int = 0, **top: Any) -> MarginCall:
    frame = json.dumps(margin_call(position, extra_positions=extra_positions, **top)).encode()
    event = decode_user_event(frame)
    assert isinstance(event, MarginCall)
    return event


def test_an_unreadable_time_or_position_list_is_named_in_words(english: QApplication) -> None:
    alert = margin_call_alert("Main", decoded(E="soon", p="x"))
    assert alert.title == "Margin call on Main: 0 positions, 2 unreadable fields"
    assert alert.body.splitlines()[-1] == "Could not read: event time, position list"


def test_an_unreadable_time_or_position_list_is_named_in_chinese(chinese: QApplication) -> None:
    alert = margin_call_alert("Main", decoded(E="soon", p="x"))
    assert alert.body.splitlines()[-1] == "无法读取：事件时间, 仓位列表"
