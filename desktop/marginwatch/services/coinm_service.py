"""An account's COIN-M side as a QObject: one session, one published risk per margin coin.

COIN-M cross margin is pooled per coin, so each coin's pool is shown and alerted as an account of
its own, named "<account> · COIN-M <coin>": the summary, the table and every alert then say which
pool they mean. A MARGIN_CALL goes out under the pool of the coin its positions are margined in.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject

from marginwatch import pacing
from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.coinm_book import CoinMBook
from marginwatch.exchange.coinm_session import CoinMAccountSession
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.session import SessionOptions
from marginwatch.services.account_service import AccountService, RiskWorker
from marginwatch.services.coinm_names import pool_name

log = logging.getLogger(__name__)

class CoinMAccountService(AccountService):
    def __init__(self, name: str, endpoints: Endpoints, credentials: Credentials, *,
                 refresh_ms: int = pacing.PUBLISH_INTERVAL_MS, session_options: SessionOptions | None = None,
                 parent: QObject | None = None) -> None:
        """`name` is the service's (see `coinm_name`); its pools publish as `pool_name(name, coin)`."""
        super().__init__(name, endpoints, credentials, refresh_ms=refresh_ms, session_options=session_options,
                         parent=parent, session_class=CoinMAccountSession)
        self._workers: dict[str, RiskWorker] = {}
        self._pool_versions: dict[str, int] = {}

    @property
    def book(self) -> CoinMBook:
        book = self._session.state
        assert isinstance(book, CoinMBook)
        return book

    def pool_names(self) -> list[str]:
        return [pool_name(self.name, coin) for coin in self.book.pools]

    def _publish(self) -> None:
        self._schedule.published()
        if self._stopped:
            return
        for coin, pool in self.book.pools.items():
            if self._pool_versions.get(coin) == pool.version:
                continue
            self._pool_versions[coin] = pool.version
            try:
                self._worker(coin).request(pool)
            except Exception:  # a bug in one snapshot must not stop the monitor
                log.exception("risk snapshot failed for %s %s", self.name, coin)

    def _worker(self, coin: str) -> RiskWorker:
        worker = self._workers.get(coin)
        if worker is None:
            worker = RiskWorker(pool_name(self.name, coin), self)
            worker.computed.connect(lambda _v, risk, c=coin: self._on_pool_risk(c, risk))
            worker.failed.connect(self._on_risk_failed)
            self._workers[coin] = worker
        return worker

    def _on_pool_risk(self, coin: str, risk: AccountRisk) -> None:
        if self.risk_error is not None:
            self.risk_error = None
            self.risk_failed.emit(self.name, "")
        self.risk_changed.emit(pool_name(self.name, coin), risk)

    def _on_margin_call(self, event: Any) -> None:
        legs = getattr(event, "positions", ())
        symbol = next((p.symbol for p in legs if getattr(p, "symbol", "")), "")
        coin = self.book.margin_asset(symbol) if symbol else ""
        self.margin_call.emit(pool_name(self.name, coin) if coin else self.name, event)

    async def stop(self) -> None:
        await super().stop()
        for worker in self._workers.values():
            worker.close()
