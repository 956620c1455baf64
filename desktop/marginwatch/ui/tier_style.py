"""How a risk tier looks: colours and words shared by the table, summary, chart and banner.

Colours are from the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies). Where a colour is a background, the text colour is set with it, so the pair reads
the same on light and dark palettes. Tiers are never shown by colour alone: a word and a mark go
with them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from marginwatch.core.risk_tiers import RiskTier

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
