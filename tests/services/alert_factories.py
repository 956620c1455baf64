"""Builders for alert-path test data: MARGIN_CALL events decoded from wire frames, as the stream gives them."""

from __future__ import annotations

import json

from marginwatch.core.events import MarginCall, decode_user_event

FIXTURE_EVENT_TIME = 1587727187525  # tests/fixtures/binance/margin_call.json


def margin_call(event_time: int = FIXTURE_EVENT_TIME, symbols: tuple[str, ...] = ("ETHUSDT",)) -> MarginCall:
    """A cross MARGIN_CALL naming `symbols`, decoded afresh on every call (a replay is a new object)."""
    frame = {
        "e": "MARGIN_CALL",
        "E": event_time,
        "cw": "3.16812045",
        "p": [
            {"s": s, "ps": "LONG", "pa": "1.327", "mt": "CROSSED", "iw": "0", "mp": "187.17127",
             "up": "-1.166074", "mm": "1.614445"}
            for s in symbols
        ],
    }  # fmt: skip
    event = decode_user_event(json.dumps(frame))
    assert isinstance(event, MarginCall)
    return event
