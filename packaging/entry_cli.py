"""Frozen entry point of `marginwatch-cli` (calculator, simulated exchange)."""

import sys

from marginwatch.cli import main

if __name__ == "__main__":
    sys.exit(main())
