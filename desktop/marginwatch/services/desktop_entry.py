"""`marginwatch --install-desktop-entry`: a menu entry and icons for this user (XDG paths).

The entry is packaging/linux's desktop file with `Exec` pointing at this installation (a bundle, a
virtualenv script or `python -m`), so it starts the same MarginWatch the user just ran.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from marginwatch import resources
from marginwatch.services.autostart import DESKTOP_ID, _exec_quote, launch_command

ICON_NAME = "marginwatch"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

_ENTRY = """[Desktop Entry]
Type=Application
Name=MarginWatch
GenericName=Futures Margin Monitor
GenericName[zh_CN]=合约保证金监控
Comment=Warns before Binance USDⓈ-M futures positions get liquidated
Comment[zh_CN]=在币安 U 本位合约仓位被强平之前发出警告
Exec={exec}
Icon={icon}
Terminal=false
Categories=Finance;Office;
Keywords=binance;futures;margin;liquidation;crypto;trading;
Keywords[zh_CN]=币安;合约;保证金;强平;爆仓;加密货币;交易;
StartupNotify=true
StartupWMClass=MarginWatch
X-GNOME-SingleWindow=true
X-GNOME-UsesNotifications=true
"""


def data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"


def entry_text(command: list[str] | None = None) -> str:
    cmd = command or launch_command()
    return _ENTRY.format(exec=" ".join(_exec_quote(a) for a in cmd), icon=ICON_NAME)


def install(command: list[str] | None = None) -> list[Path]:
    """Write the entry and the icons; returns what was written. Raises OSError with the path."""
    root = data_home()
    written: list[Path] = []
    for size in ICON_SIZES:
        target = root / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(resources.app_icon_path(size), target)
        written.append(target)
    entry = root / "applications" / f"{DESKTOP_ID}.desktop"
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.with_suffix(".tmp")
    tmp.write_text(entry_text(command), encoding="utf-8")
    tmp.replace(entry)  # atomic: a menu never sees half a file
    written.append(entry)
    return written


def uninstall() -> list[Path]:
    root = data_home()
    removed = []
    for path in [
        root / "applications" / f"{DESKTOP_ID}.desktop",
        *(root / "icons" / "hicolor" / f"{s}x{s}" / "apps" / f"{ICON_NAME}.png" for s in ICON_SIZES),
    ]:
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
