"""The recording's reserve on a real small tmpfs: room past the end of the file that other
programs cannot take, moved along as the file grows, given back when it closes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from anchordesk.media.disk_reserve import DiskReserve

from ..disks import fill, tmpfs

KB = 1000


def test_the_reserve_holds_room_past_the_end_and_says_when_the_disk_has_no_more(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / "disk", 1024) as disk:
        path = disk / "show.mkv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT)
        try:
            free_before = shutil.disk_usage(disk).free
            reserve = DiskReserve(fd, 200 * KB)
            assert reserve.active and reserve.full is None
            # Taken from the disk, not added to the file.
            assert free_before - shutil.disk_usage(disk).free >= 200 * KB
            assert os.fstat(fd).st_size == 0
            fill(disk, leave_bytes=150 * KB)
            os.write(fd, b"\1" * 50 * KB)
            reserve.after_write(50 * KB)  # less than half used: nothing asked of the disk
            assert reserve.full is None
            os.write(fd, b"\1" * 60 * KB)
            reserve.after_write(110 * KB)  # the next stretch still fits
            assert reserve.full is None
            fill(disk, leave_bytes=0, name="more.bin")
            os.write(fd, b"\1" * 110 * KB)  # written into the reserve: no "no space left"
            reserve.after_write(220 * KB)  # more than half of it used, and no next stretch
            assert reserve.full is not None and "No space left" in str(reserve.full)
            reserve.release()
            assert os.fstat(fd).st_size == 220 * KB
            assert os.fstat(fd).st_blocks * 512 < 220 * KB + 8 * KB  # given back
        finally:
            os.close(fd)


def test_a_disk_too_full_for_a_reserve_records_without_one(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", 512) as disk:
        fd = os.open(disk / "show.mkv", os.O_WRONLY | os.O_CREAT)
        try:
            reserve = DiskReserve(fd, 8_000 * KB)
            assert not reserve.active and reserve.full is None
            reserve.after_write(100 * KB)
            assert reserve.full is None
        finally:
            os.close(fd)
