"""One followed COIN-M account: the USDⓈ-M session's logic on the `/dapi` venue.

Reconnects, reseeding, buffering, de-duplication and the exactly-once MARGIN_CALL path are the
base session's; what differs is the snapshot (positionRisk carries leverage and margin type, there
is no symbolConfig, contracts are sized by exchangeInfo) and the state, a `CoinMBook` with one
cross pool per margin coin. dstream has no all-market mark stream: marks are per held symbol.
"""

from __future__ import annotations

import asyncio
import dataclasses

import msgspec

from marginwatch.core.coinm_book import CoinMBook
from marginwatch.core.coinm_snapshot import brackets_for_symbols, coinm_positions, cross_wallets
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.session import AccountSession, SessionOptions
from marginwatch.exchange.venue import COINM


class CoinMAccountSession(AccountSession):
    def __init__(self, endpoints: Endpoints, credentials: Credentials, *, name: str,
                 options: SessionOptions | None = None, **kwargs: object) -> None:
        opts = dataclasses.replace(options or SessionOptions(), all_market_threshold=None)
        super().__init__(endpoints, credentials, name=name, options=opts, **kwargs)  # type: ignore[arg-type]
        self.book = CoinMBook()
        # The base session drives its state through held_symbols() and the three event kinds,
        # which the book routes to each coin's pool.
        self.state = self.book  # type: ignore[assignment]

    async def start(self) -> None:
        if self._client is not None:
            return
        self._stopping = False
        self._client = BinanceRestClient(self.endpoints, self._credentials, timeout=self.options.rest_timeout,
                                         venue=COINM)
        self._spawn(self._run())

    async def _reseed(self) -> None:
        client = self._client
        assert client is not None
        await client.sync_time()
        if self._exchange_symbols is None:
            info = await client.exchange_info()  # decoded and checked by the client, as below
            self.book.set_symbol_filters(info.symbol_filters())
            self._exchange_symbols = {s.symbol: msgspec.structs.replace(s, filters=()) for s in info.symbols}
            self.book.set_symbols(self._exchange_symbols)
        symbols = self._exchange_symbols
        t0 = client.server_now_ms() - self.options.snapshot_margin_ms
        account, rows, tables = await asyncio.gather(
            client.account(), client.position_risk(), client.leverage_brackets()
        )
        positions = coinm_positions(rows, symbols)
        self.book.reseed(positions, cross_wallets(account), brackets_for_symbols(tables, symbols), t0,
                         dropped=tuple(rows.dropped))
        self.resyncs += 1
        self._latest.reset(t0)
        self._end_buffering()
        self._after_state_change()
