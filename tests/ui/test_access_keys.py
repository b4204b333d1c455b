"""No two access keys (Alt+letter) in one focus scope, in English, Chinese and Japanese.

An access key is the letter after "&" in a label, button, group box, tab, menu title or menu
item. Two of the same key in one scope make Alt+key go to the first one only (Alt+S focused
the deal form's "Seconds" instead of opening the Show menu). The scopes, as Qt resolves them:

- a window: its menu bar's titles, and the labels, buttons, group boxes and tabs visible in it
  (per page, for a dialog whose pages come one at a time);
- a menu: its visible items (each submenu is its own scope).

Every window of the program is walked: the control room with its docks (the teleprompter
included), its menus, the go-live dialog, the settings dialog, the show editor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QMenu,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QWidget,
)

from anchordesk.live.settings import Settings
from anchordesk.ui import i18n
from anchordesk.ui.hotkeys import mnemonic
from anchordesk.ui.main_window import MainWindow

LANGUAGES = ("en", "zh_CN", "ja")

# Clashes tolerated while another change fixed them, by scope and key only (so any new clash
# still fails). None left: the settings dialog's and the editor's went with their page splits.
PENDING_ELSEWHERE: set[str] = set()


def unexpected(found: list[str]) -> list[str]:
    return [clash for clash in found if clash.split(" = ")[0] not in PENDING_ELSEWHERE]


def _visible_texts(window: QWidget) -> Iterator[str]:
    for widget in window.findChildren(QWidget):
        if widget.window() is not window or not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QMenu):
            continue
        if isinstance(widget, QAbstractButton | QLabel):
            yield widget.text()
        elif isinstance(widget, QGroupBox):
            yield widget.title()
        elif isinstance(widget, QTabBar):
            yield from (widget.tabText(i) for i in range(widget.count()))
    bar = window.findChild(QWidget, "qt_menubar") if hasattr(window, "menuBar") else None
    if bar is not None:
        yield from (action.text() for action in bar.actions() if action.isVisible())  # type: ignore[attr-defined]


def _clashes(scope: str, texts: Iterator[str]) -> list[str]:
    keys: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        key = mnemonic(text)
        if key is not None:
            keys[key].append(text)
    return [
        f"{scope}: Alt+{key} = {' / '.join(owners)}"
        for key, owners in keys.items()
        if len(owners) > 1
    ]


def window_clashes(window: QWidget, name: str) -> list[str]:
    """The window's scope, once per page of each paged widget it has (tabs, stacks)."""
    found = _clashes(name, _visible_texts(window))
    for pages in window.findChildren(QTabWidget) + window.findChildren(QStackedWidget):
        if pages.window() is not window or not pages.isVisibleTo(window):
            continue
        current = pages.currentIndex()
        for index in range(pages.count()):
            pages.setCurrentIndex(index)
            found += _clashes(f"{name} page {index + 1}", _visible_texts(window))
        pages.setCurrentIndex(current)
    return sorted(set(found))


def submenu(owner: QWidget, action: QAction) -> QMenu | None:
    """The menu ``action`` opens, found among ``owner``'s menus. Not ``action.menu()``: on
    PySide6 6.8 (the lowest version pyproject allows) the wrapper it returns takes ownership
    and deletes the menu when it is collected, and the window then crashes on the next
    ``aboutToShow``."""
    return next((m for m in owner.findChildren(QMenu) if m.menuAction() == action), None)


def menu_clashes(menu: QMenu, name: str) -> list[str]:
    menu.aboutToShow.emit()  # menus filled on demand (recent shows) fill now
    visible = [a for a in menu.actions() if a.isVisible() and not a.isSeparator()]
    found = _clashes(name, iter(a.text() for a in visible))
    for action in visible:
        child = submenu(menu, action)
        if child is not None:
            found += menu_clashes(child, f"{name} › {action.text()}")
    return found


def control_room_clashes(window: MainWindow) -> list[str]:
    found = window_clashes(window, "control room")
    for action in window.menuBar().actions():
        menu = submenu(window, action)
        assert menu is not None, action.text()  # every menu-bar title opens a menu walked here
        found += menu_clashes(menu, action.text())
    # The teleprompter detached is a window of its own.
    found += _clashes("teleprompter", _visible_texts(window.teleprompter))
    return found


@pytest.fixture
def back_to_english() -> Iterator[None]:
    yield
    i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_access_key_clash_in_the_control_room_and_its_menus(
    qtbot, control_room, back_to_english, language
) -> None:  # type: ignore[no-untyped-def]
    window = control_room
    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    QApplication.processEvents()
    assert control_room_clashes(window) == []
    window.studio_action.setChecked(True)  # product actions renamed "Stage …"
    assert control_room_clashes(window) == []
    window.studio_action.setChecked(False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_access_key_clash_in_the_go_live_dialog(
    qtbot, control_room, back_to_english, language
) -> None:  # type: ignore[no-untyped-def]
    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    dialog = control_room.open_go_live()
    qtbot.waitExposed(dialog)
    assert window_clashes(dialog, "go live") == []
    dialog.reject()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_access_key_clash_in_the_settings_dialog(qtbot, back_to_english, language) -> None:  # type: ignore[no-untyped-def]
    from anchordesk.ui.settings import SettingsDialog

    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    assert unexpected(window_clashes(dialog, "settings")) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_access_key_clash_in_the_show_editor(qtbot, back_to_english, language) -> None:  # type: ignore[no-untyped-def]
    from anchordesk.ui.editor import ShowEditor

    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    editor.show()
    found = window_clashes(editor, "editor")
    for action in editor.menuBar().actions() if hasattr(editor, "menuBar") else ():
        menu = submenu(editor, action)
        if menu is not None:
            found += menu_clashes(menu, action.text())
    assert unexpected(found) == []


def test_the_clash_finder_finds_the_deal_form_clash_of_old() -> None:
    # "&Seconds" beside the "&Show" menu was the clash operators met; the finder must see it.
    assert _clashes("x", iter(["&Show", "S&tream", "&Seconds", "S&tock"])) == [
        "x: Alt+S = &Show / &Seconds",
        "x: Alt+T = S&tream / S&tock",
    ]
    assert mnemonic("节目(&S)") == "S" and mnemonic("R&&D") is None and mnemonic("&&x &y") == "Y"
