"""MEXC decoders on payloads in MEXC's documented shapes; a bad row loses that row only."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from marginwatch.core import mexc_models as m
from marginwatch.core.events import FrameError
from tests.fixtures.mexc.samples import (
    ASSET_ROW,
    CONTRACT_ROW,
    LIQUIDATE_RISK,
    POSITION_ROW,
    RISK_LIMIT_ROW,
    WARNING_NOTICE,
    envelope,
    frame,
)

D = Decimal


def test_position_row_reads_every_field_the_risk_needs() -> None:
    rows = m.positions(m.envelope_data(envelope([POSITION_ROW])))
    assert rows.dropped == ()
    (p,) = rows.rows
    assert (p.symbol, p.vol, p.long, p.isolated, p.leverage) == ("BTC_USDT", D(5000), True, True, 10)
    assert (p.hold_avg_price, p.liquidate_price, p.im) == (D(18000), D(16272), D(900))
    assert (p.hold_fee, p.auto_add_im, p.margin_ratio, p.adl_level) == (D("-0.35"), True, D("0.1"), 1)


def test_numbers_are_read_from_their_text_not_through_float() -> None:
    body = b'{"success":true,"code":0,"data":[' + json.dumps(CONTRACT_ROW).encode() + b"]}"
    rows = m.contracts(m.envelope_data(body))
    assert rows.rows[0].contract_size == D("0.0001")  # float would give 0.000100000000000000004...


def test_short_cross_position_and_zero_liquidation_price() -> None:
    row = POSITION_ROW | {"positionType": 2, "openType": 2, "liquidatePrice": 0}
    (p,) = m.positions([row]).rows
    assert not p.long and not p.isolated and p.liquidate_price is None


@pytest.mark.parametrize(("key", "value"), [("holdVol", None), ("holdAvgPrice", "NaN"), ("positionType", 3),
                                            ("symbol", 7), ("holdVol", -1), ("openType", "1")])
def test_a_bad_position_row_is_dropped_and_named_the_others_kept(key: str, value: object) -> None:
    bad = POSITION_ROW | {key: value, "symbol": "ETH_USDT"} if key != "symbol" else POSITION_ROW | {key: value}
    rows = m.positions([bad, POSITION_ROW])
    assert [p.symbol for p in rows.rows] == ["BTC_USDT"]
    assert len(rows.dropped) == 1 and rows.dropped[0].keys == (key,)
    assert rows.dropped[0].name == ("ETH_USDT" if key != "symbol" else "")


def test_assets_risk_limits_and_contract_detail() -> None:
    (a,) = m.assets([ASSET_ROW]).rows
    assert (a.currency, a.available_balance, a.equity, a.position_margin) == ("USDT", D(50), D("962.5"), D(900))
    (r,) = m.risk_limits({"BTC_USDT": [RISK_LIMIT_ROW]}).rows
    assert (r.symbol, r.long, r.mmr, r.imr, r.level) == ("BTC_USDT", True, D("0.004"), D("0.008"), 1)
    (c,) = m.contracts(CONTRACT_ROW).rows  # detail for one symbol answers an object, not a list
    assert (c.symbol, c.contract_size, c.display_name_en, c.maintenance_margin_rate) == (
        "BTC_USDT", D("0.0001"), "BTC_USDT PERPETUAL", D("0.004"))


def test_a_risk_limit_at_or_above_one_is_not_a_rate() -> None:
    rows = m.risk_limits([RISK_LIMIT_ROW | {"mmr": 1}])
    assert rows.rows == () and rows.dropped[0].keys == ("mmr",)


def test_an_answer_that_says_it_failed_raises_with_code_and_message() -> None:
    with pytest.raises(m.MexcApiError) as err:
        m.envelope_data(b'{"success":false,"code":602,"message":"Signature verification failed!"}')
    assert err.value.code == 602 and "Signature" in err.value.message
    with pytest.raises(FrameError):
        m.envelope_data(b"<html>")


def test_login_replies_and_pong() -> None:
    assert m.decode_private_frame(b'{"channel":"rs.login","data":"success","ts":"1587442022003"}') == m.LoginReply(True)
    failed = m.decode_private_frame(b'{"channel":"rs.error","data":"invalid signature","ts":1}')
    assert failed == m.LoginReply(False, "invalid signature")
    assert m.decode_private_frame(b'{"channel":"pong","data":1587453241453}') == m.Pong(1587453241453)


def test_liquidation_warning_notice_has_display_names_only() -> None:
    push = m.decode_private_frame(json.dumps(WARNING_NOTICE))
    assert isinstance(push, m.Push) and push.channel == "push.personal.generic.notify"
    (n,) = push.rows
    assert isinstance(n, m.MexcNotify) and n.is_warning and n.isolated is True
    assert (n.display_name_en, n.margin_rate, n.ts) == ("BTC_USDT PERPETUAL", D("0.085"), 1760942212000)
    liquidated = json.loads(json.dumps(WARNING_NOTICE))
    liquidated["data"]["param"]["notifyType"] = 1
    assert not m.decode_private_frame(json.dumps(liquidated)).rows[0].is_warning  # type: ignore[union-attr]


def test_display_name_matches_the_contract_in_either_language_else_none() -> None:
    (c,) = m.contracts([CONTRACT_ROW, CONTRACT_ROW | {"symbol": "ETH_USDT", "displayName": "ETH_USDT永续",
                                                       "displayNameEn": "ETH_USDT PERPETUAL"}]).rows[:1]
    eth = m.contracts([CONTRACT_ROW | {"symbol": "ETH_USDT", "displayName": "ETH_USDT永续",
                                       "displayNameEn": "ETH_USDT PERPETUAL"}]).rows[0]
    notice = m.MexcNotify(2, True, "", "eth_usdt perpetual", None, 0)
    assert m.match_display_name(notice, [c, eth]) == "ETH_USDT"
    assert m.match_display_name(m.MexcNotify(2, True, "BTC_USDT永续", "", None, 0), [eth, c]) == "BTC_USDT"
    assert m.match_display_name(m.MexcNotify(2, True, "SOL_USDT永续", "SOL_USDT PERPETUAL", None, 0), [c, eth]) is None


def test_liquidate_risk_push() -> None:
    push = m.decode_private_frame(json.dumps(LIQUIDATE_RISK))
    (r,) = push.rows  # type: ignore[union-attr]
    assert isinstance(r, m.MexcLiquidateRisk)
    assert (r.symbol, r.liquidate_price, r.margin_ratio, r.adl_level) == ("BTC_USDT", D("16300.5"), D("0.0045"), 3)


def test_position_push_with_a_bad_row_drops_it() -> None:
    push = m.decode_private_frame(frame("push.personal.position", POSITION_ROW | {"holdAvgPrice": "Infinity"}))
    assert isinstance(push, m.Push) and push.rows == () and push.dropped[0].keys == ("holdAvgPrice",)
    ok = m.decode_private_frame(frame("push.personal.asset", ASSET_ROW))
    assert isinstance(ok.rows[0], m.MexcAsset)  # type: ignore[union-attr]


def test_unknown_channels_pass_and_garbage_is_a_frame_error() -> None:
    assert m.decode_private_frame(frame("push.personal.order", {})) == m.OtherFrame("push.personal.order")
    for raw in (b"not json", b"[1]", b'{"data":1}'):
        with pytest.raises(FrameError):
            m.decode_private_frame(raw)


def test_fair_price_push_and_ticker_marks() -> None:
    raw = b'{"channel":"push.fair.price","data":{"price":18100.5,"symbol":"BTC_USDT"},"symbol":"BTC_USDT","ts":5}'
    assert m.decode_private_frame(raw) == m.FairPrice("BTC_USDT", D("18100.5"), 5)
    with pytest.raises(FrameError):
        m.decode_private_frame(b'{"channel":"push.fair.price","data":{"price":-1,"symbol":"BTC_USDT"}}')
    marks = m.fair_prices([{"symbol": "BTC_USDT", "fairPrice": 18000.1}, {"symbol": "X", "fairPrice": 0}, 3])
    assert marks == {"BTC_USDT": D("18000.1")}
