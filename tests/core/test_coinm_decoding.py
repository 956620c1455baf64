"""COIN-M (`/dapi`, dstream) bodies decode with the values the app reads kept; the payloads are
written here in the documented shapes, with numbers of our own."""

from __future__ import annotations

import json
from decimal import Decimal

from marginwatch.core import rest_models as rm
from marginwatch.core.events import AccountUpdate, MarginCall, MarkPriceUpdate, decode_market_frame, decode_user_event
from marginwatch.core.position import MarginType, PositionSide

ACCOUNT = {
    "assets": [
        {"asset": "BTC", "walletBalance": "0.51230000", "unrealizedProfit": "-0.00120000",
         "marginBalance": "0.51110000", "maintMargin": "0.00080000", "initialMargin": "0.01000000",
         "positionInitialMargin": "0.01000000", "openOrderInitialMargin": "0", "maxWithdrawAmount": "0.50110000",
         "crossWalletBalance": "0.49230000", "crossUnPnl": "-0.00120000", "availableBalance": "0.50110000",
         "updateTime": 1761000000001},
        {"asset": "ETH", "walletBalance": "3.00000000", "unrealizedProfit": "0", "marginBalance": "3.00000000",
         "maintMargin": "0", "initialMargin": "0", "positionInitialMargin": "0", "openOrderInitialMargin": "0",
         "maxWithdrawAmount": "3.00000000", "crossWalletBalance": "3.00000000", "crossUnPnl": "0",
         "availableBalance": "3.00000000", "updateTime": 1761000000002},
    ],
    "positions": [
        {"symbol": "BTCUSD_PERP", "positionAmt": "40", "initialMargin": "0.01000000", "maintMargin": "0.00080000",
         "unrealizedProfit": "-0.00120000", "positionInitialMargin": "0.01000000", "openOrderInitialMargin": "0",
         "leverage": "10", "isolated": False, "positionSide": "BOTH", "entryPrice": "61000.0",
         "breakEvenPrice": "61012.5", "maxQty": "1000", "updateTime": 1761000000003, "notionalValue": "0.06600000"},
    ],
    "canDeposit": True, "canTrade": True, "canWithdraw": True, "feeTier": 0, "updateTime": 0,
}

BALANCE = [
    {"accountAlias": "FzXq", "asset": "BTC", "balance": "0.51230000", "withdrawAvailable": "0.50110000",
     "crossWalletBalance": "0.49230000", "crossUnPnl": "-0.00120000", "availableBalance": "0.50110000",
     "updateTime": 1761000000004},
]

POSITION_RISK = [
    {"symbol": "BTCUSD_PERP", "positionAmt": "40", "entryPrice": "61000.0", "breakEvenPrice": "61012.5",
     "markPrice": "60450.10000000", "unRealizedProfit": "-0.00120000", "liquidationPrice": "55321.9",
     "leverage": "10", "maxQty": "1000", "marginType": "cross", "isolatedMargin": "0.00000000",
     "isAutoAddMargin": "false", "positionSide": "BOTH", "notionalValue": "0.06616000",
     "isolatedWallet": "0", "updateTime": "1761000000005"},
    {"symbol": "ETHUSD_260327", "positionAmt": "-25", "entryPrice": "3100.5", "breakEvenPrice": "3099.0",
     "markPrice": "3120.00000000", "unRealizedProfit": "-0.00050000", "liquidationPrice": "3590.2",
     "leverage": "20", "maxQty": "5000", "marginType": "isolated", "isolatedMargin": "0.03950000",
     "isAutoAddMargin": "false", "positionSide": "SHORT", "notionalValue": "-0.08012000",
     "isolatedWallet": "0.04000000", "updateTime": 1761000000006},
]

EXCHANGE_INFO = {
    "timezone": "UTC", "serverTime": 1761000000007,
    "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400}],
    "symbols": [
        {"symbol": "BTCUSD_PERP", "pair": "BTCUSD", "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
         "onboardDate": 1597042800000, "contractStatus": "TRADING", "contractSize": 100, "marginAsset": "BTC",
         "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000", "baseAsset": "BTC",
         "quoteAsset": "USD", "pricePrecision": 1, "quantityPrecision": 0, "baseAssetPrecision": 8,
         "quotePrecision": 8, "equalQtyPrecision": 4, "triggerProtect": "0.0500", "underlyingType": "COIN",
         "underlyingSubType": [], "liquidationFee": "0.015000", "marketTakeBound": "0.05",
         "filters": [{"filterType": "PRICE_FILTER", "minPrice": "1000", "maxPrice": "4520958", "tickSize": "0.1"},
                     {"filterType": "LOT_SIZE", "stepSize": "1", "maxQty": "1000000", "minQty": "1"}],
         "orderTypes": ["LIMIT"], "timeInForce": ["GTC"]},
        {"symbol": "ETHUSD_260327", "pair": "ETHUSD", "contractType": "NEXT_QUARTER", "deliveryDate": 1774598400000,
         "onboardDate": 1758873600000, "contractStatus": "PENDING_TRADING", "contractSize": 10,
         "marginAsset": "ETH", "baseAsset": "ETH", "quoteAsset": "USD", "filters": []},
    ],
}

