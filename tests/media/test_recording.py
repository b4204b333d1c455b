"""The local recording: playable files, crash safety, a disk that fails or stalls."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import (
    MissingTool,
    codecs,
    decoded_video_frames,
    duration_s,
    ffprobe_path,
    keyframe_times_s,
    probe_streams,
    wait_until,
)

from anchordesk.core.errors import UserError
from anchordesk.media.packets import OutputState
from anchordesk.media.recording import RecordingOutput

# The writer child imports the packet generator shared with the integration tests.
INTEGRATION_DIR = Path(__file__).resolve().parents[1] / "integration"


@pytest.fixture(scope="module")
def ffprobe() -> str:
    try:
        return ffprobe_path()
    except MissingTool as error:
        pytest.skip(str(error))


@pytest.fixture
def generator() -> Iterator[PacketGenerator]:
    gen = PacketGenerator(width=320, height=240, fps=30)
    yield gen
    gen.close()


def test_matroska_recording_holds_every_frame_as_h264_and_aac(
    tmp_path: Path, generator: PacketGenerator, ffprobe: str
) -> None:
    path = tmp_path / "show.mkv"
    recording = RecordingOutput(path)
    recording.start(generator.templates)
    packets = list(generator.packets(4.0))
    for packet in packets:
        recording.send(packet)
    recording.stop(timeout_s=10)

    status = recording.status()
    assert status.state is OutputState.STOPPED
    assert status.dropped_packets == 0
    assert status.bytes_written == path.stat().st_size
    assert codecs(path) == {"video": "h264", "audio": "aac"}
    video = next(s for s in probe_streams(path) if s.codec_type == "video")
    assert (video.width, video.height) == (320, 240)
    assert decoded_video_frames(path) == sum(p.kind == "video" for p in packets) == 120
    assert duration_s(path) == pytest.approx(4.0, abs=0.05)
    keyframes = keyframe_times_s(path)
    assert keyframes[0] == pytest.approx(0.0, abs=0.01)
    assert all(b - a <= 2.0 + 1e-3 for a, b in itertools.pairwise(keyframes))


@pytest.mark.parametrize("extension", [".flv", ".ts", ".mp4"])
def test_other_containers_from_the_extension(
    tmp_path: Path, generator: PacketGenerator, ffprobe: str, extension: str
) -> None:
    path = tmp_path / f"show{extension}"
    recording = RecordingOutput(path)
    recording.start(generator.templates)
    for packet in generator.packets(2.0):
        recording.send(packet)
    recording.stop(timeout_s=10)
    assert recording.status().state is OutputState.STOPPED
    assert codecs(path) == {"video": "h264", "audio": "aac"}
    assert decoded_video_frames(path) == 60


def test_mp4_warns_that_it_is_less_crash_safe(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    RecordingOutput(tmp_path / "show.mp4")
    assert "less crash-safe" in caplog.text


def test_an_unknown_extension_is_a_one_line_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as error:
        RecordingOutput(tmp_path / "show.avi")
    message = str(error.value)
    assert "\n" not in message
    assert ".avi" in message and ".mkv" in message


def test_a_missing_folder_fails_with_a_reason_and_never_raises(
    tmp_path: Path, generator: PacketGenerator
) -> None:
    recording = RecordingOutput(tmp_path / "no-such-folder" / "show.mkv")
    recording.start(generator.templates)
    wait_until(lambda: recording.status().state is OutputState.FAILED, 10, what="FAILED")
    for packet in generator.packets(0.5):
        recording.send(packet)  # must not raise
    recording.stop(timeout_s=2)
    status = recording.status()
    assert status.state is OutputState.FAILED
    assert status.last_error is not None
    assert "No such file or directory" in status.last_error
    assert "\n" not in status.last_error


def test_a_full_disk_fails_with_a_reason(generator: PacketGenerator) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full (a device that is always full) is Linux-only")
    recording = RecordingOutput("/dev/full", container_format="matroska")
    recording.start(generator.templates)
    for packet in generator.packets(1.0):
        recording.send(packet)
    wait_until(lambda: recording.status().state is OutputState.FAILED, 10, what="FAILED")
    recording.stop(timeout_s=2)
    last_error = recording.status().last_error
    assert last_error == "cannot write the recording: the disk holding /dev/full is full"


def test_a_stalled_disk_never_blocks_send_and_drops_are_counted(
    tmp_path: Path, generator: PacketGenerator
) -> None:
    # A FIFO nobody reads: the writer thread blocks opening it, exactly like a hung drive.
    fifo = tmp_path / "stuck.mkv"
    os.mkfifo(fifo)
    recording = RecordingOutput(fifo, queue_packets=50)
    recording.start(generator.templates)
    packets = list(generator.packets(3.0))
    sender = threading.Thread(target=lambda: [recording.send(p) for p in packets])
    sender.start()
    sender.join(30)
    assert not sender.is_alive(), "send() blocked on a stalled disk"
    status = recording.status()
    assert status.dropped_packets == len(packets) - 50
    recording.stop(timeout_s=0.2)  # returns although the writer is stuck
    # Unblock the writer thread so it can end: a reader that takes whatever comes until then.
    # (Opened and closed at once, it raced the writer thread on a loaded machine: a writer
    # that reached its open() only after the reader had gone waited for ever.)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    assert recording.status().state is OutputState.FAILED  # stop() said it did not finish
    writer = recording._thread
    assert writer is not None

    def writer_ended() -> bool:
        with contextlib.suppress(BlockingIOError):
            os.read(reader, 1 << 20)
        # The thread itself must end: stop() could not put its marker into the full queue, and
        # a writer unstuck later waited for it for ever (and said LIVE again over FAILED).
        return not writer.is_alive()

    try:
        wait_until(writer_ended, 10, what="the writer to end")
    finally:
        os.close(reader)
    assert recording.status().state in (OutputState.FAILED, OutputState.STOPPED)


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from anchordesk.media.recording import RecordingOutput
    from packetgen import PacketGenerator

    generator = PacketGenerator(width=320, height=240, fps=30)
    recording = RecordingOutput(sys.argv[1])
    recording.start(generator.templates)
    start = time.monotonic()
    sent_s = 0.0
    while True:
        for packet in generator.packets(0.1):
            recording.send(packet)
        sent_s += 0.1
        # Real-time pace, as the pipeline sends (this is the workload, not an assertion).
        time.sleep(max(0.0, start + sent_s - time.monotonic()))
        print(f"{sent_s:.1f}", flush=True)
    """
)


def test_recording_survives_sigkill_of_its_writer_and_plays(tmp_path: Path, ffprobe: str) -> None:
    path = tmp_path / "crash.mkv"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(INTEGRATION_DIR), str(Path(__file__).resolve().parents[2] / "src")]
        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert writer.stdout is not None
        sent_s = 0.0
        for line in writer.stdout:
            sent_s = float(line)
            if sent_s >= 5.0:
                break
        assert sent_s >= 5.0, writer.stderr.read() if writer.stderr else ""
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(10)
    assert writer.returncode == -signal.SIGKILL

    # No trailer was written, yet the file plays: both streams, decodable frames, and at most
    # about one cluster (1 s) plus the in-flight packets missing at the end.
    assert codecs(path) == {"video": "h264", "audio": "aac"}
    frames = decoded_video_frames(path)
    assert frames >= (sent_s - 1.5) * 30
    assert duration_s(path) >= sent_s - 1.5
