"""A recording stopped by a full disk goes on in a new file once there is room again (issue 10,
Deliver 3): a real small tmpfs filled and freed, real encoded packets, both files read back by
ffprobe. The free-space guard measures on an injected clock, so no test waits for it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packetgen import PacketGenerator
from servers import decoded_video_frames, wait_until

from anchordesk.media.disk_space import FreeSpaceGuard
from anchordesk.media.packets import OutputState
from anchordesk.media.recording import RecordingOutput

from ..disks import fill, tmpfs
from ..live_runs import format_duration_s

if TYPE_CHECKING:
    from ..conftest import Clock

pytestmark = pytest.mark.integration


def state_of(recording: RecordingOutput, state: OutputState) -> bool:
    return recording.status().state is state


def test_a_recording_stopped_by_a_full_disk_goes_on_in_a_new_file_when_room_comes_back(
    tmp_path: Path, generator: PacketGenerator, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.media.recording")
    with tmpfs(tmp_path / "disk", 8192) as disk:
        guard = FreeSpaceGuard(disk, interval_s=1.0, clock=clock)
        floor = guard.min_free_bytes  # a twentieth of the 8 MB disk
        assert floor < guard.resume_free_bytes
        first = disk / "show.mkv"
        recording = RecordingOutput(first, space_guard=guard)
        recording.start(generator.templates)
        for packet in generator.packets(3.0):
            recording.send(packet)
        # Another program fills the disk below the floor, leaving room for what is in flight.
        filler = fill(disk, leave_bytes=floor * 3 // 4)
        clock.now_s = 1.0  # the guard measures again at the next packet
        for packet in generator.packets(1.0):
            recording.send(packet)
        wait_until(lambda: state_of(recording, OutputState.WAITING), 30, what="the stop")
        status = recording.status()
        assert status.stopped_for_space and status.files == (str(first),)
        assert status.last_error is not None
        assert status.last_error.startswith(f"the disk holding {first} has less than ")
        # Free, but not enough to go on (the hysteresis): it keeps waiting.
        leave = (floor + guard.resume_free_bytes) // 2
        filler.unlink()
        filler = fill(disk, leave_bytes=leave)
        clock.now_s = 2.0
        for packet in generator.packets(1.0):
            recording.send(packet)
        wait_until(lambda: (guard.free_bytes or 0) > floor, 30, what="the guard to measure")
        assert not recording.wants_packets() and state_of(recording, OutputState.WAITING)
        # The streamer deletes an old file: room again.
        filler.unlink()
        clock.now_s = 3.0
        for packet in generator.packets(3.0):
            recording.send(packet)
        second = disk / "show-2.mkv"
        wait_until(lambda: recording.status().files == (str(first), str(second)), 30,
                   what="the second file")  # fmt: skip
        assert recording.wants_keyframe() and not recording.wants_keyframe()  # asked once
        assert recording.status().state is OutputState.LIVE
        recording.stop(timeout_s=10)

        status = recording.status()
        assert status.state is OutputState.STOPPED
        assert recording.path == second and recording.files == (first, second)
        # The gap is a fault (the run's exit code says so), in one line naming both files.
        assert len(status.gaps) == 1 and recording.fault == status.gaps[0]
        assert status.gaps[0].startswith(f"the disk holding {first} has less than ")
        assert "the recording stopped at 00:00:03" in status.gaps[0]
        # The file stopped at 3 s; the new one started at the keyframe at 6 s.
        assert status.gaps[0].endswith(f"; recording again into {second} after a gap of 00:00:03")
        said = [r.getMessage() for r in caplog.records if "recording again into" in r.getMessage()]
        assert len(said) == 1 and said[0].startswith(f"recording again into {second}: ")
        stops = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(stops) == 1 and "goes on in a new file once" in stops[0]

        # Both files are finished and play: the first up to the stop, the second from the
        # keyframe at 6 s (from zero) to the end at 8 s.
        assert format_duration_s(first) == pytest.approx(3.0, abs=0.1)
        assert decoded_video_frames(first) == 90
        assert format_duration_s(second) == pytest.approx(2.0, abs=0.1)
        assert decoded_video_frames(second) == 60
        assert status.bytes_written == first.stat().st_size + second.stat().st_size


def test_a_disk_filled_between_two_measurements_stops_the_file_finished_and_it_goes_on(
    tmp_path: Path, generator: PacketGenerator, clock: Clock
) -> None:
    # The floor is never measured in time (another program filled the disk between two
    # measurements): the disk cannot give the recording's reserve its next stretch. The file
    # stops there, its end written into the reserve, and the recording waits all the same.
    with tmpfs(tmp_path / "disk", 2048) as disk:
        guard = FreeSpaceGuard(disk, min_free_bytes=10_000, interval_s=60.0, clock=clock)
        first = disk / "show.mkv"
        recording = RecordingOutput(first, space_guard=guard, reserve_bytes=256_000)
        recording.start(generator.templates)
        # Its file open and its reserve taken (it is not in the free space any more).
        wait_until(lambda: state_of(recording, OutputState.LIVE), 30, what="the file")
        filler = fill(disk, leave_bytes=100_000)  # less than the next stretch
        for packet in generator.packets(8.0):
            recording.send(packet)
        wait_until(lambda: state_of(recording, OutputState.WAITING), 30, what="the stop")
        status = recording.status()
        assert not status.stopped_for_space  # the guard never saw it coming
        assert status.last_error is not None and status.last_error.endswith(
            f"the disk holding {first} is full"
        )
        # The file is finished (a duration), plays to its end, and gave its reserve back.
        duration = format_duration_s(first)
        assert duration is not None and duration > 2.0
        assert decoded_video_frames(first) == round(duration * 30)
        assert first.stat().st_blocks * 512 < first.stat().st_size + 8192
        filler.unlink()
        clock.now_s = 60.0
        for packet in generator.packets(4.0):
            recording.send(packet)
        second = disk / "show-2.mkv"
        wait_until(lambda: recording.path == second and state_of(recording, OutputState.LIVE),
                   30, what="the second file")  # fmt: skip
        recording.stop(timeout_s=10)
        assert recording.status().state is OutputState.STOPPED
        # The new file is finished and starts at a keyframe (whichever came first once the
        # guard found room): every frame in it decodes.
        duration = format_duration_s(second)
        assert duration is not None and duration >= 1.9
        assert decoded_video_frames(second) == round(duration * 30)
        assert f"recording again into {second}" in (recording.fault or "")


def test_a_recording_stopped_while_it_waits_for_room_ends_as_stopped_early(
    tmp_path: Path, generator: PacketGenerator, clock: Clock
) -> None:
    with tmpfs(tmp_path / "disk", 4096) as disk:
        guard = FreeSpaceGuard(disk, interval_s=1.0, clock=clock)
        first = disk / "show.mkv"
        recording = RecordingOutput(first, space_guard=guard)
        recording.start(generator.templates)
        for packet in generator.packets(2.0):
            recording.send(packet)
        fill(disk, leave_bytes=guard.min_free_bytes * 3 // 4)
        clock.now_s = 1.0
        for packet in generator.packets(1.0):
            recording.send(packet)
        wait_until(lambda: state_of(recording, OutputState.WAITING), 30, what="the stop")
        recording.stop(timeout_s=10)
        status = recording.status()
        assert status.state is OutputState.FAILED and status.files == (str(first),)
        assert status.gaps == (status.last_error,) and "recording again" not in status.gaps[0]
        assert format_duration_s(first) == pytest.approx(2.0, abs=0.1)
        assert sorted(p.name for p in disk.glob("show*")) == ["show.mkv"]
