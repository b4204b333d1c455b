"""Round twenty-six of issue 10, outputs and the command line (R26hunt26net.md): the leftovers
of rounds 24-25 (help into a full disk, stop signals in start-up, a broken image as the camera,
device names, a closed standard output, a half-made desktop install) and what the round found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("asked", [["--help"], ["live", "--help"], ["report", "--help"]])
def test_help_into_a_full_disk_with_unbuffered_output_is_said(
    tmp_path: Path, asked: list[str]
) -> None:
    # Before: with PYTHONUNBUFFERED set (as on this machine and in many containers) argparse
    # wrote --help straight to /dev/full, swallowed the error itself and the run exited 0.
    from faults.live_runs import child_env

    env = child_env(tmp_path, PYTHONUNBUFFERED="1")
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", *asked],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, env=env,
        )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr == "error: the output is incomplete: the disk holding /dev/full is full\n"
