"""REST snapshot models: documented examples decode, encode back to the same body, and map
into core positions; malformed bodies give MalformedResponseError only."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marginwatch.core import rest_models as rm
from marginwatch.core.events import DroppedRow, FrameError
from marginwatch.core.position import MarginType, PositionSide

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "binance"


def _raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


# Fixture → decoder whose output must encode back to exactly the documented body.
EXACT = {
    "position_risk_v3_one_way": rm.decode_position_risk,
    "position_risk_v3_hedge": rm.decode_position_risk,
    "account_v3": rm.decode_account,
    "balance_v3": rm.decode_balances,
    "symbol_config": rm.decode_symbol_configs,
    "account_config": rm.decode_account_config,
    "premium_index_all": rm.decode_premium_index,
    "api_restrictions": rm.decode_api_restrictions,
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_documented_bodies_round_trip_exactly(name: str) -> None:
    decoded = EXACT[name](_raw(name))
    assert json.loads(rm.encode_rest(decoded)) == json.loads(_raw(name))


def test_single_object_bodies_round_trip() -> None:
    (pi,) = rm.decode_premium_index(_raw("premium_index"))
    assert json.loads(rm.encode_rest(pi)) == json.loads(_raw("premium_index"))
    err = rm.decode_error(_raw("error"))
    assert err is not None and json.loads(rm.encode_rest(err)) == json.loads(_raw("error"))
    assert json.loads(rm.encode_rest(rm.ListenKeyResponse(listenKey="abc"))) == {"listenKey": "abc"}
    assert json.loads(rm.encode_rest(rm.ServerTime(serverTime=5))) == {"serverTime": 5}


def test_position_risk_values() -> None:
    ada, comp = rm.decode_position_risk(_raw("position_risk_v3_hedge"))
    assert (ada.symbol, ada.positionSide, ada.positionAmt) == ("ADAUSDT", PositionSide.LONG, Decimal(30))
    assert ada.liquidationPrice == 0 and ada.adl == 2 and ada.updateTime == 1720736417660
    assert comp.positionSide is PositionSide.SHORT and comp.positionAmt == Decimal("-1.000")
    assert comp.liquidationPrice == Decimal("2260.56757210") and comp.notional == Decimal("-49.72023376")


def test_account_values() -> None:
    acc = rm.decode_account(_raw("account_v3"))
    assert acc.totalCrossWalletBalance == Decimal("103.12345678")
    usdt = acc.asset("USDT")
    assert usdt is not None and usdt.crossWalletBalance == Decimal("23.72469206")
    assert acc.asset("BNB") is None
    assert acc.positions[0].positionAmt == Decimal("1.000")


def test_configs_and_small_endpoints() -> None:
    (cfg,) = rm.decode_symbol_configs(_raw("symbol_config"))
    assert (cfg.symbol, cfg.margin_type, cfg.leverage) == ("BTCUSDT", MarginType.CROSS, 21)
    assert cfg.maxNotionalValue == Decimal(1000000)
    single = rm.decode_symbol_configs(json.dumps(json.loads(_raw("symbol_config"))[0]))
    assert single == [cfg]
    ac = rm.decode_account_config(_raw("account_config"))
    assert ac.dualSidePosition is True and ac.multiAssetsMargin is False
    assert rm.decode_server_time(_raw("server_time")) == 1499827319559
    assert rm.decode_listen_key(_raw("listen_key")).startswith("pqia91ma")
    (bal,) = rm.decode_balances(_raw("balance_v3"))
    assert bal.balance == Decimal("122607.35137903") and bal.marginAvailable is True
    r = rm.decode_api_restrictions(_raw("api_restrictions"))
    assert r.enableReading and not r.enableFutures and not r.enableWithdrawals and not r.ipRestrict


def test_premium_index_single_and_list_and_blank_rates() -> None:
    (one,) = rm.decode_premium_index(_raw("premium_index"))
    assert rm.decode_premium_index(_raw("premium_index_all")) == [one]
    assert one.markPrice == Decimal("11793.63104562") and one.funding_rate == Decimal("0.00038246")
    delivery = rm.decode_premium_index(
        b'{"symbol":"BTCUSDT_261225","markPrice":"1","indexPrice":"1","estimatedSettlePrice":"",'
        b'"lastFundingRate":"","interestRate":"","nextFundingTime":0,"time":1}'
    )
    assert delivery[0].funding_rate is None


def test_exchange_info_filters() -> None:
    info = rm.decode_exchange_info(_raw("exchange_info"))
    (blz,) = info.symbols
    assert (blz.symbol, blz.contractType, blz.status, blz.marginAsset) == ("BLZUSDT", "PERPETUAL", "TRADING", "USDT")
    assert blz.tick_size == Decimal("0.0001") and blz.step_size == Decimal(1)
    filters = info.symbol_filters()["BLZUSDT"]
    assert (filters.tick_size, filters.step_size) == (Decimal("0.0001"), Decimal(1))
    again = rm.decode_exchange_info(rm.encode_rest(info))
    assert again == info


def test_leverage_brackets_both_shapes_and_encoding() -> None:
    many = rm.decode_leverage_brackets(_raw("leverage_bracket"))
    one = rm.decode_leverage_brackets(_raw("leverage_bracket_single"))
    assert many == one
    table = many["ETHUSDT"]
    assert table.notional_coef == Decimal("1.50")
    (b,) = table.brackets
    assert (b.initial_leverage, b.cap, b.maint_margin_ratio, b.cum) == (75, Decimal(10000), Decimal("0.0065"), 0)
    body = rm.encode_leverage_brackets([table])
    assert json.loads(body)[0]["brackets"][0]["maintMarginRatio"] == 0.0065  # numbers, not strings
    assert json.loads(body)[0]["notionalCoef"] == 1.5
    assert rm.decode_leverage_brackets(body) == many
    assert rm.decode_leverage_brackets(rm.encode_leverage_brackets([table], single=True)) == many


def test_listen_key_is_not_in_repr() -> None:
    assert "secretkey" not in repr(rm.ListenKeyResponse(listenKey="secretkey"))


def test_decode_error_returns_none_for_other_bodies() -> None:
    assert rm.decode_error(b'{"listenKey":"x"}') is None
    assert rm.decode_error(b"<html>") is None


@pytest.mark.parametrize(
    ("decode", "body", "message"),
    [
        (rm.decode_position_risk, b"", "empty"),
        (rm.decode_position_risk, b'{"code":-1021}', "positionRisk"),
        (rm.decode_position_risk, b'[{"symbol":"X"}]', "positionSide"),
        (rm.decode_account, b"{", "malformed JSON"),
        (rm.decode_symbol_configs, b'[{"symbol":"X","marginType":"WEIRD","leverage":5}]', "margin type"),
        (rm.decode_server_time, b'{"serverTime":"soon"}', "$.serverTime"),
        (rm.decode_leverage_brackets, b"[1]", "leverageBracket"),
        (rm.decode_leverage_brackets, b'[{"brackets":[]}]', "leverageBracket"),
        (rm.decode_leverage_brackets, b"{", "malformed JSON"),
    ],
)
def test_malformed_bodies(decode: object, body: bytes, message: str) -> None:
    assert callable(decode)
    with pytest.raises(rm.MalformedResponseError) as info:
        decode(body)
    assert message in str(info.value)
    assert isinstance(info.value, FrameError)


@pytest.mark.parametrize("sent", ['"NaN"', '"sNaN"', '"Infinity"', '"-inf"', '"1e999"'])
@pytest.mark.parametrize("key", ["positionAmt", "entryPrice", "markPrice", "isolatedWallet", "liquidationPrice"])
def test_a_position_risk_row_with_a_number_that_is_not_finite_is_dropped_and_named(key: str, sent: str) -> None:
    rows = json.loads(_raw("position_risk_v3_hedge"))
    rows[0][key] = json.loads(sent)
    decoded = rm.decode_position_risk(json.dumps(rows))
    assert [r.symbol for r in decoded] == ["COMPUSDT"]  # a bad row loses that row, never the body
    assert decoded.dropped == (DroppedRow(where="positionRisk", name="ADAUSDT", keys=(key,)),)
    assert rm.decode_position_risk(_raw("position_risk_v3_hedge")).dropped == ()


# ----------------------------------------------------------------------------- snapshot mapping


def test_positions_from_one_way_snapshot_with_config() -> None:
    rows = rm.decode_position_risk(_raw("position_risk_v3_one_way"))
    cfg = rm.SymbolConfig(symbol="ADAUSDT", marginType="ISOLATED", leverage=7)
    wallet_row = rm.decode_position_risk(
        _raw("position_risk_v3_one_way").replace(b'"isolatedWallet":"0"', b'"isolatedWallet":"1.5"')
    )
    (pos,) = rm.positions_from_snapshot(wallet_row, [cfg])
    assert pos.margin_type is MarginType.ISOLATED and pos.leverage == 7
    assert pos.isolated_wallet == Decimal("1.5")
    (plain,) = rm.positions_from_snapshot(rows, {})
    # No symbolConfig: cross (no isolated wallet) and leverage = notional / initial margin = 20.
    assert plain.margin_type is MarginType.CROSS and plain.leverage == 20
    assert plain.amount == Decimal(30) and plain.entry_price == Decimal("0.385")
    assert plain.mark_price == Decimal("0.41047590")
    assert plain.exchange_liquidation_price is None  # "0" means none
    assert plain.extra["margin_asset"] == "USDT"


def test_positions_from_hedge_snapshot() -> None:
    rows = rm.decode_position_risk(_raw("position_risk_v3_hedge"))
    configs = rm.decode_symbol_configs(
        b'[{"symbol":"ADAUSDT","marginType":"CROSSED","leverage":10},'
        b'{"symbol":"COMPUSDT","marginType":"CROSSED","leverage":20}]'
    )
    info = rm.decode_exchange_info(
        _raw("exchange_info").replace(b'"symbol":"BLZUSDT","pair":"BLZUSDT"', b'"symbol":"COMPUSDT","pair":"COMPUSDT"')
    )
    ada, comp = rm.positions_from_snapshot(rows, configs, info)
    assert ada.key == ("ADAUSDT", PositionSide.LONG) and ada.leverage == 10
    assert comp.key == ("COMPUSDT", PositionSide.SHORT) and comp.amount == Decimal("-1.000")
    assert comp.exchange_liquidation_price == Decimal("2260.56757210")
    assert comp.extra["contract_type"] == "PERPETUAL"


def test_zero_amount_rows_are_skipped() -> None:
    body = _raw("position_risk_v3_one_way").replace(b'"positionAmt":"30"', b'"positionAmt":"0.000"')
    assert rm.positions_from_snapshot(rm.decode_position_risk(body), []) == []


REST_DECODERS = [
    rm.decode_position_risk, rm.decode_account, rm.decode_balances, rm.decode_symbol_configs,
    rm.decode_account_config, rm.decode_exchange_info, rm.decode_premium_index, rm.decode_listen_key,
    rm.decode_server_time, rm.decode_api_restrictions, rm.decode_leverage_brackets,
]
REST_FIXTURES = sorted(p.stem for p in FIXTURES.glob("*.json"))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(REST_FIXTURES), st.integers(0, 3000), st.binary(max_size=6))
def test_fuzzed_bodies_only_raise_malformed_response(name: str, cut: int, junk: bytes) -> None:
    seed = _raw(name)
    body = seed[: cut % (len(seed) + 1)] + junk + seed[cut % (len(seed) + 1) + len(junk) :]
    for decode in REST_DECODERS:
        try:
            decode(body)
        except rm.MalformedResponseError:
            pass


@pytest.mark.parametrize(("key", "sent"), [("entryPrice", "-5"), ("markPrice", "0"), ("isolatedWallet", "-1")])
def test_a_position_risk_row_with_an_impossible_number_is_dropped_and_named(key: str, sent: str) -> None:
    row = {"symbol": "ETHUSDT", "positionSide": "BOTH", "positionAmt": "2", "entryPrice": "3000",
           "markPrice": "3100", "isolatedWallet": "0", key: sent}
    good = {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0", "entryPrice": "0", "markPrice": "0"}
    rows = rm.decode_position_risk(json.dumps([good, row]))
    assert [r.symbol for r in rows] == ["BTCUSDT"]  # a closed row's zero mark is no fault
    assert [(d.name, d.keys) for d in rows.dropped] == [("ETHUSDT", (key,))]


def _symbol(name: str, **extra: object) -> dict[str, object]:
    return {"symbol": name, "pair": name, "contractType": "PERPETUAL", "status": "TRADING", "marginAsset": "USDT",
            "filters": [{"filterType": "PRICE_FILTER", "maxPrice": "300", "minPrice": "0.0001", "tickSize": "0.0001"},
                        {"filterType": "LOT_SIZE", "maxQty": "1000", "minQty": "1", "stepSize": "1"},
                        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.1500", "multiplierDown": "0.8500",
                         "multiplierDecimal": 4}], **extra}


def test_exchange_info_with_multiplier_decimal_as_a_number_decodes_every_kept_field() -> None:
    info = rm.decode_exchange_info(json.dumps({"timezone": "UTC", "serverTime": 1, "symbols": [_symbol("XUSDT")]}))
    (sym,) = info.symbols
    assert (sym.symbol, sym.pair, sym.contractType, sym.status, sym.marginAsset) == (
        "XUSDT", "XUSDT", "PERPETUAL", "TRADING", "USDT")
    assert (sym.tick_size, sym.step_size) == (Decimal("0.0001"), Decimal("1"))
    assert info.dropped == ()


def test_exchange_info_symbol_with_an_unreadable_field_loses_that_symbol_only() -> None:
    body = {"symbols": [_symbol("AUSDT"), _symbol("BUSDT", pricePrecision="two"), _symbol("CUSDT")]}
    info = rm.decode_exchange_info(json.dumps(body))
    assert [s.symbol for s in info.symbols] == ["AUSDT", "CUSDT"]
    assert [(d.where, d.name, d.keys) for d in info.dropped] == [("exchangeInfo", "BUSDT", ("$.pricePrecision",))]


def test_a_leverage_bracket_symbol_with_no_brackets_loses_that_symbol_only() -> None:
    good = {"symbol": "BTCUSDT", "brackets": [{"bracket": 1, "initialLeverage": 125, "notionalCap": 50000,
                                               "notionalFloor": 0, "maintMarginRatio": 0.004, "cum": 0.0}]}
    tables = rm.decode_leverage_brackets(json.dumps([{"symbol": "ETHUSDT", "notionalCoef": 1.5, "brackets": []}, good]))
    assert list(tables) == ["BTCUSDT"]
    (b,) = tables["BTCUSDT"].brackets
    assert (b.bracket, b.initial_leverage, b.cap, b.floor, b.maint_margin_ratio, b.cum) == (
        1, 125, Decimal(50000), Decimal(0), Decimal("0.004"), Decimal(0))
    assert [(d.name, d.keys) for d in tables.dropped] == [("ETHUSDT", ("NoBracketsError",))]


def test_an_account_body_without_the_totals_we_do_not_read_decodes() -> None:
    body = {"assets": [{"asset": "USDT", "walletBalance": "10.5", "crossWalletBalance": "9.5"}]}
    info = rm.decode_account(json.dumps(body))
    (asset,) = info.assets
    assert (asset.asset, asset.walletBalance, asset.crossWalletBalance) == ("USDT", Decimal("10.5"), Decimal("9.5"))
    assert info.totalCrossWalletBalance is None and info.positions == ()


@pytest.mark.parametrize(
    "entry",
    [
        {"symbol": "ETHUSDT", "notionalCoef": 1.5, "brackets": []},  # as in Binance's own SDK example
        {"symbol": "ETHUSDT", "notionalCoef": 0, "brackets": [
            {"bracket": 1, "initialLeverage": 5, "notionalCap": 10, "notionalFloor": 0,
             "maintMarginRatio": 0.1, "cum": 0},
        ]},
    ],
)
def test_a_leverage_bracket_answer_whose_only_symbol_is_unreadable_is_no_tables_not_an_error(entry: object) -> None:
    for body in (json.dumps([entry]), json.dumps(entry)):  # the all-symbol list and the `symbol=` object
        tables = rm.decode_leverage_brackets(body)
        assert dict(tables) == {}
        assert [d.name for d in tables.dropped] == ["ETHUSDT"]
