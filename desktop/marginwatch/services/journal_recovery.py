"""How the journal tells kinds of file trouble apart, where it puts a damaged or busy file's
replacement, and how its files are kept private. `Journal._open_recovering` decides what to do
with each kind.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from marginwatch.services.journal_schema import SchemaTooNewError


class Corrupt(Exception):
    """The file opened but SQLite's quick_check found damage."""


def classify(exc: BaseException) -> str:
    """'corrupt', 'locked', 'full', 'too_new', 'unwritable', or 'bug' (our own mistake: never hide it)."""
    if isinstance(exc, Corrupt):
        return "corrupt"
    if isinstance(exc, SchemaTooNewError):
        return "too_new"
    if isinstance(exc, OSError):
        return "unwritable"
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return "bug"
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "locked"
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return "corrupt"
    if name.startswith("SQLITE_FULL"):
        return "full"
    if isinstance(exc, sqlite3.OperationalError):
        return "unwritable"  # CANTOPEN, READONLY, IOERR, PERM …
    return "corrupt" if isinstance(exc, sqlite3.DatabaseError) else "bug"


def short(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:200]


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def beside(target: Path, label: str) -> Path:
    """A new, unused file name next to `target`: journal.<label>-<time>.sqlite3."""
    for n in range(1000):
        suffix = f"-{n}" if n else ""
        candidate = target.with_name(f"{target.stem}.{label}-{_stamp()}{suffix}{target.suffix}")
        if not any(Path(f"{candidate}{ext}").exists() for ext in ("", "-wal", "-shm")):
            return candidate
    raise OSError(f"no free file name beside {target}")


def move_aside(target: Path, label: str) -> Path:
    """Rename the file and its -wal/-shm (a stale WAL must never meet a fresh database)."""
    aside = beside(target, label)
    for ext in ("", "-wal", "-shm"):
        src = Path(f"{target}{ext}")
        if src.exists():
            src.rename(Path(f"{aside}{ext}"))
    return aside


def make_private(target: Path) -> None:
    """Create `target` empty with mode 0600 unless it exists, and take group/other access away from
    it and its -wal/-shm. SQLite gives a new -wal/-shm the database file's mode, so they follow."""
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for ext in ("", "-wal", "-shm"):
        path = Path(f"{target}{ext}")
        try:
            st = path.stat()
            if st.st_mode & 0o077 and st.st_uid == os.getuid():
                path.chmod(0o600)
        except (AttributeError, FileNotFoundError):  # no getuid on Windows, where the profile's ACLs apply
            pass
