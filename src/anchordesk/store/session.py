"""One SQLite file per show session: every comment, order and show event, each written once.

Why this shape:
- ``UNIQUE(source, id)`` with ``INSERT OR IGNORE`` makes a page read twice, a server that
  replays, or a program restarted mid-show harmless: the second copy is simply not new.
- ``source`` is a feed's name in this file, and each name belongs to one feed (its kind and URL,
  ``feeds`` table, session_feeds.py): a session continued with another feed of the same kind
  gives it a name of its own, so it neither starts at the other's cursor nor loses the orders
  whose ids equal the other's.
- A feed's cursor is written in the same transaction as the items it acknowledges, so after a
  kill -9 the stored cursor never points past an item that is not stored (no gap) and an item
  that is stored is never counted again (no duplicate).
- Order updates (cancellations, refunds) have a table of their own, keyed like the rest by
  ``(source, id)`` where the id names the order, the status and the refund: a re-sent update
  is not new. A file written before the table existed gets it when opened for writing; read
  only, it simply has no updates.
- Orders and updates are checked against the amount rule (``show/feed_rules.py``) at the door:
  one that breaks it is kept in ``rejected_items`` with its reason, never in ``orders``, so no
  reader can sum it. Unreadable items a feed sent are kept there too.
- Reading trusts no row: one that cannot be read is skipped and listed (``unreadable_rows``),
  an order an older version kept against today's rule comes back as rejected.
- Whether a file is a session at all (and not a newer one) is one check, ``session_check``,
  made before anything is written to it.
- WAL with ``synchronous=FULL``: a commit survives the process being killed and the machine
  losing power; readers (the report, the UI) never block the writer.

The class is synchronous and single-threaded (SQLite connections are); the feeds use it through
``StoreWriter`` (store/writer.py), which owns it on a thread of its own.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from anchordesk.core.disk import (
    DiskProblem,
    describe_error,
    disk_problem,
    error_words,
    write_fault_words,
)
from anchordesk.core.printable import masked_cut
from anchordesk.core.words import Words
from anchordesk.show.feed_items import (
    Comment,
    CommentRemoval,
    FeedItem,
    Order,
    OrderUpdate,
    RejectedItem,
    ViewerStats,
    rejected_as_kept,
)
from anchordesk.show.feed_rules import (
    Problem,
    changed_copy_problem,
    changed_update_problem,
    order_problem,
    update_counted_problem,
    update_problem,
)
from anchordesk.store import session_lock
from anchordesk.store.session_check import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    SessionFileError,
    check_session_file,
    path_problem,
)
from anchordesk.store.session_corrected import (
    ChangedCopy,
    changed_copies,
    copy_counted,
    order_keys_prefix,
    others_changed,
    read_as_counted,
)
from anchordesk.store.session_feeds import (
    FeedIdentity,
    KeptFeed,
    keep_names,
    kept_feeds,
    list_names_of_older_file,
    plan_names,
    shop_names,
)
from anchordesk.store.session_ids import order_read, padded_ids_renamed, update_read
from anchordesk.store.session_open import open_for_reading, read_text
from anchordesk.store.session_refunds import RefundMatching, refund_places
from anchordesk.store.session_restore import (
    FileWatch,
    copy_out,
    give_name,
    open_files,
    remove_own_logs,
    remove_with_logs,
    room_for,
)
from anchordesk.store.session_rows import (
    UnreadableRow,
    UnreadableRowError,
    comment_from_row,
    insert_item,
    json_field,
    order_from_row,
    rejected_from_row,
    rejected_order,
    rejected_update,
    removal_from_row,
    text_field,
    time_field,
    update_from_row,
    viewers_from_row,
)

__all__ = [
    "SCHEMA_VERSION",
    "FeedIdentity",
    "KeptFeed",
    "NewItems",
    "SessionStore",
    "StoreError",
    "UnreadableRow",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
Counted = TypeVar("Counted", Order, OrderUpdate)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS comments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    published_at TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    is_moderator INTEGER NOT NULL,
    is_owner INTEGER NOT NULL,
    paid_amount TEXT,
    paid_currency TEXT NOT NULL,
    flagged_terms TEXT NOT NULL,
    is_question INTEGER NOT NULL,
    author_id TEXT NOT NULL DEFAULT '',
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    created_at TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_price TEXT NOT NULL,
    customer TEXT NOT NULL,
    lines TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS order_updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    refund TEXT,
    currency TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    lines TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS show_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS viewer_samples (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    at TEXT NOT NULL,
    online INTEGER NOT NULL,
    entered INTEGER,
    likes INTEGER,
    follows INTEGER,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS comment_removals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS rejected_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    raw TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    identity TEXT NOT NULL,
    label TEXT NOT NULL,
    first_used_at REAL NOT NULL
);
"""


class StoreError(Exception):
    """The session file cannot be opened or written (its message names the file)."""


class NewItems(list[FeedItem]):
    """The items of a batch not stored before, in the order given (``SessionStore.write_batch``).

    ``withdrawn``: how many items kept as rejected by an earlier batch count now (a refund's
    copy sent again changed before its order, the one counted when the order came:
    store/session_corrected.py). A live count of the items not counted adds the batch's
    rejected items and takes these off: counted once, where the report counts it."""

    withdrawn: int = 0


# SQLite's primary result codes that mean the disk, not the request, is at fault.
_SQLITE_DISK_PROBLEMS = {
    13: DiskProblem.FULL,  # SQLITE_FULL
    8: DiskProblem.READ_ONLY,  # SQLITE_READONLY
    10: DiskProblem.FAILED,  # SQLITE_IOERR
    14: DiskProblem.FAILED,  # SQLITE_CANTOPEN (the file, its WAL or journal cannot be made)
}


# What SQLite writes first beside a session: its shared-memory index (32 KiB) and the first
# frames of its write-ahead log.
_PROBE_BYTES = 64 * 1024


