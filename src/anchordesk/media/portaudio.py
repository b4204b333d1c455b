"""Import sounddevice without PortAudio's probe noise on the terminal.

PortAudio initialises every host API when ``sounddevice`` is imported; its JACK back-end then
prints "Cannot connect to server socket…" lines straight to file descriptor 2 when no JACK
server runs (the usual case on a laptop with PulseAudio or PipeWire). Those lines look like
errors to a user and bury real messages, so the import runs with fd 2 pointed at /dev/null.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from types import ModuleType

_lock = threading.Lock()
# fd 2 as it was, while the import sends it to /dev/null (see give_back_stderr).
_saved_stderr: list[int] = []


def give_back_stderr() -> None:
    """Point fd 2 back at the real stderr now, while an import still hangs in PortAudio's
    start (a sound server that never answers): else every line the program printed after it,
    its stop and exit messages included, went to /dev/null.

    Takes no lock: the stop signal's handler calls it, and it may interrupt the import below
    anywhere in the main thread (with a lock taken there, the handler waited for ever on its
    own thread). The import keeps the list true at every step instead: the copy is listed
    before fd 2 goes to /dev/null, and unlisted after fd 2 is back and before it is closed."""
    saved = _saved_stderr[:1]
    if saved:
        with contextlib.suppress(OSError):
            os.dup2(saved[0], 2)


def not_terminated_at_exit() -> None:
    """Leave PortAudio to the system when this process exits. sounddevice's exit handler stops
    and closes the last stream and terminates PortAudio: with a stream stuck in a sound server
    that stopped answering (PulseAudio hung mid-show) it waited for ever, the run's files
    finished and "stopped 0.51 s after the request" said, and the process never ended (deaf
    to another SIGTERM or Ctrl+C, ignored by then).

    sounddevice offers no public way to skip its handler; its name is its own (0.4-0.5). A
    release that renames it is said in the log (a hang at exit then has its cause written
    down), and tests/faults (round twenty-nine) fails at once on it, not after a hung exit."""
    sounddevice = sys.modules.get("sounddevice")
    if sounddevice is None:
        return  # never imported: nothing of PortAudio to terminate
    handler = getattr(sounddevice, "_exit_handler", None)
    if not callable(handler):
        logging.getLogger(__name__).warning(
            "sounddevice %s has no _exit_handler to leave out: a sound server that hangs "
            "may hold this program's exit",
            getattr(sounddevice, "__version__", "?"),
        )
        return
    atexit.unregister(handler)


def import_sounddevice() -> ModuleType:
    """Return the ``sounddevice`` module; raises OSError when libportaudio2 is missing."""
    with _lock:
        loaded: ModuleType | None = sys.modules.get("sounddevice")
        if loaded is not None:
            return loaded
        # Never try to start a JACK server just to list devices.
        os.environ.setdefault("JACK_NO_START_SERVER", "1")
        sys.stderr.flush()
        saved_fd = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        _saved_stderr.append(saved_fd)
        try:
            os.dup2(devnull, 2)
            import sounddevice
        finally:
            os.dup2(saved_fd, 2)
            _saved_stderr.clear()
            os.close(saved_fd)
            os.close(devnull)
        module: ModuleType = sounddevice
        return module


# What PortAudio and the ALSA library print on their own when a device cannot be opened (a
# PulseAudio daemon gone): PortAudio's internal checks, ALSA's plugin errors, and the blank
# lines between them.
_LIBRARY_NOISE = re.compile(
    rb"^(Expression '.*' failed in '.*', line: \d+|ALSA lib .*|Cannot connect to server .*|"
    rb"jack server is not running.*|JackShmReadWritePtr.*|\s*)$"
)


@contextlib.contextmanager
def library_noise_filtered(noise: re.Pattern[bytes] = _LIBRARY_NOISE) -> Iterator[None]:
    """Run a PortAudio call with descriptor 2 going into a pipe; afterwards everything in it
    that is not PortAudio's or ALSA's own noise goes on to the real stderr (in order), so a
    log line of another thread written meanwhile is kept, while a lost microphone retried
    every 2 s does not print five lines of library internals each time. ``noise``: the lines
    of another library (an image decoder's) to drop instead.

    The real stderr is listed for :func:`give_back_stderr` meanwhile: a stop at once during
    start-up (cli/commands.py) says its lines there, not into the pipe."""
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    saved_fd = os.dup(2)
    _saved_stderr.append(saved_fd)
    try:
        os.dup2(write_end, 2)
        os.close(write_end)
        write_end = -1
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved_fd, 2)
        _saved_stderr.remove(saved_fd)
        if write_end != -1:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as captured:
            kept = [
                line
                for line in captured.read().splitlines(keepends=True)
                if not noise.match(line.rstrip(b"\r\n"))
            ]
        with contextlib.suppress(OSError):
            for line in kept:
                os.write(saved_fd, line)
        os.close(saved_fd)
