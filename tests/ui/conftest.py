"""A control room on a small real pipeline: test pattern, silence, 320x180 at 15 fps.

The engine is real (compositor, encoder, show runtime, overlays); only the camera is the test
pattern. Feeds are left out of ``control_room`` (no asyncio loop there): tests hand comments and
orders to the controller as the feed hub would; ``tests/ui/test_feed_path.py`` runs the real
feed path on a qasync loop.

The real servers (nginx-rtmp, a black hole, ffprobe) are the suite's shared fixtures
(``tests/integration/server_fixtures.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qasync
from PySide6.QtCore import QDeadlineTimer, QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from anchordesk.live.options import FeedSpec, LiveOptions
from anchordesk.live.settings import Settings
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.showfile.files import read_show_file
from anchordesk.ui import i18n
from anchordesk.ui.controller import Controller
from anchordesk.ui.main_window import MainWindow

CANVAS = (320, 180)


def small_show() -> Show:
    return Show(
        title="Test night",
        currency="USD",
        language="en",
        products=(
            Product("SERUM", "Hydra Serum", Decimal("39.00"), 50),
            Product("CREAM", "Night Cream", Decimal("25.00"), 40),
            Product("MASK", "Clay Mask", Decimal("12.50"), 30),
        ),
        rundown=(
            Segment("Opening", 60, None, "Welcome everyone to the show."),
            Segment("Serum", 120, "SERUM", "Talk about the serum.", deal=DealPlan(
                Decimal("29.00"), 90, 20)),
            Segment("Cream", 120, "CREAM", "Talk about the cream."),
        ),
    )  # fmt: skip


def small_options() -> LiveOptions:
    return LiveOptions(
        camera="test",
        microphone="none",
        canvas_width=CANVAS[0],
        canvas_height=CANVAS[1],
        fps=15,
        video_kbps=300,
        record=False,
    )


@pytest.fixture
def qt_asyncio_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # Tasks still pending (a feed's poll, a lifecycle step) end on this loop before it is
        # closed: none is destroyed pending or resumed later on a loop that is gone.
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        deadline = QDeadlineTimer(5000)
        while any(not task.done() for task in pending) and not deadline.hasExpired():
            qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        with contextlib.suppress(RuntimeError, TypeError):
            qapp.aboutToQuit.disconnect(loop._after_run_forever)
        # Not loop.stop(): it calls QApplication.exit(), which with no exec() running leaves
        # Qt's "quit now" flag set and every later QEventLoop.exec() (pytest-qt's waitSignal)
        # returns at once. Only the loop's own "running" mark is taken back.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(3, "test-ui")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def _quit_without_asking(window: MainWindow) -> None:
    window._quitting = True
    window.controller.shutdown()


def going_live(  # type: ignore[no-untyped-def]
    qtbot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    settings: Settings,
    destination: str,
    key: str,
) -> tuple[MainWindow, list[str]]:
    """The window on the small show going live to ``destination`` (``key`` in the keyring,
    nothing recorded), and the list of every message it says from then on."""
    from anchordesk.core import secrets

    secrets.set_secret(secrets.stream_key_name(destination), key)
    window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
    said: list[str] = []
    window.controller.message.connect(said.append)
    window.controller.go_live(destination, record=False)
    return window, said


def small_controller(
    settings: Settings, executor: ThreadPoolExecutor | None = None, **options: Any
) -> Controller:
    """The window's controller on the small picture, with no feeds and saving nothing unless
    ``options`` say otherwise (``executor`` None: the controller's own worker pool)."""
    options.setdefault("feeds", [])
    options.setdefault("save", lambda _settings: None)
    return Controller(settings, options=small_options(), executor=executor, **options)


def open_control_room(  # type: ignore[no-untyped-def]
    qtbot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    feeds: list[FeedSpec],
    audience_rate_per_s: float = 2.0,
    settings: Settings | None = None,
    save: Callable[[Settings], object] | None = None,
    controller_options: dict[str, Any] | None = None,
) -> MainWindow:
    """The window on the small show, its picture running (feeds as given). Recording is off
    and already decided unless ``settings`` say otherwise (no first-rehearsal question)."""
    settings = settings or Settings(record=False, record_asked=True)
    controller = small_controller(
        settings,
        executor,
        feeds=feeds,
        save=save or (lambda _settings: None),
        audience_rate_per_s=audience_rate_per_s,
        **(controller_options or {}),
    )
    window = MainWindow(
        controller, QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    )
    # pytest-qt closes the window before fixtures tear down: a test that failed while live must
    # not wait there on "quit while live?".
    qtbot.addWidget(window, before_close_func=_quit_without_asking)
    window.resize(1366, 768)
    window.show()
    with qtbot.waitSignal(controller.session_started, timeout=20000):
        controller.start_with_show(small_show())
    qtbot.waitUntil(lambda: controller.frame_source()() is not None, timeout=10000)
    return window


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    """The window's words in Simplified Chinese for one test."""
    i18n.install(qapp, "zh_CN")
    yield
    i18n.install(qapp, "en")


@pytest.fixture
def japanese(qapp: QApplication) -> Iterator[None]:
    """The window's words in Japanese for one test."""
    i18n.install(qapp, "ja")
    yield
    i18n.install(qapp, "en")


@pytest.fixture
def control_room(qtbot, executor, tmp_path, qt_asyncio_loop) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The window as it runs: on qasync's loop (the session lifecycle is asyncio), with no
    feeds (tests hand comments and orders in through the session's own path)."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    yield window
    window._quitting = True  # a test that failed while live must not wait on "quit while live?"
    window.controller.shutdown()


@pytest.fixture
def control_room_with_store(qtbot, executor, tmp_path, qt_asyncio_loop) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """A control room whose rehearsal has its simulated audience polling over HTTP."""
    window = open_control_room(qtbot, executor, tmp_path, [FeedSpec("rehearsal", "")])
    yield window
    window._quitting = True
    window.controller.shutdown()


def newest_frame(window: MainWindow, after: int = 0) -> np.ndarray:
    """A frame the pipeline composited after ``after`` (its preview number)."""
    source = window.controller.frame_source()
    newest = source()
    while newest is None or newest[0] <= after:
        from PySide6.QtTest import QTest

        QTest.qWait(20)
        newest = source()
    return newest[1]


def open_unchecked(window: MainWindow, path: Path) -> None:
    """Run the show in ``path`` as the window runs a show nobody checked (a script's, a
    session's own): a show FILE whose titles hold a bidi override is refused since
    R24hunt24in2 F2, and the tests calling this are about the window's own words around such
    a title, kept right whatever brings it."""
    show = read_show_file(path).read
    assert show is not None
    window.controller._restart(lambda: window.controller.start_with_show(show, path))


def open_embeddings(text: str) -> int:
    """How many bidi embeddings, overrides and isolates ``text`` leaves open: outside text that
    leaves one open turns the window's own words after it around."""
    stack: list[str] = []
    for char in text:
        if char in "\u202a\u202b\u202d\u202e":
            stack.append("embedding")
        elif char == "\u202c" and stack and stack[-1] == "embedding":
            stack.pop()
        elif char in "\u2066\u2067\u2068":
            stack.append("isolate")
        elif char == "\u2069" and "isolate" in stack:
            while stack.pop() != "isolate":
                pass
    return len(stack)
