"""The stop requests of ``anchordesk live``: the first one counts, one that came before the
loop runs is not lost, and the stop budget is counted from the request (an injected clock)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from anchordesk.cli.stopping import STOP_BUDGET_S, StopRequests


class Clock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def test_a_request_before_the_loop_runs_stops_it_at_once() -> None:
    clock = Clock()
    stops = StopRequests(clock)
    stops.request("SIGTERM")  # during start-up, before any loop exists
    clock.now_s += 0.3
    stops.request("SIGINT")  # a second one changes nothing

    async def run() -> bool:
        event = asyncio.Event()
        stops.attach(event)
        await asyncio.wait_for(event.wait(), 1.0)
        stops.detach()
        return event.is_set()

    assert asyncio.run(run())
    assert stops.reason == "SIGTERM" and stops.requested_at_s == 100.0
    assert abs((stops.seconds_since() or 0.0) - 0.3) < 1e-9
    assert abs(stops.time_left_s() - (STOP_BUDGET_S - 0.3)) < 1e-9
    clock.now_s += 10
    assert stops.time_left_s() == 0.05  # never zero: each step still gets a moment


def test_signals_reach_a_running_loop_and_the_handlers_are_given_back() -> None:
    previous = signal.getsignal(signal.SIGHUP)
    stops = StopRequests()

    async def run() -> None:
        event = asyncio.Event()
        stops.attach(event)
        os.kill(os.getpid(), signal.SIGHUP)  # the default action would end the process
        await asyncio.wait_for(event.wait(), 5.0)
        stops.detach()

    stops.install()
    try:
        asyncio.run(run())
    finally:
        stops.uninstall()
    assert stops.reason == "SIGHUP"
    assert signal.getsignal(signal.SIGHUP) == previous


# Run in a child: it changes the process's signal handlers and its unraisable hook for good.
_AFTER_THE_RUN = r"""
import signal
from anchordesk.cli import stopping

stops = stopping.install()
signal.raise_signal(signal.SIGTERM)
stopping.forget(keep_handlers=True)
assert stops.reason == "SIGTERM", stops.reason
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    assert signal.getsignal(number) is signal.SIG_IGN, number
    signal.raise_signal(number)  # a burst after the run: ignored
# A signal noted at the C level just before its handler became SIG_IGN is reported by CPython at
# the next check as below: that report is dropped, any other one is not.
class Reported:
    def __init__(self, message):
        self.message = message

    def __del__(self):  # an exception here goes to sys.unraisablehook, as CPython's report does
        raise OSError(self.message)

Reported("Signal 15 ignored due to race condition")
Reported("Signal 15 broke something else")
print("done", flush=True)
"""


def test_stop_signals_after_the_run_are_ignored_without_a_traceback() -> None:
    # Before: Ctrl+C and SIGTERM in a loop after the files were finished printed "OSError:
    # Signal 15 ignored due to race condition" with a traceback (once in CI, exit code 0). The
    # moment itself cannot be made to happen from Python (a handler runs at the next bytecode);
    # tests/faults/network/test_round_03_media.py sends such a burst to a real run.
    done = subprocess.run(
        [sys.executable, "-c", _AFTER_THE_RUN], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done\n"
    assert "ignored due to race condition" not in done.stderr, done.stderr
    assert "Signal 15 broke something else" in done.stderr