BRACKETS_V2 = [
    {"symbol": "BTCUSD_PERP", "brackets": [
        {"bracket": 1, "initialLeverage": 125, "qtyCap": 5, "qtyFloor": 0, "maintMarginRatio": 0.004, "cum": 0},
        {"bracket": 2, "initialLeverage": 100, "qtyCap": 10, "qtyFloor": 5, "maintMarginRatio": 0.005,
         "cum": 0.005}]},
]
BRACKETS_V1_PAIR = [
    {"pair": "ETHUSD", "brackets": [
        {"bracket": 1, "initialLeverage": 75, "qtyCap": 200, "qtyFloor": 0, "maintMarginRatio": 0.0065, "cum": 0}]},
]

PREMIUM_INDEX = [
    {"symbol": "BTCUSD_PERP", "pair": "BTCUSD", "markPrice": "60450.10000000", "indexPrice": "60440.00000000",
     "estimatedSettlePrice": "60401.2", "lastFundingRate": "0.00010000", "interestRate": "0.00010000",
     "nextFundingTime": 1761004800000, "time": 1761000000008},
    {"symbol": "ETHUSD_260327", "pair": "ETHUSD", "markPrice": "3120.00000000", "indexPrice": "3101.1",
     "estimatedSettlePrice": "3100.9", "lastFundingRate": "", "interestRate": "", "nextFundingTime": 0,
     "time": 1761000000009},
]


