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


@pytest.mark.parametrize("form", ["text", "json", "html"])
def test_secrets_kept_whole_in_a_sessions_feeds_and_rejected_items_are_masked_by_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    # Before: "1 item rejected, not counted: 1 bad http://u:PWREASON@h/?token=SECRETD", the
    # comment source "wss://h/ws?access_token=SECRETB" in --json and the page, a rejected
    # detail's path key "rtmp://h/live/SECRETE" (only the stream lines were masked).
    import sqlite3

    from anchordesk.cli.main import main
    from anchordesk.store import SessionStore

    session = tmp_path / "s.adsession"
    SessionStore(session).close()
    feed = "http://u:SECRETP@h.example/feed?token=SECRETA"
    with sqlite3.connect(session) as db:
        db.execute(
            "INSERT INTO comments(source, id, received_at, published_at, author, text,"
            " is_moderator, is_owner, paid_amount, paid_currency, flagged_terms, is_question)"
            " VALUES ('wss://h.example/ws?access_token=SECRETB', 'c1', 1800000000,"
            " '2027-01-15T08:00:00Z', 'ann', 'hello', 0, 0, NULL, '', '[]', 0)"
        )
        db.execute(
            "INSERT INTO rejected_items(source, id, kind, item_id, received_at, reason, detail,"
            " raw) VALUES (?, 'r1', 'comment', 'x', 1800000001, ?, ?, '{}')",
            (feed, "bad http://u:SECRETR@h.example/?token=SECRETD",
             "detail rtmp://h.example/live/SECRETE and https://shop.example/api?key=SECRETK"),
        )  # fmt: skip
    db.close()
    page = tmp_path / "r.html"
    argv = {"text": [], "json": ["--json"], "html": ["--html", str(page)]}[form]
    assert main(["report", str(session), "--lang", "en", *argv]) == 0
    shown = capsys.readouterr().out + (page.read_text() if form == "html" else "")
    assert "SECRET" not in shown
    assert "h.example/live/****" in shown
    assert "h.example/feed?token=****" in shown
    if form == "json":
        assert "wss://h.example/ws?access_token=****" in shown


def test_import_csv_writing_its_file_runs_with_standard_output_closed(tmp_path: Path) -> None:
    # Before: `anchordesk show import-csv -o out.json p.csv >&-`: exit 2 "standard output is
    # closed (>&-): nowhere to print what it finds", out.json not written (its product is
    # the file; `show check` is the one whose product is what it prints).
    from faults.live_runs import child_env

    products = tmp_path / "p.csv"
    products.write_text("sku,name,price,stock\nA1,Thing,9.99,5\n")
    out = tmp_path / "out.json"
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "show", "import-csv", "-o", str(out), str(products)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
        env=child_env(tmp_path), preexec_fn=_close_standard_output,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "A1" in out.read_text()


def _close_standard_output() -> None:
    import os

    os.close(1)


def test_the_report_command_suggested_for_a_session_named_with_a_dash_can_be_pasted(
    tmp_path: Path,
) -> None:
    # Before: "report: anchordesk report -night.adsession"; pasted, "the following arguments
    # are required: session", exit 2.
    import shlex

    from faults.live_runs import SMALL, child_env

    env = child_env(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1", "--no-record",
         "--to", "rtmp://127.0.0.1:1/app/k", "--session=-night.adsession"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    said = (run.stdout + run.stderr).splitlines()
    line = next(line for line in said if "; report: " in line)
    pasted = shlex.split(line.split("; report: ")[1])
    assert pasted[:2] == ["anchordesk", "report"]
    report = subprocess.run(
        [sys.executable, "-m", "anchordesk", *pasted[1:]],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert "-night.adsession" in report.stdout


def test_desktop_install_with_a_folder_in_the_way_installs_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: exit 2 "…AnchorDesk.xml cannot be written (Is a directory); 1 files were
    # replaced before it": the menu entry installed alone (nothing was there to replace),
    # and the 12 icon folders it made left empty.
    from anchordesk.cli import desktop
    from anchordesk.cli.main import main

    monkeypatch.setattr(desktop, "this_executable", lambda: Path(sys.executable))
    share = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(share))
    in_the_way = share / "mime" / "packages" / "io.github.anchordesk.AnchorDesk.xml"
    (in_the_way / "x").mkdir(parents=True)
    before = sorted(share.rglob("*"))
    assert main(["desktop", "install"]) == 2
    err = capsys.readouterr().err
    assert sorted(share.rglob("*")) == before  # no file, no folder made
    assert err.count("\n") == 1, err
    assert err.endswith("AnchorDesk.xml cannot be written (Is a directory); nothing was "
                        "installed\n"), err  # fmt: skip


def test_files_written_together_are_put_back_when_a_later_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the files renamed before the failing one kept their new contents (an old one
    # overwritten, a new one left) and the folders made for them stayed.
    import errno
    import os

    from anchordesk.core import files

    old = tmp_path / "old.txt"
    old.write_bytes(b"old")
    new = tmp_path / "made" / "deep" / "new.txt"
    last = tmp_path / "last.txt"
    replace = os.replace

    def failing_last(source: str, target: object) -> None:
        if Path(str(target)) == last:
            raise OSError(errno.EIO, "Input/output error")
        replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "replace", failing_last)
    with pytest.raises(files.NotAllWritten) as failed:
        files.write_files_together({old: b"NEW", new: b"NEW", last: b"NEW"})
    assert failed.value.path == last and failed.value.placed == []
    assert old.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]


@pytest.mark.parametrize("query", ["key=PASTEDKEY", "token=PASTEDKEY", "txSecret=PASTEDKEY&x=1"])
def test_a_key_in_the_query_of_to_beside_the_environments_key_is_refused(
    tmp_path: Path, query: str
) -> None:
    # Before: exit 0, live, nginx-rtmp read "publish: name='ENVKEY' args='key=PASTEDKEY'":
    # both keys pushed without a word (only a key in the path was refused).
    from faults.live_runs import SMALL, child_env

    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1", "--no-record",
         "--to", f"rtmp://127.0.0.1:1/live?{query}"],
        capture_output=True, text=True, timeout=120,
        env=child_env(tmp_path, ANCHORDESK_STREAM_KEY="ENVKEY"),
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert "the address holds a stream key already and ANCHORDESK_STREAM_KEY gives one" in (
        run.stderr
    )
    assert "(rtmp://127.0.0.1:1/live)" in run.stderr
    assert "PASTEDKEY" not in run.stderr + run.stdout
