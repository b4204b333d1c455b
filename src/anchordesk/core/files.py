"""Files written whole or not at all (show files, settings, reports)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Mapping
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
    temporary = _written_beside(path, folder, data, new_file_mode)
    try:
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _written_beside(path: Path, folder: Path, data: bytes, new_file_mode: int | None) -> str:
    """A temporary file in ``folder`` holding ``data``, on the disk, with the mode ``path``
    has (or ``new_file_mode``, or what ``open()`` would give a new file): ready to take its
    name. Removed again when it cannot be made whole."""
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
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


class NotAllWritten(Exception):
    """:func:`write_files_together` failed at ``path`` with ``error``; ``placed``: the files
    left with their new contents (none, unless putting an old one back failed too)."""

    def __init__(self, path: Path, error: OSError, placed: list[Path]) -> None:
        super().__init__(f"{path}: {error}")
        self.path = path
        self.error = error
        self.placed = placed


def write_files_together(files: Mapping[Path, bytes]) -> None:
    """Write several files all or none: each is written whole beside its name first, then
    they all take their names. A full disk halfway (``desktop install``: a menu entry whose
    icon and file type were never written), or a name that cannot be taken (a folder in the
    way), leaves every old file as it was, no new one and no folder made for them. Raises
    :class:`NotAllWritten`."""
    made: list[Path] = []
    ready: dict[Path, str] = {}
    kept: dict[Path, str] = {}  # the old file at each name, linked beside it until the end
    try:
        for path, data in files.items():
            folder = path.resolve().parent
            missing = []
            for candidate in (folder, *folder.parents):
                if candidate.exists():
                    break
                missing.append(candidate)
            try:
                folder.mkdir(parents=True, exist_ok=True)
            finally:
                made += [candidate for candidate in missing if candidate.exists()]
            if path.is_dir() and not path.is_symlink():
                # Known before any file takes its name: said as the rename would say it.
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            ready[path] = _written_beside(path, folder, data, None)
            if os.path.lexists(path):
                kept[path] = _kept_beside(path, folder)
    except BaseException as error:  # a Ctrl+C too: it left the temporary files behind
        _remove(ready, kept, made)
        if isinstance(error, OSError):
            raise NotAllWritten(path, error, []) from None
        raise
    placed: list[Path] = []
    for path, temporary in ready.items():
        try:
            os.replace(temporary, path)
        except BaseException as error:
            # Every file that took its name before gets its old one back (or goes, if it
            # was new): "1 files were replaced before it" left a menu entry alone.
            left = [done for done in placed if not _put_back(done, kept.get(done))]
            _remove(ready, kept, made)
            if isinstance(error, OSError):
                raise NotAllWritten(path, error, left) from None
            raise
        placed.append(path)
    _remove({}, kept, [])


def _kept_beside(path: Path, folder: Path) -> str:
    """A second name in ``folder`` for the file (or link) at ``path``, to put it back with."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".old", dir=folder)
    os.close(handle)
    os.unlink(name)
    try:
        os.link(path, name, follow_symlinks=False)
    except OSError:  # a file system without hard links: a copy
        os.replace(_written_beside(path, folder, path.read_bytes(), None), name)
    return name


def _put_back(path: Path, old: str | None) -> bool:
    """``path`` as it was before :func:`write_files_together`; False when it cannot be."""
    try:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            os.replace(old, path)
    except OSError:
        return False
    return True


def _remove(ready: Mapping[Path, str], kept: Mapping[Path, str], made: list[Path]) -> None:
    for temporary in (*ready.values(), *kept.values()):
        with contextlib.suppress(OSError):
            Path(temporary).unlink(missing_ok=True)
    for folder in sorted(made, key=lambda folder: len(folder.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


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
