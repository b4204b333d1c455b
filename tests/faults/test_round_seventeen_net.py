"""Round seventeen of issue 10, ``anchordesk live`` and its outputs (R17hunt17net.md).

Real parts: ``anchordesk live`` in a subprocess, its recording read back by ffprobe.
"""

from __future__ import annotations

import signal
import subprocess
import sys
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


_WINDOW_HOLDS_UNDER_NOHUP = """
import signal
import subprocess
import sys
from anchordesk.cli.main import _hold_closing_signals
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts it
held = _hold_closing_signals()
signal.raise_signal(signal.SIGHUP)  # the terminal closes while the window's modules load
print(held, signal.getsignal(signal.SIGHUP) is signal.SIG_IGN)
"""


def test_the_window_started_under_nohup_is_not_closed_by_a_hang_up_while_it_loads(
    tmp_path: Path,
) -> None:
    # Before: the hang-up was held as a request to close: the window never opened.
    done = subprocess.run(
        [sys.executable, "-c", _WINDOW_HOLDS_UNDER_NOHUP],
        capture_output=True, text=True, timeout=60, env=child_env(tmp_path),
    )  # fmt: skip
    assert done.stdout == "[] True\n", done.stderr
