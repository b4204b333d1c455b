"""Round eleven, network / disk / stopping / secrets: what the eleventh hostile round found.

Each test reproduces one finding with real parts (the installed program in a process of its
own, FIFOs, pipes that stop being read) and failed before its fix (R11net.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from anchordesk.cli.main import main

from ..disks import fill, tmpfs, unread_pipe
from ..live_runs import SMALL, LiveRun, child_env, format_duration_s, run_live


def test_a_log_file_that_is_a_pipe_is_said_and_the_run_goes_on(tmp_path: Path) -> None:
    # Before: the run hung for ever before its first line, deaf to SIGTERM (killed by the
    # harness after 30 s): logging opened the log file with a blocking open(), which waits for
    # a program to read the pipe. A user who made the log a FIFO to follow it elsewhere, then
    # closed the reader, could no longer start AnchorDesk (nor the window: the same log).
    folder = tmp_path / "state" / "AnchorDesk" / "log"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "anchordesk.log")
    run = run_live(
        *SMALL, "--record", str(tmp_path / "show.mkv"), "--seconds", "1",
        env=child_env(tmp_path, XDG_STATE_HOME=str(tmp_path / "state")), timeout_s=30,
    )  # fmt: skip
    assert run.process.returncode == 3, run.stderr
    assert run.stderr.strip().splitlines()[-2] == (
        f"error: log file: never written: the log file {folder}/anchordesk.log is a pipe, "
        "not a file"
    )
    assert (tmp_path / "show.mkv").stat().st_size > 0


def _full_pipe() -> tuple[int, int]:
    """A pipe of one page, already full: a terminal paused with Ctrl+S, or a pipe whose reader
    stopped reading. Filled through a descriptor of its own, so the program's stays blocking."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
    filler = os.open(f"/proc/self/fd/{write_end}", os.O_WRONLY | os.O_NONBLOCK)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(filler, b"#" * 512)
    os.close(filler)
    return read_end, write_end


def test_a_console_nobody_reads_neither_freezes_the_show_nor_holds_its_stop(
    tmp_path: Path,
) -> None:
    # Before: the first line the run logged (before its picture started) waited for the full
    # pipe, so no --stats sample was ever written and SIGTERM was not obeyed: the run went on
    # until the pipe was read (killed after 20 s here). Mid-show (a terminal paused with
    # Ctrl+S 3 s in) its main loop stood still the same way: no --stats sample for 10 s, and
    # the stop took 6.07 s, the time the terminal took to be read again.
    read_end, write_end = _full_pipe()
    stats = tmp_path / "s.jsonl"
    command = [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "60"]
    command += ["--record", str(tmp_path / "show.mkv"), "--stats", str(stats)]
    process = subprocess.Popen(
        command, stdout=write_end, stderr=write_end, stdin=subprocess.DEVNULL,
        env=child_env(tmp_path),
    )  # fmt: skip
    os.close(write_end)
    try:
        deadline = time.monotonic() + 60
        while _samples(stats) < 3:  # the show goes on while nothing reads its console
            assert process.poll() is None and time.monotonic() < deadline, "no --stats samples"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0  # ended with its console still unread
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(read_end)
    assert format_duration_s(tmp_path / "show.mkv") is not None  # the recording finished
    assert "stopped" in (tmp_path / "xdg_state_home/AnchorDesk/log/anchordesk.log").read_text()


def _samples(stats: Path) -> int:
    try:
        return stats.read_text().count("\n")
    except FileNotFoundError:
        return 0


def test_lines_a_console_could_not_take_are_counted_and_said_when_it_is_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from anchordesk.core import logs

    monkeypatch.setattr(logs, "CONSOLE_BACKLOG_CHARS", 100)
    read_end, write_end = _full_pipe()
    try:
        with os.fdopen(os.dup(write_end), "w") as stream:
            writer = logs._ConsoleWriter(stream, write_end, "standard error")
            for n in range(20):
                writer.put(f"line {n:02} of the show\n")  # never waits
            with os.fdopen(read_end, "rb", closefd=False) as reader:
                assert reader.read(4096) == b"#" * 4096
                assert writer.drain(10)
                os.set_blocking(read_end, False)
                said = reader.read().decode()
    finally:
        os.close(read_end)
        os.close(write_end)
    *shown, note = said.splitlines()
    # What the backlog held comes first, in order (which lines the thread took before the
    # pipe blocked it varies); every line past it is counted, none is lost without a word.
    assert shown == [f"line {n:02} of the show" for n in range(len(shown))]
    assert note == (
        f"... {20 - len(shown)} lines not shown here: standard error was not being read (a "
        "terminal paused with Ctrl+S, or a pipe whose reader stopped); the log file has them"
    )
    assert 4 <= len(shown) <= 6


