"""Compliance on air: flagged words never reach the picture without a question that names them,
a show's hits are told once when it opens, and pre-flight lists them by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from tests.ui.conftest import small_show

from anchordesk.show.feed_items import Comment
from anchordesk.show.model import Product, Show
from anchordesk.showfile.files import dump_show
from anchordesk.ui.golive import OK, WARN, GoLiveDialog
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.on_air_check import OnAirCheck


class Answers:
    """Answers the on-air question as a person would, and keeps what was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str, list[str]]] = []

    def __call__(self, title: str, text: str, details: Sequence[str]) -> bool:
        self.asked.append((title, text, list(details)))
        return self.answer


def flagged_show() -> Show:
    show = small_show()
    products = list(show.products)
    products[0] = Product("SERUM", "Best Hydra Serum", products[0].price, 50)
    return replace(show, products=tuple(products))


def open_flagged(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> Show:
    path = tmp_path / "flagged.json"
    dump_show(flagged_show(), path)
    with qtbot.waitSignal(window.controller.session_started, timeout=20000):
        window.controller.open_show(path)
    live = window.controller.live
    assert live is not None and live.show is not None
    return live.show


def test_a_product_with_hits_goes_on_screen_only_after_a_question_naming_the_hit(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    window = control_room
    controller = window.controller
    open_flagged(qtbot, window, tmp_path)
    answers = Answers(False)
    controller.on_air_check = OnAirCheck(
        window, lambda: controller.live.show if controller.live else None, answers
    )

    qtbot.mouseClick(window.products.card("SERUM"), Qt.MouseButton.LeftButton)
    controller.poll_show()
    assert controller.show_state.on_screen_sku != "SERUM"  # "Cancel": nothing went on air
    [(_title, text, details)] = answers.asked
    assert "Best Hydra Serum" in text
    assert details == [
        "Product “Best Hydra Serum”, title: “Best” — an absolute or unproven claim that "
        "platforms and the FTC forbid"
    ]

    answers.answer = True
    qtbot.mouseClick(window.products.card("SERUM"), Qt.MouseButton.LeftButton)
    controller.poll_show()
    assert controller.show_state.on_screen_sku == "SERUM"
    controller.show_product("CREAM")  # no hits: no question
    controller.show_product("SERUM")  # asked and answered once for this show
    assert len(answers.asked) == 2


def test_a_segment_change_that_would_air_a_flagged_product_asks_first(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    window = control_room
    controller = window.controller
    open_flagged(qtbot, window, tmp_path)
    for box in window.findChildren(QMessageBox):
        box.accept()
    answers = Answers(False)
    controller.on_air_check = OnAirCheck(
        window, lambda: controller.live.show if controller.live else None, answers
    )
    window.activateWindow()  # the operator's keys go to the control room again
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)

    QTest.keyClick(window, Qt.Key.Key_PageDown)  # segment 2 "Serum" puts the serum on air
    controller.poll_show()
    assert controller.show_state.current_index == 0  # "Cancel": the segment did not change
    assert controller.show_state.on_screen_sku is None
    [(title, text, details)] = answers.asked
    assert title == "Go to this segment?"
    assert "Segment 2 “Serum”" in text and "Best Hydra Serum" in text
    assert details == [
        "Product “Best Hydra Serum”, title: “Best” — an absolute or unproven claim that "
        "platforms and the FTC forbid"
    ]

    answers.answer = True
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    controller.poll_show()
    assert controller.show_state.current_index == 1
    assert controller.show_state.on_screen_sku == "SERUM"
    QTest.keyClick(window, Qt.Key.Key_PageUp)  # the opening has no product: no question
    controller.jump_to_segment(1)  # asked and answered once for this show
    controller.jump_to_segment(2)  # the cream has no hits
    assert len(answers.asked) == 2


def test_in_studio_mode_a_segment_change_only_stages_and_take_asks(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    window = control_room
    controller = window.controller
    open_flagged(qtbot, window, tmp_path)
    for box in window.findChildren(QMessageBox):
        box.accept()
    answers = Answers(False)
    controller.on_air_check = OnAirCheck(
        window, lambda: controller.live.show if controller.live else None, answers
    )
    window.studio_action.setChecked(True)
    controller.next_segment()  # stages the serum: nothing reaches the picture, nothing to ask
    controller.poll_show()
    assert answers.asked == []
    assert controller.show_state.current_index == 1
    assert controller.snapshot.staged_sku == "SERUM"
    assert controller.show_state.on_screen_sku is None
    controller.take()  # Take is what would air it: it asks
    controller.poll_show()
    assert [title for title, _text, _details in answers.asked] == ["Put this product on screen?"]
    assert controller.show_state.on_screen_sku is None


def test_pinning_a_flagged_comment_asks_first(qtbot: QtBot, control_room: MainWindow) -> None:
    window = control_room
    controller = window.controller
    answers = Answers(False)
    controller.on_air_check = OnAirCheck(
        window, lambda: controller.live.show if controller.live else None, answers
    )
    text = "Is this the best serum?"
    flagged = Comment("json", "9", "Ann", text, flagged_terms=("best",))  # as the hub flags it
    controller.add_comments([flagged])
    qtbot.waitUntil(lambda: window.comments.model.rowCount() == 1, timeout=3000)
    window.comments.view.selectRow(0)
    window.comments.pin_selected()
    assert controller.runtime.snapshot().pinned is None
    [(_title, text, details)] = answers.asked
    assert "Ann" in text and "Is this the best serum?" in text
    assert details == ["“best” — an absolute or unproven claim that platforms and the FTC forbid"]

    answers.answer = True
    window.comments.pin_selected()
    pinned = controller.runtime.snapshot().pinned
    assert pinned is not None and pinned.text == "Is this the best serum?"


def test_opening_a_show_with_hits_tells_them_once(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    window = control_room
    open_flagged(qtbot, window, tmp_path)
    boxes = [
        b for b in window.findChildren(QMessageBox) if b.objectName() == "show-compliance-hits"
    ]
    assert len(boxes) == 1 and boxes[0].isVisible()
    assert boxes[0].textFormat() == Qt.TextFormat.PlainText
    assert "Product “Best Hydra Serum”, title: “Best”" in boxes[0].text()
    boxes[0].accept()
    window.controller.rehearse_again()  # the same show again: not told twice
    QApplication.processEvents()
    assert [b for b in window.findChildren(QMessageBox) if b.isVisible()] == []


def test_preflight_lists_hits_by_name_and_warns_about_the_test_pattern_and_silence(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path, memory_keyring: Any
) -> None:
    window = control_room
    controller = window.controller
    open_flagged(qtbot, window, tmp_path)
    for box in window.findChildren(QMessageBox):
        box.accept()
    qtbot.waitUntil(lambda: controller.health.fps > 0, timeout=5000)
    dialog = window.open_go_live()
    assert isinstance(dialog, GoLiveDialog)
    compliance = dialog.results["compliance"]
    assert compliance.status == WARN
    assert "$." not in compliance.detail  # no JSON paths
    assert "Product “Best Hydra Serum”, title: “Best”" in compliance.detail
    rows = [dialog.checks.item(i).text() for i in range(dialog.checks.count())]
    assert not any(row.endswith("…") for row in rows)  # whole, wrapped
    assert dialog.checks.wordWrap()
    # The test pattern is not a camera; no microphone level is not a working microphone.
    assert dialog.results["camera"].status == WARN
    assert "test pattern" in dialog.results["camera"].detail
    assert dialog.results["microphone"].status == WARN
    assert dialog.results["encoder"].status == OK
    dialog.reject()
