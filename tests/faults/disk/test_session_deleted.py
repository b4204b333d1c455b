"""Round five L2: the session file deleted while ``anchordesk live --session S`` runs.

A clean-up script or a user tidying a folder removed the session file (with its ``-wal``,
``-shm`` and lock) mid-show: the run said "session ended: S" and exited 0, and every comment
and order was gone with the last descriptor. The store now writes itself again from the open
connection (store/session_restore.py) and goes on there, or says it cannot (exit 3). Real
``anchordesk live`` runs against a real JSON feed server, the real report.
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.cli import main as cli_main

from ..feeds.test_round_05_feeds import kept
from ..live_runs import SMALL, LiveRun, child_env

pytestmark = pytest.mark.integration


def start(tmp_path: Path, session: Path, url: str) -> LiveRun:
    return LiveRun(
        *SMALL,
        "--feed",
        f"json={url}",
        "--session",
        str(session),
        env=child_env(tmp_path),
    )


def wait_kept(run: LiveRun, session: Path, expected: tuple[int, int]) -> None:
    import time

    deadline = time.monotonic() + 60
    while kept(session) != expected:
        assert run.process.poll() is None, run.stderr
        assert time.monotonic() < deadline, f"kept {kept(session)}:\n{run.stderr}"
        time.sleep(0.05)


def test_a_session_file_deleted_mid_show_is_written_again_with_every_order_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = JsonFeedServer(poll_ms=200)
    feed.add_comment("amy", "is the mug dishwasher safe?")
    for quantity in (1, 2, 3):
        feed.add_order("MUG", quantity, "12.50")
    folder = tmp_path / "sessions"
    session = folder / "S.sqlite"
    with feed:
        run = start(tmp_path, session, feed.url)
        try:
            wait_kept(run, session, (1, 3))
            shutil.rmtree(folder)  # the file, its -wal and -shm, and its lock file
            run.wait_for_line("was deleted, or its disk went away: written again")
            for quantity in (4, 5):
                feed.add_order("MUG", quantity, "12.50")
            feed.add_comment("bo", "two please")
            wait_kept(run, session, (2, 5))
            assert (folder / "S.sqlite.lock").exists(), "the lock follows the file"
            run.send(signal.SIGTERM)
            assert run.wait(30) == 0, run.stderr
        finally:
            run.kill()
    said = [line for line in run.stderr.splitlines() if "was deleted" in line]
    assert len(said) == 1, run.stderr
    assert (
        f"the session file {session} was deleted, or its disk went away: written again into "
        f"{session};" in said[0]
    )
    assert "Traceback" not in run.stderr
    capsys.readouterr()
    assert cli_main(["report", str(session), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["orders"] == 5 and printed["comments"] == 2
    assert printed["units_by_sku"] == {"MUG": 15}
    assert printed["gmv"] == "187.50"


def test_a_session_file_whose_name_now_leads_to_another_file_goes_on_under_a_numbered_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = JsonFeedServer(poll_ms=200)
    feed.add_order("MUG", 1, "12.50")
    session = tmp_path / "S.sqlite"
    with feed:
        run = start(tmp_path, session, feed.url)
        try:
            wait_kept(run, session, (0, 1))
            for name in ("S.sqlite", "S.sqlite-wal", "S.sqlite-shm"):
                (tmp_path / name).unlink(missing_ok=True)
            session.write_text("someone else's notes\n", encoding="utf-8")
            run.wait_for_line("was deleted, or its disk went away: written again")
            feed.add_order("MUG", 2, "12.50")
            wait_kept(run, tmp_path / "S-2.sqlite", (0, 2))
            run.send(signal.SIGTERM)
            assert run.wait(30) == 0, run.stderr
        finally:
            run.kill()
    assert session.read_text(encoding="utf-8") == "someone else's notes\n", "never replaced"
    assert "(under a new name, S-2.sqlite)" in run.stderr
    assert f"session ended: {tmp_path / 'S-2.sqlite'}" in run.stderr
    capsys.readouterr()
    assert cli_main(["report", str(tmp_path / "S-2.sqlite"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["orders"] == 2


def test_a_session_file_that_cannot_be_written_again_is_a_fault_said_once(
    tmp_path: Path,
) -> None:
    feed = JsonFeedServer(poll_ms=200)
    feed.add_order("MUG", 1, "12.50")
    folder = tmp_path / "sessions"
    session = folder / "S.sqlite"
    with feed:
        run = start(tmp_path, session, feed.url)
        try:
            wait_kept(run, session, (0, 1))
            shutil.rmtree(folder)
            # A file where the folder was: the folder cannot be made again (as root, a
            # read-only folder would not stop the writer).
            folder.write_text("", encoding="utf-8")
            run.wait_for_line("cannot be written again")
            feed.add_order("MUG", 2, "12.50")
            run.send(signal.SIGTERM)
            code = run.wait(30)
        finally:
            run.kill()
    assert code == 3, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: session")]
    assert len(errors) == 1, run.stderr
    assert (
        f"session store {session}: stopped writing: the file was deleted and cannot" in (errors[0])
    )
