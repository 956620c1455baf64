"""`marginwatch-cli watch`: the app's accounts, alerts, journal and forwarding with no window.

For an always-on machine: one JSON line per alert and per stream-state change on stdout, logs on
stderr, exit 0 on SIGTERM/SIGINT, exit 2 with one line for bad arguments or a key the exchange
rejects. The accounts are the app's enabled ones (secrets from the keychain), or one account given
here by its URLs with its key and secret from the environment: every user of the machine can read
a process's arguments (`ps`), so neither is ever taken from them.

This module imports nothing heavy at the top: the frozen `marginwatch-cli` has no Qt and must still
be able to say where the watch lives (`marginwatch --watch`, in the app's executable).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from marginwatch.exchange.credentials import Credentials
    from marginwatch.exchange.endpoints import Endpoints
    from marginwatch.services.forwarding import Forwarder
    from marginwatch.services.headless_watch import WatchLine
    from marginwatch.services.secret_store import SecretStore
    from marginwatch.services.settings import Settings

log = logging.getLogger("marginwatch.watch")

KEY_ENV = "MARGINWATCH_API_KEY"
SECRET_ENV = "MARGINWATCH_API_SECRET"
CLI_ACCOUNT = "cli"
JOURNAL_KEEP_DAYS = 30  # as the app
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CommandLineAccount:
    name: str
    endpoints: Endpoints
    credentials: Credentials = field(repr=False)


@dataclass(frozen=True)
class WatchConfig:
    account: CommandLineAccount | None  # None: the app's enabled accounts
    forward: tuple[str, ...]
    heartbeat_url: str | None


def register(subparsers: Any, name: str, help_text: str) -> None:
    p = subparsers.add_parser(
        name, help=help_text, description=help_text,
        epilog=f"With --rest/--market-ws/--private-ws (or {KEY_ENV} set), watches that one account with the "
               f"key and secret from {KEY_ENV} and {SECRET_ENV}; otherwise the app's enabled accounts. "
               "Prints one JSON line per alert and per stream-state change; SIGTERM or Ctrl+C stops it.",
    )
    p.add_argument("--rest", metavar="URL", help="REST base URL (default: Binance mainnet)")
    p.add_argument("--market-ws", metavar="URL", help="routed market stream URL (default: Binance mainnet)")
    p.add_argument("--private-ws", metavar="URL", help="routed private stream URL (default: Binance mainnet)")
    p.add_argument("--name", default=CLI_ACCOUNT, help=f"the command-line account's name (default {CLI_ACCOUNT})")
    p.add_argument("--forward", action="append", default=[], metavar="URL",
                   help="also send every alert to this Apprise URL (repeatable); env:NAME reads it from $NAME")
    p.add_argument("--heartbeat-url", metavar="URL", help="ping this URL while the watch is healthy (env:NAME too)")
    # Never accepted: argv is readable by every user (ps). Still parsed, so their use gets a clear error.
    p.add_argument("--api-key", help=argparse.SUPPRESS)
    p.add_argument("--api-secret", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _check_url(option: str, url: str, schemes: tuple[str, ...]) -> str:
    from marginwatch.cli import CliError

    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise CliError(f"{option} {url!r} is not a {' or '.join(s + '://' for s in schemes)} URL")
    return url


def _command_line_account(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandLineAccount | None:
    from marginwatch.cli import CliError

    given = any((args.rest, args.market_ws, args.private_ws)) or KEY_ENV in environ or SECRET_ENV in environ
    if not given:
        return None
    from marginwatch.exchange.credentials import Credentials
    from marginwatch.exchange.endpoints import Endpoints

    for var in (KEY_ENV, SECRET_ENV):
        if not environ.get(var, "").strip():
            raise CliError(f"{var} is {'empty' if var in environ else 'not set'}: the command-line account "
                           f"takes its key and secret from {KEY_ENV} and {SECRET_ENV}")
    main = Endpoints.mainnet()
    rest = _check_url("--rest", args.rest, ("http", "https")) if args.rest else main.rest
    market = _check_url("--market-ws", args.market_ws, ("ws", "wss")) if args.market_ws else main.market_ws
    private = _check_url("--private-ws", args.private_ws, ("ws", "wss")) if args.private_ws else main.private_ws
    if not args.name.strip():
        raise CliError("--name is empty")
    try:
        credentials = Credentials(environ[KEY_ENV].strip(), environ[SECRET_ENV].strip(), "hmac")
        endpoints = Endpoints(rest=rest, market_ws=market, private_ws=private,
                              sapi_rest=rest if args.rest else main.sapi_rest)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return CommandLineAccount(args.name.strip(), endpoints, credentials)


def _check_forward(specs: list[str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """Every --forward must work: on an unattended machine a channel that is silently off is lost."""
    from marginwatch.cli import CliError
    from marginwatch.services.forwarding_send import AppriseSender, mask_url, resolve_url

    checker = AppriseSender()
    for spec in specs:
        try:
            url = resolve_url(spec, environ)
        except ValueError as exc:
            raise CliError(f"--forward {spec if spec.startswith('env:') else mask_url(spec)}: {exc}") from None
        why = checker.check(url)
        if why is not None:
            raise CliError(f"--forward {mask_url(url)}: {why}")
    return tuple(specs)


def _heartbeat_spec(spec: str | None, environ: Mapping[str, str]) -> str | None:
    """`--heartbeat-url` checked now: a bad one exits 2 rather than leaving a dead-man's switch that never pings."""
    if spec is None:
        return None
    from marginwatch.cli import CliError
    from marginwatch.services import heartbeat

    beat, why = heartbeat.from_spec(spec, environ)
    if beat is None:
        raise CliError(f"--heartbeat-url: {why}")
    beat.deleteLater()
    return spec


