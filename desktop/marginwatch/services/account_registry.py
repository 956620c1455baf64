"""Where an account starts and stops: the AccountRegistry.

`sync()` is the one place an AccountService is made and started, and, with `close()` at exit,
the one place one is stopped. It brings the running accounts in line with the settings:

- `--demo` (`demo_only`) runs only the demo; otherwise the demo runs exactly while no account is
  enabled, on a simulated exchange in this process.
- an enabled account starts with its secret from the SecretStore; without one (or with a config
  the exchange layer refuses) it does not start, and `notice` says why.
- an account that went, was disabled, changed, or is named in `restart` (saved with a new
  secret) is stopped; a changed or restarted one then starts again with what settings hold now.

When a real account starts for the first time in a run (per API key), its key's permissions are
read again in the background (they can change on Binance after the key was saved): a key that
can trade, withdraw or move funds is told through `notice`; a read-only key stays quiet. A custom
host that is not Binance's is told through `notice` as the account starts.

`account_added` comes before the service starts, so listeners see all it says; a removed
service is silenced before it stops (its last "stopped" health would read as "restored"), and
`account_removed` comes once it has stopped. The registry also keeps each account's latest risk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.tasks import spawn
from marginwatch.services.coinm_names import coinm_name
from marginwatch.services.secret_store import SecretStore, SecretStoreError
from marginwatch.services.settings import AccountConfig, Settings

if TYPE_CHECKING:
    from marginwatch.exchange.account_feed import FeedFactory
    from marginwatch.exchange.credentials import Credentials
    from marginwatch.exchange.endpoints import Endpoints

    # The exchange stack (aiohttp, websockets) is imported on the first sync, after the window paints.
    from marginwatch.services.account_service import AccountService
    from marginwatch.services.demo import DemoExchange
    from marginwatch.services.demo_mexc import MexcDemoExchange

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
translate = QCoreApplication.translate  # the strings keep their "AppController" context and translations


class AccountRegistry(QObject):
    account_added = Signal(object)  # AccountService, not started yet
    account_removed = Signal(str)  # account name, after its service stopped
    demo_changed = Signal(bool)  # the demo exchange started (True) or stopped (False)
    notice = Signal(str)  # plain words for the event log: why an account did not start

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        *,
        demo_only: bool = False,
        scenario: str = "demo",
        speed: float = 1.0,
        stop_timeout: float = STOP_TIMEOUT_S,
        mexc_demo: bool | None = None,
        redact: Callable[[str], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # Told each real account's key and secret before it starts, so texts that echo them are masked.
        self._redact = redact or (lambda _value: None)
        self._settings = settings
        self._secrets = secrets
        self._demo_only = demo_only
        self._scenario = scenario
        self._speed = speed
        self._stop_timeout = stop_timeout
        self._accounts: dict[str, AccountService] = {}
        self._configs: dict[str, AccountConfig] = {}  # what each running real account was started with
        self._owner: dict[str, str] = {}  # a COIN-M side's service name -> its account's name
        self._risks: dict[str, AccountRisk] = {}
        self._demo: DemoExchange | None = None
        # The MEXC demo account runs beside the Binance one in the "demo" scenario (None: by scenario).
        self._mexc_demo_wanted = scenario == "demo" if mexc_demo is None else mexc_demo
        self._coinm_demo_wanted = True
        self._mexc_demo: MexcDemoExchange | None = None
        self._lock = asyncio.Lock()  # one sync at a time: settings may change while one runs
        self._tasks: set[asyncio.Task[None]] = set()
        self._checks: set[asyncio.Task[None]] = set()  # start-up permission checks
        self._checked_keys: set[tuple[str, str]] = set()  # (account, API key) checked this run

    @property
    def accounts(self) -> Mapping[str, AccountService]:
        """The running accounts by name (a live, read-only view)."""
        return MappingProxyType(self._accounts)

    @property
    def risks(self) -> Mapping[str, AccountRisk]:
        """Each running account's latest risk, once it has one (a live, read-only view)."""
        return MappingProxyType(self._risks)

    def set_demo_sides(self, *, coinm: bool, mexc: bool) -> None:
        """Whether the demo runs its COIN-M and MEXC accounts beside the USDⓈ-M one (before the
        first sync; benchmarks measure a fixed book with neither)."""
        self._coinm_demo_wanted = coinm
        self._mexc_demo_wanted = mexc

    @property
    def demo(self) -> DemoExchange | None:
        return self._demo

    def live_risks(self) -> dict[str, AccountRisk]:
        """The risks of accounts whose user and market streams are live now: what risk history samples
        (a figure held through an outage would draw a flat line where the chart should show a gap)."""
        out: dict[str, AccountRisk] = {}
        for name, risk in self._risks.items():
            svc = self._accounts.get(name)
            if svc is not None and all(h.state is StreamState.LIVE for n, h in svc.health.items() if n != "rest"):
                out[name] = risk
        return out

    def all_live(self) -> bool:
        """True when some account runs and every stream of every account is live."""
        return bool(self._accounts) and all(
            h.state is StreamState.LIVE for svc in self._accounts.values() for h in svc.health.values()
        )

    def request_sync(self, restart: Collection[str] = frozenset()) -> None:
        """`sync` in the background (from a Qt slot); a failure is logged and told through `notice`."""
        spawn(self.sync(restart), self._tasks, name="account sync", on_failure=self._sync_failed)

    def _sync_failed(self, exc: BaseException) -> None:
        self.notice.emit(translate("AppController", "Start-up failed: {e}").format(e=exc))

    async def sync(self, restart: Collection[str] = frozenset()) -> None:
        """Stop what went or changed, then start what is new (see the module's docstring)."""
        from marginwatch.services.demo import DEMO_ACCOUNT
        from marginwatch.services.demo_mexc import DEMO_MEXC_ACCOUNT

        async with self._lock:
            wanted = {} if self._demo_only else {a.name: a for a in self._settings.accounts() if a.enabled}
            want_demo = not wanted
            for name in list(self._accounts):
                if name in (DEMO_ACCOUNT, coinm_name(DEMO_ACCOUNT), DEMO_MEXC_ACCOUNT) and self._demo is not None:
                    keep = want_demo
                else:
                    owner = self._owner.get(name, name)
                    keep = owner in wanted and owner not in restart and self._configs.get(owner) == wanted[owner]
                if not keep:
                    await self._remove(name)
            if self._demo is not None and not want_demo:
                await self._demo.stop()
                self._demo = None
                await self._stop_mexc_demo()
                self.demo_changed.emit(False)
            started = []
            if want_demo and self._demo is None:
                started.append(await self._start_demo())
                if self._coinm_demo_wanted:
                    started.append(self._coinm_demo())
                if self._mexc_demo_wanted:
                    started.append(await self._start_mexc_demo())
            running = {self._owner.get(n, n) for n in self._accounts}
            for name, config in wanted.items():
                if name not in running:
                    services = self._real_services(config)
                    if services:
                        self._configs[name] = config
                        self._owner.update((svc.name, name) for svc in services)
                        started.extend(services)
            for svc in started:
                self._add(svc)
            await asyncio.gather(*(svc.start() for svc in started))

    async def permission_checks_done(self) -> None:
        """Wait for the start-up permission checks under way (each ends on its own, bounded by its timeout)."""
        while self._checks:
            await asyncio.gather(*self._checks, return_exceptions=True)

    async def close(self) -> None:
        """At exit: stop every account (bounded by stop_timeout) and the demo exchange."""
        for task in list(self._checks):
            task.cancel()
        stops = [svc.stop() for svc in self._accounts.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*stops, return_exceptions=True), self._stop_timeout)
        except TimeoutError:
            log.warning("accounts did not stop within %ss", self._stop_timeout)
        if self._demo is not None:
            await self._demo.stop()
        await self._stop_mexc_demo()

    async def _start_mexc_demo(self) -> AccountService:
        from marginwatch.services.account_service import AccountService
        from marginwatch.services.demo_mexc import DEMO_MEXC_ACCOUNT, MexcDemoExchange

        self._mexc_demo = MexcDemoExchange(speed=self._speed)
        return AccountService(DEMO_MEXC_ACCOUNT, feed=await self._mexc_demo.start(), parent=self)

    async def _stop_mexc_demo(self) -> None:
        demo, self._mexc_demo = self._mexc_demo, None
        if demo is not None:
            await demo.stop()

    async def _start_demo(self) -> AccountService:
        from marginwatch.services.account_service import AccountService
        from marginwatch.services.demo import DEMO_ACCOUNT, DemoExchange

        self._demo = DemoExchange(scenario=self._scenario, speed=self._speed)
        endpoints = await self._demo.start()
        self.demo_changed.emit(True)
        return AccountService(DEMO_ACCOUNT, endpoints, self._demo.credentials, parent=self)

    def _coinm_demo(self) -> AccountService:
        """The demo exchange's COIN-M side, next to its USDⓈ-M account."""
        from marginwatch.services.coinm_service import CoinMAccountService
        from marginwatch.services.demo import DEMO_ACCOUNT

        assert self._demo is not None
        return CoinMAccountService(coinm_name(DEMO_ACCOUNT), self._demo.coinm_endpoints(), self._demo.credentials,
                                   parent=self)

    def _real_services(self, config: AccountConfig) -> list[AccountService]:
        """The services of a configured account: its USDⓈ-M side, its COIN-M side or both (one key)."""
        from marginwatch.services.settings import Markets

        try:
            markets = Markets(config.markets)
        except ValueError:
            self.notice.emit(f"{config.name}: unknown futures market {config.markets!r}; watching USDⓈ-M")
            markets = Markets.USDM
        from marginwatch.services.account_service import AccountService
        from marginwatch.services.coinm_service import CoinMAccountService
        from marginwatch.services.key_check import coinm_endpoints_for

        prepared = self._prepare(config)
        if prepared is None:
            return []
        endpoints, credentials, feed = prepared
        if endpoints is None:  # another exchange: one feed, no USDⓈ-M and COIN-M sides
            return [AccountService(config.name, feed=feed, parent=self)]
        out = [AccountService(config.name, endpoints, credentials, parent=self)] if markets.usdm else []
        if markets.coinm:
            try:
                coinm = coinm_endpoints_for(config)
            except ValueError as exc:
                self.notice.emit(f"{config.name}: {exc}")
            else:
                out.append(CoinMAccountService(coinm_name(config.name), coinm, credentials, parent=self))
        return out

    def _prepare(self, config: AccountConfig) -> tuple[Endpoints | None, Credentials, FeedFactory] | None:
        """A configured account's Binance USDⓈ-M endpoints (None on another exchange), credentials and
        feed, its secret from the SecretStore, and its key's permission check started; None (and a
        notice) if it cannot run."""
        from marginwatch.services.key_check import credentials_for, endpoints_for

        try:
            secret = self._secrets.load(config.name)
        except SecretStoreError as exc:
            secret = None
            self.notice.emit(str(exc))
        if not secret:
            self.notice.emit(
                translate("AppController", "{name}: no secret in the keychain; add it in Settings → Accounts.").format(
                    name=config.name
                )
            )
            return None
        from marginwatch.services.account_feeds import feed_for
        from marginwatch.services.settings import Exchange

        try:
            feed = feed_for(config, secret)
            binance = config.exchange == Exchange.BINANCE
            endpoints = endpoints_for(config) if binance else None
            credentials = credentials_for(config, secret)
        except ValueError as exc:
            self.notice.emit(f"{config.name}: {exc}")
            return None
        for value in (config.api_key, secret):
            self._redact(value)
        from marginwatch.services.account_save import foreign_host_warning

        warning = foreign_host_warning(config) if binance else None
        if warning is not None:
            self.notice.emit(f"{config.name}: {warning}")
        if (config.name, config.api_key) not in self._checked_keys:
            self._checked_keys.add((config.name, config.api_key))
            if endpoints is not None:
                spawn(self._check_permissions(config.name, endpoints, credentials), self._checks,
                      name=f"permission check {config.name}")
            else:  # MEXC cannot tell what a key may do: say so once per key and run
                from marginwatch.services.mexc_key_check import permissions_unknown_warning

                self.notice.emit(f"{config.name}: {permissions_unknown_warning()}")
        return endpoints, credentials, feed

    async def _check_permissions(self, name: str, endpoints: Endpoints, credentials: Credentials) -> None:
        """Read the key's permissions once; tell `notice` when it can do more than read."""
        from marginwatch.exchange.errors import ExchangeError
        from marginwatch.exchange.rest_client import BinanceRestClient
        from marginwatch.services.key_check import PERMISSION_CHECK_TIMEOUT_S, dangerous_permissions, flags_of

        client = BinanceRestClient(endpoints, credentials, timeout=PERMISSION_CHECK_TIMEOUT_S)
        try:
            await client.sync_time()
            restrictions = await client.api_restrictions()
        except (ExchangeError, TimeoutError) as exc:
            log.info("%s: key permissions not readable at start (%s)", name, type(exc).__name__)
            return
        finally:
            await client.close()
        dangerous = dangerous_permissions(flags_of(restrictions))
        if dangerous:
            self.notice.emit(
                translate(
                    "AppController",
                    "{name}: this API key can do more than read ({flags}). If this computer is compromised, "
                    "someone could trade or move funds with it: make it read-only on Binance.",
                ).format(name=name, flags=", ".join(dangerous))
            )

    def _add(self, svc: AccountService) -> None:
        self._accounts[svc.name] = svc
        # Connected before account_added: the latest risk is in place when listeners hear of it.
        # Bound to the service: a COIN-M side publishes under its pools' names, not its own.
        svc.risk_changed.connect(lambda account, risk, name=svc.name: self._keep_risk(name, account, risk))
        self.account_added.emit(svc)

    def _keep_risk(self, service: str, account: str, risk: AccountRisk) -> None:
        if service in self._accounts:
            self._risks[account] = risk

    async def _remove(self, name: str) -> None:
        svc = self._accounts.pop(name)
        self._configs.pop(self._owner.pop(name, name), None)
        self._risks.pop(name, None)
        for pool in getattr(svc, "pool_names", list)():
            self._risks.pop(pool, None)
        svc.blockSignals(True)
        try:
            await asyncio.wait_for(svc.stop(), self._stop_timeout)
        except TimeoutError:
            log.warning("account %s did not stop within %ss", name, self._stop_timeout)
        self.account_removed.emit(name)
        # A COIN-M side is shown as one account per margin-coin pool: those go with it.
        for pool in getattr(svc, "pool_names", list)():
            self.account_removed.emit(pool)
        svc.deleteLater()
