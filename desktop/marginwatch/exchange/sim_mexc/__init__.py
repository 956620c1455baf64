"""A simulated MEXC futures exchange on loopback: REST and the private WebSocket, MEXC's shapes."""

from marginwatch.exchange.sim_mexc.account import MexcSimAccount, SimPosition
from marginwatch.exchange.sim_mexc.server import MEXC_DEMO_API_KEY, MEXC_DEMO_API_SECRET, MexcSimServer

__all__ = ["MEXC_DEMO_API_KEY", "MEXC_DEMO_API_SECRET", "MexcSimAccount", "MexcSimServer", "SimPosition"]
