"""Round seventeen of issue 10, ``anchordesk live`` and its outputs (R17hunt17net.md).

Real parts: ``anchordesk live`` in a subprocess, its recording read back by ffprobe.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from faults.live_runs import SMALL, LiveRun, child_env, format_duration_s

pytestmark = pytest.mark.integration


def test_a_run_started_under_nohup_goes_on_when_its_terminal_hangs_up(tmp_path: Path) -> None:
    """``nohup anchordesk live … &`` (SIGHUP ignored), or the background job of a script
    (SIGINT ignored): the run took those signals anyway and stopped the show at the terminal's
    hang-up (the user logging out of ssh) or at a Ctrl+C meant for another program."""
    record = tmp_path / "a.mkv"
    run = LiveRun(
        *SMALL, "--record", str(record), "--seconds", "3",
        env=child_env(tmp_path), ignoring=(signal.SIGHUP, signal.SIGINT),
    )  # fmt: skip
    try:
        run.wait_for_line("output: recording")
        run.send(signal.SIGHUP)
        run.send(signal.SIGINT)
        code = run.wait()
    finally:
        run.kill()
    assert "stopping cleanly" not in run.stderr, run.stderr
    assert code == 0, run.stderr
    duration_s = format_duration_s(record)
    assert duration_s is not None and duration_s > 2.5, run.stderr
