"""ListenKeyManager against the simulated exchange: POST, PUT loop, -1125 recovery, invalidate, DELETE."""

from __future__ import annotations

import asyncio
import logging

import pytest

from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.errors import ListenKeyNotFound, RateLimited
from marginwatch.exchange.listen_key import ListenKeyManager
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim import SimulatedExchange
from tests.exchange.listen_key_harness import GOOD, WAIT, CountingClient, Naps, key_futures, run_with_sim


def test_post_then_repeated_keepalives_then_delete_on_stop() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        manager = ListenKeyManager(client, keepalive_interval=0.05, retry_interval=0.05)
        seen, _, on_new_key = key_futures()
        manager.on_new_key = on_new_key
        await manager.start()
        key = await asyncio.wait_for(manager.wait_key(), WAIT)
        assert key == sim.listen_key == manager.key
        assert seen == [key]
        await client.wait_puts(3)
        assert manager.keepalives_sent >= 3 and manager.last_error is None
        assert seen == [key]  # keepalives do not announce new keys
        await manager.stop()
        assert client.deletes == 1
        assert sim.listen_key is None and manager.key is None and not manager.running
        with pytest.raises(ListenKeyNotFound):
            await client.keepalive_listen_key(key)

    run_with_sim(body)


def test_expired_key_gets_minus_1125_then_a_new_key_is_posted_and_announced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        manager = ListenKeyManager(client, keepalive_interval=0.05, retry_interval=0.05)
        seen, next_key, on_new_key = key_futures()
        manager.on_new_key = on_new_key
        await manager.start()
        first = await asyncio.wait_for(manager.wait_key(), WAIT)
        await client.wait_puts(1)
        renewed = next_key()
        assert sim.faults.expire_listen_key() == first
        second = await asyncio.wait_for(renewed, WAIT)
        assert second != first and second == sim.listen_key == manager.key
        assert isinstance(manager.last_error, ListenKeyNotFound)
        assert seen == [first, second]
        await client.wait_puts(2)  # keepalives continue on the new key
        await manager.stop()

    with caplog.at_level(logging.WARNING, logger="marginwatch.exchange.listen_key"):
        run_with_sim(body)
    assert any("-1125" in r.getMessage() for r in caplog.records)


def test_invalidate_after_listen_key_expired_event_posts_a_new_key() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        manager = ListenKeyManager(client, keepalive_interval=3600.0)
        seen, _, on_new_key = key_futures()
        listener_keys: list[str] = []
        manager.on_new_key = on_new_key
        manager.add_listener(listener_keys.append)
        await manager.start()
        first = await asyncio.wait_for(manager.wait_key(), WAIT)
        sim.faults.expire_listen_key()  # the stream would now receive listenKeyExpired
        second = await asyncio.wait_for(manager.invalidate(), WAIT)
        assert second != first and second == sim.listen_key
        assert seen == listener_keys == [first, second]
        assert client.puts == 0
        await manager.stop()
        assert sim.listen_key is None

    run_with_sim(body)


class SlowPostClient(CountingClient):
    """The first POST's answer is held back until the test releases it."""

    def __init__(self, endpoints: Endpoints) -> None:
        super().__init__(endpoints)
        self.answered = asyncio.Event()
        self.release = asyncio.Event()

    async def new_listen_key(self) -> str:
        key = await super().new_listen_key()
        if not self.answered.is_set():
            self.answered.set()
            await self.release.wait()
        return key


def test_invalidate_ignores_a_stale_key_from_a_post_already_in_flight() -> None:
    async def main() -> None:
        async with SimulatedExchange(port=0, autostart_engine=False) as sim:
            client = SlowPostClient(Endpoints.local(sim.base_url, sim.ws_url))
            async with client:
                manager = ListenKeyManager(client, keepalive_interval=3600.0)
                await manager.start()
                await asyncio.wait_for(client.answered.wait(), WAIT)
                stale = sim.faults.expire_listen_key()  # expires while its POST answer is in flight
                renewing = asyncio.ensure_future(manager.invalidate())
                client.release.set()
                fresh = await asyncio.wait_for(renewing, WAIT)
                assert stale is not None and fresh != stale and fresh == sim.listen_key
                await manager.stop()

    asyncio.run(main())


def test_failures_are_logged_kept_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        manager = ListenKeyManager(client, keepalive_interval=0.05, retry_interval=0.05)
        # Two 429s: the client's own single retry is used up, so the manager sees the failure.
        sim.faults.rest_errors(429, count=2, retry_after=0)
        await manager.start()
        key = await asyncio.wait_for(manager.wait_key(), WAIT)
        assert isinstance(manager.last_error, RateLimited)
        assert manager.consecutive_failures == 0
        sim.faults.rest_errors(429, count=2, retry_after=0)  # now the keepalive fails once
        await client.wait_puts(2)
        assert manager.key == key
        await manager.stop()

    with caplog.at_level(logging.WARNING, logger="marginwatch.exchange.listen_key"):
        run_with_sim(body)
    messages = [r.getMessage() for r in caplog.records]
    assert any("create (POST) failed" in m for m in messages)
    assert any("keepalive (PUT) failed" in m for m in messages)


def test_failed_keepalive_is_retried_after_the_retry_interval_not_the_keepalive_interval() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        naps = Naps()
        manager = ListenKeyManager(client, keepalive_interval=1800.0, retry_interval=5.0, sleep=naps)
        await manager.start()
        await asyncio.wait_for(manager.wait_key(), WAIT)
        await asyncio.wait_for(naps.blocked.wait(), WAIT)  # waiting out the keepalive interval
        # Four 429s: two PUTs fail (the client retries each once by itself), the third succeeds.
        sim.faults.rest_errors(429, count=4, retry_after=0)
        naps.allow(3)
        await asyncio.wait_for(naps.blocked.wait(), WAIT)
        # keepalive wait, retry after 5 s, then 10 s (doubling), then the keepalive wait again
        assert naps.delays == [1800.0, 5.0, 10.0, 1800.0]
        assert client.puts == 1 and manager.consecutive_failures == 0
        assert isinstance(manager.last_error, RateLimited)
        await manager.stop()

    run_with_sim(body)


def test_stop_is_bounded_when_the_exchange_is_gone() -> None:
    async def main() -> None:
        sim = SimulatedExchange(port=0, autostart_engine=False)
        await sim.start()
        client = BinanceRestClient(Endpoints.local(sim.base_url, sim.ws_url), GOOD, timeout=1.0)
        manager = ListenKeyManager(client, keepalive_interval=3600.0, stop_timeout=2.0)
        await manager.start()
        await asyncio.wait_for(manager.wait_key(), WAIT)
        await sim.stop()
        await asyncio.wait_for(manager.stop(), 4.0)  # DELETE fails, stop still returns
        assert manager.last_error is not None and manager.key is None
        await client.close()

    asyncio.run(main())


def test_wait_key_before_start_is_an_error() -> None:
    async def main() -> None:
        manager = ListenKeyManager(BinanceRestClient(Endpoints.mainnet(), GOOD))
        with pytest.raises(RuntimeError, match="start"):
            await manager.wait_key()
        with pytest.raises(RuntimeError, match="start"):
            await manager.invalidate()

    asyncio.run(main())
