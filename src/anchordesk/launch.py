"""The programs' entry points (``anchordesk``, ``anchordesk-gui``, ``python -m anchordesk``).

Loading the command line takes about a tenth of a second. A Ctrl+C in that time raised
Python's KeyboardInterrupt inside an import and printed its traceback (8 runs of 8 with the
signal 0.04-0.15 s after start). So this module imports nothing of AnchorDesk's before the
closing signals are noted: one that comes while the command line loads ends the program
quietly, with the code a shell gives for that signal, before anything was started or written.
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Callable
from types import FrameType

_CLOSING = ("SIGINT", "SIGTERM", "SIGHUP")


def _loaded(name: str) -> tuple[Callable[[], int] | None, int]:
    """``anchordesk.cli.main``'s function ``name``, or the signal that came while it loaded."""
    held: list[int] = []

    def note(number: int, _frame: FrameType | None) -> None:
        held.append(number)

    # A signal the program was started to ignore (nohup, a background job of a script) stays
    # ignored.
    previous = {
        number: signal.signal(number, note)
        for number in (getattr(signal, sig) for sig in _CLOSING if hasattr(signal, sig))
        if signal.getsignal(number) is not signal.SIG_IGN
    }
    try:
        # The module, not the package's ``main`` (the package names its function so).
        command_line = importlib.import_module("anchordesk.cli.main")
        function: Callable[[], int] = getattr(command_line, name)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if held:
        return None, held[0]
    return function, 0


def _run(name: str) -> int:
    function, stopped_by = _loaded(name)
    if function is None:
        return 128 + stopped_by  # 130 for Ctrl+C, as a shell reports it
    try:
        return function()
    except KeyboardInterrupt:
        # A Ctrl+C before the command installed its own handlers (while it read its
        # arguments), or in a command that has none (``show check``): a stop, not a fault.
        return 130


def main() -> int:
    return _run("main")


def gui_main() -> int:
    return _run("gui_main")


if __name__ == "__main__":
    sys.exit(main())
