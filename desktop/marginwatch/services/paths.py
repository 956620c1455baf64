"""Where MarginWatch keeps its files: platform data, log and config directories (platformdirs).

On Linux platformdirs already follows XDG_DATA_HOME / XDG_STATE_HOME / XDG_CONFIG_HOME. On macOS
and Windows it does not; there an explicitly set XDG_* variable is honoured too, so tests (and
users who want it) can move every file with the same variables on every platform.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "MarginWatch"
JOURNAL_FILENAME = "journal.sqlite3"


def _xdg_override(var: str) -> Path | None:
    if sys.platform.startswith("linux"):
        return None  # platformdirs reads the variable itself
    value = os.environ.get(var, "").strip()
    return Path(value) / APP_NAME if value and os.path.isabs(value) else None


def _ensure(path: Path, create: bool) -> Path:
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir(create: bool = True) -> Path:
    """Per-user data: the journal lives here."""
    path = _xdg_override("XDG_DATA_HOME") or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return _ensure(path, create)


def log_dir(create: bool = True) -> Path:
    override = _xdg_override("XDG_STATE_HOME")
    path = override / "log" if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    return _ensure(path, create)


def config_dir(create: bool = True) -> Path:
    path = _xdg_override("XDG_CONFIG_HOME") or Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    return _ensure(path, create)


def journal_path(create_dir: bool = True) -> Path:
    return data_dir(create_dir) / JOURNAL_FILENAME
