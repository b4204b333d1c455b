"""Running a window in a Python of its own: what a user's process does with signals, imports
and the interpreter's exit can only be seen from outside it (pytest's process keeps Qt and its
handlers for the whole run)."""

from __future__ import annotations

import os
import subprocess
import sys


def run_window_script(script: str, *, bound_s: float = 120) -> subprocess.CompletedProcess[str]:
    """``script`` run by ``python -c`` on Qt's offscreen platform. ``bound_s`` is a bound for a
    window that never closes (the old behaviour of several tests), not a wait."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=bound_s,
    )
