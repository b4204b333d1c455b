"""The one way the window runs blocking work off the Qt thread and gets the answer back on it.

In the style of Picard's ``run_task``/``to_main``: :func:`run_task` runs ``work`` on a worker
thread of one shared pool and calls ``on_done(result)`` (or ``on_error(error)``) on the Qt
thread; :func:`to_main` posts any call to the Qt thread, for a loop that runs in a worker (the
camera preview) and reports as it goes. A callback whose ``owner`` (a widget) was deleted
meanwhile is dropped, so a late answer never touches a closed dialog.

Keyring reads, PortAudio device lists, opening a camera, TCP checks and building the live show
all go through here; nothing in ``ui/`` starts its own thread, QThread or QThreadPool task.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_THREADS = 6
#: Threads that read the files a user chose (a show file for File → Open or the editor).
FILE_READ_THREADS = 4
#: A read running this long counts as held (a share whose server went away holds it for good):
#: another thread is started beside it, up to FILE_READ_MOST_THREADS in all.
FILE_READ_HELD_S = 2.0
FILE_READ_MOST_THREADS = 64

_lock = threading.Lock()
_pool: WorkerPool | None = None
_file_reads: WorkerPool | None = None
_poster: _Poster | None = None


class WorkerPool(Executor):
    """Up to ``threads`` daemon threads taking work in turn.

    Not a ThreadPoolExecutor: Python joins its threads as the program ends, so one worker
    held in a read of a disk that does not answer (a hung network share; a FUSE disk
    answering after 8 s) held the program's end that long after a SIGTERM had closed the
    window, for good on a hung share (R13ui F3). The window waits for its work a bounded
    time instead (:func:`wait_idle`), so a settings file being saved is still written.
    """

    def __init__(
        self,
        threads: int,
        name: str,
        *,
        held_after_s: float | None = None,
        most_threads: int | None = None,
    ) -> None:
        """``held_after_s``: work running that long no longer counts among the ``threads``
        (it waits on a disk that may never answer): a new thread takes the next work, up to
        ``most_threads`` in all. None: ``threads`` is the most, whatever they wait on."""
        self._most = threads
        self._name = name
        self._held_after_s = held_after_s
        self._most_threads = max(threads, most_threads or threads)
        self._began: dict[int, float] = {}  # thread number -> when its current work began
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._busy = 0
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._busy += 1
            self._work.put((future, lambda: fn(*args, **kwargs)))
            if self._idle:
                self._idle -= 1
            elif len(self._threads) - self._held() < self._most and (
                len(self._threads) < self._most_threads
            ):
                number = len(self._threads)
                thread = threading.Thread(
                    target=self._run, args=(number,), name=f"{self._name}_{number}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def _held(self) -> int:
        """How many threads run work begun ``held_after_s`` ago or more (under the lock).

        Four File → Open, saves or checks of a show whose network share went away held the
        four threads of the file reads for good, and every later read waited behind them: a
        good show file was said "does not answer", the pictures never shown (R20ui)."""
        if self._held_after_s is None:
            return 0
        now = time.monotonic()
        return sum(1 for began in self._began.values() if now - began >= self._held_after_s)

    def _run(self, number: int) -> None:
        while (item := self._work.get()) is not None:
            future, call = item
            if future.set_running_or_notify_cancel():
                with self._lock:
                    self._began[number] = time.monotonic()
                try:
                    future.set_result(call())
                except BaseException as error:
                    future.set_exception(error)
            del item, future, call  # the work's objects are let go of before the next wait
            with self._lock:
                self._began.pop(number, None)
                self._busy -= 1
                self._idle += 1
                self._settled.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait at most ``timeout_s`` for the work given so far to end; False if some has not."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._settled.wait(left)
        return True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        item = self._work.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
                        self._busy -= 1
            for _thread in self._threads:
                self._work.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


class _Poster(QObject):
    """Lives in the Qt thread; a queued signal carries calls from workers to it.

    Signals: ``posted(object)``: a zero-argument callable to run on the Qt thread.
    """

    posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.posted.connect(self._run)

    @staticmethod
    def _run(call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:  # a callback's bug must not end the event loop
            log.exception("a callback posted to the Qt thread failed")


def executor() -> WorkerPool:
    """The shared worker pool (made on first use, and again after :func:`shutdown`)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = WorkerPool(POOL_THREADS, "anchordesk-worker")
        return _pool


