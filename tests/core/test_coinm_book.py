"""COIN-M snapshots become inverse positions pooled per margin coin; the liquidation price of
each pool follows Binance's COIN-M formula (reference §8.3) worked out by hand here."""

from __future__ import annotations

import json
from decimal import Decimal

from marginwatch.core import rest_models as rm
from marginwatch.core.brackets import Bracket, BracketTable
from marginwatch.core.coinm_book import CoinMBook
from marginwatch.core.coinm_snapshot import (
    brackets_for_symbols,
    coinm_positions,
    cross_wallets,
    margin_asset_of,
)
from marginwatch.core.events import decode_user_event
from marginwatch.core.position import ContractKind, MarginType, Position, PositionSide
from tests.core.test_coinm_decoding import ACCOUNT, EXCHANGE_INFO, POSITION_RISK

SYMBOLS = rm.decode_exchange_info(json.dumps(EXCHANGE_INFO)).by_symbol()
ONE_BRACKET = BracketTable("BTCUSD_PERP", (Bracket(1, 125, Decimal(0), Decimal(50), Decimal("0.004"), Decimal(0)),))


def test_positions_are_inverse_with_exchange_contract_size_and_row_leverage() -> None:
    btc, eth = coinm_positions(rm.decode_position_risk(json.dumps(POSITION_RISK)), SYMBOLS)
    assert (btc.contract, btc.contract_size, btc.leverage, btc.margin_type) == (
        ContractKind.INVERSE, Decimal(100), 10, MarginType.CROSS)
    assert btc.extra["margin_asset"] == "BTC" and btc.exchange_liquidation_price == Decimal("55321.9")
    assert (eth.contract_size, eth.margin_type, eth.isolated_wallet) == (Decimal(10), MarginType.ISOLATED,
                                                                         Decimal("0.04"))
    assert eth.extra == {"margin_asset": "ETH", "contract_type": "NEXT_QUARTER"}


def test_unsized_symbol_gets_no_guessed_size() -> None:
    row = dict(POSITION_RISK[0], symbol="SOLUSD_PERP")
    (pos,) = coinm_positions(rm.decode_position_risk(json.dumps([row])), SYMBOLS)
    assert pos.contract_size.is_nan() and pos.extra["margin_asset"] == "SOL"


def test_isolated_wallet_from_isolated_margin_when_the_row_has_no_wallet() -> None:
    row = {k: v for k, v in POSITION_RISK[1].items() if k != "isolatedWallet"}
    (pos,) = coinm_positions(rm.decode_position_risk(json.dumps([row])), SYMBOLS)
    assert pos.isolated_wallet == Decimal("0.0395") - Decimal("-0.0005")


def test_margin_asset_of_pair_without_exchange_info() -> None:
    assert margin_asset_of("ETHUSD_260327") == "ETH" and margin_asset_of("BTCUSD_PERP") == "BTC"
    assert margin_asset_of("BTCUSD_PERP", SYMBOLS["BTCUSD_PERP"]) == "BTC"


def test_cross_wallets_per_coin() -> None:
    assert cross_wallets(rm.decode_account(json.dumps(ACCOUNT))) == {"BTC": Decimal("0.4923"), "ETH": Decimal(3)}


def test_pair_brackets_serve_each_contract_of_the_pair() -> None:
    eth_table = BracketTable("ETHUSD", ONE_BRACKET.brackets)
    out = brackets_for_symbols({"ETHUSD": eth_table, "BTCUSD_PERP": ONE_BRACKET}, SYMBOLS)
    assert out["ETHUSD_260327"] is eth_table and out["BTCUSD_PERP"] is ONE_BRACKET


def _long(amount: str, entry: str, **kw: object) -> Position:
    return Position(symbol="BTCUSD_PERP", position_side=PositionSide.BOTH, amount=Decimal(amount),
                    entry_price=Decimal(entry), mark_price=Decimal(entry), contract=ContractKind.INVERSE,
                    contract_size=Decimal(100), extra={"margin_asset": "BTC"}, **kw)  # type: ignore[arg-type]


