"""The reconnect schedule, with an injected clock and random source (no sleeps)."""

from __future__ import annotations

import pytest

from anchordesk.core.backoff import Backoff


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


def test_delays_start_at_2_s_grow_by_half_and_cap_at_60_s_without_jitter() -> None:
    backoff = Backoff(clock=FakeClock(), random=lambda: 0.5)  # 0.5 -> zero jitter
    delays = [round(backoff.failed(), 6) for _ in range(12)]
    assert delays[:6] == [2.0, 3.0, 4.5, 6.75, 10.125, 15.1875]
    assert delays[-1] == 60.0
    assert max(delays) == 60.0
    assert backoff.attempt == 12


def test_no_retry_limit_the_delay_stays_at_the_cap_for_ever() -> None:
    backoff = Backoff(clock=FakeClock(), random=lambda: 0.5)
    for _ in range(10_000):
        delay_s = backoff.failed()
    assert delay_s == 60.0
    assert backoff.attempt == 10_000


@pytest.mark.parametrize(("random_value", "expected_s"), [(0.0, 1.6), (1.0, 2.4), (0.75, 2.2)])
def test_jitter_spreads_the_delay_by_twenty_percent(random_value: float, expected_s: float) -> None:
    backoff = Backoff(clock=FakeClock(), random=lambda: random_value)
    assert backoff.failed() == pytest.approx(expected_s)


def test_jitter_never_exceeds_the_cap() -> None:
    backoff = Backoff(clock=FakeClock(), random=lambda: 1.0)
    delays = [backoff.failed() for _ in range(20)]
    assert max(delays) == 60.0


def test_wait_counts_down_with_the_clock_and_becomes_due() -> None:
    clock = FakeClock()
    backoff = Backoff(clock=clock, random=lambda: 0.5)
    assert backoff.is_due()  # nothing scheduled yet: the first attempt is immediate
    backoff.failed()
    assert backoff.wait_s() == pytest.approx(2.0)
    assert not backoff.is_due()
    clock.advance(1.5)
    assert backoff.wait_s() == pytest.approx(0.5)
    clock.advance(0.5)
    assert backoff.is_due()
    clock.advance(10)
    assert backoff.wait_s() == 0.0


def test_reconnect_now_skips_the_wait_but_keeps_the_attempt_count() -> None:
    clock = FakeClock()
    backoff = Backoff(clock=clock, random=lambda: 0.5)
    for _ in range(5):
        backoff.failed()
    assert backoff.wait_s() == pytest.approx(10.125)
    backoff.skip_wait()
    assert backoff.is_due()
    assert backoff.attempt == 5
    # The next failure continues the schedule instead of starting over.
    assert backoff.failed() == pytest.approx(15.1875)


def test_reset_after_a_stable_connection_starts_over_at_2_s() -> None:
    backoff = Backoff(clock=FakeClock(), random=lambda: 0.5)
    for _ in range(8):
        backoff.failed()
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.is_due()
    assert backoff.failed() == 2.0


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Backoff(initial_delay_s=0)
    with pytest.raises(ValueError):
        Backoff(initial_delay_s=10, max_delay_s=5)
    with pytest.raises(ValueError):
        Backoff(jitter_fraction=1.0)
