"""A comment the operator hides leaves the list and the picture, and the session keeps a record
of it: the report counts it and names it in the session's show events."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from anchordesk.show.feed_items import Comment
from anchordesk.store.report import COMMENT_HIDDEN, build_report, report_text
from anchordesk.store.session import SessionStore
from anchordesk.ui.docks.comments import CommentModel
from anchordesk.ui.main_window import MainWindow


def row_of(window: MainWindow, text: str) -> int:
    proxy = window.comments.proxy
    for row in range(proxy.rowCount()):
        if str(proxy.index(row, CommentModel.TEXT).data()).endswith(text):
            return row
    raise AssertionError(f"{text!r} is not in the list")


def test_a_hidden_comment_is_recorded_in_the_session_and_counted_in_the_report(
    qtbot: QtBot, control_room_with_store: MainWindow
) -> None:
    window = control_room_with_store
    controller = window.controller
    store_path = controller.live.session.path  # type: ignore[union-attr]
    assert isinstance(store_path, Path)
    controller.add_comments(
        [
            Comment(source="rehearsal", id="c1", author="Ann", text="Is it vegan?"),
            Comment(source="rehearsal", id="c2", author="Troll", text="this is a scam"),
            Comment(source="rehearsal", id="c3", author="Bo", text="Love the cream"),
        ]
    )
    qtbot.waitUntil(lambda: window.comments.model.rowCount() == 3, timeout=3000)

    # The troll's comment was pinned by mistake; hiding it takes it off the picture too.
    window.comments.view.selectRow(row_of(window, "this is a scam"))
    window.comments.pin.click()
    assert controller.runtime.snapshot().pinned is not None
    qtbot.mouseClick(window.comments.hide_button, Qt.MouseButton.LeftButton)
    assert window.comments.model.rowCount() == 2
    assert controller.runtime.snapshot().pinned is None
    # Hiding it again (another click, a replay) records it once.
    again = window.comments.model.row(0)
    controller.hide_comment(again)
    controller.hide_comment(again)

    controller.shutdown()  # commits and closes the session file
    store = SessionStore(store_path, read_only=True)
    try:
        hidden = [e for e in store.show_events() if e.kind == COMMENT_HIDDEN]
    finally:
        store.close()
    assert [(e.data["source"], e.data["comment_id"], e.data["author"]) for e in hidden] == [
        ("rehearsal", "c2", "Troll"),
        ("rehearsal", "c1", "Ann"),
    ]
    assert hidden[0].data["text"] == "this is a scam"
    report = build_report(store_path)
    assert report.hidden == 2
    assert report.to_json()["hidden_comments"] == 2
    assert "2 hidden" in report_text(report)


def test_a_hide_the_show_refuses_leaves_the_comment_listed(
    qtbot: QtBot, control_room_with_store: MainWindow
) -> None:
    """R9ctl L6: after End rehearsal the show refuses a hide ("the session has ended"), but the
    window took the row off its list first: the comment, still in the session and the report,
    was gone from the list with no way back. The row now leaves when the show has hidden it."""
    window = control_room_with_store
    controller = window.controller
    controller.add_comments(
        [Comment(source="rehearsal", id="c1", author="Troll", text="this is a scam")]
    )
    qtbot.waitUntil(lambda: window.comments.model.rowCount() == 1, timeout=3000)
    controller.end_rehearsal()
    qtbot.waitUntil(lambda: controller.live.session.ended, timeout=10_000)  # type: ignore[union-attr]
    said: list[str] = []
    controller.message.connect(said.append)
    window.comments.view.selectRow(0)
    qtbot.mouseClick(window.comments.hide_button, Qt.MouseButton.LeftButton)
    assert any("session has ended" in text.lower() for text in said), said
    assert window.comments.model.rowCount() == 1
