"""`spawn`: the one way to start a background task, so that none is lost and none fails silently.

The event loop keeps only a weak reference to a task: one that nobody holds can be collected
half-way, and an exception in one that nobody awaits shows, if ever, when it is collected. A
spawned task stays in its owner's set until it ends, and its failure is logged the moment it
happens (then handed to `on_failure`, e.g. to show a stream as FAILED). No Qt here: the exchange
layer uses it as well as the services and the controller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

_T = TypeVar("_T")


def spawn(
    coro: Coroutine[Any, Any, _T],
    keep: set[asyncio.Task[Any]] | None = None,
    *,
    name: str | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
) -> asyncio.Task[_T]:
    """Run `coro` as a task of the running loop, held in `keep` until it ends.

    Without `keep` the caller holds the returned task itself (e.g. as an attribute). A failure
    (not a cancellation) is logged with its traceback, then passed to `on_failure`.
    """
    task = asyncio.get_running_loop().create_task(coro, name=name)
    if keep is not None:
        keep.add(task)
        task.add_done_callback(keep.discard)
    task.add_done_callback(lambda t: _report(t, on_failure))
    return task


def _report(task: asyncio.Task[Any], on_failure: Callable[[BaseException], None] | None) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    what = getattr(task.get_coro(), "__qualname__", "?")
    log.error("background task %s (%s) failed", task.get_name(), what, exc_info=exc)
    if on_failure is not None:
        try:
            on_failure(exc)
        except Exception:
            log.exception("background task %s: failure handler failed", task.get_name())
