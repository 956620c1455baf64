"""Base URLs of the Binance USDⓈ-M hosts, and builders for stream URLs.

Since the 2026 split, market data lives under `/market` and user data under
`/private`; an unrouted connection silently gets only `/public` data.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Binance's own hosts (reference §1: fapi/fstream.binance.com, demo-fapi.binance.com,
# testnet.binancefuture.com, api.binance.com, testnet.binance.vision) end in one of these.
BINANCE_DOMAINS = ("binance.com", "binancefuture.com", "binance.vision")
SECURE_SCHEMES = {"rest": "https", "ws": "wss"}
PLAIN_SCHEMES = {"rest": "http", "ws": "ws"}


def _strip(url: str) -> str:
    return url.rstrip("/")


def url_host(url: str) -> str:
    """The host name of `url`, lower case, without brackets or port; "" when there is none."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves this computer."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_binance_host(host: str) -> bool:
    return any(host == d or host.endswith("." + d) for d in BINANCE_DOMAINS)


def url_is_unsafe(url: str, kind: str) -> bool:
    """True unless `url` is https (rest) / wss (ws) with a host, or plain http / ws to a loopback host.

    The API key travels in every request's header: over plain http any host on the way could read it.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return True
    host = (parts.hostname or "").lower()
    if not host:
        return True
    scheme = parts.scheme.lower()
    return not (scheme == SECURE_SCHEMES[kind] or (scheme == PLAIN_SCHEMES[kind] and is_loopback_host(host)))


@dataclass(frozen=True, slots=True)
class Endpoints:
    rest: str  # fapi host, e.g. https://fapi.binance.com
    market_ws: str  # routed market path, e.g. wss://fstream.binance.com/market
    private_ws: str  # routed private path, e.g. wss://fstream.binance.com/private
    sapi_rest: str  # spot host, for /sapi/v1/account/apiRestrictions

    def __post_init__(self) -> None:
        # Normalise trailing slashes so URL joins never produce "//".
        for name in ("rest", "market_ws", "private_ws", "sapi_rest"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"Endpoints.{name} must be a non-empty URL")
            object.__setattr__(self, name, _strip(value))

    @classmethod
    def mainnet(cls) -> Endpoints:
        return cls(
            rest="https://fapi.binance.com",
            market_ws="wss://fstream.binance.com/market",
            private_ws="wss://fstream.binance.com/private",
            sapi_rest="https://api.binance.com",
        )

    @classmethod
    def testnet(
        cls,
        *,
        rest: str = "https://demo-fapi.binance.com",
        ws_base: str = "wss://fstream.binancefuture.com",
        sapi_rest: str = "https://testnet.binance.vision",
    ) -> Endpoints:
        """Demo/testnet hosts. Routes are UNCONFIRMED (reference §1), hence every part is overridable.

        The routed `/market` and `/private` paths are tried first, as the reference recommends.
        """
        base = _strip(ws_base)
        return cls(rest=rest, market_ws=base + "/market", private_ws=base + "/private", sapi_rest=sapi_rest)

    @classmethod
    def local(cls, base_http: str, base_ws: str) -> Endpoints:
        """The simulated exchange: one host serves fapi and sapi."""
        ws = _strip(base_ws)
        return cls(rest=base_http, market_ws=ws + "/market", private_ws=ws + "/private", sapi_rest=base_http)

    def private_ws_url(self, listen_key: str) -> str:
        if not listen_key or "/" in listen_key or "?" in listen_key:
            raise ValueError("listen key is empty or malformed")
        return f"{self.private_ws}/ws/{listen_key}"

    def market_stream_url(self, streams: Iterable[str]) -> str:
        """Combined-stream URL: payloads arrive wrapped as {"stream": ..., "data": ...}."""
        names = [s for s in streams if s]
        if not names:
            raise ValueError("at least one stream name is required")
        return f"{self.market_ws}/stream?streams={'/'.join(names)}"

    def market_ws_url(self) -> str:
        """Raw ws-mode URL, for a connection that SUBSCRIBEs after connecting."""
        return f"{self.market_ws}/ws"
