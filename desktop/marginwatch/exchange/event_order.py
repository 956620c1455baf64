"""Drop duplicate stream events and never let an older update overwrite a newer one.

Duplicates appear whenever two sockets overlap (rotation, reconnect) or the exchange repeats itself.
They are recognised by (event type, E, digest of the decoded payload), kept in a bounded LRU.

Ordering choice: instead of holding events back in a reorder window (which delays every MARGIN_CALL
by the window length and still fails for late events outside it), updates are applied at once and each
*entity* (a position keyed by symbol+side, a balance keyed by asset) remembers the E of the update that
last wrote it. An update older than that is dropped for that entity only. ACCOUNT_UPDATE carries full
state for what it names, so last-writer-by-E gives the same result as perfect ordering; MARGIN_CALLs
are independent alarms and need only deduplication.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable

import msgspec


def payload_digest(event: object) -> bytes:
    """A short, stable digest of a decoded event (msgspec structs encode canonically)."""
    try:
        data = msgspec.json.encode(event)
    except (TypeError, msgspec.EncodeError):
        data = repr(event).encode()
    return hashlib.blake2b(data, digest_size=12).digest()


class Deduplicator:
    """Remembers the last `capacity` event keys; `first_time(key)` is True only once per key."""

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self.duplicates = 0

    def first_time(self, key: Hashable) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            self.duplicates += 1
            return False
        self._seen[key] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def first_time_event(self, event_type: str, event_time: int, event: object) -> bool:
        return self.first_time((event_type, event_time, payload_digest(event)))

    def __len__(self) -> int:
        return len(self._seen)


class LatestByKey:
    """Last-writer-wins by event time, per entity, with a floor set at each REST reseed.

    An update older than what we hold by more than `jump_ms` is not a reordering (those are
    milliseconds apart) but a jump of the exchange clock or of our clock offset: it is accepted,
    the history is forgotten and `clock_jumped` is set so the owner can reseed from REST.
    """

    def __init__(self, jump_ms: int = 3000) -> None:
        self._latest: dict[Hashable, int] = {}
        self._floor: int | None = None
        self.jump_ms = jump_ms
        self.stale_dropped = 0
        self.clock_jumps = 0
        self.clock_jumped = False

    def reset(self, floor_ms: int | None) -> None:
        """Forget per-entity times; updates at or before `floor_ms` are already in the snapshot."""
        self._latest.clear()
        self._floor = floor_ms

    def accept(self, key: Hashable, event_time: int) -> bool:
        """True (and remember) if an update at `event_time` may overwrite entity `key`."""
        last = self._latest.get(key)
        bound = max(x for x in (last, self._floor, -(2**62)) if x is not None)
        if bound - event_time > self.jump_ms:
            self.clock_jumps += 1
            self.clock_jumped = True
            self._latest.clear()
            self._floor = None
        elif (self._floor is not None and event_time <= self._floor) or (last is not None and event_time < last):
            self.stale_dropped += 1
            return False
        self._latest[key] = event_time
        return True
