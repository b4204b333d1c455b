"""The second round against ``anchordesk live`` as a user runs it (issue 10): a recording path
that is a pipe nobody reads, two programs on one session file, a session path that cannot be
one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ..live_runs import SMALL, LiveRun, child_env, run_live

pytestmark = pytest.mark.integration


def test_a_fifo_nobody_reads_as_the_recording_ends_the_run_with_exit_code_3(
    tmp_path: Path,
) -> None:
    # A pipe is written as it is (like /dev/full); with no reader the writer blocks in open().
    # Before: "the writer did not finish" in the log, then exit code 0 as if the show had been
    # recorded.
    fifo = tmp_path / "show.mkv"
    os.mkfifo(fifo)
    run = run_live(*SMALL, "--record", str(fifo), "--seconds", "2", env=child_env(tmp_path))
    assert run.process.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, run.stderr
    # Round nine (R9net N12): said as what it is, and not waited for. The writer sat in a
    # blocking open() of the FIFO, deaf to the stop, which waited its whole 1.5 s (the run
    # ended 2.0 s after SIGTERM) and said "cannot finish the recording: writing … did not end
    # within 1.5 s (a pipe nobody reads, or a stuck disk)".
    assert (
        errors[0] == f"error: no program read the pipe {fifo} during the run: nothing was recorded"
    )
    assert errors[1] == "error: the show went on, but a file of this run is not whole (exit code 3)"
    assert "Recording kept" not in run.stdout


def test_a_second_program_on_the_same_session_is_refused_and_readers_stay_free(
    tmp_path: Path,
) -> None:
    # Before: both ran; each applied the feeds to a ledger of its own, their two timelines
    # went into one file, and the first to stop marked the session ended under the other.
    session = tmp_path / "show.adsession"
    env = child_env(tmp_path)
    first = LiveRun(*SMALL, "--session", str(session), "--seconds", "60", env=env)
    try:
        first.wait_for_line("Session: ")
        second = run_live(
            *SMALL,
            "--session",
            str(session),
            "--record",
            str(tmp_path / "second.mkv"),
            "--seconds",
            "2",
            env=env,
        )
        assert second.process.returncode == 2, second.stderr
        assert [line for line in second.stderr.splitlines() if "error" in line] == [
            f"error: --session: {session}: this session is open in another running "
            "AnchorDesk; stop that one first, or give another --session"
        ]
        assert not (tmp_path / "second.mkv").exists(), "refused before the picture started"
        # The report reads the file while the show goes on.
        report = subprocess.run(
            [sys.executable, "-m", "anchordesk", "report", str(session)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert report.returncode == 0, report.stderr
        first.send(signal.SIGINT)
        assert first.wait() == 0, first.stderr
    finally:
        first.kill()
    assert not session.with_name("show.adsession.lock").exists(), "no lock file left behind"
    # Once the first has ended, the same command continues the session.
    again = run_live(*SMALL, "--session", str(session), "--seconds", "1", env=env)
    assert again.process.returncode == 0, again.stderr


@pytest.mark.parametrize("kind", ["folder", "not-a-session"])
def test_a_session_path_that_cannot_be_one_is_refused_before_the_recording_starts(
    tmp_path: Path, kind: str
) -> None:
    # Before: the one line came after the recording had started, which left a stray file.
    session = tmp_path / "show.adsession"
    if kind == "folder":
        session.mkdir()
        expected = (
            f"error: --session {session}: is a folder, not a session file: "
            "give the .adsession file's path"
        )
    else:
        session.write_text("notes for the show\n")
        expected = (
            f"error: --session: {session}: not a usable session file (file is not a database)"
        )
    record = tmp_path / "show.mkv"
    run = run_live(
        *SMALL, "--session", str(session), "--record", str(record), "--seconds", "2",
        env=child_env(tmp_path),
    )  # fmt: skip
    assert run.process.returncode == 2, run.stderr
    assert [line for line in run.stderr.splitlines() if "error" in line] == [expected]
    assert not record.exists()


@pytest.mark.parametrize("command", ["report", "show check"])
def test_a_reader_that_went_away_is_no_traceback(tmp_path: Path, command: str) -> None:
    # `anchordesk report s.adsession | head`: BrokenPipeError with a traceback (exit 1), or
    # "Exception ignored ... BrokenPipeError" (exit 120) when the output fit in the buffer.
    from anchordesk.core.paths import resources_dir
    from anchordesk.store.session import SessionStore

    session = tmp_path / "s.adsession"
    SessionStore(session).close()
    target = session if command == "report" else resources_dir() / "shows" / "en" / "show.json"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        result = subprocess.run(
            [sys.executable, "-m", "anchordesk", *command.split(), str(target)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=child_env(tmp_path),
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
    assert result.returncode == 141, result.stderr  # as a program killed by SIGPIPE


@pytest.mark.parametrize("option", ["--stats", "--session"])
def test_a_pipe_nobody_reads_as_stats_or_session_is_one_line_not_a_hang(
    tmp_path: Path, option: str
) -> None:
    # Before: the start-up's write check opened the FIFO and waited for a reader forever, deaf
    # to SIGTERM (Python retries the open after its handler): only kill -9 ended it.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    run = run_live(*SMALL, option, str(fifo), "--seconds", "2", env=child_env(tmp_path))
    assert run.process.returncode == 2, run.stderr
    # A session is never a pipe (SQLite reads it in place): said as such since round three.
    expected = (
        f"error: {option} {fifo}: cannot write: {fifo} is a pipe that no program reads"
        if option == "--stats"
        else f"error: {option} {fifo}: is a pipe, not a session file: "
        "give the .adsession file's path"
    )
    assert [line for line in run.stderr.splitlines() if "error" in line] == [expected]


def test_stats_into_a_pipe_a_program_reads_get_every_sample(tmp_path: Path) -> None:
    # `anchordesk live --stats >(jq .)`: before, the first sample's lseek failed (ESPIPE) and
    # the run ended with "--stats /dev/fd/63: stopped writing ... (Illegal seek)", exit 3.
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anchordesk",
            "live",
            *SMALL,
            "--seconds",
            "3",
            "--stats",
            f"/dev/fd/{write_end}",
        ],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    os.close(write_end)  # the child's copy is the only writer: its exit ends the reading
    with os.fdopen(read_end, encoding="utf-8") as reader:
        samples = [json.loads(line) for line in reader]
    stderr = process.stderr.read() if process.stderr else ""
    assert process.wait(60) == 0, stderr
    assert "error" not in stderr
    assert len(samples) >= 2


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("command", ["show check", "show import-csv", "live --show"])
def test_a_show_or_csv_path_that_is_a_pipe_or_a_device_is_one_line(
    tmp_path: Path, command: str, kind: str
) -> None:
    # Before: a FIFO blocked the read forever (`live` deaf to SIGTERM, which it takes first),
    # /dev/zero was read until memory ran out (its size says 0, so the 2 MB cap never applied).
    if kind == "fifo":
        path = tmp_path / "show.json"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    extra = ["-o", str(tmp_path / "out.json")] if command == "show import-csv" else []
    live_args = [*SMALL, "--seconds", "2"] if command.startswith("live") else []
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk", *command.split(), str(path), *extra, *live_args],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(tmp_path),
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    what = "a named pipe (FIFO)" if kind == "fifo" else "a device"
    expected = f"{path} is {what}, not a {'CSV' if 'csv' in command else 'show'} file"
    assert expected in result.stdout + result.stderr
