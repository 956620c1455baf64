"""The command line of `marginwatch` (the app, not `marginwatch-cli`).

Its own module so that start-up (`app`) and the self-test (`self_test`), which both read it, need
not import each other.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from marginwatch import APP_NAME, __version__


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="marginwatch", description="Binance USDⓈ-M futures margin monitor")
    p.add_argument("--demo", action="store_true", help="run against the built-in simulated exchange")
    p.add_argument("--scenario", default="demo", help="demo scenario: demo, calm, crash, squeeze, random")
    p.add_argument("--speed", type=float, default=1.0, help="demo time compression (e.g. 10)")
    p.add_argument("--minimised", action="store_true", help="start in the tray, window hidden")
    p.add_argument("--self-test", action="store_true", help="run the app offscreen in demo mode, check it, print JSON")
    p.add_argument("--install-desktop-entry", action="store_true", help="add MarginWatch to this user's menu")
    p.add_argument("--uninstall-desktop-entry", action="store_true", help="remove it from this user's menu")
    p.add_argument("--lang", default=None, help="UI language: system, en or zh_CN (default: as in Settings)")
    p.add_argument(
        "--forward", action="append", default=[], metavar="URL",
        help="also send every alert of this run to this Apprise URL (repeatable); env:NAME reads it from $NAME",
    )
    p.add_argument(
        "--heartbeat-url", default=None, metavar="URL",
        help="ping this URL (healthchecks.io, Uptime Kuma push; any Apprise URL) every minute while all"
             " streams are live, so its service alarms when the pings stop; env:NAME reads it from $NAME",
    )
    p.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    args, _qt_args = p.parse_known_args(list(argv))
    if args.speed <= 0:
        p.error("--speed must be positive")
    return args
