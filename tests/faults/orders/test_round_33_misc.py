"""Hostile round thirty-three, the session store's lock (misc33): one session file reached by
two names. Real processes write through the store's own API (SessionStore) or run
``anchordesk live``; the file is read back with SQLite. Each behaviour test failed on the code
before its fix, except the two marked as guards."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from anchordesk.store import session_lock
from anchordesk.store.session import SessionStore, StoreError

# A writer that opens the session, says so, waits for a line, writes 20 orders and closes.
WRITER = """
import sys
from decimal import Decimal
from pathlib import Path
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.store.session import SessionStore, StoreError
path, first = Path(sys.argv[1]), int(sys.argv[2])
try:
    store = SessionStore(path)
except StoreError as error:
    print("refused:", error, flush=True)
    raise SystemExit(0)
print("open", flush=True)
sys.stdin.readline()
for number in range(first, first + 20):
    line = OrderLine("MUG", 1, Decimal("1.00"))
    order = Order("shop", str(number), "USD", Decimal("1.00"), (line,))
    store.write_batch("shop", [order], f"{number}|")
store.close()
print("wrote 20", flush=True)
"""

# Another program holding a lock file (flock, as every AnchorDesk before this one did).
HOLDER = """
import fcntl, os, sys
descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("held", flush=True)
sys.stdin.read()
"""


def _writer(path: Path, first: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(first)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _orders_in(path: Path) -> int:
    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT count(*) FROM orders").fetchone()
    return int(count)


def test_a_second_writer_through_a_hard_link_is_refused_and_no_order_is_lost(
    tmp_path: Path,
) -> None:
    """Before: both writers were let in (the lock was NAME.lock beside each name, and SQLite
    keeps a -wal per name): each wrote 20 orders, the file kept 20 of 40, nothing said."""
    first_name, second_name = tmp_path / "a.adsession", tmp_path / "b.adsession"
    SessionStore(first_name).close()
    first = _writer(first_name, 1000)
    assert first.stdout is not None and first.stdout.readline() == "open\n"
    os.link(first_name, second_name)  # the user makes a second name while the show runs
    second = _writer(second_name, 2000)
    second_out, _ = second.communicate("\n", timeout=60)
    first_out, _ = first.communicate("\n", timeout=60)
    written = 20 * sum("wrote 20" in out for out in (first_out, second_out))
    assert _orders_in(first_name) == written == 20
    (line,) = [line for line in second_out.splitlines() if line.startswith("refused:")]
    assert f"{second_name}: this session file has 2 names (hard links)" in line


def test_a_session_file_with_two_names_is_refused_for_writing_in_one_line(tmp_path: Path) -> None:
    first_name, second_name = tmp_path / "a.adsession", tmp_path / "b.adsession"
    SessionStore(first_name).close()
    os.link(first_name, second_name)
    for name in (first_name, second_name):
        with pytest.raises(StoreError) as refused:
            SessionStore(name)
        assert str(refused.value) == (
            f"{name}: this session file has 2 names (hard links); two programs writing it "
            "under two names would lose each other's orders, so it is not written: give a "
            "copy of it (cp) to --session, or remove its other names"
        )
    reader = SessionStore(second_name, read_only=True)  # reading it stays free
    reader.close()


def test_the_lock_is_also_taken_by_the_files_identity(tmp_path: Path) -> None:
    """Another program that reached the file by another name (a file bind-mounted at a second
    name has one link) holds the identity's lock file: this one is refused, by any name."""
    session = tmp_path / "a.adsession"
    SessionStore(session).close()
    status = session.stat()
    by_identity = session_lock.identity_lock_path((status.st_dev, status.st_ino))
    assert by_identity is not None
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(by_identity)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(StoreError, match="open in another running AnchorDesk"):
            SessionStore(session)
        assert not session_lock.lock_path(session).exists(), "the lock beside it was let go"
    finally:
        holder.kill()
        holder.wait()
    SessionStore(session).close()
    assert not by_identity.exists() and not session_lock.lock_path(session).exists()


def test_a_new_session_is_locked_by_its_identity_once_it_exists(tmp_path: Path) -> None:
    session = tmp_path / "new.adsession"
    store = SessionStore(session)
    try:
        status = session.stat()
        by_identity = session_lock.identity_lock_path((status.st_dev, status.st_ino))
        assert by_identity is not None
        descriptor = os.open(by_identity, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(descriptor)
    finally:
        store.close()


def test_guard_an_older_version_holding_the_lock_beside_the_session_keeps_this_one_out(
    tmp_path: Path,
) -> None:
    """Guard (held before): NAME.lock is where it was, so an older AnchorDesk and this one
    still keep each other out."""
    session = tmp_path / "a.adsession"
    SessionStore(session).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(session_lock.lock_path(session))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(StoreError, match="open in another running AnchorDesk"):
            SessionStore(session)
    finally:
        holder.kill()
        holder.wait()


def test_guard_a_symbolic_link_and_its_file_are_one_session(tmp_path: Path) -> None:
    """Guard (held before): a symbolic link is followed, its lock is the file's."""
    session, link = tmp_path / "a.adsession", tmp_path / "link.adsession"
    SessionStore(session).close()
    link.symlink_to(session)
    first = _writer(session, 1000)
    try:
        assert first.stdout is not None and first.stdout.readline() == "open\n"
        second_out, _ = _writer(link, 2000).communicate("\n", timeout=60)
        assert "open in another running AnchorDesk" in second_out
    finally:
        first.communicate("\n", timeout=60)
    assert _orders_in(session) == 20


@pytest.mark.integration
def test_live_on_a_hard_linked_session_exits_2_before_anything_starts(tmp_path: Path) -> None:
    first_name, second_name = tmp_path / "a.adsession", tmp_path / "b.adsession"
    SessionStore(first_name).close()
    os.link(first_name, second_name)
    recording = tmp_path / "r.mkv"
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", "--session", str(second_name),
         "--seconds", "1", "--record", str(recording), "--canvas", "320x180",
         "--camera", "test", "--mic", "test"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: --session: {second_name}: this session file has 2 names")
    assert "Traceback" not in result.stderr and not recording.exists()
