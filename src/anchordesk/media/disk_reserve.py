"""Room kept on the disk for the end of the recording's file.

A Matroska file gets its duration and its index (cues) when it is closed: the muxer writes the
last cluster and the cues at the end and then patches the header. When another program fills
the disk between two free-space measurements (``media/disk_space.py``), the write that finds
no space left used to end the file there: it played, but without a duration, and players could
not seek in it. So the recording keeps ``reserve_bytes`` allocated past the end of its file
(``fallocate`` with ``FALLOC_FL_KEEP_SIZE``: blocks that belong to the file without changing
its size, released when the file is closed) and moves the reserve along as the file grows.
When the disk cannot give the next stretch, the recording stops there, and the end of the file
is written into the reserve it still has.

Linux only (``fallocate(2)`` through ctypes); elsewhere, or on a file system that has no
``fallocate``, there is no reserve and the recording behaves as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import stat
import sys
from collections.abc import Callable
from typing import Final

#: Two clusters of a 6 Mbit/s recording (a cluster is closed every second, at most 4 MB), the
#: cues of a long show (about 20 bytes a keyframe) and the header's patches, with room to spare.
DEFAULT_RESERVE_BYTES: Final = 8 * 1000 * 1000

_FALLOC_FL_KEEP_SIZE: Final = 0x01


def _load_fallocate() -> Callable[[int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.fallocate
        function.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
        function.restype = ctypes.c_int
        result: Callable[[int, int, int, int], int] = function
        return result
    return None


_fallocate = _load_fallocate()


def reserve_past_end(fd: int, offset: int, length: int) -> None:
    """Allocate ``length`` bytes of the file from ``offset`` without changing its size.
    Raises ``OSError`` (ENOSPC when the disk has no room, EOPNOTSUPP where it cannot)."""
    if _fallocate is None:
        raise OSError(errno.EOPNOTSUPP, "fallocate is not available here")
    if _fallocate(fd, _FALLOC_FL_KEEP_SIZE, offset, length) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def largest_file_bytes(fd: int) -> int | None:
    """The largest regular file ``fd`` may become, when something smaller than what a show
    records sets it: the disk (FAT32, the USB disk's usual format, takes files of at most
    4 GiB; glibc's ``FILESIZEBITS`` says 32 there) or this program's file-size limit
    (``RLIMIT_FSIZE``). Past it every write fails with EFBIG, the end of the file (duration,
    index) included; None when nothing smaller than 2**63 is known."""
    limits: list[int] = []
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        bits = os.fpathconf(fd, "PC_FILESIZEBITS")
        if 0 < bits < 64:
            limits.append((1 << bits) - 1)
    with contextlib.suppress(ImportError, OSError, ValueError, AttributeError):
        import resource

        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if soft != resource.RLIM_INFINITY and soft > 0:
            limits.append(soft)
    return min(limits, default=None)


class DiskReserve:
    """The reserve of one open file. ``full`` is set (an ``OSError``, ENOSPC) when the disk
    could not give the next stretch: the writer stops then, with ``reserve_bytes / 2`` or more
    still reserved for the end of the file."""

    def __init__(self, fd: int, reserve_bytes: int = DEFAULT_RESERVE_BYTES) -> None:
        self._fd = fd
        self.reserve_bytes = reserve_bytes
        self.largest_bytes = largest_file_bytes(fd)
        self._reserved_to = 0
        self.full: OSError | None = None
        # False: no reserve (not on this system or file system, or the disk is already too full
        # for one: the free-space guard stops such a recording anyway).
        self.active = reserve_bytes > 0
        if self.active:
            self.after_write(0)
            if self.full is not None:
                self.active, self.full = False, None

    def after_write(self, size_bytes: int) -> None:
        """The file is ``size_bytes`` long now: move the reserve along when half of it is used."""
        if self.full is not None:
            return
        end_bytes = self.reserve_bytes or DEFAULT_RESERVE_BYTES  # room the file's end needs
        largest = self.largest_bytes
        # (A limit below twice that leaves the write to fail: a new file for every write.)
        if largest is not None and largest > 2 * end_bytes and size_bytes + end_bytes > largest:
            # Stopped while the end still fits: the write that crossed the limit lost it.
            self.full = OSError(errno.EFBIG, os.strerror(errno.EFBIG))
            return
        if not self.active:
            return
        if size_bytes + self.reserve_bytes // 2 <= self._reserved_to:
            return
        try:
            reserve_past_end(self._fd, size_bytes, self.reserve_bytes)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                self.full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            elif error.errno == errno.EFBIG:  # past the largest file (see largest_file_bytes)
                self.full = OSError(errno.EFBIG, os.strerror(errno.EFBIG))
            else:  # no fallocate here: no reserve, and nothing else changes
                self.active = False
            return
        self._reserved_to = size_bytes + self.reserve_bytes

    def release(self) -> None:
        """Give back the blocks past the end of the file (it is finished)."""
        if self._reserved_to:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, os.fstat(self._fd).st_size)
            self._reserved_to = 0