def _b(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_dapi_account_keeps_each_coin_and_the_position_leverage() -> None:
    info = rm.decode_account(_b(ACCOUNT))
    btc, eth = info.assets
    assert (btc.asset, btc.crossWalletBalance, btc.walletBalance) == ("BTC", Decimal("0.49230000"), Decimal("0.5123"))
    assert (eth.asset, eth.crossWalletBalance) == ("ETH", Decimal(3))
    (pos,) = info.positions
    assert (pos.symbol, pos.positionAmt, pos.leverage, pos.isolated) == ("BTCUSD_PERP", Decimal(40), 10, False)
    assert pos.entryPrice == Decimal("61000.0") and pos.notionalValue == Decimal("0.066")


def test_dapi_balance_keeps_alias_and_withdraw_available() -> None:
    (row,) = rm.decode_balances(_b(BALANCE))
    assert (row.accountAlias, row.asset, row.crossWalletBalance) == ("FzXq", "BTC", Decimal("0.4923"))
    assert row.withdrawAvailable == Decimal("0.5011") and row.balance == Decimal("0.5123")


def test_dapi_position_risk_keeps_leverage_margin_type_and_notional_in_coin() -> None:
    btc, eth = rm.decode_position_risk(_b(POSITION_RISK))
    assert (btc.leverage, btc.marginType, btc.isAutoAddMargin) == (10, "cross", False)
    assert btc.liquidationPrice == Decimal("55321.9") and btc.updateTime == 1761000000005
    assert btc.notionalValue == Decimal("0.06616")
    assert (eth.positionSide, eth.positionAmt, eth.marginType) == (PositionSide.SHORT, Decimal(-25), "isolated")
    assert eth.isolatedWallet == Decimal("0.04") and eth.leverage == 20


def test_dapi_exchange_info_keeps_contract_status_and_size() -> None:
    info = rm.decode_exchange_info(_b(EXCHANGE_INFO))
    assert info.dropped == ()
    btc, eth = info.symbols
    assert (btc.symbol, btc.contractSize, btc.trading_status, btc.marginAsset) == (
        "BTCUSD_PERP", Decimal(100), "TRADING", "BTC")
    assert btc.status is None and btc.tick_size == Decimal("0.1") and btc.step_size == Decimal(1)
    assert (eth.contractSize, eth.trading_status, eth.contractType) == (Decimal(10), "PENDING_TRADING", "NEXT_QUARTER")


def test_usdm_exchange_info_still_reads_status() -> None:
    body = {"symbols": [{"symbol": "BTCUSDT", "status": "TRADING", "marginAsset": "USDT", "filters": []}]}
    (sym,) = rm.decode_exchange_info(_b(body)).symbols
    assert (sym.trading_status, sym.contractSize) == ("TRADING", None)


def test_dapi_v2_brackets_per_symbol_read_qty_caps_in_coin() -> None:
    tables = rm.decode_leverage_brackets(_b(BRACKETS_V2))
    table = tables["BTCUSD_PERP"]
    assert [(b.floor, b.cap, b.maint_margin_ratio, b.cum) for b in table.brackets] == [
        (Decimal(0), Decimal(5), Decimal("0.004"), Decimal(0)),
        (Decimal(5), Decimal(10), Decimal("0.005"), Decimal("0.005"))]


def test_dapi_v1_brackets_are_keyed_by_pair() -> None:
    tables = rm.decode_leverage_brackets(_b(BRACKETS_V1_PAIR))
    assert list(tables) == ["ETHUSD"] and tables["ETHUSD"].brackets[0].initial_leverage == 75


def test_dapi_premium_index_keeps_pair_and_empty_delivery_funding() -> None:
    btc, eth = rm.decode_premium_index(_b(PREMIUM_INDEX))
    assert (btc.pair, btc.markPrice, btc.funding_rate) == ("BTCUSD", Decimal("60450.1"), Decimal("0.0001"))
    assert (eth.symbol, eth.funding_rate, eth.markPrice) == ("ETHUSD_260327", None, Decimal(3120))


def test_dstream_mark_price_frames_keep_symbol_and_type() -> None:
    one = {"e": "markPriceUpdate", "E": 1761000000010, "s": "BTCUSD_PERP", "p": "60451.2", "P": "60401.0",
           "i": "60440.1", "r": "0.0001", "T": 1761004800000, "st": 2}
    (upd,) = decode_market_frame(_b(one))
    assert isinstance(upd, MarkPriceUpdate)
    assert (upd.symbol, upd.mark_price_text, upd.symbol_type) == ("BTCUSD_PERP", "60451.2", 2)
    pair = {"stream": "btcusd@markPrice", "data": [dict(one, s="BTCUSD_260327", p="60990.0", r="", T=0)]}
    (leg,) = decode_market_frame(_b(pair))
    assert isinstance(leg, MarkPriceUpdate) and (leg.symbol, leg.mark_price_text) == ("BTCUSD_260327", "60990.0")


def test_coinm_account_update_keeps_alias_and_every_pushed_symbol() -> None:
    frame = {"e": "ACCOUNT_UPDATE", "E": 1761000000011, "T": 1761000000010, "i": "FzXq",
             "a": {"m": "ORDER",
                   "B": [{"a": "BTC", "wb": "0.51", "cw": "0.49", "bc": "0"},
                         {"a": "ETH", "wb": "3", "cw": "2.9", "bc": "-0.1"}],
                   "P": [{"s": "BTCUSD_PERP", "pa": "40", "ep": "61000.0", "cr": "0", "up": "-0.0012",
                          "mt": "cross", "iw": "0", "ps": "BOTH"},
                         {"s": "ETHUSD_260327", "pa": "-25", "ep": "3100.5", "cr": "0", "up": "-0.0005",
                          "mt": "isolated", "iw": "0.04", "ps": "SHORT"}]}}
    ev = decode_user_event(_b(frame))
    assert isinstance(ev, AccountUpdate) and ev.account_alias == "FzXq"
    assert [(b.asset, b.cross_wallet) for b in ev.data.balances or ()] == [("BTC", Decimal("0.49")),
                                                                          ("ETH", Decimal("2.9"))]
    btc, eth = ev.data.positions or ()
    assert (btc.symbol, btc.amount, btc.margin_type) == ("BTCUSD_PERP", Decimal(40), MarginType.CROSS)
    assert (eth.position_side, eth.isolated_wallet, eth.margin_type) == (
        PositionSide.SHORT, Decimal("0.04"), MarginType.ISOLATED)


def test_coinm_margin_call_keeps_alias_and_leg() -> None:
    frame = {"e": "MARGIN_CALL", "E": 1761000000012, "i": "FzXq", "cw": "0.0123",
             "p": [{"s": "BTCUSD_PERP", "ps": "LONG", "pa": "40", "mt": "CROSSED", "iw": "0",
                    "mp": "52000.5", "up": "-0.0079", "mm": "0.0031"}]}
    ev = decode_user_event(_b(frame))
    assert isinstance(ev, MarginCall) and ev.account_alias == "FzXq" and ev.unreadable_count == 0
    (leg,) = ev.positions
    assert (leg.symbol, leg.amount, leg.mark_price, leg.maint_margin) == (
        "BTCUSD_PERP", Decimal(40), Decimal("52000.5"), Decimal("0.0031"))
    assert ev.cross_wallet == Decimal("0.0123")


def test_margin_call_with_an_odd_part_still_keeps_the_alias() -> None:
    frame = {"e": "MARGIN_CALL", "E": "soon", "i": "FzXq", "p": []}
    ev = decode_user_event(_b(frame), now_ms=lambda: 7)
    assert isinstance(ev, MarginCall) and (ev.account_alias, ev.event_time) == ("FzXq", 7)


def test_usdm_margin_call_has_no_alias() -> None:
    frame = {"e": "MARGIN_CALL", "E": 1, "cw": "3", "p": [
        {"s": "ETHUSDT", "ps": "LONG", "pa": "1", "mt": "CROSSED", "iw": "0", "mp": "2000", "up": "-1", "mm": "1"}]}
    ev = decode_user_event(_b(frame))
    assert isinstance(ev, MarginCall) and ev.account_alias is None
