"""`marginwatch-cli sim`: run the simulated Binance USDⓈ-M exchange on loopback until Ctrl+C/SIGTERM.

The HMAC secret to accept comes from the environment (`MARGINWATCH_SIM_API_SECRET`), never from
the command line: every user of the machine can read a process's arguments (`ps`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

SECRET_ENV = "MARGINWATCH_SIM_API_SECRET"
ACCOUNTS = ("demo", "multi-assets", "bnfcr")  # the simulated account's shape (sim.book)


def _positive(raw: str) -> float:
    try:
        v = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {raw!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return v


def _port(raw: str) -> int:
    try:
        v = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {raw!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError("port must be 0..65535")
    return v


def _level(raw: str) -> Decimal:
    try:
        v = Decimal(raw)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {raw!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError("margin-call level is a fraction between 0 and 1 (e.g. 0.8)")
    return v


def register(subparsers: Any, name: str, help_text: str) -> None:
    from marginwatch.exchange.sim.scenarios import SCENARIOS

    p = subparsers.add_parser(
        name, help=help_text, description=help_text,
        epilog=f"The HMAC secret to accept is read from {SECRET_ENV} (default: the demo secret).",
    )
    p.add_argument("--port", type=_port, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    p.add_argument("--scenario", choices=SCENARIOS, default="demo", help="mark-price scenario (default demo)")
    p.add_argument("--speed", type=_positive, default=1.0, help="time compression factor (default 1)")
    p.add_argument("--tick", type=_positive, default=1.0, help="seconds of scenario time per mark tick")
    p.add_argument("--seed", type=int, default=None, help="random seed for reproducible runs")
    p.add_argument("--account", choices=ACCOUNTS, default="demo",
                   help="account shape: USDT (demo), multi-assets (USDT+USDC+BTC) or an EU BNFCR account")
    p.add_argument("--margin-call-level", type=_level, default=Decimal("0.8"), help="default 0.8")
    p.add_argument("--api-key", default=None, help="API key to accept (default: the demo key)")
    # Gone: a secret in argv is visible in `ps`. Still parsed, so its use gets a clear error.
    p.add_argument("--api-secret", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _secret(args: argparse.Namespace) -> str | None:
    """The secret from the environment; None for the demo secret."""
    from marginwatch.cli import CliError

    if args.api_secret is not None:
        raise CliError(f"--api-secret is no longer accepted (other users can read it with ps); "
                       f"set {SECRET_ENV} in the environment instead")
    secret = os.environ.get(SECRET_ENV)
    if secret is not None and not secret.strip():
        raise CliError(f"{SECRET_ENV} is set but empty")
    return secret


def run(args: argparse.Namespace) -> int:
    secret = _secret(args)
    try:
        asyncio.run(_serve(args, secret))
    except OSError as exc:
        from marginwatch.cli import CliError

        raise CliError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    return 0


async def _serve(args: argparse.Namespace, given_secret: str | None) -> None:
    from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
    from marginwatch.exchange.sim.book import BNFCR_BOOK, DEMO_BOOK, MULTI_ASSETS_BOOK

    book = {"demo": DEMO_BOOK, "multi-assets": MULTI_ASSETS_BOOK, "bnfcr": BNFCR_BOOK}[args.account]
    key = args.api_key or DEMO_API_KEY
    secret = DEMO_API_SECRET if given_secret is None else given_secret
    sim = SimulatedExchange(port=args.port, scenario=args.scenario, speed=args.speed, api_key=key,
                            api_secret=secret, margin_call_level=args.margin_call_level,
                            tick_interval=args.tick, seed=args.seed, book=book)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await sim.start()
    try:
        out = sys.stdout
        out.write(f"MarginWatch simulated exchange: scenario {args.scenario}, speed {args.speed:g}, "
                  f"{args.account} account\n")
        out.write(f"REST base URL: {sim.base_url}\n")
        out.write(f"WS base URL:   {sim.ws_url}  (/market/..., /private/..., /public/...)\n")
        # The demo credentials are public test values; a secret from the environment is not echoed.
        out.write(f"API key:       {key}\n")
        out.write(f"API secret:    {secret if given_secret is None else '$' + SECRET_ENV}\n")
        out.write("Fault control: POST /_sim/fault {\"kind\": ...}; state: GET /_sim/state. Ctrl+C to stop.\n")
        out.flush()
        await stop.wait()
    finally:
        await sim.stop()
