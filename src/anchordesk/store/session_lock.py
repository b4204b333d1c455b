"""One writing program per session file.

Two ``anchordesk live --session same.adsession`` (or the window and a headless run) would each
apply the same feed to a ledger of their own, interleave two show timelines in one file, and the
first to stop would mark the session ended under the other. SQLite's own locks only serialise
the writes, so a second program that would write is refused with one line, while readers
(``anchordesk report`` during the show) stay free.

The lock is ``flock`` on a file beside the session (``NAME.lock``), never on the database file
itself: closing any descriptor of a database file drops the process's POSIX locks that SQLite
holds on it, and on NFS ``flock`` is emulated with those same locks. The system releases the
lock when the program ends, however it ends (kill -9 included); a lock file left behind by a
crash is taken over by the next run. Within one program the lock is shared by every store of
the file (a window reopens the session for its report while the writer holds it).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; SQLite's locks alone keep the file consistent
    fcntl = None  # type: ignore[assignment]


class SessionInUse(Exception):
    """Another running program writes this session file (one line for the user)."""


_held: dict[Path, tuple[int, int]] = {}  # resolved session path -> (descriptor, users)
_guard = threading.Lock()


def lock_path(session: Path) -> Path:
    return session.with_name(session.name + ".lock")


def acquire(session: Path) -> None:
    """Take the session's lock for this program, or raise :class:`SessionInUse`."""
    if fcntl is None:
        return
    key = session.resolve()
    with _guard:
        if key in _held:
            descriptor, users = _held[key]
            _held[key] = (descriptor, users + 1)
            return
        for _ in range(3):
            try:
                descriptor = os.open(lock_path(key), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                return  # no lock file can be made there: SQLite will say why it cannot write
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(descriptor)
                raise SessionInUse(
                    f"{session}: this session is open in another running AnchorDesk; stop "
                    "that one first, or give another --session"
                ) from None
            # The holder before us may have removed the file as we opened it: a lock on the
            # removed file is one nobody else sees, so take the one now at the path.
            try:
                same = os.stat(lock_path(key)).st_ino == os.fstat(descriptor).st_ino
            except OSError:
                same = False
            if same:
                _held[key] = (descriptor, 1)
                return
            os.close(descriptor)


def release(session: Path) -> None:
    """Let the lock go when the last store of this program closes the file."""
    if fcntl is None:
        return
    key = session.resolve()
    with _guard:
        if key not in _held:
            return
        descriptor, users = _held.pop(key)
        if users > 1:
            _held[key] = (descriptor, users - 1)
            return
        # Removed while still held, so no other program can hold it on the removed file.
        with contextlib.suppress(OSError):
            os.unlink(lock_path(key))
        os.close(descriptor)
