"""`marginwatch-cli notify test URL`: send one message to a forwarding channel and say if it arrived.

Exit 0 when the service accepted it; 2 with one line on stderr naming why not (DNS, refused, an HTTP
status, timed out), the URL masked. `URL` may be `env:NAME` so the token stays out of `ps`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any


def register(subparsers: Any, name: str, help_text: str) -> None:
    p = subparsers.add_parser(name, help=help_text, description=help_text)
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(p))
    test = sub.add_parser("test", help="send one test message to URL (an Apprise URL or env:NAME)")
    test.add_argument("url", metavar="URL")
    test.add_argument("--title", default="MarginWatch test")
    test.add_argument("--body", default="Forwarding works: margin calls and alerts will arrive here.")
    test.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marginwatch.cli import CliError
    from marginwatch.services.forwarding_send import AppriseSender, Priority, mask_url, resolve_url  # no Qt

    try:
        url = resolve_url(args.url, os.environ)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    outcome = asyncio.run(AppriseSender().send(url, args.title, args.body, Priority.DEFAULT))
    if not outcome.ok:
        raise CliError(f"{mask_url(url)}: {outcome.reason}")
    print(f"sent to {mask_url(url)} in {outcome.elapsed_s * 1000:.0f} ms")
    return 0
