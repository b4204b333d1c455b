"""The recording stops itself before its disk fills: an injected free-space probe and clock,
real packets, a real file read back by ffprobe."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import MissingTool, decoded_video_frames, ffprobe_path

from anchordesk.media.disk_space import FreeSpaceGuard, LowDiskSpace, format_bytes
from anchordesk.media.packets import OutputState
from anchordesk.media.recording import RecordingOutput

GB = 1000**3


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


class Disk:
    """Free space that shrinks as the test says; a clock that moves 0.1 s per look at it."""

    def __init__(self, free: list[int]) -> None:
        self.free = free
        self.probes: list[Path] = []
        self._ticks = itertools.count()

    def probe(self, folder: Path) -> int:
        self.probes.append(folder)
        return self.free.pop(0) if len(self.free) > 1 else self.free[0]

    def clock(self) -> float:
        return next(self._ticks) * 0.1


def guarded_recording(path: Path, disk: Disk) -> RecordingOutput:
    guard = FreeSpaceGuard(
        path.parent, min_free_bytes=1 * GB, interval_s=1.0, probe=disk.probe, clock=disk.clock
    )
    return RecordingOutput(path, space_guard=guard)


def test_the_recording_stops_playable_before_the_disk_fills(
    tmp_path: Path, generator: PacketGenerator, ffprobe: str
) -> None:
    # Measured every 10 packets (1 s of the injected clock): 3 GB, 2 GB, then 0.9 GB.
    disk = Disk([3 * GB, 2 * GB, int(0.9 * GB)])
    path = tmp_path / "show.mkv"
    recording = guarded_recording(path, disk)
    recording.start(generator.templates)
    packets = list(generator.packets(4.0))
    for packet in packets:
        recording.send(packet)
    recording.stop(timeout_s=10)

    status = recording.status()
    assert status.state is OutputState.FAILED
    assert status.stopped_for_space
    assert status.free_bytes == int(0.9 * GB)
    # One line that says what happened and where, kept for the window and the log.
    assert status.last_error is not None
    assert status.last_error.startswith(
        f"the disk holding {path} has less than 1.0 GB free: the recording stopped at 00:00:00 ("
    ), status.last_error
    assert status.last_error.endswith("MB kept, it plays up to there)")
    # The folder of the recording is what was measured, at most once a second.
    assert set(disk.probes) == {tmp_path} and len(disk.probes) >= 3
    # The 20 packets written before the third measurement play; nothing after it was written.
    video_sent_before_stop = sum(p.kind == "video" for p in packets[:20])
    assert decoded_video_frames(path) == video_sent_before_stop > 0


def test_a_disk_already_too_full_records_nothing(
    tmp_path: Path, generator: PacketGenerator
) -> None:
    path = tmp_path / "show.mkv"
    recording = guarded_recording(path, Disk([200 * 1000**2]))
    recording.start(generator.templates)
    for packet in generator.packets(1.0):
        recording.send(packet)
    recording.stop(timeout_s=10)
    status = recording.status()
    assert status.state is OutputState.FAILED and status.stopped_for_space
    assert status.last_error == (
        f"the disk holding {path} has less than 1.0 GB free: the recording stopped before it began"
    )
    assert not path.exists()


def test_the_free_space_shows_while_recording(tmp_path: Path, generator: PacketGenerator) -> None:
    path = tmp_path / "show.mkv"
    recording = guarded_recording(path, Disk([57 * GB]))
    recording.start(generator.templates)
    for packet in generator.packets(1.0):
        recording.send(packet)
    recording.stop(timeout_s=10)
    status = recording.status()
    assert status.state is OutputState.STOPPED and not status.stopped_for_space
    assert status.free_bytes == 57 * GB


def test_the_guard_measures_only_every_interval_and_a_small_disk_keeps_a_twentieth() -> None:
    now = [0.0]
    disk = Disk([10 * GB, 10 * GB, 10 * GB])
    guard = FreeSpaceGuard(Path("/"), interval_s=5.0, probe=disk.probe, clock=lambda: now[0])
    guard.check()
    now[0] = 4.9
    guard.check()
    assert len(disk.probes) == 1
    now[0] = 5.0
    guard.check()
    assert len(disk.probes) == 2 and guard.free_bytes == 10 * GB
    small = FreeSpaceGuard(Path("/"), probe=lambda _folder: 0, clock=lambda: 0.0)
    assert small.min_free_bytes <= 500 * 1000**2
    with pytest.raises(LowDiskSpace):
        small.check()


def test_sizes_read_as_a_file_manager_shows_them() -> None:
    assert format_bytes(999) == "999 B"
    assert format_bytes(1_234_567) == "1.2 MB"
    assert format_bytes(57_123_000_000) == "57.1 GB"
    assert format_bytes(2_500_000_000_000) == "2500.0 GB"


def test_every_recording_of_a_file_has_the_guard_and_a_device_has_none(tmp_path: Path) -> None:
    # The one rule for the window and `anchordesk live --record`: the recording brings its own
    # guard on its folder; /dev/null or a FIFO fills no disk and gets none.
    recording = RecordingOutput(tmp_path / "show.mkv")
    assert recording.space_guard is not None and recording.space_guard.folder == tmp_path
    recording.stop()
    assert RecordingOutput(Path("/dev/null")).space_guard is None
    assert RecordingOutput(tmp_path / "other.mkv", space_guard=None).space_guard is None
