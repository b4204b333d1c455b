"""Import sounddevice without PortAudio's probe noise on the terminal.

PortAudio initialises every host API when ``sounddevice`` is imported; its JACK back-end then
prints "Cannot connect to server socket…" lines straight to file descriptor 2 when no JACK
server runs (the usual case on a laptop with PulseAudio or PipeWire). Those lines look like
errors to a user and bury real messages, so the import runs with fd 2 pointed at /dev/null.
"""

from __future__ import annotations

import os
import sys
import threading
from types import ModuleType

_lock = threading.Lock()


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
        try:
            os.dup2(devnull, 2)
            import sounddevice
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            os.close(devnull)
        module: ModuleType = sounddevice
        return module
