"""The recording's disk: how much is free, and when to stop before it is full.

A show records about 1.1 GB an hour at 720p30. A disk that fills in the middle of a show takes
everything else on it down too (the session store, the log, other programs), so the recording
stops itself, with a message, while ``min_free_bytes`` are still free; the file is closed
properly and plays up to there. Once ``resume_free_bytes`` are free again (a file deleted
mid-show), the recording goes on in a new file (:meth:`FreeSpaceGuard.has_room`). The free
space is measured with ``shutil.disk_usage`` on the recording's folder, at most every
``interval_s`` (a ``statvfs``, microseconds, on the writer's thread); the probe and the clock
are injected in tests.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from anchordesk.core.words import QT_TRANSLATE_NOOP, Words

#: What a recording leaves free on its disk: about 25 minutes of it, room for the session files
#: and the system. A disk smaller than 20 times this keeps a twentieth of its size free.
DEFAULT_MIN_FREE_BYTES: Final = 500 * 1000 * 1000


def measured_folder(folder: Path) -> Path:
    """The folder whose disk holds ``folder``, or would hold it: a folder deleted while the
    recording waits for room (a clean-up) is measured at its nearest existing parent, where it
    is made again; it was left unmeasured (its floor the default 500 MB), and the recording
    waited for good."""
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            return candidate
    return folder


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(measured_folder(folder)).free


def format_bytes(count: float) -> str:
    """1 234 567 890 -> "1.2 GB" (decimal units, as file managers show disk space)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit in ("B", "kB") else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"  # pragma: no cover - the loop returns at GB


class LowDiskSpace(Exception):
    """Raised on the recording's thread to stop it the way a write fault stops it."""

    def __init__(self, free_bytes: int, min_free_bytes: int) -> None:
        super().__init__(f"less than {format_bytes(min_free_bytes)} free")
        self.free_bytes = free_bytes
        self.min_free_bytes = min_free_bytes

    def reason_for(self, path: Path) -> str:
        """ "the disk holding PATH has less than N MB free" (the first half of the line)."""
        return str(self.words_for(path))

    def words_for(self, path: Path) -> Words:
        """:meth:`reason_for` as words a window says in its language."""
        limit = self.min_free_bytes
        shown = f"{limit / 1e6:.0f} MB" if 10e6 <= limit < 1e9 else format_bytes(limit)
        return Words(
            QT_TRANSLATE_NOOP("Disk", "the disk holding {path} has less than {size} free"),
            path=str(path),
            size=shown,
        )


class FreeSpaceGuard:
    """Measures the free space of ``folder`` now and then; says why to stop when it is low."""

    def __init__(
        self,
        folder: Path,
        *,
        min_free_bytes: int | None = None,
        interval_s: float = 5.0,
        probe: Callable[[Path], int] = free_bytes,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self._min_free_bytes = min_free_bytes
        self.interval_s = interval_s
        self._probe = probe
        self._clock = clock
        self._checked_at_s: float | None = None
        #: Free bytes at the last measurement (None before the first, or when it failed).
        self.free_bytes: int | None = None
        #: Why the recording stopped for space (None while it has room).
        self.low: str | None = None

    @property
    def min_free_bytes(self) -> int:
        if self._min_free_bytes is not None:
            return self._min_free_bytes
        try:
            total = shutil.disk_usage(measured_folder(self.folder)).total
        except OSError:
            return DEFAULT_MIN_FREE_BYTES
        return min(DEFAULT_MIN_FREE_BYTES, total // 20)

    @property
    def resume_free_bytes(self) -> int:
        """What a stopped recording waits for before it records again: half as much again as
        the floor, so a disk that hovers at the floor does not start and stop a new file every
        few seconds."""
        floor = self.min_free_bytes
        return floor + floor // 2

    def _measure(self) -> int | None:
        """Free bytes now, when ``interval_s`` has passed since the last time (else None)."""
        now_s = self._clock()
        if self._checked_at_s is not None and now_s - self._checked_at_s < self.interval_s:
            return None
        self._checked_at_s = now_s
        try:
            free = self._probe(self.folder)
        except OSError:
            self.free_bytes = None
            return None
        self.free_bytes = free
        return free

    def has_room(self) -> bool:
        """After a stop: measure when ``interval_s`` has passed; True once
        ``resume_free_bytes`` are free again."""
        free = self._measure()
        if free is None or free < self.resume_free_bytes:
            return False
        self.low = None
        return True

    def check(self) -> None:
        """Measure when ``interval_s`` has passed since the last time; raise
        :class:`LowDiskSpace` when less than ``min_free_bytes`` is free. A folder that cannot
        be measured (a network share gone) is left to the writes themselves."""
        free = self._measure()
        if free is None:
            return
        limit = self.min_free_bytes
        if free < limit:
            self.low = (
                f"only {format_bytes(free)} left on the disk holding {self.folder}: the recording "
                f"stops while {format_bytes(limit)} are still free, before the disk fills"
            )
            raise LowDiskSpace(free, limit)
