"""An account's COIN-M side against the simulator: each margin coin's pool is published as an
account of its own, in its coin, and a COIN-M margin call goes out under the pool it concerns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.position import ContractKind
from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.coinm_endpoints import coinm_local
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.services.coinm_names import coinm_name
from marginwatch.services.coinm_service import CoinMAccountService


def _when(condition: Callable[[], bool], *signals: Any) -> asyncio.Future[None]:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check(*_args: object) -> None:
        if not done.done() and condition():
            done.set_result(None)

    for signal in signals:
        signal.connect(check)
    check()
    return done


def test_each_margin_coin_is_published_apart_and_margin_calls_name_their_pool(qapp: QApplication) -> None:
    async def scenario() -> None:
        async with SimulatedExchange(scenario="calm", tick_interval=0.05, autostart_engine=False) as sim:
            assert sim.coinm is not None
            service = CoinMAccountService(coinm_name("Main"), coinm_local(sim.base_url, sim.ws_url),
                                          Credentials(DEMO_API_KEY, DEMO_API_SECRET))
            risks: dict[str, AccountRisk] = {}
            calls: list[tuple[str, Any]] = []
            service.risk_changed.connect(lambda name, risk: risks.__setitem__(name, risk))
            service.margin_call.connect(lambda name, event: calls.append((name, event)))
            await service.start()
            try:
                await asyncio.wait_for(_when(lambda: len(risks) == 2, service.risk_changed), 10)
                assert set(risks) == {"Main · COIN-M BTC", "Main · COIN-M ETH"}
                btc = risks["Main · COIN-M BTC"]
                assert btc.cross_wallet_balance == sim.coinm.engines["BTC"].cross_wallet == Decimal("0.035")
                assert {pr.position.symbol for pr in btc.positions} == {"BTCUSD_PERP"}
                assert all(pr.position.contract is ContractKind.INVERSE for pr in btc.positions)
                eth = risks["Main · COIN-M ETH"]
                assert [pr.position.symbol for pr in eth.positions] == ["ETHUSD_PERP"]
                assert service.pool_names() == ["Main · COIN-M BTC", "Main · COIN-M ETH"]
                # The snapshot comes before the user stream connects: a call sent before would be lost.
                user_live = lambda: service.session.health["user"].state is StreamState.LIVE  # noqa: E731
                await asyncio.wait_for(_when(user_live, service.health_changed), 10)
                sim.coinm.engines["ETH"].emit_margin_call("ETHUSD_PERP")
                await asyncio.wait_for(_when(lambda: bool(calls), service.margin_call), 10)
                assert calls[0][0] == "Main · COIN-M ETH" and calls[0][1].account_alias == "SgsR"
            finally:
                await service.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
