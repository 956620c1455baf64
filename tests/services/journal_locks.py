"""Another process holding the journal file's write lock (journal_lock_child.py), for as long as a
test wants: `with held_by_another_process(path) as lock: ... lock.release()`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHILD = Path(__file__).with_name("journal_lock_child.py")


class LockHolder:
    def __init__(self, path: Path) -> None:
        self._child = subprocess.Popen(
            [sys.executable, str(CHILD), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._child.stdout is not None
        line = self._child.stdout.readline()  # the pipe is the synchronisation: the lock is held now
        assert line.strip() == "locked", f"the lock holder did not start ({line!r}, exit {self._child.poll()})"
        self.held = True

    def release(self) -> None:
        """Roll the other process's transaction back and wait until it has exited."""
        if not self.held:
            return
        self.held = False
        assert self._child.stdin is not None and self._child.stdout is not None
        self._child.stdin.write("\n")
        self._child.stdin.close()
        assert self._child.stdout.readline().strip() == "released"
        self._child.stdout.close()
        assert self._child.wait(10) == 0


@contextmanager
def held_by_another_process(path: Path) -> Iterator[LockHolder]:
    holder = LockHolder(path)
    try:
        yield holder
    finally:
        if holder.held:
            holder.release()
