"""The report's clock for a session whose wall clock was set many times (``--steps``).

``store/report_clock.SteadyClock`` takes the clock's steps back out of every row's wall time.
A row is placed in the stretch (between two steps) where its time reads closest to the show
clock; this prints how long placing every order takes, per row and in all, so that a session
from a machine with a broken time server (a step a minute) still gives its report at once.

    .venv/bin/python benchmarks/report_clock.py [--steps 600] [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import time

from anchordesk.store.report_clock import SteadyClock
from anchordesk.store.session import ShowEventRecord

T0 = 1_800_000_000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="clock steps in the session")
    parser.add_argument("--rows", type=int, default=100_000, help="orders to place")
    args = parser.parse_args()
    show_s = 3600.0
    events: list[ShowEventRecord] = []
    walls: list[float] = []
    # One segment event every show second of a one-hour show; every len/steps events the
    # wall clock jumps by +45 s or -40 s (more than STEP_S either way).
    every = max(1, int(show_s) // max(1, args.steps))
    offset = T0
    for second in range(int(show_s)):
        if second and second % every == 0:
            offset += 45.0 if (second // every) % 2 else -40.0
        events.append(
            ShowEventRecord(
                id=f"e{second}", kind="segment_started", at=offset + second, data={"at_s": second}
            )
        )
    clock = SteadyClock(events)
    offsets = [event.at - event.data["at_s"] for event in events]
    for row in range(args.rows):
        at_s = row * show_s / args.rows
        walls.append(offsets[int(at_s)] + at_s)
    started = time.perf_counter()
    steady = clock.times(walls)
    took_s = time.perf_counter() - started
    print(f"steps {clock.steps}, rows {len(steady):,}")
    print(f"placing every row: {took_s * 1000:.0f} ms ({took_s / len(steady) * 1e6:.2f} µs a row)")
    print(f"load average {os.getloadavg()[0]:.2f} (other processes inflate the figures)")


if __name__ == "__main__":
    main()
