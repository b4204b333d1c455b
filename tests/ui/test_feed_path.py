"""Comments reach the comments dock the way they do in the program: the rehearsal audience
serves them over HTTP on loopback, the feed hub polls it with httpx on the asyncio loop that
qasync runs on the Qt thread, the store keeps them, the controller hands them to the dock.

The loop is qasync's, marked running on the Qt thread the tests already drive
(``already_running``): every ``qtbot.waitUntil`` turns the Qt event loop, which runs the
asyncio callbacks too. Nothing waits on a clock; every wait is for a condition.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from anchordesk.live.options import FeedSpec
from anchordesk.store.session import SessionStore
from anchordesk.ui.docks.comments import CommentModel

from .conftest import open_control_room


@pytest.fixture
def qt_asyncio_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        with contextlib.suppress(RuntimeError, TypeError):
            qapp.aboutToQuit.disconnect(loop._after_run_forever)
        # Not loop.stop(): it calls QApplication.exit(), which with no exec() running leaves
        # Qt's "quit now" flag set and every later QEventLoop.exec() (pytest-qt's waitSignal)
        # returns at once. Only the loop's own "running" mark is taken back.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)


def test_audience_comments_arrive_over_http_through_the_hub_into_the_dock(
    qtbot: QtBot,
    qt_asyncio_loop: qasync.QEventLoop,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
) -> None:
    window = open_control_room(
        qtbot, executor, tmp_path, [FeedSpec("rehearsal", "")], audience_rate_per_s=40.0
    )
    controller = window.controller
    parts = controller._parts
    assert parts is not None and parts.audience is not None and parts.feed_task is not None
    assert parts.audience.url.startswith("http://127.0.0.1:")
    store_path = parts.store_path
    assert isinstance(store_path, Path)

    panel = window.comments
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 20, timeout=20000)
    assert not parts.feed_task.done(), "the hub keeps polling"
    shown = [panel.model.row(i) for i in range(panel.model.rowCount())]
    assert all(row.key.startswith("rehearsal:") and row.source == "rehearsal" for row in shown)
    assert len({row.key for row in shown}) == len(shown), "each comment once"
    texts = {panel.proxy.index(i, CommentModel.TEXT).data() for i in range(panel.proxy.rowCount())}
    assert all(texts), "every row shows its text"
    # The audience asks questions; the dock marks them.
    qtbot.waitUntil(lambda: any(panel.model.row(i).is_question
                                for i in range(panel.model.rowCount())), timeout=20000)  # fmt: skip
    assert controller.comment_count() >= panel.model.rowCount()

    # Moving the show along changes what the audience talks about, through the same path.
    window.hotkeys.actions["next_segment"].trigger()
    before = panel.model.rowCount()
    qtbot.waitUntil(lambda: panel.model.rowCount() >= before + 10, timeout=20000)

    # Stopping ends the hub's task on the loop; the store holds every comment the dock showed.
    feed_task = parts.feed_task
    controller.shutdown()
    qtbot.waitUntil(feed_task.done, timeout=10000)
    assert feed_task.exception() is None
    store = SessionStore(store_path, read_only=True)
    try:
        stored = {f"{c.comment.source}:{c.comment.id}" for c in store.comments()}
    finally:
        store.close()
    shown_keys = {panel.model.row(i).key for i in range(panel.model.rowCount())}
    assert shown_keys <= stored
