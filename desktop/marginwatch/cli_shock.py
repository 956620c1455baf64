"""`marginwatch-cli calc shock`: a portfolio price shock on a saved snapshot or a running account.

The account comes from `--snapshot FILE` (what `--save FILE` wrote: the exchange's own answers to
account, positionRisk, symbolConfig and leverageBracket, as JSON) or from `--rest URL`, read once
with the key and secret from MARGINWATCH_API_KEY / MARGINWATCH_API_SECRET (on a loopback host
without them: the simulator's demo key). The shock and the figures are `core.price_shock`'s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marginwatch.cli import CliError
from marginwatch.core import rest_models as rm
from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import Position
from marginwatch.core.price_shock import Shock, ShockedPosition, ShockResult, shock_account

KEY_ENV = "MARGINWATCH_API_KEY"
SECRET_ENV = "MARGINWATCH_API_SECRET"
_PARTS = ("account", "positionRisk", "symbolConfig", "leverageBracket")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", metavar="FILE", help="an account snapshot written by --save")
    source.add_argument("--rest", metavar="URL", help="read the account once from this REST base URL")
    p.add_argument("--save", metavar="FILE", help="with --rest: also write the snapshot read to FILE")
    p.add_argument("--move", type=_decimal, required=True, metavar="PCT",
                   help="move the marks by PCT percent (negative: down), e.g. -10")
    p.add_argument("--symbols", metavar="SYM,SYM", help="move only these symbols (default: every mark)")
    p.add_argument("--beta", action="append", default=[], metavar="SYM=X",
                   help="SYM moves X times the move (repeatable), e.g. SOLUSDT=1.5")
    p.add_argument("--alts-beta", type=_decimal, metavar="X", help="every symbol but BTCUSDT moves X times the move")


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a number: {text[:40]!r}")
    return value


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The shock's result as plain data (decimals still Decimal): cli_calc prints it."""
    if args.save and not args.rest:
        raise CliError("--save needs --rest (a snapshot is already saved)")
    given = _betas(args.beta)  # before anything is read: a typo costs no request
    parts = _read_file(Path(args.snapshot)) if args.snapshot else asyncio.run(_read_account(args.rest))
    if args.save:
        _write_private(Path(args.save), json.dumps(parts))
    positions, cross_wallet, tables = _account(parts)
    shock = _shock(args, positions, given)
    return _result_data(shock_account(positions, cross_wallet, tables, shock))


def _shock(args: argparse.Namespace, positions: list[Position], given: dict[str, Decimal]) -> Shock:
    symbols = None
    if args.symbols:
        symbols = frozenset(s.strip().upper() for s in args.symbols.split(",") if s.strip())
    betas: dict[str, Decimal] = {}
    if args.alts_beta is not None:
        betas = {p.symbol: args.alts_beta for p in positions if p.symbol != "BTCUSDT"}
    return Shock(args.move, symbols, {**betas, **given})  # a symbol's own --beta wins


def _betas(specs: list[str]) -> dict[str, Decimal]:
    betas: dict[str, Decimal] = {}
    for spec in specs:
        symbol, sep, value = spec.partition("=")
        try:
            beta = Decimal(value)
        except ArithmeticError:
            beta = Decimal("NaN")
        if not sep or not symbol.strip() or not beta.is_finite():
            raise CliError(f"--beta expects SYM=X, got {spec!r}")
        betas[symbol.strip().upper()] = beta
    return betas


# --- the account ------------------------------------------------------------------------------


