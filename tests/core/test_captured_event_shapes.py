"""Every shape of the user-data events and mark-price frames the app reads, as real accounts and
Binance's docs send them: ACCOUNT_UPDATE with or without bc/bep/P, an extra key, empty arrays,
balances only (BNFCR, funding); MARGIN_CALL cross and isolated, E as a string; both
ACCOUNT_CONFIG_UPDATE kinds; listenKeyExpired with and without its key; marks single, all-market,
empty, wrapped, with delivery rows. Each is decoded and every field the decoder keeps is compared
with the frame's own value (`kept_fields`), with the values that matter spelled out too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marginwatch.core.events import (
    AccountConfigUpdate,
    AccountUpdate,
    ListenKeyExpired,
    MarginCall,
    MarkPriceUpdate,
    SubscriptionReply,
    decode_market_frame,
    decode_user_event,
)
from marginwatch.core.position import MarginType, PositionSide
from tests.core.kept_fields import mismatches, source, unwrap

D = Decimal


def wrapped(stream: str, frame: str, *, data_first: bool = False) -> str:
    return f'{{"data":{frame},"stream":"{stream}"}}' if data_first else f'{{"stream":"{stream}","data":{frame}}}'


# ----------------------------------------------------------------------------- ACCOUNT_UPDATE

AU_FULL = """{"e":"ACCOUNT_UPDATE","E":1736200000300,"T":1736200000298,"a":{"m":"ORDER",
"B":[{"a":"USDT","wb":"51234.50000000","cw":"4120.75000000","bc":"12.25000000"},
{"a":"BUSD","wb":"2.50000000","cw":"0.00000000","bc":"-7.50000000"}],
"P":[{"s":"BTCUSDT","pa":"0","ep":"0.00000","bep":"0","cr":"200","up":"0","mt":"isolated","iw":"0.00000000","ps":"BOTH"},
{"s":"BTCUSDT","pa":"3","ep":"70120.10000","bep":"70148.2","cr":"0","up":"310.50000","mt":"isolated",
"iw":"10518.01500000","ps":"LONG"},
{"s":"BTCUSDT","pa":"-1","ep":"70301.00000","bep":"70272.9","cr":"-12.10000000","up":"-77.60000","mt":"cross",
"iw":"0.00000000","ps":"SHORT"}]}}"""
AU_BNFCR = """{"e":"ACCOUNT_UPDATE","T":1781700000123,"E":1781700000123,"a":{"m":"ORDER",
"B":[{"a":"BNFCR","wb":"7350.42000000","cw":"7350.42000000","bc":"0"}],"P":[]}}"""
AU_NO_BEP = """{"e":"ACCOUNT_UPDATE","E":1631717000000,"T":1631717000000,"a":{"m":"ORDER",
"B":[{"a":"USDT","wb":"10000.5","cw":"10000.5","bc":"0"}],
"P":[{"s":"ETHUSDT","pa":"1","ep":"3000","cr":"0","up":"12.5","mt":"cross","iw":"0","ps":"BOTH"}]}}"""
AU_NO_BC = """{"e":"ACCOUNT_UPDATE","E":1736200000500,"T":1736200000497,"a":{"m":"ORDER",
"B":[{"a":"USDT","wb":"51234.50000000","cw":"4120.75000000"}],
"P":[{"s":"BTCUSDT","pa":"2","ep":"61000","cr":"15","up":"40.5","mt":"isolated","iw":"6100.25","ps":"BOTH"}]}}"""
# A margin-type change: an extra key "ma" on the position, the reason last.
AU_MARGIN_TYPE = """{"e":"ACCOUNT_UPDATE","E":1599810000000,"T":1599810000000,"a":{
"B":[{"a":"USDT","wb":"431.05","cw":"331.05","bc":"0"}],
"P":[{"s":"ADAUSDT","pa":"100","ep":"0.1","cr":"0","up":"0.5","mt":"isolated","iw":"100","ps":"BOTH","ma":"USDT"}],
"m":"MARGIN_TYPE_CHANGE"}}"""
AU_FUNDING_B_ONLY = """{"e":"ACCOUNT_UPDATE","E":1700000000123,"T":1700000000120,"a":{"m":"FUNDING_FEE",
"B":[{"a":"USDT","wb":"9996.5","cw":"8896.5","bc":"-3.5"}]}}"""
AU_EMPTY = """{"e":"ACCOUNT_UPDATE","E":1700000000200,"T":1700000000199,"a":{"m":"ORDER","B":[],"P":[]}}"""


@pytest.mark.parametrize("frame", [
    AU_FULL, AU_BNFCR, AU_NO_BEP, AU_NO_BC, AU_MARGIN_TYPE, AU_FUNDING_B_ONLY, AU_EMPTY,
    wrapped("9876listenkey", AU_FULL), wrapped("abc", AU_NO_BC, data_first=True),
], ids=["full", "bnfcr-b-only", "no-bep", "no-bc", "margin-type-change", "funding-b-only", "empty-arrays",
        "wrapped", "wrapped-data-first"])
def test_account_update_keeps_every_field_as_sent(frame: str) -> None:
    event = decode_user_event(frame)
    assert isinstance(event, AccountUpdate)
    assert mismatches(event, unwrap(source(frame))) == []
    assert event.data.dropped == ()


def test_account_update_values_of_each_shape() -> None:
    full = decode_user_event(AU_FULL)
    assert isinstance(full, AccountUpdate)
    assert (full.event_time, full.transaction_time, full.data.reason) == (1736200000300, 1736200000298, "ORDER")
    assert [(b.asset, b.cross_wallet, b.balance_change) for b in full.data.balances or ()] == [
        ("USDT", D("4120.75000000"), D("12.25000000")), ("BUSD", D(0), D("-7.50000000"))]
    long = (full.data.positions or ())[1]
    assert (long.position_side, long.amount, long.isolated_wallet, long.breakeven_price) == (
        PositionSide.LONG, D(3), D("10518.01500000"), D("70148.2"))
    assert (full.data.positions or ())[2].margin_type is MarginType.CROSS
    bnfcr = decode_user_event(AU_BNFCR)
    assert isinstance(bnfcr, AccountUpdate) and bnfcr.data.positions == ()
    assert [(b.asset, b.wallet_balance) for b in bnfcr.data.balances or ()] == [("BNFCR", D("7350.42000000"))]
    no_bep = decode_user_event(AU_NO_BEP)
    assert isinstance(no_bep, AccountUpdate) and (no_bep.data.positions or ())[0].breakeven_price is None
    no_bc = decode_user_event(AU_NO_BC)
    assert isinstance(no_bc, AccountUpdate) and (no_bc.data.balances or ())[0].balance_change is None
    change = decode_user_event(AU_MARGIN_TYPE)
    assert isinstance(change, AccountUpdate) and change.data.reason == "MARGIN_TYPE_CHANGE"
    assert (change.data.positions or ())[0].margin_type is MarginType.ISOLATED
    funding = decode_user_event(AU_FUNDING_B_ONLY)
    assert isinstance(funding, AccountUpdate) and funding.data.positions is None  # not sent: nothing changed
    empty = decode_user_event(AU_EMPTY)
    assert isinstance(empty, AccountUpdate) and (empty.data.balances, empty.data.positions) == ((), ())


# ----------------------------------------------------------------------------- MARGIN_CALL

MC_CROSS = """{"e":"MARGIN_CALL","E":1736200000900,"cw":"812.40000000","p":[{"s":"ETHUSDT","ps":"LONG",
"pa":"2.5","mt":"CROSSED","iw":"0","mp":"2410.55","up":"-230.4","mm":"48.2"}]}"""
MC_ISOLATED = """{"e":"MARGIN_CALL","E":1700000000000,"p":[{"s":"SOLUSDT","ps":"LONG","pa":"50",
"mt":"ISOLATED","iw":"450.5","mp":"172.5","up":"-375","mm":"60.4"}]}"""
MC_E_STRING = """{"e":"MARGIN_CALL","E":"1736200000900","cw":"812.40000000","p":[{"s":"ETHUSDT","ps":"SHORT",
"pa":"-2","mt":"CROSSED","iw":"0","mp":"3600.5","up":"-160.2","mm":"36.1"}]}"""


@pytest.mark.parametrize("frame", [MC_CROSS, MC_ISOLATED, MC_E_STRING, wrapped("lk", MC_CROSS)],
                         ids=["cross", "isolated-no-cw", "E-string", "wrapped"])
def test_margin_call_keeps_every_field_as_sent(frame: str) -> None:
    event = decode_user_event(frame)
    assert isinstance(event, MarginCall)
    assert mismatches(event, unwrap(source(frame))) == []


def test_margin_call_values_of_each_shape() -> None:
    cross = decode_user_event(MC_CROSS)
    assert isinstance(cross, MarginCall) and cross.cross_wallet == D("812.40000000")
    leg = cross.positions[0]
    assert (leg.symbol, leg.position_side, leg.amount, leg.mark_price, leg.maint_margin) == (
        "ETHUSDT", PositionSide.LONG, D("2.5"), D("2410.55"), D("48.2"))
    isolated = decode_user_event(MC_ISOLATED)
    assert isinstance(isolated, MarginCall) and isolated.cross_wallet is None
    assert isolated.positions[0].isolated_wallet == D("450.5")
    as_string = decode_user_event(MC_E_STRING)
    assert isinstance(as_string, MarginCall) and as_string.event_time == 1736200000900
    assert as_string.unreadable == () and as_string.positions[0].position_side is PositionSide.SHORT


# ----------------------------------------------------------------------------- config, listenKeyExpired

CONFIG_LEVERAGE = '{"e":"ACCOUNT_CONFIG_UPDATE","E":1736200001000,"T":1736200000998,"ac":{"s":"BTCUSDT","l":12}}'
CONFIG_ASSET_MODE = '{"e":"ACCOUNT_CONFIG_UPDATE","E":1736200001000,"T":1736200000998,"ai":{"j":true}}'


@pytest.mark.parametrize("frame", [CONFIG_LEVERAGE, wrapped("lk", CONFIG_LEVERAGE), wrapped("lk", CONFIG_ASSET_MODE)],
                         ids=["leverage", "leverage-wrapped", "asset-mode-wrapped"])
def test_account_config_update_keeps_every_field_as_sent(frame: str) -> None:
    event = decode_user_event(frame)
    assert isinstance(event, AccountConfigUpdate)
    assert mismatches(event, unwrap(source(frame))) == []


def test_account_config_update_values() -> None:
    lev = decode_user_event(CONFIG_LEVERAGE)
    assert isinstance(lev, AccountConfigUpdate) and lev.asset_mode is None
    assert lev.leverage is not None and (lev.leverage.symbol, lev.leverage.leverage) == ("BTCUSDT", 12)
    mode = decode_user_event(wrapped("lk", CONFIG_ASSET_MODE))
    assert isinstance(mode, AccountConfigUpdate) and mode.leverage is None
    assert mode.asset_mode is not None and mode.asset_mode.multi_assets is True


EXPIRED_PLAIN = '{"e":"listenKeyExpired","E":1736200002000}'
EXPIRED_KEY = "lkExpired9876zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA"
EXPIRED_WITH_KEY = '{"e":"listenKeyExpired","E":"1736200003000","listenKey":"' + EXPIRED_KEY + '"}'


@pytest.mark.parametrize(("frame", "key"), [
    (EXPIRED_PLAIN, None),
    (EXPIRED_WITH_KEY, EXPIRED_KEY),
    (wrapped("lkExpire", EXPIRED_WITH_KEY), EXPIRED_KEY),
], ids=["plain", "E-string-with-key", "wrapped"])
def test_listen_key_expired_keeps_every_field_as_sent(frame: str, key: str | None) -> None:
    event = decode_user_event(frame)
    assert isinstance(event, ListenKeyExpired)
    assert mismatches(event, unwrap(source(frame))) == []
    assert event.listen_key == key and event.event_time in (1736200002000, 1736200003000)


# ----------------------------------------------------------------------------- mark prices

MARK_FULL = '{"e":"markPriceUpdate","E":1736200004000,"s":"BTCUSDT","p":"70511.20000000","ap":"70511.20000000",' \
            '"i":"70490.11000000","P":"70488.90000000","r":"0.00010700","T":1736208000000,"st":1}'
MARK_MINIMAL = '{"e":"markPriceUpdate","E":1736200004000,"s":"BTCUSDT","p":"70509.95000000",' \
               '"i":"70490.11000000","r":"0.00030000","T":1736208000000}'
MARK_E_STRING = '{"e":"markPriceUpdate","E":"1736200004000","s":"ETHUSDT","p":"3150.1","i":"3149.9",' \
                '"r":"0.0001","T":1736208000000}'
# A delivery contract in the all-market array: no funding rate ("") and T 0.
MARK_ARRAY = f'[{MARK_FULL},{{"e":"markPriceUpdate","E":1736200004000,"s":"BTCUSDT_250926","p":"71020.5",' \
             f'"P":"70488.90000000","r":"","T":0}}]'


@pytest.mark.parametrize(("frame", "count"), [
    (MARK_FULL, 1), (MARK_MINIMAL, 1), (MARK_E_STRING, 1), (wrapped("btcusdt@markPrice", MARK_MINIMAL), 1),
    (wrapped("btcusdt@markPrice@1s", MARK_FULL), 1), (MARK_ARRAY, 2), (wrapped("!markPrice@arr", MARK_ARRAY), 2),
    ("[]", 0), (wrapped("!markPrice@arr@1s", "[]"), 0),
], ids=["full", "minimal", "E-string", "wrapped", "wrapped-1s", "array", "array-wrapped", "empty", "empty-wrapped"])
def test_mark_frames_keep_every_field_as_sent(frame: str, count: int) -> None:
    marks = decode_market_frame(frame)
    assert isinstance(marks, list) and len(marks) == count
    sent = unwrap(source(frame))
    assert mismatches(marks, sent if isinstance(sent, list) else [sent]) == []


def test_mark_values_of_each_shape() -> None:
    full = decode_market_frame(MARK_FULL)
    assert isinstance(full, list) and isinstance(full[0], MarkPriceUpdate)
    assert (full[0].mark_price_text, full[0].symbol_type, full[0].next_funding_time) == ("70511.20000000", 1,
                                                                                          1736208000000)
    minimal = decode_market_frame(MARK_MINIMAL)
    assert isinstance(minimal, list) and (minimal[0].settle_price_str, minimal[0].symbol_type) == (None, None)
    as_string = decode_market_frame(MARK_E_STRING)
    assert isinstance(as_string, list) and as_string[0].event_time == 1736200004000
    delivery = decode_market_frame(MARK_ARRAY)
    assert isinstance(delivery, list)
    assert [(m.symbol, m.funding_rate_str, m.next_funding_time) for m in delivery] == [
        ("BTCUSDT", "0.00010700", 1736208000000), ("BTCUSDT_250926", "", 0)]


def test_a_subscribe_reply_is_a_reply_not_marks() -> None:
    reply = decode_market_frame('{"result":null,"id":1}')
    assert isinstance(reply, SubscriptionReply) and (reply.id, reply.result) == (1, None)
