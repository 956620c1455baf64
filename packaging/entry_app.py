"""Frozen entry point of the MarginWatch app: PyInstaller runs this file as __main__.

`marginwatch --watch ...` is `marginwatch-cli watch ...`: the watch needs Qt's core, which only
this executable bundles (the frozen `marginwatch-cli` is built without PySide6).
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["--watch"]:
        from marginwatch.cli import main as cli_main

        sys.exit(cli_main(["watch", *sys.argv[2:]]))
    from marginwatch.app import main

    sys.exit(main())
