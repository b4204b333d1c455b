"""Round thirty-three of issue 10, disks (R33net33.md): what a recording stopped by a full disk
says it kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator


@pytest.fixture
def busy_generator(ffprobe: str) -> Iterator[PacketGenerator]:
    """About 250 kB a second of noise, a keyframe every 2 s: an mp4 fragment (one keyframe to
    the next) is half a megabyte, a Matroska cluster a quarter."""
    generator = PacketGenerator(width=320, height=240, fps=30, gop_s=2.0, video_kbps=2000,
                                noise=True)  # fmt: skip
    try:
        yield generator
    finally:
        generator.close()


@pytest.mark.parametrize("name", ["show.mp4", "show.mkv"])
def test_a_recording_stopped_by_a_full_disk_says_the_size_of_the_file_it_kept(
    tmp_path: Path, busy_generator: PacketGenerator, name: str
) -> None:
    # Before (R33net F1): "the recording stopped at 00:00:06 (2.0 MB kept, it plays up to
    # there)" of an mp4 of 3.07 MB: the size was read before the end of the file (the fragment
    # held in memory, a Matroska cluster) was written by the close that finishes it.
    from anchordesk.media.packets import OutputState
    from anchordesk.media.recording import RecordingOutput

    from ..disks import fill, tmpfs

    with tmpfs(tmp_path / "disk", 8192) as disk:
        fill(disk, leave_bytes=3_000_000)
        path = disk / name
        recording = RecordingOutput(path)
        recording.start(busy_generator.templates)
        for packet in busy_generator.packets(30.0):
            recording.send(packet)
        recording.stop(timeout_s=20)
        status = recording.status()
        assert status.state is OutputState.FAILED, status
        said = status.last_error or ""
        found = re.search(r"\(([\d.]+) MB kept, it plays up to there\)", said)
        assert found, said
        kept_bytes = path.stat().st_size
        assert kept_bytes > 1_000_000, kept_bytes
        assert float(found.group(1)) == round(kept_bytes / 1e6, 1), (said, kept_bytes)
        assert status.bytes_written == kept_bytes
