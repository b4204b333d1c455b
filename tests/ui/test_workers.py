"""One way off the Qt thread: results come back on it, a closed widget gets no late answer, and
no other module in ui/ starts threads its own way."""

from __future__ import annotations

import re
import threading
import weakref
from importlib import resources

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from anchordesk.ui import workers


def test_the_result_comes_back_on_the_qt_thread(qtbot: QtBot) -> None:
    seen: list[tuple[int, bool]] = []
    main = threading.get_ident()
    workers.run_task(
        lambda: threading.get_ident(),
        lambda ident: seen.append((ident, threading.get_ident() == main)),
    )
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    [(worker_ident, on_main)] = seen
    assert worker_ident != main and on_main


def test_an_error_reaches_on_error_and_a_deleted_owner_gets_nothing(qtbot: QtBot) -> None:
    errors: list[BaseException] = []

    def fail() -> None:
        raise ValueError("nope")

    workers.run_task(fail, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=3000)
    assert str(errors[0]) == "nope"

    owner = QWidget()
    late: list[int] = []
    release = threading.Event()
    future = workers.run_task(lambda: release.wait(3) and 1, late.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(owner), timeout=3000)
    release.set()
    future.result(3)
    qtbot.wait(50)
    assert late == []


def test_no_module_in_ui_starts_threads_another_way() -> None:
    package = resources.files("anchordesk.ui")
    pattern = re.compile(
        r"threading\.Thread\(|QThreadPool|\bQThread\b|ThreadPoolExecutor\(|to_thread\("
    )
    offenders = []
    for path in package.rglob("*.py"):  # type: ignore[attr-defined]
        if path.name == "workers.py":
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(path.name)
    assert offenders == []


def test_a_widget_held_only_by_a_task_is_let_go_of_on_the_qt_thread(qtbot: QtBot) -> None:
    # A widget destroyed on a worker thread leaves its timers behind: the next event loop
    # pass fired one on freed memory (a crash seen in later tests).
    main = threading.get_ident()
    released_on: list[int] = []
    release = threading.Event()
    widget = QWidget()
    weakref.finalize(widget, lambda: released_on.append(threading.get_ident()))
    workers.run_task(lambda w=widget: release.wait(3))  # the work holds the only reference
    del widget
    release.set()
    qtbot.waitUntil(lambda: bool(released_on), timeout=3000)
    assert released_on == [main]
