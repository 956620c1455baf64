"""Every shape of the REST bodies the app reads, as real accounts and Binance's docs send them:
fields present or absent, numbers as strings or JSON numbers, times as strings, v2-style rows,
single objects or lists, empty answers. Each body is decoded and every field the decoder keeps is
compared with the body's own value (`kept_fields`), with the values that matter spelled out too.
The bodies are written here from those shapes; the figures are made up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import PositionSide
from marginwatch.core.rest_models import (
    decode_account,
    decode_account_config,
    decode_balances,
    decode_exchange_info,
    decode_leverage_brackets,
    decode_listen_key,
    decode_position_risk,
    decode_premium_index,
    decode_server_time,
    decode_symbol_configs,
)
from tests.core.kept_fields import mismatches, source

D = Decimal

# ----------------------------------------------------------------------------- positionRisk v3

RISK_V3_ONE_WAY = b"""[{"symbol":"XRPUSDT","positionSide":"BOTH","positionAmt":"40","entryPrice":"0.512",
"breakEvenPrice":"0.512205","markPrice":"0.53310000","unRealizedProfit":"0.84400000","liquidationPrice":"0",
"isolatedMargin":"0","notional":"21.32400000","marginAsset":"USDT","isolatedWallet":"0",
"initialMargin":"1.06620000","maintMargin":"0.10662000","positionInitialMargin":"1.06620000",
"openOrderInitialMargin":"0","adl":2,"bidNotional":"0","askNotional":"0","updateTime":1731000111222}]"""

# The same row as some clients record it: adl and updateTime as strings.
RISK_V3_STRINGS = b"""[{"symbol":"BTCUSDT","positionSide":"BOTH","positionAmt":"0.012","entryPrice":"71020.4",
"breakEvenPrice":"71048.8082","markPrice":"71100.00000","unRealizedProfit":"0.95520000",
"liquidationPrice":"48210.55120931","isolatedMargin":"0","notional":"853.20000000","marginAsset":"USDT",
"isolatedWallet":"0","initialMargin":"42.66000000","maintMargin":"3.41280000","positionInitialMargin":"42.66000000",
"openOrderInitialMargin":"0","adl":"1","bidNotional":"0","askNotional":"0","updateTime":"1733222333444"}]"""

# A v2-style row: leverage, marginType and isAutoAddMargin as strings, no marginAsset or margins.
RISK_V2_STYLE = b"""[{"symbol":"ETHUSDT","positionAmt":"-1.250","entryPrice":"3101.5","breakEvenPrice":"3100.2",
"markPrice":"3150.00000000","unRealizedProfit":"-60.62500000","liquidationPrice":"5499.12","leverage":"20",
"maxNotionalValue":"2000000","marginType":"isolated","isolatedMargin":"135.45","isAutoAddMargin":"false",
"positionSide":"BOTH","notional":"-3937.5","isolatedWallet":"196.075","updateTime":1729000000001}]"""

RISK_HEDGE_PAIR = b"""[
{"symbol":"SOLUSDT","positionSide":"LONG","positionAmt":"10","entryPrice":"150","breakEvenPrice":"150.06",
"markPrice":"135.00000000","unRealizedProfit":"-150.00000000","liquidationPrice":"84.13","isolatedMargin":"0",
"notional":"1350","marginAsset":"USDT","isolatedWallet":"0","initialMargin":"67.5","maintMargin":"6.75",
"positionInitialMargin":"67.5","openOrderInitialMargin":"0","adl":1,"bidNotional":"0","askNotional":"0",
"updateTime":1760000000000},
{"symbol":"SOLUSDT","positionSide":"SHORT","positionAmt":"-4","entryPrice":"151.2","breakEvenPrice":"151.14",
"markPrice":"135.00000000","unRealizedProfit":"64.80000000","liquidationPrice":"176.55","isolatedMargin":"94.04",
"notional":"-540","marginAsset":"USDT","isolatedWallet":"29.24","initialMargin":"27","maintMargin":"2.7",
"positionInitialMargin":"27","openOrderInitialMargin":"0","adl":0,"bidNotional":"0","askNotional":"0",
"updateTime":1760000000001}]"""


@pytest.mark.parametrize("body", [RISK_V3_ONE_WAY, RISK_V3_STRINGS, RISK_V2_STYLE, RISK_HEDGE_PAIR, b"[]"],
                         ids=["v3-one-way", "v3-strings", "v2-style", "hedge-pair", "empty"])
def test_position_risk_keeps_every_field_as_sent(body: bytes) -> None:
    rows = decode_position_risk(body)
    assert mismatches(list(rows), source(body)) == []
    assert rows.dropped == ()


def test_position_risk_values_of_each_shape() -> None:
    one_way = decode_position_risk(RISK_V3_ONE_WAY)[0]
    assert (one_way.positionSide, one_way.positionAmt, one_way.liquidationPrice) == (PositionSide.BOTH, D(40), D(0))
    assert (one_way.adl, one_way.updateTime, one_way.marginAsset) == (2, 1731000111222, "USDT")
    strings = decode_position_risk(RISK_V3_STRINGS)[0]
    assert (strings.adl, strings.updateTime) == (1, 1733222333444)
    assert strings.liquidationPrice == D("48210.55120931")
    v2 = decode_position_risk(RISK_V2_STYLE)[0]
    assert (v2.positionAmt, v2.isolatedWallet, v2.notional) == (D("-1.250"), D("196.075"), D("-3937.5"))
    assert (v2.marginAsset, v2.initialMargin, v2.maintMargin, v2.adl) == (None, None, None, None)
    long, short = decode_position_risk(RISK_HEDGE_PAIR)
    assert (long.positionSide, short.positionSide) == (PositionSide.LONG, PositionSide.SHORT)
    assert (long.liquidationPrice, short.liquidationPrice) == (D("84.13"), D("176.55"))
    assert (short.positionAmt, short.isolatedWallet, short.adl) == (D(-4), D("29.24"), 0)


# ----------------------------------------------------------------------------- account v3, balance

ACCOUNT_SINGLE = b"""{"totalInitialMargin":"0.00000000","totalMaintMargin":"0.00000000",
"totalWalletBalance":"212.50000000","totalUnrealizedProfit":"0.00000000","totalMarginBalance":"212.50000000",
"totalPositionInitialMargin":"0.00000000","totalOpenOrderInitialMargin":"0.00000000",
"totalCrossWalletBalance":"212.50000000","totalCrossUnPnl":"0.00000000","availableBalance":"212.50000000",
"maxWithdrawAmount":"212.50000000","assets":[
{"asset":"USDT","walletBalance":"61.25000000","unrealizedProfit":"0.00000000","marginBalance":"61.25000000",
"maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000",
"openOrderInitialMargin":"0.00000000","crossWalletBalance":"61.25000000","crossUnPnl":"0.00000000",
"availableBalance":"61.25000000","maxWithdrawAmount":"61.25000000","updateTime":1728000000555},
{"asset":"USDC","walletBalance":"151.25000000","unrealizedProfit":"0.00000000","marginBalance":"151.25000000",
"maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000",
"openOrderInitialMargin":"0.00000000","crossWalletBalance":"151.25000000","crossUnPnl":"0.00000000",
"availableBalance":"212.49000000","maxWithdrawAmount":"151.25000000","updateTime":1728000000555}],
"positions":[{"symbol":"BTCUSDT","positionSide":"BOTH","positionAmt":"0.000","unrealizedProfit":"0.00000000",
"isolatedMargin":"0.00000000","notional":"0","isolatedWallet":"0","initialMargin":"0","maintMargin":"0",
"updateTime":0}]}"""

# Multi-assets mode as a real account reports it: USD totals, two held assets, times as strings.
ACCOUNT_MULTI_STRINGS = b"""{"totalInitialMargin":"11.20400000","totalMaintMargin":"2.80100000",
"totalWalletBalance":"58.31500000","totalUnrealizedProfit":"-1.10200000","totalMarginBalance":"57.21300000",
"totalPositionInitialMargin":"11.20400000","totalOpenOrderInitialMargin":"0.00000000",
"totalCrossWalletBalance":"58.31500000","totalCrossUnPnl":"-1.10200000","availableBalance":"46.01100000",
"maxWithdrawAmount":"46.01100000","assets":[
{"asset":"USDT","walletBalance":"18.30000000","unrealizedProfit":"-1.10200000","marginBalance":"17.19800000",
"maintMargin":"2.80100000","initialMargin":"11.20400000","positionInitialMargin":"11.20400000",
"openOrderInitialMargin":"0.00000000","crossWalletBalance":"18.30000000","crossUnPnl":"-1.10200000",
"availableBalance":"46.01100000","maxWithdrawAmount":"18.30000000","updateTime":"1734000000777"},
{"asset":"USDC","walletBalance":"40.02000000","unrealizedProfit":"0.00000000","marginBalance":"40.02000000",
"maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000",
"openOrderInitialMargin":"0.00000000","crossWalletBalance":"40.02000000","crossUnPnl":"0.00000000",
"availableBalance":"46.01560000","maxWithdrawAmount":"46.01560000","updateTime":"1733999000111"}],
"positions":[{"symbol":"BTCUSDT","positionSide":"BOTH","positionAmt":"0.004","unrealizedProfit":"-1.10200000",
"isolatedMargin":"0","notional":"224.08000000","isolatedWallet":"0","initialMargin":"11.20400000",
"maintMargin":"2.80100000","updateTime":"1734000000777"}]}"""


@pytest.mark.parametrize("body", [ACCOUNT_SINGLE, ACCOUNT_MULTI_STRINGS], ids=["single-asset", "multi-strings"])
def test_account_keeps_every_field_as_sent(body: bytes) -> None:
    assert mismatches(decode_account(body), source(body)) == []


def test_account_values_of_each_shape() -> None:
    single = decode_account(ACCOUNT_SINGLE)
    assert [a.asset for a in single.assets] == ["USDT", "USDC"]
    usdt = single.asset("USDT")
    assert usdt is not None and (usdt.crossWalletBalance, usdt.updateTime) == (D("61.25000000"), 1728000000555)
    assert single.positions[0].positionAmt == D("0.000")
    multi = decode_account(ACCOUNT_MULTI_STRINGS)
    assert multi.totalCrossWalletBalance == D("58.31500000")
    usdc = multi.asset("USDC")
    assert usdc is not None and (usdc.availableBalance, usdc.updateTime) == (D("46.01560000"), 1733999000111)
    assert (multi.positions[0].notional, multi.positions[0].updateTime) == (D("224.08000000"), 1734000000777)


BALANCE = b"""[{"accountAlias":"SgsR","asset":"USDT","balance":"84210.77120000","crossWalletBalance":"61.25000000",
"crossUnPnl":"0.00000000","availableBalance":"61.25000000","maxWithdrawAmount":"61.25000000",
"marginAvailable":true,"updateTime":1727000000999},
{"accountAlias":"SgsR","asset":"BNFCR","balance":"0.00000000","crossWalletBalance":"0.00000000",
"crossUnPnl":"0.00000000","availableBalance":"0.00000000","maxWithdrawAmount":"0.00000000",
"marginAvailable":false,"updateTime":0}]"""


def test_balance_keeps_every_field_as_sent() -> None:
    rows = decode_balances(BALANCE)
    assert mismatches(rows, source(BALANCE)) == []
    assert (rows[0].balance, rows[0].crossWalletBalance, rows[0].marginAvailable) == (
        D("84210.77120000"), D("61.25000000"), True)
    assert (rows[1].asset, rows[1].marginAvailable, rows[1].updateTime) == ("BNFCR", False, 0)


# ----------------------------------------------------------------------------- symbol and account config

CONFIG_BOOLS = b'[{"symbol":"BTCUSDT","marginType":"CROSSED","isAutoAddMargin":false,"leverage":15,' \
               b'"maxNotionalValue":"3000000"}]'
CONFIG_STRING_FLAG = b'[{"symbol":"ETHUSDT","marginType":"ISOLATED","isAutoAddMargin":"false","leverage":5,' \
                     b'"maxNotionalValue":"50000000"}]'
CONFIG_STRING_LEVERAGE = b'[{"symbol":"SOLUSDT","marginType":"CROSSED","isAutoAddMargin":true,"leverage":"7",' \
                         b'"maxNotionalValue":"800000"}]'
CONFIG_SINGLE_OBJECT = b'{"symbol":"BNBUSDT","marginType":"ISOLATED","isAutoAddMargin":false,"leverage":10,' \
                       b'"maxNotionalValue":"1000000"}'


@pytest.mark.parametrize(("body", "expected"), [
    (CONFIG_BOOLS, ("BTCUSDT", "CROSSED", False, 15)),
    (CONFIG_STRING_FLAG, ("ETHUSDT", "ISOLATED", False, 5)),
    (CONFIG_STRING_LEVERAGE, ("SOLUSDT", "CROSSED", True, 7)),
    (CONFIG_SINGLE_OBJECT, ("BNBUSDT", "ISOLATED", False, 10)),
], ids=["booleans", "flag-as-string", "leverage-as-string", "one-object"])
def test_symbol_config_keeps_every_field_as_sent(body: bytes, expected: tuple[str, str, bool, int]) -> None:
    configs = decode_symbol_configs(body)
    sent = source(body)
    assert mismatches(configs, sent if isinstance(sent, list) else [sent]) == []
    c = configs[0]
    assert (c.symbol, c.marginType, c.isAutoAddMargin, c.leverage) == expected


ACCOUNT_CONFIG = b'{"feeTier":0,"canTrade":true,"canDeposit":true,"canWithdraw":true,"dualSidePosition":true,' \
                 b'"updateTime":0,"multiAssetsMargin":false,"tradeGroupId":-1}'
ACCOUNT_CONFIG_MULTI = b'{"feeTier":2,"canTrade":false,"canDeposit":true,"canWithdraw":false,' \
                       b'"dualSidePosition":false,"updateTime":1735001002003,"multiAssetsMargin":true,"tradeGroupId":7}'


@pytest.mark.parametrize(("body", "dual", "multi"),
                         [(ACCOUNT_CONFIG, True, False), (ACCOUNT_CONFIG_MULTI, False, True)])
def test_account_config_keeps_every_field_as_sent(body: bytes, dual: bool, multi: bool) -> None:
    cfg = decode_account_config(body)
    assert mismatches(cfg, source(body)) == []
    assert (cfg.dualSidePosition, cfg.multiAssetsMargin) == (dual, multi)


# ----------------------------------------------------------------------------- small bodies

PREMIUM_ONE = b'{"symbol":"BTCUSDT","markPrice":"64210.11000000","indexPrice":"64190.20000000",' \
              b'"estimatedSettlePrice":"64188.00000000","lastFundingRate":"0.00012500","interestRate":"0.00010000",' \
              b'"nextFundingTime":1736150400000,"time":1736139999123}'
PREMIUM_LIST = b'[{"symbol":"ETHUSDT","markPrice":"3150.12000000","indexPrice":"3149.80000000",' \
               b'"estimatedSettlePrice":"3151.00000000","lastFundingRate":"-0.00001234",' \
               b'"nextFundingTime":1736150400000,' \
               b'"interestRate":"0.00010000","time":1736139999123},' \
               b'{"symbol":"ETHUSDT_250926","markPrice":"3210.50000000","indexPrice":"3149.80000000",' \
               b'"estimatedSettlePrice":"3151.00000000","lastFundingRate":"","nextFundingTime":0,' \
               b'"interestRate":"","time":1736139999123}]'


def test_premium_index_one_object_and_a_list_keep_every_field_as_sent() -> None:
    one = decode_premium_index(PREMIUM_ONE)
    assert mismatches(one, [source(PREMIUM_ONE)]) == []
    assert (one[0].markPrice, one[0].funding_rate, one[0].nextFundingTime) == (
        D("64210.11000000"), D("0.00012500"), 1736150400000)
    rows = decode_premium_index(PREMIUM_LIST)
    assert mismatches(rows, source(PREMIUM_LIST)) == []
    assert [r.funding_rate for r in rows] == [D("-0.00001234"), None]  # a delivery contract has no rate
    assert rows[1].index_price == D("3149.80000000")


def test_listen_key_and_server_time() -> None:
    key = "mWkey0123abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"
    assert decode_listen_key(b'{"listenKey":"' + key.encode() + b'"}') == key
    assert decode_server_time(b'{"serverTime":1736139999456}') == 1736139999456


# ----------------------------------------------------------------------------- exchangeInfo

_FILTERS_STRING = """[{"filterType":"PRICE_FILTER","minPrice":"261.10","maxPrice":"809484","tickSize":"0.10"},
{"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},
{"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"120","stepSize":"0.001"},
{"filterType":"MAX_NUM_ORDERS","limit":200},{"filterType":"MAX_NUM_ALGO_ORDERS","limit":10},
{"filterType":"MIN_NOTIONAL","notional":"100"},
{"filterType":"PERCENT_PRICE","multiplierUp":"1.0500","multiplierDown":"0.9500","multiplierDecimal":"4"}]"""
_SYMBOL = """{{"symbol":"BTCUSDT","pair":"BTCUSDT","contractType":"PERPETUAL","deliveryDate":4133404800000,
"onboardDate":1569398400000,"status":"TRADING","maintMarginPercent":"2.5000","requiredMarginPercent":"5.0000",
"baseAsset":"BTC","quoteAsset":"USDT","marginAsset":"USDT","pricePrecision":2,"quantityPrecision":3,
"baseAssetPrecision":8,"quotePrecision":8,"underlyingType":"COIN","underlyingSubType":["PoW"],"settlePlan":0,
"triggerProtect":"0.0500","liquidationFee":"0.012500","marketTakeBound":"0.05","maxMoveOrderLimit":10000,
"filters":{filters},"orderTypes":["LIMIT","MARKET"],"timeInForce":["GTC","IOC"]}}"""
_INFO = """{{"timezone":"UTC","serverTime":1736100000000,"futuresType":"U_MARGINED",
"rateLimits":[{{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":2400}}],
"exchangeFilters":{exchange_filters},"assets":[{{"asset":"BUSD","marginAvailable":true,"autoAssetExchange":"0"}},
{{"asset":"USDT","marginAvailable":true,"autoAssetExchange":{auto}}}],"symbols":[{symbols}]}}"""

INFO_FULL = _INFO.format(exchange_filters="[]", auto='"-10000"', symbols=_SYMBOL.format(filters=_FILTERS_STRING))
# Binance's docs example: multiplierDecimal and autoAssetExchange as JSON numbers, names in exchangeFilters.
INFO_NUMBERS = _INFO.format(exchange_filters='["PRICE_FILTER"]', auto="-10000",
                            symbols=_SYMBOL.format(filters=_FILTERS_STRING.replace('"multiplierDecimal":"4"',
                                                                                   '"multiplierDecimal":4')))
# One filter object that carries every filter's keys, and an asset whose autoAssetExchange is null.
INFO_ONE_FILTER = _INFO.format(exchange_filters="[]", auto="null", symbols=_SYMBOL.format(filters="""[
{"filterType":"PRICE_FILTER","maxPrice":"809484","minPrice":"261.10","tickSize":"0.10","maxQty":"1000",
"minQty":"0.001","stepSize":"0.001","limit":200,"notional":"100","multiplierUp":"1.0500",
"multiplierDown":"0.9500","multiplierDecimal":"4"}]"""))
# A trimmed answer: no timezone or serverTime, a symbol without dates, precisions or fees.
INFO_TRIMMED = """{"symbols":[{"symbol":"ZETAXUSDT","pair":"ZETAXUSDT","contractType":"PERPETUAL",
"baseAsset":"ZETAX","quoteAsset":"USDT","marginAsset":"USDT","status":"TRADING","filters":[
{"filterType":"PRICE_FILTER","maxPrice":"300","minPrice":"0.0001","tickSize":"0.0001"},
{"filterType":"LOT_SIZE","maxQty":"10000000","minQty":"1","stepSize":"1"},
{"filterType":"MIN_NOTIONAL","notional":"5"}]}]}"""


@pytest.mark.parametrize("body", [INFO_FULL, INFO_NUMBERS, INFO_ONE_FILTER, INFO_TRIMMED],
                         ids=["full", "numbers", "one-filter", "trimmed"])
def test_exchange_info_keeps_every_field_as_sent(body: str) -> None:
    info = decode_exchange_info(body)
    assert info.dropped == ()
    assert mismatches(info, source(body)) == []


def test_exchange_info_values_of_each_shape() -> None:
    full = decode_exchange_info(INFO_FULL)
    btc = full.symbols[0]
    assert (btc.tick_size, btc.step_size, btc.liquidationFee) == (D("0.10"), D("0.001"), D("0.012500"))
    assert (full.serverTime, btc.deliveryDate, btc.pricePrecision) == (1736100000000, 4133404800000, 2)
    assert btc.filters[-1].multiplierDecimal == "4"
    numbers = decode_exchange_info(INFO_NUMBERS).symbols[0]
    assert numbers.filters[-1].multiplierDecimal == 4 and numbers.tick_size == D("0.10")
    one = decode_exchange_info(INFO_ONE_FILTER).symbols[0]
    assert (one.tick_size, one.step_size) == (D("0.10"), None)  # its one filter is a PRICE_FILTER
    trimmed = decode_exchange_info(INFO_TRIMMED)
    coin = trimmed.symbols[0]
    assert (trimmed.timezone, trimmed.serverTime, coin.deliveryDate, coin.pricePrecision) == (None, None, None, None)
    assert (coin.tick_size, coin.step_size, coin.contractType) == (D("0.0001"), D(1), "PERPETUAL")


def test_the_comparison_sees_a_changed_value_a_lost_row_and_an_invented_field() -> None:
    sent = source(RISK_V3_STRINGS)
    rows = list(decode_position_risk(RISK_V3_STRINGS))
    changed = [{**sent[0], "liquidationPrice": "48210.55120932"}]
    assert mismatches(rows, changed) == ["$[0].liquidationPrice: Decimal('48210.55120931') from '48210.55120932'"]
    assert mismatches(rows, [*sent, sent[0]]) == [f"$: 1 items from {[*sent, sent[0]]!r:.60}"]
    without = [{k: v for k, v in sent[0].items() if k != "adl"}]
    assert mismatches(rows, without) == ["$[0].adl: 1 without a source value"]
    assert mismatches(decode_balances(BALANCE), [{**r, "marginAvailable": "true"} for r in source(BALANCE)]) == [
        "$[1].marginAvailable: False from 'true'"]


# ----------------------------------------------------------------------------- leverageBracket

# JSON numbers, a per-account notionalCoef, cum as integers (as one SDK's docs copy has them).
BRACKETS_COEF = b"""[{"symbol":"ETHUSDT","notionalCoef":1.50,"brackets":[
{"bracket":1,"initialLeverage":100,"notionalCap":20000,"notionalFloor":0,"maintMarginRatio":0.005,"cum":0},
{"bracket":2,"initialLeverage":75,"notionalCap":100000,"notionalFloor":20000,"maintMarginRatio":0.0065,"cum":30}]}]"""
# `symbol=`: one object, cum as a JSON fraction.
BRACKETS_ONE = b"""{"symbol":"BTCUSDT","brackets":[
{"bracket":1,"initialLeverage":120,"notionalCap":40000,"notionalFloor":0,"maintMarginRatio":0.0045,"cum":0.0},
{"bracket":2,"initialLeverage":90,"notionalCap":200000,"notionalFloor":40000,"maintMarginRatio":0.0055,"cum":40.0}]}"""
# Every number as a string, as some clients store the answer.
BRACKETS_STRINGS = b"""[{"symbol":"MOONUSDT","brackets":[
{"bracket":"1","initialLeverage":"40","notionalCap":"8000","notionalFloor":"0","maintMarginRatio":"0.012","cum":"0.0"},
{"bracket":"2","initialLeverage":"20","notionalCap":"40000","notionalFloor":"8000","maintMarginRatio":"0.03",
"cum":"144.0"}]}]"""
# One symbol with no brackets (Binance's own SDK example has one) among readable ones.
BRACKETS_ONE_EMPTY = b"""[{"symbol":"TINYUSDC","brackets":[]},{"symbol":"SOLUSDT","brackets":[
{"bracket":1,"initialLeverage":60,"notionalCap":6000,"notionalFloor":0,"maintMarginRatio":0.006,"cum":0.0}]}]"""

_BRACKET_KEYS = {"bracket": "bracket", "initial_leverage": "initialLeverage", "floor": "notionalFloor",
                 "cap": "notionalCap", "maint_margin_ratio": "maintMarginRatio", "cum": "cum"}


def bracket_mismatches(table: BracketTable, sent: dict[str, object]) -> list[str]:
    out = []
    rows = sent["brackets"]
    assert isinstance(rows, list) and len(rows) == len(table.brackets)
    for kept, row in zip(table.brackets, rows, strict=True):
        for attr, key in _BRACKET_KEYS.items():
            if D(str(getattr(kept, attr))) != D(str(row[key])) or isinstance(getattr(kept, attr), float):
                out.append(f"{table.symbol}[{kept.bracket}].{key}: {getattr(kept, attr)!r} from {row[key]!r}")
    if D(str(sent.get("notionalCoef", 1))) != table.notional_coef:
        out.append(f"{table.symbol}.notionalCoef")
    return out


@pytest.mark.parametrize("body", [BRACKETS_COEF, BRACKETS_ONE, BRACKETS_STRINGS, BRACKETS_ONE_EMPTY],
                         ids=["numbers-coef", "one-object", "strings", "one-empty"])
def test_leverage_brackets_keep_every_field_as_sent(body: bytes) -> None:
    tables = decode_leverage_brackets(body)
    sent = source(body)
    entries = [sent] if isinstance(sent, dict) else sent
    readable = [e for e in entries if e["brackets"]]
    assert sorted(tables) == sorted(e["symbol"] for e in readable)
    for entry in readable:
        assert bracket_mismatches(tables[entry["symbol"]], entry) == []
    assert [d.name for d in tables.dropped] == [e["symbol"] for e in entries if not e["brackets"]]


def test_leverage_bracket_values_of_each_shape() -> None:
    eth = decode_leverage_brackets(BRACKETS_COEF)["ETHUSDT"]
    assert (eth.notional_coef, eth.brackets[1].cap, eth.brackets[1].cum) == (D("1.50"), D(100000), D(30))
    assert eth.brackets[1].maint_margin_ratio == D("0.0065")  # exactly, not a binary fraction
    btc = decode_leverage_brackets(BRACKETS_ONE)["BTCUSDT"]
    assert (btc.notional_coef, btc.brackets[1].cum, btc.brackets[0].initial_leverage) == (D(1), D("40.0"), 120)
    gala = decode_leverage_brackets(BRACKETS_STRINGS)["MOONUSDT"]
    assert (gala.brackets[1].floor, gala.brackets[1].maint_margin_ratio) == (D(8000), D("0.03"))
    one_empty = decode_leverage_brackets(BRACKETS_ONE_EMPTY)
    assert list(one_empty) == ["SOLUSDT"] and one_empty.dropped[0].keys == ("NoBracketsError",)
