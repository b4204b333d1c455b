"""Round twelve, things that block: every path and stream the program opens, reads or writes.

Each test reproduces one finding with real parts (the installed program in a process of its
own, FIFOs nobody reads or writes, pipes that stop being read) and failed before its fix
(R12block.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import keyring
import pytest
from report_sessions import write_big_session
from servers import free_port

from anchordesk.cli.main import main as cli_main
from anchordesk.core import secrets
from anchordesk.live.reports import session_summary
from anchordesk.showfile.samples import sample_show_path

from ..disks import fill, tmpfs
from ..live_runs import SMALL, LiveRun, child_env, run_live
from .test_round_11_net import _full_pipe


def test_a_youtube_quota_file_that_is_a_pipe_is_said_and_never_waited_for(tmp_path: Path) -> None:
    # Before: `anchordesk live --feed youtube-chat=…` hung for ever before its first frame,
    # deaf to SIGTERM (killed by the harness after 30 s): the day's quota file in the data
    # folder was read with a blocking open(), which waits for a program to write the pipe.
    folder = tmp_path / "xdg_data_home" / "AnchorDesk"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "youtube-quota.json")
    feed = "youtube-chat=http://127.0.0.1:9/youtube/v3/liveChat/messages?liveChatId=abc"
    run = run_live(
        *SMALL,
        *("--record", str(tmp_path / "r.mkv"), "--feed", feed, "--seconds", "1"),
        env=child_env(tmp_path),
        timeout_s=30,
    )
    assert run.process.returncode == 0, run.stderr
    said = (
        f"YouTube quota: {folder}/youtube-quota.json cannot be read (a pipe, not a file): "
        "counting from 0"
    )
    assert run.stderr.count(said) == 1  # once, though read by the check and the run (R12 L3)
    assert (tmp_path / "r.mkv").stat().st_size > 0


# A Secret Service that owns its name on the bus and never answers a call (a hung
# gnome-keyring, an unlock prompt nobody sees): it says "call" for each call it swallows.
_HUNG_SECRET_SERVICE = """
import sys
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

connection = open_dbus_connection(bus=sys.argv[1])
connection.send_and_get_reply(message_bus.RequestName("org.freedesktop.secrets"))
print("ready", flush=True)
while True:
    connection.receive()
    print("call", flush=True)
"""


@pytest.fixture
def hung_secret_service(tmp_path: Path) -> Iterator[tuple[str, IO[str]]]:
    """A private session bus (dbus-daemon) whose Secret Service never answers: its address,
    and the service's lines ("call" for each call it received)."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed")
    bus = subprocess.Popen(
        [
            "dbus-daemon",
            "--session",
            "--nofork",
            "--print-address=1",
            f"--address=unix:path={tmp_path / 'bus'}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    service = subprocess.Popen(
        [sys.executable, "-c", _HUNG_SECRET_SERVICE, address], stdout=subprocess.PIPE, text=True
    )
    assert service.stdout is not None
    try:
        assert service.stdout.readline().strip() == "ready"
        yield address, service.stdout
    finally:
        for process in (service, bus):
            process.kill()
            process.wait(10)


def test_a_keyring_that_never_answers_does_not_hold_the_run_or_its_stop(
    tmp_path: Path, hung_secret_service: tuple[str, IO[str]]
) -> None:
    # Before: `anchordesk live --feed …` asked the keyring for the feed's token and waited for
    # ever before its first line, deaf to SIGTERM (killed by the harness): a D-Bus call has no
    # timeout, and the signal handler cannot interrupt it.
    address, calls = hung_secret_service
    run = LiveRun(
        *SMALL,
        *("--record", str(tmp_path / "r.mkv"), "--feed", "json=http://127.0.0.1:9/feed"),
        env=child_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=address),
    )
    try:
        while calls.readline().strip() != "call":  # the keyring was asked: it never answers
            pass
        sent_at = run.send(signal.SIGTERM)
        assert run.wait(10) == 0, run.stderr
    finally:
        run.kill()
    assert run.ended_at_s is not None and run.ended_at_s - sent_at < 2.0
    # Since round nineteen a stop before any file of the run ends the process at once (the
    # imports could hold it 4-10 s on a loaded machine): it says the stop, not the keyring's
    # fallback for a run that no longer goes on.
    assert "SIGTERM during start-up: stopped before the picture started" in run.stderr


