"""Which Binance futures venue a client talks to: USDⓈ-M (`/fapi`) or COIN-M (`/dapi`).

The protocols are the same (signing, errors, listenKey lifecycle, stream framing); only the paths
and request weights differ, so the REST client takes one of these instead of a second code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Market(StrEnum):
    USDM = "usdm"
    COINM = "coinm"


@dataclass(frozen=True, slots=True)
class Venue:
    market: Market
    time: str
    ping: str
    exchange_info: str
    premium_index: str
    leverage_bracket: str
    account: str
    position_risk: str
    balance: str
    listen_key: str
    symbol_config: str | None  # COIN-M has none: its positionRisk carries leverage and margin type
    account_config: str | None
    # Weights ("Weight(IP)" on each endpoint's page); premiumIndex without `symbol` weighs 10 on both.
    account_weight: int = 5
    position_risk_weight: int = 5
    balance_weight: int = 5

    @property
    def prefix(self) -> str:
        return self.time.split("/", 2)[1]  # "fapi" / "dapi"


USDM = Venue(
    market=Market.USDM,
    time="/fapi/v1/time",
    ping="/fapi/v1/ping",
    exchange_info="/fapi/v1/exchangeInfo",
    premium_index="/fapi/v1/premiumIndex",
    leverage_bracket="/fapi/v1/leverageBracket",
    account="/fapi/v3/account",
    position_risk="/fapi/v3/positionRisk",
    balance="/fapi/v3/balance",
    listen_key="/fapi/v1/listenKey",
    symbol_config="/fapi/v1/symbolConfig",
    account_config="/fapi/v1/accountConfig",
)

# /dapi/v2/leverageBracket answers per symbol (BTCUSD_PERP and each quarterly apart); /dapi/v1 per
# pair. positionRisk and balance weigh 1 on dapi (its docs), account 5.
COINM = Venue(
    market=Market.COINM,
    time="/dapi/v1/time",
    ping="/dapi/v1/ping",
    exchange_info="/dapi/v1/exchangeInfo",
    premium_index="/dapi/v1/premiumIndex",
    leverage_bracket="/dapi/v2/leverageBracket",
    account="/dapi/v1/account",
    position_risk="/dapi/v1/positionRisk",
    balance="/dapi/v1/balance",
    listen_key="/dapi/v1/listenKey",
    symbol_config=None,
    account_config=None,
    position_risk_weight=1,
    balance_weight=1,
)


def venue_for(market: Market) -> Venue:
    return COINM if market is Market.COINM else USDM
