"""What the services need from one followed exchange account, whatever the venue.

Written down from what `services.account_service`, `account_registry`, `headless_watch` and the
controller use of a session today: start/stop in the background, `ready` after the first
snapshot, the account as one `AccountState` (positions converted at the adapter's edge, the
exchange's own liquidation price on each position), health per stream, a REST reseed on
request, and callbacks for changes, margin calls and health. A venue's own warning reaches
`on_margin_call` as a core `MarginCall`, so it takes the same journal/desktop/forwarding path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from marginwatch.core.account_state import AccountState
from marginwatch.core.stream_health import StreamHealth

ChangeHandler = Callable[[AccountState], None]
EventHandler = Callable[[Any], None]
HealthHandler = Callable[[StreamHealth], None]


class AccountFeed(Protocol):
    """One account on one exchange, kept current until `stop()`; it never raises into the loop."""

    name: str
    state: AccountState
    ready: asyncio.Event  # set after the first successful snapshot
    failed_reason: str | None  # why it gave up (a rejected key), None while it works

    async def start(self) -> None:
        """Start in the background; returns at once."""

    async def stop(self) -> None:
        """Close streams and HTTP, bounded by a few seconds."""

    @property
    def health(self) -> dict[str, StreamHealth]:
        """Each stream's health by stream name (e.g. "rest", "user", "market")."""

    def request_resync(self) -> None:
        """Take a fresh REST snapshot soon (after sleep, a clock jump, a row it could not read)."""


class FeedFactory(Protocol):
    """Makes the feed for one account; the services choose one by the account's exchange."""

    def __call__(
        self,
        *,
        name: str,
        on_change: ChangeHandler,
        on_margin_call: EventHandler,
        on_health: HealthHandler,
    ) -> AccountFeed: ...
