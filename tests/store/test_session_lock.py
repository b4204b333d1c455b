"""The session lock (store/session_lock.py): one writing program per session file.

The POSIX branch runs here against a real second process. The Windows branch
(``msvcrt.locking``) cannot run on this machine: its logic is tested with the locking
function injected (a stand-in that keeps byte locks per file as Windows does), so what it
asks of Windows is checked, not Windows itself."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from anchordesk.store import session_lock
from anchordesk.store.session_lock import SessionInUse

HOLD = """
import sys
from pathlib import Path
from anchordesk.store import session_lock
session_lock.acquire(Path(sys.argv[1]))
print("held", flush=True)
sys.stdin.read()
"""


def test_posix_a_second_program_is_refused_until_the_first_ends(tmp_path: Path) -> None:
    session = tmp_path / "show.adsession"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(session)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(SessionInUse, match="open in another running AnchorDesk"):
            session_lock.acquire(session)
    finally:
        holder.kill()  # however it ends, the system drops its lock
        holder.wait()
    session_lock.acquire(session)
    session_lock.release(session)
    assert not session_lock.lock_path(session).exists()


def test_posix_the_lock_follows_a_session_written_again_after_its_folder_was_removed(
    tmp_path: Path,
) -> None:
    """A clean-up removed the folder, lock file and all: a lock on the removed file keeps
    nobody out. After the session is written again (store/session_restore.py) the lock is
    taken at its name again, under a numbered name too, and another program is refused."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    session, numbered = folder / "show.adsession", folder / "show-2.adsession"
    session_lock.acquire(session)
    try:
        for name in folder.iterdir():
            name.unlink()
        session_lock.follow(session, session)
        assert session_lock.lock_path(session).exists()
        taker = subprocess.run(
            [sys.executable, "-c", HOLD, str(session)], input="", capture_output=True, text=True
        )
        assert "open in another running AnchorDesk" in taker.stderr
        session_lock.follow(session, numbered)
        assert not session_lock.lock_path(session).exists()
        assert session_lock.lock_path(numbered).exists()
    finally:
        session_lock.release(numbered)
    assert not session_lock.lock_path(numbered).exists()


class FakeMsvcrt:
    """``msvcrt.locking`` as Windows does it: a byte range of a file, locked by one program;
    ``LK_NBLCK`` fails with EACCES when another holds it. ``others`` are the files another
    program holds (by file identity)."""

    LK_UNLCK, LK_LOCK, LK_NBLCK, LK_RLCK, LK_NBRLCK = 0, 1, 2, 3, 4

    def __init__(self) -> None:
        self.others: set[tuple[int, int]] = set()
        self.mine: set[tuple[int, int]] = set()
        self.calls: list[tuple[str, int, int]] = []  # (mode, position, bytes)

    @staticmethod
    def _identity(descriptor: int) -> tuple[int, int]:
        status = os.fstat(descriptor)
        return status.st_dev, status.st_ino

    def locking(self, descriptor: int, mode: int, nbytes: int) -> None:
        position = os.lseek(descriptor, 0, os.SEEK_CUR)
        name = {self.LK_NBLCK: "NBLCK", self.LK_UNLCK: "UNLCK"}.get(mode, str(mode))
        self.calls.append((name, position, nbytes))
        identity = self._identity(descriptor)
        if mode == self.LK_NBLCK:
            if identity in self.others or identity in self.mine:
                raise OSError(errno.EACCES, "Permission denied")
            self.mine.add(identity)
        elif mode == self.LK_UNLCK:
            self.mine.discard(identity)


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> FakeMsvcrt:
    fake = FakeMsvcrt()
    calls = session_lock.windows_calls(SimpleNamespace(**{
        name: getattr(fake, name) for name in ("locking", "LK_NBLCK", "LK_UNLCK")
    }))  # fmt: skip
    monkeypatch.setattr(session_lock, "_calls", calls)
    return fake


def test_windows_locks_byte_zero_without_waiting_and_unlocks_it(
    windows: FakeMsvcrt, tmp_path: Path
) -> None:
    session = tmp_path / "show.adsession"
    session_lock.acquire(session)
    session_lock.acquire(session)  # a second store of the same program shares it
    lock_file = session_lock.lock_path(session)
    assert lock_file.exists() and windows.mine
    session_lock.release(session)
    assert windows.mine, "still held by the other store of this program"
    session_lock.release(session)
    assert windows.calls == [("NBLCK", 0, 1), ("UNLCK", 0, 1)]
    assert not windows.mine and not lock_file.exists(), "removed once closed"


def test_windows_a_session_held_by_another_program_is_refused_in_one_line(
    windows: FakeMsvcrt, tmp_path: Path
) -> None:
    session = tmp_path / "show.adsession"
    lock_file = session_lock.lock_path(session)
    lock_file.write_bytes(b"")
    status = lock_file.stat()
    windows.others.add((status.st_dev, status.st_ino))
    with pytest.raises(SessionInUse) as refused:
        session_lock.acquire(session)
    assert str(refused.value) == (
        f"{session}: this session is open in another running AnchorDesk; stop that one first, "
        "or give another --session"
    )
    assert lock_file.exists(), "the other program's lock file is left alone"
    windows.others.clear()  # that program ended (Windows drops its lock)
    session_lock.acquire(session)
    session_lock.release(session)


def test_windows_the_lock_is_at_byte_zero_whatever_the_position(
    windows: FakeMsvcrt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # msvcrt.locking locks from the file's position: a descriptor moved on (the file written
    # by an older version) must still lock byte 0, the byte every program locks.
    session = tmp_path / "show.adsession"
    session_lock.lock_path(session).write_bytes(b"12345")
    real_open = os.open

    def open_at_end(path: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        descriptor = real_open(path, flags, mode)
        os.lseek(descriptor, 0, os.SEEK_END)
        return descriptor

    monkeypatch.setattr(session_lock.os, "open", open_at_end)
    session_lock.acquire(session)
    session_lock.release(session)
    assert [position for _, position, _ in windows.calls] == [0, 0]
