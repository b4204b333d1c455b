"""How ``anchordesk live`` is asked to stop: SIGINT (Ctrl+C), SIGTERM, SIGHUP or ``--seconds``.

The handlers are installed first thing, before the heavy imports (PyAV, OpenCV, Qt) and before
any file is created, so a request is never lost (Python's default SIGINT raises wherever the
program happens to be, and the default SIGTERM and SIGHUP kill it with the recording half
written). A handler only notes the request and wakes the event loop; the start-up checks
:meth:`StopRequests.requested` between its steps, and the run loop stops on the event. Every
stop then finishes the files within :data:`STOP_BUDGET_S` of the request.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Final

from anchordesk.core import logs, secrets

log = logging.getLogger("anchordesk")

#: From the request to the files finished (the process exits just after): the network outputs
#: and the feeds get what is left of it, then their child is killed or their request cancelled.
#: 1.5 s of the 2 s a stop may take: on a loaded 2-core machine the encoder's flush and a 720p
#: recording's last packets took just over 1.0 s once (CI), and a recording cut at 1.0 s was
#: called "not whole" (exit 3) although it would have been finished 0.1 s later.
STOP_BUDGET_S: Final = 1.5

_SIGNALS: Final = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def taken_signals() -> tuple[int, ...]:
    """The stop signals this program may take: not one it was started to ignore. ``nohup
    anchordesk live ... &`` (SIGHUP ignored) or a script's background job (SIGINT ignored)
    was stopped by the terminal's hang-up or by a Ctrl+C meant for another program: the show
    ended as the user logged out. The convention (glibc's manual, Python's own SIGINT, the
    launcher in anchordesk/launch.py) is to keep such a signal ignored."""
    return tuple(number for number in _SIGNALS if signal.getsignal(number) is not signal.SIG_IGN)


class StopRequests:
    """The first stop request of the run (its reason and when it came)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.requested_at_s: float | None = None
        # The loop and the event to wake: one tuple, read in one step by the signal handler.
        self._target: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._installed: dict[int, object] = {}
        # Called by the signal handler at the first request, when set: the start-up's slow
        # steps (imports, opening devices) cannot look at ``requested`` while they run.
        self.at_once: Callable[[str], None] | None = None

    @property
    def requested(self) -> bool:
        return self.reason is not None

    def install(self) -> None:
        """Take SIGINT, SIGTERM and SIGHUP (main thread only; elsewhere nothing happens)."""
        if threading.current_thread() is not threading.main_thread():
            return
        for number in taken_signals():
            self._installed[number] = signal.signal(number, self._on_signal)
        # A keyring that never answers is left at once (its wait polls this flag).
        secrets.store().give_up_when(lambda: self.requested)

    def uninstall(self) -> None:
        secrets.store().give_up_when(None)
        for number, previous in self._installed.items():
            signal.signal(number, previous)  # type: ignore[arg-type]
        self._installed.clear()

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        # A signal handler may interrupt the main thread anywhere, in a lock's hold included
        # (logging's, this object's own in request() or attach(): it then waited for ever on
        # its own thread). So it takes no lock: it notes the request (the main thread, which
        # it interrupted, is the only one it can race with here, and it runs to its end
        # before that thread goes on), wakes the loop (call_soon_threadsafe takes none) and
        # calls what was prepared for a request during start-up.
        first = self.reason is None
        if first:
            self.requested_at_s = self._clock()
            self.reason = signal.Signals(number).name
            self._wake(self._target, self.reason)
        at_once = self.at_once
        if first and at_once is not None:
            at_once(self.reason or signal.Signals(number).name)

    def request(self, reason: str) -> None:
        with self._lock:
            first = self.reason is None
            if first:
                self.requested_at_s = self._clock()
                self.reason = reason
            target = self._target
        if first:
            self._wake(target, reason)

    def _wake(
        self, target: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None, reason: str
    ) -> None:
        if target is not None and not target[0].is_closed():
            loop, event = target
            loop.call_soon_threadsafe(self._set_event, event, reason)

    def attach(self, event: asyncio.Event) -> None:
        """Set ``event`` (on the running loop) on a request; at once if one came already."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._target = (loop, event)
            reason = self.reason
        if reason is not None:
            self._set_event(event, reason)

    def detach(self) -> None:
        with self._lock:
            self._target = None

    @staticmethod
    def _set_event(event: asyncio.Event, reason: str) -> None:
        if not event.is_set():
            log.info("%s: stopping cleanly (finishing the files)", reason)
        event.set()

    def seconds_since(self) -> float | None:
        """Seconds from the request to now (None before any request)."""
        at = self.requested_at_s
        return None if at is None else self._clock() - at

    def time_left_s(self, budget_s: float = STOP_BUDGET_S) -> float:
        """What is left of ``budget_s`` since the request (the whole budget before one)."""
        since = self.seconds_since()
        return budget_s if since is None else max(0.05, budget_s - since)


_current: StopRequests | None = None
_program = False

_RACE_MESSAGES: Final = frozenset(
    f"Signal {int(number)} ignored due to race condition" for number in _SIGNALS
)


def _ignore_from_now_on() -> None:
    """Set the stop signals to SIG_IGN, straight from our handler (restoring the previous
    handlers first left a moment in which a signal of the burst met the default action:
    KeyboardInterrupt, exit 143). SIG_IGN, not a Python handler: the interpreter puts the
    default action back for those while it shuts down, which is when these signals come.

    CPython notes a signal at the C level (in whichever thread it lands) and runs its Python
    handler later in the main thread; if the handler is SIG_IGN by then, it prints "OSError:
    Signal 15 ignored due to race condition" with a traceback (once in CI, Ctrl+C and SIGTERM
    pressed in a loop). Each ``signal.signal()`` runs what is pending before it switches, but
    one that comes while that handler runs stays pending past the switch. So first a Python
    no-op (anything pending then runs it, harmlessly, and ours is off the path), then SIG_IGN;
    what still slips into the last microseconds is exactly the ignoring asked for here, and its
    report is dropped (every other unraisable error is reported as before)."""
    for number in _SIGNALS:
        signal.signal(number, _do_nothing)
    previous_hook = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not _is_ignored_signal_report(unraisable.exc_value):
            previous_hook(unraisable)

    sys.unraisablehook = hook
    for number in _SIGNALS:
        signal.signal(number, signal.SIG_IGN)


def _do_nothing(_number: int, _frame: FrameType | None) -> None:
    return None


def _is_ignored_signal_report(error: BaseException | None) -> bool:
    return type(error) is OSError and str(error) in _RACE_MESSAGES


def install(*, program: bool = False) -> StopRequests:
    """The run's stop requests, with the signal handlers installed (``anchordesk live``).
    ``program``: this process is the command's own, which ends with the run."""
    global _current, _program
    _current = StopRequests()
    _program = program
    _current.install()
    return _current


