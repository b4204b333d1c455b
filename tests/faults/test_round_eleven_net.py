"""Round eleven, network / disk / stopping / secrets: what the eleventh hostile round found.

Each test reproduces one finding with real parts (the installed program in a process of its
own, FIFOs, pipes that stop being read) and failed before its fix (R11net.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from .live_runs import SMALL, child_env, run_live


def test_a_log_file_that_is_a_pipe_is_said_and_the_run_goes_on(tmp_path: Path) -> None:
    # Before: the run hung for ever before its first line, deaf to SIGTERM (killed by the
    # harness after 30 s): logging opened the log file with a blocking open(), which waits for
    # a program to read the pipe. A user who made the log a FIFO to follow it elsewhere, then
    # closed the reader, could no longer start AnchorDesk (nor the window: the same log).
    folder = tmp_path / "state" / "AnchorDesk" / "log"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "anchordesk.log")
    run = run_live(
        *SMALL, "--record", str(tmp_path / "show.mkv"), "--seconds", "1",
        env=child_env(tmp_path, XDG_STATE_HOME=str(tmp_path / "state")), timeout_s=30,
    )  # fmt: skip
    assert run.process.returncode == 3, run.stderr
    assert run.stderr.strip().splitlines()[-2] == (
        f"error: log file: never written: the log file {folder}/anchordesk.log is a pipe, "
        "not a file"
    )
    assert (tmp_path / "show.mkv").stat().st_size > 0
