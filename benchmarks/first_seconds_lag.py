"""How far behind the viewers are in a connection's first seconds on a slow uplink, the network
child started late (tests/faults/network/test_round_24_lag.py's set-up: nginx-rtmp behind a
path at half the stream's rate, the child 1.5 s late).

Prints, per run, the median and the 75th percentile of the delay over the first 7 s (the stream
made minus the stream nginx has), and the load. A figure of the machine as much as of the rule:
idle 1.1-1.6 s at the median (4.0-5.6 s before round 24's fix), 2.9-4.2 s at a load of 8-9.

    PYTHONPATH=src:tests:tests/integration .venv/bin/python benchmarks/first_seconds_lag.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from faults.network.test_round_24_lag import first_seconds_behind_a_slow_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    for run in range(1, runs + 1):
        with tempfile.TemporaryDirectory() as folder:
            samples, _, _ = first_seconds_behind_a_slow_path(Path(folder), 9.0)
        first = sorted(delay_s for at_s, delay_s, _ in samples if at_s <= 7.0)
        load = os.getloadavg()[0]
        print(
            f"run {run}: median {first[len(first) // 2]:.2f} s, "
            f"p75 {first[len(first) * 3 // 4]:.2f} s, load {load:.2f}"
        )


if __name__ == "__main__":
    main()
