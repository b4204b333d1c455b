"""Round twenty-four of issue 10, outputs and the command line (R24hunt24net.md): what the
command line prints of the settings, the checks of where a show writes for every front end, and
the stop signals' handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchordesk.cli.main import main
from anchordesk.live.settings import settings_path

HUGE_NAME = "x" * 5_000_000


def write_settings(destinations: list[dict[str, object]]) -> None:
    path = settings_path()
    path.write_text(json.dumps({"destinations": destinations}), encoding="utf-8")


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("x", "no saved destination of that name (saved: 'xxxx"),  # by name: none
        ("d1", "no stream key saved for 'xxxx"),  # by id: found, no key
        ("twitch", "2 saved destinations are for that platform ('xxxx"),
    ],
)
def test_a_saved_name_of_5_mb_is_cut_in_the_error_line(
    memory_keyring: object, capsys: pytest.CaptureFixture[str], target: str, fragment: str
) -> None:
    # Before: the one error line joined every saved name, 5,000,154 bytes on stderr (R23hunt23in
    # F6); the destination found by its id was named in full in "no stream key saved for".
    write_settings(
        [
            {"id": "d1", "name": HUGE_NAME, "preset": "twitch"},
            {"id": "d2", "name": "\x1b[31mred", "preset": "twitch"},
            *({"id": f"e{n}", "name": f"n{n}", "preset": "custom"} for n in range(10_000)),
        ]
    )
    assert main(["live", "--to", target, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err and err.count("\n") == 1
    assert len(err) < 1_000, len(err)
    assert "\x1b" not in err
    assert err.rstrip().endswith(
        ("or give rtmp://HOST/APP/<KEY>", "give one of their names", "STREAM_KEY")
    )
    if target == "x":
        assert "and 9,992 more" in err


# Run in a child: it installs the program's stop handlers and may end the process at once.
_SIGNAL_IN_A_LOCKS_HOLD = r"""
import os, signal, sys
from anchordesk.cli import stopping

stops = stopping.install(program=True)
if sys.argv[1] == "starting":
    stopping.end_at_once_from_now_on()
with stops._lock:  # as request() or attach() on the main thread, when the signal lands
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(3):  # the handler runs at one of these steps
        pass
