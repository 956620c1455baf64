"""`marginwatch-cli`: the calculator, the simulated exchange, the headless watch and other tools.

Each subcommand lives in its own `cli_<name>.py` module exposing `register(subparsers)`;
the module is imported only when needed so `marginwatch-cli calc` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from marginwatch.exchange.log_redaction import configure_logging

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "calc": ("marginwatch.cli_calc", "futures calculator: pnl, target, liquidation, max-open, open-price, auto-add"),
    "sim": ("marginwatch.cli_sim", "run the simulated Binance USDⓈ-M exchange on loopback"),
    "notify": ("marginwatch.cli_notify", "forwarding channels: `notify test URL` sends one message"),
    "watch": ("marginwatch.cli_watch", "watch accounts with no window (for an always-on machine); JSON lines out"),
}


class CliError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse's default prints usage too; we keep bad input to one clear line.
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="marginwatch-cli", description="MarginWatch command-line tools")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    for name, (module, help_text) in SUBCOMMANDS.items():
        if wanted is None or name == wanted:
            importlib.import_module(module).register(sub, name, help_text)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    configure_logging(os.environ.get("MARGINWATCH_LOG", "WARNING"))  # masks listenKeys and API keys
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        sys.stderr.write(f"marginwatch-cli {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Through the imported module: run as `python -m marginwatch.cli`, this file is `__main__`, and the
    # subcommands' `from marginwatch.cli import CliError` would be another class than this copy's.
    from marginwatch.cli import main as imported_main

    raise SystemExit(imported_main())
