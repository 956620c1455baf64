"""AccountService's publish throttle, the one throttle in time between the exchange and the screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import qasync
from PySide6.QtWidgets import QApplication

from marginwatch import pacing
from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.services.account_service import AccountService, PublishSchedule


def test_the_first_change_is_published_on_the_next_turn_and_later_ones_within_one_interval() -> None:
    schedule = PublishSchedule(pacing.PUBLISH_INTERVAL_MS, pacing.FIRST_PUBLISH_MS)
    assert schedule.change() == 0
    schedule.published()
    assert schedule.change() == pacing.PUBLISH_INTERVAL_MS
    schedule.published()
    assert not schedule.due
    assert schedule.change() == pacing.PUBLISH_INTERVAL_MS  # and after every later publish


def test_changes_while_a_publish_is_due_ride_on_it_and_never_postpone_it() -> None:
    schedule = PublishSchedule(200)
    schedule.change()
    schedule.published()
    assert schedule.change() == 200
    # A steady stream of changes: none restarts the wait, so the first of them waits 200 ms at most.
    assert [schedule.change() for _ in range(50)] == [None] * 50
    assert schedule.due
    schedule.published()
    assert schedule.change() == 200


def _when(condition: Callable[[], bool], *signals: object) -> asyncio.Future[None]:
    """A future that resolves once `condition` holds, checked now and whenever one of `signals` fires."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check(*_args: object) -> None:
        if not done.done() and condition():
            done.set_result(None)

    for signal in signals:
        signal.connect(check)  # type: ignore[attr-defined]
    check()
    return done


def test_a_burst_of_account_updates_is_published_as_one_snapshot_carrying_the_last(qapp: QApplication) -> None:
    async def scenario() -> None:
        async with SimulatedExchange(scenario="calm", tick_interval=0.05, autostart_engine=False) as sim:
            service = AccountService(
                "t", Endpoints.local(sim.base_url, sim.ws_url), Credentials(DEMO_API_KEY, DEMO_API_SECRET)
            )
            risks: list[AccountRisk] = []
            service.risk_changed.connect(lambda _name, risk: risks.append(risk))
            await service.start()
            try:
                live = _when(
                    lambda: len(service.health) == 3
                    and all(h.state is StreamState.LIVE for h in service.health.values())
                    and bool(risks),
                    service.health_changed,
                    service.risk_changed,
                )
                await asyncio.wait_for(live, 10)
                settled = _when(lambda: risks[-1].cross_wallet_balance == sim.engine.cross_wallet, service.risk_changed)
                await asyncio.wait_for(settled, 10)
                before = len(risks)
                loop = asyncio.get_running_loop()
                started = loop.time()
                for _ in range(8):  # ACCOUNT_UPDATE frames that arrive on separate loop turns
                    sim.engine.apply_funding_fee("BTCUSDT", "-0.1")
                    await asyncio.sleep(0.005)  # pacing the exchange's frames, not synchronisation
                expected = sim.engine.cross_wallet
                arrived = _when(lambda: risks[-1].cross_wallet_balance == expected, service.risk_changed)
                await asyncio.wait_for(arrived, 10)
                # One snapshot per interval the burst spanned, plus one where it straddles a publish.
                spanned = int((loop.time() - started) * 1000 // pacing.PUBLISH_INTERVAL_MS)
                assert len(risks) - before <= spanned + 2
            finally:
                await service.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp, already_running=False)) as runner:
        runner.run(scenario())
