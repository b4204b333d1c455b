"""Hostile round four, media and `anchordesk live`: file names the disk cannot take, names
with control characters, and what else the round found (real `anchordesk live` runs,
nginx-rtmp, ffprobe, small disks)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import BlackHole, NginxRtmp, wait_until

from anchordesk.cli.main import main
from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.recording import numbered_path

from ..live_runs import SMALL, LiveRun, child_env, run_live
from ..network_helpers import Feeder
from .test_round_03_media import first_failure

KEY = "sk_live_51Round4KEYc0ffee"

integration = pytest.mark.integration


@pytest.mark.parametrize("option", ["--record", "--stats"])
def test_a_name_longer_than_the_disk_takes_is_one_line(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: a traceback (OSError: [Errno 36] File name too long, from Path.exists()).
    long_name = tmp_path / ("x" * 300 + ".mkv")
    for path in (long_name, long_name / "show.mkv"):
        code = main(["live", *SMALL, "--seconds", "1", option, str(path)])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "Traceback" not in err
        assert "a name in the path is too long (304 bytes; the disk takes at most 255" in err


def test_a_folder_that_is_a_file_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("a file")
    code = main(["live", *SMALL, "--seconds", "1", "--stats", str(tmp_path / "notes.txt/s.jsonl")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "a part of the path is a file, not a folder" in err


def test_a_numbered_name_fits_the_disk(tmp_path: Path) -> None:
    # Before: show-2.mkv of a 255-byte name was 257 bytes, and the run ended in "cannot be
    # written (File name too long)" instead of recording beside the earlier file.
    name = tmp_path / ("直" * 83 + "zz.mkv")  # 251 bytes of stem (3 bytes a character)
    assert len(os.fsencode(name.name)) == 255
    numbered = numbered_path(name, 12)
    assert numbered.name.endswith("-12.mkv")
    assert len(os.fsencode(numbered.name)) <= 255
    assert numbered.name == "直" * 82 + "-12.mkv"  # cut on whole characters only
    assert numbered_path(tmp_path / "show.mkv", 2).name == "show-2.mkv"


@integration
def test_a_recording_whose_name_fills_the_disk_s_limit_is_kept_beside_the_earlier_one(
    tmp_path: Path,
) -> None:
    earlier = tmp_path / ("z" * 251 + ".mkv")
    earlier.write_bytes(b"the earlier show")
    run = run_live(*SMALL, "--record", str(earlier), "--seconds", "1", env=child_env(tmp_path))
    assert run.process.returncode == 0, run.stderr
    assert earlier.read_bytes() == b"the earlier show"
    [kept] = [path for path in tmp_path.glob("z*.mkv") if path != earlier]
    assert kept.name.endswith("-2.mkv") and len(kept.name) == 255
    assert f"Recording kept in {kept}" in run.stdout


@integration
def test_a_recording_name_with_a_line_break_and_an_escape_is_printed_escaped(
    tmp_path: Path,
) -> None:
    # Before: "Recording kept in .../a" then a forged second line, and ESC ] 0 retitled the
    # terminal (the log lines were escaped; the last line on stdout was not).
    record = tmp_path / "a\nerror: forged\x1b]0;TITLE\x07.mkv"
    run = run_live(*SMALL, "--record", str(record), "--seconds", "1", env=child_env(tmp_path))
    assert run.process.returncode == 0, run.stderr
    assert record.exists()
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    [line] = [line for line in run.stdout.splitlines() if line.startswith("Recording kept")]
    assert "a\\nerror: forged\\x1b]0;TITLE\\x07.mkv" in line
    assert not any(line.startswith("error: forged") for line in run.stdout.splitlines())


@integration
def test_a_server_that_goes_away_while_live_is_said_as_the_server_s_doing(
    nginx_rtmp: NginxRtmp,
) -> None:
    generator = PacketGenerator(width=320, height=240, fps=30)
    output = NetworkOutput(nginx_rtmp.url(KEY), backoff=Backoff(initial_delay_s=30.0))
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            wait_until(lambda: output.status().state.value == "live", 20, what="live")
            nginx_rtmp.kill()  # a restarted or crashed ingest
            status = wait_until(
                lambda: (s := output.status()).last_error is not None and s, 20, what="a failure"
            )
        output.stop(timeout_s=2)
    finally:
        generator.close()
    # Before: "[Errno 32] Broken pipe: 'rtmp://127.0.0.1:PORT/live/****'" (a fault of ours, in
    # errno words, and the URL the line already names).
    assert status.last_error.startswith("the server closed the connection ("), status.last_error
    assert "it went down, restarted or dropped the stream" in status.last_error
    assert "Errno" not in status.last_error and "rtmp://" not in status.last_error


class InjectingProxy:
    """TCP proxy to nginx-rtmp that puts one RTMP control message of its own into what the
    server sends, right after the handshake (S0+S1+S2 = 3,073 bytes): a server, or a box in
    between, that sends a message FFmpeg cannot take."""

    def __init__(self, target_port: int, message: bytes) -> None:
        self._target_port = target_port
        self._message = message
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self._target_port))
            threading.Thread(target=self._pipe, args=(server, client, 3073), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, inject_at: int | None) -> None:
        seen = 0
        try:
            while data := source.recv(65536):
                if inject_at is not None and seen <= inject_at < seen + len(data):
                    cut = inject_at - seen
                    data = data[:cut] + self._message + data[cut:]
                seen += len(data)
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


def set_chunk_size(size: int) -> bytes:
    """RTMP "Set Chunk Size" (type 1) on chunk stream 2, message stream 0."""
    return b"\x02\0\0\0\0\0\x04\x01\0\0\0\0" + struct.pack(">I", size)


@integration
@pytest.mark.parametrize("size", [0, 0x80000000])
def test_a_chunk_size_ffmpeg_cannot_take_is_not_a_refused_key(
    size: int, nginx_rtmp: NginxRtmp
) -> None:
    proxy = InjectingProxy(nginx_rtmp.port, set_chunk_size(size))
    try:
        error = first_failure(f"rtmp://127.0.0.1:{proxy.port}/live/{KEY}")
    finally:
        proxy.close()
    # Before: "the server refused the stream (check the stream key and the application name
    # in the URL)": a wrong lead, the key was right.
    assert error.startswith("the server sent an RTMP message that cannot be read (incorrect "), (
        error
    )
    assert "stream key" in error and "not of the stream key" in error


@integration
def test_already_publishing_does_not_send_the_user_to_check_the_key(nginx_rtmp: NginxRtmp) -> None:
    generator = PacketGenerator(width=320, height=240, fps=30)
    first = NetworkOutput(nginx_rtmp.url(KEY))
    first.start(generator.templates)
    try:
        with Feeder(first, generator):
            wait_until(lambda: first.status().state.value == "live", 20, what="live")
            error = first_failure(nginx_rtmp.url(KEY))
        first.stop(timeout_s=2)
    finally:
        generator.close()
    # Before: "...: Already publishing (check the stream key and the application name in the
    # URL)": the key is right, another stream holds it (or the server's memory of this one).
    assert error.startswith("the server refused the stream: Already publishing (another program")
    assert "check the stream key" not in error


@integration
def test_a_stop_signal_to_the_whole_process_group_ends_the_stream_properly(
    tmp_path: Path, nginx_rtmp: NginxRtmp
) -> None:
    # What Ctrl+C in a terminal, a hang-up or systemd's stop (`kill -- -PGID`) does: every
    # process of the group gets the signal, the network child too.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anchordesk",
            "live",
            *SMALL,
            "--no-record",
            "--seconds",
            "30",
            "--to",
            nginx_rtmp.url(KEY),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
        start_new_session=True,
    )
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if line.rstrip().endswith("/****: live"):
                break
        nginx_rtmp.wait_for_recording(min_bytes=50_000)
        os.killpg(process.pid, signal.SIGTERM)
        lines += process.stderr.readlines()
        assert process.wait(30) == 0, "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    stderr = "".join(lines)
    # Before (2 runs of 3: a race with the parent's own stop): the child died at once, the
    # stream was cut without its end, and the stop logged "the network process ended with
    # code -15; retrying in 1.7 s (attempt 1)".
    assert "the network process" not in stderr and "retrying" not in stderr, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "stopped 0." in stderr or "stopped 1." in stderr, stderr


def ignored_signals(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return int(line.split()[1], 16)
    raise AssertionError("no SigIgn line")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_network_child_leaves_stopping_to_its_parent() -> None:
    from anchordesk.media.network_child import child_command

    child = subprocess.Popen(
        child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wanted = sum(1 << (number - 1) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP))
        # Before: SIGTERM killed it in the middle of the stream (the parent's stop was cut).
        wait_until(lambda: ignored_signals(child.pid) & wanted == wanted, 20, what="ignored")
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            child.send_signal(number)
        out, _ = child.communicate(b"not a header\n", timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    # Still there to hear its parent: the end of its input ends it, in its own words.
    assert child.returncode == 2 and b"bad header" in out


def write_png(path: Path, width: int, height: int) -> Path:
    import cv2
    import numpy as np

    ok, data = cv2.imencode(".png", np.full((height, width, 3), 90, np.uint8))
    assert ok
    path.write_bytes(data.tobytes())
    return path


def test_a_huge_still_picture_is_kept_small_and_a_giant_one_is_refused(tmp_path: Path) -> None:
    from anchordesk.core.errors import UserError
    from anchordesk.media.sources.still import StillImageSource

    # Before: kept whole for the run (a 16000x16000 PNG of 790 kB: 768 MB kept, 1.6 GB peak).
    source = StillImageSource.from_file(write_png(tmp_path / "wide.png", 10_000, 40))
    height, width = source.frame(0.0).bgr.shape[:2]
    assert (width, height) == (2500, 10)
    assert source.status().detail == "2500x10"
    with pytest.raises(UserError, match=r"the picture is 16400x8; a picture may be at most 16384"):
        StillImageSource.from_file(write_png(tmp_path / "giant.png", 16_400, 8))
    small = StillImageSource.from_file(write_png(tmp_path / "small.png", 640, 360))
    assert small.frame(0.0).bgr.shape[:2] == (360, 640)


# A hung PulseAudio/PipeWire: the server accepts and never answers. Without --mic the run asks
# PortAudio for the default microphone, and PortAudio's start waited for it without a limit.
NO_MIC = ("--camera", "test", "--canvas", "640x360", "--video-kbps", "800")


@integration
def test_a_hung_sound_server_does_not_hold_a_stop_request(tmp_path: Path) -> None:
    with BlackHole() as sound_server:
        env = child_env(tmp_path, PULSE_SERVER=f"tcp:127.0.0.1:{sound_server.port}")
        run = LiveRun(*NO_MIC, "--record", str(tmp_path / "a.mkv"), "--seconds", "30", env=env)
        try:
            wait_until(lambda: sound_server.accepted > 0, 30, what="the sound server asked")
            run.send(signal.SIGTERM)
            # Before: still running when the sound server let go (deaf to SIGTERM/SIGINT: the
            # main thread was inside PortAudio's start), and fd 2 stayed on /dev/null.
            assert run.wait(10) == 0, run.stderr
        finally:
            run.kill()
    assert "SIGTERM during start-up: stopped before the picture started" in run.stderr


@integration
def test_a_hung_sound_server_is_said_and_the_run_goes_on_with_the_test_tone(
    tmp_path: Path,
) -> None:
    with BlackHole() as sound_server:
        env = child_env(tmp_path, PULSE_SERVER=f"tcp:127.0.0.1:{sound_server.port}")
        run = run_live(*NO_MIC, "--record", str(tmp_path / "a.mkv"), "--seconds", "1", env=env)
    assert run.process.returncode == 0, run.stderr
    assert "the sound system did not answer within 5 s (is PulseAudio or PipeWire hung?)" in (
        run.stderr
    )
    assert "using the test tone" in run.stderr
    assert f"Recording kept in {tmp_path / 'a.mkv'}" in run.stdout