def test_each_coin_is_its_own_cross_pool() -> None:
    book = CoinMBook(SYMBOLS)
    eth = Position(symbol="ETHUSD_260327", position_side=PositionSide.BOTH, amount=Decimal(-25),
                   entry_price=Decimal(3100), mark_price=Decimal(3100), contract=ContractKind.INVERSE,
                   contract_size=Decimal(10), extra={"margin_asset": "ETH"})
    book.reseed([_long("100", "50000"), eth], {"BTC": Decimal("0.02"), "ETH": Decimal(5)},
                {"BTCUSD_PERP": ONE_BRACKET, "ETHUSD_260327": BracketTable("ETHUSD_260327", ONE_BRACKET.brackets)})
    risks = book.risk_by_asset()
    assert set(risks) == {"BTC", "ETH"}
    # §8.3 one-way long, cross, cum 0: LP = size·(1+MMR) / (size/EP + WB), size = Q·CS
    size = Decimal(100) * 100
    expected = size * Decimal("1.004") / (size / Decimal(50000) + Decimal("0.02"))
    (btc,) = risks["BTC"].positions
    assert btc.liquidation_price is not None and abs(btc.liquidation_price - expected) < Decimal("1e-6")
    assert risks["BTC"].cross_wallet_balance == Decimal("0.02") and risks["ETH"].cross_wallet_balance == 5
    # Short ETH against its own 5 ETH: far from liquidation, whatever BTC does.
    # Short ETH against its own 5 ETH: §8.3's denominator size/EP − WB is negative, so no price.
    (ethr,) = risks["ETH"].positions
    assert Decimal(250) / Decimal(3100) - 5 < 0 and ethr.liquidation_price is None
    assert ethr.unrealized_pnl == 0 and ethr.maint_margin is not None
    assert book.held_symbols() == {"BTCUSD_PERP", "ETHUSD_260327"}


def test_account_update_moves_only_its_coins_wallet_and_new_legs_are_inverse() -> None:
    book = CoinMBook(SYMBOLS)
    book.reseed([], {"BTC": Decimal("0.02"), "ETH": Decimal(5)}, {"BTCUSD_PERP": ONE_BRACKET}, 1)
    frame = {"e": "ACCOUNT_UPDATE", "E": 10, "T": 9, "i": "FzXq", "a": {"m": "ORDER",
             "B": [{"a": "BTC", "wb": "0.03", "cw": "0.03", "bc": "0"}],
             "P": [{"s": "BTCUSD_PERP", "pa": "100", "ep": "50000", "cr": "0", "up": "0", "mt": "cross",
                    "iw": "0", "ps": "BOTH"}]}}
    ev = decode_user_event(json.dumps(frame))
    changed = book.apply_account_update(ev)  # type: ignore[arg-type]
    assert changed == {("BTCUSD_PERP", PositionSide.BOTH)}
    pools = book.pools
    assert pools["BTC"].cross_wallet_balance == Decimal("0.03") and pools["ETH"].cross_wallet_balance == 5
    leg = pools["BTC"].positions()[("BTCUSD_PERP", PositionSide.BOTH)]
    assert (leg.contract, leg.contract_size) == (ContractKind.INVERSE, Decimal(100))


def test_a_coin_first_seen_in_an_update_gets_its_pool() -> None:
    book = CoinMBook(SYMBOLS)
    book.reseed([], {"BTC": Decimal("0.02")}, {}, 1)
    frame = {"e": "ACCOUNT_UPDATE", "E": 10, "T": 9, "a": {"m": "DEPOSIT",
             "B": [{"a": "ETH", "wb": "1.5", "cw": "1.5", "bc": "1.5"}]}}
    book.apply_account_update(decode_user_event(json.dumps(frame)))  # type: ignore[arg-type]
    assert book.pools["ETH"].cross_wallet_balance == Decimal("1.5")
    assert book.pools["BTC"].cross_wallet_balance == Decimal("0.02")
