"""Opening a session file for reading only (``anchordesk report``, the window's report).

A session is written in WAL mode, and a WAL database is read through its ``-shm`` index,
which SQLite creates beside the file. On read-only media (a USB stick, a read-only share, a
mounted backup) it cannot, and the file could not be read at all ("unable to open database
file"); nor on a full disk ("disk I/O error"). There, a file without a ``-wal`` (closed
cleanly) is opened as ``immutable`` (SQLite then needs no index and no lock: nothing can
write there), and a file with one (a crash, or a copy taken while a show ran) is copied with
its ``-wal`` into a temporary folder and read from there, so no committed order in the
``-wal`` is missed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path


def read_text(value: bytes) -> str:
    """A TEXT value as a string, a byte that is not UTF-8 (a damaged sector, a file edited by
    hand) as U+FFFD: Python's default refused the whole query ("Could not decode to UTF-8
    column 'lines'"), so one bad byte in one order refused the whole report. The row is then
    read, or skipped and listed, as any row that cannot be read (``SessionStore._fetch``)."""
    return value.decode("utf-8", "replace")


def _connect(path: Path, *options: str) -> sqlite3.Connection:
    # As a URI: a name holding "#", "?" or "%" is the name, not a fragment or a query.
    uri = f"{path.resolve().as_uri()}?{'&'.join(('mode=ro', *options))}"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


# SQLite's ``-shm`` index of a WAL file is 32 kB, written as it is opened.
_INDEX_BYTES = 32 * 1024


def _no_room_for_the_index(folder: Path) -> bool:
    """True when the disk holding ``folder`` cannot take the ``-shm`` index: a show that filled
    the disk left a whole session there, and `anchordesk report` called it "not a usable
    session file (disk I/O error)" (SQLite could not make its index), exit 2, no report."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < _INDEX_BYTES


def open_for_reading(
    path: Path,
) -> tuple[sqlite3.Connection, tempfile.TemporaryDirectory[str] | None]:
    """The connection, and the temporary folder holding a copy when one was needed (removed
    by the caller when it closes the connection)."""
    db = _connect(path)
    try:
        db.execute("PRAGMA schema_version").fetchone()
        return db, None
    except sqlite3.OperationalError:
        db.close()
        folder = path.resolve().parent
        if os.access(folder, os.W_OK) and not _no_room_for_the_index(folder):
            raise  # not the read-only media case: the caller says what is wrong
    wal = Path(f"{path}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return _connect(path, "immutable=1"), None
    copy = tempfile.TemporaryDirectory(prefix="anchordesk-session-")
    try:
        target = Path(copy.name) / "session.adsession"
        shutil.copyfile(path, target)
        shutil.copyfile(wal, Path(f"{target}-wal"))
        return _connect(target), copy
    except BaseException:
        copy.cleanup()
        raise


def pending_log(path: Path) -> Path | None:
    """The session's write-ahead log when it still holds changes after the file was closed
    (a full or read-only disk took the last checkpoint): the orders and comments in it are
    part of the session, read by ``report`` beside it, lost by a copy of the file alone."""
    wal = Path(f"{path}-wal")
    try:
        return wal if wal.stat().st_size > 0 else None
    except OSError:
        return None
