"""TEMPORARY stand-in for core.account_risk.assess_account while its body is being written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import ZERO, Position


def assess_fallback(positions: Sequence[Position], cw: Decimal, brackets: Mapping[str, BracketTable]) -> AccountRisk:
    rows: list[tuple[Position, Decimal, Decimal, Decimal]] = []
    for p in positions:
        n = abs(p.amount) * p.mark_price
        b = brackets[p.symbol].for_notional(n)
        rows.append((p, n, p.amount * (p.mark_price - p.entry_price), n * b.maint_margin_ratio - b.cum))
    cross = [r for r in rows if not r[0].is_isolated]
    cup = sum((r[2] for r in cross), ZERO)
    cmm = sum((r[3] for r in cross), ZERO)
    cmb = cw + cup
    cratio = None if not cross else (cmm / cmb if cmb > 0 else Decimal("Infinity"))
    prs = []
    ratio: Decimal | None
    for p, n, up, mm in rows:
        if p.is_isolated:
            bal = p.isolated_wallet + up
            ratio = mm / bal if bal > 0 else Decimal("Infinity")
        else:
            ratio = cratio
        prs.append(PositionRisk(p, n, up, mm, ratio, None, None))
    iw = sum((p.isolated_wallet for p in positions), ZERO)
    up_all = sum((r[2] for r in rows), ZERO)
    return AccountRisk(cw, cw + iw, cup, up_all, cmb, cw + iw + up_all, cmm,
                       sum((r[3] for r in rows), ZERO), cratio, tuple(prs))
