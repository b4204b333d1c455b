"""The control room from the keyboard alone: studio mode, Take, the comments' keys, the show's
products in the menu, and every key that cannot act says why, over the picture."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from anchordesk.show.feed_items import Comment
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.state import HealthState, OutputRow

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def notice(window: MainWindow) -> str:
    """The newest line over the program preview, when it shows."""
    return window.notice.newest() if window.notice.isVisibleTo(window) else ""


def comments(window: MainWindow, *items: tuple[str, str, str, bool]) -> None:
    window.controller.add_comments(
        [
            Comment(source="json", id=key, author=author, text=text, is_question=question)
            for key, author, text, question in items
        ]
    )
    window.controller.flush_feeds()


def test_studio_mode_from_the_keyboard_stages_segments_until_take(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    controller = window.controller
    QTest.keyClick(window, Qt.Key.Key_S, CTRL_SHIFT)
    assert window.studio_action.isChecked() and window.staged.isVisible()
    assert window.hotkeys.actions["take"].isEnabled()

    # PgDown: the run sheet moves to "Serum"; its card and its deal wait for Take.
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    state = controller.show_state
    assert state.current_index == 1 and state.on_screen_sku is None and state.deals == ()
    assert state.staged_sku == "SERUM"
    qtbot.waitUntil(lambda: window.staged.current_image() is not None, timeout=5000)
    # The products menu stages too, by name.
    assert window.hotkeys.actions["product_2"].text() == "&2  Stage “Night Cream”"

    QTest.keyClick(window, Qt.Key.Key_T, CTRL)
    state = controller.show_state
    assert state.on_screen_sku == "SERUM"
    assert [(d.sku, d.price) for d in state.deals] == [("SERUM", state.deals[0].price)]
    assert state.deals[0].is_live

    # Out of studio mode Take is greyed, and its key says why instead of doing nothing.
    QTest.keyClick(window, Qt.Key.Key_S, CTRL_SHIFT)
    assert not window.studio_action.isChecked() and not window.staged.isVisible()
    assert not window.hotkeys.actions["take"].isEnabled()
    QTest.keyClick(window, Qt.Key.Key_T, CTRL)
    assert "studio mode" in notice(window) and "Ctrl+Shift+S" in notice(window)
    assert "studio mode" in window.statusBar().currentMessage()


def test_leaving_studio_mode_gives_the_docks_their_width_back(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    left = window.docks["run_sheet"]
    before = left.width()
    window.studio_action.setChecked(True)
    window.resizeDocks([left], [max(120, before - 60)], Qt.Orientation.Horizontal)
    window.studio_action.setChecked(False)
    QTest.qWait(0)
    assert abs(left.width() - before) <= 2


def test_products_menu_names_the_shows_products_and_no_more(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    actions = [window.hotkeys.actions[f"product_{n}"] for n in range(1, 10)]
    assert [a.text() for a in actions if a.isVisible()] == [
        "&1  Put “Hydra Serum” on screen",
        "&2  Put “Night Cream” on screen",
        "&3  Put “Clay Mask” on screen",
    ]
    QTest.keyClick(window, Qt.Key.Key_3, CTRL)
    assert window.controller.show_state.on_screen_sku == "MASK"
    QTest.keyClick(window, Qt.Key.Key_5, CTRL)
    assert notice(window) == "This show has 3 products: there is no product 5."
    assert window.controller.show_state.on_screen_sku == "MASK"


def test_pin_the_latest_question_then_mark_it_answered(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    controller = window.controller
    QTest.keyClick(window, Qt.Key.Key_P, CTRL)  # nothing selected: said, not ignored
    assert "Select a comment" in notice(window) and "F7" in notice(window)
    QTest.keyClick(window, Qt.Key.Key_F8)  # nothing pinned
    assert "No question is pinned" in notice(window)

    comments(
        window,
        ("1", "Ann", "Is it vegan?", True),
        ("2", "Bo", "Love it", False),
        ("3", "Cy", "Does it suit dry skin?", True),
        ("4", "Di", "hello", False),
    )
    QTest.keyClick(window, Qt.Key.Key_F7)
    pinned = controller.show_state.pinned
    assert pinned is not None and pinned.text == "Does it suit dry skin?"

    QTest.keyClick(window, Qt.Key.Key_F8)
    assert controller.show_state.pinned is None  # off the picture
    assert window.comments.model.is_answered("json:3")
    assert window.comments.model.data(
        window.comments.model.index(2, window.comments.model.TEXT)
    ).startswith("✓")
    QTest.keyClick(window, Qt.Key.Key_P, CTRL_SHIFT)  # unpin with nothing pinned
    assert notice(window) == "No comment is pinned."


def test_keys_at_the_ends_of_the_run_sheet_and_with_nothing_on_screen_say_why(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    segments = window.controller.show_state.segments
    QTest.keyClick(window, Qt.Key.Key_PageUp)
    # The LiveShow's words, as the remote gets them (the window kept a copy of the rule).
    assert notice(window) == f"{segments[0].title} is the first segment: there is no previous one."
    QTest.keyClick(window, Qt.Key.Key_0, CTRL)
    assert notice(window) == "No product is on screen."
    QTest.keyClick(window, Qt.Key.Key_D, CTRL)
    assert notice(window) == "Put a product on screen to start a deal."
    window.controller.jump_to_segment(2)
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    assert notice(window) == f"{segments[-1].title} is the last segment: there is no next one."
    window.reconnect_action.trigger()
    assert "nothing to reconnect" in notice(window)


def test_a_notice_goes_after_its_time(qtbot: QtBot, control_room: MainWindow) -> None:
    window = control_room
    banner = window.notice
    now = [10.0]
    banner.clock = lambda: now[0]
    window.notify("The stream has stopped; rehearsal goes on.")
    assert banner.isVisibleTo(window) and banner.timer.isActive()
    # Over the program preview, inside it, and readable (not cut to one clipped line).
    assert window.program.rect().contains(banner.geometry())
    assert banner.height() >= banner.heightForWidth(banner.width())
    now[0] += banner.SHOW_MS / 1000
    banner.timer.timeout.emit()  # the timer's moment, without waiting for it
    assert not banner.isVisibleTo(window)


def test_end_rehearsal_key_and_then_it_says_the_session_has_ended(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    with qtbot.waitSignal(window.controller.rehearsal_finished, timeout=10000):
        QTest.keyClick(window, Qt.Key.Key_E, CTRL_SHIFT)
    qtbot.waitUntil(lambda: not window.end_rehearsal_action.isEnabled(), timeout=3000)
    window.report_dialog.close()
    qtbot.waitUntil(lambda: not window.report_dialog.isVisible(), timeout=3000)
    window.activateWindow()  # as the window manager does when a dialog closes
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    QTest.keyClick(window, Qt.Key.Key_E, CTRL_SHIFT)
    assert "ended already" in notice(window)


def test_record_studio_and_end_rehearsal_have_keys_shown_in_their_menus(
    control_room: MainWindow,
) -> None:
    window = control_room
    keys = {
        action_id: window.hotkeys.actions[action_id].shortcut().toString()
        for action_id in (
            "studio_mode",
            "end_rehearsal",
            "record",
            "pin_latest_question",
            "mark_answered",
        )
    }
    assert keys == {
        "studio_mode": "Ctrl+Shift+S",
        "end_rehearsal": "Ctrl+Shift+E",
        "record": "Ctrl+Shift+R",
        "pin_latest_question": "F7",
        "mark_answered": "F8",
    }
    assert window.record_action in window.stream_menu.actions()
    assert window.studio_action in window.show_menu.actions()


def test_reconnecting_is_amber_with_its_attempt_not_a_red_live(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    controller = window.controller
    controller.is_live = True  # as the controller says once the stream started
    reconnecting = OutputRow("rtmp", "network", "reconnecting", attempt=3, next_retry_in_s=4)
    controller.health_changed.emit(HealthState(running=True, outputs=(reconnecting,)))
    assert window.mode_label.text() == "LIVE — reconnecting (attempt 3)"
    assert "#ef6c00" in window.mode_label.styleSheet()
    back = OutputRow("rtmp", "network", "live")
    controller.health_changed.emit(HealthState(running=True, outputs=(back,)))
    assert window.mode_label.text() == "LIVE" and "#c62828" in window.mode_label.styleSheet()
    controller.is_live = False
    controller.health_changed.emit(HealthState(running=True))


def test_reset_layout_brings_back_every_dock_in_the_window(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    window.docks["orders"].close()
    window.docks["teleprompter"].setFloating(True)
    window.reset_layout()
    assert not window.docks["teleprompter"].isFloating()
    for name, dock in window.docks.items():
        assert dock.isVisibleTo(window) or window.tabifiedDockWidgets(dock), name
    assert window.screen().availableGeometry().contains(window.frameGeometry())


def test_the_detached_teleprompter_remembers_its_screen(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    dock = window.docks["teleprompter"]
    assert dock.widget() is window.teleprompter and not dock.isFloating()  # a dock by default
    dock.setFloating(True)
    qtbot.waitUntil(lambda: window.qsettings.value("teleprompter/screen") is not None, timeout=2000)
    assert window.qsettings.value("teleprompter/screen") == dock.screen().name()
    QTest.keyClick(window, Qt.Key.Key_F11)  # raised where it was put, not over the window
    assert dock.isVisible() and dock.isFloating()
    assert dock.screen().name() == window.qsettings.value("teleprompter/screen")
    dock.setFloating(False)


def test_a_refusal_from_the_show_is_said_in_the_windows_language(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    from PySide6.QtWidgets import QApplication

    from anchordesk.ui import i18n

    window = control_room
    try:
        i18n.install(QApplication.instance(), "ja")  # type: ignore[arg-type]
        QTest.keyClick(window, Qt.Key.Key_F7)  # no comment yet: the show refuses
        assert notice(window) == "固定できる質問はまだありません。"
    finally:
        i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]


def test_a_comment_the_platform_deleted_leaves_the_list_and_the_picture(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    from anchordesk.show.feed_items import CommentRemoval

    window = control_room
    comments(window, ("q1", "Amy", "Is it vegan?", True), ("c2", "Bo", "hello", False))
    model = window.comments.model
    assert {model.row(n).key for n in range(model.rowCount())} >= {"json:q1", "json:c2"}
    window.controller.pin_latest_question()
    assert window.controller.live is not None
    assert window.controller.live.snapshot().pinned is not None
    session = window.controller.live.session
    assert session is not None
    session.ingest([CommentRemoval("json", "del-1", "deleted", comment_id="q1")])
    window.controller.flush_feeds()
    keys = {model.row(n).key for n in range(model.rowCount())}
    assert "json:q1" not in keys and "json:c2" in keys
    assert window.controller.live.snapshot().pinned is None  # off the picture too
