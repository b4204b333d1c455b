"""The stop requests of ``anchordesk live``: the first one counts, one that came before the
loop runs is not lost, and the stop budget is counted from the request (an injected clock)."""

from __future__ import annotations

import asyncio
import os
import signal

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
