from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

from marginwatch.core.position import ContractKind, MarginType, Position, PositionSide


def test_with_mark_keeps_every_other_field() -> None:
    # Every field set to a non-default value, so a field forgotten by with_mark shows up.
    pos = Position(
        symbol="BTCUSD_PERP",
        position_side=PositionSide.SHORT,
        amount=Decimal(-3),
        entry_price=Decimal("60000.5"),
        mark_price=Decimal(61000),
        margin_type=MarginType.ISOLATED,
        isolated_wallet=Decimal("0.02"),
        contract=ContractKind.INVERSE,
        contract_size=Decimal(100),
        leverage=7,
        exchange_liquidation_price=Decimal(70000),
        liquidation_price_at_snapshot=Decimal(69990),
        extra={"note": "x"},
    )
    moved = pos.with_mark(Decimal(62000))
    assert moved.mark_price == Decimal(62000)
    expected = replace(pos, mark_price=Decimal(62000))
    for f in fields(Position):
        assert getattr(moved, f.name) == getattr(expected, f.name), f.name
