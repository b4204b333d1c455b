"""The control room driven as an operator would: clicks and keys in, pixels out.

Every check on the picture reads the frame the pipeline composited (the preview copy of the
canvas that goes to the encoder), and compares it with what the overlay renderer draws for the
show's state: the card, the pinned comment, the countdown are really in the picture.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from anchordesk.media.overlays.scene import render_scene_image
from anchordesk.show.feed_items import Comment
from anchordesk.ui.docks.comments import CommentModel
from anchordesk.ui.main_window import MainWindow

from .conftest import CANVAS


def scene_pixels(window: MainWindow) -> np.ndarray:
    """What the overlays draw for the runtime's current state (BGRA premultiplied)."""
    runtime = window.controller.runtime
    image = render_scene_image(runtime.scene(), CANVAS, runtime.now_s)
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    bits = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    return bits.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()].copy()


def new_pixels(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Opaque in ``after`` and transparent in ``before``: what the change put on screen."""
    return (after[:, :, 3] == 255) & (before[:, :, 3] == 0)


def picture_shows(window: MainWindow, overlay: np.ndarray, mask: np.ndarray) -> bool:
    frame = window.controller.frame_source()()
    if frame is None or not mask.any():
        return False
    difference = np.abs(frame[1][mask].astype(int) - overlay[:, :, :3][mask].astype(int))
    return float(difference.mean()) < 4.0


def test_click_product_puts_its_card_in_the_picture(qtbot, control_room):  # type: ignore[no-untyped-def]
    window = control_room
    before = scene_pixels(window)
    assert window.controller.show_state.on_screen_sku is None

    qtbot.mouseClick(window.products.card("SERUM"), Qt.MouseButton.LeftButton)

    assert window.controller.show_state.on_screen_sku == "SERUM"
    after = scene_pixels(window)
    mask = new_pixels(before, after)
    assert mask.sum() > 100, "the card covers a real area of the picture"
    qtbot.waitUntil(lambda: picture_shows(window, after, mask), timeout=5000)
    assert window.products.card("SERUM").isChecked()


def test_hotkey_next_segment_moves_run_sheet_and_card(qtbot, control_room):  # type: ignore[no-untyped-def]
    window = control_room
    before = scene_pixels(window)
    # Focus in the search box: the key must still drive the show, and not type.
    window.comments.search.setFocus()
    QTest.keyClick(window.comments.search, Qt.Key.Key_PageDown)

    state = window.controller.show_state
    assert state.current_index == 1
    assert window.run_sheet.current_row_text() == "Serum"
    assert state.on_screen_sku == "SERUM"  # the card follows the run sheet
    assert window.comments.search.text() == ""
    after = scene_pixels(window)
    mask = new_pixels(before, after)
    qtbot.waitUntil(lambda: picture_shows(window, after, mask), timeout=5000)

    QTest.keyClick(window, Qt.Key.Key_PageUp)
    assert window.controller.show_state.current_index == 0


def test_pinned_comment_is_plain_text_in_list_and_picture(qtbot, control_room):  # type: ignore[no-untyped-def]
    window = control_room
    hostile = "<b>x</b><img src=http://example.com/a.png> price?"
    window.controller.add_comments(
        [Comment(source="json", id="1", author="<i>Mallory</i>", text=hostile, is_question=True)]
    )
    qtbot.waitUntil(lambda: window.comments.model.rowCount() == 1, timeout=3000)
    shown = window.comments.proxy.index(0, CommentModel.TEXT).data()
    assert shown.endswith(hostile)
    assert window.comments.proxy.index(0, CommentModel.AUTHOR).data() == "<i>Mallory</i>"

    before = scene_pixels(window)
    window.comments.view.selectRow(0)
    QTest.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)

    pinned = window.controller.runtime.snapshot().pinned
    assert pinned is not None and pinned.text == hostile and pinned.author == "<i>Mallory</i>"
    assert window.comments.pinned_label.textFormat() == Qt.TextFormat.PlainText
    assert hostile in window.comments.pinned_label.text()
    after = scene_pixels(window)
    mask = new_pixels(before, after)
    assert mask.sum() > 100
    qtbot.waitUntil(lambda: picture_shows(window, after, mask), timeout=5000)

    window.comments.unpin.click()
    assert window.controller.runtime.snapshot().pinned is None


def test_start_deal_countdown_runs(qtbot, control_room):  # type: ignore[no-untyped-def]
    window = control_room
    qtbot.mouseClick(window.products.card("CREAM"), Qt.MouseButton.LeftButton)
    # Prefilled from the show: no planned deal for the cream, so 80 % of the price, 120 s.
    assert window.products._deal_seconds.value() == 120
    window.products._deal_seconds.setValue(30)
    before = scene_pixels(window)
    qtbot.mouseClick(window.products._deal_button, Qt.MouseButton.LeftButton)

    deal = window.controller.show_state.deal
    assert deal is not None and deal.state == "live" and deal.sku == "CREAM"
    first = window.controller.runtime.snapshot().state.live_deal("CREAM")
    assert first is not None and first.seconds == 30
    started_text = window.products.deal_status_text()
    assert "0:30 left" in started_text or "0:29 left" in started_text
    # The countdown in the picture: drawn, then a second later drawn again with less time.
    after = scene_pixels(window)
    qtbot.waitUntil(lambda: picture_shows(window, after, new_pixels(before, after)), timeout=5000)
    qtbot.waitUntil(lambda: window.controller.show_state.deal.seconds_left <= 28.5, timeout=5000)
    assert window.products.deal_status_text() != started_text
    assert "Stop" in window.products._deal_button.text()

    QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.controller.show_state.deal.state == "ended"


def test_window_fits_the_screen_with_title_bar_and_status_bar_on_it(qtbot, control_room):  # type: ignore[no-untyped-def]
    window = control_room
    qtbot.waitUntil(lambda: window._fitted_once, timeout=2000)
    QTest.qWait(0)  # the first event-loop turn after show: the fit check runs
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry())
    assert window.statusBar().isVisible()
    # 1280×720 at 125 % is about 1024×576 of logical pixels: the window must be able to fit in
    # what is left of it after a task bar and a title bar, whatever the language.
    hint = window.minimumSizeHint()
    assert hint.width() <= 1022 and hint.height() <= 500
    for name, panel in window.panels.items():
        assert window.docks[name].isVisible() or window.tabifiedDockWidgets(window.docks[name])
        if panel.isVisible():
            # Never clipped: a panel smaller than its content scrolls instead.
            assert panel.width() >= panel.minimumSizeHint().width() - 1, name
    assert window.program.width() >= 160 and window.program.height() >= 90


def test_the_window_fits_in_chinese_and_japanese_too(qtbot, control_room):  # type: ignore[no-untyped-def]
    from anchordesk.ui import i18n

    window = control_room
    try:
        for language in ("zh_CN", "ja"):
            i18n.install(QApplication.instance(), language)
            QApplication.processEvents()
            hint = window.minimumSizeHint()
            assert hint.width() <= 1022 and hint.height() <= 500, language
    finally:
        i18n.install(QApplication.instance(), "en")


def test_fitted_geometry_keeps_the_frame_on_small_and_laptop_screens() -> None:
    from PySide6.QtCore import QMargins, QRect, QSize

    from anchordesk.ui.window_parts import fitted_geometry, side_by_side_is_bigger

    frame = QMargins(1, 30, 1, 1)
    laptop = QRect(0, 0, 1366, 768 - 32)  # a 32-pixel panel at the bottom
    client = fitted_geometry(laptop, QSize(1366, 768), frame)
    outer = client.adjusted(-1, -30, 1, 1)
    assert laptop.contains(outer) and client.height() == 768 - 32 - 31
    scaled = QRect(0, 27, 1024, 576 - 27)  # 1280×720 at 125 %, a panel at the top
    client = fitted_geometry(scaled, QSize(1366, 768), frame)
    assert scaled.contains(client.adjusted(-1, -30, 1, 1))
    # Two previews: side by side when the centre is wide, one above the other when tall.
    assert side_by_side_is_bigger(QSize(900, 300))
    assert not side_by_side_is_bigger(QSize(500, 600))


def test_docks_hide_restore_and_layout_is_remembered(qtbot, control_room, tmp_path):  # type: ignore[no-untyped-def]
    window = control_room
    window.docks["orders"].toggleViewAction().trigger()
    assert not window.docks["orders"].isVisible()
    window.save_layout()
    window.reset_layout()
    assert window.docks["orders"].isVisibleTo(window) or window.docks["orders"].isVisible()
    stored = window.qsettings.value("window/state")
    assert stored is not None


def test_every_control_has_an_accessible_name(qtbot, control_room):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QLineEdit, QSpinBox

    window = control_room
    unnamed = []
    for kind in (QAbstractButton, QLineEdit, QAbstractSlider, QSpinBox):
        for widget in window.findChildren(kind):
            if not widget.isVisibleTo(window):
                continue
            if widget.parent() is not None and type(widget.parent()).__name__ in (
                "QScrollBar", "QDockWidget", "QTabBar", "QToolBarExtension", "QAbstractScrollArea"
            ):  # fmt: skip
                continue
            if type(widget).__name__ in ("QScrollBar", "QToolBarExtension"):
                continue
            if not (widget.accessibleName() or getattr(widget, "text", lambda: "")()):
                unnamed.append(widget.objectName() or type(widget).__name__)
    assert unnamed == []
