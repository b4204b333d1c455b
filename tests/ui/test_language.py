"""Switching the language while the control room runs retranslates the whole main window."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
)
from pytestqt.qtbot import QtBot

from anchordesk.ui import i18n
from anchordesk.ui.main_window import MainWindow


@pytest.fixture
def back_to_english(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.install(qapp, "en")


def menu_titles(window: MainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


def dock_titles(window: MainWindow) -> list[str]:
    return [dock.windowTitle() for dock in window.docks.values()]


def texts(window: MainWindow) -> dict[tuple[int, str], str]:
    """Every string a user reads on the window, by (object, what)."""
    found: dict[tuple[int, str], str] = {}

    def add(obj: QObject, what: str, text: str) -> None:
        if text:
            found[(id(obj), what)] = text

    for action in window.findChildren(QAction):
        add(action, "text", action.text())
    for menu in window.findChildren(QMenu):
        add(menu, "title", menu.title())
    for dock in window.findChildren(QDockWidget):
        add(dock, "title", dock.windowTitle())
    for button in window.findChildren(QAbstractButton):
        add(button, "text", button.text())
        add(button, "tooltip", button.toolTip())
        add(button, "accessible", button.accessibleName())
    for label in window.findChildren(QLabel):
        add(label, "text", label.text())
    for edit in window.findChildren(QLineEdit):
        add(edit, "placeholder", edit.placeholderText())
    for header in window.findChildren(QHeaderView):
        model = header.model()
        if model is not None:
            for section in range(header.count()):
                title = model.headerData(section, header.orientation())
                add(header, f"section {section}", str(title))
    return found


# Strings that are the same in every language: names, numbers, the show's own words.
_SAME_EVERYWHERE = re.compile(
    r"^(English|简体中文|日本語|AnchorDesk|None|CPU|#|[\d.]+ (B|dB)|[$¥€£\d\s.:/·%+\-–—−,]*"
    r"|.*(Test night|Hydra Serum|Night Cream|Clay Mask|Opening|Serum|Cream|USD).*"
    r"|[A-Z]?\+?\w?[\d+]*|Ctrl\+.*|F\d+)$"
)


def test_switching_to_chinese_then_japanese_retranslates_menus_docks_and_buttons(
    qtbot: QtBot, control_room: MainWindow, back_to_english: None
) -> None:
    window = control_room
    english = texts(window)
    assert menu_titles(window) == ["&File", "&Show", "S&tream", "&View", "&Help"]

    window.language_actions["zh_CN"].trigger()
    qtbot.waitUntil(lambda: menu_titles(window)[0] == "文件(&F)", timeout=3000)
    assert menu_titles(window) == ["文件(&F)", "节目(&S)", "推流(&T)", "视图(&V)", "帮助(&H)"]
    assert dock_titles(window) == [
        "流程单",
        "商品",
        "评论",
        "订单与销售",
        "推流状态",
        "音频",
        "提词器",
        "数据看板",
    ]
    assert window.hotkeys.actions["go_live"].text() == "开播…"
    assert window.controller.settings.language == "zh_CN"
    chinese = texts(window)
    untranslated = sorted(
        {
            text
            for key, text in chinese.items()
            if english.get(key) == text and not _SAME_EVERYWHERE.match(text)
        }
    )
    assert untranslated == [], "|".join(untranslated)

    window.language_actions["ja"].trigger()
    qtbot.waitUntil(lambda: menu_titles(window)[0] != "文件(&F)", timeout=3000)
    assert "ファイル" in menu_titles(window)[0]
    assert dock_titles(window)[1] == "商品"
    japanese = texts(window)
    untranslated = sorted(
        {
            text
            for key, text in japanese.items()
            if english.get(key) == text and not _SAME_EVERYWHERE.match(text)
        }
    )
    assert untranslated == [], "|".join(untranslated)

    window.language_actions["en"].trigger()
    qtbot.waitUntil(lambda: menu_titles(window)[0] == "&File", timeout=3000)
    assert texts(window) == english
