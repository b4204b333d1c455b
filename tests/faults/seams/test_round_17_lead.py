"""Round seventeen of issue 10, the lead's: what the round-sixteen hunters left."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from anchordesk.cli.main import main as cli_main

from ..live_runs import SMALL, child_env, run_live

pytestmark = pytest.mark.integration


def test_a_report_leaves_no_files_beside_a_session_closed_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before (R16net left): every ``anchordesk report`` left an empty ``-wal`` and a 32 kB
    ``-shm`` beside the session (a read-only reader of a WAL file makes them and cannot
    remove them). Now the session is closed as a plain file, read with nothing beside it,
    and the next run goes on writing it (with its orders of the first run kept)."""
    folder = tmp_path / "show"
    folder.mkdir()
    session = folder / "live.adsession"
    created: list[str] = []
    for _ in range(2):
        run = run_live(
            *SMALL, "--record", str(folder / "take.mkv"), "--session", str(session),
            "--seconds", "1.5", env=child_env(tmp_path),
        )  # fmt: skip
        assert run.process.returncode == 0, run.stderr
        for options in ((), ("--json",), ("--html", str(tmp_path / "r.html"))):
            assert cli_main(["report", str(session), *options]) == 0
        assert sorted(path.name for path in folder.iterdir()) == sorted(
            ["live.adsession", *(p.name for p in folder.glob("take*.mkv"))]
        )
        with closing(sqlite3.connect(session)) as db:
            created += db.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
    assert len(list(folder.glob("take*.mkv"))) == 2
    assert created[0] == created[1]  # the second run went on in the same session
    capsys.readouterr()
