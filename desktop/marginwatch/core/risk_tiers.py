"""Risk tiers for colouring and alerting: calm / warning / danger by margin ratio."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marginwatch.core.account_risk import AccountRisk


class RiskTier(IntEnum):
    UNKNOWN = 0
    CALM = 1
    WARNING = 2
    DANGER = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TierThresholds:
    """Margin-ratio tiers as fractions; defaults < 50 % calm, 50–80 % warning, >= 80 % danger."""

    warning: Decimal = Decimal("0.5")
    danger: Decimal = Decimal("0.8")

    def __post_init__(self) -> None:
        if not (Decimal(0) < self.warning < self.danger):
            raise ValueError("thresholds must satisfy 0 < warning < danger")

    def tier_for_ratio(self, ratio: Decimal | None) -> RiskTier:
        if ratio is None:
            return RiskTier.UNKNOWN
        if ratio >= self.danger:
            return RiskTier.DANGER
        if ratio >= self.warning:
            return RiskTier.WARNING
        return RiskTier.CALM


def worst_tier(accounts: Iterable[AccountRisk], thresholds: TierThresholds) -> RiskTier:
    """The highest tier of any account's cross ratio or position's ratio; UNKNOWN when none is known."""
    worst = RiskTier.UNKNOWN
    for account in accounts:
        worst = max(worst, thresholds.tier_for_ratio(account.margin_ratio))
        for p in account.positions:
            worst = max(worst, thresholds.tier_for_ratio(p.margin_ratio))
    return worst
