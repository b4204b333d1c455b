"""Round twenty-nine of issue 10: outputs, the command line, recording, stops (R29hunt29net.md).

Real parts: the real ``anchordesk live`` in a child process, SQLite session files, nginx-rtmp on
loopback and the real network child where a test says so.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from faults.live_runs import SMALL, child_env


def test_a_session_into_standard_output_on_a_file_holding_data_is_refused(
    tmp_path: Path,
) -> None:
    # Before: `--session /dev/stdout >> old.adsession` (and `1<> old.adsession` with
    # /proc/self/fd/1): SQLite opened the file behind the descriptor by its name and the run
    # went on inside the old session ("continuing"), exit 0, its figures mixed with the new
    # run's. `> new.adsession` (emptied by the shell) is still a new session.
    first = tmp_path / "first.adsession"
    with first.open("wb") as emptied:
        made = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--record", str(tmp_path / "a.mkv"), "--session", "/dev/stdout"],
            stdout=emptied, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert made.returncode == 0, made.stderr
    kept = first.read_bytes()
    with sqlite3.connect(first) as database:
        assert database.execute("pragma integrity_check").fetchone() == ("ok",)
    for mode, path in (("ab", "/dev/stdout"), ("r+b", "/proc/self/fd/1")):  # >> and 1<>
        with first.open(mode) as held:
            run = subprocess.run(
                [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
                 "--record", str(tmp_path / "b.mkv"), "--session", path],
                stdout=held, stderr=subprocess.PIPE, text=True, timeout=120,
                env=child_env(tmp_path),
            )  # fmt: skip
        assert run.returncode == 2, run.stderr
        assert run.stderr == (
            f"error: anchordesk live: --session {path}: standard output is a file that holds "
            "data already (>> or <>): a session is continued only by naming its file "
            "(--session FILE); send a new one to a new file (> FILE)\n"
        )
        assert first.read_bytes() == kept
        assert not (tmp_path / "b.mkv").exists()
