"""Start at login via the XDG autostart spec: a .desktop file in $XDG_CONFIG_HOME/autostart.

Linux and the BSDs only. Elsewhere every call is a no-op that says so in plain words (macOS login
items and the Windows Run key are not done yet). Errors never raise into the app: `set_enabled`
returns a sentence for the user instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

DESKTOP_ID = "io.marginwatch.MarginWatch"
FILENAME = f"{DESKTOP_ID}.desktop"
_MARK = "X-MarginWatch-Autostart=true"  # ours, so `disable` never deletes a file the user wrote


def supported(platform: str | None = None) -> bool:
    p = sys.platform if platform is None else platform
    return p.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def unsupported_reason() -> str:
    return f"Start at login is not available on this system ({sys.platform}) yet; start MarginWatch yourself."


def autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    # The spec says to ignore a relative XDG_CONFIG_HOME.
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "autostart"


def autostart_path() -> Path:
    return autostart_dir() / FILENAME


def launch_command() -> list[str]:
    """How this installation is started: the frozen binary, the `marginwatch` script, or `python -m`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and Path(argv0).name in ("marginwatch", "marginwatch.exe") and Path(argv0).exists():
        return [str(Path(argv0).resolve())]
    script = shutil.which("marginwatch")
    if script:
        return [script]
    return [sys.executable, "-m", "marginwatch"]


def _exec_quote(arg: str) -> str:
    """Quote one argument for a desktop entry's Exec key (Desktop Entry spec, 'The Exec key')."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`='):
        return arg.replace("%", "%%")
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return '"' + escaped.replace("%", "%%") + '"'


def desktop_entry(command: Sequence[str], *, minimised: bool = True) -> str:
    args = [*command, "--minimised"] if minimised else list(command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=MarginWatch\n"
        "Comment=Warns before Binance USDⓈ-M futures positions get liquidated\n"
        f"Exec={' '.join(_exec_quote(a) for a in args)}\n"
        "Icon=marginwatch\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
        f"{_MARK}\n"
    )


def is_enabled() -> bool:
    if not supported():
        return False
    try:
        text = autostart_path().read_text(encoding="utf-8")
    except OSError:
        return False
    lowered = text.lower()
    return "hidden=true" not in lowered and "x-gnome-autostart-enabled=false" not in lowered


def enable(command: Sequence[str] | None = None, *, minimised: bool = True) -> Path:
    """Write the autostart entry (atomically); raises OSError, or RuntimeError when unsupported."""
    if not supported():
        raise RuntimeError(unsupported_reason())
    path = autostart_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(desktop_entry(command or launch_command(), minimised=minimised), encoding="utf-8")
    os.replace(tmp, path)
    log.info("autostart entry written: %s", path)
    return path


def disable() -> bool:
    """Remove our autostart entry; True when one was removed. A file without our mark is left alone."""
    if not supported():
        return False
    path = autostart_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    if _MARK not in text:
        log.warning("autostart: %s was not written by MarginWatch; leaving it", path)
        return False
    path.unlink()
    log.info("autostart entry removed: %s", path)
    return True


def set_enabled(on: bool, command: Sequence[str] | None = None, *, minimised: bool = True) -> str | None:
    """Make start-at-login match `on`. None when done, else a sentence saying why not."""
    if not supported():
        log.info("autostart: %s", unsupported_reason())
        return unsupported_reason()
    try:
        if on:
            enable(command, minimised=minimised)
        else:
            disable()
    except OSError as exc:
        what = "set up" if on else "remove"
        message = f"Could not {what} start at login ({autostart_path()}): {exc.strerror or exc}."
        log.warning("autostart: %s", message)
        return message
    return None
