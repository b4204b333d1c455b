"""What a keyboard-only walk of a live show at 1366×768 (en, zh_CN, ja) ran into, held here:
comments that could not wrap, a test tone passed as a microphone, a product list squeezed by
running deals, a report whose buttons Tab could not reach, the rehearsal's comments left in the
live list, and Settings with no key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextLayout
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from anchordesk.core import paths
from anchordesk.live.reports import SegmentTiming, SessionSummary
from anchordesk.live.settings import Destination
from anchordesk.show.feed_items import Comment
from anchordesk.ui import i18n
from anchordesk.ui.docks.comments import CommentModel, CommentPanel
from anchordesk.ui.golive import OK, RUNNING, WARN, GoLiveDialog, PreflightFacts
from anchordesk.ui.hotkeys import mnemonic
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.report_dialog import RehearsalReportDialog
from anchordesk.ui.state import CommentRow


def lines_laid_out(text: str, panel: CommentPanel, width: int) -> list[float]:
    """The heights of the lines Qt lays ``text`` out in, at the comment column's width."""
    layout = QTextLayout(text, panel.view.font())
    layout.beginLayout()
    heights = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        heights.append(line.height())
    layout.endLayout()
    return heights


def test_a_chinese_question_gets_its_two_lines(qtbot: QtBot) -> None:
    # Rows were sized from the Latin font (14 px a line); the CJK fallback is 18 px, so a
    # Chinese comment, or any question (its "？" mark), fit one line and was cut with "…".
    panel = CommentPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 500)
    panel.show()
    text = "这个杯子可以放进洗碗机吗？还有别的颜色吗？什么时候发货到上海？"
    panel.add_comments([CommentRow("c:1", "小李", text, 0.0, is_question=True)])
    shown = str(panel.proxy.index(0, CommentModel.TEXT).data())
    width = panel.view.columnWidth(CommentModel.TEXT) - 8
    heights = lines_laid_out(shown, panel, width)
    assert len(heights) >= 2  # too long for one line at this width
    assert panel.view.rowHeight(0) >= heights[0] + heights[1] + 1  # two lines and the grid


def _facts(**changes: object) -> PreflightFacts:
    facts = PreflightFacts(True, "cam", True, "test tone", True, "30 fps", (), False, False, -6.0)
    return replace(facts, **changes)  # type: ignore[arg-type]


def _preflight(qtbot: QtBot, facts: PreflightFacts) -> GoLiveDialog:
    destination = Destination("d1", "Shop", "custom", "rtmp://127.0.0.1:9/live")
    pool = ThreadPoolExecutor(1)
    dialog = GoLiveDialog(
        [destination], "d1", False, lambda: facts, lambda _d: True, pool, connect_timeout_s=0.2
    )
    qtbot.addWidget(dialog)
    dialog.show()
    # Every check answered (the worker's reach check too) before its pool goes.
    qtbot.waitUntil(
        lambda: (
            "reachable" in dialog.results
            and RUNNING not in {r.status for r in dialog.results.values()}
        ),
        timeout=5000,
    )
    pool.shutdown(wait=True)
    return dialog


def test_the_test_tone_is_a_warning_in_preflight_not_a_tick(qtbot: QtBot) -> None:
    # The walk's pre-flight said "✔ Microphone — Test tone, level -6 dB": viewers would have
    # heard a beep each second. A level is no proof of a voice.
    found = _preflight(qtbot, _facts(microphone_is_test_tone=True))
    assert found.results["microphone"].status == WARN
    assert "no microphone was found" in found.results["microphone"].detail
    chosen = _preflight(qtbot, _facts(microphone_is_test_tone=True, test_tone_chosen=True))
    assert "chosen in Settings" in chosen.results["microphone"].detail
    real = _preflight(qtbot, _facts(microphone_detail="USB mic"))
    assert real.results["microphone"].status == OK


def test_a_destination_named_after_its_platform_is_named_once(qtbot: QtBot) -> None:
    destination = Destination("d1", "Custom RTMP / RTMPS", "custom", "rtmp://127.0.0.1:9/live")
    pool = ThreadPoolExecutor(1)
    dialog = GoLiveDialog(
        [destination], "d1", False, _facts, lambda _d: True, pool, connect_timeout_s=0.2
    )
    qtbot.addWidget(dialog)
    assert dialog.destination.currentText() == "Custom RTMP / RTMPS"
    qtbot.waitUntil(lambda: RUNNING not in {r.status for r in dialog.results.values()})
    pool.shutdown(wait=True)


