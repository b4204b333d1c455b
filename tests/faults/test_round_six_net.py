"""Round six of the hostile tries on network outputs, disks and stopping (issue 10): each test
reproduces one finding of /work/hunt/R6net.md with real parts and failed before its fix."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import MissingTool, ffprobe_path, wait_until

from anchordesk.media.disk_space import FreeSpaceGuard
from anchordesk.media.packets import OutputState
from anchordesk.media.recording import RecordingOutput

from .disks import fill, tmpfs


@pytest.fixture
def generator() -> Iterator[PacketGenerator]:
    try:
        ffprobe_path()
    except MissingTool as error:
        pytest.skip(str(error))
    gen = PacketGenerator(width=320, height=240, fps=30, gop_s=2.0)
    yield gen
    gen.close()


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@pytest.mark.integration
def test_a_recording_waiting_for_room_goes_on_when_its_folder_was_deleted_meanwhile(
    tmp_path: Path, generator: PacketGenerator
) -> None:
    """R6net #13: the disk filled, the recording waited for room; the streamer cleaned up the
    recordings folder (room again on the disk): the guard could not measure a folder that no
    longer exists and the recording waited for the rest of the show, saying "waiting"."""
    clock = Clock()
    with tmpfs(tmp_path / "disk", 8192) as disk:
        folder = disk / "recordings"
        folder.mkdir()
        guard = FreeSpaceGuard(folder, interval_s=1.0, clock=clock)
        first = folder / "show.mkv"
        recording = RecordingOutput(first, space_guard=guard)
        recording.start(generator.templates)
        for packet in generator.packets(2.0):
            recording.send(packet)
        filler = fill(disk, leave_bytes=guard.min_free_bytes * 3 // 4)
        clock.now_s = 1.0
        for packet in generator.packets(1.0):
            recording.send(packet)
        wait_until(lambda: recording.status().state is OutputState.WAITING, 30, what="the stop")

        shutil.rmtree(folder)  # the clean-up: the folder and the first file go
        filler.unlink()
        clock.now_s = 2.0
        for packet in generator.packets(3.0):
            recording.send(packet)
        wait_until(lambda: len(recording.status().files) == 2, 30, what="the next file")
        recording.stop(timeout_s=10)
        status = recording.status()
        assert status.state is OutputState.STOPPED
        assert recording.path.parent == folder and recording.path.stat().st_size > 0
