"""Round three, paths (issue 10): a session, show or CSV path that is not a regular file, or
whose name holds what a URI or a terminal reads as syntax.

Before: ``anchordesk report /dev/stdin`` fed by a pipe (or ``<(cat x)``) said "no such session
file"; ``live --session`` on a FIFO, socket or device went on and made a lock file beside it;
``show import-csv -o`` a link loop ended in a traceback, and on a pipe, folder or device said
"the file exists; use --into …"; a session named ``x#1.adsession`` read as empty, one named
``y?mode=rw.adsession`` could not be read (its name was pasted into a SQLite URI); a session on
read-only media could not be read at all ("unable to open database file")."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_sessions import write_big_session

from anchordesk.cli import main as cli_main

from ..disks import tmpfs
from ..live_runs import SMALL, child_env, run_live

GIVE = "give the .adsession file's path"


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "show.adsession"
    write_big_session(path)
    return path


def _err(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]


@pytest.fixture
def odd_paths(tmp_path: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    """Paths that cannot be a file to read or write, and what each is."""
    fifo = tmp_path / "pipe.adsession"
    subprocess.run(["mkfifo", str(fifo)], check=True)
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "sock.adsession"))
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "file").write_text("x")
    try:
        yield {
            "pipe": (fifo, "is a pipe"),
            "socket": (tmp_path / "sock.adsession", "is a socket"),
            "device": (Path("/dev/null"), "is a device"),
            "folder": (tmp_path, "is a folder"),
            "loop": (tmp_path / "loop1", "cannot be reached (a symbolic link in the path loops)"),
            "not-a-folder": (
                tmp_path / "file" / "x",
                "cannot be reached (a part of the path is a file, not a folder)",
            ),
        }
    finally:
        listening.close()


@pytest.mark.parametrize("kind", ["pipe", "socket", "device", "folder", "loop", "not-a-folder"])
def test_report_says_what_the_path_is_in_one_line(
    kind: str, odd_paths: dict[str, tuple[Path, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, what = odd_paths[kind]
    assert cli_main(["report", str(path)]) == 2
    [line] = _err(capsys)
    assert line.startswith(f"error: anchordesk report: {path}: {what}")
    if kind in ("pipe", "socket", "device", "folder"):
        assert line.endswith(f", not a session file: {GIVE}")


@pytest.mark.integration
def test_report_of_dev_stdin_fed_by_a_pipe_names_the_pipe(session: Path) -> None:
    # A real shell pipe: `cat show.adsession | anchordesk report /dev/stdin`.
    with session.open("rb") as data:
        cat = subprocess.Popen(["cat"], stdin=data, stdout=subprocess.PIPE)
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "report", "/dev/stdin"],
            stdin=cat.stdout,
            capture_output=True,
            text=True,
            timeout=60,
        )
        cat.kill()
        cat.wait()
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("error")]
    assert errors == [
        f"error: anchordesk report: /dev/stdin: is a pipe, not a session file: {GIVE}"
    ]


@pytest.mark.parametrize("name", ["x#1.adsession", "y?mode=rw.adsession", "z%41 b.adsession"])
def test_a_session_whose_name_holds_uri_syntax_is_read(
    name: str, session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = session.rename(session.with_name(name))
    assert cli_main(["report", "--json", str(renamed)]) == 0
    assert '"orders": 407' in capsys.readouterr().out
    assert sorted(p.name for p in renamed.parent.iterdir() if not p.name.startswith(name)) == []


def test_a_name_with_control_characters_is_printed_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a\x1b]0;pwned\x07\nb.adsession"
    assert cli_main(["report", str(path)]) == 2
    [line] = _err(capsys)
    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith("a\\x1b]0;pwned\\x07\\nb.adsession: no such session file")


@pytest.mark.parametrize("kind", ["pipe", "socket", "device", "folder", "loop"])
def test_import_csv_refuses_an_output_or_into_that_cannot_be_a_show_file(
    kind: str,
    odd_paths: dict[str, tuple[Path, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, what = odd_paths[kind]
    rows = tmp_path / "products.csv"
    rows.write_text("sku,title,price,stock\nMUG,Mug,12.00,5\n", encoding="utf-8")
    assert cli_main(["show", "import-csv", str(rows), "-o", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{path}: error: {what}" + (
        "" if kind == "loop" else ", not a show file: give a .json file's path"
    )]  # fmt: skip
    assert (
        cli_main(
            ["show", "import-csv", str(rows), "--into", str(path), "-o", str(tmp_path / "o.json")]
        )
        == 2
    )
    assert capsys.readouterr().out.startswith(f"{path}: error: {what}")


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["pipe", "socket", "device", "loop"])
def test_live_refuses_a_session_path_that_cannot_be_one_before_anything_starts(
    kind: str, odd_paths: dict[str, tuple[Path, str]], tmp_path: Path
) -> None:
    path, what = odd_paths[kind]
    record = tmp_path / "show.mkv"
    run = run_live(
        *SMALL, "--session", str(path), "--record", str(record), "--seconds", "2",
        env=child_env(tmp_path),
    )  # fmt: skip
    assert run.process.returncode == 2, run.stderr
    [line] = [line for line in run.stderr.splitlines() if "error" in line]
    assert line.startswith(f"error: --session {path}: {what}")
    assert not record.exists() and not Path(f"{path}.lock").exists()


@pytest.mark.parametrize("with_wal", [False, True])
def test_a_session_on_read_only_media_is_reported(
    with_wal: bool, session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media = tmp_path / "usb"
    with tmpfs(media, 8192):
        copy = media / "show.adsession"
        expected = 407
        if with_wal:
            # A copy taken while a program still had the session open: the last orders are in
            # the -wal, not yet in the file itself.
            db = sqlite3.connect(session, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")  # as the running program has it
            db.execute("PRAGMA wal_autocheckpoint=0")
            db.execute("DELETE FROM orders WHERE rowid % 2 = 0")
            expected = db.execute("SELECT count(*) FROM orders").fetchone()[0]
            (media / "show.adsession-wal").write_bytes(Path(f"{session}-wal").read_bytes())
            copy.write_bytes(session.read_bytes())
            db.close()
        else:
            copy.write_bytes(session.read_bytes())
        subprocess.run(["mount", "-o", "remount,ro", str(media)], check=True)
        assert cli_main(["report", "--json", str(copy)]) == 0
        assert f'"orders": {expected},' in capsys.readouterr().out
    assert expected < 407 or not with_wal
