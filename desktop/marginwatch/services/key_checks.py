"""The key test for an account of any exchange: Binance's reads the key's permissions, MEXC's
cannot (and says so)."""

from __future__ import annotations

from marginwatch.services.key_check import DEFAULT_TIMEOUT_S, KeyCheckResult, check_account_key
from marginwatch.services.settings import AccountConfig, Exchange


async def check_any_account_key(
    config: AccountConfig, secret: str, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> KeyCheckResult:
    if config.exchange == Exchange.MEXC:
        from marginwatch.services.mexc_key_check import check_mexc_key

        return await check_mexc_key(config, secret, timeout_s=timeout_s)
    return await check_account_key(config, secret, timeout_s=timeout_s)
