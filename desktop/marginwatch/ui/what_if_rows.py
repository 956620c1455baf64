"""What a price shock's results look like: chart ghosts, table rows and the one-line summary. Pure.

The worker hands over `ShockResults`; these functions turn them into what the panel and the chart
show, on the GUI thread, so they stay cheap: the table's texts are formatted only for the rows a
view asks about (`ResultRow.texts`), the summary names the first few to go.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from PySide6.QtCore import QCoreApplication

from marginwatch.core.account_risk import PositionRisk
from marginwatch.core.price_shock import Shock, ShockedPosition
from marginwatch.core.risk_tiers import BandsByAccount, RiskTier, position_tier
from marginwatch.services.what_if import ShockResults
from marginwatch.ui.formatting import format_fraction_as_percent, format_percent, format_price
from marginwatch.ui.tier_style import tier_suffix

SUMMARY_NAMES = 3  # how many of the first to go the summary names
BarKey = tuple[str, str, str]  # (account, symbol, position side), as the chart keys its bars


class ChartGhost(NamedTuple):
    """A position after a what-if price shock, drawn by the chart over its live bar. (Here, not in
    the chart's module: that one loads pyqtgraph, which the window must not wait for.)"""

    distance: float | None  # shocked distance in percent; None without a liquidation price
    tier: RiskTier
    liquidated: bool
    risk: PositionRisk  # the shocked figures
    liquidation_move: Decimal | None  # the shock that liquidates it, in the shock's direction


def bar_key(account: str, p: ShockedPosition) -> BarKey:
    pos = p.before.position
    return (account, pos.symbol, str(pos.position_side))


@dataclass(frozen=True, slots=True)
class ResultRow:
    account: str
    shocked: ShockedPosition
    tier: RiskTier  # of the shocked figures (`position_tier`)

    @property
    def order_key(self) -> tuple[int, Decimal]:
        """Liquidated first, then by how small a move liquidates it, then those no move does."""
        move = self.shocked.liquidation_move
        return (0 if self.shocked.liquidated else 1 if move is not None else 2, abs(move or Decimal(0)))

    def texts(self, many_accounts: bool) -> tuple[str, ...]:
        p = self.shocked
        pos = p.before.position
        long_word = QCoreApplication.translate("WhatIfPanel", "long")
        side = long_word if pos.direction.value == "long" else QCoreApplication.translate("WhatIfPanel", "short")
        name = f"{pos.symbol} {side}"
        if many_accounts:
            name = f"{self.account} · {name}"
        gone = QCoreApplication.translate("WhatIfPanel", "✕ liquidated")
        status = gone if p.liquidated else tier_suffix(self.tier).strip()
        move = (
            format_percent(p.liquidation_move) if p.liquidation_move is not None
            else QCoreApplication.translate("WhatIfPanel", "not within range")
        )
        return (
            name,
            format_percent(p.move_pct),
            f"{format_price(p.before.liquidation_price)} → {format_price(p.after.liquidation_price)}",
            format_percent(p.after.distance_pct),
            format_fraction_as_percent(p.after.margin_ratio),
            status,
            move,
        )


def result_rows(results: ShockResults, bands: BandsByAccount) -> list[ResultRow]:
    rows = [
        ResultRow(account, p, RiskTier.DANGER if p.liquidated else position_tier(p.after, bands.of(account)).tier)
        for account, result in results
        for p in result.positions
        if p.before.position.is_open
    ]
    rows.sort(key=lambda r: r.order_key)
    return rows


def ghosts(rows: list[ResultRow]) -> dict[BarKey, ChartGhost]:
    out: dict[BarKey, ChartGhost] = {}
    for r in rows:
        p = r.shocked
        distance = p.after.distance_pct
        value = float(distance) if distance is not None and distance.is_finite() else None
        out[bar_key(r.account, p)] = ChartGhost(value, r.tier, p.liquidated, p.after, p.liquidation_move)
    return out


def scope_text(shock: Shock) -> str:
    if shock.symbols is None:
        return QCoreApplication.translate("WhatIfPanel", "every mark")
    return ", ".join(sorted(shock.symbols))


def summary(shock: Shock, rows: list[ResultRow]) -> str:
    """"-10.00 % on every mark: 2 of 7 liquidated. First to go: SOLUSDT long at -4.32 %, …"."""
    gone = sum(1 for r in rows if r.shocked.liquidated)
    head = QCoreApplication.translate("WhatIfPanel", "{move} on {scope}: {gone} of {count} positions liquidated.")
    head = head.format(
        move=format_percent(shock.pct), scope=scope_text(shock), gone=gone, count=len(rows)
    )
    first = [r for r in rows if r.shocked.liquidation_move is not None][:SUMMARY_NAMES]
    many = len({r.account for r in rows}) > 1  # then each is named with its account, as in the table
    if not first:
        none = QCoreApplication.translate("WhatIfPanel", "No move in this direction liquidates any of them.")
        return f"{head} {none}"
    named = ", ".join(
        QCoreApplication.translate("WhatIfPanel", "{name} at {move}").format(
            name=r.texts(many)[0], move=format_percent(r.shocked.liquidation_move)
        )
        for r in first
    )
    return head + " " + QCoreApplication.translate("WhatIfPanel", "First to go: {names}").format(names=named)
