"""MEXC futures hosts: REST (`/api/v1/...`) and the one WebSocket (`/edge`, public and private)."""

from __future__ import annotations

from dataclasses import dataclass

MEXC_REST = "https://contract.mexc.com"
MEXC_WS = "wss://contract.mexc.com/edge"


@dataclass(frozen=True, slots=True)
class MexcEndpoints:
    rest: str = MEXC_REST
    ws: str = MEXC_WS

    def __post_init__(self) -> None:
        object.__setattr__(self, "rest", self.rest.rstrip("/"))
        object.__setattr__(self, "ws", self.ws.rstrip("/"))
