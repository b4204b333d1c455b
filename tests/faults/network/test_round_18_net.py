"""Round eighteen of issue 10, outputs, the network child, disks and stopping (R18hunt18net.md).

Real parts: nginx-rtmp on loopback recording what it takes (read with ffprobe), behind a path
that stops reading now and then (as a Wi-Fi link that holds its packets, or a server reading in
bursts), with a receive buffer of 16 kB; real H.264/AAC from the pipeline's encoders at the
pipeline's pace; the rule alone on an injected clock.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, wait_until

from anchordesk.media.network_output import NetworkOutput
from faults.network_helpers import Feeder


class PausingPath:
    """TCP on 127.0.0.1:``port`` forwarded to ``target_port`` as fast as it comes, except that
    every ``period_s`` it reads nothing for ``pause_s`` (the answers go back at once)."""

    def __init__(self, target_port: int, period_s: float, pause_s: float) -> None:
        self.target_port, self.period_s, self.pause_s = target_port, period_s, pause_s
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)
        self.port = int(self._server.getsockname()[1])
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="pausing-path", daemon=True).start()

    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/test-key"

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._server.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                self._sockets += [client, upstream]
                threading.Thread(target=self._answers, args=(upstream, client), daemon=True).start()
                threading.Thread(target=self._take, args=(client, upstream), daemon=True).start()

    def _take(self, client: socket.socket, upstream: socket.socket) -> None:
        start_s = time.monotonic()
        with contextlib.suppress(OSError):
            while data := client.recv(4096):
                upstream.sendall(data)
                phase_s = (time.monotonic() - start_s) % self.period_s
                if phase_s > self.period_s - self.pause_s:
                    # The link's hiccup (the fault itself, not a timing of the test).
                    time.sleep(self.period_s - phase_s)

    @staticmethod
    def _answers(upstream: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := upstream.recv(65536):
                client.sendall(data)

    def close(self) -> None:
        for connection in (self._server, *self._sockets):
            with contextlib.suppress(OSError):
                connection.close()


@pytest.fixture
def noisy() -> Iterator[PacketGenerator]:
    gen = PacketGenerator(width=320, height=240, fps=30, gop_s=2.0, video_kbps=800, noise=True)
    try:
        yield gen
    finally:
        gen.close()


def video_times_s(recording: Path) -> list[float]:
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=dts_time",
            "-of",
            "json",
            str(recording),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(p["dts_time"]) for p in json.loads(probe.stdout)["packets"]]


@pytest.mark.integration
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads sock_diag")
def test_a_fast_path_that_pauses_under_a_second_loses_no_picture(
    tmp_path: Path, noisy: PacketGenerator
) -> None:
    # A fast path that holds the stream 0.8 s every 3 s (a Wi-Fi hiccup, a server reading in
    # bursts): each pause read as a link near 0 kb/s, "uplink too slow: dropped 249 frames",
    # 2 s of picture gone after every hiccup (until the next keyframe) for a delay of 0.8 s.
    with NginxRtmp(tmp_path / "nginx") as nginx:
        path = PausingPath(nginx.port, period_s=3.0, pause_s=0.8)
        output = NetworkOutput(path.url())
        try:
            output.start(noisy.templates)
            with Feeder(output, noisy) as feeder:
                wait_until(lambda: feeder.sent_s >= 13.0, 60, what="13 s of stream")
            status = output.status()
        finally:
            output.stop()
            path.close()
        recording = nginx.recordings()[-1]
    assert status.dropped_video_frames == 0 and status.notice is None, status
    times_s = video_times_s(recording)
    assert max(b - a for a, b in itertools.pairwise(times_s)) < 0.2


def test_a_pause_in_the_acknowledgements_counts_as_long_as_it_lasts() -> None:
    # The rule alone, on an injected clock: a fast path (everything acknowledged at once)
    # stops acknowledging; the stream waits as long as the pause has lasted, no more.
    from anchordesk.media.network_delay import Backlog, StreamDelay

    def hiccup(pause_s: float) -> StreamDelay:
        delay, acknowledged, waiting = StreamDelay(), 0, 0
        for tick in range(300):  # 10 s at 30 frames, 4 kB each, a keyframe every 2 s
            now_s = tick / 30
            paused = 5.0 <= now_s < 5.0 + pause_s
            if paused:
                acknowledged += 500 if now_s < 5.1 else 0  # the receiver's buffer fills
                waiting += 3_500 if now_s < 5.1 else 4_000
            else:
                acknowledged, waiting = acknowledged + waiting + 4_000, 0
            delay.admit("video", tick % 60 == 0, now_s, Backlog(waiting, acknowledged), now_s)
            delay.admit("audio", False, now_s, Backlog(waiting, acknowledged), now_s)
        return delay

    assert hiccup(0.8).dropped_packets == 0
    # Past a second the delay is real: the picture goes until a keyframe in time; the sound
    # stays (under 4 s).
    held = hiccup(1.5)
    assert held.dropped_frames > 0 and held.dropped_packets == held.dropped_frames


@pytest.mark.parametrize(
    ("option", "path", "other"),
    [
        ("--record", "/dev/stdout", []),
        ("--session", "/dev/stdout", ["--record", "a.mkv"]),
        ("--stats", "/dev/stdout", ["--record", "a.mkv"]),
    ],
)
def test_a_file_on_standard_output_that_standard_error_shares_is_refused(
    tmp_path: Path, option: str, path: str, other: list[str]
) -> None:
    # `anchordesk live --record /dev/stdout > show.mkv 2>&1` (a script, a cron job): the
    # run's lines went into the recording, exit 0, and no player found a stream in it; the
    # session was refused as "not a database" after the recording had started; --stats held
    # log lines among its JSON.
    from faults.live_runs import SMALL, child_env

    target = tmp_path / "out"
    with target.open("wb") as output:
        done = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             option, path, *other],
            stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert done.returncode == 2
    assert target.read_text() == (
        f"error: anchordesk live: {option} {path}: standard error is the same file (2>&1), "
        "and the run's messages would land in it; send standard error elsewhere\n"
    )
    assert not (tmp_path / "a.mkv").exists()  # nothing was started


def test_standard_output_and_error_on_one_terminal_may_take_the_figures(tmp_path: Path) -> None:
    # A terminal only shows what it gets: `--stats /dev/stdout` there is not refused.
    import os
    import pty

    from faults.live_runs import SMALL, child_env

    leader, follower = pty.openpty()
    shown = bytearray()

    def show() -> None:  # the terminal's screen: read all it gets
        with contextlib.suppress(OSError):
            while data := os.read(leader, 65536):
                shown.extend(data)

    reader = threading.Thread(target=show, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--record", str(tmp_path / "a.mkv"), "--stats", "/dev/stdout"],
            stdout=follower, stderr=follower, timeout=120, env=child_env(tmp_path),
        )  # fmt: skip
    finally:
        os.close(follower)
        reader.join(10)
        os.close(leader)
    assert done.returncode == 0
    assert b'"outputs"' in shown and b"Recording kept in" in shown


def on_a_terminal(arguments: list[str], tmp_path: Path) -> tuple[int, bytes, str]:
    """Run ``anchordesk live`` with standard output on a terminal (a pty): its exit code, what
    the screen got, and standard error."""
    import os
    import pty

    from faults.live_runs import SMALL, child_env

    leader, follower = pty.openpty()
    shown = bytearray()

    def show() -> None:  # the terminal's screen: read all it gets
        with contextlib.suppress(OSError):
            while data := os.read(leader, 65536):
                shown.extend(data)

    reader = threading.Thread(target=show, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1", *arguments],
            stdout=follower, stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path,
            env=child_env(tmp_path),
        )  # fmt: skip
    finally:
        os.close(follower)
        reader.join(10)
        os.close(leader)
    return done.returncode, bytes(shown), done.stderr


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["--record", "/dev/stdout"],
            "--record /dev/stdout: a terminal; redirect it to a file (> FILE) or a player "
            "(| ffplay -)",
        ),
        (
            ["--record", "a.mkv", "--session", "/dev/fd/1"],
            "--session /dev/fd/1: a terminal; redirect it to a file (> FILE)",
        ),
    ],
)
def test_a_recording_or_session_to_a_terminal_is_refused(
    tmp_path: Path, arguments: list[str], said: str
) -> None:
    # `anchordesk live --record /dev/stdout` in a terminal: 300 kB a second of Matroska on
    # the screen (escape sequences among it), then "Recording kept in /dev/stdout (0.3 MB)"
    # of a recording kept nowhere, exit 0.
    code, shown, errors = on_a_terminal(arguments, tmp_path)
    assert code == 2
    assert errors == f"error: anchordesk live: {said}\n"
    assert shown == b""
    assert not (tmp_path / "a.mkv").exists()


@pytest.fixture
def detachable_disk(tmp_path: Path) -> Iterator[Path]:
    """A small disk (tmpfs) mounted at a folder, to be detached while written (root only)."""
    import os

    folder = tmp_path / "disk"
    folder.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a disk needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_files_on_a_disk_detached_during_the_run_are_written_again_where_they_were_named(
    tmp_path: Path, detachable_disk: Path
) -> None:
    # The disk holding --record, --stats and --session detached while they were written
    # (`umount -l` of a busy disk, a drive ejected while in use): "a.mkv was moved to /a.mkv
    # while recording", "Recording kept in /a.mkv (2.6 MB)", exit 0, and no file anywhere;
    # the session was written at the root of the system's disk, /s.ads; --stats vanished.
    from faults.live_runs import SMALL, child_env

    record, stats, session = (detachable_disk / name for name in ("a.mkv", "s.jsonl", "s.ads"))
    run = subprocess.Popen(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "4",
         "--record", str(record), "--stats", str(stats), "--session", str(session)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(tmp_path),
    )  # fmt: skip
    try:
        wait_until(lambda: record.exists() and record.stat().st_size > 50_000, 60, what="a.mkv")
        subprocess.run(["umount", "-l", str(detachable_disk)], check=True)
        out, errors = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, errors
    assert f"Recording kept in {record} (" in out
    assert f"Session kept in {session};" in out
    assert "moved to /" not in errors, errors
    assert not Path("/a.mkv").exists() and not Path("/s.ads").exists()
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(record)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert float(probe.stdout) > 3.5
    lines = stats.read_text().splitlines()
    assert len(lines) >= 4 and all(json.loads(line) for line in lines)
    report = subprocess.run(
        [sys.executable, "-m", "anchordesk", "report", str(session)],
        capture_output=True, text=True, timeout=60, env=child_env(tmp_path),
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
