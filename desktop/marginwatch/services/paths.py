"""Where MarginWatch keeps its files: platform data, log and config directories (platformdirs).

On Linux platformdirs already follows XDG_DATA_HOME / XDG_STATE_HOME / XDG_CONFIG_HOME. On macOS
and Windows it does not; there an explicitly set XDG_* variable is honoured too, so tests (and
users who want it) can move every file with the same variables on every platform.
"""

from __future__ import annotations

import os
import stat
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
        # Ours alone: the config holds the API key and the journal the account's history.
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        _make_private(path)
    return path


def _make_private(path: Path) -> None:
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except (AttributeError, OSError):  # no getuid on Windows, where ACLs already keep the profile private
        pass


def is_private_dir(path: Path) -> bool:
    """A real directory owned by this user that nobody else can write to or list."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def runtime_dir() -> Path | None:
    """A directory for this user's sockets: XDG_RUNTIME_DIR where it is private, else one in the user's
    cache. Never a shared one like /tmp, where another user could squat the name first."""
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg and os.path.isabs(xdg) and is_private_dir(Path(xdg)):
        return Path(xdg)
    override = _xdg_override("XDG_CACHE_HOME")
    cache = override or Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    path = cache / "run"
    try:
        _ensure(path, True)
    except OSError:
        return None
    return path if is_private_dir(path) else None


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
