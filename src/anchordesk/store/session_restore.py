"""A session file deleted while its show runs is written again from the open connection.

A clean-up script or a user tidying a folder can remove ``s.adsession`` (and its ``-wal`` and
``-shm``) mid-show. SQLite goes on writing into the open, nameless file, the run ends "session
ended: s.adsession" with exit 0, and every comment and order of the session is gone with the
last descriptor. As the recording and ``--stats`` do, the writer looks at the file now and then
(not per write: :class:`FileWatch` is one ``fstat``), and when it has no name left, SQLite's
online backup copies everything from the still-open connection into a new file at its name
(the folder made again; a numbered name when the name now leads to another file). The store
then writes there; the caller says so once.

Why through a file beside it and not straight to the name: the old connection, when closed,
removes ``NAME-wal`` and ``NAME-shm`` by name; the new file must not have a write-ahead log of
its own there yet, and a stale ``-wal`` left at the name (only the database was removed) must
not be applied to the new file by the next reader. So: copy into ``NAME.restoring``, close
that copy, close the old connection (its log goes), then give the copy its name without ever
replacing a file (``link``), and open it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

from anchordesk.core.disk import make_folder_again, moved_to, name_max_bytes, no_name_left

_MAX_NUMBERED = 999
# SQLite opens files beside a database under its name plus a suffix: "-wal" and "-shm" (the
# session's journal mode), "-journal" (the backup's target). Every name this module makes
# leaves room for the longest, or SQLite cannot open what was written.
_SIDE_FILE_BYTES = len("-journal")


class FileWatch:
    """An extra read-only descriptor of the database file, for ``fstat``.

    It must stay open until SQLite's connection is closed: closing any descriptor of a file
    drops the POSIX locks the process holds on it, SQLite's included."""

    def __init__(self, path: Path) -> None:
        self._fd: int | None = None
        if os.name != "posix":  # Windows cannot remove a file that is open
            return
        with contextlib.suppress(OSError):
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    def deleted(self) -> bool:
        """The file has no name left (every link to it removed, or its disk detached)."""
        if self._fd is None:
            return False
        return no_name_left(self._fd)

    def moved_to(self, path: Path) -> Path | None:
        """Where the file is now when ``path`` no longer leads to it but it still has a name
        (moved mid-show: a user tidying the folder); None when it was not, or where is not
        known (no /proc)."""
        return None if self._fd is None else moved_to(self._fd, path)

    def size_bytes(self) -> int:
        if self._fd is None:
            return 0
        try:
            return os.fstat(self._fd).st_size
        except OSError:
            return 0

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def room_for(path: Path, size_bytes: int) -> bool:
    """Whether the disk that will hold ``path`` (its nearest existing folder) has
    ``size_bytes`` free: a copy that cannot fit is not tried again and again."""
    for folder in path.parents:
        try:
            return shutil.disk_usage(folder).free > size_bytes
        except OSError:
            continue
    return True


def numbered(path: Path, number: int) -> Path:
    """``s.adsession`` -> ``s-2.adsession`` (cut to the length the disk takes)."""
    return _fitting(path, path.stem, f"-{number}{path.suffix}")


def _fitting(path: Path, stem: str, tail: str) -> Path:
    """``stem + tail`` beside ``path``, the stem cut so that the name and SQLite's files beside
    it (``-journal``, ``-wal``) fit in the longest name the disk takes."""
    limit = name_max_bytes(path.parent) - _SIDE_FILE_BYTES
    while len(stem) > 1 and len(os.fsencode(stem + tail)) > limit:
        stem = stem[:-1]
    return path.with_name(stem + tail)


def copy_out(db: sqlite3.Connection, path: Path) -> Path:
    """Copy the whole database behind ``db`` into a closed file beside ``path`` (returned).
    Raises OSError or sqlite3.Error (nothing left behind) when it cannot."""
    make_folder_again(path.parent)
    # A name that SQLite itself took can be too long for one more suffix (a 246-byte name:
    # its "-wal" fits, ".restoring-journal" does not): the copy's name is cut to fit.
    copy = _fitting(path, path.stem, f"{path.suffix}.restoring")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(copy)  # a copy left by an earlier attempt that failed
    target = sqlite3.connect(copy, isolation_level=None)
    try:
        db.backup(target)
        # The copy holds the WAL mark of the header: back to one file before it is named.
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        target.close()
        remove_with_logs(copy)
        raise
    target.close()
    return copy


def give_name(copy: Path, path: Path) -> Path:
    """Name ``copy`` ``path``, or the first free numbered name beside it; never replaces a
    file. Returns the name it got."""
    candidate = path
    for number in range(2, _MAX_NUMBERED + 2):
        try:
            os.link(copy, candidate)
        except FileExistsError:
            candidate = numbered(path, number)
            continue
        except OSError:
            # A disk without hard links (FAT, some shares): a rename, after looking.
            if os.path.lexists(candidate):
                candidate = numbered(path, number)
                continue
            os.rename(copy, candidate)
            return candidate
        with contextlib.suppress(OSError):
            os.unlink(copy)
        return candidate
    raise FileExistsError(f"{path} and {_MAX_NUMBERED} numbered names after it exist")


def open_files() -> set[tuple[int, int]]:
    """(device, inode) of every file this process holds open (Linux: /proc/self/fd): which
    of the ``-wal`` and ``-shm`` files beside a moved session are its connection's own."""
    found: set[tuple[int, int]] = set()
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                info = os.stat(f"/proc/self/fd/{name}")
                found.add((info.st_dev, info.st_ino))
    return found


def remove_own_logs(paths: list[Path], own: set[tuple[int, int]]) -> None:
    """Remove those of ``paths`` that are files in ``own`` (never another program's)."""
    for path in paths:
        for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(OSError):
                info = os.lstat(side)
                if (info.st_dev, info.st_ino) in own:
                    os.unlink(side)


def remove_with_logs(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(OSError):
            os.unlink(name)
