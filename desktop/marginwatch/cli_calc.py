"""`marginwatch-cli calc <tab>`: Binance's futures calculator plus the auto-add margin simulation.

Tabs: pnl, target, liquidation, max-open, open-price, auto-add, shock (a whole account's, in
cli_shock). Human-readable output by default;
`--json` prints one JSON object with every decimal as a normalised string ("16200", not "1.62E+4").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

from marginwatch import cli_shock
from marginwatch.cli import CliError
from marginwatch.core import auto_add, calculator
from marginwatch.core.brackets import BracketTable
from marginwatch.core.brackets_snapshot import load_snapshot, parse_bracket_document
from marginwatch.core.errors import CoreError

TABS = ("pnl", "target", "liquidation", "max-open", "open-price", "auto-add", "shock")


# --- argument types -------------------------------------------------------------------------


def _number(text: str) -> Decimal:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    problem = calculator.input_problem(d)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem}: {text[:40]!r}")
    return d


def _fill(text: str) -> tuple[Decimal, Decimal]:
    price, sep, qty = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected PRICE:QTY, got {text!r}")
    return _number(price), _number(qty)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


# --- output ---------------------------------------------------------------------------------


def dec_str(d: Decimal) -> str:
    """Normalised plain notation: 16200.000 -> "16200", 0.0040 -> "0.004"."""
    if not d.is_finite():
        return str(d)
    if d == 0:
        return "0"
    return format(d.normalize(), "f")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return dec_str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _human(value: Any) -> str:
    if value is None:
        return "--"
    if isinstance(value, Decimal):
        # Eight decimals are plenty to read; --json keeps full precision.
        return dec_str(value.quantize(Decimal("1e-8")) if value.is_finite() and abs(value) < 10**19 else value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _emit(args: argparse.Namespace, result: Any, extra: dict[str, Any] | None = None) -> int:
    data: dict[str, Any] = {"tab": args.tab, **dataclasses.asdict(result), **(extra or {})}
    if args.json:
        print(json.dumps(_jsonable(data)))
        return 0
    steps = data.pop("steps", None)
    for key, value in data.items():
        print(f"{key.replace('_', ' ')}: {_human(value)}")
    if steps is not None:
        print("step  trigger price  added  margin after  liquidation price  available after")
        for i, s in enumerate(steps, start=1):
            print(f"{i:>4}  {_human(s['trigger_price'])}  {_human(s['added'])}  {_human(s['margin_after'])}  "
                  f"{_human(s['liquidation_price'])}  {_human(s['available_after'])}")  # fmt: skip
        if steps and steps[-1]["liquidation_price"] is None:
            print("no liquidation price after the last addition: nothing more is added")
    return 0


# --- brackets -------------------------------------------------------------------------------


def _table(args: argparse.Namespace, required: bool) -> BracketTable | None:
    path: str | None = getattr(args, "brackets", None)
    symbol: str | None = getattr(args, "symbol", None)
    if path:
        try:
            tables = parse_bracket_document(Path(path).read_bytes())
        except OSError as exc:
            raise CliError(f"cannot read --brackets {path}: {exc.strerror or exc}") from None
        if symbol:
            if symbol.upper() not in tables:
                raise CliError(f"symbol {symbol} not in {path}")
            return tables[symbol.upper()]
        if len(tables) != 1:
            raise CliError(f"{path} holds {len(tables)} symbols; pick one with --symbol")
        return next(iter(tables.values()))
    if symbol:
        snap = load_snapshot()
        if symbol.upper() not in snap:
            raise CliError(f"symbol {symbol} not in the bundled snapshot ({', '.join(sorted(snap))})")
        return snap[symbol.upper()]
    if required:
        raise CliError("give --symbol (bundled brackets) or --brackets FILE")
    return None


# --- tabs -----------------------------------------------------------------------------------


def _pnl(args: argparse.Namespace) -> int:
    r = calculator.pnl(args.side, args.entry, args.exit, args.qty, args.leverage, args.contract, args.face)
    return _emit(args, r)


def _target(args: argparse.Namespace) -> int:
    return _emit(args, calculator.target_price(args.side, args.entry, args.roe, args.leverage, args.contract))


def _liquidation(args: argparse.Namespace) -> int:
    table = _table(args, required=False)
    if table is None and args.mmr is None:
        raise CliError("give --mmr (and --cum), --symbol or --brackets FILE")
    r = calculator.liquidation(
        args.side, args.entry, args.qty, args.leverage,
        margin_type=args.mode, wallet=args.wallet, brackets=table,
        mmr=None if table is not None else args.mmr, cum=args.cum,
        other_maint=args.other_maint, other_upnl=args.other_upnl,
        hedge=args.position_mode == "hedge", contract=args.contract, face=args.face,
    )  # fmt: skip
    return _emit(args, r)


def _max_open(args: argparse.Namespace) -> int:
    table = _table(args, required=True)
    assert table is not None
    return _emit(args, calculator.max_open(args.balance, args.leverage, args.price, table, args.contract, args.face))


def _open_price(args: argparse.Namespace) -> int:
    return _emit(args, calculator.average_open_price(args.fill, args.contract))


def _auto_add(args: argparse.Namespace) -> int:
    table = _table(args, required=False)
    if args.convention == "mexc":
        mmr = args.mmr
        if mmr is None:
            if table is None:
                raise CliError("give --mmr, --symbol or --brackets FILE")
            # The rate of the bracket the position sits in at its entry price.
            size = args.qty * args.face
            if args.entry <= 0 or size <= 0:
                raise CliError("--entry, --qty and --face must be > 0")
            entry_notional = size / args.entry if args.contract == "inverse" else size * args.entry
            mmr = table.for_notional(entry_notional).maint_margin_ratio
        r = auto_add.auto_add_margin_mexc(args.side, args.entry, args.qty, args.face, args.leverage, mmr,
                                          args.available, args.contract, args.margin, args.max_steps)  # fmt: skip
    else:
        if table is None and args.mmr is None:
            raise CliError("give --mmr (and --cum), --symbol or --brackets FILE")
        r = auto_add.auto_add_margin_binance(
            args.side, args.entry, args.qty, args.face, args.leverage, args.available,
            mmr=None if table is not None else args.mmr, cum=args.cum, brackets=table,
            contract=args.contract, margin=args.margin, max_steps=args.max_steps,
        )  # fmt: skip
    return _emit(args, r)


def _shock(args: argparse.Namespace) -> int:
    data = cli_shock.run(args)
    if args.json:
        print(json.dumps(_jsonable({"tab": args.tab, **data})))
    else:
        cli_shock.print_human(data, _human)
    return 0


def _run(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CoreError as exc:
            raise CliError(str(exc)) from None

    return run


# --- parser ---------------------------------------------------------------------------------


def _side(p: argparse.ArgumentParser) -> None:
    p.add_argument("--side", required=True, choices=["long", "short"], help="position direction")


def _size(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--qty", "--contracts", dest="qty", type=_number, required=required, metavar="N",
                   help="position size in contracts of --face (base quantity when --face is 1)")  # fmt: skip


def _contract(p: argparse.ArgumentParser, face: bool = True) -> None:
    p.add_argument("--contract", choices=["linear", "inverse"], default="linear",
                   help="linear (USDⓈ-M, default) or inverse (COIN-M)")  # fmt: skip
    if face:
        p.add_argument("--face", type=_number, default=Decimal(1), metavar="SIZE",
                       help="contract size: base units (linear) or USD (inverse) per contract; default 1")


def _brackets(p: argparse.ArgumentParser) -> None:
    p.add_argument("--symbol", help="use this symbol's brackets from the bundled snapshot (or from --brackets FILE)")
    p.add_argument("--brackets", metavar="FILE", help="leverageBracket JSON (GET /fapi/v1/leverageBracket)")


def _mmr(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mmr", type=_number, help="maintenance margin rate as a fraction (0.004 = 0.4 %%)")
    p.add_argument("--cum", type=_number, default=Decimal(0), help="maintenance amount of that bracket (default 0)")


def register(subparsers: argparse._SubParsersAction[Any], name: str, help_text: str) -> None:
    calc = subparsers.add_parser(name, help=help_text, description=help_text)
    tabs = calc.add_subparsers(dest="tab", metavar="TAB", required=True, parser_class=type(calc))

    def tab(tab_name: str, help_line: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = tabs.add_parser(tab_name, help=help_line, description=help_line)
        p.add_argument("--json", action="store_true", help="print one JSON object (decimals as strings)")
        p.set_defaults(func=_run(handler))
        return p

    p = tab("pnl", "PnL, ROE %% and initial margin of a round trip", _pnl)
    _side(p)
    p.add_argument("--entry", type=_number, required=True, help="entry price")
    p.add_argument("--exit", type=_number, required=True, help="exit price")
    _size(p)
    p.add_argument("--leverage", type=_number, required=True, help="leverage, e.g. 10")
    _contract(p)

    p = tab("target", "exit price that yields a wanted ROE %%", _target)
    _side(p)
    p.add_argument("--entry", type=_number, required=True, help="entry price")
    p.add_argument("--roe", type=_number, required=True, help="wanted ROE in percent (negative for a loss)")
    p.add_argument("--leverage", type=_number, required=True, help="leverage")
    _contract(p, face=False)

    p = tab("liquidation", "liquidation price (Binance formula, any margin and position mode)", _liquidation)
    _side(p)
    p.add_argument("--entry", type=_number, required=True, help="entry price")
    _size(p)
    p.add_argument("--leverage", type=_number, required=True, help="leverage")
    p.add_argument("--mode", choices=["isolated", "cross"], default="isolated", help="margin mode (default isolated)")
    p.add_argument("--position-mode", choices=["one-way", "hedge"], default="one-way", help="default one-way")
    p.add_argument("--wallet", type=_number,
                   help="cross: cross wallet balance (required); isolated: its margin (default: initial margin)")
    p.add_argument("--other-maint", type=_number, default=Decimal(0), help="cross: MM of the other positions")
    p.add_argument("--other-upnl", type=_number, default=Decimal(0), help="cross: uPnL of the other positions")
    _mmr(p)
    _brackets(p)
    _contract(p)

    p = tab("max-open", "largest position a balance can open at a leverage", _max_open)
    p.add_argument("--balance", type=_number, required=True, help="available balance (quote, or coin if inverse)")
    p.add_argument("--leverage", type=_number, required=True, help="leverage")
    p.add_argument("--price", type=_number, required=True, help="entry price")
    _brackets(p)
    _contract(p)

    p = tab("open-price", "average open price after several fills", _open_price)
    p.add_argument("--fill", type=_fill, action="append", required=True, metavar="PRICE:QTY",
                   help="one fill; repeat for each")  # fmt: skip
    _contract(p, face=False)

    p = tab("auto-add", "auto-add margin: additions and liquidation price after each", _auto_add)
    _side(p)
    p.add_argument("--entry", type=_number, required=True, help="entry (average open) price")
    _size(p)
    p.add_argument("--leverage", type=_number, required=True, help="leverage")
    p.add_argument("--available", type=_number, required=True, help="available margin that may be added")
    p.add_argument("--margin", type=_number, help="current isolated margin (default entry×qty×face/leverage)")
    p.add_argument("--convention", choices=["mexc", "binance"], default="mexc",
                   help="mexc: MM at the entry price (MEXC's worked example, default); "
                        "binance: margin balance = MM at the liquidation price")  # fmt: skip
    p.add_argument("--max-steps", type=_int, default=1000, help="stop after this many additions (default 1000)")
    _mmr(p)
    _brackets(p)
    _contract(p)

    p = tab("shock", "move one symbol, a group or every mark by PCT %%: what is liquidated, and when", _shock)
    cli_shock.add_arguments(p)
