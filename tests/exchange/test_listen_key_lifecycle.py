"""ListenKeyManager's lifecycle in detail, against the simulated exchange: the delays it keeps by
default and after each kind of failure, exactly what it asks the exchange, what its log says (and
that a key shows there only as a prefix), and what stop() leaves behind."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.errors import ExchangeUnavailable, RateLimited
from marginwatch.exchange.listen_key import ListenKeyManager
from marginwatch.exchange.sim import SimulatedExchange
from tests.exchange.listen_key_harness import WAIT, CountingClient, HoldingClient, Naps, key_futures, run_with_sim

LOGGER = "marginwatch.exchange.listen_key"
TASK_NAME = "listen-key-keepalive"


def _keepalive_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == TASK_NAME]


def _hint(key: str) -> str:
    return key[:6] + "…"


def test_default_intervals_are_half_an_hour_and_five_seconds_doubling_to_five_minutes() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        naps = Naps()
        manager = ListenKeyManager(client, sleep=naps)
        await manager.start()
        key = await asyncio.wait_for(manager.wait_key(), WAIT)
        await naps.halted()
        # Eight PUTs fail (the client retries each 429 once by itself), the ninth succeeds.
        sim.faults.rest_errors(429, count=16, retry_after=0)
        naps.allow(9)
        await naps.halted()
        assert naps.delays == [1800.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 1800.0]
        assert client.put_keys == [key] * 9 and client.puts == 1
        await manager.stop()

    run_with_sim(body)


def test_every_keepalive_is_counted_once_and_names_the_current_key() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        naps = Naps()
        manager = ListenKeyManager(client, sleep=naps)
        assert manager.keepalives_sent == 0
        await manager.start()
        key = await asyncio.wait_for(manager.wait_key(), WAIT)
        naps.allow(3)
        await naps.halted()
        assert manager.keepalives_sent == client.puts == 3
        assert client.put_keys == [key] * 3
        await manager.stop()
        assert client.delete_keys == [key] and sim.listen_key is None

    run_with_sim(body)


def test_a_retry_after_longer_than_the_backoff_is_waited_out() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        naps = Naps()
        manager = ListenKeyManager(client, retry_interval=5.0, sleep=naps)
        sim.faults.rest_errors(429, count=1, retry_after=7)  # longer than the client waits by itself
        await manager.start()
        await naps.halted()
        assert naps.delays == [7.0]
        assert isinstance(manager.last_error, RateLimited) and manager.key is None
        await manager.stop()

    run_with_sim(body)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_first_post_that_cannot_reach_the_exchange_is_retried_from_the_first_backoff_step() -> None:
    async def main() -> None:
        port = _closed_port()
        client = CountingClient(Endpoints.local(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"))
        async with client:
            naps = Naps()
            manager = ListenKeyManager(client, retry_interval=5.0, sleep=naps)
            await manager.start()
            await naps.halted()
            naps.allow(1)
            await naps.halted()
            assert naps.delays == [5.0, 10.0]  # an error with no retry-after: the backoff alone
            assert manager.consecutive_failures == 2 and manager.running
            assert isinstance(manager.last_error, ExchangeUnavailable) and manager.key is None
            await manager.stop()
            assert client.delete_keys == []  # no key was ever given: nothing to DELETE

    asyncio.run(main())


def test_after_minus_1125_the_new_key_is_posted_at_once_not_after_another_interval() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        naps = Naps()
        manager = ListenKeyManager(client, sleep=naps)
        await manager.start()
        first = await asyncio.wait_for(manager.wait_key(), WAIT)
        await naps.halted()
        sim.faults.expire_listen_key()
        naps.allow(1)
        await naps.halted()
        assert manager.key is not None and manager.key != first and manager.key == sim.listen_key
        assert naps.delays == [1800.0, 1800.0]  # the new key's keepalive wait, nothing between
        await manager.stop()

    run_with_sim(body)


def test_the_log_tells_each_step_and_shows_a_key_only_by_its_first_six_characters(
    caplog: pytest.LogCaptureFixture,
) -> None:
    keys: list[str] = []
    errors: list[str] = []

    def broken(key: str) -> None:
        raise RuntimeError("listener bug")

    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        naps = Naps()
        manager = ListenKeyManager(client, sleep=naps)
        manager.add_listener(broken)
        manager.add_listener(keys.append)  # a failing listener does not keep the key from the next
        await manager.start()
        await asyncio.wait_for(manager.wait_key(), WAIT)
        await naps.halted()
        sim.faults.rest_errors(429, count=2, retry_after=0)
        naps.allow(1)
        await naps.halted()
        errors.append(str(manager.last_error))
        sim.faults.expire_listen_key()
        naps.allow(1)
        await naps.halted()
        sim.faults.rest_errors(429, count=2, retry_after=0)  # the DELETE is refused too
        await manager.stop()
        errors.append(str(manager.last_error))

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run_with_sim(body)
    first, second = keys
    records = [r for r in caplog.records if r.name == LOGGER]
    assert [r.getMessage() for r in records] == [
        f"listenKey ready ({_hint(first)})",
        "listenKey listener failed",
        f"listenKey keepalive (PUT) failed ({errors[0]}); retry 1 in 5.0 s",
        f"listenKey {_hint(first)} no longer exists (-1125); creating a new one",
        f"listenKey ready ({_hint(second)})",
        "listenKey listener failed",
        f"could not close listenKey {_hint(second)}: {errors[1]}",
    ]
    assert [r.levelno for r in records] == [logging.INFO, logging.ERROR, logging.WARNING, logging.WARNING,
                                            logging.INFO, logging.ERROR, logging.WARNING]
    failed = records[1].exc_info
    assert failed is not None and failed[0] is RuntimeError
    for key in (first, second):
        assert all(key[:7] not in r.getMessage() for r in records)


def test_a_cancelled_invalidate_does_not_strand_another_waiting_for_the_same_key() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        assert isinstance(client, HoldingClient)
        manager = ListenKeyManager(client, keepalive_interval=3600.0)
        await manager.start()
        first = await asyncio.wait_for(manager.wait_key(), WAIT)
        sim.faults.expire_listen_key()  # the stream would now receive listenKeyExpired
        client.hold_next()
        impatient = asyncio.ensure_future(manager.invalidate())
        patient = asyncio.ensure_future(manager.invalidate())
        await asyncio.wait_for(client.answered.wait(), WAIT)  # both asked; the new key is on its way
        impatient.cancel()
        client.release()
        fresh = await asyncio.wait_for(patient, WAIT)
        assert fresh != first and fresh == sim.listen_key == manager.key
        assert impatient.cancelled()
        await manager.stop()

    run_with_sim(body, HoldingClient)


def test_stop_ends_the_keepalive_task_and_a_second_start_does_not_add_one() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        manager = ListenKeyManager(client, keepalive_interval=3600.0)
        await manager.stop()  # never started: nothing to do, nothing sent
        await manager.start()
        await manager.start()
        await asyncio.wait_for(manager.wait_key(), WAIT)
        assert len(_keepalive_tasks()) == 1 and manager.running
        await manager.stop()
        assert _keepalive_tasks() == [] and not manager.running
        assert len(client.delete_keys) == 1

    run_with_sim(body)


def test_a_manager_that_must_not_close_its_key_leaves_it_open_on_stop() -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        manager = ListenKeyManager(client, keepalive_interval=3600.0, close_on_stop=False)
        await manager.start()
        key = await asyncio.wait_for(manager.wait_key(), WAIT)
        await manager.stop()
        assert client.delete_keys == [] and sim.listen_key == key  # another instance may still use it
        assert manager.key is None

    run_with_sim(body)


@pytest.mark.parametrize(("stop_timeout", "least", "most"), [(0.2, 0.2, 1.0), (None, 3.0, 3.9)])
def test_stop_gives_up_on_a_delete_that_never_answers_after_its_timeout(
    stop_timeout: float | None, least: float, most: float
) -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        assert isinstance(client, HoldingClient)
        manager = (ListenKeyManager(client, keepalive_interval=3600.0) if stop_timeout is None
                   else ListenKeyManager(client, keepalive_interval=3600.0, stop_timeout=stop_timeout))
        await manager.start()
        key = await asyncio.wait_for(manager.wait_key(), WAIT)
        client.hang_delete = True
        loop = asyncio.get_running_loop()
        began = loop.time()
        await manager.stop()
        took = loop.time() - began
        assert least <= took < most  # the default (3 s) bounds an app's shutdown
        assert client.delete_keys == [key] and isinstance(manager.last_error, TimeoutError)

    run_with_sim(body, HoldingClient)


@pytest.mark.parametrize(("keepalive", "retry"), [(0.0, 5.0), (-1.0, 5.0), (1800.0, 0.0), (1800.0, -0.5)])
def test_an_interval_that_is_not_positive_is_refused(keepalive: float, retry: float) -> None:
    client = CountingClient(Endpoints.mainnet())
    with pytest.raises(ValueError) as info:
        ListenKeyManager(client, keepalive_interval=keepalive, retry_interval=retry)
    assert str(info.value) == "intervals must be positive"
    ListenKeyManager(client, keepalive_interval=0.001, retry_interval=0.001)  # small but positive is fine


def test_asking_a_manager_that_was_not_started_for_a_key_says_to_start_it() -> None:
    async def main() -> None:
        manager = ListenKeyManager(CountingClient(Endpoints.mainnet()))
        message = "ListenKeyManager is not running; call start() first"
        with pytest.raises(RuntimeError) as waiting:
            await manager.wait_key()
        with pytest.raises(RuntimeError) as renewing:
            await manager.invalidate()
        assert str(waiting.value) == str(renewing.value) == message

    asyncio.run(main())


def test_without_an_on_new_key_callback_a_new_key_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    async def body(sim: SimulatedExchange, client: CountingClient) -> None:
        seen, _, on_new_key = key_futures()
        manager = ListenKeyManager(client, keepalive_interval=3600.0)
        manager.add_listener(on_new_key)
        await manager.start()
        await asyncio.wait_for(manager.wait_key(), WAIT)
        await manager.stop()
        assert len(seen) == 1

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run_with_sim(body)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
