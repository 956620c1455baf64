"""Child process that holds the journal file's write lock, as another program writing to it would.

Usage: python journal_lock_child.py DB_PATH. Opens a write transaction (BEGIN IMMEDIATE: readers
still read, writers wait), prints "locked", holds it until a line arrives on stdin, then rolls
back, prints "released" and exits.
"""

from __future__ import annotations

import sqlite3
import sys


def main() -> None:
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    conn.close()
    print("released", flush=True)


if __name__ == "__main__":
    main()
