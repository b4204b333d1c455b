"""The window's close, run as the program runs it (``run_control_room`` on a qasync loop that
starts and stops Qt's own): what still runs on the loop at the close, and the process's end."""

from __future__ import annotations

import json
from pathlib import Path

from .window_scripts import run_window_script

# The window opened by ``run_control_room`` as ``anchordesk`` opens it (no show given: the
# start page). A feed-like task waits for its poll's answer, which arrives as the window
# closes (the rehearsal audience's server is stopped by the shutdown, answering the poll in
# flight), then asks for its loop as a poller's next wait does; the window is closed as
# Ctrl+Q closes it. What the task saw, and the signals' handlers after the close, are
# printed as JSON on the last line.
_CLOSE_WITH_A_FEED_RUNNING = """
import asyncio, json, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from anchordesk.ui import controller as controller_module, main_window

seen = []
real_shutdown = controller_module.Controller.shutdown

def shutdown(self, *args, **kwargs):
    # As the shutdown does with the show's feed task: its stop set, the task waited for.
    if not self._shutting_down:
        theirs.send(b'x')  # the poll's answer, arriving as the window closes
        self._closing.extend(tasks)
    return real_shutdown(self, *args, **kwargs)

controller_module.Controller.shutdown = shutdown

import socket
ours, theirs = socket.socketpair()
ours.setblocking(False)

async def feed():
    await asyncio.get_running_loop().sock_recv(ours, 1)
    try:
        asyncio.get_running_loop()
        seen.append("on the loop")
    except RuntimeError as error:
        seen.append(str(error))

tasks = []

def start():
    tasks.append(asyncio.get_event_loop().create_task(feed()))
    QTimer.singleShot(200, lambda: [w.close() for w in QApplication.topLevelWidgets()
                                    if isinstance(w, main_window.MainWindow)])

QTimer.singleShot(0, start)
code = main_window.run_control_room(None, language="en")
ignored = [signal.getsignal(getattr(signal, name)) is signal.SIG_IGN
           for name in ("SIGTERM", "SIGHUP")]
print(json.dumps({"code": code, "seen": seen, "ended": all(t.done() for t in tasks),
                  "signals_ignored": ignored}))
"""


def test_a_feed_woken_by_the_close_ends_on_the_running_loop_and_a_late_signal_is_ignored(
    isolated_user_dirs: Path,
) -> None:
    """Before: the window's loop ran twice, until the close, then until the feeds ended, and
    qasync lets Qt run its events once more each time it stops: a feed task woken by the close
    took its next step there, with no loop running. After a Ctrl+Q in a rehearsal the log said
    "ERROR the feeds stopped: no running event loop (RuntimeError); the show goes on without
    them" and a RuntimeWarning (one quit in about ten under Xvfb; every time here).

    And a SIGTERM in the half second the process took to end after the window closed (Qt's
    threads; Python gives its handlers back to the system as it ends) killed it: exit 143 for
    a clean close (six in eight under Xvfb with the signal 0.3-0.6 s after Ctrl+Q). Once the
    show's files are finished, the closing signals are ignored."""
    result = run_window_script(_CLOSE_WITH_A_FEED_RUNNING)
    assert result.returncode == 0, result.stderr[-2000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["code"] == 0
    assert facts["seen"] == ["on the loop"]
    assert facts["ended"] is True  # nothing left pending on a closed loop
    assert facts["signals_ignored"] == [True, True]
    assert "no running event loop" not in result.stderr
    assert "never awaited" not in result.stderr
