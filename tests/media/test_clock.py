"""The media clock: tests and simulations run on a manual clock, the app on the monotonic one."""

from __future__ import annotations

import threading

import pytest

from anchordesk.media.clock import ManualClock, MonotonicClock


def test_manual_clock_sleep_jumps_to_the_deadline_and_never_goes_back() -> None:
    clock = ManualClock(10.0)
    stop = threading.Event()
    assert clock.sleep_until(12.5, stop) is False
    assert clock.now_s() == 12.5
    # A deadline in the past does not move the clock backwards.
    clock.sleep_until(11.0, stop)
    assert clock.now_s() == 12.5
    clock.advance(0.5)
    assert clock.now_s() == 13.0
    with pytest.raises(ValueError):
        clock.advance(-1.0)


def test_a_stop_request_ends_a_wait_at_once() -> None:
    stop = threading.Event()
    stop.set()
    clock = MonotonicClock()
    # An hour-long wait returns immediately because stop is already set.
    assert clock.sleep_until(clock.now_s() + 3600, stop) is True
    assert ManualClock().sleep_until(5.0, stop) is True


def test_monotonic_clock_past_deadline_returns_without_waiting() -> None:
    clock = MonotonicClock()
    before = clock.now_s()
    assert clock.sleep_until(before - 1.0, threading.Event()) is False
    assert clock.now_s() >= before
