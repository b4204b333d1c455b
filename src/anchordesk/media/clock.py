"""The media clock: one monotonic time base for video and audio timestamps.

Wall-clock time can jump (NTP, suspend, the user changing the time zone); the media clock never
does. The pipeline asks the clock for "now" and sleeps until the next frame is due through it, so
tests and the A/V drift benchmark inject a :class:`ManualClock` and run an hour in a second.
"""

from __future__ import annotations

import threading
import time
from typing import Final, Protocol

#: A loop that only waited (for its next frame, its next look) and came back this much later
#: than it asked was not run meanwhile: the process was paused (Ctrl+Z, SIGSTOP, a laptop's
#: suspend) or given no processor. That time is no stage's and no server's doing.
PAUSED_S: Final = 1.5


class MediaClock(Protocol):
    def now_s(self) -> float:
        """Seconds since an arbitrary origin; never goes backwards."""

    def sleep_until(self, deadline_s: float, stop: threading.Event) -> bool:
        """Wait until ``now_s() >= deadline_s`` or ``stop`` is set; True if stopped."""


class MonotonicClock:
    """The real clock: ``time.monotonic`` with waits that a stop request interrupts."""

    def now_s(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline_s: float, stop: threading.Event) -> bool:
        remaining_s = deadline_s - time.monotonic()
        if remaining_s <= 0:
            return stop.is_set()
        return stop.wait(remaining_s)


class ManualClock:
    """A clock that moves only when told to (tests, simulations).

    ``sleep_until`` jumps straight to the deadline, so a pipeline driven by it runs as fast as
    the CPU allows while seeing exactly the timestamps it would see in real time. ``advance``
    simulates time lost elsewhere (a slow encode, a stalled thread).
    """

    def __init__(self, start_s: float = 0.0) -> None:
        self._now_s = start_s
        self._lock = threading.Lock()

    def now_s(self) -> float:
        with self._lock:
            return self._now_s

    def advance(self, delta_s: float) -> None:
        if delta_s < 0:
            raise ValueError("a media clock never goes backwards")
        with self._lock:
            self._now_s += delta_s

    def sleep_until(self, deadline_s: float, stop: threading.Event) -> bool:
        with self._lock:
            if deadline_s > self._now_s:
                self._now_s = deadline_s
        return stop.is_set()
