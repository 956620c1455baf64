"""Frame decoding at its edges: what each refusal says (it is what the event log shows), every input
type a socket or a test can hand in, and stream replies that leave out parts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from marginwatch.core.events import (
    ErrorReply,
    FrameError,
    MarginCall,
    SubscriptionReply,
    UnknownEvent,
    decode_market_frame,
    decode_private_frame,
    decode_user_event,
)
from tests.core.margin_call_variants import ENVELOPE_VARIANTS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "binance"
MARGIN_CALL = (FIXTURES / "margin_call.json").read_bytes().strip()
DEEP = b'{"e":"X","d":' + b"[" * 100_000 + b"]" * 100_000 + b"}"

# The whole message where it is ours alone; where it carries the JSON decoder's detail, our part
# and that detail (the path or the type found), so a message that lost either is caught.
EXACT: list[tuple[Any, str]] = [
    (b"", "empty frame"),
    (b" \n\t", "empty frame"),
    ("", "empty frame"),
    ("  \r\n", "empty frame"),
    (bytearray(b" "), "empty frame"),
    (memoryview(b""), "empty frame"),
    (12345, "frame must be bytes or str, not int"),
    (b'{"stream":"k","data":[1]}', "wrapped 'data' is an array, expected one event object"),
    (b'{"result":null,"id":7}', "stream reply (result/error/id), not an event"),
    (b'{"E":1587727187525,"p":[]}', "event object has no event type 'e'"),
    (b'{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1"}', "markPriceUpdate on the user-data stream"),
]
WITH_DETAIL: list[tuple[bytes, str, str]] = [
    (b"[1,2,3]", "frame is not a JSON object with a string 'e': ", "got `array`"),
    (b'{"e":5,"E":1}', "frame is not a JSON object with a string 'e': ", "`$.e`"),
    (b'{"stream":"k","data":"x"}', "wrapped 'data' is not a JSON object with a string 'e': ", "got `str`"),
    (DEEP, "malformed JSON in frame: ", "recursion"),
]


@pytest.mark.parametrize(("frame", "message"), EXACT)
def test_a_refused_user_frame_says_exactly_why(frame: Any, message: str) -> None:
    with pytest.raises(FrameError) as info:
        decode_user_event(frame)
    assert str(info.value) == message


@pytest.mark.parametrize(("frame", "prefix", "detail"), WITH_DETAIL)
def test_a_refused_frame_names_where_it_failed_and_the_decoders_reason(frame: bytes, prefix: str, detail: str) -> None:
    with pytest.raises(FrameError) as info:
        decode_user_event(frame)
    text = str(info.value)
    assert text.startswith(prefix) and detail in text[len(prefix):]


@pytest.mark.parametrize(("frame", "detail"), [
    (b'{"id":[1],"result":null}', "got `array`"),
    (b'{"id":1,"error":5}', "got `int`"),
])
def test_a_malformed_stream_reply_is_refused_with_the_decoders_reason(frame: bytes, detail: str) -> None:
    with pytest.raises(FrameError) as info:
        decode_private_frame(frame)
    text = str(info.value)
    assert text.startswith("malformed stream reply: ") and detail in text


class _Frame(bytes):
    """A bytes subclass, as some socket wrappers hand out."""


@pytest.mark.parametrize("wrap", [bytearray, memoryview, _Frame, lambda b: b.decode()],
                         ids=["bytearray", "memoryview", "bytes-subclass", "str"])
def test_a_frame_in_any_accepted_type_decodes_like_its_bytes(wrap: Callable[[bytes], Any]) -> None:
    expected = decode_user_event(MARGIN_CALL)
    assert isinstance(expected, MarginCall)
    assert decode_user_event(wrap(MARGIN_CALL)) == expected
    assert decode_private_frame(wrap(MARGIN_CALL)) == expected


@pytest.mark.parametrize("text", [
    '{"e":"SOMETHING_NEW","E":1,"x":"\ud800"}',
    '{"e":"MARGIN_CALL","E":1,"p":[{"s":"\udcff"}]}',
    '{"e":"markPriceUpdate","E":1,"s":"\ud83d","p":"1"}',
])
def test_a_str_frame_with_a_lone_surrogate_never_raises_anything_but_frame_error(text: str) -> None:
    # A str from a lenient text decoder can hold half a surrogate pair; it must not escape as UnicodeEncodeError.
    for decode in (decode_user_event, decode_private_frame, decode_market_frame):
        try:
            decode(text)
        except FrameError:
            pass


def test_a_lone_surrogate_outside_the_fields_read_still_gives_the_event() -> None:
    ev = decode_user_event('{"e":"SOMETHING_NEW","E":7,"x":"\ud800"}')
    assert isinstance(ev, UnknownEvent) and (ev.event_type, ev.event_time) == ("SOMETHING_NEW", 7)


@pytest.mark.parametrize(("frame", "reply"), [
    (b'{"result":null}', SubscriptionReply(id=None, result=None)),
    (b'{"result":["a@markPrice"]}', SubscriptionReply(id=None, result=["a@markPrice"])),
    (b'{"id":5}', SubscriptionReply(id=5, result=None)),
    (b'{"error":{"code":1,"msg":"x"}}', ErrorReply(id=None, code=1, msg="x")),
])
def test_a_stream_reply_without_its_id_or_result_is_still_a_reply(frame: bytes, reply: object) -> None:
    assert decode_private_frame(frame) == reply
    assert decode_market_frame(frame) == reply


def test_decode_private_frame_stands_the_receive_time_in_for_an_unreadable_margin_call_time() -> None:
    ev = decode_private_frame(ENVELOPE_VARIANTS["E_text"].frame, now_ms=lambda: 1_700_000_000_123)
    assert isinstance(ev, MarginCall) and ev.event_time == 1_700_000_000_123


def test_a_wrapped_array_of_unmodelled_market_events_is_one_unknown_event() -> None:
    inner = b'[{"e":"24hrMiniTicker","E":5,"s":"BTCUSDT"},{"e":"24hrMiniTicker","E":5,"s":"ETHUSDT"}]'
    frame = decode_market_frame(b'{"stream":"!miniTicker@arr","data":' + inner + b"}")
    assert isinstance(frame, UnknownEvent)
    assert (frame.event_type, frame.event_time) == ("24hrMiniTicker", 5)
    assert json.loads(frame.raw) == json.loads(inner)
