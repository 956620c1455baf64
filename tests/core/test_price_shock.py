"""Price shock: a 0 % shock changes nothing, the move that liquidates a position puts it exactly at its
maintenance margin, a deeper move never un-liquidates, and a loss on one cross symbol pulls the other
cross positions' liquidation prices closer. Real bracket tables (the bundled snapshot)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.price_shock import Shock, ShockResult, shock_account

D = Decimal
TABLES = load_snapshot()
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
PRICES = {"BTCUSDT": 60000, "ETHUSDT": 3000, "SOLUSDT": 150}
EXAMPLES = settings(max_examples=300, deadline=None)


@st.composite
def positions(draw: st.DrawFn, count: tuple[int, int] = (1, 4)) -> list[Position]:
    out: list[Position] = []
    for symbol in draw(st.lists(st.sampled_from(SYMBOLS), min_size=count[0], max_size=count[1], unique=True)):
        base = PRICES[symbol]
        entry = D(base) * (1 + D(draw(st.integers(-2000, 2000))) / 10000)
        mark = entry * (1 + D(draw(st.integers(-1000, 1000))) / 10000)
        notional = D(draw(st.integers(100, 3_000_000)))  # up to 3M: several bracket tiers
        qty = (notional / entry).quantize(D("0.001"))
        assume(qty > 0)
        signed = qty if draw(st.booleans()) else -qty
        isolated = draw(st.booleans())
        wallet = notional / D(draw(st.integers(2, 50))) if isolated else D(0)
        out.append(Position(symbol, PositionSide.BOTH, signed, entry, mark,
                            MarginType.ISOLATED if isolated else MarginType.CROSS, wallet))
    return out


shapes = st.tuples(
    st.one_of(st.none(), st.frozensets(st.sampled_from(SYMBOLS), min_size=1)),
    st.dictionaries(st.sampled_from(SYMBOLS), st.sampled_from([D("0.5"), D("1.5"), D(2)])),
)
wallets = st.integers(100, 500_000).map(D)


def shock(ps: list[Position], wallet: Decimal, s: Shock, direction: int | None = None) -> ShockResult:
    return shock_account(ps, wallet, TABLES, s, direction=direction)


def margin_left(result: ShockResult, index: int) -> tuple[Decimal, Decimal]:
    """(margin balance − maintenance margin, scale) of the subject that liquidates position `index`."""
    after = result.after
    p = result.positions[index]
    if p.before.position.margin_type is MarginType.CROSS:
        balance, maint = after.cross_margin_balance, after.cross_maint_margin
        return balance - maint, maint + abs(balance)
    mm = p.after.maint_margin or D(0)
    return p.before.position.isolated_wallet + p.after.unrealized_pnl - mm, p.after.notional


@EXAMPLES
@given(positions(), wallets, shapes)
def test_a_zero_shock_changes_nothing(ps: list[Position], wallet: Decimal, shape: tuple) -> None:
    result = shock(ps, wallet, Shock(D(0), shape[0], shape[1]))
    assert result.after == result.before
    for p in result.positions:
        assert p.move_pct == 0
        assert p.liquidated is (p.liquidation_move == 0)  # liquidated at 0 % only if it already is


@EXAMPLES
@given(positions(), wallets, shapes, st.sampled_from([-1, 1]))
def test_the_move_that_liquidates_a_position_applied_puts_it_at_its_maintenance_margin(
    ps: list[Position], wallet: Decimal, shape: tuple, direction: int
) -> None:
    result = shock(ps, wallet, Shock(D(0), shape[0], shape[1]), direction)
    for i, p in enumerate(result.positions):
        move = p.liquidation_move
        if move is None or move == 0:
            continue
        assert (move < 0) == (direction < 0)
        at = shock(ps, wallet, Shock(move, shape[0], shape[1]), direction)
        left, scale = margin_left(at, i)
        assert abs(left) <= D("1e-12") * (1 + scale)


@EXAMPLES
@given(positions(count=(1, 1)), wallets, st.sampled_from([-1, 1]), st.integers(1, 2000), st.integers(1, 999))
def test_in_one_leg_a_deeper_move_never_un_liquidates_and_a_shallower_one_does_not_liquidate(
    ps: list[Position], wallet: Decimal, direction: int, beyond: int, short_of: int
) -> None:
    move = shock(ps, wallet, Shock(D(0)), direction).positions[0].liquidation_move
    assume(move is not None and move != 0)
    assert move is not None
    deeper = move * (1 + D(beyond) / 1000)
    if deeper < -100:
        deeper = D(-100)  # a mark cannot go below 0: -100 % and beyond are the floor
    assert shock(ps, wallet, Shock(deeper), direction).positions[0].liquidated
    assert not shock(ps, wallet, Shock(move * D(short_of) / 1000), direction).positions[0].liquidated


def test_a_drop_in_one_cross_symbol_pulls_the_other_cross_positions_liquidation_price_closer() -> None:
    btc = Position("BTCUSDT", PositionSide.BOTH, D("0.5"), D(60000), D(61000))
    eth = Position("ETHUSDT", PositionSide.BOTH, D(10), D(3000), D(3000))
    result = shock([btc, eth], D(8000), Shock(D(-10), frozenset({"ETHUSDT"})))
    b = result.positions[0]
    assert b.move_pct == 0 and b.after.position.mark_price == D(61000)
    assert b.before.liquidation_price is not None and b.after.liquidation_price is not None
    assert b.after.liquidation_price > b.before.liquidation_price  # closer to the unmoved mark
    assert b.after.distance_pct is not None and b.before.distance_pct is not None
    assert b.after.distance_pct < b.before.distance_pct
    # Both cross positions go at the same move: the account is liquidated as one.
    assert result.positions[0].liquidation_move == result.positions[1].liquidation_move == result.cross_liquidation_move


def test_positions_are_liquidated_in_order_of_the_move_and_a_beta_brings_an_alt_forward() -> None:
    btc = Position("BTCUSDT", PositionSide.BOTH, D("0.1"), D(60000), D(60000), MarginType.ISOLATED, D(1200))
    sol = Position("SOLUSDT", PositionSide.BOTH, D(40), D(150), D(150), MarginType.ISOLATED, D(1500))
    plain = shock([btc, sol], D(0), Shock(D(-10)))
    assert [p.key[0] for p in plain.liquidation_order()] == ["BTCUSDT", "SOLUSDT"]
    # SOL moving 1.5x BTC: its own -24 % is reached at a -16 % shock, before BTC's -19 %.
    betas = shock([btc, sol], D(0), Shock(D(-10), betas={"SOLUSDT": D("1.5")}))
    sol_move = betas.positions[1].liquidation_move
    assert sol_move is not None and plain.positions[1].liquidation_move is not None
    assert sol_move == pytest.approx(plain.positions[1].liquidation_move / D("1.5"))
    assert [p.key[0] for p in betas.liquidation_order()] == ["SOLUSDT", "BTCUSDT"]
    assert betas.positions[1].move_pct == D(-15)


def test_a_position_outside_the_shock_has_no_liquidation_move_and_keeps_its_figures() -> None:
    btc = Position("BTCUSDT", PositionSide.BOTH, D("0.1"), D(60000), D(60000), MarginType.ISOLATED, D(1200))
    result = shock([btc], D(0), Shock(D(-50), frozenset({"ETHUSDT"})))
    [p] = result.positions
    assert p.liquidation_move is None and not p.liquidated and p.after == p.before
    with pytest.raises(ValueError, match="direction"):
        shock([btc], D(0), Shock(D(1)), direction=0)
