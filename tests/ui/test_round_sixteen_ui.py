"""Round sixteen of issue 10, the window (hunt16ui): what its users meet, in their language."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room

from anchordesk.live import show as show_module
from anchordesk.live.settings import Settings
from anchordesk.ui import i18n
from anchordesk.ui.editor import open_editor
from anchordesk.ui.main_window import MainWindow


@pytest.fixture
def back_to_english(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.install(qapp, "en")


def _open_messages(window: MainWindow) -> None:
    window.activateWindow()
    QTest.keyClick(
        window,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )


def test_the_messages_dialog_speaks_the_language_the_window_was_switched_to(
    qtbot: QtBot, control_room: MainWindow, back_to_english: None
) -> None:
    """Help → Messages opened once in Japanese, then View → Language → English: the window
    keeps the dialog for the run, and it still read "メッセージ" and "すべてコピー(C)" among
    English words (only Qt's own Close button followed), opened again or left open."""
    window = control_room
    window.controller.set_language("ja")
    _open_messages(window)
    dialog = window.messages_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.windowTitle() == "メッセージ"
    window.controller.set_language("en")  # left open while the language changes
    QApplication.processEvents()  # Qt posts the LanguageChange events
    assert window.menuBar().actions()[0].text() == "&File"
    assert dialog.windowTitle() == "Messages"
    assert dialog.copy_button.text() == "&Copy all"
    assert dialog.empty.text() == "No message yet this run."
    assert dialog.view.accessibleName() == "Messages of this run"
    dialog.close()
    window.controller.set_language("zh_CN")  # closed, and opened again later
    QApplication.processEvents()
    _open_messages(window)
    assert window.messages_dialog is dialog
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    chinese = (dialog.windowTitle(), dialog.copy_button.text(), close.text())
    assert not any(text.isascii() for text in chinese), chinese


def _as_shown(menu_item: str) -> str:
    """A menu item's text as Qt draws it: "&&" is "&", "&X" underlines X, a tab starts the
    key column."""
    return re.sub("&(.)", r"\1", menu_item.split("\t")[0])


def test_recent_shows_are_named_in_the_menus_as_they_are_named(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File → Open recent showed "…/Tom & Jerry.json" as "Tom _Jerry.json" (the "&" taken for
    the access key's mark, the space underlined) and "Q&A<tab>final.json" as "QA" with
    "final.json" in the key column; the show editor's own Open recent the same."""
    window = control_room
    shows = [str(tmp_path / "Tom & Jerry.json"), str(tmp_path / "Q&A\tfinal.json")]
    window.controller.settings.recent_shows = list(shows)
    window.recent_menu.aboutToShow.emit()
    items = [a for a in window.recent_menu.actions() if not a.isSeparator()]
    assert [_as_shown(a.text()) for a in items] == [
        str(tmp_path / "Tom & Jerry.json"),
        str(tmp_path / "Q&A\\tfinal.json"),
    ]
    opened: list[Path] = []
    monkeypatch.setattr(window.controller, "open_show", opened.append)
    items[1].trigger()
    assert opened == [Path(shows[1])]  # the file itself, not its name as shown

    editor = open_editor(None, window, settings=window.controller.settings)
    qtbot.addWidget(editor)
    editor.recent_menu.aboutToShow.emit()
    shown = [_as_shown(a.text()) for a in editor.recent_menu.actions() if not a.isSeparator()]
    assert shown == [str(tmp_path / "Tom & Jerry.json"), str(tmp_path / "Q&A\\tfinal.json")]


def test_a_rehearsal_closed_while_another_program_locks_its_file_says_what_is_missing(
    qtbot: QtBot, control_room_with_store: MainWindow
) -> None:
    """A database browser held the rehearsal's session file (BEGIN EXCLUSIVE) while the
    operator went on: the window said "they wait and are kept as soon as it lets go", then
    Go live (here End rehearsal: the same close) closed the file without them and said
    nothing more; only the log said "the last events may be missing". The report read as a
    whole session."""
    window = control_room_with_store
    controller = window.controller
    live = controller.live
    assert live is not None and live.session is not None
    session = live.session
    # SQLite's real wait is 5 s: shortened on the writer's own connection.
    session.writer.call(lambda store: store._db.execute("PRAGMA busy_timeout=20")).result(10)
    said: list[str] = []
    controller.message.connect(said.append)
    other = sqlite3.connect(session.writer.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        controller.start_deal("SERUM", "29.00", 600, 5)
        qtbot.waitUntil(lambda: any("for now" in line for line in said), timeout=10000)
        with qtbot.waitSignal(controller.rehearsal_finished, timeout=20000):
            controller.end_rehearsal()
    finally:
        other.close()
    cut = [line for line in said if "closed before everything was written" in line]
    assert cut == [
        f"The session file {session.path.name} was closed before everything was written "
        "(another program held it locked, or it did not answer in time): its last comments, "
        "orders or show events may be missing from it and from its report."
    ]


def test_record_pressed_with_its_folder_on_a_share_that_went_away_leaves_the_window_free(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recordings folder on a network share whose server went away (under Xvfb: a FUSE
    disk that answers nothing): Record (Ctrl+Shift+R) froze the whole window for good, its
    thread in mkdir (/proc/PID/syscall 83), the picture still. Such a disk holds every call
    on it; here each call on the folder is seen, and none may come from the window's thread
    (the recording still starts, from a worker)."""
    window = control_room
    folder = tmp_path / "share" / "recordings"
    window.controller.settings.recordings_dir = str(folder)
    on_window_thread: list[str] = []
    real_mkdir = Path.mkdir

    def mkdir(path: Path, *args: object, **kwargs: object) -> None:
        if str(path).startswith(str(tmp_path / "share")) and (
            threading.current_thread() is threading.main_thread()
        ):
            on_window_thread.append(str(path))
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    window.activateWindow()
    QTest.keyClick(
        window,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.controller.recording_wanted
    live = window.controller.live
    assert live is not None
    qtbot.waitUntil(lambda: live.recording_path is not None, timeout=10000)
    assert live.recording_path is not None and live.recording_path.parent == folder
    assert on_window_thread == []


def test_a_rehearsal_recording_into_a_share_that_went_away_starts_and_says_so(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Record on, the recordings folder on a share whose server went away (under Xvfb: a
    FUSE disk that answers nothing): the window froze at its start, its thread in mkdir,
    for as long as the share did not answer, and nothing said why. Now the session's file is
    made there with a deadline, off the window's thread; the rehearsal runs unrecorded and
    the window says so."""
    folder = tmp_path / "share" / "recordings"
    answer = threading.Event()
    on_window_thread: list[str] = []
    real_mkdir = Path.mkdir

    def mkdir(path: Path, *args: object, **kwargs: object) -> None:
        if str(path).startswith(str(tmp_path / "share")):
            if threading.current_thread() is threading.main_thread():
                on_window_thread.append(str(path))
            answer.wait(10)  # the share answers nothing until the test ends
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    monkeypatch.setattr(show_module, "RECORDING_FOLDER_TIMEOUT_S", 0.2)
    settings = Settings(record=True, record_asked=True, recordings_dir=str(folder))
    try:
        window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
        said: list[str] = []
        window.controller.message.connect(said.append)
        qtbot.waitUntil(lambda: any("does not answer" in line for line in said), timeout=10000)
        assert on_window_thread == []
        assert [line for line in said if "does not answer" in line] == [
            f"The recordings folder {folder} does not answer (a network disk whose server "
            "went away?): this session is not recorded. Choose another folder in Settings."
        ]
        live = window.controller.live
        assert live is not None and live.session is not None and live.recording_path is None
    finally:
        answer.set()


def test_the_messages_dialog_left_open_shows_what_copy_all_copies(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    """Help → Messages left open while 1,005 messages came: the log keeps the last 1,000
    (and Copy all copies them), but the view grew to 1,005 lines, the first five no longer
    in the log."""
    window = control_room
    _open_messages(window)
    dialog = window.messages_dialog
    assert dialog is not None
    for number in range(1005):
        window.messages.add(f"message {number}")
    shown = dialog.view.toPlainText().splitlines()
    assert len(shown) == 1000
    assert shown == window.messages.lines()