print("noted:", stops.reason, flush=True)
"""


@pytest.mark.parametrize("when", ["starting", "running"])
def test_a_stop_signal_while_the_main_thread_holds_the_requests_lock_is_taken(when: str) -> None:
    # Before: the handler called request(), which took the lock its own thread held: the
    # process hung for good (here: killed after 60 s), SIGTERM or Ctrl+C changing nothing.
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _SIGNAL_IN_A_LOCKS_HOLD, when],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    if when == "starting":  # ended at once, both lines said in the console's format
        lines = run.stderr.splitlines()
        assert [line[9:] for line in lines] == [
            "INFO anchordesk: SIGTERM during start-up: stopped before the picture started",
            lines[1][9:],
        ]
        assert lines[1].endswith(" s after the request (SIGTERM)")
        assert run.stdout == ""
    else:
        assert run.stdout == "noted: SIGTERM\n"


class _HostileRemote:
    """A loopback HTTP server at a remote's address, answering each request with ``answer``
    (bytes sent at once) or, with ``trickle``, one byte at a time until the client leaves."""

    def __init__(self, answer: bytes, trickle: bool = False) -> None:
        import socket
        import threading

        self.answer, self.trickle = answer, trickle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import contextlib

        with contextlib.suppress(OSError):
            connection, _ = self.listener.accept()
            with connection:
                connection.recv(65536)
                if not self.trickle:
                    connection.sendall(self.answer)
                    return
                for byte in self.answer:
                    connection.sendall(bytes([byte]))
                    if self.stopped.wait(0.05):
                        return

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


def _answer(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


def _control(
    remote: _HostileRemote, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "t" * 24)
    try:
        code = main(["control", "--url", remote.url, "state"])
    finally:
        remote.close()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("part", ["headers", "body"])
def test_control_ends_at_its_deadline_when_the_answer_trickles(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], part: str
) -> None:
    # Before: httpx's 10 s is for each read; an answer (or its headers) a byte every few
    # seconds held `anchordesk control` for ever (killed after 45 s in the hunt).
    import time

    from anchordesk.cli import control

    monkeypatch.setattr(control, "ANSWER_TIMEOUT_S", 0.5)
    body = b"{" + b" " * 10_000 + b"}"
    answer = _answer("200 OK", body)
    if part == "headers":
        answer = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 10_000
    remote = _HostileRemote(answer, trickle=True)
    started = time.monotonic()
    code, out, err = _control(remote, monkeypatch, capsys)
    assert time.monotonic() - started < 10  # 0.5 s and a little; the trickle alone is 500 s
    assert code == 1 and out == ""
    assert "no answer within" in err and err.count("\n") == 1


def test_control_prints_a_viewers_terminal_controls_escaped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the state's JSON kept C1 controls raw (U+009B is a terminal's CSI, U+009D its
    # OSC) and bidi overrides: a viewer's pinned comment acted on the operator's terminal.
    state = {"pinned": {"author": "v\u009b2J\u202eevil", "text": "\u009d0;pwned\u0007"}}
    body = json.dumps({"state": state}, ensure_ascii=False).encode()
    code, out, _ = _control(_HostileRemote(_answer("200 OK", body)), monkeypatch, capsys)
    assert code == 0
    assert not any(0x7F <= ord(char) <= 0x9F or char == "\u202e" for char in out)
    assert json.loads(out) == state  # the same JSON, read back


def test_controls_error_from_the_server_is_one_short_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: a 5 MB "error" was printed whole (5,000,045 bytes on stderr), and a non-text
    # one in Python's spelling ({'nested': ...}).
    body = json.dumps({"error": "x" * 5_000_000}).encode()
    code, _, err = _control(_HostileRemote(_answer("400 Bad", body)), monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and len(err) < 500


def test_seconds_beyond_a_year_is_a_users_mistake_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: --seconds 1e308 (finite, so let through) overflowed as seconds x fps once the
    # recording was made: an OverflowError traceback, exit 1.
    code = main(["live", "--camera", "test", "--mic", "test", "--seconds", "1e308",
                 "--record", str(tmp_path / "a.mkv")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1
    assert "'1e308' is more than a year" in err
    assert not (tmp_path / "a.mkv").exists()


@pytest.mark.parametrize("number", ["99999999999999999999999", "2147483648"])
def test_a_camera_number_beyond_any_device_is_said_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], number: str
) -> None:
    # Before: OpenCV takes a C int: an OverflowError traceback (exit 1) from the command line,
    # and "the picture did not start" with a traceback in the log from the window's settings.
    code = main(["live", "--camera", number, "--mic", "test", "--seconds", "1",
                 "--record", str(tmp_path / "a.mkv")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1
    assert f"--camera {number}: no camera with this number can be opened" in err


_HALF_LOADED_RECORDING = """
import importlib.abc, runpy, sys, time

class SlowRecording(importlib.abc.MetaPathFinder):
    # The recording module's own imports as a loaded machine does them: it is half made.
    def find_spec(self, name, path, target=None):
        if name == "anchordesk.media.disk_reserve" and "anchordesk.media.recording" in sys.modules:
            print("loading the recording", file=sys.stderr, flush=True)
            # In slices, as a real import runs Python: a signal that lands after the print's
            # return and before one 60 s sleep began (a loaded machine's preemption, the test
            # sending it just then) runs its handler only when that sleep ends, once in the
            # full suite. A stand-in's race, not the program's.
            end = time.monotonic() + 60
            while time.monotonic() < end:
                time.sleep(0.05)
        return None

