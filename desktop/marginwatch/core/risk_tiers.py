"""Risk tiers for colouring and alerting: calm / warning / danger by margin ratio and by distance.

`position_tier` is the one answer to "how risky is this position": the table, the chart, the tray,
the banner and the alert engine all ask it, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marginwatch.core.account_risk import AccountRisk, PositionRisk


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


def distance_tier(pct: Decimal | None, warning_pct: Decimal, danger_pct: Decimal) -> RiskTier:
    """The tier of a distance to liquidation (percent of mark): danger at or within `danger_pct`."""
    if pct is None or not pct.is_finite():
        return RiskTier.UNKNOWN
    if pct <= danger_pct:
        return RiskTier.DANGER
    if pct <= warning_pct:
        return RiskTier.WARNING
    return RiskTier.CALM


@dataclass(frozen=True, slots=True)
class RiskBands:
    """Every threshold a position's tier depends on: margin ratio (fractions) and distance (percent)."""

    ratio: TierThresholds = TierThresholds()
    distance_warning_pct: Decimal = Decimal(10)
    distance_danger_pct: Decimal = Decimal(5)

    def __post_init__(self) -> None:
        if not (Decimal(0) < self.distance_danger_pct < self.distance_warning_pct):
            raise ValueError("distance thresholds must satisfy 0 < danger < warning")

    def tier_for_distance(self, pct: Decimal | None) -> RiskTier:
        return distance_tier(pct, self.distance_warning_pct, self.distance_danger_pct)


@dataclass(frozen=True, slots=True)
class BandsByAccount:
    """The bands each account's positions are read with: its own override, else `default` (the
    alert engine uses the same per account, so the table and chart agree with its alerts)."""

    default: RiskBands = RiskBands()
    overrides: tuple[tuple[str, RiskBands], ...] = ()

    @classmethod
    def of_any(cls, bands: RiskBands | BandsByAccount) -> BandsByAccount:
        return bands if isinstance(bands, BandsByAccount) else cls(bands)

    def of(self, account: str) -> RiskBands:
        for name, bands in self.overrides:  # a few accounts at most
            if name == account:
                return bands
        return self.default


class TierDriver(StrEnum):
    """Which figure sets a position's tier."""

    NONE = "none"  # neither figure is known
    MARGIN_RATIO = "margin_ratio"
    DISTANCE = "distance"
    BOTH = "both"  # both figures are in the same tier


@dataclass(frozen=True, slots=True)
class PositionTier:
    tier: RiskTier  # the worse of the two
    ratio: RiskTier
    distance: RiskTier

    @property
    def driver(self) -> TierDriver:
        if self.tier is RiskTier.UNKNOWN:
            return TierDriver.NONE
        if self.ratio is self.distance:
            return TierDriver.BOTH
        return TierDriver.MARGIN_RATIO if self.ratio > self.distance else TierDriver.DISTANCE


def position_tier(risk: PositionRisk, bands: RiskBands) -> PositionTier:
    """A position's tier: the worse of its margin-ratio tier and its distance-to-liquidation tier.

    A cross position's ratio is the cross account's, so a calm account can hold a position 3 %
    from liquidation: only the distance shows it, and it must not be hidden by the calm ratio.
    """
    ratio = bands.ratio.tier_for_ratio(risk.margin_ratio)
    distance = bands.tier_for_distance(risk.distance_pct)
    return PositionTier(max(ratio, distance), ratio, distance)


def worst_tier(accounts: Iterable[AccountRisk], bands: RiskBands) -> RiskTier:
    """The highest tier of any account's cross ratio or position's tier; UNKNOWN when none is known."""
    worst = RiskTier.UNKNOWN
    for account in accounts:
        worst = max(worst, bands.ratio.tier_for_ratio(account.margin_ratio))
        for p in account.positions:
            worst = max(worst, position_tier(p, bands).tier)
    return worst
