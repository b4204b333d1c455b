"""The session store on a thread of its own, so a commit (an fsync) never stalls the event loop.

The feeds' asyncio loop runs on the Qt main thread; a ``synchronous=FULL`` commit can take
milliseconds to tens of milliseconds on a busy disk. Every write goes through a queue to one
writer thread that owns the SQLite connection; callers get a ``concurrent.futures.Future``
(``await``-able with ``asyncio.wrap_future``). Requests that are waiting when the writer wakes up
are committed together in one transaction (group commit), which keeps the cost per item low at
high rates without delaying any single write.

A full or read-only disk stops the writer alone: the first write that fails for that reason is
said once in words (``fault``), every later write fails at once with a ``StoreError`` naming it
(the feeds keep their cursors, so a later run with ``--session`` fetches what the platforms
still serve), and the show goes on. A request whose future was cancelled before it ran (a feed
stopped at the end of a show) is skipped: its page and cursor are fetched again next time.

Another program holding the file locked past the busy timeout (a database browser, a sync or
backup tool) is no fault: a feed's page is asked again by its poller, and show events wait and
are written with the next writes, in order; those a lock still keeps out when the file closes
are the run's fault (said, and in the exit code).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.feed_items import FeedItem
from anchordesk.store.session import (
    NewItems,
    SessionStore,
    ShowEventRecord,
    StoreError,
    disk_fault_words,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_MAX_GROUP = 64
# How often the writer looks whether its file still has a name (one fstat): a deleted file is
# written again from the open one (store/session_restore.py), so what matters is only that it
# is seen before the file is closed, which is checked too.
_WATCH_EVERY_S = 1.0


@dataclass
class _Batch:
    source: str
    items: Sequence[FeedItem]
    cursor: str | None
    received_at: float | None
    future: Future[NewItems]
    secrets: tuple[str, ...] = ()  # the feed's, masked in what the amount rule rejects


@dataclass
class _Events:
    events: Sequence[ShowEventRecord]
    future: Future[int]


@dataclass
class _Call:
    function: Callable[[SessionStore], Any]
    future: Future[Any]


_STOP = object()


class StoreWriter:
    """Owns a ``SessionStore`` on a daemon thread. Thread-safe; every method returns at once.

    ``write_latencies_ms`` keeps the duration of recent commits (for the benchmark and health).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._queue: queue.Queue[object] = queue.Queue()
        self.write_latencies_ms: deque[float] = deque(maxlen=100_000)
        self._closed = False
        # Taken to queue an entry and to close: nothing is queued behind the stop, where the
        # thread, gone, would never answer it (a feed's page stored as the window closed
        # waited for ever; the window cancelled it after its 1 s).
        self._queueing = threading.Lock()
        #: Why the writer stopped writing (None while every write lands).
        self.fault: str | None = None
        #: The reason in ``fault`` as Words (a window says it in its language).
        self.fault_words: Words | None = None
        #: Why the file is gone when it closed (deleted, and could not be written again).
        self.lost: str | None = None
        self._copy_failed = False
        # Show events another program's lock kept out of the file (store/writer.py _wait_for):
        # written again before the next writes, in the order they came.
        self._waiting: deque[_Events] = deque()
        # Why the file cannot be written for now (another program holds it locked past the
        # busy timeout), None once a write lands again: the window says both (the log alone
        # said it, and a window started from the menu has no terminal).
        self.locked_words: Words | None = None
        opened: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(opened,), name="anchordesk-store", daemon=True
        )
        self._thread.start()
        # Opening errors (unwritable folder, not a session file) reach the caller here.
        opened.result()

    # -- public API ------------------------------------------------------------------------

    def submit_batch(
        self,
        source: str,
        items: Sequence[FeedItem],
        cursor: str | None,
        received_at: float | None = None,
        secrets: tuple[str, ...] = (),
    ) -> Future[NewItems]:
        future: Future[NewItems] = Future()
        self._put(_Batch(source, tuple(items), cursor, received_at, future, secrets))
        return future

    async def write_batch(
        self,
        source: str,
        items: Sequence[FeedItem],
        cursor: str | None,
        received_at: float | None = None,
        secrets: tuple[str, ...] = (),
    ) -> NewItems:
        """Store a page of a feed with its cursor; return the items that are new (and how
        many kept as rejected before count now: ``NewItems.withdrawn``)."""
        return await asyncio.wrap_future(
            self.submit_batch(source, items, cursor, received_at, secrets)
        )

    def submit_show_events(self, events: Sequence[ShowEventRecord]) -> Future[int]:
        """Callable from any thread (the pipeline's autoplay, the UI, the feeds)."""
        future: Future[int] = Future()
        self._put(_Events(tuple(events), future))
        return future

    def call(self, function: Callable[[SessionStore], T]) -> Future[T]:
        """Run ``function(store)`` on the writer thread (reads that must see every write)."""
        future: Future[T] = Future()
        self._put(_Call(function, future))
        return future

    def _put(self, entry: _Batch | _Events | _Call) -> None:
        with self._queueing:
            if not self._closed:
                self._queue.put(entry)
                return
        entry.future.set_exception(StoreError(f"session store {self.path}: already closed"))

    def close(self, timeout_s: float = 10.0) -> None:
        """Commit everything queued, then close the file."""
        with self._queueing:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout_s)
        if self._thread.is_alive() and self.fault is None:
            # The program is about to end and takes this daemon thread with it: what it had
            # not committed is lost, and the file keeps its lock and write-ahead log. Said as
            # a fault so the run does not end as if the file were whole (it did, once, when a
            # loaded machine left the store 0.1 s of the stop budget).
            self.fault = (
                f"session store {self.path}: not finished within {timeout_s:.2f} s; "
                "the last events may be missing"
            )
            log.error("%s", self.fault)

    # -- the thread ------------------------------------------------------------------------

    def _run(self, opened: Future[None]) -> None:
        try:
            store = SessionStore(self.path)
        except BaseException as error:
            opened.set_exception(error)
            return
        opened.set_result(None)
        watched_at = time.monotonic()
        try:
            while True:
                try:
                    first = self._queue.get(timeout=_WATCH_EVERY_S)
                except queue.Empty:
                    first = None
                if time.monotonic() - watched_at >= _WATCH_EVERY_S or first is _STOP:
                    watched_at = time.monotonic()
                    self._write_again_if_deleted(store, last=first is _STOP)
                if first is None:
                    if self._waiting:
                        self._execute(store, [])
                    continue
                if first is _STOP:
                    self._last_try(store)
                    return
                group = [first]
                stop = False
                while len(group) < _MAX_GROUP:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        stop = True
                        break
                    group.append(more)
                self._execute(store, group)
                if stop:
                    self._last_try(store)
                    self._write_again_if_deleted(store, last=True)
                    return
        finally:
            try:
                store.close()
            except sqlite3.Error as error:  # the last checkpoint on a full disk
                fault = disk_fault_words(self.path, error)
                if fault is not None:
                    self._stop_writing(error, fault)

    def _write_again_if_deleted(self, store: SessionStore, *, last: bool = False) -> None:
        """Write the file again when it lost its name. Also after a fault stopped the writes
        (a full disk): the open connection still holds everything kept before it, which goes
        with the last descriptor otherwise. A copy that fails (the disk still full) is tried
        again at the next look, until the file is closed (``last``)."""
        if not store.deleted():
            self._follow_if_moved(store)
            return
        if self._copy_failed and not last and not store.room_to_write_again():
            return
        deleted = self.path
        try:
            path = store.write_again()
        except (OSError, sqlite3.Error, StoreError) as error:
            cause = error if isinstance(error, StoreError) else disk_fault_words(deleted, error)
            why = Words(
                QT_TRANSLATE_NOOP(
                    "Store", "the file was deleted and cannot be written again: {cause}"
                ),
                cause=cause or error,
            )
            if self.fault is None:
                self._stop_writing(error, why)
            self._copy_failed = True
            if last and store.deleted():
                self.lost = f"session store {deleted}: stopped writing: {why}; the session is lost"
                log.error("%s", self.lost)
            return
        self.path = path
        moved = "" if path == deleted else f" (under a new name, {path.name})"
        after = (
            "comments, orders and show events go on there"
            if self.fault is None
            else "what it kept is there"
        )
        log.warning(
            "the session file %s was deleted, or its disk went away: written again into %s%s; %s",
            deleted,
            path,
            moved,
            after,
        )

    def _follow_if_moved(self, store: SessionStore) -> None:
        """The file was moved mid-show (a user tidying the folder): written again where it is
        now, said once; the run names it there (it said "Session kept in" the old name)."""
        moved = store.moved_to()
        if moved is None:
            return
        old = self.path
        try:
            self.path = store.write_where_moved(moved)
        except (OSError, sqlite3.Error, StoreError) as error:
            # The open file goes on where it is; said once, and named there at the end.
            self.path = store.path = moved
            log.warning("the session file %s was moved to %s (%s)", old, moved, error)
            return
        log.warning("the session file %s was moved to %s: the session goes on there", old, moved)

    def _stop_writing(self, error: BaseException, fault: Words) -> None:
        if self.fault is None:
            self.fault_words = fault
            self.fault = f"session store {self.path}: stopped writing: {fault}"
            log.error(
                "%s; comments, orders and show events from now on are not kept (the show goes "
                "on; a later run with --session %s fetches what the platforms still serve)",
                self.fault,
                self.path,
            )
        del error

    def _last_try(self, store: SessionStore) -> None:
        """The file closes: show events still kept out by another program's lock get one more
        try; what stays out is a fault, so the run does not end as if the file were whole."""
        if not self._waiting:
            return
        self._execute(store, [])
        if self._waiting and self.fault is None:
            count = sum(len(entry.events) for entry in self._waiting)
            self.fault = (
                f"session store {self.path}: {count} show event(s) not kept: another program "
                "held the file locked"
            )
            log.error("%s", self.fault)
        while self._waiting:
            self._waiting.popleft().future.set_exception(StoreError(self.fault or ""))

    def _wait_for(self, entry: _Events, error: BaseException) -> bool:
        """Keep show events another program's lock kept out (SQLITE_BUSY / SQLITE_LOCKED past
        the busy timeout: a database browser, a sync or backup tool holding the file) to
        write them again with the next writes. A feed's page is asked again by its poller,
        but a show event (a deal started from the phone, the deal an order counted in) has
        no one to ask again: it was dropped, and the report missed a deal the screen showed."""
        if not _is_lock(error):
            return False
        self._locked(error)
        self._waiting.append(entry)
        return True

    def _locked(self, error: BaseException) -> None:
        if self.locked_words is None:
            self.locked_words = Words(
                QT_TRANSLATE_NOOP("Store", "another program holds it locked ({detail})"),
                detail=" ".join(str(error).split()),
            )
            log.warning(
                "the session file %s is locked by another program (%s): show events wait and "
                "feed pages are asked again; all are written as soon as it lets go",
                self.path,
                error,
            )

    def _unlocked(self) -> None:
        if self.locked_words is not None:
            self.locked_words = None
            log.info("the session file %s is written again (the other program let go)", self.path)

    def _execute(self, store: SessionStore, group: list[object]) -> None:
        # A request cancelled before it ran is skipped (its future says so); the others can no
        # longer be cancelled from here on.
        group = [
            entry
            for entry in group
            if not isinstance(entry, _Batch | _Events | _Call)
            or entry.future.set_running_or_notify_cancel()
        ]
        # Show events kept out by a lock go first, in the order they came.
        waiting = list(self._waiting)
        self._waiting.clear()
        group = [*waiting, *group]
        writes: list[_Batch | _Events] = [
            entry for entry in group if isinstance(entry, _Batch | _Events)
        ]
        if writes and self.fault is not None:
            for write in writes:
                write.future.set_exception(StoreError(self.fault))
            writes = []
        if writes:
            started = time.perf_counter()
            try:
                with store._transaction():  # one commit for the whole group
                    results: list[Any] = []
                    for entry in writes:
                        if isinstance(entry, _Batch):
                            results.append(
                                store._write_batch(
                                    entry.source,
                                    entry.items,
                                    entry.cursor,
                                    entry.received_at,
                                    entry.secrets,
                                )
                            )
                        elif isinstance(entry, _Events):
                            results.append(store._record_show_events(entry.events))
            except Exception as error:
                fault = disk_fault_words(self.path, error)
                if fault is not None:
                    self._stop_writing(error, fault)
                    for write in writes:
                        write.future.set_exception(StoreError(self.fault or fault))
                elif _is_lock(error):
                    # Another program's lock is the file's, not a request's: one by one, each
                    # write waited the busy timeout again (5 s each, 64 in a group: the writer
                    # stood still for minutes after the lock was gone). Pages are asked again
                    # by their pollers, show events wait for the next writes.
                    self._locked(error)
                    for write in writes:
                        if not (isinstance(write, _Events) and self._wait_for(write, error)):
                            write.future.set_exception(error)
                else:
                    # One bad request must not fail the others: retry them one by one so each
                    # gets its own result or its own error.
                    log.warning("group commit failed; retrying %d writes one by one", len(writes))
                    for write in writes:
                        self._execute_one(store, write)
            else:
                self._unlocked()
                self.write_latencies_ms.append((time.perf_counter() - started) * 1000.0)
                for done, result in zip(writes, results, strict=True):
                    done.future.set_result(result)
        for call in group:
            if isinstance(call, _Call):
                try:
                    call.future.set_result(call.function(store))
                except Exception as error:
                    call.future.set_exception(error)

    def _execute_one(self, store: SessionStore, entry: _Batch | _Events) -> None:
        try:
            if isinstance(entry, _Batch):
                entry.future.set_result(
                    store.write_batch(
                        entry.source, entry.items, entry.cursor, entry.received_at, entry.secrets
                    )
                )
            elif isinstance(entry, _Events):
                entry.future.set_result(store.record_show_events(entry.events))
        except Exception as error:
            fault = disk_fault_words(self.path, error)
            if fault is not None:
                self._stop_writing(error, fault)
                entry.future.set_exception(StoreError(self.fault or fault))
                return
            if isinstance(entry, _Events) and self._wait_for(entry, error):
                return
            if _is_lock(error):
                self._locked(error)
            entry.future.set_exception(error)


def _is_lock(error: BaseException) -> bool:
    """Another program holds the file's lock past the busy timeout (SQLITE_BUSY/LOCKED)."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
