"""Event dedupe (Deduplicator, payload_digest) and per-entity last-writer ordering (LatestByKey)."""

from __future__ import annotations

import pytest

from marginwatch.core.events import decode_user_event
from marginwatch.exchange.event_order import Deduplicator, LatestByKey, payload_digest


def _update(e: int, amount: str, wallet: str = "100") -> bytes:
    return (
        b'{"e":"ACCOUNT_UPDATE","E":%d,"T":%d,"a":{"m":"ORDER","B":[{"a":"USDT","wb":"%s","cw":"%s","bc":"0"}],'
        b'"P":[{"s":"BTCUSDT","pa":"%s","ep":"100","cr":"0","up":"0","mt":"cross","iw":"0","ps":"LONG"}]}}'
        % (e, e - 1, wallet.encode(), wallet.encode(), amount.encode())
    )


class _Opaque:
    """Something msgspec cannot encode: its digest comes from its repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"_Opaque({self.text})"


# ---------------------------------------------------------------------------- payload_digest


def test_equal_decoded_events_have_one_digest_and_different_ones_differ() -> None:
    a1, a2, b = (decode_user_event(_update(10, x)) for x in ("1", "1", "2"))
    assert payload_digest(a1) == payload_digest(a2)
    assert payload_digest(a1) != payload_digest(b)


def test_an_event_msgspec_cannot_encode_is_told_apart_by_its_repr() -> None:
    assert payload_digest(_Opaque("a")) == payload_digest(_Opaque("a"))
    assert payload_digest(_Opaque("a")) != payload_digest(_Opaque("b"))
    assert payload_digest({(1, 2): 3}) != payload_digest({(1, 3): 3})  # tuple keys: TypeError in msgspec


# ---------------------------------------------------------------------------- Deduplicator


def test_deduplicator_drops_repeats_and_keeps_distinct_events_with_equal_time() -> None:
    d = Deduplicator(capacity=3)
    a, b = decode_user_event(_update(10, "1")), decode_user_event(_update(10, "2"))
    assert d.first_time_event("ACCOUNT_UPDATE", 10, a)
    assert d.first_time_event("ACCOUNT_UPDATE", 10, b)  # same E, different payload
    assert not d.first_time_event("ACCOUNT_UPDATE", 10, decode_user_event(_update(10, "1")))
    assert d.duplicates == 1


def test_an_equal_payload_at_another_time_or_of_another_type_is_a_new_event() -> None:
    d = Deduplicator()
    a = decode_user_event(_update(10, "1"))
    assert d.first_time_event("ACCOUNT_UPDATE", 10, a)
    assert d.first_time_event("ACCOUNT_UPDATE", 11, a)
    assert d.first_time_event("OTHER", 10, a)
    assert not d.first_time_event("OTHER", 10, a)
    assert d.duplicates == 1


def test_deduplicator_counts_every_repeat() -> None:
    d = Deduplicator()
    assert d.first_time("k")
    assert not d.first_time("k")
    assert not d.first_time("k")
    assert d.duplicates == 2


def test_deduplicator_memory_is_bounded() -> None:
    d = Deduplicator(capacity=3)
    for i in range(10):
        assert d.first_time(("x", i))
    assert len(d) == 3
    assert d.first_time(("x", 0))  # long evicted: accepted again
    assert not d.first_time(("x", 9))


def test_deduplicator_holds_exactly_capacity_keys_and_forgets_the_oldest_first() -> None:
    d = Deduplicator(capacity=2)
    assert d.first_time("a") and d.first_time("b")
    assert len(d) == 2
    assert not d.first_time("a") and not d.first_time("b")  # both still held at capacity
    assert d.first_time("c")  # evicts "a", the least recently seen
    assert not d.first_time("b") and not d.first_time("c")
    assert d.first_time("a")


def test_a_repeat_keeps_its_key_from_being_evicted() -> None:
    d = Deduplicator(capacity=2)
    d.first_time("a")
    d.first_time("b")
    assert not d.first_time("a")  # seen again: now the most recent
    assert d.first_time("c")  # evicts "b", not "a"
    assert not d.first_time("a")
    assert d.first_time("b")


def test_a_deduplicator_of_capacity_one_remembers_the_last_key() -> None:
    d = Deduplicator(capacity=1)
    assert d.first_time("a")
    assert not d.first_time("a")
    assert d.first_time("b")
    assert d.first_time("a")


@pytest.mark.parametrize("capacity", [0, -1])
def test_a_deduplicator_without_room_is_refused(capacity: int) -> None:
    with pytest.raises(ValueError, match=r"^capacity must be positive$"):
        Deduplicator(capacity)


def test_deduplicator_default_capacity_is_4096() -> None:
    d = Deduplicator()
    for i in range(4097):
        d.first_time(i)
    assert len(d) == 4096
    assert d.first_time(0)  # the first was evicted
    assert not d.first_time(4096)


# ---------------------------------------------------------------------------- LatestByKey


def test_latest_by_key_refuses_older_update_per_entity_only() -> None:
    latest = LatestByKey()
    assert latest.accept("BTC", 200)
    assert not latest.accept("BTC", 150)  # reordered: older than what we applied
    assert latest.accept("ETH", 150)  # another entity is independent
    assert latest.accept("BTC", 200)  # equal time: a different event in the same ms
    assert latest.stale_dropped == 1
    assert not latest.accept("BTC", 199)
    assert latest.stale_dropped == 2
    assert latest.clock_jumps == 0 and not latest.clock_jumped


def test_an_accepted_update_becomes_the_entitys_newest() -> None:
    latest = LatestByKey()
    assert latest.accept("BTC", 100)
    assert latest.accept("BTC", 300)
    assert not latest.accept("BTC", 200)  # older than the 300 just applied, not only the first 100


def test_latest_by_key_floor_from_snapshot() -> None:
    latest = LatestByKey()
    latest.reset(1000)
    assert not latest.accept("BTC", 999)
    assert not latest.accept("BTC", 1000)
    assert latest.accept("BTC", 1001)
    assert latest.stale_dropped == 2


def test_a_reseed_forgets_per_entity_times_above_its_floor() -> None:
    latest = LatestByKey()
    assert latest.accept("BTC", 2000)
    latest.reset(1000)
    assert latest.accept("BTC", 1500)  # newer than the snapshot: the snapshot replaced what 2000 wrote


def test_a_reseed_without_a_floor_accepts_everything_again() -> None:
    latest = LatestByKey()
    latest.reset(1000)
    latest.reset(None)
    assert latest.accept("BTC", 500)
    assert latest.stale_dropped == 0


def test_latest_by_key_treats_a_big_backwards_jump_as_clock_change() -> None:
    latest = LatestByKey(jump_ms=3000)
    assert latest.accept("BTC", 100_000)
    assert latest.accept("BTC", 90_000)  # 10 s back: the clock moved, not a reorder
    assert latest.clock_jumped and latest.clock_jumps == 1
    assert latest.accept("BTC", 90_001)
    assert latest.stale_dropped == 0


def test_a_step_back_of_exactly_jump_ms_is_a_reorder_and_one_more_ms_a_clock_jump() -> None:
    latest = LatestByKey(jump_ms=3000)
    latest.accept("BTC", 10_000)
    assert not latest.accept("BTC", 7_000)
    assert not latest.clock_jumped
    assert latest.accept("BTC", 6_999)
    assert latest.clock_jumped and latest.clock_jumps == 1


def test_the_default_jump_is_three_seconds() -> None:
    latest = LatestByKey()
    latest.accept("BTC", 10_000)
    assert not latest.accept("BTC", 7_000)
    assert latest.accept("BTC", 6_999) and latest.clock_jumped


def test_a_jump_below_the_snapshot_floor_is_accepted_and_drops_the_floor() -> None:
    latest = LatestByKey(jump_ms=3000)
    latest.reset(100_000)
    assert latest.accept("BTC", 90_000)
    assert latest.clock_jumped
    assert latest.accept("ETH", 95_000)  # the old floor no longer holds: not stale, no second jump
    assert latest.clock_jumps == 1 and latest.stale_dropped == 0


def test_a_clock_jump_forgets_every_entitys_time() -> None:
    latest = LatestByKey(jump_ms=3000)
    latest.accept("ETH", 100_000)
    latest.accept("BTC", 100_000)
    assert latest.accept("BTC", 90_000)  # jump
    assert latest.accept("ETH", 98_000)  # its 100_000 was from the old clock: no longer a bound
    assert latest.clock_jumps == 1 and latest.stale_dropped == 0


def test_every_clock_jump_is_counted() -> None:
    latest = LatestByKey(jump_ms=3000)
    latest.accept("BTC", 100_000)
    latest.accept("BTC", 90_000)
    latest.clock_jumped = False  # the owner saw it
    latest.accept("BTC", 80_000)
    assert latest.clock_jumped and latest.clock_jumps == 2


def test_a_first_update_of_an_entity_is_accepted_at_any_time() -> None:
    latest = LatestByKey()
    assert latest.accept("BTC", 0)
    assert latest.accept("ETH", 1)
    assert latest.stale_dropped == 0 and latest.clock_jumps == 0
