"""When to try again: the one backoff of the program.

``exponential_delay_s`` is the schedule every retry uses (the feeds' pollers with their own
jitter, see ``feeds/poller.py``); ``Backoff`` is the stateful form a network destination keeps.

Exponential backoff (2 s, x1.5 each failure, capped at 60 s) with jitter, so that many streamers
dropped by the same ingest outage do not all hammer it again in the same second. There is no
retry limit: a live show keeps trying until the user stops it. The clock and the random source
are injected so the schedule is tested without sleeping.
"""

from __future__ import annotations

import random as random_module
import time
from collections.abc import Callable


def exponential_delay_s(attempt: int, initial_s: float, factor: float, cap_s: float) -> float:
    """The delay before retry number ``attempt`` (1-based), without jitter: ``initial_s``
    times ``factor`` per earlier failure, never above ``cap_s``."""
    if attempt <= 0:
        return 0.0
    # Capping the exponent keeps a show that has been retrying for days from overflowing.
    exponent = min(attempt - 1, 64)
    return float(min(initial_s * factor**exponent, cap_s))


class Backoff:
    """The retry schedule of one destination.

    Call :meth:`failed` after each failed attempt (it schedules the next one), :meth:`wait_s`
    for the time left, :meth:`skip_wait` for the user's "reconnect now", :meth:`reset` once a
    connection has proven stable.
    """

    def __init__(
        self,
        initial_delay_s: float = 2.0,
        factor: float = 1.5,
        max_delay_s: float = 60.0,
        jitter_fraction: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        if initial_delay_s <= 0 or factor < 1 or max_delay_s < initial_delay_s:
            raise ValueError("backoff needs 0 < initial_delay_s <= max_delay_s and factor >= 1")
        if not 0 <= jitter_fraction < 1:
            raise ValueError("jitter_fraction must be in [0, 1)")
        self.initial_delay_s = initial_delay_s
        self.factor = factor
        self.max_delay_s = max_delay_s
        self.jitter_fraction = jitter_fraction
        self._clock = clock
        self._random = random
        self._attempt = 0
        self._retry_at_s: float | None = None

    @property
    def attempt(self) -> int:
        """Failures since the last reset; the next attempt is number ``attempt``."""
        return self._attempt

    def base_delay_s(self, attempt: int) -> float:
        """The delay before retry number ``attempt`` (1-based) without jitter."""
        return exponential_delay_s(attempt, self.initial_delay_s, self.factor, self.max_delay_s)

    def failed(self) -> float:
        """Record one failure and schedule the next attempt; returns the delay in seconds."""
        self._attempt += 1
        base = self.base_delay_s(self._attempt)
        # Uniform jitter of +-jitter_fraction around the base, never above the cap.
        spread = (2.0 * self._random() - 1.0) * self.jitter_fraction
        delay_s = min(base * (1.0 + spread), self.max_delay_s)
        self._retry_at_s = self._clock() + delay_s
        return delay_s

    def wait_s(self) -> float:
        """Seconds until the scheduled attempt (0 when due or nothing is scheduled)."""
        if self._retry_at_s is None:
            return 0.0
        return max(0.0, self._retry_at_s - self._clock())

    def is_due(self) -> bool:
        return self.wait_s() <= 0.0

    def skip_wait(self) -> None:
        """Make the scheduled attempt due now (the user pressed "reconnect now")."""
        if self._retry_at_s is not None:
            self._retry_at_s = self._clock()

    def reset(self) -> None:
        """Forget past failures: the next failure waits ``initial_delay_s`` again."""
        self._attempt = 0
        self._retry_at_s = None
