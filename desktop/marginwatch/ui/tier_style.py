"""How a risk tier looks: colours and words shared by the table, summary, chart and banner.

Colours are from the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies). Where a colour is a background, the text colour is set with it, so the pair reads
the same on light and dark palettes. Tiers are never shown by colour alone: a word and a mark go
with them.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from marginwatch.core.risk_tiers import PositionTier, RiskBands, RiskTier, TierDriver

_BLACK = QColor("#000000")

# (background, foreground); None keeps the palette's own colours (calm should not shout).
TIER_COLOURS: dict[RiskTier, tuple[QColor | None, QColor | None]] = {
    RiskTier.UNKNOWN: (None, None),
    RiskTier.CALM: (None, None),
    RiskTier.WARNING: (QColor("#E69F00"), _BLACK),  # orange, black text ≈ 10:1 contrast
    RiskTier.DANGER: (QColor("#D55E00"), _BLACK),  # vermillion, black text ≈ 5.5:1 contrast
}

# Solid fills for chart bars, where every tier needs a colour of its own.
TIER_FILLS: dict[RiskTier, QColor] = {
    RiskTier.UNKNOWN: QColor("#999999"),
    RiskTier.CALM: QColor("#009E73"),  # bluish green
    RiskTier.WARNING: QColor("#E69F00"),
    RiskTier.DANGER: QColor("#D55E00"),
}

TIER_MARKS: dict[RiskTier, str] = {
    RiskTier.UNKNOWN: "",
    RiskTier.CALM: "",
    RiskTier.WARNING: "△",
    RiskTier.DANGER: "▲",
}


def tier_word(tier: RiskTier) -> str:
    words = {
        RiskTier.UNKNOWN: QCoreApplication.translate("tier", "unknown"),
        RiskTier.CALM: QCoreApplication.translate("tier", "calm"),
        RiskTier.WARNING: QCoreApplication.translate("tier", "warning"),
        RiskTier.DANGER: QCoreApplication.translate("tier", "danger"),
    }
    return words[tier]


def tier_suffix(tier: RiskTier) -> str:
    """Text such as " ▲ danger" or " calm", appended to a figure so the tier reads without colour."""
    if tier is RiskTier.UNKNOWN:
        return ""
    mark = TIER_MARKS[tier]
    return f" {mark} {tier_word(tier)}" if mark else f" {tier_word(tier)}"


def tier_stylesheet(tier: RiskTier) -> str:
    """A QLabel/QFrame stylesheet fragment for the tier; empty for calm/unknown."""
    background, foreground = TIER_COLOURS[tier]
    if background is None or foreground is None:
        return ""
    return f"background-color: {background.name()}; color: {foreground.name()};"


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 50.0 -> "50", 2.5 -> "2.5"


def tier_reason(tiers: PositionTier, bands: RiskBands) -> str:
    """Which threshold sets a position's tier, e.g. "Tier: danger, set by the distance to
    liquidation (danger at or under 5 %)": the table's and the chart's tooltips say the same."""
    word = tier_word(tiers.tier)
    ratio = bands.ratio
    ratio_limit = {RiskTier.DANGER: ratio.danger, RiskTier.WARNING: ratio.warning}.get(tiers.ratio, ratio.warning)
    distance_limit = {RiskTier.DANGER: bands.distance_danger_pct}.get(tiers.distance, bands.distance_warning_pct)
    ratio_part = QCoreApplication.translate("tier", "the margin ratio ({0} at or over {1} %)").format(
        tier_word(tiers.ratio) if tiers.ratio >= RiskTier.WARNING else tier_word(RiskTier.WARNING),
        _pct(ratio_limit * 100),
    )
    distance_part = QCoreApplication.translate("tier", "the distance to liquidation ({0} at or under {1} %)").format(
        tier_word(tiers.distance) if tiers.distance >= RiskTier.WARNING else tier_word(RiskTier.WARNING),
        _pct(distance_limit),
    )
    driver = tiers.driver
    if driver is TierDriver.NONE:
        return QCoreApplication.translate("tier", "Tier: unknown (no margin ratio or distance to liquidation)")
    if driver is TierDriver.MARGIN_RATIO:
        return QCoreApplication.translate("tier", "Tier: {0}, set by {1}").format(word, ratio_part)
    if driver is TierDriver.DISTANCE:
        return QCoreApplication.translate("tier", "Tier: {0}, set by {1}").format(word, distance_part)
    if tiers.tier is RiskTier.CALM:
        return QCoreApplication.translate("tier", "Tier: calm: neither {0} nor {1}").format(ratio_part, distance_part)
    return QCoreApplication.translate("tier", "Tier: {0}, set by {1} and {2}").format(word, ratio_part, distance_part)