def test_a_recording_whose_pipe_stopped_being_read_is_said_stuck_and_the_stop_does_not_wait(
    tmp_path: Path,
) -> None:
    # Before: --record FIFO whose reader stopped reading (a player paused, a tool that hung):
    # the health line and --stats said "recording f.mkv: live 851 kbps" (the last rate
    # measured) for as long as it lasted, with no word; the stop then waited 1.5 s for the
    # writer more, and the process was gone 1.7-1.9 s after SIGTERM.
    stats = tmp_path / "s.jsonl"
    with unread_pipe(tmp_path / "f.mkv") as fifo:
        run = LiveRun(*SMALL, "--record", str(fifo), "--stats", str(stats), env=child_env(tmp_path))
        try:
            run.wait_for_line("nothing could be written to", 60)
            run.send(signal.SIGTERM)
            assert run.wait(30) == 3, run.stderr
        finally:
            run.kill()
    said = [
        output
        for line in stats.read_text().splitlines()
        for output in json.loads(line)["outputs"]
        if output["last_error"] is not None
    ]
    assert said and said[0]["state"] == "stuck" and said[0]["bitrate_kbps"] == 0.0
    assert said[0]["last_error"].startswith(f"nothing could be written to {fifo} for ")
    # Said stuck at once at the stop, not after waiting 1.5 s more for the writer.
    assert f"error: cannot finish the recording: nothing could be written to {fifo} for " in (
        run.stderr
    )


def test_a_settings_file_that_is_a_pipe_is_said_and_never_waited_for(tmp_path: Path) -> None:
    # Before: `anchordesk live --to youtube` (a saved destination) hung for ever before its
    # first line, deaf to SIGTERM (killed by the harness after 30 s): the settings were read
    # with a blocking open(), which waits for a program to write into the pipe.
    folder = tmp_path / "xdg_config_home" / "AnchorDesk"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "settings.json")
    run = run_live(*SMALL, "--to", "youtube", "--no-record", env=child_env(tmp_path), timeout_s=30)
    assert run.process.returncode == 2, run.stderr
    assert f"settings: {folder}/settings.json is a pipe, not a file; using defaults" in run.stderr
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .startswith("error: --to youtube: no saved destination of that name")
    )


def test_a_full_disk_under_the_default_session_folder_is_said_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: without --session, a session kept in the user's data folder on a full disk
    # passed round ten's check (an empty file fits), the recording began, and then the
    # session's open said "error: --session: the disk holding …/rehearsal_….adsession is
    # full" (an option the user never gave), exit 2, a stray 4.6 kB show.mkv left behind
    # (the next run then recorded into show-2.mkv).
    with tmpfs(tmp_path / "disk", 512) as disk:
        (disk / "data").mkdir()
        fill(disk)
        monkeypatch.setenv("XDG_DATA_HOME", str(disk / "data"))
        args = ["live", *SMALL, "--record", str(tmp_path / "show.mkv"), "--seconds", "1"]
        assert main([*args, "--feed", "json=http://127.0.0.1:9/feed"]) == 2
        sessions = disk / "data" / "AnchorDesk" / "sessions"
        assert capsys.readouterr().err.strip().splitlines()[-1] == (
            f"error: the session cannot be kept in {sessions}: the disk holding "
            f"{sessions}/.anchordesk-write-test-{os.getpid()}.adsession is full; give "
            "--session PATH on a "
            "disk that can be written"
        )
        assert not list(sessions.iterdir())
    assert not (tmp_path / "show.mkv").exists()


# The program as a user's shell starts it: the console script's entry point, loaded from the
# installed package's metadata; a Ctrl+C sent while the command line's module is imported (0.04
# to 0.15 s after start).
_CTRL_C_AS_THE_COMMAND_LINE_LOADS = """
import builtins, os, signal, sys
from importlib.metadata import entry_points
real_import = builtins.__import__
def ctrl_c_while_loading(name, *args, **kwargs):
    if name.startswith("anchordesk.cli"):
        builtins.__import__ = real_import
        os.kill(os.getpid(), signal.SIGINT)
    return real_import(name, *args, **kwargs)
builtins.__import__ = ctrl_c_while_loading
program = entry_points(group="console_scripts")["anchordesk"].load()
sys.argv = ["anchordesk", "show", "check", sys.argv[1]]
sys.exit(program())
"""


def test_ctrl_c_as_the_program_starts_stops_it_without_a_traceback(tmp_path: Path) -> None:
    # Before: 8 runs of 8 with SIGINT 0.04-0.15 s after start printed a KeyboardInterrupt
    # traceback (from inside an import of the command line) and exited 1.
    show = tmp_path / "show.json"
    show.write_text("{}", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_AS_THE_COMMAND_LINE_LOADS, str(show)],
        capture_output=True, text=True, timeout=60, env=child_env(tmp_path),
    )  # fmt: skip
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    assert done.returncode == 130  # as a shell reports a Ctrl+C
    assert done.stdout == ""  # stopped before the command ran
