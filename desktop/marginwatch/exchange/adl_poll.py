"""Polling Binance's ADL buckets for a session: `GET /fapi/v1/adlQuantile` (weight 5) every
`interval` seconds while the account holds a position; the exchange refreshes the values every 30 s,
so the default minute costs 5 of the 2,400 weight a minute and misses nothing that matters.

A failed poll keeps the last buckets (they are advice; the snapshot loop reports REST health), and a
rejected key stops polling: retrying it only burns weight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from marginwatch.core.account_state import AccountState
from marginwatch.core.adl import quantiles_by_position
from marginwatch.exchange.errors import InvalidApiKey, InvalidSignature
from marginwatch.exchange.rest_client import BinanceRestClient

log = logging.getLogger(__name__)

ADL_INTERVAL_S = 60.0


async def poll_adl(
    client: BinanceRestClient,
    state: AccountState,
    on_change: Callable[[], None],
    *,
    interval: float = ADL_INTERVAL_S,
    name: str = "",
) -> None:
    """Runs until cancelled; `on_change` after a poll that changed a position's bucket."""
    while True:
        if state.held_symbols():
            try:
                rows = await client.adl_quantiles()
            except (InvalidApiKey, InvalidSignature):
                log.warning("%s: adlQuantile refused the key; ADL buckets are not polled", name)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("%s: adlQuantile poll failed (%s); the last buckets stay", name, type(exc).__name__)
            else:
                if state.set_adl_quantiles(quantiles_by_position(rows)):
                    on_change()
        await asyncio.sleep(interval)  # the poll period, not a synchronisation