def _make_a_file_beside(path: Path) -> None:
    """Make, write and remove a file beside ``path``, as SQLite makes and writes its journal
    and its write-ahead log there: the system's OSError says why that cannot be done. Written,
    not only made: a disk with a few kilobytes free takes an empty file, and SQLite's "disk
    I/O error" on it was said as such, not as the full disk it is."""
    descriptor, probe = tempfile.mkstemp(prefix=f".{path.name[:40]}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb", buffering=0) as file:
            file.write(bytes(_PROBE_BYTES))
            os.fsync(file.fileno())
    finally:
        os.unlink(probe)


def _disk_says(path: Path) -> DiskProblem | None:
    """What the system says of a new file beside ``path`` (None: nothing a user can act on)."""
    try:
        _make_a_file_beside(path)
    except OSError as error:
        problem = disk_problem(error)
        return None if problem is DiskProblem.FAILED else problem
    return None


def disk_fault(path: Path, error: BaseException) -> str | None:
    """The fault in words when ``error`` comes from the disk, else None (a bad request)."""
    words = disk_fault_words(path, error)
    return None if words is None else str(words)


def disk_fault_words(path: Path, error: BaseException) -> Words | None:
    """:func:`disk_fault` as Words (a window says them in its language)."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        problem = _SQLITE_DISK_PROBLEMS.get(code & 0xFF) if isinstance(code, int) else None
        if problem is None:
            return None
        if problem is DiskProblem.FAILED:
            # A disk the system made read-only under the open file (ext4 "errors=remount-ro"
            # after a fault of a USB disk): SQLite says "disk I/O error", while the recording
            # and --stats on the same disk said "is read-only". The system knows which.
            problem = _disk_says(path) or problem
        return write_fault_words(path, problem, " ".join(str(error).split()))
    if isinstance(error, OSError):
        return error_words(path, error)
    return None


def _why_not_writable(path: Path, error: sqlite3.Error) -> str | None:
    """SQLite says "unable to open database file" for a read-only or full disk alike: ask the
    system, which knows which (None when the file can be written after all)."""
    if disk_fault(path, error) is None:
        return None
    try:
        with path.open("ab"):
            pass
        # SQLite also makes files beside the session (its journal, its write-ahead log): a
        # disk with no free inodes left takes the session file and not those, and the run
        # ended "cannot be written (unable to open database file)".
        _make_a_file_beside(path)
    except OSError as system_error:
        return describe_error(path, system_error)
    return disk_fault(path, error)


def _delivered_instead(new: NewItems, counted: Sequence[ChangedCopy]) -> None:
    """``counted`` (copies kept as changed that count now) added to a batch's ``new`` items,
    to be applied; each taken off the batch's rejected items when this batch rejected it,
    else said withdrawn (:class:`NewItems`): a live count counted it when it came."""
    for copy in counted:
        rejected_here = next(
            (
                index
                for index, item in enumerate(new)
                if isinstance(item, RejectedItem)
                and item.source == copy.update.source
                and item.id == copy.row_id
            ),
            None,
        )
        if rejected_here is None:
            new.withdrawn += 1
        else:
            del new[rejected_here]
        new.append(copy.update)


def _order_read(row: Sequence[object]) -> tuple[Order, float]:
    """A kept order, its Shopify id by the one id rule (session_ids: "05001" kept by an
    older version is 5001)."""
    order, received_at = order_from_row(row)
    return order_read(order), received_at


def _update_read(row: Sequence[object]) -> tuple[OrderUpdate, float]:
    """A kept cancellation or refund, its Shopify ids by the one id rule (session_ids:
    refund "0900" kept by an older version is 900)."""
    update, received_at = update_from_row(row)
    return update_read(update), received_at


@dataclass(frozen=True)
class StoredComment:
    comment: Comment
    received_at: float  # wall clock, seconds since the epoch


@dataclass(frozen=True)
class StoredOrder:
    order: Order
    received_at: float


@dataclass(frozen=True)
class StoredOrderUpdate:
    update: OrderUpdate
    received_at: float


@dataclass(frozen=True)
class StoredViewerSample:
    """A viewer count as kept: ``received_at`` is when the store kept it (wall clock), the
    time line the report and the board draw it on (the platform's ``at`` may be absent)."""

    sample: ViewerStats
    received_at: float


@dataclass(frozen=True)
class StoredCommentRemoval:
    removal: CommentRemoval
    received_at: float


@dataclass(frozen=True)
class StoredRejected:
    item: RejectedItem
    received_at: float


@dataclass(frozen=True)
class ShowEventRecord:
    """A change of the show (segment started, card shown, deal live/ended/sold out, stream
    state), as stored. ``id`` is unique within ``source`` so a replay is harmless."""

    id: str
    kind: str
    at: float  # wall clock, seconds since the epoch
    data: dict[str, Any]
    source: str = "show"


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def _refuse_if_busy(path: Path, error: sqlite3.DatabaseError) -> None:
    """Another program (a backup tool, a database browser) holds SQLite's lock past the wait:
    the file is fine, it is busy; "not a usable session file" would send the user astray."""
    if getattr(error, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
        raise StoreError(
            f"{path}: another program holds this file locked (SQLite: {error}); close it and "
            "try again"
        ) from None


#: How long a run waits for another program's lock on its session file (SQLite's busy wait).
LOCK_WAIT_S = 5.0


def refuse_if_locked(path: Path) -> None:
    """StoreError when another program holds the write lock of the session file at ``path``
    past SQLite's wait (a database browser with a change open, a backup or sync tool).

    Reading the file does not tell: in the write-ahead log's mode a reader never waits for a
    writer, so a run continuing a locked file started its recording and found the lock only
    as its session opened (5 s later: one line, exit 2, a stray recording of those seconds,
    the next run's recording numbered on). Any other failure is the session's open to say."""
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=LOCK_WAIT_S)
    except sqlite3.DatabaseError as error:
        _refuse_if_busy(path, error)
        return
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
    except sqlite3.DatabaseError as error:
        _refuse_if_busy(path, error)
    finally:
        db.close()


class SessionStore(RefundMatching):
    """The session file. Open it with ``SessionStore(path)``; close it with ``close()``."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        # Rows skipped and orders rejected while reading, by (table, seq): each once.
        self._unreadable: dict[tuple[str, int], UnreadableRow] = {}
        self._rejected_on_read: dict[tuple[str, int], StoredRejected] = {}
        # Rows of rejected_items read as counted (``_corrected_on_read``), by seq, and the
        # words of the other copies of their keys (changed from the one counted).
        self._counted_on_read: set[int] = set()
        self._changed_on_read: dict[int, str] = {}
        self._show_currency: str | None = None
        # One writing program per file (store/session_lock.py); readers never wait for it.
        self._locked = False
        self._copy: tempfile.TemporaryDirectory[str] | None = None  # read from a copy
        self._watch: FileWatch | None = None  # whether the file still has a name
        problem = path_problem(self.path, must_exist=read_only)
        if problem is not None:
            raise StoreError(f"{self.path}: {problem}")
        if not read_only:
            with suppress(OSError):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                session_lock.acquire(self.path)
            except session_lock.SessionInUse as error:
                raise StoreError(str(error)) from None
            self._locked = True
        new = not read_only and not self.path.exists()
        try:
            self._open(read_only)
            if self._locked:
                self._settle_lock()
        except BaseException:
            if new:
                # A file this run made and could not even start (a full disk): nothing of it is
                # left behind for the next run to wonder about.
                remove_with_logs(self.path)
            self._unlock()
            raise

    def _settle_lock(self) -> None:
        """A new file has an identity only now: lock it by that too (store/session_lock.py)."""
        try:
            session_lock.settle(self.path)
        except session_lock.SessionInUse as error:
            self._db.close()
            raise StoreError(str(error)) from None

    def _unlock(self) -> None:
        if self._locked:
            self._locked = False
            session_lock.release(self.path)

    def _open(self, read_only: bool) -> None:
        try:
            if read_only:
                self._db, self._copy = open_for_reading(self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.DatabaseError as error:
            _refuse_if_busy(self.path, error)
            why = None if read_only else _why_not_writable(self.path, error)
            if why is not None:
                raise StoreError(why) from None
            raise StoreError(f"{self.path}: not a usable session file ({error})") from None
        try:
            self._db.execute("PRAGMA busy_timeout=5000")
            # Before anything is written: a foreign or newer file is left exactly as it was.
            is_new = check_session_file(self._db, self.path)
            if read_only:
                if is_new:
                    # A live session's file copied alone holds nothing yet: its write-ahead
                    # log has it all. Say where the rest is, not just "empty".
                    raise StoreError(
                        f"{self.path}: not an AnchorDesk session file (it holds no session; "
                        f"copied while a show was running, it needs {self.path.name}-wal beside it)"
                    )
            else:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SCHEMA)
                self._init_meta()
                self._migrate()
                self._watch = FileWatch(self.path)
        except SessionFileError as error:
            self._db.close()
            raise StoreError(str(error)) from None
        except sqlite3.DatabaseError as error:
            self._db.close()
            _refuse_if_busy(self.path, error)
            why = None if read_only else _why_not_writable(self.path, error)
            if why is not None:
                raise StoreError(why) from None
            raise StoreError(f"{self.path}: not a usable session file ({error})") from None
        except StoreError:
            self._db.close()
            raise

    # -- setup -----------------------------------------------------------------------------

    def _init_meta(self) -> None:
        with self._transaction():
            if self.meta("schema_version") is None:
                self._set_meta("schema_version", str(SCHEMA_VERSION))
                self._set_meta("created_at", repr(time.time()))
            if int(self._db.execute("PRAGMA application_id").fetchone()[0]) != APPLICATION_ID:
                # New, or written before the mark existed (the check found only our tables).
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _comment_columns(self) -> set[str]:
        return {str(row[1]) for row in self._db.execute("PRAGMA table_info(comments)")}

    def _migrate(self) -> None:
        """Bring a file of an older format up to :data:`SCHEMA_VERSION` (opened for writing).

        Format 2 keeps each comment's ``author_id``, so a ban that arrives after a restart still
        finds that author's comments; the comments an older file kept have none ("").
        Format 3 names each feed by its identity (``feeds``); the names an older file used are
        listed with none, for the next run to claim (store/session_feeds.py).
        """
        with self._transaction():
            version = self.meta("schema_version") or "0"
            if not version.isdecimal() or int(version) < 3:
                list_names_of_older_file(self._db, time.time())
            padded_ids_renamed(self._db)
            # A refund's corrected copy an older version kept as changed, while its first copy
            # breaks the rule against its order: the corrected one is counted
            # (store/session_corrected.py), as a run of this version counts it.
            self._count_corrected_copies(changed_copies(self._db))
            if "author_id" not in self._comment_columns():
                self._db.execute(
                    "ALTER TABLE comments ADD COLUMN author_id TEXT NOT NULL DEFAULT ''"
                )
            # A ban looks up one author's comments: an index, not a scan of the whole show.
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS comments_by_author ON comments(source, author_id)"
            )
            if not version.isdecimal() or int(version) < SCHEMA_VERSION:
                self._set_meta("schema_version", str(SCHEMA_VERSION))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            # On a full disk SQLite may have rolled back already ("no transaction is active"):
            # the error the caller needs is the one that stopped the write, not this one.
            with suppress(sqlite3.Error):
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        try:
            if self._watch is not None:
                self._leave_write_ahead_log()
            self._db.close()
        finally:
            if self._watch is not None:
                self._watch.close()  # after the connection: it would drop SQLite's locks
            self._unlock()
            if self._copy is not None:
                self._copy.cleanup()

    def _leave_write_ahead_log(self) -> None:
        """Close the file as a plain (rollback-journal) database. A WAL database is read through
        a ``-shm`` index, and a reader that may not write (``anchordesk report``, opened
        ``mode=ro``) creates that index and an empty ``-wal`` and cannot remove them: every
        report left two files beside a session closed cleanly (R16net). A file closed in
        rollback mode is read with no file beside it; the next run that writes turns WAL on
        again (``_open``). Only when no one else has the file open: a reader present, a full
        disk (the checkpoint cannot land) or another program's lock keep it as it is, at once
        (no busy wait at the end of a show)."""
        with suppress(sqlite3.Error):
            self._db.execute("PRAGMA busy_timeout=0")
            self._db.execute("PRAGMA journal_mode=DELETE")

    # -- a file deleted while open (store/session_restore.py) ------------------------------

    def deleted(self) -> bool:
        """The file being written has no name left (a clean-up removed it mid-show)."""
        return self._watch is not None and self._watch.deleted()

    def moved_to(self) -> Path | None:
        """Where the file being written is now, when it was moved mid-show (None: it was not)."""
        return None if self._watch is None else self._watch.moved_to(self.path)

    def write_where_moved(self, new_path: Path) -> Path:
        """The file was moved (renamed, or into another folder of its disk) mid-show: write
        everything again there and go on there. SQLite does not checkpoint a database that
        has moved when it closes, and a file moved without its ``-wal`` would keep only its
        header, the data staying in the old ``-wal``: so a whole copy replaces the moved file
        (ours: it is the open one), the connection's own ``-wal`` and ``-shm`` (wherever they
        are now) are removed, and the session is opened there. Raises OSError, sqlite3.Error
        or StoreError when it cannot; nothing is lost then (the open file goes on)."""
        old_path = self.path
        copy = copy_out(self._db, new_path)
        own = open_files()
        self._db.close()
        if self._watch is not None:
            self._watch.close()
        remove_own_logs([old_path, new_path], own)
        os.replace(copy, new_path)
        self.path = new_path
        self._db = sqlite3.connect(new_path, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._watch = FileWatch(new_path)
        if self._locked:
            try:
                session_lock.follow(old_path, new_path)
            except session_lock.SessionInUse as error:
                raise StoreError(str(error)) from None
        return new_path

    def room_to_write_again(self) -> bool:
        """Whether the disk has room for a copy of the deleted file (as large as it was)."""
        size = 0 if self._watch is None else self._watch.size_bytes()
        return room_for(self.path, size)

    def write_again(self) -> Path:
        """Copy everything into a new file at the name (a numbered one when the name now leads
        to another file), take the session's lock there, and write there from now on. Returns
        the new name. Raises OSError, sqlite3.Error or StoreError when it cannot; the open file
        (and everything in it) is kept until the copy has its name."""
        old_path = self.path
        copy = copy_out(self._db, old_path)
        unnamed: OSError | None = None
        self._db.close()  # removes the old -wal and -shm names: the new file gets its own
        if self._watch is not None:
            self._watch.close()
        try:
            path = give_name(copy, old_path)
        except OSError as error:
            # The copy holds the whole session: write on there, and say where it is.
            path, unnamed = copy, error
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._watch = FileWatch(path)
        if self._locked:
            try:
                session_lock.follow(old_path, path)
            except session_lock.SessionInUse as error:
                raise StoreError(str(error)) from None
        if path == copy:
            raise StoreError(
                f"{old_path}: the file was deleted and cannot be given its name again "
                f"({unnamed}); the session so far is kept in {copy}"
            )
        return path

    # -- meta ------------------------------------------------------------------------------

    def _set_meta(self, key: str, value: str) -> None:
        if key == "show":
            self._show_currency = None
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._set_meta(key, value)

    def meta(self, key: str) -> str | None:
        rows = self._fetch("SELECT value FROM meta WHERE key = ?", (key,))
        return None if not rows else str(rows[0][0])

    def _fetch(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows; a text that is not UTF-8 (a damaged byte) read with U+FFFD for it. The
        fast built-in decoding is kept until such a text is met (read_text costs twice as
        much per value), then the connection reads every text that way."""
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError as error:
            if "decode" not in str(error) or self._db.text_factory is read_text:
                raise
        self._db.text_factory = read_text
        return self._db.execute(sql, parameters).fetchall()

    def show_currency(self) -> str:
        """The show's currency as the session keeps it ("" when it keeps no show): what an
        order that names no currency is in, for the amount rule."""
        if self._show_currency is None:
            currency = ""
            try:
                show = json.loads(self.meta("show") or "{}")
                if isinstance(show, dict) and isinstance(show.get("currency"), str):
                    currency = show["currency"].strip().upper()
            except (ValueError, RecursionError):  # damaged: the report lists the show as such
                pass
            self._show_currency = currency
        return self._show_currency

    # -- writing ---------------------------------------------------------------------------

    def write_batch(
        self,
        source: str,
        items: Sequence[FeedItem],
        cursor: str | None,
        received_at: float | None = None,
        secrets: tuple[str, ...] = (),
    ) -> NewItems:
        """Store ``items`` and the feed's new ``cursor`` atomically; return the items that were
        not stored before (in the order given; :class:`NewItems`). ``secrets``: the feed's,
        masked in the items the amount rule rejects here (feed_items.rejected_as_kept)."""
        with self._transaction():
            return self._write_batch(source, items, cursor, received_at, secrets)

    def write_batches(
        self,
        batches: Iterable[
            tuple[str, Sequence[FeedItem], str | None, float | None, tuple[str, ...]]
        ],
    ) -> list[NewItems]:
        """Several batches in one transaction (the writer thread's group commit)."""
        with self._transaction():
            return [self._write_batch(*batch) for batch in batches]

    def _write_batch(
        self,
        source: str,
        items: Sequence[FeedItem],
        cursor: str | None,
        received_at: float | None,
        secrets: tuple[str, ...] = (),
    ) -> NewItems:
        now = time.time() if received_at is None else received_at
        new = NewItems()
        # A refund kept with its id and sent without it, or the other way round, is the one
        # kept (before the old keys: that one is not renamed from an older key).
        kept_with_id: dict[tuple[str, str], tuple[list[tuple[Any, ...]], set[str]]] = {}
        places = refund_places(items)
        items = [
            self._kept_with_or_without_id(item, kept_with_id, places.get(index, 0))
            if isinstance(item, OrderUpdate) and item.source == source
            else item
            for index, item in enumerate(items)
        ]
        # Old keys are renamed for the refunds sent as they were kept first, then for the ones
        # changed since: a changed refund is told by its creation time among the rows left
        # (two refunds of one order in one second, one changed since: counted twice).
        updates = [item for item in items if isinstance(item, OrderUpdate)]
        for by_time in (False, True):
            for update in updates:
                if update.source == source:
                    self._amount_key_renamed(update, by_time=by_time)
        for item in items:
            if item.source != source:
                raise ValueError(f"item from {item.source!r} in a batch of {source!r}")
            # The amount rule at the door: a bad order is kept as rejected, never as an order.
            if isinstance(item, Order):
                if not item.currency and self.show_currency():
                    # An order that names no currency is in the show's, the show of now: kept
                    # so. Left blank, a session continued with a show in another currency read
                    # it in that one ($24.00 became ¥24, added into the yen GMV).
                    item = replace(item, currency=self.show_currency())
                problem = order_problem(item, self.show_currency())
                if problem is not None:
                    item = rejected_as_kept(rejected_order(item, problem), secrets)
            elif isinstance(item, OrderUpdate):
                currency = self._kept_order_currency(item)
                if currency is not None:
                    # Its copy kept by an older version against the rule: set aside as
                    # rejected, it holds the key no more.
                    self._set_aside_updates(item.source, item.order_id, currency, secrets, item.id)
                problem = (
                    update_counted_problem(item, currency, self.show_currency())
                    if not self._update_kept(item)
                    # A copy counted already: the changed-copy rule says what changed.
                    else update_problem(item, currency or self.show_currency())
                )
                if problem is not None:
                    item = rejected_as_kept(rejected_update(item, problem), secrets)
            if isinstance(item, RejectedItem):
                self._rejected_key_renamed(item)
            if insert_item(self._db, item, now):
                new.append(item)
                # Its cancellations and refunds that came before it are decided now, and the
                # corrected copy of one that breaks the rule is the one counted.
                if isinstance(item, Order) and self._set_aside_updates(
                    item.source, item.id, item.currency or self.show_currency(), secrets
                ):
                    counted = self._count_corrected_copies(
                        changed_copies(self._db, item.source, item.id), secrets
                    )
                    _delivered_instead(new, counted)
            elif isinstance(item, Order | OrderUpdate):
                changed = self._changed_copy(item)
                if changed is not None:
                    changed = rejected_as_kept(changed, secrets)
                    if insert_item(self._db, changed, now):
                        new.append(changed)
        if cursor is not None:
            self._db.execute(
                "INSERT INTO cursors(source, cursor, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, "
                "updated_at = excluded.updated_at",
                (source, cursor, now),
            )
        return new

    def _update_kept(self, update: OrderUpdate) -> bool:
        return (
            self._db.execute(
                "SELECT 1 FROM order_updates WHERE source = ? AND id = ?",
                (update.source, update.id),
            ).fetchone()
            is not None
        )

    def _kept_order_currency(self, update: OrderUpdate) -> str | None:
        """The currency ``update``'s order is counted in (the ledger's: its own, else the
        show's) when the store keeps that order, else None (not come yet: the ledger decides
        when it comes). By the (source, id) index."""
        row = self._db.execute(
            "SELECT currency FROM orders WHERE source = ? AND id = ?",
            (update.source, update.order_id),
        ).fetchone()
        if row is None:
            return None
        currency = row[0]
        if not isinstance(currency, str):
            return None  # a damaged row: the report lists it as unreadable already
        return currency or self.show_currency()

    def _set_aside_updates(
        self,
        source: str,
        order_id: str,
        currency: str,
        secrets: tuple[str, ...],
        key: str | None = None,
    ) -> bool:
        """The kept cancellations and refunds of the order ``order_id`` (counted in
        ``currency``) that break the rule against it (``feed_rules.update_counted_problem``,
        the ledger's) moved into ``rejected_items`` with their reason and the time they came.
        Such an update came before its order (the door could not decide), or was kept by an
        older version: left where the counted copies are, it held its key, and its copy sent
        again corrected was refused as a changed copy of it. Not delivered as new: the
        ledger, which holds it waiting for its order, refuses it by the same rule (one count,
        live as in the report). ``key``: only the one kept under it (an update sent again),
        else all of the order's (it has just come). By the (source, id) index: an update's key
        starts with its order's. True when it keeps any (a copy is kept as changed only
        against a kept one: session_corrected)."""
        columns = (
            "source, id, order_id, received_at, at, status, refund, currency, refund_id, lines"
        )
        if key is not None:
            rows = self._db.execute(
                f"SELECT {columns} FROM order_updates WHERE source = ? AND id = ?", (source, key)
            ).fetchall()
        else:
            prefix = order_keys_prefix(source, order_id)
            rows = self._db.execute(
                f"SELECT {columns} FROM order_updates WHERE source = ? AND id >= ? AND id < ?"
                " AND order_id = ?",
                (source, prefix, prefix[:-1] + ";", order_id),
            ).fetchall()
        for row in rows:
            self._set_aside(row, currency, secrets)
        return bool(rows)

    def _set_aside(self, row: Sequence[Any], currency: str, secrets: tuple[str, ...]) -> bool:
        """The kept update ``row`` moved into ``rejected_items`` when it breaks the rule
        against its order, counted in ``currency`` (:meth:`_set_aside_updates`); True when
        it is moved."""
        try:
            update, received_at = update_from_row(row)
            problem = update_counted_problem(update, currency, self.show_currency())
        except (UnreadableRowError, ArithmeticError, TypeError):
            return False  # a damaged kept row: the report lists it as unreadable already
        if problem is None:
            return False
        self._db.execute("DELETE FROM order_updates WHERE source = ? AND id = ?", row[:2])
        insert_item(
            self._db, rejected_as_kept(rejected_update(update, problem), secrets), received_at
        )
        return True

    def _count_corrected_copies(
        self, copies: dict[tuple[str, str], list[ChangedCopy]], secrets: tuple[str, ...] = ()
    ) -> list[ChangedCopy]:
        """Of ``copies`` (session_corrected.changed_copies), the ones counted now, by the one
        rule (session_corrected.copy_counted): the newest that does not break the rule against
        its order, kept, when the copy kept under its key breaks it (set aside here) or is
        none (set aside when its order came). Moved from ``rejected_items`` to the counted
        updates with the time it came; returned, to be delivered as new. Before: the refund
        sent in EUR, then in USD, before its USD order counted nothing (GMV $20.00 for
        $15.00) until the shop sent it a third time."""
        counted = []
        columns = (
            "source, id, order_id, received_at, at, status, refund, currency, refund_id, lines"
        )
        for (source, key), group in copies.items():
            currency = self._kept_order_currency(group[-1].update)
            if currency is None:
                continue  # its order not come yet: decided when it comes
            row = self._db.execute(
                f"SELECT {columns} FROM order_updates WHERE source = ? AND id = ?", (source, key)
            ).fetchone()
            try:
                kept = None if row is None else update_from_row(row)[0]
            except (UnreadableRowError, ArithmeticError, TypeError):
                continue  # a damaged kept row: the report lists it as unreadable already
            chosen = copy_counted(kept, group, currency, self.show_currency())
            if chosen is None or (row is not None and not self._set_aside(row, currency, secrets)):
                continue
            self._db.execute(
                "DELETE FROM rejected_items WHERE source = ? AND id = ?", (source, chosen.row_id)
            )
            insert_item(self._db, chosen.update, chosen.received_at)
            for other, problem in others_changed(chosen, group):
                changed = rejected_as_kept(rejected_update(other.update, problem), secrets)
                self._db.execute(
                    "UPDATE rejected_items SET detail = ? WHERE source = ? AND id = ?",
                    (changed.detail, source, other.row_id),
                )
            counted.append(chosen)
        return counted

    def _changed_copy(self, item: Order | OrderUpdate) -> RejectedItem | None:
        """``item`` came again under the id of a kept one: as rejected when its money or units
        differ (a platform's edit), so the report lists what the platform says now; the kept
        copy stays the one counted (the ledger and the picture have applied it)."""
        if isinstance(item, Order):
            row = self._db.execute(
                "SELECT source, id, received_at, created_at, currency, total_price, customer,"
                " lines FROM orders WHERE source = ? AND id = ?",
                (item.source, item.id),
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT source, id, order_id, received_at, at, status, refund, currency,"
                " refund_id, lines FROM order_updates WHERE source = ? AND id = ?",
                (item.source, item.id),
            ).fetchone()
        if row is None:
            return None
        try:
            if isinstance(item, Order):
                problem = changed_copy_problem(order_from_row(row)[0], item)
                return None if problem is None else rejected_order(item, problem)
            problem = changed_update_problem(update_from_row(row)[0], item)
            return None if problem is None else rejected_update(item, problem)
        except (UnreadableRowError, ArithmeticError, TypeError):
            return None  # a damaged kept row: the report lists it as unreadable already

    def record_show_events(self, events: Sequence[ShowEventRecord]) -> int:
        """Store show events; return how many were new."""
        with self._transaction():
            return self._record_show_events(events)

    def _record_show_events(self, events: Sequence[ShowEventRecord]) -> int:
        added = 0
        for event in events:
            result = self._db.execute(
                "INSERT OR IGNORE INTO show_events(source, id, at, kind, data) VALUES (?,?,?,?,?)",
                (
                    event.source,
                    event.id,
                    event.at,
                    event.kind,
                    json.dumps(event.data, ensure_ascii=False, default=str),
                ),
            )
            added += result.rowcount
        return added

    def name_feeds(self, wanted: Sequence[FeedIdentity]) -> list[str]:
        """The name each of this run's feeds keeps its items and cursor under (in order): its
        own from an earlier run, else a new one (store/session_feeds.py)."""
        plan = plan_names(kept_feeds(self._db), wanted)
        if plan.new or plan.claimed or plan.renewed:
            try:
                with self._transaction():
                    keep_names(self._db, plan, time.time())
            except sqlite3.Error as error:
                fault = disk_fault(self.path, error)
                if fault is None:
                    raise StoreError(f"{self.path}: cannot name the feeds ({error})") from None
                # Nothing can be kept on this disk now (the writer says so once): the names
                # hold for this run, and the next one plans the same from what the file has.
                log.debug("feeds named for this run only: %s", fault)
        return plan.names

    # -- reading ---------------------------------------------------------------------------

    def feeds(self) -> list[KeptFeed]:
        """The feeds this session has names for, oldest first."""
        return kept_feeds(self._db)

    def cursor(self, source: str) -> str | None:
        row = self._db.execute("SELECT cursor FROM cursors WHERE source = ?", (source,)).fetchone()
        return None if row is None else str(row[0])

    def cursors(self) -> dict[str, str]:
        """Each feed's stored cursor. One that is not text (a damaged byte, a hand edit) is left
        out with a warning, and its feed asks from its start (the store keeps each item once):
        read with the built-in decoding, such a cursor raised out of the feeds' start, and with
        a session continued, no feed polled for the whole show, without a word."""
        cursors: dict[str, str] = {}
        rows = self._db.execute("SELECT CAST(source AS BLOB), CAST(cursor AS BLOB) FROM cursors")
        for source, cursor in rows:
            try:
                cursors[bytes(source).decode()] = bytes(cursor).decode()
            except (TypeError, UnicodeDecodeError):
                name = bytes(source or b"").decode("utf-8", "backslashreplace")
                name = masked_cut(name, 80, mark="")
                log.warning(
                    "%s: the stored cursor of feed %s cannot be read: it asks from its start",
                    self.path,
                    ascii(name) if not name.isprintable() else name,
                )
        return cursors

    def count(self, table: str) -> int:
        if table not in (
            "comments",
            "orders",
            "order_updates",
            "show_events",
            "viewer_samples",
            "comment_removals",
            "rejected_items",
        ):
            raise ValueError(table)
        try:
            return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # a table an older file opened read-only does not have

    @property
    def unreadable_rows(self) -> list[UnreadableRow]:
        """Rows skipped by the readers so far (which table, which row, what is wrong)."""
        return list(self._unreadable.values())

    def _rows(self, table: str, columns: str) -> list[tuple[Any, ...]]:
        """``seq`` and ``columns`` of every row of ``table``, in the order they were stored;
        none for a table an older file opened read-only does not have."""
        try:
            return self._fetch(f"SELECT seq, {columns} FROM {table} ORDER BY seq")
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise StoreError(f"{self.path}: cannot read {table} ({error})") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read {table} ({error})") from None

    def _skip(self, table: str, seq: object, error: Exception) -> None:
        row = seq if isinstance(seq, int) else -1
        if (table, row) not in self._unreadable:
            self._unreadable[(table, row)] = UnreadableRow(
                table, row, str(error) or type(error).__name__
            )
            log.warning("%s: %s row %d cannot be read (%s): skipped", self.path, table, row, error)

    def _comment_select(self) -> str:
        # A format-1 file opened read-only has no author_id column: its comments have none.
        author_id = "author_id" if "author_id" in self._comment_columns() else "''"
        return (
            "source, id, received_at, published_at, author, text, is_moderator, is_owner,"
            f" paid_amount, paid_currency, flagged_terms, is_question, {author_id}"
        )

    def comments(self) -> list[StoredComment]:
        return [
            StoredComment(comment, received_at)
            for _seq, comment, received_at in self._readable(
                "comments", self._comment_select(), comment_from_row
            )
        ]

    def _readable(
        self,
        table: str,
        columns: str,
        from_row: Callable[[Sequence[object]], tuple[T, float]],
    ) -> Iterator[tuple[int, T, float]]:
        """``(seq, item, received_at)`` of each row of ``table`` that can be read; a row that
        cannot is skipped and named (``skipped_rows``), in every table alike."""
        for seq, *row in self._rows(table, columns):
            try:
                item, received_at = from_row(row)
            except ValueError as error:
                self._skip(table, seq, error)
                continue
            yield seq, item, received_at

    def comment_times(self) -> list[float]:
        """When each kept comment was received, in the order kept: what a continued session's
        board counts and rates, the same comments ``comments()`` reads. Not the comments
        themselves: a long show's million comments read whole took 16 s and 1 GB at the
        resume, deaf to a stop. A plain comment (text where text belongs, a time, no paid
        amount, no flagged words) is told readable by SQLite; the few others are read whole,
        so a damaged one is skipped and listed here as the report skips it."""
        texts = ["source", "id", "published_at", "author", "text", "paid_currency"]
        if "author_id" in self._comment_columns():
            texts.append("author_id")
        plain = " AND ".join(
            [
                *(f"typeof({column}) = 'text'" for column in texts),
                "typeof(received_at) IN ('integer', 'real')",
                "abs(received_at) <= 1.7e308",  # not infinite (NaN is stored as NULL)
                "paid_amount IS NULL",
                "flagged_terms = '[]'",
            ]
        )
        try:
            scanned = self._fetch(f"SELECT seq, received_at, {plain} FROM comments ORDER BY seq")
            rows = [(seq, received_at) for seq, received_at, ok in scanned if ok]
            wanted = [seq for seq, _, ok in scanned if not ok]
            others = (
                self._fetch(
                    f"SELECT seq, {self._comment_select()} FROM comments"
                    " WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq",
                    (json.dumps(wanted),),
                )
                if wanted
                else []
            )
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise StoreError(f"{self.path}: cannot read comments ({error})") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read comments ({error})") from None
        for seq, *row in others:
            try:
                rows.append((seq, comment_from_row(row)[1]))
            except ValueError as error:
                self._skip("comments", seq, error)
        if others:
            rows.sort()
        return [float(received_at) for _, received_at in rows]

    def newest_comments(self, limit: int) -> list[StoredComment]:
        """The newest ``limit`` kept comments, oldest first."""
        try:
            rows = self._fetch(
                f"SELECT seq, {self._comment_select()} FROM comments ORDER BY seq DESC LIMIT ?",
                (max(limit, 0),),
            )
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise StoreError(f"{self.path}: cannot read comments ({error})") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read comments ({error})") from None
        result = []
        for seq, *row in reversed(rows):
            try:
                comment, received_at = comment_from_row(row)
            except ValueError as error:
                self._skip("comments", seq, error)
                continue
            result.append(StoredComment(comment, received_at))
        return result

    def comments_of(
        self, source: str, *, author_id: str = "", comment_id: str = ""
    ) -> list[StoredComment]:
        """The kept comments of one author (a ban) or the one with ``comment_id`` (a
        deletion), of ``source``: what a removal that arrives after a restart takes down."""
        if author_id:
            where, value = "author_id = ?", author_id
            if "author_id" not in self._comment_columns():
                return []  # a format-1 file read-only: no comment names its author
        elif comment_id:
            where, value = "id = ?", comment_id
        else:
            return []
        try:
            rows = self._db.execute(
                f"SELECT seq, {self._comment_select()} FROM comments"
                f" WHERE source = ? AND {where} ORDER BY seq",
                (source, value),
            ).fetchall()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read comments ({error})") from None
        result = []
        for seq, *row in rows:
            try:
                comment, received_at = comment_from_row(row)
            except ValueError as error:
                self._skip("comments", seq, error)
                continue
            result.append(StoredComment(comment, received_at))
        return result

    def orders(self) -> list[StoredOrder]:
        """The orders to count. An order kept before the amount rule that breaks it is not
        among them: ``rejected_items`` lists it."""
        return [
            StoredOrder(order, received_at)
            for _seq, order, received_at in self._counted(
                "orders",
                "source, id, received_at, created_at, currency, total_price, customer, lines",
                _order_read,
                order_problem,
                rejected_order,
                changed_copy_problem,
            )
        ]

    def order_updates(self) -> list[StoredOrderUpdate]:
        """Cancellations and refunds, in the order they were stored; a copy kept as changed
        that counts in place of the one kept under its key (session_corrected: a file an
        older version wrote, read only) in that one's place."""
        counted = self._counted(
            "order_updates",
            "source, id, order_id, received_at, at, status, refund, currency, refund_id, lines",
            _update_read,
            update_problem,
            rejected_update,
            changed_update_problem,
        )
        return [
            StoredOrderUpdate(update, received_at)
            for _seq, update, received_at in self._corrected_on_read(counted)
        ]

    def _corrected_on_read(
        self, counted: list[tuple[int, OrderUpdate, float]]
    ) -> list[tuple[int, OrderUpdate, float]]:
        """``counted`` as the one rule of session_corrected reads the file: a copy kept as
        changed that counts in place of the kept copy under its key (which breaks the rule
        against its order, and is listed as rejected for it) or of none (set aside when its
        order came). A file opened to write has them counted in place already (``_migrate``);
        one an older version wrote, read by the report, said GMV $20.00 for $15.00."""
        try:
            copies = changed_copies(self._db)
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return counted  # a file of a format before rejected items, read only
            raise StoreError(f"{self.path}: cannot read rejected_items ({error})") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read rejected_items ({error})") from None
        if not copies:
            return counted
        show_currency = self.show_currency()
        # The orders as this reader reads them (their ids by the one id rule: a file an older
        # version wrote, read only, keeps them as they came).
        currencies = {
            (kept.order.source, kept.order.id): kept.order.currency or show_currency
            for kept in self.orders()
        }
        decided = read_as_counted(counted, copies, currencies, show_currency)
        self._counted_on_read |= decided.counted_rows
        self._changed_on_read.update(decided.changed_words)
        for (seq, update, received_at), problem in decided.set_aside:
            self._rejected_on_read[("order_updates", seq)] = StoredRejected(
                rejected_update(update, problem), received_at
            )
        return decided.counted

    def _counted(
        self,
        table: str,
        columns: str,
        from_row: Callable[[Sequence[object]], tuple[Counted, float]],
        problem_of: Callable[[Counted, str], Problem | None],
        rejected: Callable[[Counted, Problem], RejectedItem],
        changed: Callable[[Counted, Counted], Problem | None],
    ) -> list[tuple[int, Counted, float]]:
        """``(seq, item, received_at)`` of the rows of ``table`` that count: an unreadable
        row is skipped and named, and one that breaks the amount rule (kept before the rule)
        is set aside for ``rejected_items``. Each (source, id) once, under the first: two
        rows of one key are one item an older version kept under two (one shop under two
        names, a refund under a padded id and its number); the second, when ``changed`` from
        the first, is listed as that changed copy, never counted nor dropped unsaid."""
        result = []
        currency = self.show_currency()
        # One shop kept under two names by an older version: each item once, under the first.
        names = shop_names(kept_feeds(self._db))
        seen: dict[tuple[str, str], Counted | None] = {}  # -> the copy counted (None: not)
        for seq, item, received_at in self._readable(table, columns, from_row):
            source = names.get(item.source, item.source)
            if source != item.source:
                item = replace(item, source=source)
            key = (source, item.id)
            if key in seen:
                first = seen[key]
                problem = None if first is None else changed(first, item)
                if problem is not None:
                    self._rejected_on_read[(table, seq)] = StoredRejected(
                        rejected(item, problem), received_at
                    )
                continue
            problem = problem_of(item, currency)
            seen[key] = item if problem is None else None
            if problem is not None:
                self._rejected_on_read[(table, seq)] = StoredRejected(
                    rejected(item, problem), received_at
                )
                continue
            result.append((seq, item, received_at))
        return result

    def viewer_samples(self) -> list[StoredViewerSample]:
        """Every viewer count, in the order kept (all sources; a file from before viewer counts
        opened read-only has none). A row that cannot be read is skipped and counted, as in
        every other table: read with int() and float(), one damaged count ended the report
        with a traceback, and `live --session` continuing the file crashed as the show began."""
        columns = "source, id, received_at, at, online, entered, likes, follows"
        return [
            StoredViewerSample(sample, received_at)
            for _seq, sample, received_at in self._readable(
                "viewer_samples", columns, viewers_from_row
            )
        ]

    def comment_removals(self) -> list[StoredCommentRemoval]:
        """Deletions and bans the platforms sent, in the order kept (a row that cannot be
        read skipped and counted, as `viewer_samples`)."""
        columns = "source, id, received_at, at, reason, comment_id, author_id, author"
        return [
            StoredCommentRemoval(removal, received_at)
            for _seq, removal, received_at in self._readable(
                "comment_removals", columns, removal_from_row
            )
        ]

    def rejected_items(self) -> list[StoredRejected]:
        """Items not counted: those rejected when they arrived, then those found against the
        rule by ``orders()``/``order_updates()`` (call them first) in a file kept before it."""
        columns = "source, kind, item_id, received_at, reason, detail, raw"
        kept = [
            StoredRejected(
                item
                if seq not in self._changed_on_read
                else rejected_as_kept(replace(item, detail=self._changed_on_read[seq])),
                received_at,
            )
            for seq, item, received_at in self._readable(
                "rejected_items", columns, rejected_from_row
            )
            # A copy kept as changed that counts (``order_updates``) is no longer rejected.
            if seq not in self._counted_on_read
        ]
        # One shop kept under two names by an older version: each rejection once, under the
        # first (listed twice, "2 items rejected" of one order).
        names = shop_names(kept_feeds(self._db))
        seen: dict[tuple[str, str], str] = {}  # -> the name it was first kept under
        listed = []
        for rejection in kept:
            source = names.get(rejection.item.source, rejection.item.source)
            key = (source, rejection.item.id)
            if seen.setdefault(key, rejection.item.source) != rejection.item.source:
                continue
            if source != rejection.item.source:
                rejection = replace(rejection, item=replace(rejection.item, source=source))
            listed.append(rejection)
        kept = listed
        return kept + list(self._rejected_on_read.values())

    def show_events(self) -> list[ShowEventRecord]:
        result = []
        for seq, source, event_id, at, kind, data in self._rows(
            "show_events", "source, id, at, kind, data"
        ):
            try:
                record = ShowEventRecord(
                    id=text_field(event_id, "id"),
                    kind=text_field(kind, "kind"),
                    at=time_field(at, "at"),
                    data=json_field(data, "data"),
                    source=text_field(source, "source"),
                )
                if not isinstance(record.data, dict):
                    raise UnreadableRowError("data is not an object")
            except ValueError as error:
                self._skip("show_events", seq, error)
                continue
            result.append(record)
        return result
