"""AccountState merge rules: partial ACCOUNT_UPDATEs, marks, config updates, replay safety."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from marginwatch.core.account_state import AccountState, SymbolFilters
from marginwatch.core.brackets import parse_leverage_brackets
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.events import (
    AccountConfigUpdate,
    AccountUpdate,
    MarkPriceUpdate,
    decode_market_frame,
    decode_user_event,
)
from marginwatch.core.position import MarginType, Position, PositionSide

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "binance"
BOTH, LONG, SHORT = PositionSide.BOTH, PositionSide.LONG, PositionSide.SHORT
SNAP = 1_700_000_000_000


def _pos(symbol: str, side: PositionSide, amount: str, entry: str, mark: str, **kw: Any) -> Position:
    return Position(symbol, side, Decimal(amount), Decimal(entry), Decimal(mark), **kw)


def _update(e_time: int, positions: list[dict[str, str]] | None = None, cw: str | None = None,
            reason: str = "ORDER") -> AccountUpdate:
    data: dict[str, Any] = {"m": reason}
    if cw is not None:
        data["B"] = [{"a": "USDT", "wb": cw, "cw": cw, "bc": "0"}]
    if positions is not None:
        data["P"] = [{"mt": "cross", "iw": "0", "ep": "0", **p} for p in positions]
    ev = decode_user_event(json.dumps({"e": "ACCOUNT_UPDATE", "E": e_time, "T": e_time, "a": data}))
    assert isinstance(ev, AccountUpdate)
    return ev


def _mark(symbol: str, price: str, e_time: int = SNAP + 1) -> MarkPriceUpdate:
    return MarkPriceUpdate(event_time=e_time, symbol=symbol, mark_price_text=price)


@pytest.fixture
def state() -> AccountState:
    s = AccountState()
    s.reseed(
        [
            _pos("BTCUSDT", BOTH, "0.5", "60000", "61000", leverage=10,
                 exchange_liquidation_price=Decimal("40000")),
            _pos("ETHUSDT", LONG, "2", "3000", "3100"),
            _pos("ETHUSDT", SHORT, "-1", "3200", "3100"),
            _pos("ZERO", BOTH, "0", "1", "1"),  # a zero row is not a position
        ],
        Decimal(1000),
        snapshot_time_ms=SNAP,
    )
    return s


def test_reseed_replaces_everything(state: AccountState) -> None:
    assert set(state.positions()) == {("BTCUSDT", BOTH), ("ETHUSDT", LONG), ("ETHUSDT", SHORT)}
    assert state.held_symbols() == frozenset({"BTCUSDT", "ETHUSDT"})
    assert state.cross_wallet_balance == Decimal(1000)
    v = state.version
    state.reseed([_pos("SOLUSDT", BOTH, "-3", "150", "140")], Decimal(5), snapshot_time_ms=SNAP + 10)
    assert set(state.positions()) == {("SOLUSDT", BOTH)}
    assert state.held_symbols() == frozenset({"SOLUSDT"})
    assert state.mark_price("BTCUSDT") is None
    assert state.version > v and state.snapshot_time_ms == SNAP + 10


def test_partial_update_leaves_missing_positions_alone(state: AccountState) -> None:
    upd = [{"s": "BTCUSDT", "ps": "BOTH", "pa": "0.7", "ep": "60500"}]
    changed = state.apply_account_update(_update(SNAP + 5, upd))
    assert changed == {("BTCUSDT", BOTH)}
    pos = state.positions()
    assert pos[("BTCUSDT", BOTH)].amount == Decimal("0.7")
    assert pos[("BTCUSDT", BOTH)].entry_price == Decimal("60500")
    assert pos[("BTCUSDT", BOTH)].mark_price == Decimal(61000)  # last known mark kept
    assert pos[("BTCUSDT", BOTH)].leverage == 10  # leverage survives the merge
    assert pos[("BTCUSDT", BOTH)].exchange_liquidation_price is None  # stale once the size changed
    # ETH legs were not in the update: untouched, not closed.
    assert pos[("ETHUSDT", LONG)].amount == Decimal(2)
    assert pos[("ETHUSDT", SHORT)].amount == Decimal(-1)


def test_zero_amount_closes_only_that_leg(state: AccountState) -> None:
    changed = state.apply_account_update(_update(SNAP + 5, [{"s": "ETHUSDT", "ps": "LONG", "pa": "0"}]))
    assert changed == {("ETHUSDT", LONG)}
    assert ("ETHUSDT", LONG) not in state.positions()
    assert state.positions()[("ETHUSDT", SHORT)].amount == Decimal(-1)  # hedge legs are separate
    assert "ETHUSDT" in state.held_symbols()
    state.apply_account_update(_update(SNAP + 6, [{"s": "ETHUSDT", "ps": "SHORT", "pa": "0"}]))
    assert "ETHUSDT" not in state.held_symbols()
    assert state.mark_price("ETHUSDT") is None


def test_closing_an_unknown_position_changes_nothing(state: AccountState) -> None:
    v = state.version
    assert state.apply_account_update(_update(SNAP + 5, [{"s": "XRPUSDT", "ps": "BOTH", "pa": "0"}])) == set()
    assert state.version == v


def test_funding_fee_update_without_positions_changes_only_the_wallet(state: AccountState) -> None:
    before = dict(state.positions())
    v = state.version
    changed = state.apply_account_update(_update(SNAP + 5, None, cw="998.75", reason="FUNDING_FEE"))
    assert changed == set()
    assert state.cross_wallet_balance == Decimal("998.75")
    assert dict(state.positions()) == before
    assert state.version > v


def test_other_asset_balances_do_not_touch_the_usdt_wallet(state: AccountState) -> None:
    ev = decode_user_event(json.dumps({"e": "ACCOUNT_UPDATE", "E": SNAP + 5, "a": {
        "m": "DEPOSIT", "B": [{"a": "USDC", "wb": "5", "cw": "5"}]}}))
    assert isinstance(ev, AccountUpdate)
    state.apply_account_update(ev)
    assert state.cross_wallet_balance == Decimal(1000)


def test_replay_older_than_snapshot_is_ignored(state: AccountState) -> None:
    v = state.version
    old = _update(SNAP - 1, [{"s": "BTCUSDT", "ps": "BOTH", "pa": "0"}], cw="1")
    assert state.apply_account_update(old) == set()
    assert ("BTCUSDT", BOTH) in state.positions()
    assert state.cross_wallet_balance == Decimal(1000)
    assert state.version == v
    # An event at the snapshot time itself is applied (absolute values: re-applying is harmless).
    state.apply_account_update(_update(SNAP, [{"s": "BTCUSDT", "ps": "BOTH", "pa": "0.5", "ep": "60000"}]))
    assert state.positions()[("BTCUSDT", BOTH)].amount == Decimal("0.5")


def test_new_position_uses_entry_as_provisional_mark_until_a_mark_arrives(state: AccountState) -> None:
    upd = [{"s": "SOLUSDT", "ps": "BOTH", "pa": "-4", "ep": "150.5", "mt": "isolated", "iw": "30"}]
    assert state.apply_account_update(_update(SNAP + 5, upd)) == {("SOLUSDT", BOTH)}
    sol = state.positions()[("SOLUSDT", BOTH)]
    assert sol.mark_price == Decimal("150.5") and state.is_mark_provisional("SOLUSDT")
    assert sol.margin_type is MarginType.ISOLATED and sol.isolated_wallet == Decimal(30)
    assert sol.leverage == 20  # default until a config update or snapshot says otherwise
    assert "SOLUSDT" in state.held_symbols()
    # A mark equal to the entry price still ends the provisional state.
    assert state.apply_mark_prices([_mark("SOLUSDT", "150.5")]) == {"SOLUSDT"}
    assert not state.is_mark_provisional("SOLUSDT")
    state.apply_mark_prices([_mark("SOLUSDT", "149")])
    assert state.positions()[("SOLUSDT", BOTH)].mark_price == Decimal(149)


def test_marks_for_unheld_symbols_are_ignored(state: AccountState) -> None:
    v = state.version
    assert state.apply_mark_prices([_mark("DOGEUSDT", "0.1")]) == set()
    assert state.mark_price("DOGEUSDT") is None
    assert state.version == v


def test_marks_update_held_symbols_and_report_only_real_changes(state: AccountState) -> None:
    v = state.version
    changed = state.apply_mark_prices([_mark("ETHUSDT", "3050"), _mark("BTCUSDT", "61000"), _mark("X", "1")])
    assert changed == {"ETHUSDT"}  # BTC's mark did not move
    assert state.version == v + 1
    pos = state.positions()
    assert pos[("ETHUSDT", LONG)].mark_price == Decimal(3050) == pos[("ETHUSDT", SHORT)].mark_price
    assert state.apply_mark_prices([_mark("ETHUSDT", "3050")]) == set()
    assert state.version == v + 1
    assert state.apply_mark_prices([_mark("ETHUSDT", "0")]) == set()  # nonsense mark ignored


@pytest.mark.parametrize("text", ["", "abc", "NaN", "Infinity", "-5", "0"])
def test_a_malformed_mark_of_a_held_symbol_is_ignored_and_counted(state: AccountState, text: str) -> None:
    before = state.mark_price("ETHUSDT")
    assert state.apply_mark_prices([_mark("ETHUSDT", text)]) == set()
    assert state.mark_price("ETHUSDT") == before
    assert state.bad_marks == 1
    # An unheld symbol's price is never even parsed: nothing to count.
    assert state.apply_mark_prices([_mark("DOGEUSDT", text)]) == set() and state.bad_marks == 1


def test_mark_prices_from_a_decoded_frame(state: AccountState) -> None:
    frame = decode_market_frame((FIXTURES / "mark_price_all_market_combined.json").read_bytes())
    assert isinstance(frame, list)
    assert state.apply_mark_prices(frame) == {"BTCUSDT"}
    assert state.mark_price("BTCUSDT") == Decimal("11794.15000000")


def test_isolated_wallet_update_and_margin_type(state: AccountState) -> None:
    upd = [{"s": "BTCUSDT", "ps": "BOTH", "pa": "0.5", "ep": "60000", "mt": "isolated", "iw": "3000"}]
    state.apply_account_update(_update(SNAP + 5, upd))
    btc = state.positions()[("BTCUSDT", BOTH)]
    assert btc.margin_type is MarginType.ISOLATED and btc.isolated_wallet == Decimal(3000)


def test_identical_update_is_not_a_change(state: AccountState) -> None:
    upd = [{"s": "ETHUSDT", "ps": "LONG", "pa": "2", "ep": "3000"}]
    assert state.apply_account_update(_update(SNAP + 5, upd)) == set()


def test_config_update_changes_leverage_and_mode(state: AccountState) -> None:
    ev = decode_user_event(b'{"e":"ACCOUNT_CONFIG_UPDATE","E":1700000000005,"T":1,"ac":{"s":"ETHUSDT","l":25}}')
    assert isinstance(ev, AccountConfigUpdate)
    assert state.apply_config_update(ev) == {"ETHUSDT"}
    assert {p.leverage for k, p in state.positions().items() if k[0] == "ETHUSDT"} == {25}
    assert state.apply_config_update(ev) == set()
    mode = decode_user_event(b'{"e":"ACCOUNT_CONFIG_UPDATE","E":1700000000006,"ai":{"j":true}}')
    assert isinstance(mode, AccountConfigUpdate)
    v = state.version
    state.apply_config_update(mode)
    assert state.multi_assets_margin is True and state.version == v + 1
    # A leverage set before a position opens is used when it opens.
    pre = decode_user_event(b'{"e":"ACCOUNT_CONFIG_UPDATE","E":1700000000007,"ac":{"s":"ADAUSDT","l":3}}')
    assert isinstance(pre, AccountConfigUpdate)
    state.apply_config_update(pre)
    state.apply_account_update(_update(SNAP + 8, [{"s": "ADAUSDT", "ps": "BOTH", "pa": "10", "ep": "0.4"}]))
    assert state.positions()[("ADAUSDT", BOTH)].leverage == 3


def test_positions_view_is_read_only(state: AccountState) -> None:
    view = state.positions()
    with pytest.raises(TypeError):
        view[("X", BOTH)] = view[("BTCUSDT", BOTH)]  # type: ignore[index]


def test_filters_and_brackets_are_kept(state: AccountState) -> None:
    state.set_symbol_filters({"BTCUSDT": SymbolFilters(Decimal("0.1"), Decimal("0.001"))})
    assert state.symbol_filters("BTCUSDT") == SymbolFilters(Decimal("0.1"), Decimal("0.001"))
    tables = parse_leverage_brackets((FIXTURES / "leverage_bracket.json").read_bytes())
    v = state.version
    state.set_brackets(tables)
    assert "ETHUSDT" in state.brackets and state.version == v + 1
    state.reseed(state.positions().values(), Decimal(1000))  # brackets=None keeps them
    assert "ETHUSDT" in state.brackets


def test_risk_is_cached_until_something_changes(state: AccountState) -> None:
    state.set_brackets(parse_leverage_brackets((FIXTURES / "leverage_bracket.json").read_bytes()))
    first = state.risk()
    assert state.risk() is first
    assert first.cross_wallet_balance == Decimal(1000)
    assert {p.position.key for p in first.positions} == set(state.positions())
    state.apply_mark_prices([_mark("ETHUSDT", "2500")])
    second = state.risk()
    assert second is not first
    eth_long = next(p for p in second.positions if p.position.key == ("ETHUSDT", LONG))
    assert eth_long.position.mark_price == Decimal(2500)
    assert eth_long.unrealized_pnl == Decimal(2) * (Decimal(2500) - Decimal(3000))


def test_mark_updates_are_cheap() -> None:
    state = AccountState()
    held = [f"S{i}USDT" for i in range(20)]
    state.reseed([_pos(s, BOTH, "1", "100", "100") for s in held], Decimal(1000))
    # A realistic all-market frame: mostly symbols we do not hold.
    frame = [_mark(f"S{i}USDT", str(100 + i % 7)) for i in range(300)]
    rounds = 700
    start = time.perf_counter()
    for _ in range(rounds):
        state.apply_mark_prices(frame)
    per_update = (time.perf_counter() - start) / (rounds * len(frame))
    assert per_update < 2e-6  # measured well under 0.3 µs; generous for slow CI


def test_our_liquidation_price_at_the_snapshot_is_kept_for_comparing_with_the_exchanges() -> None:
    brackets = load_snapshot()
    btc, eth = ("BTCUSDT", BOTH), ("ETHUSDT", BOTH)
    legs = [_pos("BTCUSDT", BOTH, "0.5", "60000", "61000"), _pos("ETHUSDT", BOTH, "-4", "3000", "3100")]
    probe = AccountState()
    probe.reseed(legs, Decimal(4000), brackets)
    ours = {pr.position.key: pr.liquidation_price for pr in probe.risk().positions}
    assert ours[btc] is not None and ours[eth] is not None
    # The exchange agrees on BTC and (say) not on ETH; both figures come with the snapshot.
    state = AccountState()
    state.reseed(
        [
            _pos("BTCUSDT", BOTH, "0.5", "60000", "61000", exchange_liquidation_price=ours[btc]),
            _pos("ETHUSDT", BOTH, "-4", "3000", "3100", exchange_liquidation_price=ours[eth] + 50),
        ],
        Decimal(4000),
        brackets,
        snapshot_time_ms=SNAP,
    )
    assert state.positions()[btc].liquidation_price_at_snapshot == ours[btc]
    # ETH's mark moves: a cross position's live liquidation price moves with every other mark...
    state.apply_mark_prices([_mark("ETHUSDT", "3400")])
    live = {pr.position.key: pr for pr in state.risk().positions}
    assert live[btc].liquidation_price != ours[btc]
    # ...but the like-for-like pair stays the snapshot's: agreement on BTC, a real gap on ETH.
    assert live[btc].position.liquidation_price_at_snapshot == live[btc].position.exchange_liquidation_price
    assert live[eth].position.liquidation_price_at_snapshot == ours[eth]
    # A size change makes both figures stale together.
    state.apply_account_update(_update(SNAP + 5, [{"s": "BTCUSDT", "ps": "BOTH", "pa": "0.6", "ep": "60000"}]))
    moved = state.positions()[btc]
    assert moved.exchange_liquidation_price is None and moved.liquidation_price_at_snapshot is None


def test_brackets_arriving_after_the_snapshot_complete_the_comparison() -> None:
    state = AccountState()
    state.reseed([_pos("ETHUSDT", BOTH, "-4", "3000", "3100", exchange_liquidation_price=Decimal(1))],
                 Decimal(4000), snapshot_time_ms=SNAP)  # fmt: skip
    assert state.positions()[("ETHUSDT", BOTH)].liquidation_price_at_snapshot is None  # no brackets yet
    state.set_brackets(parse_leverage_brackets((FIXTURES / "leverage_bracket.json").read_bytes()))
    assert state.positions()[("ETHUSDT", BOTH)].liquidation_price_at_snapshot is not None


def test_an_account_update_row_with_a_negative_entry_price_keeps_the_account_live_and_names_the_symbol(
    state: AccountState,
) -> None:
    before = state.risk()
    btc_liq = next(p.liquidation_price for p in before.positions if p.position.symbol == "BTCUSDT")
    ev = _update(SNAP + 5, [{"s": "ETHUSDT", "ps": "LONG", "pa": "3", "ep": "-5"}])
    assert [(d.where, d.name, d.keys) for d in ev.data.dropped] == [("P", "ETHUSDT", ("ep",))]
    state.apply_account_update(ev)
    after = state.risk()
    assert [(u.symbol, u.text) for u in after.unavailable] == [
        ("ETHUSDT", "risk unavailable: ACCOUNT_UPDATE row unreadable (ep)")]
    assert next(p.liquidation_price for p in after.positions if p.position.symbol == "BTCUSDT") == btc_liq
    # A readable row for the symbol clears the note.
    state.apply_account_update(_update(SNAP + 6, [{"s": "ETHUSDT", "ps": "LONG", "pa": "3", "ep": "3000"}]))
    assert state.risk().unavailable == ()


def test_a_reseed_names_the_dropped_position_risk_rows_as_risk_unavailable() -> None:
    from marginwatch.core.rest_models import decode_position_risk

    body = json.dumps([
        {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.5", "entryPrice": "60000",
         "markPrice": "61000"},
        {"symbol": "ETHUSDT", "positionSide": "BOTH", "positionAmt": "2", "entryPrice": "-5", "markPrice": "3100"},
    ])
    rows = decode_position_risk(body)
    assert [r.symbol for r in rows] == ["BTCUSDT"]
    s = AccountState(fallback_brackets=load_snapshot())
    s.reseed([_pos("BTCUSDT", BOTH, "0.5", "60000", "61000")], Decimal(1000), dropped=rows.dropped)
    r = s.risk()
    assert [(u.symbol, u.text) for u in r.unavailable] == [
        ("ETHUSDT", "risk unavailable: positionRisk row unreadable (entryPrice)")]
    assert r.positions[0].liquidation_price is not None


def _asset(asset: str, cw: str, avail: str = "0") -> dict[str, str]:
    return {"asset": asset, "walletBalance": cw, "crossWalletBalance": cw, "availableBalance": avail}


def _balance_update(e_time: int, asset: str, cw: str) -> AccountUpdate:
    ev = decode_user_event(json.dumps({"e": "ACCOUNT_UPDATE", "E": e_time, "T": e_time,
                                       "a": {"m": "ORDER", "B": [{"a": asset, "wb": cw, "cw": cw, "bc": "0"}],
                                             "P": []}}))
    assert isinstance(ev, AccountUpdate)
    return ev


def _reseed_from_bodies(state: AccountState, account: dict[str, Any], rows: list[dict[str, Any]],
                        brackets: bytes) -> None:
    """What AccountSession._reseed does with the decoded REST bodies."""
    from marginwatch.core.rest_models import (
        collateral_from_account,
        decode_account,
        decode_leverage_brackets,
        decode_position_risk,
        positions_from_snapshot,
    )

    info = decode_account(json.dumps(account))
    risk_rows = decode_position_risk(json.dumps(rows))
    cw, collateral, multi = collateral_from_account(info, risk_rows, state.multi_assets_margin)
    state.reseed(positions_from_snapshot(risk_rows, []), cw, decode_leverage_brackets(brackets), SNAP,
                 dropped=risk_rows.dropped, collateral=collateral, multi_assets=multi)


_BTC_BRACKETS = (b'[{"symbol":"BTCUSDT","brackets":[{"bracket":1,"initialLeverage":125,"notionalCap":50000,'
                 b'"notionalFloor":0,"maintMarginRatio":0.004,"cum":0.0},{"bracket":2,"initialLeverage":100,'
                 b'"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50.0}]}]')
# A multi-assets account shaped like a captured one: USDT 3.73 + USDC 22.00, the exchange's LP 64,846.99.
_MULTI_ACCOUNT = {"totalCrossWalletBalance": "25.72610060", "availableBalance": "18.65949928",
                  "assets": [_asset("FDUSD", "0", "18.46663722"), _asset("USDT", "3.72964781", "18.65856952"),
                             _asset("USDC", "22.00000000", "18.65830123")]}
_MULTI_ROWS = [{"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.009", "entryPrice": "67445.9",
                "markPrice": "67502.68519858", "liquidationPrice": "64846.98753790", "marginAsset": "USDT",
                "isolatedWallet": "0", "notional": "607.52416678", "positionInitialMargin": "7.59405208"}]


def test_multi_assets_cross_wallet_is_the_usd_value_of_all_collateral_and_the_liquidation_price_matches() -> None:
    state = AccountState()
    _reseed_from_bodies(state, _MULTI_ACCOUNT, _MULTI_ROWS, _BTC_BRACKETS)
    risk = state.risk()
    assert risk.multi_assets is True and state.multi_assets_margin is True
    assert state.cross_wallet_balance == Decimal("25.72610060")
    (btc,) = risk.positions
    assert btc.liquidation_price is not None
    assert abs(btc.liquidation_price / Decimal("64846.98753790") - 1) < Decimal("0.0005")


def test_multi_assets_a_balance_change_of_any_collateral_asset_moves_the_cross_wallet_at_its_rate() -> None:
    state = AccountState()
    _reseed_from_bodies(state, _MULTI_ACCOUNT, _MULTI_ROWS, _BTC_BRACKETS)
    usdc_rate = (Decimal("25.72610060") - Decimal("3.72964781")) / 22
    state.apply_account_update(_balance_update(SNAP + 5, "USDC", "12.00000000"))
    assert abs(state.cross_wallet_balance - (Decimal("25.72610060") - 10 * usdc_rate)) < Decimal("1e-20")
    state.apply_account_update(_balance_update(SNAP + 6, "USDT", "4.72964781"))
    assert abs(state.cross_wallet_balance - (Decimal("26.72610060") - 10 * usdc_rate)) < Decimal("1e-20")


def test_a_single_asset_account_keeps_the_margin_asset_row_only() -> None:
    account = {"totalCrossWalletBalance": "100", "assets": [_asset("USDT", "100"), _asset("USDC", "50")]}
    state = AccountState()
    _reseed_from_bodies(state, account, [], _BTC_BRACKETS)
    assert state.multi_assets_margin is False and state.cross_wallet_balance == Decimal(100)
    state.apply_account_update(_balance_update(SNAP + 5, "USDC", "10"))
    assert state.cross_wallet_balance == Decimal(100)


def test_an_eu_account_with_bnfcr_credits_sees_its_wallet_change() -> None:
    account = {"totalCrossWalletBalance": "5000.00000000",
               "assets": [_asset("USDT", "0"), _asset("BNFCR", "5000.00000000")]}
    state = AccountState()
    _reseed_from_bodies(state, account, [], _BTC_BRACKETS)
    assert list(state.collateral) == ["BNFCR"] and state.multi_assets_margin is False
    assert state.cross_wallet_balance == Decimal("5000.00000000")
    before = state.version
    state.apply_account_update(_balance_update(SNAP + 5, "BNFCR", "5001.28983031"))
    assert state.cross_wallet_balance == Decimal("5001.28983031") and state.version > before


def test_an_eu_account_takes_the_margin_asset_of_its_positions() -> None:
    rows = [{**_MULTI_ROWS[0], "marginAsset": "BNFCR"}]
    account = {"totalCrossWalletBalance": "0", "assets": [_asset("USDT", "0"), _asset("BNFCR", "500")]}
    state = AccountState()
    _reseed_from_bodies(state, account, rows, _BTC_BRACKETS)
    assert list(state.collateral) == ["BNFCR"] and state.cross_wallet_balance == Decimal(500)
