"""Which exchange feed an account runs on: the one place the services choose by `config.exchange`.

A third venue adds a branch here (its adapter, endpoints and key check live in its own modules).
"""

from __future__ import annotations

from marginwatch.exchange.account_feed import FeedFactory
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.mexc.endpoints import MexcEndpoints
from marginwatch.exchange.mexc.session import mexc_feed
from marginwatch.services.settings import AccountConfig, Exchange


def mexc_endpoints_for(config: AccountConfig) -> MexcEndpoints:
    if config.environment == "mainnet":
        return MexcEndpoints()
    if config.environment == "custom":
        if not config.rest_url or not config.ws_url:
            raise ValueError("a custom environment needs both a REST and a WebSocket base URL")
        return MexcEndpoints(config.rest_url, config.ws_url)
    raise ValueError(f"MEXC has no {config.environment} environment")


def feed_for(config: AccountConfig, secret: str) -> FeedFactory:
    """The account's feed factory; ValueError (secret-free words) for a config it cannot run."""
    from marginwatch.services.account_service import binance_feed
    from marginwatch.services.key_check import credentials_for, endpoints_for

    if config.exchange == Exchange.MEXC:
        if config.key_type != "hmac":
            raise ValueError("MEXC keys are HMAC keys")
        return mexc_feed(mexc_endpoints_for(config), Credentials(config.api_key, secret))
    if config.exchange == Exchange.BINANCE:
        return binance_feed(endpoints_for(config), credentials_for(config, secret))
    raise ValueError(f"unknown exchange {config.exchange!r}")
