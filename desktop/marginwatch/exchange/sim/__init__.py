"""A simulated Binance USDⓈ-M exchange on loopback: REST, market and user-data streams, faults."""

from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.scenarios import SCENARIOS
from marginwatch.exchange.sim.server import SimulatedExchange

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "SCENARIOS", "AccountEngine", "FaultController", "SimulatedExchange"]
