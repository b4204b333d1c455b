"""Python's cyclic garbage collector, run on the Qt thread only.

CPython runs an automatic collection on whichever thread happens to allocate when a
generation's count passes its threshold: in the window that is as often the picture's thread,
a network output's log reader or a keyring worker as the Qt thread. A window, dialog or timer
that was let go of inside a reference cycle was then destroyed on that thread. Qt cannot stop
a timer from another thread, so the destroyed object's timer stayed registered with the Qt
thread's event loop and fired on freed memory: the program crashed natively (SIGSEGV in
``QTimerInfoList::activateTimers`` → ``QApplication::notify``; seen in CI, exit 139, in about
one run of ``tests/ui`` in three, always while a show was live and its threads allocating).

So, while the window runs, automatic collection is off and a timer on the Qt thread does what
it did, with the same thresholds and generations (``gc.get_threshold``): a collection is due
when generation 0 counts more new objects than its threshold, and it takes the older
generations with it when their counts are due too. Reference counting still frees what is not
in a cycle at once, on any thread; only cycles wait for the next tick, as they waited for the
next allocation before. ``core/heap``'s freeze policy still applies (its callback sees these
collections as it saw the automatic ones).
"""

from __future__ import annotations

import gc
import logging
import threading

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

#: How often the Qt thread looks whether a collection is due. Python's own trigger comes every
#: 700 new container objects; a busy window makes that many in a few milliseconds, so between
#: ticks the garbage waits at most this long (its memory is what it was before the tick).
CHECK_INTERVAL_MS = 250


class QtThreadCollector(QObject):
    """Runs the collections the interpreter would have run, on the Qt thread, while installed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self.collections = [0, 0, 0]  # per generation, for tests and the log
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self.installed = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the collector must be installed on the Qt thread")
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()
        self.installed = True

    def uninstall(self) -> None:
        """Collect once more on this thread (what the window let go of last), then give
        collection back to the interpreter as it was."""
        self._timer.stop()
        if self.installed:
            self.installed = False
            gc.collect()
            if self._was_enabled:
                gc.enable()

    def collect_if_due(self) -> int:
        """One collection if one is due, of the oldest generation due; what it found."""
        count0, count1, count2 = gc.get_count()
        threshold0, threshold1, threshold2 = self._thresholds
        if threshold0 <= 0 or count0 <= threshold0:
            return 0
        generation = 0
        if count1 > threshold1:
            generation = 1
            if count2 > threshold2:
                generation = 2
        found = gc.collect(generation)
        self.collections[generation] += 1
        return found


_installed: QtThreadCollector | None = None


def install(parent: QObject) -> bool:
    """Start the one collector of the process on the Qt thread (``parent``: the application,
    which keeps it). True if this call started it (its caller uninstalls it), False if it ran
    already (a test session's, around a window started in it)."""
    global _installed
    if _installed is not None and _installed.installed:
        return False
    _installed = QtThreadCollector(parent)
    _installed.install()
    return True


def installed() -> QtThreadCollector | None:
    return _installed if _installed is not None and _installed.installed else None


def uninstall() -> None:
    global _installed
    if _installed is not None:
        _installed.uninstall()
        _installed = None
