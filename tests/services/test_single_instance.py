"""A second launch pokes the first (which comes forward) and steps aside."""

from __future__ import annotations

import uuid

from marginwatch.services.single_instance import SingleInstance


def test_second_instance_activates_the_first_and_steps_aside(qtbot) -> None:
    name = f"marginwatch-test-{uuid.uuid4().hex}"
    first = SingleInstance(name)
    assert first.acquire()
    second = SingleInstance(name)
    with qtbot.waitSignal(first.activated, timeout=3000):
        assert not second.acquire()
    first.release()
    # Once the first is gone, a new launch becomes the instance.
    third = SingleInstance(name)
    assert third.acquire()
    third.release()
