"""Hosts of Binance COIN-M futures: REST on dapi, market and user-data streams on dstream.

The 2026 routed paths (`/market`, `/private`) are announced for fstream only; dstream keeps its
unrouted `/ws` and `/stream` forms (the official SDK's COIN-M stream base is the bare host). Since
that split, mark-price streams on either host may carry the other venue's symbols (`st` marks the
type): the account state keeps only held symbols, so a stray one is never applied.
"""

from __future__ import annotations

from marginwatch.exchange.endpoints import Endpoints

MAINNET_REST = "https://dapi.binance.com"
MAINNET_WS = "wss://dstream.binance.com"
TESTNET_REST = "https://testnet.binancefuture.com"
TESTNET_WS = "wss://dstream.binancefuture.com"
# The simulator serves its COIN-M streams under this path of its one host.
SIM_WS_PATH = "/dstream"


def coinm_mainnet() -> Endpoints:
    return Endpoints(rest=MAINNET_REST, market_ws=MAINNET_WS, private_ws=MAINNET_WS,
                     sapi_rest="https://api.binance.com")


def coinm_testnet(*, rest: str = TESTNET_REST, ws_base: str = TESTNET_WS,
                  sapi_rest: str = "https://testnet.binance.vision") -> Endpoints:
    return Endpoints(rest=rest, market_ws=ws_base, private_ws=ws_base, sapi_rest=sapi_rest)


def coinm_local(base_http: str, base_ws: str) -> Endpoints:
    """The simulated exchange's COIN-M face: dapi paths on its REST host, streams under /dstream."""
    ws = base_ws.rstrip("/") + SIM_WS_PATH
    return Endpoints(rest=base_http, market_ws=ws, private_ws=ws, sapi_rest=base_http)
