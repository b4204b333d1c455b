"""Comments reach the comments dock the way they do in the program: the rehearsal audience
serves them over HTTP on loopback, the feed hub polls it with httpx on the asyncio loop that
qasync runs on the Qt thread, the store keeps them, the controller hands them to the dock.

The loop is qasync's, marked running on the Qt thread the tests already drive
(``already_running``): every ``qtbot.waitUntil`` turns the Qt event loop, which runs the
asyncio callbacks too. Nothing waits on a clock; every wait is for a condition.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import qasync
from pytestqt.qtbot import QtBot

from anchordesk.live.options import FeedSpec
from anchordesk.store.session import SessionStore
from anchordesk.ui.docks.comments import CommentModel

from .conftest import open_control_room


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
    session = controller.live.session
    assert session is not None and session.hub is not None and session.feed_task is not None
    assert session.hub.audience is not None
    assert session.hub.audience.url.startswith("http://127.0.0.1:")
    store_path = session.path
    assert isinstance(store_path, Path)

    panel = window.comments
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 20, timeout=20000)
    assert not session.feed_task.done(), "the hub keeps polling"
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
    feed_task = session.feed_task
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
