"""The second round against ``anchordesk live`` as a user runs it (issue 10): a recording path
that is a pipe nobody reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .live_runs import SMALL, child_env, run_live

pytestmark = pytest.mark.integration


def test_a_fifo_nobody_reads_as_the_recording_ends_the_run_with_exit_code_3(
    tmp_path: Path,
) -> None:
    # A pipe is written as it is (like /dev/full); with no reader the writer blocks in open().
    # Before: "the writer did not finish" in the log, then exit code 0 as if the show had been
    # recorded.
    fifo = tmp_path / "show.mkv"
    os.mkfifo(fifo)
    run = run_live(*SMALL, "--record", str(fifo), "--seconds", "2", env=child_env(tmp_path))
    assert run.process.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, run.stderr
    # The wait is what is left of the stop budget (about 1 s).
    assert errors[0].startswith(f"error: cannot finish the recording: writing {fifo} did not end")
    assert errors[0].endswith("(a pipe nobody reads, or a stuck disk)")
    assert (
        errors[1] == "error: the show went on, but a file of this run stopped early (exit code 3)"
    )
    assert "Recording kept" not in run.stdout
