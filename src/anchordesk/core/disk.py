"""Write faults in words: what a user can act on when a file stops being written.

Every writer of a run (the recording, ``--stats``, the session store, the log file) may hit a
full or read-only disk in the middle of a show. The rule, the same for all of them: the writer
that failed stops alone, says so once with :func:`describe_write_fault` ("the disk holding
/media/usb/show.mkv is full"), and the show goes on; ``anchordesk live`` then ends with
:data:`FAULT_EXIT_CODE` so a script knows that something was lost.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from enum import Enum
from pathlib import Path
from typing import Final

from anchordesk.core.words import QT_TRANSLATE_NOOP, Template, Words

#: The exit code of a run that went on after a writer failed (2 stays a user's mistake, 1 a
#: run that could not go on at all).
FAULT_EXIT_CODE: Final = 3


class DiskProblem(Enum):
    FULL = "full"
    READ_ONLY = "read-only"
    DENIED = "denied"
    READER_GONE = "reader gone"  # a pipe whose reading program stopped reading (EPIPE)
    FAILED = "failed"


_PROBLEMS: Final[dict[int, DiskProblem]] = {
    errno.ENOSPC: DiskProblem.FULL,
    errno.EDQUOT: DiskProblem.FULL,
    errno.EFBIG: DiskProblem.FULL,
    errno.EROFS: DiskProblem.READ_ONLY,
    errno.EACCES: DiskProblem.DENIED,
    errno.EPERM: DiskProblem.DENIED,
    errno.EPIPE: DiskProblem.READER_GONE,
}


def is_disk_fault(error: BaseException) -> bool:
    """Whether a failed write is the disk's fault (full, over quota, an I/O error), not a
    mistake in the command: a command that stops for it exits 1, not 2 ("a mistake in the
    command; fix it and run it again" is no advice for a full disk)."""
    return getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EIO)


def disk_problem(error: BaseException) -> DiskProblem:
    """What kind of write fault ``error`` (an ``OSError``, or anything else) is."""
    code = getattr(error, "errno", None)
    if isinstance(code, int):
        return _PROBLEMS.get(code, DiskProblem.FAILED)
    return DiskProblem.FAILED


def write_fault_words(path: Path | str, problem: DiskProblem, detail: str | None = None) -> Words:
    """One line naming the file and the reason, without a traceback or an errno (a window says
    it in its own language; ``str()`` is the English of the command line and the logs)."""
    if problem is DiskProblem.FULL:
        return Words(QT_TRANSLATE_NOOP("Disk", "the disk holding {path} is full"), path=str(path))
    if problem is DiskProblem.READ_ONLY:
        return Words(
            QT_TRANSLATE_NOOP("Disk", "the disk holding {path} is read-only"), path=str(path)
        )
    if problem is DiskProblem.DENIED:
        return Words(
            QT_TRANSLATE_NOOP("Disk", "{path} may not be written here (permission denied)"),
            path=str(path),
        )
    if problem is DiskProblem.READER_GONE:
        # "Broken pipe" means nothing to most people: `--stats >(jq .)` whose jq ended.
        return Words(
            QT_TRANSLATE_NOOP("Disk", "the program reading {path} stopped reading it"),
            path=str(path),
        )
    return Words(
        QT_TRANSLATE_NOOP("Disk", "{path} cannot be written ({detail})"),
        path=str(path),
        detail=detail or "input/output error",
    )


def describe_write_fault(path: Path | str, problem: DiskProblem, detail: str | None = None) -> str:
    """:func:`write_fault_words` in English."""
    return str(write_fault_words(path, problem, detail))


def error_words(path: Path | str, error: BaseException) -> Words:
    """:func:`write_fault_words` for an exception."""
    if getattr(error, "errno", None) == errno.EFBIG:
        # Not a full disk: the disk may have gigabytes free (a FAT32 USB disk takes files of
        # at most 4 GB; a file-size limit set for this program does the same).
        return Words(
            QT_TRANSLATE_NOOP(
                "Disk",
                "{path} reached the largest file this disk or this program's limits allow (a "
                "FAT32 disk holds at most 4 GB a file)",
            ),
            path=str(path),
        )
    problem = disk_problem(error)
    code = getattr(error, "errno", None)
    strerror = getattr(error, "strerror", None)
    reason = _REASONS.get(code) if problem is DiskProblem.FAILED else None
    # Only the C library's own reason: "…is now a file, not a folder" (make_folder_again) is kept.
    if reason is not None and isinstance(code, int) and strerror == os.strerror(code):
        # The C library's reason is English only: a Chinese or Japanese window said "…cannot
        # be written (File name too long)" (R24hunt24ui left). The same English, translated.
        return Words(
            QT_TRANSLATE_NOOP("Disk", "{path} cannot be written ({detail})"),
            path=str(path),
            detail=Words(reason),
        )
    detail = strerror if isinstance(strerror, str) and strerror else None
    if detail is None:
        detail = " ".join(str(error).split()) or type(error).__name__
    return write_fault_words(path, problem, detail)


