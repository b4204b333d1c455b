"""Round twenty-seven of issue 10, outputs and the command line (R27hunt27net.md): a console
that cannot show a character, secrets kept whole in an old session's report, a file-writing
command with its standard output closed, a session name starting with "-", a desktop install
whose rename fails, and a key pasted in --to's query beside ANCHORDESK_STREAM_KEY."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_the_report_on_a_console_that_cannot_show_its_characters_is_escaped(
    tmp_path: Path, encoding: str
) -> None:
    # Before: "CRITICAL anchordesk: uncaught exception" and a UnicodeEncodeError traceback
    # (the report's own narrow no-break space), exit 1, nothing printed.
    from report_sessions import write_big_session

    from faults.live_runs import child_env

    session = tmp_path / "s.adsession"
    write_big_session(session, currency="EUR", language="en")
    with open(tmp_path / "out.txt", "w") as out:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "report", str(session), "--lang", "en"],
            stdout=out, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path, PYTHONIOENCODING=encoding),
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    printed = (tmp_path / "out.txt").read_bytes().decode(encoding)
    assert "\\u2014" in printed or "\\u202f" in printed


def test_the_lines_saying_where_the_files_are_kept_reach_such_a_console_escaped(
    tmp_path: Path,
) -> None:
    # Before: exit 0 and standard output empty: "Recording kept in r€1.mkv" and "Session kept
    # in …" were dropped without a word (a UnicodeEncodeError is a ValueError, suppressed).
    from faults.live_runs import SMALL, child_env

    record = tmp_path / "r\u20ac1.mkv"
    session = tmp_path / "s\u20ac.adsession"
    with open(tmp_path / "out.txt", "w") as out:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--record", str(record), "--session", str(session)],
            stdout=out, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path, PYTHONIOENCODING="latin-1"),
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    printed = (tmp_path / "out.txt").read_text("latin-1")
    assert f"Recording kept in {tmp_path}/r\\u20ac1.mkv" in printed, printed
    assert f"Session kept in {tmp_path}/s\\u20ac.adsession" in printed, printed
