"""Round three, the session file (issue 10): damage a real session file byte by byte.

Found: one byte that is not UTF-8 in one row's text (a damaged sector, a hand edit) refused the
whole report ("cannot read orders (Could not decode to UTF-8 column 'lines' …)"), and in the
show kept in the session ("cannot be read (Could not decode … column 'value')") the same.
Held already (evidence): a file cut short anywhere, or a damaged B-tree page, is one line and
exit 2; a row whose JSON or number is damaged is skipped and listed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from report_sessions import write_big_session

from anchordesk.cli import main as cli_main


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "show.adsession"
    write_big_session(path)
    return path


def _spoil(path: Path, needle: bytes) -> None:
    """One byte of ``needle``'s first occurrence in the file becomes 0xFF (not UTF-8)."""
    data = bytearray(path.read_bytes())
    at = data.index(needle)
    data[at + len(needle) - 1] = 0xFF
    path.write_bytes(bytes(data))


def _orders(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as db:
        db.text_factory = bytes
        return [(seq, lines.decode()) for seq, lines in db.execute("SELECT seq, lines FROM orders")]


def test_a_byte_that_is_not_utf8_in_one_order_skips_that_order_only(
    session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lines = _orders(session)[41]
    # The quantity's digit becomes 0xFF: that row's JSON is unreadable, not the file.
    _spoil(session, lines.encode()[: lines.index('"quantity": ') + len('"quantity": ') + 1])
    assert cli_main(["report", "--json", str(session)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["orders"] == 406
    assert [row["table"] for row in report["unreadable_rows"]] == ["orders"]


def test_a_byte_that_is_not_utf8_in_a_name_reads_as_the_replacement_character(
    session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(session) as db:
        (show,) = db.execute("SELECT value FROM meta WHERE key = 'show'").fetchone()
    title = json.loads(show)["title"]
    _spoil(session, title.encode()[:4])
    assert cli_main(["report", "--json", str(session)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["orders"] == 407 and "\ufffd" in json.dumps(report, ensure_ascii=False)


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.6, 0.99])
def test_a_file_cut_short_is_one_line_or_a_report_never_a_traceback(
    session: Path, keep: float, capsys: pytest.CaptureFixture[str]
) -> None:
    data = session.read_bytes()
    session.write_bytes(data[: int(len(data) * keep)])
    code = cli_main(["report", str(session)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("error")]
    assert (code, len(errors)) in ((2, 1), (0, 0))


HOLD_LOCKED = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_file_another_program_holds_locked_is_said_to_be_busy_not_unusable(
    session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A database browser or a backup tool holding SQLite's exclusive lock: the report said
    # "not a usable session file (database is locked)", as if the file were damaged.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCKED, str(session)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        assert cli_main(["report", str(session)]) == 2
    finally:
        holder.kill()
        holder.wait()
    [line] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert line == (
        f"error: anchordesk report: {session}: another program holds this file locked "
        "(SQLite: database is locked); close it and try again"
    )