def file_reads() -> WorkerPool:
    """The pool that reads files a user chose (made on first use, and again after
    :func:`shutdown`), apart from :func:`executor`'s.

    A file on a disk that never answers (a hung network share) holds its thread for good,
    deaf even to SIGKILL: seven File → Open of such files held every thread of the window's
    own pool, and the Go live dialog's checks (the stream key, the server) waited behind them
    for ever, "Go live" greyed out, without a word (R15ui F6). Here they hold only these."""
    global _file_reads
    with _lock:
        if _file_reads is None:
            _file_reads = WorkerPool(
                FILE_READ_THREADS,
                "anchordesk-file-read",
                held_after_s=FILE_READ_HELD_S,
                most_threads=FILE_READ_MOST_THREADS,
            )
        return _file_reads


def shutdown(wait_s: float = 0.0) -> bool:
    """Stop taking work (the window is closing); running work is waited for at most
    ``wait_s`` (a settings file being written), never for good. False if some still runs.
    Files still being read are not waited for: nothing is lost with them."""
    global _pool, _file_reads
    with _lock:
        pool, _pool = _pool, None
        reads, _file_reads = _file_reads, None
    if reads is not None:
        reads.shutdown(wait=False, cancel_futures=True)
    if pool is None:
        return True
    pool.shutdown(wait=False, cancel_futures=True)
    return pool.wait_idle(wait_s)


def _ensure_poster() -> _Poster:
    global _poster
    with _lock:
        poster = _poster
        if poster is None or not shiboken6.isValid(poster):
            poster = _Poster()
            app = QCoreApplication.instance()
            if app is not None:
                poster.moveToThread(app.thread())
            _poster = poster
        return poster


def to_main(callback: Callable[..., Any], *args: Any, owner: QObject | None = None) -> None:
    """Call ``callback(*args)`` on the Qt thread, soon; skipped if ``owner`` is gone by then."""

    def call() -> None:
        if owner is not None and not shiboken6.isValid(owner):
            return
        callback(*args)

    _ensure_poster().posted.emit(call)


def run_task(
    work: Callable[[], T],
    on_done: Callable[[T], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    owner: QObject | None = None,
    pool: Executor | None = None,
    waits_on: str | None = None,
) -> Future[T]:
    """Run ``work()`` in a worker; its result or error comes back on the Qt thread.

    An error with no ``on_error`` is logged (with its traceback) and otherwise dropped: the
    caller decides what the user is told. ``pool`` lets a caller (a test) use its own pool.
    ``waits_on``: the file the work reads, named by :func:`still_waiting` while it runs.

    The callables (and whatever widgets they hold) are kept here, on the Qt thread, and let go
    of there: a worker never drops the last reference to a widget, which would destroy it on
    the wrong thread (its timers then fire on freed memory).
    """
    poster = _ensure_poster()  # made here, on the Qt thread, before any worker needs it
    task_id = next(_task_ids)
    with _lock:
        _tasks[task_id] = _Task(work, on_done, on_error, owner, waits_on)
    future: Future[T] = (pool or executor()).submit(_run_task, task_id)
    with _lock:
        task = _tasks.get(task_id)
        if task is not None:
            task.future = future
    future.add_done_callback(lambda done: poster.posted.emit(lambda: _deliver(task_id, done)))
    return future


@dataclass
class _Task:
    work: Callable[[], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    owner: QObject | None
    waits_on: str | None = None
    future: Future[Any] | None = None


_tasks: dict[int, _Task] = {}
_task_ids = itertools.count(1)


def still_waiting() -> list[str]:
    """The files whose reads (``run_task(waits_on=…)``) have not ended: at the window's close,
    those on a disk that does not answer, which keep the process (not the window) until that
    disk answers or is unmounted; no program can end a thread the kernel holds in a read."""
    with _lock:
        return [
            task.waits_on
            for task in _tasks.values()
            if task.waits_on is not None and (task.future is None or not task.future.done())
        ]


def _run_task(task_id: int) -> Any:
    with _lock:
        work = _tasks[task_id].work
    return work()  # the registry still holds ``work``: this reference is never the last


def _deliver(task_id: int, done: Future[Any]) -> None:
    """On the Qt thread: the task's answer to its callbacks, then the task is let go of here."""
    with _lock:
        task = _tasks.pop(task_id, None)
    if task is None or done.cancelled():
        return
    if task.owner is not None and not shiboken6.isValid(task.owner):
        return
    error = done.exception()
    if error is not None:
        if task.on_error is not None:
            task.on_error(error)
        else:
            log.error("work off the Qt thread failed", exc_info=error)
        return
    if task.on_done is not None:
        task.on_done(done.result())


__all__ = ["executor", "file_reads", "run_task", "shutdown", "still_waiting", "to_main"]