def current_is_the_programs() -> bool:
    """Whether the run's requests are those of the command's own process (``install``)."""
    return _current is not None and _program


def current() -> StopRequests:
    """The requests ``install`` set up; a fresh one for this run alone, without handlers, when
    it was not called (``run_live`` called from a test or another program)."""
    return _current if _current is not None else StopRequests()


def forget(*, keep_handlers: bool = False) -> None:
    """Drop the run's requests (the next run starts clean) and uninstall the handlers. With
    ``keep_handlers`` (the command line's process, which exits right after the run) the stop
    signals are ignored from now on instead: one of the same burst that comes after the files
    are finished (Ctrl+C pressed three times, a SIGTERM after SIGINT) must not kill it then,
    with the default action's exit code (143) and its last lines unprinted."""
    global _current
    secrets.store().give_up_when(None)
    if _current is not None:
        if keep_handlers and threading.current_thread() is threading.main_thread():
            _ignore_from_now_on()
            _current._installed.clear()
        else:
            _current.uninstall()
    _current = None


def end_at_once(reason: str) -> None:
    """Called by the signal handler at a stop request while ``anchordesk live`` starts, before
    any file of the run: the media's imports and opening the devices are the slow steps (3.8 s
    and more on a loaded 2-core machine, where a SIGINT ended the run 4-10 s after it, and the
    interpreter's own exit took 2-3 s more); they cannot look at the request while they run.
    Nothing is written yet: the process ends there and then, saying so. (An exception raised
    into the step instead aborted the process when it landed in PySide6's initialisation:
    "Fatal Python error: libshiboken/signature: could not initialize", 2 runs of 13.) The same
    end for a request seen between two steps of the start-up.

    It may interrupt the main thread anywhere, an import or a lock's hold included: it imports
    nothing (a module the interrupted thread was loading was found half made), it finds the
    media's modules in ``sys.modules`` when they were loaded, and it takes no lock that thread
    may hold. Here, not in cli/commands.py, so that it is ready as soon as the handlers are:
    armed only once that module had loaded (0.3 s after the handlers at a low priority on a
    loaded machine), a SIGHUP right after the log's first line ended the run 2.14 s later."""
    since = current().seconds_since() or 0.0
    _remove_made_and_empty()
    # A sound server that never answers (or an image decoder's noise) holds fd 2 on a pipe or
    # /dev/null: the lines below would go there, and the run end without a word.
    portaudio = sys.modules.get("anchordesk.media.portaudio")
    give_back_stderr = getattr(portaudio, "give_back_stderr", None)
    if give_back_stderr is not None:
        give_back_stderr()
    logs.exit_now(
        0,
        [
            f"{reason} during start-up: stopped before the picture started",
            f"stopped {since:.2f} s after the request ({reason})",
        ],
    )


def _remove_made_and_empty() -> None:
    """Before the process ends at once during start-up: the show's outputs (built before the
    picture starts) may have made their files already; empty, they go."""
    recording = sys.modules.get("anchordesk.media.recording")
    # A request that lands while that module is still being loaded (its imports take a while)
    # finds it half made, without this function: an AttributeError traceback, exit 1. It has
    # made no file then (open_new_file comes after it in the module).
    remove = getattr(recording, "remove_made_and_empty", None)
    if remove is not None:
        remove()


def end_at_once_from_now_on() -> None:
    """From here on a stop request ends the command's own process at once (one that came
    already ends it now); a run in a test's or another program's process is left alone."""
    stops = current()
    if current_is_the_programs():
        stops.at_once = end_at_once
        if stops.reason is not None:
            end_at_once(stops.reason)
