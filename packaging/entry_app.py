"""Frozen entry point of the MarginWatch app: PyInstaller runs this file as __main__."""

import sys

from marginwatch.app import main

if __name__ == "__main__":
    sys.exit(main())