sys.meta_path.insert(0, SlowRecording())
runpy.run_module("anchordesk", run_name="__main__", alter_sys=True)
"""


def test_a_stop_while_the_recording_module_is_half_loaded_ends_the_run_cleanly(
    tmp_path: Path,
) -> None:
    # Before: the end at once found anchordesk.media.recording half made (SIGTERM 1.1 s into
    # a run, 1 of 24 in the hunt's sweep): "AttributeError: partially initialized module ...
    # has no attribute 'remove_made_and_empty'", a traceback and exit 1.
    import signal
    import subprocess
    import sys
    import time

    from faults.live_runs import SMALL, child_env

    run = subprocess.Popen(
        [sys.executable, "-c", _HALF_LOADED_RECORDING, "live", *SMALL, "--seconds", "60",
         "--record", str(tmp_path / "a.mkv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(tmp_path),
    )  # fmt: skip
    try:
        assert run.stderr is not None
        assert run.stderr.readline() == "loading the recording\n"
        asked_s = time.monotonic()
        run.send_signal(signal.SIGTERM)
        _, errors = run.communicate(timeout=120)
        took_s = time.monotonic() - asked_s
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, errors
    assert "Traceback" not in errors
    assert "SIGTERM during start-up: stopped before the picture started" in errors
    assert took_s < 15  # about 0.1 s; the slow import alone is 60 s
    assert not (tmp_path / "a.mkv").exists()


def test_desktop_uninstall_that_cannot_remove_a_file_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: Path.unlink's OSError (a read-only data folder: errno 30, seen on a read-only
    # tmpfs) or IsADirectoryError (a folder at the menu entry's name) ended it with a
    # traceback. A folder in the way is now gone past (R28lead F3); a read-only disk is said.
    import subprocess
    import sys

    from anchordesk.cli import desktop

    from ..disks import tmpfs

    with tmpfs(tmp_path / "share", 4096) as home:
        desktop.install(home=home, executable=Path(sys.executable).parent / "anchordesk")
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
        monkeypatch.setenv("XDG_DATA_HOME", str(home))
        assert main(["desktop", "uninstall"]) == 2
        err = capsys.readouterr().err
        first = next(iter(desktop.installed_files(home).values()))
        assert err == (
            f"error: anchordesk desktop uninstall: cannot remove {first} (Read-only file system)\n"
        )
        assert first.is_file()


def test_desktop_install_prints_its_folder_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: XDG_DATA_HOME with a newline (or an ESC) was printed raw: a forged line.
    import sys

    from anchordesk.cli import desktop

    home = tmp_path / "a\nb\x1b[2J"
    monkeypatch.setattr(desktop, "this_executable", lambda: Path(sys.executable))
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    assert main(["desktop", "install"]) == 0
    out = capsys.readouterr().out
    assert "a\\nb\\x1b[2J/applications/" in out and "\x1b" not in out


def test_a_key_after_an_empty_application_is_masked_everywhere(tmp_path: Path) -> None:
    # Before: rtmp://HOST//KEY (FFmpeg: application "", stream KEY) had one named segment,
    # read as the application: a key shorter than 16 characters was printed whole on stderr,
    # in the log, in --stats and in the session.
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    key = "SeCrEt1234"
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
         "--record", str(tmp_path / "a.mkv"), "--stats", str(tmp_path / "s.jsonl"),
         "--session", str(tmp_path / "s.adsession"), "--to", f"rtmp://127.0.0.1:1//{key}"],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    assert "rtmp://127.0.0.1:1//****" in run.stderr, run.stderr
    assert key not in run.stderr + run.stdout
    for written in [tmp_path / "s.jsonl", tmp_path / "s.adsession",
                    *(tmp_path / "xdg_state_home").rglob("*.log")]:  # fmt: skip
        assert key.encode() not in written.read_bytes(), written


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_log_file_linked_to_the_programs_own_output_overwrites_nothing(
    tmp_path: Path, stream: str
) -> None:
    # Before: the log (linked to /dev/stdout, as container images do) was opened anew and
    # appended at the end, while the program's own lines went at the redirected file's own
    # offset: "Recording kept in …" was written over the log's first line.
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    env = child_env(tmp_path)
    folder = Path(env["XDG_STATE_HOME"]) / "AnchorDesk" / "log"
    folder.mkdir(parents=True)
    (folder / "anchordesk.log").symlink_to(f"/dev/{stream}")
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("wb") as out_file, err.open("wb") as err_file:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--record", str(tmp_path / "a.mkv")],
            stdout=out_file, stderr=err_file, timeout=120, env=env,
        )  # fmt: skip
    assert run.returncode == 0, err.read_text()
    written = (out if stream == "stdout" else err).read_text()
    assert "] anchordesk: command: live\n" in written
    assert "Recording kept in " in out.read_text()
    assert all(not line or line[:2].isdigit() or line.startswith("Recording kept in ")
               for line in written.splitlines()), written  # fmt: skip


def test_a_log_file_linked_to_a_terminal_that_is_not_there_is_not_called_a_pipe(
    tmp_path: Path,
) -> None:
    # Before: a link to /dev/tty in a run without a terminal (a service, cron) was said "the
    # log file … is a pipe, not a file": ENXIO was taken for a pipe no program reads.
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    env = child_env(tmp_path)
    folder = Path(env["XDG_STATE_HOME"]) / "AnchorDesk" / "log"
    folder.mkdir(parents=True)
    (folder / "anchordesk.log").symlink_to("/dev/tty")
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
         "--record", str(tmp_path / "a.mkv")],
        capture_output=True, text=True, timeout=120, env=env, start_new_session=True,
    )  # fmt: skip
    assert run.returncode == 3, run.stderr
    assert "is a pipe" not in run.stderr
    assert "anchordesk.log cannot be written (No such device or address)" in run.stderr


@pytest.mark.parametrize("stats", ["/dev/stdout", "/dev/fd/1"])
def test_the_recording_and_the_figures_into_one_pipe_are_refused(
    tmp_path: Path, stats: str
) -> None:
    # Before: `--record /dev/stdout --stats /dev/stdout | ffplay -` put --stats' JSON lines
    # among the Matroska bytes: exit 0, "Recording kept in /dev/stdout (0.6 MB)", and ffprobe
    # read "invalid as first byte of an EBML number". A pipe was let through as "a device".
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
         "--record", "/dev/stdout", "--stats", stats],
        capture_output=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.decode() == (
        f"error: --stats {stats}: the same file as --record; each needs a file of its own\n"
    )
    assert run.stdout == b""


@pytest.mark.parametrize("asked", [["--version"], ["--help"], ["live", "--help"]])
def test_version_and_help_into_a_full_disk_are_said_not_a_traceback(
    tmp_path: Path, asked: list[str]
) -> None:
    # Before: they print while the arguments are read, before standard output is watched:
    # `anchordesk --version > /dev/full` ended with an OSError traceback (exit 1), --help
    # with exit 0 and nothing written.
    import subprocess
    import sys

    from faults.live_runs import child_env

    env = child_env(tmp_path)
    env.pop("PYTHONUNBUFFERED", None)  # unbuffered, argparse itself drops --help's error
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", *asked],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, env=env,
        )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr == ("error: the output is incomplete: the disk holding /dev/full is full\n")


def test_control_with_a_number_of_5000_digits_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: int() of 4,300 digits or more raised ValueError: a traceback, nothing sent.
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "t" * 24)
    code = main(
        ["control", "--url", "http://127.0.0.1:1", "set_stock", "sku=A", "stock=" + "9" * 5000]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "more than 18 digits" in err


@pytest.mark.parametrize(("camera", "said"), [("folder", "a folder"), ("/dev/zero", "a device")])
def test_a_camera_that_is_no_file_is_said_as_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], camera: str, said: str
) -> None:
    # Before: "--camera …: no such file" of a folder or a device that is there.
    if camera == "folder":
        camera = str(tmp_path)
    code = main(["live", "--camera", camera, "--mic", "test", "--seconds", "1",
                 "--record", str(tmp_path / "a.mkv")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --camera {camera}: {said}, not a video file or a picture")
    assert err.count("\n") == 1
    if said == "a device":
        assert "a camera is given by its number" in err
