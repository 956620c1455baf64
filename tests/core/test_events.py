"""Wire codecs: documented payloads decode to the right types and values, round-trip exactly,
and anything malformed gives FrameError (never another exception)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marginwatch.core.events import (
    AccountConfigUpdate,
    AccountUpdate,
    DroppedRow,
    ErrorReply,
    FrameError,
    ListenKeyExpired,
    MarginCall,
    MarginCallPosition,
    MarkPriceUpdate,
    SubscriptionReply,
    UnknownEvent,
    decode_market_frame,
    decode_private_frame,
    decode_user_event,
    encode_event,
    encode_stream,
    encode_wire,
)
from marginwatch.core.position import MarginType, PositionSide
from tests.core.margin_call_variants import ABSENT, DOCUMENTED, ENVELOPE_VARIANTS, VARIANTS, margin_call

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "binance"


def _raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


USER_FIXTURES: dict[str, type] = {
    "margin_call": MarginCall,
    "account_update": AccountUpdate,
    "account_config_update_leverage": AccountConfigUpdate,
    "account_config_update_multi_assets": AccountConfigUpdate,
    "listen_key_expired": ListenKeyExpired,
    "listen_key_expired_string_time": ListenKeyExpired,
}
# Documented events nothing in the app reads: they decode as UnknownEvent, with their type and time.
UNMODELLED_FIXTURES: dict[str, str] = {
    "order_trade_update": "ORDER_TRADE_UPDATE",
    "trade_lite": "TRADE_LITE",
    "strategy_update": "STRATEGY_UPDATE",
    "grid_update": "GRID_UPDATE",
    "conditional_order_trigger_reject": "CONDITIONAL_ORDER_TRIGGER_REJECT",
    "algo_update": "ALGO_UPDATE",
}
MARKET_FIXTURES = ["mark_price", "mark_price_all_market", "mark_price_combined", "mark_price_all_market_combined"]


def _with_string_times(doc: Any) -> Any:
    """The same payload with top-level E and T sent as strings (seen from Binance)."""
    out = dict(doc)
    for key in ("E", "T"):
        if isinstance(out.get(key), int):
            out[key] = str(out[key])
    return out


# ----------------------------------------------------------------------------- user events


@pytest.mark.parametrize("name", sorted(USER_FIXTURES))
def test_documented_user_events_decode_to_their_type(name: str) -> None:
    ev = decode_user_event(_raw(name))
    assert type(ev) is USER_FIXTURES[name]
    assert isinstance(ev.event_time, int)
    assert ev.event_time == int(json.loads(_raw(name))["E"])


@pytest.mark.parametrize("name", sorted(USER_FIXTURES))
def test_time_fields_sent_as_strings_normalise_to_int(name: str) -> None:
    doc = json.loads(_raw(name))
    as_str = json.dumps(_with_string_times(doc)).encode()
    assert decode_user_event(as_str) == decode_user_event(_raw(name))
    assert decode_user_event(as_str.decode()) == decode_user_event(_raw(name))  # str input too


@pytest.mark.parametrize("name", sorted(set(USER_FIXTURES) - {"listen_key_expired_string_time"}))
def test_encode_reproduces_the_documented_shape_and_round_trips(name: str) -> None:
    ev = decode_user_event(_raw(name))
    wire = encode_event(ev)
    assert json.loads(wire) == json.loads(_raw(name))
    assert decode_user_event(wire) == ev


def test_string_time_is_encoded_back_as_int() -> None:
    ev = decode_user_event(_raw("listen_key_expired_string_time"))
    assert json.loads(encode_event(ev))["E"] == 1693427319838


@pytest.mark.parametrize("name", sorted(USER_FIXTURES))
def test_combined_stream_wrapper_is_accepted(name: str) -> None:
    inner = _raw(name).strip()
    expected = decode_user_event(inner)
    assert decode_user_event(encode_stream("someListenKey", inner)) == expected
    # Key order is not guaranteed: the slow path must handle "data" before "stream".
    assert decode_user_event(b'{"data":' + inner + b',"stream":"k"}') == expected


def test_margin_call_values() -> None:
    ev = decode_user_event(_raw("margin_call"))
    assert isinstance(ev, MarginCall)
    assert ev.cross_wallet == Decimal("3.16812045")
    (pos,) = ev.positions
    assert pos.symbol == "ETHUSDT"
    assert pos.position_side is PositionSide.LONG
    assert pos.amount == Decimal("1.327")
    assert pos.margin_type is MarginType.CROSS
    assert pos.margin_type_wire == "CROSSED"
    assert pos.isolated_wallet == Decimal(0)
    assert pos.mark_price == Decimal("187.17127")
    assert pos.unrealized_pnl == Decimal("-1.166074")
    assert pos.maint_margin == Decimal("1.614445")


def test_isolated_margin_call_has_no_cross_wallet() -> None:
    doc = json.loads(_raw("margin_call"))
    del doc["cw"]
    doc["p"][0].update(mt="ISOLATED", iw="12.5")
    ev = decode_user_event(json.dumps(doc))
    assert isinstance(ev, MarginCall)
    assert ev.cross_wallet is None
    assert ev.positions[0].margin_type is MarginType.ISOLATED
    assert "cw" not in json.loads(encode_event(ev))


def test_account_update_values() -> None:
    ev = decode_user_event(_raw("account_update"))
    assert isinstance(ev, AccountUpdate)
    assert ev.transaction_time == 1564745798938
    assert ev.data.reason == "ORDER"
    assert ev.data.balances is not None and ev.data.positions is not None
    (bal,) = ev.data.balances
    assert (bal.asset, bal.wallet_balance) == ("USDT", Decimal("122624.12345678"))
    assert bal.cross_wallet == Decimal("100.12345678")
    (pos,) = ev.data.positions
    assert pos.symbol == "BTCUSDT" and pos.amount == 0 and pos.position_side is PositionSide.BOTH
    assert pos.margin_type is MarginType.ISOLATED
    assert pos.accumulated_realized == Decimal(200)


def test_funding_fee_account_update_without_positions() -> None:
    doc = {"e": "ACCOUNT_UPDATE", "E": 1, "T": 1, "a": {"m": "FUNDING_FEE", "S": "BTCUSDT",
           "B": [{"a": "USDT", "wb": "10", "cw": "9.5", "bc": "0"}]}}
    ev = decode_user_event(json.dumps(doc))
    assert isinstance(ev, AccountUpdate)
    assert ev.data.positions is None
    assert ev.data.funding_symbol == "BTCUSDT"
    assert json.loads(encode_event(ev)) == doc


def test_config_updates() -> None:
    lev = decode_user_event(_raw("account_config_update_leverage"))
    assert isinstance(lev, AccountConfigUpdate) and lev.leverage is not None
    assert (lev.leverage.symbol, lev.leverage.leverage, lev.asset_mode) == ("BTCUSDT", 25, None)
    mode = decode_user_event(_raw("account_config_update_multi_assets"))
    assert isinstance(mode, AccountConfigUpdate) and mode.asset_mode is not None
    assert mode.asset_mode.multi_assets is True and mode.leverage is None


def test_listen_key_never_shows_in_repr() -> None:
    ev = decode_user_event(_raw("listen_key_expired"))
    assert isinstance(ev, ListenKeyExpired)
    assert ev.listen_key is not None and ev.listen_key.startswith("WsCMN0")
    assert "WsCMN0" not in repr(ev)


@pytest.mark.parametrize("name", sorted(UNMODELLED_FIXTURES))
def test_documented_events_the_app_does_not_read_decode_as_unknown_events(name: str) -> None:
    raw = _raw(name)
    for frame in (raw, encode_stream("someListenKey", raw.strip())):  # bare and in the combined wrapper
        ev = decode_private_frame(frame)
        assert isinstance(ev, UnknownEvent)
        assert ev.event_type == UNMODELLED_FIXTURES[name]
        assert ev.event_time == json.loads(raw)["E"]
        assert json.loads(ev.raw) == json.loads(raw)  # kept whole, for the log
    assert decode_user_event(raw) == decode_private_frame(raw)


def test_unknown_fields_are_tolerated() -> None:
    doc = json.loads(_raw("margin_call"))
    doc["new"] = {"x": [1, 2]}
    doc["p"][0]["zz"] = "1"
    ev = decode_user_event(json.dumps(doc))
    assert ev == decode_user_event(_raw("margin_call"))


def test_unknown_event_type_is_reported_not_rejected() -> None:
    frame = b'{"e":"SOMETHING_NEW","E":"1700000000000","x":{"y":1}}'
    ev = decode_user_event(frame)
    assert isinstance(ev, UnknownEvent)
    assert (ev.event_type, ev.event_time, ev.raw) == ("SOMETHING_NEW", 1700000000000, frame)
    wrapped = decode_user_event(encode_stream("k", frame))
    assert wrapped == ev


def test_private_frame_returns_subscription_replies() -> None:
    assert decode_private_frame(b'{"result":null,"id":7}') == SubscriptionReply(id=7, result=None)
    err = decode_private_frame(b'{"error":{"code":2,"msg":"Invalid request"},"id":3}')
    assert err == ErrorReply(id=3, code=2, msg="Invalid request")
    assert isinstance(decode_private_frame(_raw("margin_call")), MarginCall)
    with pytest.raises(FrameError, match="reply"):
        decode_user_event(b'{"result":null,"id":7}')


MALFORMED = [
    (b"", "empty"),
    (b"   ", "empty"),
    (b'{"e":"MARGIN_CALL","E":158', "malformed JSON"),
    (b"\xff\xfe\x00garbage", "malformed JSON"),
    (b"[1,2,3]", "not a JSON object"),
    (b"null", "not a JSON object"),
    (b'{"E":1587727187525,"p":[]}', "no event type 'e'"),
    (b'{"e":5,"E":1}', "not a JSON object with a string 'e'"),
    (b'{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","P":[{"s":"X","pa":"abc","ep":"1","mt":"cross","ps":"BOTH"}]}}',
     "$.a.P[0].pa"),
    (b'{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","P":[{"s":"X","pa":"1","ep":"1","mt":"cross","ps":"BOTHER"}]}}',
     "$.a.P[0].ps"),
    (b'{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","P":[{"s":"X","pa":"1","ep":"1","mt":"weird","ps":"BOTH"}]}}',
     "margin type"),
    (b'{"stream":"k","data":[1]}', "array"),
    (b'{"stream":"k","data":"x"}', "wrapped 'data'"),
    (b'{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1"}', "user-data stream"),
    (b'{"e":"X","d":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "malformed JSON"),
]


@pytest.mark.parametrize(("frame", "message"), MALFORMED)
def test_malformed_user_frames_raise_frame_error(frame: bytes, message: str) -> None:
    with pytest.raises(FrameError) as info:
        decode_user_event(frame)
    assert message in str(info.value)


def test_frame_error_does_not_echo_secrets() -> None:
    frame = b'{"e":"listenKeyExpired","E":[],"listenKey":"SECRETKEY123"}'
    with pytest.raises(FrameError) as info:
        decode_user_event(frame)
    assert "SECRETKEY123" not in str(info.value)


def test_non_bytes_input_is_a_frame_error() -> None:
    with pytest.raises(FrameError, match="bytes or str"):
        decode_user_event(12345)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- market frames


def test_single_mark_price_values() -> None:
    frame = decode_market_frame(_raw("mark_price"))
    assert isinstance(frame, list)
    (mp,) = frame
    assert isinstance(mp, MarkPriceUpdate)
    assert (mp.symbol, mp.event_time, mp.next_funding_time) == ("BTCUSDT", 1562305380000, 1562306400000)
    assert mp.mark_price == Decimal("11794.15000000")
    assert mp.index_price == Decimal("11784.62659091")
    assert mp.estimated_settle_price == Decimal("11784.25641265")
    assert mp.funding_rate == Decimal("0.00038167")
    assert mp.mark_price_avg == Decimal("11794.15000000")


@pytest.mark.parametrize("name", MARKET_FIXTURES)
def test_every_mark_price_shape_gives_the_same_list(name: str) -> None:
    assert decode_market_frame(_raw(name)) == decode_market_frame(_raw("mark_price"))
    assert decode_market_frame(_raw(name).decode()) == decode_market_frame(_raw("mark_price"))


def test_mark_price_round_trip() -> None:
    (mp,) = decode_market_frame(_raw("mark_price"))  # type: ignore[misc]
    assert json.loads(encode_event(mp)) == json.loads(_raw("mark_price"))
    arr = decode_market_frame(_raw("mark_price_all_market"))
    assert isinstance(arr, list)
    assert json.loads(encode_event(arr)) == json.loads(_raw("mark_price_all_market"))
    wrapped = encode_stream("!markPrice@arr@1s", encode_event(arr))
    assert json.loads(wrapped) == json.loads(_raw("mark_price_all_market_combined"))
    assert decode_market_frame(wrapped) == arr


def test_delivery_contract_blank_fields_do_not_break_the_array() -> None:
    doc = json.loads(_raw("mark_price_all_market"))
    doc.append({"e": "markPriceUpdate", "E": 1, "s": "BTCUSDT_261225", "p": "70000.1", "i": "69990",
                "P": "", "r": "", "T": 0, "st": 1})
    frame = decode_market_frame(json.dumps(doc))
    assert isinstance(frame, list) and len(frame) == 2
    assert frame[1].funding_rate is None and frame[1].estimated_settle_price is None
    assert frame[1].mark_price == Decimal("70000.1") and frame[1].symbol_type == 1


def test_market_replies_and_unknown_events() -> None:
    assert decode_market_frame(b'{"result":null,"id":1}') == SubscriptionReply(id=1, result=None)
    assert decode_market_frame(b'{"result":["btcusdt@markPrice"],"id":"x"}') == SubscriptionReply(
        id="x", result=["btcusdt@markPrice"]
    )
    assert decode_market_frame(b'{"error":{"code":1,"msg":"bad"},"id":2}') == ErrorReply(id=2, code=1, msg="bad")
    agg = decode_market_frame(b'{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":5,"s":"BTCUSDT"}}')
    assert isinstance(agg, UnknownEvent) and (agg.event_type, agg.event_time) == ("aggTrade", 5)
    arr = decode_market_frame(b'[{"e":"24hrMiniTicker","E":5}]')
    assert isinstance(arr, UnknownEvent) and arr.event_type == "24hrMiniTicker"
    assert decode_market_frame(b"[]") == []


MALFORMED_MARKET = [
    (b"", "empty"),
    (b'{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1', "malformed JSON"),
    (b'{"e":"markPriceUpdate","E":1,"s":"BTCUSDT"}', "`p`"),
    (b'{"e":"markPriceUpdate","E":1,"s":7,"p":"1"}', "$.s"),
    (b'[{"e":"markPriceUpdate","E":1,"s":"A","p":"1"},{"E":1}]', "no event type"),
    (b"[1]", "array element"),
    (b'{"s":"BTCUSDT"}', "no event type"),
    (b'"hello"', "not a JSON object"),
    (b"\x00\x01\x02", "malformed JSON"),
    (b"[" * 100_000, "malformed JSON"),
    (b'{"stream":"a","data":' + b"[" * 5000 + b"]" * 5000 + b"}", "malformed JSON"),
]


@pytest.mark.parametrize(("frame", "message"), MALFORMED_MARKET)
def test_malformed_market_frames_raise_frame_error(frame: bytes, message: str) -> None:
    with pytest.raises(FrameError) as info:
        decode_market_frame(frame)
    assert message in str(info.value)


def test_encode_never_uses_exponent_notation() -> None:
    mp = MarkPriceUpdate(event_time=1, symbol="X", mark_price_text="0.00000010")
    assert b'"p":"0.00000010"' in encode_wire(mp)
    assert decode_market_frame(encode_event(mp)) == [mp]


def test_mark_price_decoding_is_fast() -> None:
    # A generous bound (bench/pipeline.py has the real figure); catches an accidental slow path.
    frame = encode_stream("btcusdt@markPrice@1s", _raw("mark_price").strip())
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        decode_market_frame(frame)
    per_frame = (time.perf_counter() - start) / n
    assert per_frame < 25e-6


# ----------------------------------------------------------------------------- fuzz

ALL_FIXTURES = sorted(p.stem for p in FIXTURES.glob("*.json"))
_SEEDS = {name: _raw(name).strip() for name in ALL_FIXTURES}


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(_SEEDS[draw(st.sampled_from(ALL_FIXTURES))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "splice"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "truncate":
            del data[pos:]
        elif op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from([b'"', b"{", b"}", b"[", b"]", b",", b":", b"null", b"-1", b"\xff",
                                                  b'""', b"1e999", b'"E"', b"true"]))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            other = _SEEDS[draw(st.sampled_from(ALL_FIXTURES))]
            data[pos:] = other[draw(st.integers(0, len(other))) :]
    return bytes(data)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fuzzed_fixtures_only_ever_raise_frame_error(frame: bytes) -> None:
    for decode in (decode_user_event, decode_private_frame, decode_market_frame):
        try:
            decode(frame)
        except FrameError:
            pass


# ----------------------------------------------------------------------------- odd margin calls


def _unreadable_keys(ev: MarginCall) -> tuple[str, ...]:
    return tuple(f.key for f in ev.unreadable) + tuple(f.key for p in ev.positions for f in p.unreadable)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_margin_call_with_an_odd_field_still_decodes_and_names_what_it_could_not_read(name: str) -> None:
    variant = VARIANTS[name]
    ev = decode_user_event(variant.frame)
    assert isinstance(ev, MarginCall)
    assert ev.event_time == DOCUMENTED["E"]
    assert _unreadable_keys(ev) == variant.unreadable
    assert ev.unreadable_count == len(variant.unreadable)
    assert len(ev.positions) == len(variant.doc["p"])
    # Every value that was read is a finite Decimal or a known enum: nothing fails on a later read.
    for p in ev.positions:
        for value in (p.amount, p.isolated_wallet, p.mark_price, p.unrealized_pnl, p.maint_margin):
            assert value is None or (isinstance(value, Decimal) and value.is_finite())
        assert p.margin_type in (None, MarginType.CROSS, MarginType.ISOLATED)
    assert ev.cross_wallet is None or ev.cross_wallet.is_finite()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_an_odd_margin_call_encodes_back_to_what_was_sent(name: str) -> None:
    variant = VARIANTS[name]
    ev = decode_user_event(variant.frame)
    sent = json.loads(variant.frame)
    # A null optional field (iw, cw) means "not given", and goes back as left out.
    if sent.get("cw", "") is None:
        del sent["cw"]
    for p in sent["p"]:
        if p.get("iw", "") is None:
            del p["iw"]
    assert json.loads(encode_event(ev)) == sent
    assert decode_user_event(encode_event(ev)) == ev
    assert decode_user_event(encode_stream("k", variant.frame)) == ev  # the combined wrapper too


def test_unreadable_fields_keep_what_was_sent() -> None:
    ev = decode_user_event(VARIANTS["mp_empty"].frame)
    assert isinstance(ev, MarginCall)
    (pos,) = ev.positions
    assert pos.mark_price is None
    assert [(f.key, f.sent) for f in pos.unreadable] == [("mp", '""')]
    assert pos.amount == Decimal("1.327") and pos.maint_margin == Decimal("1.614445")  # the rest is read
    two = decode_user_event(VARIANTS["symbol_missing_of_two"].frame)
    assert isinstance(two, MarginCall)
    assert two.positions[0].symbol == "" and [(f.key, f.sent) for f in two.positions[0].unreadable] == [("s", None)]
    assert two.positions[1].symbol == "SOL0USDT" and two.positions[1].unreadable == ()


def test_an_unknown_margin_type_is_unreadable_at_decode_time() -> None:
    ev = decode_user_event(VARIANTS["mt_unknown"].frame)
    assert isinstance(ev, MarginCall)
    (pos,) = ev.positions
    assert pos.margin_type_wire is None and pos.margin_type is None
    assert [(f.key, f.sent) for f in pos.unreadable] == [("mt", '"PORTFOLIO"')]


@pytest.mark.parametrize("spelling", ["CROSSED", "crossed", "cross", "ISOLATED", "isolated"])
def test_every_known_margin_type_spelling_is_read(spelling: str) -> None:
    ev = decode_user_event(json.dumps(margin_call({"mt": spelling})))
    assert isinstance(ev, MarginCall)
    (pos,) = ev.positions
    assert pos.unreadable == () and pos.margin_type_wire == spelling
    assert pos.margin_type is (MarginType.ISOLATED if "iso" in spelling.lower() else MarginType.CROSS)


def test_a_margin_call_position_built_in_code_rejects_an_unknown_margin_type() -> None:
    with pytest.raises(ValueError, match="margin type"):
        MarginCallPosition(symbol="ETHUSDT", margin_type_wire="PORTFOLIO")


@pytest.mark.parametrize("key", ["pa", "mp", "up", "mm", "iw"])
@pytest.mark.parametrize("sent", ["NaN", "sNaN", "-sNaN", "inf", "-Infinity", 1e300, "", "abc", True, [], {}])
def test_non_finite_or_non_numeric_amounts_are_unreadable_not_values(key: str, sent: Any) -> None:
    ev = decode_user_event(json.dumps(margin_call({key: sent})))
    assert isinstance(ev, MarginCall)
    (pos,) = ev.positions
    assert [f.key for f in pos.unreadable] == [key]


def test_numbers_sent_as_json_numbers_are_read_exactly() -> None:
    ev = decode_user_event(b'{"e":"MARGIN_CALL","E":1,"p":[{"s":"ETHUSDT","ps":"BOTH","pa":1.327,"mt":"CROSSED",'
                           b'"mp":187.17127,"up":-1.166074,"mm":1.614445}]}')
    assert isinstance(ev, MarginCall)
    (pos,) = ev.positions
    assert pos.unreadable == () and pos.amount == Decimal("1.327") and pos.mark_price == Decimal("187.17127")


def test_a_cross_wallet_left_out_or_null_is_no_fault() -> None:
    for doc in (margin_call(cw=ABSENT), margin_call(cw=None)):
        ev = decode_user_event(json.dumps(doc))
        assert isinstance(ev, MarginCall)
        assert ev.cross_wallet is None and ev.unreadable_count == 0


def test_the_documented_margin_call_has_nothing_unreadable() -> None:
    ev = decode_user_event(_raw("margin_call"))
    assert isinstance(ev, MarginCall) and ev.unreadable_count == 0 and ev.unreadable == ()
    assert b"unreadable" not in encode_event(ev)



# ----------------------------------------------------------------------------- odd margin call envelopes

RECEIVED_MS = 1_700_000_000_123


def _received() -> int:
    return RECEIVED_MS


@pytest.mark.parametrize("name", sorted(ENVELOPE_VARIANTS))
def test_a_margin_call_with_an_odd_time_or_positions_list_still_decodes_and_says_so(name: str) -> None:
    variant = ENVELOPE_VARIANTS[name]
    for frame in (variant.frame, encode_stream("k", variant.frame)):  # bare and in the combined wrapper
        ev = decode_user_event(frame, now_ms=_received)
        assert isinstance(ev, MarginCall)
        assert tuple(f.key for f in ev.unreadable) == variant.unreadable
        # an unreadable time is the receive time; a readable one is kept
        assert ev.event_time == (RECEIVED_MS if "E" in variant.unreadable else DOCUMENTED["E"])
        assert len(ev.positions) == variant.positions
        assert all(p.symbol == "ETHUSDT" and p.unreadable == () for p in ev.positions)  # read in full
        assert ev.cross_wallet == (None if "cw" in variant.unreadable else Decimal(DOCUMENTED["cw"]))


@pytest.mark.parametrize("name", sorted(n for n in ENVELOPE_VARIANTS if "missing" not in n))
def test_an_odd_margin_call_envelope_encodes_back_to_what_was_sent(name: str) -> None:
    variant = ENVELOPE_VARIANTS[name]
    ev = decode_user_event(variant.frame, now_ms=_received)
    sent = json.loads(variant.frame)
    assert json.loads(encode_event(ev)) == sent
    assert decode_user_event(encode_event(ev), now_ms=_received) == ev


def test_what_was_sent_is_kept_for_an_unreadable_time_or_positions_list() -> None:
    ev = decode_user_event(ENVELOPE_VARIANTS["E_and_p_and_cw"].frame, now_ms=_received)
    assert isinstance(ev, MarginCall)
    assert [(f.key, f.sent) for f in ev.unreadable] == [("E", '"soon"'), ("cw", '"NaN"'), ("p", '"x"')]
    missing = decode_user_event(ENVELOPE_VARIANTS["p_missing"].frame)
    assert isinstance(missing, MarginCall) and [(f.key, f.sent) for f in missing.unreadable] == [("p", None)]


@pytest.mark.parametrize(("frame", "unreadable"), [
    (b'{"e":"MARGIN_CALL","E":"soon","p":[]}', ("E",)),
    (b'{"e":"MARGIN_CALL","E":1,"p":"x"}', ("p",)),
    (b'{"e":"MARGIN_CALL","E":1}', ("p",)),
])
def test_envelopes_once_refused_as_malformed_are_margin_calls_now(frame: bytes, unreadable: tuple[str, ...]) -> None:
    ev = decode_user_event(frame)
    assert isinstance(ev, MarginCall) and ev.positions == ()
    assert tuple(f.key for f in ev.unreadable) == unreadable
    assert ev.event_time == (0 if "E" in unreadable else 1)  # no clock given: 0 stands in


# ----------------------------------------------------------------------------- implausible numbers in rows


def _update(positions: list[dict[str, Any]], balances: list[dict[str, Any]] | None = None) -> bytes:
    data: dict[str, Any] = {"m": "ORDER", "P": positions}
    if balances is not None:
        data["B"] = balances
    return json.dumps({"e": "ACCOUNT_UPDATE", "E": 5, "T": 4, "a": data}).encode()


def _row(symbol: str, **fields: Any) -> dict[str, Any]:
    return {"s": symbol, "pa": "1", "ep": "100", "bep": "100", "cr": "0", "up": "0", "mt": "cross", "iw": "0",
            "ps": "BOTH", **fields}


@pytest.mark.parametrize("key", ["pa", "ep", "bep", "cr", "up", "iw"])
@pytest.mark.parametrize("sent", ["NaN", "sNaN", "-sNaN", "inf", "-Infinity", "1e999", 1e300])
def test_a_position_row_with_a_number_that_is_not_finite_is_dropped_and_named(key: str, sent: Any) -> None:
    ev = decode_user_event(_update([_row("BTCUSDT", **{key: sent}), _row("ETHUSDT")]))
    assert isinstance(ev, AccountUpdate)
    assert [p.symbol for p in ev.data.positions or ()] == ["ETHUSDT"]  # the other row is kept
    assert ev.data.dropped == (DroppedRow(where="P", name="BTCUSDT", keys=(key,)),)


def test_a_balance_row_with_a_number_that_is_not_finite_is_dropped_and_named() -> None:
    balances = [{"a": "USDT", "wb": "Infinity", "cw": "NaN", "bc": "0"}, {"a": "BNB", "wb": "1", "cw": "1"}]
    ev = decode_user_event(_update([_row("ETHUSDT")], balances))
    assert isinstance(ev, AccountUpdate)
    assert [b.asset for b in ev.data.balances or ()] == ["BNB"]
    assert [p.symbol for p in ev.data.positions or ()] == ["ETHUSDT"]
    assert ev.data.dropped == (DroppedRow(where="B", name="USDT", keys=("wb", "cw")),)


def test_a_well_formed_account_update_drops_nothing_and_encodes_without_the_report() -> None:
    frame = _update([_row("BTCUSDT"), _row("ETHUSDT")])
    ev = decode_user_event(frame)
    assert isinstance(ev, AccountUpdate) and ev.data.dropped == () and len(ev.data.positions or ()) == 2
    dropped = decode_user_event(_update([_row("BTCUSDT", pa="NaN"), _row("ETHUSDT")]))
    assert b"dropped" not in encode_event(dropped)  # the report is ours, not Binance's wire
