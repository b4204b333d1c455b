"""Round nineteen of issue 10, the window (hunt19ui)."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow, QMessageBox
from pytestqt.qtbot import QtBot

from anchordesk.live.settings import Settings
from anchordesk.ui import file_dialogs
from anchordesk.ui.editor import ShowEditor, open_editor
from anchordesk.ui.hotkeys import Hotkeys

from .test_round_eighteen_ui import _editor_on_a_slow_disk

SAMPLE = Path(__file__).parents[2] / "resources" / "shows" / "en"


def _share_gone_under(
    monkeypatch: pytest.MonkeyPatch, share: Path
) -> tuple[threading.Event, list[str]]:
    """Anything under ``share`` (by name, ``..`` folded) answers ``stat``/``lstat`` only once
    the event is set, as a network share whose server went away; the names asked on the
    window's thread are kept (and let through, else the test would hang as the window did)."""
    answer = threading.Event()
    on_window_thread: list[str] = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def held(
            target: object, *args: object, _real: Any = real, **kwargs: object
        ) -> os.stat_result:
            if os.path.normpath(str(target)).startswith(str(share)):
                if threading.current_thread() is threading.main_thread():
                    on_window_thread.append(str(target))
                else:
                    answer.wait(30)
            return _real(target, *args, **kwargs)  # type: ignore[no-any-return]

        monkeypatch.setattr(os, name, held)
    return answer, on_window_thread


@pytest.fixture
def share_editor(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[ShowEditor, Path]]:
    share = tmp_path / "share"
    shutil.copytree(SAMPLE, share)
    editor = ShowEditor(Settings())
    # Closed at the teardown without asking "Save them?" (nobody would answer).
    qtbot.addWidget(editor, before_close_func=lambda _editor: editor.discard_changes())
    assert editor.open_show(share / "show.json")
    yield editor, share


def test_save_as_of_a_show_whose_share_went_away_onto_a_good_disk_saves_it(
    qtbot: QtBot,
    share_editor: tuple[ShowEditor, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The show's network share gone, Ctrl+S said "not saved. Save it on another disk with
    Save as…"; Save as onto the home folder then waited on the dead share anyway (is it a
    sample? its pictures' real paths?) and said, after 3 s, that the HOME file did not answer:
    the edits could be saved nowhere. Now the names are rebased without asking the old disk;
    the target is written, and the pictures that could not be checked are said so."""
    editor, share = share_editor
    editor.show_page.title_edit.setText("Rescued")
    monkeypatch.setattr(file_dialogs, "FILE_ANSWER_TIMEOUT_S", 0.3)
    answer, on_window_thread = _share_gone_under(monkeypatch, share)
    home = tmp_path / "home"
    home.mkdir()
    target = home / "show.json"
    try:
        saved = editor.save_to(target)
        boxes = [box.text() for box in editor.findChildren(QMessageBox) if box.isVisible()]
        summary = editor.problem_summary.text()
        assert on_window_thread == []
        written = json.loads(target.read_text(encoding="utf-8"))
    finally:
        answer.set()
    assert saved is True
    assert written["title"] == "Rescued"
    assert written["products"][0]["image"] == "../share/images/mug.png"
    assert written["theme"]["logo"] == "../share/logo.png"
    assert editor.path == target and not editor.is_modified()
    assert boxes == [
        f"The show was saved to {target} as typed. Its pictures, in {share}, were not "
        "checked: that folder does not answer (a network disk whose server went away?)."
    ]
    assert summary == f"Not checked: the pictures' folder {share} does not answer."
    assert not any("home" in box and "does not answer" in box.split(".")[0] for box in boxes)


def test_selecting_a_product_of_a_show_whose_share_went_away_leaves_the_window_free(
    qtbot: QtBot, share_editor: tuple[ShowEditor, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The products page of a show whose share went away: selecting another product (or
    editing one) looked its picture up on the window's thread, for the preview: the whole
    window froze for as long as the share did not answer."""
    editor, share = share_editor
    answer, on_window_thread = _share_gone_under(monkeypatch, share)
    try:
        editor.products.go_to(1, 0)
        editor.products.model.set_value(2, 1, "Renamed")
        assert on_window_thread == []
    finally:
        answer.set()
    qtbot.waitUntil(lambda: not editor.products.image_preview.pixmap().isNull())


@pytest.mark.parametrize(
    ("key", "modifiers", "action_name", "hotkey"),
    [
        (
            Qt.Key.Key_S,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            "save_as_action",
            "studio_mode",
        ),
        (Qt.Key.Key_F8, Qt.KeyboardModifier.NoModifier, "next_problem_action", "mark_answered"),
    ],
)
def test_the_editor_s_own_keys_work_beside_the_show_s_hotkeys_of_the_same_key(
    qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier, action_name: str, hotkey: str
) -> None:
    """Under Xvfb, the editor opened from the control room: Ctrl+Shift+S (Save as…, as its
    menu shows) and F8 (Next problem) did nothing, "QAction::event: Ambiguous shortcut
    overload: Ctrl+Shift+S" in the log: the control room's Studio mode and "Mark the question
    answered" had the same keys, application-wide. The show's keys are the control room's
    (its docks and its messages' window included), and still work there."""
    control_room = QMainWindow()
    control_room.setCentralWidget(QLineEdit())
    qtbot.addWidget(control_room)
    show_keys = Hotkeys(control_room, QSettings())
    control_room.show()
    shown: list[str] = []
    show_keys.actions[hotkey].triggered.connect(lambda: shown.append(hotkey))
    editor = open_editor(None, control_room, Settings())
    qtbot.addWidget(editor)
    qtbot.waitExposed(editor)
    triggered: list[bool] = []
    action = getattr(editor, action_name)
    action.setEnabled(True)
    action.triggered.disconnect()
    action.triggered.connect(lambda: triggered.append(True))
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.show_page.title_edit.setFocus()
    QTest.keyClick(editor.show_page.title_edit, key, modifiers)
    assert (triggered, shown) == ([True], [])
    control_room.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is control_room)
    QTest.keyClick(control_room.centralWidget(), key, modifiers)
    assert (triggered, shown) == ([True], [hotkey])


def test_a_save_said_not_saved_at_its_deadline_says_so_when_it_ends_after_all(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow share: Ctrl+S said "does not answer …: the show was not saved"; the share then
    answered and the file was written after all, unsaid: the user was left believing the file
    held the old show. Now the end of such a save is said."""
    editor, path, disk = _editor_on_a_slow_disk(tmp_path, monkeypatch)
    qtbot.addWidget(editor, before_close_func=lambda _editor: editor.discard_changes())
    editor.show_page.title_edit.setText("Late")
    monkeypatch.setattr(file_dialogs, "FILE_ANSWER_TIMEOUT_S", 0.2)
    try:
        assert editor.save_to(path) is False
    finally:
        disk.set()

    def said() -> list[str]:
        return [box.text() for box in editor.findChildren(QMessageBox) if box.isVisible()]

    qtbot.waitUntil(lambda: len(said()) == 2)
    assert json.loads(path.read_text(encoding="utf-8"))["title"] == "Late"
    assert said()[1] == (
        f"{path} answered at last: the show is saved there as it was when you saved it; "
        "changes made since then are not saved yet."
    )
