"""What the journal can say about itself while it runs: whether every row is in its file, and if
not, why and how many wait. `Journal.state` holds the value, `Journal.state_changed` announces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class JournalHealth(StrEnum):
    OK = "ok"  # every row is in the journal file
    LOCKED = "locked"  # another process holds the file's write lock
    DISK_FULL = "disk_full"
    UNWRITABLE = "unwritable"  # read-only, I/O error, permissions …


@dataclass(frozen=True, slots=True)
class JournalState:
    """The journal's health and, in plain words for the event log, what it means for the rows."""

    health: JournalHealth
    reason: str  # "" while nothing has happened
    waiting: int = 0  # rows kept aside (memory or a side file) until the journal file takes them

    @property
    def degraded(self) -> bool:
        return self.health is not JournalHealth.OK


def _rows(n: int) -> str:
    return f"{n} row{'' if n == 1 else 's'}"


def waiting_reason(health: JournalHealth, target: Path, waiting: int, side: Path | None, detail: str = "") -> str:
    """Why rows wait, and where; `side` is the side file they wait in (None: memory)."""
    where = f"in {side.name} beside it" if side is not None else "in memory"
    kept = f"{_rows(waiting)} kept {where}" if waiting else f"new rows are kept {where}"
    if health is JournalHealth.LOCKED:
        return (
            f"The journal file {target.name} is locked by another process: {kept}, "
            "will be written to it when it is free."
        )
    if health is JournalHealth.DISK_FULL:
        return (
            f"The disk holding the journal file {target.name} is full (disk full: {kept}, "
            "will be written when space returns)."
        )
    return (
        f"The journal file {target.name} cannot be written ({detail}): {kept}, "
        "will be written to it when it can be."
    )


def recovered_reason(target: Path, written: int) -> str:
    return f"The journal file {target.name} is writable again: the {_rows(written)} that waited are now in it."