def test_running_deals_are_listed_once_and_never_squeeze_the_products(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    controller = window.controller
    products = window.products
    for sku in ("SERUM", "CREAM", "MASK"):
        controller.show_product(sku)
        controller.start_deal(sku, "9.00", 120, 10)
    controller.poll_show()
    assert len(controller.show_state.deals) == 3
    # The mask is on screen: its deal is the form's ("Stop the deal"), not a row below too.
    running = products.running_deal_texts()
    assert len(running) == 2 and not any(text.startswith("Clay Mask") for text in running)
    assert "Live:" in products.deal_status_text()
    # The other deals' rows scroll within two rows' height: the list above keeps its room.
    rows = products._running_scroll
    assert rows.isVisibleTo(products)
    assert rows.height() <= products.running_rows_max_px()
    # One other deal: the box is as tall as its row, no blank band under the status line.
    controller.stop_deal("SERUM")
    controller.poll_show()
    assert len(products.running_deal_texts()) == 1
    assert rows.height() <= products._running_box.sizeHint().height()


def _summary() -> SessionSummary:
    lines = (
        "Session report: Cozy Kitchen Live",
        "  Products",
        "    SKU          Units        GMV  Product",
        "    MUG-350          0      $0.00  Stoneware Mug 350 ml with a long name",
    )
    return SessionSummary(
        mode="live",
        timings=(SegmentTiming(0, "Welcome", 60, 20), SegmentTiming(1, "The mug", 180, 8)),
        session_lines=lines,
        files=(),
        html_path=None,
    )


def test_the_report_buttons_are_reached_by_tab_and_by_access_keys(qtbot: QtBot) -> None:
    dialog = RehearsalReportDialog(_summary())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    dialog.table.setFocus()
    reached: set[QWidget] = set()
    for _ in range(8):  # the table's cells used to take every Tab, round and round
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focus = QApplication.focusWidget()
        assert focus is not None
        reached.add(focus)
    assert dialog.again_button in reached
    keys = [mnemonic(b.text()) for b in (dialog.again_button, dialog.open_button)]
    assert None not in keys and len(set(keys)) == 2
    # The products table keeps its columns: one report line, one line on screen.
    assert dialog.summary.toPlainText().splitlines() == list(_summary().session_lines)
    assert dialog.summary.lineWrapMode() == dialog.summary.LineWrapMode.NoWrap


def test_settings_has_a_key(control_room: MainWindow) -> None:
    # Most Linux desktops give the Preferences key no binding: Settings had no key at all.
    assert not control_room.settings_action.shortcut().isEmpty()


def test_a_new_session_lists_only_its_own_comments(qtbot: QtBot, control_room: MainWindow) -> None:
    # Live, the list still held the rehearsal's 158 simulated comments: F7 said "no question
    # to pin yet" beside a column of questions, and a selected one could not be pinned.
    window = control_room
    controller = window.controller
    controller.add_comments([Comment(source="rehearsal", id="r1", author="Bot", text="Price?")])
    controller.flush_feeds()
    assert window.comments.model.rowCount() == 1
    with qtbot.waitSignal(controller.rehearsal_finished, timeout=10000):
        window.end_rehearsal_action.trigger()
    window.report_dialog.reject()
    window.rehearse_again_action.trigger()
    qtbot.waitUntil(lambda: controller.show_state.mode == "rehearsal", timeout=10000)
    controller.flush_feeds()
    assert window.comments.model.rowCount() == 0
    assert window.comments.count_label.text() == "0 received"
    controller.add_comments([Comment(source="rehearsal", id="r2", author="Ann", text="Hi")])
    controller.flush_feeds()
    assert window.comments.model.rowCount() == 1


def test_the_report_speaks_the_window_language_when_the_setting_is_system(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    # With the language left at "system" (the default) a Chinese window got an English report.
    window = control_room
    assert window.controller.settings.language == "system"
    i18n.install(QApplication.instance(), "zh_CN")  # type: ignore[arg-type]
    try:
        with qtbot.waitSignal(window.controller.rehearsal_finished, timeout=10000) as finished:
            window.end_rehearsal_action.trigger()
        lines = "\n".join(finished.args[0].session_lines)
        assert "Duration" not in lines and "时长" in lines, lines
        window.report_dialog.reject()
    finally:
        i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]


def test_a_four_product_show_fits_its_list_at_1366x768_in_chinese(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    # A fixed 52 px a card cut the fourth product of the Chinese sample (a scroll bar) at
    # 1366x768; a card needs only its two lines and its padding.
    window = control_room
    i18n.install(QApplication.instance(), "zh_CN")  # type: ignore[arg-type]
    try:
        window.resize(1366, 768 - 22)  # the window manager's title bar
        sample = paths.resources_dir() / "shows" / "zh" / "show.json"
        with qtbot.waitSignal(window.controller.session_started, timeout=20000):
            window.controller.open_show(sample)
        qtbot.waitUntil(lambda: len(window.products._cards) == 4, timeout=5000)
        QApplication.processEvents()
        cards = window.products.findChild(QScrollArea)
        assert cards is not None and cards.widget() is window.products._grid_host
        viewport = cards.viewport()
        for card in window.products._cards.values():  # each card whole in the list's view
            bottom = card.mapTo(viewport, card.rect().bottomLeft()).y()
            assert 0 <= bottom < viewport.height(), card.text()
    finally:
        i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "zh_CN", "ja"])