# The reasons a file cannot be written other than a full, read-only or forbidden disk, as the
# C library says them in English (``os.strerror``), to be said in the window's language.
_REASONS: Final[dict[int | None, Template]] = {
    errno.ENAMETOOLONG: QT_TRANSLATE_NOOP("Disk", "File name too long"),
    errno.ENOENT: QT_TRANSLATE_NOOP("Disk", "No such file or directory"),
    errno.ENOTDIR: QT_TRANSLATE_NOOP("Disk", "Not a directory"),
    errno.EISDIR: QT_TRANSLATE_NOOP("Disk", "Is a directory"),
    errno.ELOOP: QT_TRANSLATE_NOOP("Disk", "Too many levels of symbolic links"),
    errno.EIO: QT_TRANSLATE_NOOP("Disk", "Input/output error"),
    errno.ENXIO: QT_TRANSLATE_NOOP("Disk", "No such device or address"),
    errno.ENODEV: QT_TRANSLATE_NOOP("Disk", "No such device"),
    errno.ETXTBSY: QT_TRANSLATE_NOOP("Disk", "Text file busy"),
    errno.EBUSY: QT_TRANSLATE_NOOP("Disk", "Device or resource busy"),
    errno.EMFILE: QT_TRANSLATE_NOOP("Disk", "Too many open files"),
    errno.ENFILE: QT_TRANSLATE_NOOP("Disk", "Too many open files in system"),
    errno.ESTALE: QT_TRANSLATE_NOOP("Disk", "Stale file handle"),
    errno.ENOTCONN: QT_TRANSLATE_NOOP("Disk", "Transport endpoint is not connected"),
    errno.EEXIST: QT_TRANSLATE_NOOP("Disk", "File exists"),
}


def describe_error(path: Path | str, error: BaseException) -> str:
    """:func:`error_words` in English."""
    return str(error_words(path, error))


