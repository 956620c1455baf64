"""Test a MEXC key before it is saved: a signed read of the futures account.

MEXC's API does not tell an app what a key may do (no counterpart of Binance's apiRestrictions),
so a key that reads is accepted with a warning to make it read-only on MEXC: MarginWatch cannot
see whether it could trade or withdraw.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QCoreApplication

from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.errors import ExchangeError
from marginwatch.exchange.mexc.errors import MexcKeyRejected, MexcUnavailable
from marginwatch.exchange.mexc.rest import MexcRestClient
from marginwatch.services.account_feeds import mexc_endpoints_for
from marginwatch.services.key_check import KeyCheckResult
from marginwatch.services.settings import AccountConfig

translate = QCoreApplication.translate


def permissions_unknown_warning() -> str:
    return translate(
        "KeyCheck",
        "MEXC does not tell MarginWatch what this key may do. MarginWatch only reads: on MEXC, give the key "
        "reading permissions only (no trading, no withdrawals) and bind it to your IP address.",
    )


async def check_mexc_key(config: AccountConfig, secret: str, *, timeout_s: float = 15.0) -> KeyCheckResult:
    """Never raises for exchange, network or input trouble: the result says what went wrong."""
    try:
        endpoints = mexc_endpoints_for(config)
        credentials = Credentials(config.api_key, secret)
    except ValueError as exc:
        return KeyCheckResult(False, "bad_input", (str(exc),))
    client = MexcRestClient(endpoints, credentials, timeout=min(timeout_s, 10.0))
    try:
        await asyncio.wait_for(client.sync_time(), timeout_s)
        await asyncio.wait_for(client.assets(), timeout_s)
    except MexcKeyRejected as exc:
        return KeyCheckResult(False, "wrong_key", (exc.explain(),))
    except MexcUnavailable as exc:
        return KeyCheckResult(False, "network", (exc.explain(),))
    except TimeoutError:
        return KeyCheckResult(False, "network", (translate("KeyCheck", "MEXC did not answer in time."),))
    except ExchangeError as exc:
        return KeyCheckResult(False, "refused", (exc.explain(),))
    finally:
        await client.close()
    return KeyCheckResult(True, None, (translate("KeyCheck", "The key reads the MEXC futures account."),),
                          (permissions_unknown_warning(),), clock_offset_ms=client.time_offset_ms)
