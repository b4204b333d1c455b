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
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_THREADS = 6

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_poster: _Poster | None = None


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


def executor() -> ThreadPoolExecutor:
    """The shared worker pool (made on first use, and again after :func:`shutdown`)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(POOL_THREADS, "anchordesk-worker")
        return _pool


def shutdown() -> None:
    """Stop taking work (the window is closing); running work is not waited for."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


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
) -> Future[T]:
    """Run ``work()`` in a worker; its result or error comes back on the Qt thread.

    An error with no ``on_error`` is logged (with its traceback) and otherwise dropped: the
    caller decides what the user is told. ``pool`` lets a caller (a test) use its own pool.

    The callables (and whatever widgets they hold) are kept here, on the Qt thread, and let go
    of there: a worker never drops the last reference to a widget, which would destroy it on
    the wrong thread (its timers then fire on freed memory).
    """
    poster = _ensure_poster()  # made here, on the Qt thread, before any worker needs it
    task_id = next(_task_ids)
    with _lock:
        _tasks[task_id] = _Task(work, on_done, on_error, owner)
    future: Future[T] = (pool or executor()).submit(_run_task, task_id)
    future.add_done_callback(lambda done: poster.posted.emit(lambda: _deliver(task_id, done)))
    return future


@dataclass
class _Task:
    work: Callable[[], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    owner: QObject | None


_tasks: dict[int, _Task] = {}
_task_ids = itertools.count(1)


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


__all__ = ["executor", "run_task", "shutdown", "to_main"]
