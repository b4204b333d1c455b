"""Files written whole or not at all (show files, settings, reports)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from anchordesk.core.disk import not_a_file


def _umask() -> int:
    # Linux tells it without changing it; elsewhere it can only be read by setting it (and
    # setting it straight back), which another thread creating a file might notice.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomically(path: Path, text: str, *, new_file_mode: int | None = None) -> None:
    """Write ``text`` (UTF-8, as it is: no newline translation) with
    :func:`write_bytes_atomically`."""
    write_bytes_atomically(path, text.encode("utf-8"), new_file_mode=new_file_mode)


def write_bytes_atomically(path: Path, data: bytes, *, new_file_mode: int | None = None) -> None:
    """Write ``data`` so that a crash leaves the old file or the new one, never half of one.
    Whatever was at the name (a FIFO, which an open() for writing waits on) is replaced.

    The file keeps its permissions (a 0644 show file stays 0644: the temporary file that
    replaces it would otherwise bring mkstemp's 0600). A new file gets ``new_file_mode``, or
    what ``open()`` would give it (0666 less the umask).
    """
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = new_file_mode if new_file_mode is not None else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class NotARegularFile(OSError):
    """What a path names is no regular file (str(): "a pipe, not a file")."""


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the regular file ``path`` (one more tells it is too
    long). Opened without waiting: a FIFO at a file's name was opened with a blocking open()
    that waited for a writer for ever, deaf to SIGTERM once a run had taken the signal; and
    a device (a link to /dev/zero) was read without end. Raises ``NotARegularFile`` for
    those, ``OSError`` as ``open()`` does."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"{not_a_file(mode)}, not a file")
        return file.read(max_bytes + 1)
