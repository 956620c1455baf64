"""spawn: a background task is held until it ends, and its failure is logged and reported at once.

Each test awaits the task itself: its own done callbacks (drop from the set, report) run before
the awaiter wakes.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from marginwatch.exchange.tasks import spawn


async def _fail() -> None:
    raise RuntimeError("boom")


def test_the_owner_set_holds_a_task_until_it_ends() -> None:
    async def main() -> None:
        keep: set[asyncio.Task[object]] = set()
        release = asyncio.Event()

        async def work() -> str:
            await release.wait()
            return "finished"

        task = spawn(work(), keep)
        assert keep == {task}
        release.set()
        # The awaiter's wake-up is the task's last done callback: the set has dropped it by then.
        assert await task == "finished"
        assert keep == set()

    asyncio.run(main())


def test_a_failure_is_logged_with_its_traceback_and_handed_over(caplog: pytest.LogCaptureFixture) -> None:
    failures: list[BaseException] = []

    async def main() -> None:
        task = spawn(_fail(), set(), name="probe", on_failure=failures.append)
        await asyncio.wait({task})

    with caplog.at_level(logging.ERROR, logger="marginwatch.exchange.tasks"):
        asyncio.run(main())
    assert [str(e) for e in failures] == ["boom"]
    [record] = caplog.records
    assert "probe" in record.getMessage() and "_fail" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[1] is failures[0]


def test_a_cancelled_task_is_not_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    failures: list[BaseException] = []

    async def main() -> None:
        task = spawn(asyncio.Event().wait(), set(), on_failure=failures.append)
        task.cancel()
        await asyncio.wait({task})

    with caplog.at_level(logging.ERROR, logger="marginwatch.exchange.tasks"):
        asyncio.run(main())
    assert failures == [] and caplog.records == []


def test_a_failing_failure_handler_is_logged_too(caplog: pytest.LogCaptureFixture) -> None:
    def handler(_exc: BaseException) -> None:
        raise ValueError("handler bug")

    async def main() -> None:
        await asyncio.wait({spawn(_fail(), set(), name="probe", on_failure=handler)})

    with caplog.at_level(logging.ERROR, logger="marginwatch.exchange.tasks"):
        asyncio.run(main())
    assert [r.exc_info[1].args[0] for r in caplog.records if r.exc_info] == ["boom", "handler bug"]