def test_a_panel_behind_a_tab_is_reached_by_its_key(
    qtbot: QtBot, control_room: MainWindow, language: str
) -> None:
    # Orders and the data board sit behind Comments: the View menu's toggle hid the open
    # Orders panel instead of bringing it forward, and no key reached it.
    window = control_room
    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    try:
        window.show()
        qtbot.waitExposed(window)
        number = list(window.docks).index("orders") + 1
        QTest.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.AltModifier)
        # In front now: a panel behind a tab keeps isVisible(), but nothing of it shows. (Its
        # content: since round thirty-one it scrolls inside the panel, which it covers.)
        qtbot.waitUntil(lambda: not window.orders.content.visibleRegion().isEmpty())
        assert window.comments.visibleRegion().isEmpty()
        assert window.orders.view.hasFocus() or window.orders.isAncestorOf(
            QApplication.focusWidget()
        )
        action = window.go_to_actions["orders"]
        assert action in window.view_menu.actions()
        assert action.text() == window.docks["orders"].windowTitle()
        # Closed with its ✕, the same key brings it back.
        window.docks["board"].close()
        window.go_to_actions["board"].trigger()
        qtbot.waitUntil(lambda: not window.board.content.visibleRegion().isEmpty())
        assert window.docks["board"].isVisible()
    finally:
        i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(("language", "folder"), [("zh_CN", "zh"), ("ja", "ja")])
def test_three_running_deals_leave_every_product_whole_at_1366x768(
    qtbot: QtBot, control_room: MainWindow, language: str, folder: str
) -> None:
    # With three deals running in Chinese or Japanese, the two other deals' rows (each
    # wrapped on two lines) and the form's disabled price and seconds took the list's room:
    # it showed two and a half of the four products, under a scroll bar.
    window = control_room
    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    try:
        window.resize(1366, 768 - 30)  # the window manager's title bar
        window._apply_default_sizes()
        sample = paths.resources_dir() / "shows" / folder / "show.json"
        with qtbot.waitSignal(window.controller.session_started, timeout=20000):
            window.controller.open_show(sample)
        qtbot.waitUntil(lambda: len(window.products._cards) == 4, timeout=5000)
        controller = window.controller
        for sku in list(window.products._cards)[:3]:
            controller.show_product(sku)
            controller.start_deal(sku, "9.00", 300, 10)
        controller.poll_show()
        QApplication.processEvents()
        products = window.products
        assert len(products.running_deal_texts()) == 2
        assert products._running_scroll.isVisibleTo(products)  # the other deals: at least a row
        cards = products.findChild(QScrollArea)
        assert cards is not None
        viewport = cards.viewport()
        for card in products._cards.values():  # each card whole in the list's view
            bottom = card.mapTo(viewport, card.rect().bottomLeft()).y()
            assert 0 <= bottom < viewport.height(), card.text()
        assert products._deal_button.text() != "Stop the deal"  # in the window's language
        assert products._deal_button.isVisibleTo(products)  # the form can still stop its deal
    finally:
        i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "zh_CN", "ja"])
def test_an_order_amount_is_never_cut(qtbot: QtBot, language: str) -> None:
    # The Japanese walk: "￥11,600" showed as "￥11,…" under the two-character header 金額: the
    # columns were sized once, for the headers of an empty list.
    from decimal import Decimal

    from anchordesk.ui.docks.orders import OrdersPanel
    from anchordesk.ui.state import OrderRow

    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    try:
        panel = OrdersPanel()
        qtbot.addWidget(panel)
        panel.resize(350, 500)
        panel.show()
        qtbot.waitExposed(panel)
        title = "常滑焼 急須 300ml"
        panel.add_orders([OrderRow("o1", "POT", title, 1, Decimal("4600"), "JPY", 0.0)])
        panel.add_orders([OrderRow("o2", "POT", title, 2, Decimal("11600"), "JPY", 1.0)])
        metrics = panel.view.fontMetrics()
        for row in range(2):
            for column in (0, 2, 3):
                text = str(panel.model.index(row, column).data())
                assert panel.view.columnWidth(column) >= metrics.horizontalAdvance(text), text
    finally:
        i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]