def _read_file(path: Path) -> dict[str, Any]:
    try:
        parts = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read --snapshot {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CliError(f"--snapshot {path} is not JSON: {exc}") from None
    missing = [k for k in _PARTS if not isinstance(parts, dict) or k not in parts]
    if missing:
        raise CliError(f"--snapshot {path} lacks {', '.join(missing)}")
    return {k: parts[k] for k in _PARTS}


async def _read_account(url: str) -> dict[str, Any]:
    from marginwatch.exchange.credentials import Credentials
    from marginwatch.exchange.endpoints import Endpoints
    from marginwatch.exchange.errors import ExchangeError
    from marginwatch.exchange.rest_client import BinanceRestClient

    host = urlsplit(url).hostname
    if urlsplit(url).scheme not in ("http", "https") or not host:
        raise CliError(f"--rest {url!r} is not an http:// or https:// URL")
    key, secret = os.environ.get(KEY_ENV, "").strip(), os.environ.get(SECRET_ENV, "").strip()
    if not (key and secret):
        if host not in _LOOPBACK:
            raise CliError(f"set {KEY_ENV} and {SECRET_ENV} to read an account from {host}")
        from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET

        key, secret = DEMO_API_KEY, DEMO_API_SECRET
    try:
        endpoints = Endpoints(rest=url, market_ws="wss://unused.invalid", private_ws="wss://unused.invalid",
                              sapi_rest=url)
        async with BinanceRestClient(endpoints, Credentials(key, secret, "hmac")) as client:
            account, risk, configs, brackets = await asyncio.gather(
                client.account(), client.position_risk(), client.symbol_config(), client.leverage_brackets()
            )
    except (ExchangeError, ValueError, OSError) as exc:
        raise CliError(f"could not read the account from {url}: {exc}") from None
    return {
        "account": json.loads(rm.encode_rest(account)),
        "positionRisk": json.loads(rm.encode_rest(list(risk))),
        "symbolConfig": json.loads(rm.encode_rest(configs)),
        "leverageBracket": json.loads(rm.encode_leverage_brackets(brackets.values())),
    }


def _account(parts: Mapping[str, Any]) -> tuple[list[Position], Decimal, dict[str, BracketTable]]:
    try:
        account = rm.decode_account(json.dumps(parts["account"]))
        rows = rm.decode_position_risk(json.dumps(parts["positionRisk"]))
        configs = rm.decode_symbol_configs(json.dumps(parts["symbolConfig"]))
        tables = dict(rm.decode_leverage_brackets(json.dumps(parts["leverageBracket"])))
    except rm.MalformedResponseError as exc:
        raise CliError(f"the snapshot cannot be read: {exc}") from None
    cross_wallet, _collateral, _multi = rm.collateral_from_account(account, rows)
    return rm.positions_from_snapshot(rows, configs), cross_wallet, tables


def _write_private(path: Path, text: str) -> None:
    # Balances and positions are private: owner-only from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


# --- the result -------------------------------------------------------------------------------


def _name(p: ShockedPosition) -> str:
    return f"{p.before.position.symbol} {p.before.position.direction.value.upper()}"


def _result_data(result: ShockResult) -> dict[str, Any]:
    shock = result.shock
    return {
        "move_pct": shock.pct,
        "symbols": sorted(shock.symbols) if shock.symbols is not None else None,
        "betas": dict(sorted(shock.betas.items())),
        "cross_margin_ratio_before": result.before.margin_ratio,
        "cross_margin_ratio": result.after.margin_ratio,
        "cross_liquidation_move_pct": result.cross_liquidation_move,
        "positions": [
            {
                "symbol": p.before.position.symbol,
                "side": p.before.position.direction.value,
                "margin_type": p.before.position.margin_type.value,
                "move_pct": p.move_pct,
                "mark": p.before.position.mark_price,
                "shocked_mark": p.after.position.mark_price,
                "liquidation_price_before": p.before.liquidation_price,
                "liquidation_price": p.after.liquidation_price,
                "distance_pct": p.after.distance_pct,
                "margin_ratio": p.after.margin_ratio,
                "liquidated": p.liquidated,
                "liquidation_move_pct": p.liquidation_move,
                "risk_unavailable": p.before.risk_unavailable,
            }
            for p in result.positions
        ],
        "liquidation_order": [_name(p) for p in result.liquidation_order()],
    }


def print_human(data: Mapping[str, Any], human: Any) -> None:
    """One line per position, then the order a deepening move liquidates them in."""
    print(f"move: {human(data['move_pct'])} % on {', '.join(data['symbols']) if data['symbols'] else 'every mark'}")
    for symbol, beta in data["betas"].items():
        print(f"  {symbol} moves {human(beta)}x")
    print(f"cross margin ratio: {_pct(data['cross_margin_ratio_before'], human)} -> "
          f"{_pct(data['cross_margin_ratio'], human)}")  # fmt: skip
    print("position  margin  mark -> shocked  liq. price -> shocked  distance  liquidated  at move")
    for p in data["positions"]:
        if p["risk_unavailable"]:
            print(f"{p['symbol']} {p['side']}  {p['risk_unavailable']}")
            continue
        print(f"{p['symbol']} {p['side']}  {p['margin_type']}  {human(p['mark'])} -> {human(p['shocked_mark'])}  "
              f"{human(p['liquidation_price_before'])} -> {human(p['liquidation_price'])}  "
              f"{human(p['distance_pct'])} %  {'yes' if p['liquidated'] else 'no'}  "
              f"{_move(p['liquidation_move_pct'], human)}")  # fmt: skip
    order = data["liquidation_order"]
    print("liquidated first to last as the move deepens: " + (", ".join(order) if order else "none"))


def _move(pct: Decimal | None, human: Any) -> str:
    return "not within -100 % .. +1000 %" if pct is None else f"{human(pct)} %"


def _pct(fraction: Decimal | None, human: Any) -> str:
    return "--" if fraction is None or not fraction.is_finite() else f"{human(fraction * 100)} %"
