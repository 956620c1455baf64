"""A simulated Binance USDⓈ-M exchange on loopback: REST, market and user-data streams, faults."""

from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.book import DEMO_BOOK, Book, BookEntry
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.faults import FaultController, FaultKind
from marginwatch.exchange.sim.scenarios import SCENARIOS, make_scenario
from marginwatch.exchange.sim.server import SimulatedExchange

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "DEMO_BOOK", "SCENARIOS", "AccountEngine", "Book", "BookEntry",
           "FaultController", "FaultKind", "SimulatedExchange", "make_scenario"]
