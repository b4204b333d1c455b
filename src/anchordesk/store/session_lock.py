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

One file may have several names: a hard link, a file bind-mounted at a second name. SQLite
keeps its write-ahead log beside the *name* (``NAME-wal``), so two programs writing one file
through two names each write a log the other never reads, and one's orders are lost when the
logs are folded back (SQLite documents hard links as unsupported for that reason). So a session
file with more than one link is refused for writing, whatever the lock says, and the lock is
also taken by the file's identity (device and inode): a second lock file named ``DEV-INO.lock``
in one folder of the user's (``session-locks`` in the data folder), which any name of the file
leads to. ``NAME.lock`` stays where and what it was (an empty file beside the session, locked
whole), so an older AnchorDesk and this one still keep each other out. A symbolic link is
followed first: the lock files are those of the file it leads to.
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


class SessionHasOtherNames(SessionInUse):
    """The session file has another name (a hard link): refused for writing (one line)."""


Identity = tuple[int, int]  # (st_dev, st_ino) of the session file


@dataclass
class _Hold:
    files: list[tuple[Path, int]]  # (lock file, descriptor), in the order taken
    identity: Identity | None  # None while the session file does not exist yet
    users: int


_held: dict[Path, _Hold] = {}  # resolved session path -> what this program holds for it
_guard = threading.Lock()

#: The folder of the identity locks, in the user's data folder.
IDENTITY_FOLDER = "session-locks"


def lock_path(session: Path) -> Path:
    return session.with_name(session.name + ".lock")


def identity_lock_path(identity: Identity) -> Path | None:
    """The lock file every name of the file leads to (None: no such folder can be made)."""
    from anchordesk.core.paths import user_data_dir

    try:
        folder = user_data_dir() / IDENTITY_FOLDER
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    device, inode = identity
    return folder / f"{device}-{inode}.lock"


def _identity(session: Path) -> tuple[Identity | None, int]:
    """The file's (device, inode) and its number of links; (None, 0) when there is none."""
    try:
        status = os.stat(session)
    except OSError:
        return None, 0
    return (status.st_dev, status.st_ino), status.st_nlink


def _refuse_other_names(session: Path, links: int) -> None:
    if links > 1:
        raise SessionHasOtherNames(
            f"{session}: this session file has {links} names (hard links); two programs "
            "writing it under two names would lose each other's orders, so it is not written: "
            "give a copy of it (cp) to --session, or remove its other names"
        )


def _in_use(session: Path) -> SessionInUse:
    return SessionInUse(
        f"{session}: this session is open in another running AnchorDesk; stop "
        "that one first, or give another --session"
    )


def _take(calls: LockCalls, lock_file: Path, session: Path) -> int | None:
    """The descriptor of ``lock_file``, locked; None when no lock file can be made there.
    Raises :class:`SessionInUse` when another program holds it."""
    for _ in range(3):
        try:
            descriptor = os.open(lock_file, _OPEN_FLAGS, 0o600)
        except OSError:
            return None  # no lock file can be made there: SQLite will say why it cannot write
        if not calls.lock(descriptor):
            os.close(descriptor)
            raise _in_use(session)
        # The holder before us may have removed the file as we opened it: a lock on the
        # removed file is one nobody else sees, so take the one now at the path.
        if _still_at(lock_file, descriptor):
            return descriptor
        os.close(descriptor)
    return None


def _still_at(lock_file: Path, descriptor: int) -> bool:
    """Whether ``lock_file`` still names the file open at ``descriptor``."""
    try:
        named, held = os.stat(lock_file), os.fstat(descriptor)
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _let_go(calls: LockCalls, files: list[tuple[Path, int]]) -> None:
    for lock_file, descriptor in reversed(files):
        ours = _still_at(lock_file, descriptor)
        if calls.remove_before_close and ours:
            # Removed while still held, so no other program can hold it on the removed file.
            with contextlib.suppress(OSError):
                os.unlink(lock_file)
        with contextlib.suppress(OSError):
            calls.unlock(descriptor)
        os.close(descriptor)
        if not calls.remove_before_close and ours:
            # Windows: only now can it go, and only if no other program has it open (then it
            # stays, and the next run takes it over as after a crash).
            with contextlib.suppress(OSError):
                os.unlink(lock_file)


def _lock_all(calls: LockCalls, session: Path, key: Path, identity: Identity | None) -> _Hold:
    files: list[tuple[Path, int]] = []
    wanted = [lock_path(key)]
    if identity is not None:
        by_identity = identity_lock_path(identity)
        if by_identity is not None:
            wanted.append(by_identity)
    try:
        for lock_file in wanted:
            descriptor = _take(calls, lock_file, session)
            if descriptor is not None:
                files.append((lock_file, descriptor))
    except SessionInUse:
        _let_go(calls, files)
        raise
    return _Hold(files, identity, 1)


def acquire(session: Path) -> None:
    """Take the session's lock for this program, or raise :class:`SessionInUse` (another
    program holds it) or :class:`SessionHasOtherNames` (the file has another name)."""
    key = session.resolve()
    identity, links = _identity(key)
    _refuse_other_names(session, links)
    calls = _calls
    if calls is None:
        return
    with _guard:
        if key in _held:
            _held[key].users += 1
            return
        for other, hold in _held.items():
            if identity is not None and hold.identity == identity:
                raise SessionInUse(
                    f"{session}: this session file is open in this AnchorDesk under another "
                    f"name ({other}); give that name, or a copy of the file"
                )
        _held[key] = _lock_all(calls, session, key, identity)


def settle(session: Path) -> None:
    """The session file was made after its lock was taken (a new session): lock it by its
    identity too, now that it has one. Raises :class:`SessionInUse` when another program
    took that first."""
    calls = _calls
    if calls is None:
        return
    key = session.resolve()
    with _guard:
        hold = _held.get(key)
        if hold is None or hold.identity is not None:
            return
        identity, links = _identity(key)
        _refuse_other_names(session, links)
        if identity is None:
            return
        by_identity = identity_lock_path(identity)
        if by_identity is not None:
            descriptor = _take(calls, by_identity, session)
            if descriptor is not None:
                hold.files.append((by_identity, descriptor))
        hold.identity = identity


def release(session: Path) -> None:
    """Let the lock go when the last store of this program closes the file."""
    calls = _calls
    if calls is None:
        return
    key = session.resolve()
    with _guard:
        hold = _held.get(key)
        if hold is None:
            return
        hold.users -= 1
        if hold.users > 0:
            return
        del _held[key]
        _let_go(calls, hold.files)


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
        hold = _held.pop(old_key, None)
        users = 1 if hold is None else hold.users
        if hold is not None:
            still_ours = all(_still_at(name, descriptor) for name, descriptor in hold.files)
            if still_ours and old_key == new_key and hold.identity == _identity(new_key)[0]:
                _held[new_key] = hold
                return
            _let_go(calls, hold.files)
    acquire(new)
    with _guard:
        if new_key in _held:
            _held[new_key].users = users
