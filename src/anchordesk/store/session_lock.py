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

On Windows the same lock is ``msvcrt.locking`` (``LK_NBLCK``) of byte 0 of the lock file: an
exclusive lock that Windows also drops when the program ends. A file open in any program
cannot be removed there, so the lock file is removed after it is closed (when nobody else has
it open), not before. The platform's call is one small function (:class:`LockCalls`); the
rest is the same on both.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0)


@dataclass(frozen=True)
class LockCalls:
    """The platform's exclusive, non-blocking lock of an open lock file."""

    #: Take the lock: True, or False when another program holds it.
    lock: Callable[[int], bool]
    unlock: Callable[[int], None]
    #: POSIX removes the lock file while it is still held (nobody can take the removed file's
    #: lock); Windows cannot remove a file that is open, so it removes it after closing.
    remove_before_close: bool


def posix_calls(fcntl_module: ModuleType) -> LockCalls:
    def lock(descriptor: int) -> bool:
        try:
            fcntl_module.flock(descriptor, fcntl_module.LOCK_EX | fcntl_module.LOCK_NB)
        except OSError:
            return False
        return True

    def unlock(descriptor: int) -> None:
        fcntl_module.flock(descriptor, fcntl_module.LOCK_UN)

    return LockCalls(lock, unlock, remove_before_close=True)


def windows_calls(msvcrt_module: ModuleType) -> LockCalls:
    """``msvcrt.locking`` locks bytes from the file's position: always byte 0, so two
    programs lock the same byte whatever they read or wrote before."""

    def lock(descriptor: int) -> bool:
        os.lseek(descriptor, 0, os.SEEK_SET)
        try:
            msvcrt_module.locking(descriptor, msvcrt_module.LK_NBLCK, 1)
        except OSError:  # EACCES (or EDEADLOCK): another program holds it
            return False
        return True

    def unlock(descriptor: int) -> None:
        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt_module.locking(descriptor, msvcrt_module.LK_UNLCK, 1)

    return LockCalls(lock, unlock, remove_before_close=False)


def _platform_calls() -> LockCalls | None:
    try:
        import fcntl

        return posix_calls(fcntl)
    except ImportError:
        pass
    try:
        import msvcrt

        return windows_calls(msvcrt)
    except ImportError:  # neither: SQLite's locks alone keep the file consistent
        return None


_calls = _platform_calls()


class SessionInUse(Exception):
    """Another running program writes this session file (one line for the user)."""


_held: dict[Path, tuple[int, int]] = {}  # resolved session path -> (descriptor, users)
_guard = threading.Lock()


def lock_path(session: Path) -> Path:
    return session.with_name(session.name + ".lock")


def acquire(session: Path) -> None:
    """Take the session's lock for this program, or raise :class:`SessionInUse`."""
    calls = _calls
    if calls is None:
        return
    key = session.resolve()
    with _guard:
        if key in _held:
            descriptor, users = _held[key]
            _held[key] = (descriptor, users + 1)
            return
        for _ in range(3):
            try:
                descriptor = os.open(lock_path(key), _OPEN_FLAGS, 0o600)
            except OSError:
                return  # no lock file can be made there: SQLite will say why it cannot write
            if not calls.lock(descriptor):
                os.close(descriptor)
                raise SessionInUse(
                    f"{session}: this session is open in another running AnchorDesk; stop "
                    "that one first, or give another --session"
                )
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
    calls = _calls
    if calls is None:
        return
    key = session.resolve()
    with _guard:
        if key not in _held:
            return
        descriptor, users = _held.pop(key)
        if users > 1:
            _held[key] = (descriptor, users - 1)
            return
        if calls.remove_before_close:
            # Removed while still held, so no other program can hold it on the removed file.
            with contextlib.suppress(OSError):
                os.unlink(lock_path(key))
        with contextlib.suppress(OSError):
            calls.unlock(descriptor)
        os.close(descriptor)
        if not calls.remove_before_close:
            # Windows: only now can it go, and only if no other program has it open (then it
            # stays, and the next run takes it over as after a crash).
            with contextlib.suppress(OSError):
                os.unlink(lock_path(key))


def follow(old: Path, new: Path) -> None:
    """The session file was written again (deleted mid-show, store/session_restore.py), maybe
    under another name: hold the lock of the file as it is now. The old lock file went with
    its folder, or names a session nobody writes any more; a lock on a removed file keeps
    nobody out. Raises :class:`SessionInUse` when another program took the new one first."""
    calls = _calls
    if calls is None:
        return
    old_key, new_key = old.resolve(), new.resolve()
    with _guard:
        descriptor, users = _held.pop(old_key, (-1, 1))
        try:
            still_ours = os.stat(lock_path(old_key)).st_ino == os.fstat(descriptor).st_ino
        except OSError:
            still_ours = False
        if still_ours and old_key == new_key:
            _held[new_key] = (descriptor, users)
            return
        if descriptor >= 0:
            if still_ours:
                with contextlib.suppress(OSError):
                    os.unlink(lock_path(old_key))
            with contextlib.suppress(OSError):
                calls.unlock(descriptor)
            os.close(descriptor)
    acquire(new)
    with _guard:
        if new_key in _held:
            held, _ = _held[new_key]
            _held[new_key] = (held, users)