def not_a_file(mode: int) -> str:
    """What a path of ``mode`` (``os.stat``'s ``st_mode``) is, when it is no regular file: "a
    pipe", "a socket"... as every writer and reader of a run says it."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"  # pragma: no cover - doors and ports on other systems


def name_max_bytes(folder: Path) -> int:
    """The longest file name the disk holding ``folder`` takes, in bytes (255 on most disks;
    the nearest folder that exists is asked, as a path's folders may not be made yet)."""
    for candidate in (folder, *folder.parents):
        try:
            return int(os.pathconf(candidate, "PC_NAME_MAX"))
        except (OSError, ValueError):
            continue
    return 255


def unreachable(path: Path) -> str | None:
    """Why ``path`` cannot even be looked at, in words (None when it exists or simply does
    not exist yet): a name longer than the disk takes, a file where a folder should be, a link
    loop. ``Path.exists()`` raises for these (ENAMETOOLONG ended `live --record` in a
    traceback), so every path of a run is looked at here first."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            for part in path.parts:
                size = len(os.fsencode(part))
                if size > (limit := name_max_bytes(path.parent)):
                    return (
                        f"a name in the path is too long ({size:,} bytes; "
                        f"the disk takes at most {limit} per name)"
                    )
            return f"the path is too long ({len(os.fsencode(path)):,} bytes)"
        if error.errno == errno.ENOTDIR:
            return "cannot be reached (a part of the path is a file, not a folder)"
        if error.errno == errno.ELOOP:
            return "cannot be reached (a symbolic link in the path loops)"
        if error.errno == errno.EACCES:
            return "cannot be reached (permission denied on a folder of the path)"
        return f"cannot be reached ({error.strerror or error})"
    return None


def cannot_write(path: Path) -> str | None:
    """Why ``path`` cannot be written, in words (None when it can), found by trying: the
    folder's permissions alone do not tell a read-only or full disk. A file that did not
    exist is removed again (an empty file is what the writers start from anyway).

    A pipe or a device is never opened to be tried: opening a pipe for writing waits for a
    reader, and opening it without waiting then closing it ends the input of the program
    reading it (`cat FIFO` exits, and the run then writes into a pipe nobody reads). Only its
    permission is looked at; its writer opens it once, without waiting, and says what is
    wrong with it (media/stats.py: "a pipe that no program reads")."""
    try:
        mode: int | None = path.stat().st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            # Creating it fails "File exists" (the link is there), which told nothing.
            with contextlib.suppress(OSError):
                return f"{path} is a link to {os.readlink(path)}, which does not exist"
        mode = None
    except OSError as error:
        return describe_error(path, error)
    try:
        if mode is None:
            with path.open("xb"):
                pass
            path.unlink()
        elif stat.S_ISSOCK(mode):
            return f"{path} is a socket, not a file"
        elif not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            if not os.access(path, os.W_OK):
                return describe_write_fault(path, DiskProblem.DENIED)
        else:
            # Non-blocking all the same: the file may have been swapped for a pipe since.
            flags = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC
            os.close(os.open(path, flags))
    except OSError as error:
        return describe_error(path, error)
    return None


def own_descriptor(path: Path | str) -> int | None:
    """The descriptor of this process that ``path`` names (``/dev/stdout``, ``/dev/fd/1``,
    ``/proc/self/fd/1``), else None: such a path is where the user's shell put this program's
    output (``--record /dev/stdout > show.mkv``, ``| ffplay -``), not a file's name to keep."""
    current = os.fspath(path)
    own = f"/proc/{os.getpid()}/fd"
    for _ in range(8):  # links to links (/dev/stdout -> /proc/self/fd/1)
        parent, name = os.path.split(current)
        with contextlib.suppress(OSError):
            if name.isdigit() and os.path.realpath(parent) == own:
                return int(name)
        try:
            target = os.readlink(current)
        except (OSError, ValueError):
            return None
        current = os.path.join(parent, target)
    return None


def make_folder_again(folder: Path) -> None:
    """Make ``folder`` (and its parents) again for a file written again after its folder was
    removed mid-show. A file put at its name since was said "a.mkv cannot be written (File
    exists)", as if the recording's own name were taken: it says what is there instead."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        # The folder itself, or one of its parents (ENOTDIR), is a file now.
        there = next(
            (part for part in (folder, *folder.parents) if part.exists() and not part.is_dir()),
            folder,
        )
        raise NotADirectoryError(
            errno.ENOTDIR, f"{there} is now a file, not a folder", str(there)
        ) from None


def moved_to(fd: int, path: Path) -> Path | None:
    """Where the open file ``fd`` is now when ``path`` no longer leads to it but it still has
    a name (moved mid-show: a user tidying the folder); None when it was not moved, was
    deleted, or where it is cannot be known (no /proc). The recording and the session store
    both follow their file this way."""
    try:
        opened = os.fstat(fd)
        if opened.st_nlink == 0:
            return None  # deleted, not moved: the writers restore that case themselves
        named = os.stat(path)
        if (opened.st_dev, opened.st_ino) == (named.st_dev, named.st_ino):
            return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    target = _name_of(fd, opened)
    return None if target is None else Path(target)


def _name_of(fd: int, opened: os.stat_result) -> str | None:
    """The name that leads to the open file ``fd`` now, from /proc (None: none does, or it
    cannot be known). /proc names a file on a disk detached from the folders (``umount -l``
    of a busy disk, a drive ejected while in use) from that disk's own root: "/a.mkv", where
    no file is; such a name is no name."""
    for _ in range(2):  # a rename between the two looks
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return None
        if target.endswith(" (deleted)") or not os.path.isabs(target):
            return None
        with contextlib.suppress(OSError):
            named = os.stat(target)
            if (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino):
                return target
    return None


def no_name_left(fd: int) -> bool:
    """The open file ``fd`` has no name a program can open any more: every link to it
    removed, or its disk detached from the folders while it is written (``umount -l``, a drive
    ejected while in use): what is written there is gone when the file is closed. False when
    it cannot be known (no /proc) or is not a file on a disk (a pipe, a terminal)."""
    try:
        opened = os.fstat(fd)
    except OSError:
        return False
    if opened.st_nlink == 0:
        return True
    if not stat.S_ISREG(opened.st_mode) or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return False
    return os.path.isabs(target) and _name_of(fd, opened) is None
