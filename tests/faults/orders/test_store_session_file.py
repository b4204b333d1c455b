"""One check decides whether a file is a session, for ``report`` and ``live --session`` alike:
a newer format or another program's database is refused in one line and left untouched
(issue 10)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main
from anchordesk.store import SessionStore, StoreError, StoreWriter
from anchordesk.store.session_check import APPLICATION_ID, SCHEMA_VERSION


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def application_id(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA application_id").fetchone()[0])


def refused_by_both(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The report's one line (exit 2), after checking the live show's writer says the same."""
    with pytest.raises(StoreError) as refused:
        StoreWriter(path)  # what `live --session` opens
    assert cli_main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(refused.value) in err
    return err


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('keep me')")
    return path


def test_a_new_session_is_marked_as_anchordesk_s(tmp_path: Path) -> None:
    SessionStore(tmp_path / "new.adsession").close()
    assert application_id(tmp_path / "new.adsession") == APPLICATION_ID


def test_a_newer_session_format_is_refused_by_report_and_live_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "future.adsession"
    SessionStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    before = digest(path)
    err = refused_by_both(path, capsys)
    assert f"session format {SCHEMA_VERSION + 1} is newer" in err
    assert digest(path) == before


def test_another_program_s_database_is_refused_and_left_as_it_was(
    foreign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = digest(foreign)
    err = refused_by_both(foreign, capsys)
    assert "not an AnchorDesk session file (tables notes)" in err
    assert digest(foreign) == before
    assert not Path(f"{foreign}-wal").exists(), "not even switched to WAL"
    # Our tables but another application's mark: refused too.
    marked = tmp_path / "marked.adsession"
    SessionStore(marked).close()
    with sqlite3.connect(marked) as db:
        db.execute("PRAGMA application_id = 1234")
    assert "another program" in refused_by_both(marked, capsys)


def test_a_session_written_before_the_mark_is_read_and_marked_when_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "legacy.adsession"
    SessionStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 0")
        db.execute("DROP TABLE rejected_items")  # as an older version left it
    assert cli_main(["report", str(path)]) == 0
    capsys.readouterr()
    StoreWriter(path).close()
    assert application_id(path) == APPLICATION_ID


@pytest.mark.integration
def test_live_session_with_a_foreign_database_exits_2_and_leaves_it(
    foreign: Path, tmp_path: Path
) -> None:
    before = digest(foreign)
    command = [sys.executable, "-m", "anchordesk", "live", "--session", str(foreign)]
    result = subprocess.run(
        [*command, "--seconds", "1", "--record", str(tmp_path / "r.mkv"), "--canvas", "320x180"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "not an AnchorDesk session file" in line and "Traceback" not in result.stderr
    assert digest(foreign) == before
