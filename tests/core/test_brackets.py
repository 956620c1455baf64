"""Bracket tables: the FAQ's cum recursion, lookup at boundaries, and the bundled snapshot."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

from marginwatch.core.brackets import cum_from_rates, cum_is_consistent, parse_leverage_brackets
from marginwatch.core.brackets_snapshot import load_snapshot, parse_bracket_document, snapshot_note
from marginwatch.core.errors import InvalidInputError, NoBracketsError

D = Decimal


def test_cum_recursion_faq_btc_level_3() -> None:
    # "the Maintenance Amount on Level 3 = 250,000 × (1% − 0.5%) + 50 USDT = 1,300 USDT"
    cums = cum_from_rates([(D(0), D("0.004")), (D(50000), D("0.005")), (D(250000), D("0.01"))])
    assert cums == [D(0), D(50), D(1300)]


def test_cum_recursion_ada_table() -> None:
    rows = [(0, "0.025"), (100_000, "0.05"), (500_000, "0.10"), (1_000_000, "0.15"), (2_000_000, "0.25"),
            (5_000_000, "0.50")]  # fmt: skip
    cums = cum_from_rates((D(f), D(m)) for f, m in rows)
    assert cums == [D(0), D(2500), D(27500), D(77500), D(277500), D(1527500)]


def test_snapshot_has_common_symbols_and_btc_history() -> None:
    snap = load_snapshot()
    for sym in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "DOGEUSDT"):
        assert sym in snap
    btc = snap["BTCUSDT"].brackets
    assert [b.cum for b in btc] == [D(x) for x in (0, 50, 1300, 46300, 421300, 1921300, 3921300, 6421300,
                                                   26421300, 101421300)]  # fmt: skip
    assert [b.initial_leverage for b in btc] == [125, 100, 50, 20, 10, 5, 4, 3, 2, 1]
    assert btc[0].maint_margin_ratio == D("0.004") and btc[-1].cap == D(500_000_000)
    assert "illustrative" in snapshot_note().lower()


@pytest.mark.parametrize("symbol", sorted(load_snapshot()))
def test_snapshot_tables_are_internally_consistent(symbol: str) -> None:
    table = load_snapshot()[symbol]
    assert cum_is_consistent(table)
    bs = table.brackets
    assert bs[0].floor == 0
    for lower, upper in itertools.pairwise(bs):
        assert lower.cap == upper.floor  # contiguous
        assert lower.maint_margin_ratio < upper.maint_margin_ratio
        assert lower.initial_leverage > upper.initial_leverage
        # Continuity at the boundary is what the recursion buys.
        assert upper.floor * lower.maint_margin_ratio - lower.cum == upper.floor * upper.maint_margin_ratio - upper.cum


def test_inconsistent_cum_is_detected() -> None:
    raw = b'[{"symbol":"X","brackets":[{"bracket":1,"initialLeverage":20,"notionalFloor":0,"notionalCap":100,' \
          b'"maintMarginRatio":0.01,"cum":0},{"bracket":2,"initialLeverage":10,"notionalFloor":100,' \
          b'"notionalCap":1000,"maintMarginRatio":0.02,"cum":2}]}]'  # fmt: skip
    assert not cum_is_consistent(parse_bracket_document(raw)["X"])


def test_lookup_at_boundaries() -> None:
    btc = load_snapshot()["BTCUSDT"]
    assert btc.for_notional(D(49999)).bracket == 1
    assert btc.for_notional(D(50000)).bracket == 2
    assert btc.for_notional(D(-60000)).bracket == 2  # by absolute value
    assert btc.for_notional(D(10) ** 12).bracket == 10  # beyond the top cap: the last bracket
    assert btc.max_leverage(D(264000)) == 50


def test_parse_document_shapes_and_errors() -> None:
    one = b'{"symbol":"ETHUSDT","brackets":[{"bracket":1,"initialLeverage":75,"notionalCap":10000,' \
          b'"notionalFloor":0,"maintMarginRatio":0.005,"cum":0.0}]}'  # fmt: skip
    assert parse_bracket_document(one)["ETHUSDT"].brackets[0].maint_margin_ratio == D("0.005")
    with pytest.raises(InvalidInputError):
        parse_bracket_document(b"not json")
    with pytest.raises(InvalidInputError):
        parse_bracket_document(b'[{"symbol":"X","brackets":[{"bracket":1}]}]')
    with pytest.raises(NoBracketsError):
        parse_bracket_document(b'[{"symbol":"X","brackets":[]}]')


def test_symbols_on_the_same_schedule_share_one_tuple_of_brackets() -> None:
    def entry(symbol: str, mmr: str) -> dict[str, object]:
        return {"symbol": symbol, "brackets": [
            {"bracket": 1, "initialLeverage": 50, "notionalCap": 5000, "notionalFloor": 0,
             "maintMarginRatio": float(mmr), "cum": 0.0},
            {"bracket": 2, "initialLeverage": 20, "notionalCap": 25000, "notionalFloor": 5000,
             "maintMarginRatio": 0.025, "cum": 5000 * (0.025 - float(mmr))},
        ]}  # fmt: skip

    raw = json.dumps([entry("AAAUSDT", "0.01"), entry("BBBUSDT", "0.01"), entry("CCCUSDT", "0.02")])
    tables = parse_leverage_brackets(raw)
    assert tables["AAAUSDT"].brackets is tables["BBBUSDT"].brackets  # kept once
    assert tables["CCCUSDT"].brackets is not tables["AAAUSDT"].brackets
    assert tables["BBBUSDT"].symbol == "BBBUSDT" and tables["BBBUSDT"].brackets[0].maint_margin_ratio == Decimal("0.01")


def _row(**extra: object) -> bytes:
    row = {"symbol": "ETHUSDT", "brackets": [
        {"bracket": 1, "initialLeverage": 75, "notionalCap": 10000, "notionalFloor": 0, "maintMarginRatio": 0.0065,
         "cum": 0.0},
        {"bracket": 2, "initialLeverage": 50, "notionalCap": 50000, "notionalFloor": 10000, "maintMarginRatio": 0.01,
         "cum": 35.0}]}  # fmt: skip
    return json.dumps([{**row, **extra}]).encode()


def test_notional_coef_is_decoded_and_the_caps_are_taken_as_already_scaled() -> None:
    # The endpoint returns the account's own brackets; notionalCoef says how they relate to the
    # symbol's default schedule. Applying it again would move every cap (and bracket) by 1.5x.
    plain = parse_leverage_brackets(_row())["ETHUSDT"]
    scaled = parse_leverage_brackets(_row(notionalCoef=1.50))["ETHUSDT"]
    assert plain.notional_coef == 1 and scaled.notional_coef == Decimal("1.50")
    assert [b.cap for b in scaled.brackets] == [Decimal(10000), Decimal(50000)]
    assert scaled.brackets == plain.brackets
    assert scaled.for_notional(Decimal(12000)).bracket == 2
    assert parse_leverage_brackets(_row(notionalCoef=None))["ETHUSDT"].notional_coef == 1


@pytest.mark.parametrize("coef", [0, -1.5, "NaN", "Infinity"])
def test_a_notional_coef_that_is_not_a_positive_number_is_rejected(coef: object) -> None:
    with pytest.raises(ValueError, match="ETHUSDT: notionalCoef must be a positive number"):
        parse_leverage_brackets(_row(notionalCoef=coef))
