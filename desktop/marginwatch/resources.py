"""The one place that finds MarginWatch's icons and sounds, in source checkouts, wheels and frozen builds.

Runtime assets live in the package (`marginwatch/_resources/`, shipped as package data), so the same
relative lookup works in an editable checkout, an installed wheel and a PyInstaller bundle (which
copies them to `<bundle>/marginwatch/_resources`). The SVG masters they are rendered from are in the
repository's `resources/`; see resources/README.md.

Paths need no Qt; `app_icon()` and `tray_icon()` need a QGuiApplication to exist.
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from marginwatch.core.risk_tiers import RiskTier

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
TRAY_ICON_SIZES = (16, 22, 24, 32, 48, 64)
TRAY_STATES = ("calm", "warning", "danger", "unknown", "disconnected")
SOUND = "sounds/alert.wav"


class ResourceError(FileNotFoundError):
    """A resource the app ships with is missing: the install or bundle is incomplete."""


def root() -> Path:
    """The directory holding icons/ and sounds/."""
    meipass = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and meipass:
        frozen = Path(meipass) / "marginwatch" / "_resources"
        if frozen.is_dir():
            return frozen
    return Path(__file__).resolve().parent / "_resources"


def _existing(relative: str) -> Path:
    path = root() / relative
    if not path.is_file():
        raise ResourceError(f"MarginWatch resource missing: {relative} (looked in {root()})")
    return path


def icon_path(name: str) -> Path:
    """Path of an icon file by its name under icons/, e.g. "marginwatch-256.png" or "tray/calm-16.png"."""
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"icon name must be relative to the icons folder: {name!r}")
    return _existing(f"icons/{name}")


def app_icon_path(size: int = 256) -> Path:
    """A PNG of the app icon, for notifications and desktop entries; sizes in APP_ICON_SIZES."""
    if size not in APP_ICON_SIZES:
        raise ValueError(f"no app icon of {size} px; sizes: {APP_ICON_SIZES}")
    return icon_path(f"marginwatch-{size}.png")


def sound_path() -> Path:
    """The alert chime (16-bit mono WAV)."""
    return _existing(SOUND)


def tray_state(tier: RiskTier, disconnected: bool) -> str:
    """Which tray picture shows: "disconnected" wins over any tier."""
    if disconnected:
        return "disconnected"
    return RiskTier(tier).label


def app_icon() -> QIcon:
    """The window and application icon, every rendered size so Qt never scales from far away."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for size in APP_ICON_SIZES:
        icon.addFile(str(app_icon_path(size)))
    return icon


def tray_icon(tier: RiskTier, disconnected: bool = False) -> QIcon:
    """The tray icon for the worst tier; colour and shape both change with the state."""
    from PySide6.QtGui import QIcon

    state = tray_state(tier, disconnected)
    icon = QIcon()
    for size in TRAY_ICON_SIZES:
        icon.addFile(str(icon_path(f"tray/{state}-{size}.png")))
    return icon


def expected() -> list[str]:
    """Every resource file the app expects, relative to root()."""
    names = [f"icons/marginwatch-{s}.png" for s in APP_ICON_SIZES]
    names += [f"icons/tray/{state}-{s}.png" for state in TRAY_STATES for s in TRAY_ICON_SIZES]
    names.append(SOUND)
    return names


def _loads(relative: str) -> bool:
    path = root() / relative
    if not path.is_file():
        return False
    if path.suffix == ".wav":
        try:
            with wave.open(str(path), "rb") as w:
                return w.getnframes() > 0 and w.getsampwidth() == 2
        except (wave.Error, EOFError):
            return False
    from PySide6.QtGui import QImage

    return not QImage(str(path)).isNull()


def check() -> dict[str, bool]:
    """For each expected resource: does it exist and load (images decode, the WAV parses)?"""
    return {name: _loads(name) for name in expected()}