def parse_config(args: argparse.Namespace, environ: Mapping[str, str]) -> WatchConfig:
    from marginwatch.cli import CliError

    if args.api_key is not None or args.api_secret is not None:
        raise CliError(f"--api-key/--api-secret are not accepted (other users can read them with ps); "
                       f"set {KEY_ENV} and {SECRET_ENV} in the environment instead")
    return WatchConfig(
        account=_command_line_account(args, environ),
        forward=_check_forward(args.forward, environ),
        heartbeat_url=_heartbeat_spec(args.heartbeat_url, environ),
    )


def run(args: argparse.Namespace) -> int:
    from marginwatch.cli import CliError

    try:
        import PySide6.QtCore  # noqa: F401 - the services run on Qt's event loop
    except ImportError:
        raise CliError("the watch needs Qt, which this marginwatch-cli build leaves out: run "
                       "`marginwatch --watch` (same options) from the app's folder instead") from None
    config = parse_config(args, os.environ)
    from marginwatch.services.headless_loop import run_headless

    problem: list[str] = []
    code = run_headless(lambda: watch(config, problem=problem))
    if problem:
        raise CliError(problem[0])
    return code


def _printer(out: TextIO) -> Any:
    def emit(line: WatchLine) -> None:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()  # one line at a time: a pipe would otherwise hold a margin call in its buffer

    return emit


async def watch(config: WatchConfig, *, problem: list[str], out: TextIO | None = None) -> int:
    """Run until SIGTERM/SIGINT (0) or a rejected key / nothing to watch (2, the reason in `problem`)."""
    from PySide6.QtCore import QCoreApplication

    from marginwatch import i18n
    from marginwatch.services.alert_engine import AlertEngine
    from marginwatch.services.forwarding import Forwarder
    from marginwatch.services.headless_watch import HeadlessWatch
    from marginwatch.services.journal import Journal
    from marginwatch.services.settings import Settings

    settings = Settings()
    app = QCoreApplication.instance()
    if app is not None:
        i18n.install_translator(app, settings.language)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    journal = Journal.open()
    if journal.problem:
        log.warning("journal: %s", journal.problem)
    journal.prune(JOURNAL_KEEP_DAYS)
    policy = settings.alert_policy()
    alerts = AlertEngine(policy, policy_for=settings.alert_policy)
    forwarder = Forwarder.from_specs(config.forward, environ=os.environ, journal=journal)
    if config.account is None:  # watching the app's accounts: reach the phone the app reaches
        from marginwatch.services.secret_store import SecretStore

        add_saved_channels(forwarder, settings, SecretStore())
    from marginwatch.services import heartbeat

    beat, _ = heartbeat.from_spec(config.heartbeat_url, os.environ)
    hw = HeadlessWatch(alerts, journal, forwarder, _printer(out or sys.stdout), heartbeat=beat)
    accounts = _Accounts(config, settings, hw, journal)
    try:
        started = await accounts.start()
        if started is not None:
            problem.append(started)
            return 2
        stopped = asyncio.ensure_future(stop.wait())
        waiting: set[asyncio.Future[Any]] = {stopped, hw.rejected}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if hw.rejected.done():
            problem.append(hw.rejected.result())
            return 2
        log.info("stopping")
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if beat is not None:
            await beat.aclose()  # first: the outside monitor must see the silence
        await accounts.close()
        hw.stop()
        await forwarder.aclose()
        journal.close()


def add_saved_channels(forwarder: Forwarder, settings: Settings, secrets: SecretStore) -> list[str]:
    """The channels saved in the app, and the command line's (as the app orders them); a saved one
    whose URL cannot be read (no keychain on this box) is logged and left out. Returns those problems."""
    from marginwatch.services.channel_store import ChannelStore, merged

    saved, problems = ChannelStore(settings, secrets).channels()
    for problem in problems:
        log.warning("forwarding: %s", problem)
    if saved:
        forwarder.set_channels(merged(saved, list(forwarder.channels)))
    return problems


class _Accounts:
    """The accounts the watch follows: the app's (through the AccountRegistry) or the command line's one."""

    def __init__(self, config: WatchConfig, settings: Any, hw: Any, journal: Any) -> None:
        self._config = config
        self._settings = settings
        self._hw = hw
        self._journal = journal
        self._registry: Any = None
        self._service: Any = None

    async def start(self) -> str | None:
        """Start; the reason when there is nothing to watch."""
        account = self._config.account
        if account is not None:
            from marginwatch.services.account_service import AccountService

            for value in (account.credentials.api_key, account.credentials.secret):
                self._journal.add_redaction(value)
            self._service = AccountService(account.name, account.endpoints, account.credentials)
            self._hw.watch(self._service)
            await self._service.start()
            return None
        if not any(a.enabled for a in self._settings.accounts()):
            return (f"no enabled account in the settings: add one in the app, or give one here "
                    f"(--rest/--market-ws/--private-ws with {KEY_ENV} and {SECRET_ENV})")
        from marginwatch.services.account_registry import AccountRegistry
        from marginwatch.services.secret_store import SecretStore

        notices: list[str] = []
        self._registry = registry = AccountRegistry(self._settings, SecretStore(), redact=self._journal.add_redaction)
        registry.account_added.connect(self._hw.watch)
        registry.account_removed.connect(self._hw.forget)
        registry.notice.connect(notices.append)
        registry.notice.connect(lambda text: log.warning("%s", text))
        await registry.sync()
        if not registry.accounts:
            return notices[0] if notices else "no account could be started"
        return None

    async def close(self) -> None:
        if self._registry is not None:
            await self._registry.close()
        if self._service is not None:
            try:
                await asyncio.wait_for(self._service.stop(), STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("account %s did not stop within %ss", self._service.name, STOP_TIMEOUT_S)
