"""Garbage the window lets go of is destroyed on the Qt thread, whichever thread allocates.

CI crashed natively (exit 139) in ``tests/ui`` about one run in three, always while a show was
live: Python's automatic cyclic collection ran on the picture's thread (or a network output's
log reader, or a keyring worker), destroyed a timer that a reference cycle held there, and Qt,
which cannot stop a timer from another thread, fired it on freed memory
(``QTimerInfoList::activateTimers`` → ``QApplication::notify`` → ``QMetaObject::cast``).
"""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from anchordesk.ui import collector

from .window_scripts import run_window_script

# The window as ``anchordesk`` opens it. Once it runs, a timer is let go of inside a reference
# cycle (as a closed dialog's timers are), and a thread that is not Qt's allocates as the
# picture's thread does; then the window runs on a while its timers fire, and is closed.
_CYCLE_DROPPED_WHILE_ANOTHER_THREAD_ALLOCATES = """
import json, threading
from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import QApplication
from anchordesk.ui import main_window

destroyed_on = []

class Dialog:
    pass

def drop_a_cycle():
    dialog = Dialog()
    dialog.itself = dialog
    dialog.timer = QTimer()
    dialog.timer.setInterval(5)
    dialog.timer.start()
    dialog.timer.destroyed.connect(
        lambda *_: destroyed_on.append(threading.current_thread().name),
        Qt.ConnectionType.DirectConnection,
    )

def allocate_elsewhere():
    def work():
        rows = [[number] for number in range(200_000)]
        del rows
    thread = threading.Thread(target=work, name="picture")
    thread.start()
    thread.join()

def start():
    drop_a_cycle()
    allocate_elsewhere()
    QTimer.singleShot(600, lambda: [w.close() for w in QApplication.topLevelWidgets()
                                    if isinstance(w, main_window.MainWindow)])

QTimer.singleShot(0, start)
code = main_window.run_control_room(None, language="en")
print(json.dumps({"code": code, "destroyed_on": destroyed_on}))
"""


def test_a_cycle_let_go_of_while_another_thread_allocates_is_destroyed_on_the_qt_thread(
    isolated_user_dirs: Path,
) -> None:
    """Before: the cycle was collected on the allocating thread and the process died of
    SIGSEGV as the dropped timer next fired (exit -11, every run of this script)."""
    result = run_window_script(_CYCLE_DROPPED_WHILE_ANOTHER_THREAD_ALLOCATES)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts == {"code": 0, "destroyed_on": ["MainThread"]}


def test_the_tests_run_with_the_collector_the_window_runs(qtbot: QtBot) -> None:
    """The window tests share one process: a cycle left by one test and collected on a live
    show's thread in another was this crash. They run with the window's collector."""
    running = collector.installed()
    assert running is not None
    assert not gc.isenabled()
    destroyed_on: list[str] = []

    class Dialog:
        pass

    dialog = Dialog()
    dialog.itself = dialog  # type: ignore[attr-defined]
    dialog.timer = QTimer()  # type: ignore[attr-defined]
    dialog.timer.start(5)  # type: ignore[attr-defined]
    dialog.timer.destroyed.connect(  # type: ignore[attr-defined]
        lambda *_: destroyed_on.append(threading.current_thread().name)
    )
    del dialog
    kept: list[list[int]] = []  # what the picture's thread holds on to (frames, rows)
    worker = threading.Thread(
        target=lambda: kept.extend([n] for n in range(200_000)), name="picture"
    )
    worker.start()
    worker.join()
    assert destroyed_on == []  # nothing was collected on the thread that allocated
    qtbot.waitUntil(lambda: destroyed_on == ["MainThread"], timeout=5000)
    assert sum(running.collections) >= 1