def test_a_keyring_that_never_answers_is_given_up_after_its_deadline(
    hung_secret_service: tuple[str, IO[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the first keyring call of a run waited for ever; now the run goes on without the
    # keyring (secrets in memory for this run), saying why.
    from keyring.backends import SecretService

    address, _ = hung_secret_service
    # Taken before the bus is named: keyring chooses its default backend on the first call,
    # and with the bus set it would choose the Secret Service for every later test.
    previous = keyring.get_keyring()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    keyring.set_keyring(SecretService.Keyring())
    try:
        store = secrets.SecretStore()
        store.deadline_s = 0.3
        assert store.get("feed/f1/token") is None
        assert store.fallback_reason == "the system keyring did not answer within 0.3 s"
        store.set("feed/f1/token", "t0ken")  # kept in memory for the run, not waited for
        assert store.get("feed/f1/token") == "t0ken"
    finally:
        keyring.set_keyring(previous)


def test_the_audience_server_with_an_output_nobody_reads_still_stops_at_once(
    tmp_path: Path,
) -> None:
    # Before: `anchordesk audience` printed its address with print(); into a pipe nobody reads
    # (a log collector that hangs, a terminal paused with Ctrl+S) the main thread blocked there
    # for ever, deaf to SIGTERM (its handler only sets an event), the server serving on.
    sample = sample_show_path("en")
    assert sample is not None
    port = free_port()
    read_end, write_end = _full_pipe()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anchordesk",
            "audience",
            "--show",
            str(sample),
            "--port",
            str(port),
        ],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    os.close(write_end)
    try:
        while True:  # serving: its address is in the pipe nobody reads
            with contextlib.suppress(OSError):  # not listening yet
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            assert process.poll() is None, process.communicate()[1]
        sent_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0, process.communicate()[1]
        stop_s = time.monotonic() - sent_at
        assert stop_s < 2.0, (stop_s, process.communicate()[1])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        os.close(read_end)


def test_a_sigterm_the_moment_the_audience_server_listens_is_a_clean_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the server's constructor binds and listens, and the SIGTERM handler came after
    # it: a client that connected and sent SIGTERM in between killed the process by the
    # default action (exit -15, nothing said; the test above failed so once in CI). Here the
    # signal comes from inside the constructor, the moment the socket listens.
    from anchordesk.feeds import audience

    sample = sample_show_path("en")
    assert sample is not None
    real_server = audience.AudienceServer
    handler_when_listening: list[object] = []

    def listening_then_signalled(*args: object, **kwargs: object) -> audience.AudienceServer:
        server = real_server(*args, **kwargs)  # type: ignore[arg-type]
        handler_when_listening.append(signal.getsignal(signal.SIGTERM))
        if handler_when_listening[0] in (signal.SIG_DFL, None):
            server.stop()  # the signal would kill the test run itself: fail instead
            raise OSError("no SIGTERM handler while the server listened")
        os.kill(os.getpid(), signal.SIGTERM)
        return server

    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(audience, "AudienceServer", listening_then_signalled)
    try:
        assert cli_main(["audience", "--show", str(sample), "--port", "0"]) == 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert handler_when_listening[0] not in (signal.SIG_DFL, None)
    assert "Served 0 comments and 0 orders" in capsys.readouterr().out


def test_a_whole_session_on_a_disk_the_show_filled_still_gives_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "error: anchordesk report: …/S.adsession: not a usable session file (disk I/O
    # error)", exit 2: SQLite could not make the WAL index (-shm) beside the file on the full
    # disk, and only a read-only folder was read without it.
    whole = tmp_path / "S.adsession"
    write_big_session(whole)
    assert cli_main(["report", str(whole), "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    with tmpfs(tmp_path / "disk", 1024) as disk:
        shutil.copyfile(whole, disk / "S.adsession")
        fill(disk)
        assert cli_main(["report", str(disk / "S.adsession"), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert report["orders"] == expected["orders"] > 300
    assert report["gmv_by_currency"] == expected["gmv_by_currency"]


def test_the_window_s_report_page_on_a_disk_that_fills_is_not_left_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: the page next to the session was written in place: 24 kB of it was left, cut
    # mid-tag, and the log had a traceback for the full disk.
    with tmpfs(tmp_path / "disk", 8 * 1024) as disk:
        session = disk / "S.adsession"
        write_big_session(session)
        fill(disk, leave_bytes=20_000)  # the session is read; its page (larger) does not fit
        with caplog.at_level(logging.WARNING, logger="anchordesk.live.reports"):
            summary = session_summary(session, "rehearsal")
        assert summary.html_path is None and summary.files == (session,)
        assert not (disk / "S.html").exists()
        assert [record.exc_info for record in caplog.records] == [None]
        assert caplog.records[0].getMessage() == (
            f"the report page {disk / 'S.html'} cannot be written (No space left on device); "
            "the session is kept"
        )
        assert summary.session_lines  # the dialog still shows the session's figures


def test_a_report_page_that_does_not_fit_on_the_disk_leaves_the_earlier_page_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the page was written in place: last week's page was replaced by 20 kB of the new
    # one, cut mid-tag, and only then "cannot write (No space left on device)".
    session = tmp_path / "S.adsession"
    write_big_session(session)
    earlier = "<!doctype html><p>the page of last week</p>\n"
    with tmpfs(tmp_path / "disk", 1024) as disk:
        page = disk / "page.html"
        page.write_text(earlier, encoding="utf-8")
        fill(disk, leave_bytes=20_000)
        # 1, not 2: a full disk is no mistake in the command (R26hunt26net F7).
        assert cli_main(["report", str(session), "--html", str(page)]) == 1
        assert page.read_text(encoding="utf-8") == earlier
        assert sorted(path.name for path in disk.iterdir()) == ["filler.bin", "page.html"]
    assert capsys.readouterr().err.strip() == (
        f"error: anchordesk report --html {page}: cannot write (No space left on device)"
    )


def test_desktop_install_replaces_pipes_at_its_files_names_and_never_waits(tmp_path: Path) -> None:
    # Before: a FIFO at the menu entry's name held `anchordesk desktop install` for ever
    # (killed by the harness after 30 s); one at the MIME file's name was a traceback
    # (shutil.SpecialFileError).
    data = tmp_path / "data"
    entry = data / "applications" / "io.github.anchordesk.AnchorDesk.desktop"
    mime = data / "mime" / "packages" / "io.github.anchordesk.AnchorDesk.xml"
    for fifo in (entry, mime):
        fifo.parent.mkdir(parents=True)
        os.mkfifo(fifo)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("anchordesk")), "desktop", "install"],
        env=child_env(tmp_path, XDG_DATA_HOME=str(data)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "Exec=" in entry.read_text(encoding="utf-8")
    assert "show.json" in mime.read_text(encoding="utf-8")
