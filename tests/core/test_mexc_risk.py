"""MEXC positions in core terms: the seed article's worked example, the margin ratio's meaning."""

from __future__ import annotations

from decimal import Decimal

from marginwatch.core import mexc_models as m
from marginwatch.core import mexc_risk as r
from marginwatch.core.position import MarginType, PositionSide
from tests.fixtures.mexc.samples import CONTRACT_ROW, POSITION_ROW, RISK_LIMIT_ROW

D = Decimal
POS = m.positions([POSITION_ROW]).rows[0]
CONTRACT = m.contracts([CONTRACT_ROW]).rows[0]
MMR = D("0.004")


def test_seed_example_liquidation_price_by_mexc_rule() -> None:
    # 5000 contracts of 0.0001 BTC long at 18000, 10x, margin 900, MMR 0.4 %: MM 36 at entry.
    assert r.maintenance_at_entry(POS, CONTRACT, MMR) == D(36)
    assert r.liquidation_price_mexc(POS, CONTRACT, MMR) == D(16272)
    after_one_add = m.positions([POSITION_ROW | {"im": 936}]).rows[0]
    assert r.liquidation_price_mexc(after_one_add, CONTRACT, MMR) == D(16200)  # the article's figure


def test_seed_example_auto_add_from_the_live_position_stops_when_available_is_spent() -> None:
    preview = r.auto_add_preview(POS, CONTRACT, MMR, D(50))
    assert preview.add_per_trigger == D(36)
    assert [(s.added, s.liquidation_price) for s in preview.steps] == [(D(36), D(16200)), (D(14), D(16172))]


def test_auto_add_stops_at_mexcs_hundred_additions() -> None:
    preview = r.auto_add_preview(POS, CONTRACT, MMR, D(10**6))
    assert len(preview.steps) == r.MAX_AUTO_ADDS == 100 and preview.truncated


def test_cross_positions_have_no_own_liquidation_price() -> None:
    cross = m.positions([POSITION_ROW | {"openType": 2}]).rows[0]
    assert r.liquidation_price_mexc(cross, CONTRACT, MMR) is None


def test_conversion_to_core_position() -> None:
    p = r.to_position(POS, CONTRACT, MMR, D(18100))
    assert (p.symbol, p.position_side, p.amount) == ("BTC_USDT", PositionSide.LONG, D(5000))
    assert p.contract_size == D("0.0001")
    assert (p.margin_type, p.isolated_wallet, p.leverage, p.mark_price) == (MarginType.ISOLATED, D(900), 10, D(18100))
    assert p.exchange_liquidation_price == D(16272)
    assert D(p.extra[r.EXTRA_OWN_LIQUIDATION]) == D(16272) and p.extra[r.EXTRA_AUTO_ADD] == "on"
    assert p.extra[r.EXTRA_HOLD_FEE] == "-0.35" and p.extra[r.EXTRA_ADL] == "1"
    short = r.to_position(m.positions([POSITION_ROW | {"positionType": 2}]).rows[0], CONTRACT, MMR, None)
    assert short.amount == D(-5000) and short.position_side is PositionSide.SHORT and short.mark_price == D(18000)


def test_margin_ratio_is_shown_higher_is_worse_with_liquidation_at_one() -> None:
    assert r.app_margin_ratio(D("0.1"), MMR) == D("0.04")
    assert r.app_margin_ratio(MMR, MMR) == D(1)  # MEXC liquidates when its ratio falls to the MMR
    assert r.app_margin_ratio(D("0.008"), MMR) > r.app_margin_ratio(D("0.1"), MMR)  # type: ignore[operator]
    assert r.app_margin_ratio(D(0), MMR) is None and r.app_margin_ratio(None, MMR) is None
    assert "higher is worse" in r.MARGIN_RATIO_MEANING


def test_risk_limit_before_contract_rate_and_bracket_tables() -> None:
    limits = {("BTC_USDT", True): m.risk_limits([RISK_LIMIT_ROW | {"mmr": 0.01}]).rows[0]}
    assert r.mmr_for(POS, limits, CONTRACT) == D("0.01")
    assert r.mmr_for(POS, {}, CONTRACT) == D("0.004")
    tables = r.bracket_tables(limits, {"BTC_USDT": CONTRACT, "ETH_USDT": CONTRACT})
    assert tables["BTC_USDT"].brackets[0].maint_margin_ratio == D("0.01")
    assert tables["ETH_USDT"].brackets[0].maint_margin_ratio == D("0.004")


def test_the_risk_of_a_mexc_position_follows_mexcs_rule_maintenance_at_entry() -> None:
    from marginwatch.core.account_risk import assess_account
    from marginwatch.core.calculator import single_bracket_table

    table = {"BTC_USDT": single_bracket_table(MMR, symbol="BTC_USDT")}
    pos = r.to_position(POS, CONTRACT, MMR, D(17000))
    assert pos.maint_at_entry and pos.with_mark(D(16900)).maint_at_entry
    (pr,) = assess_account([pos], D(0), table).positions
    assert pr.liquidation_price == D(16272) and pr.maint_margin == D(36)  # fixed at entry, not at the mark
    assert pr.margin_ratio == D(36) / (D(900) + (D(17000) - D(18000)) * D("0.5"))
    from dataclasses import replace

    (binance_rule,) = assess_account([replace(pos, maint_at_entry=False)], D(0), table).positions
    assert binance_rule.liquidation_price is not None and binance_rule.liquidation_price < D(16272)


def test_maintenance_at_entry_closed_form_for_shorts_and_inverse() -> None:
    from marginwatch.core import risk
    from marginwatch.core.position import ContractKind, Position

    short = Position("BTC_USDT", PositionSide.SHORT, D(-5000), D(18000), D(18000), MarginType.ISOLATED, D(900),
                     contract_size=D("0.0001"), maint_at_entry=True)
    assert risk.liquidation_price_maint_at_entry(short, D(900), D(36)) == (D(900) - 36 + 9000) / D("0.5")
    inverse = Position("BTCUSD", PositionSide.LONG, D(1000), D(20000), D(20000), MarginType.ISOLATED, D("0.25"),
                       contract=ContractKind.INVERSE, contract_size=D(100), maint_at_entry=True)
    lp = risk.liquidation_price_maint_at_entry(inverse, D("0.25"), D("0.025"))
    assert lp is not None and abs(D("0.25") + D(100000) * (D(1) / 20000 - 1 / lp) - D("0.025")) < D("1e-20")
    assert risk.liquidation_price_maint_at_entry(short, D(10**6), D(36)) is not None  # a short always has one
    long_covered = Position("X", PositionSide.LONG, D(1), D(100), D(100), MarginType.ISOLATED, D(200),
                            maint_at_entry=True)
    assert risk.liquidation_price_maint_at_entry(long_covered, D(200), D(1)) is None
