"""The show named at start-up (``anchordesk gui SHOW.json``) that cannot run: its problems in the
dialog File → Open uses, the sample said to be running, and the next steps as buttons.

It used to be one status-bar line while the sample took its place without a word."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from tests.ui.conftest import _quit_without_asking, small_controller
from tests.ui.test_access_keys import window_clashes

from anchordesk.core import paths
from anchordesk.live.settings import Settings
from anchordesk.showfile.samples import is_sample
from anchordesk.ui import file_dialogs, i18n
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.start_refused import StartRefusedDialog


@pytest.fixture
def window(
    qtbot, executor: ThreadPoolExecutor, tmp_path: Path, qt_asyncio_loop
) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The control room before its first show (as ``run_control_room`` opens it)."""
    controller = small_controller(Settings(record=False, record_asked=True), executor)
    window = MainWindow(
        controller, QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window, before_close_func=_quit_without_asking)
    window.show()
    yield window
    window._quitting = True
    controller.shutdown()


def broken_show(folder: Path) -> Path:
    shutil.copytree(paths.resources_dir() / "shows" / "en", folder)
    data = json.loads((folder / "show.json").read_text(encoding="utf-8"))
    data["products"][0]["price"] = "12,5"
    (folder / "show.json").write_text(json.dumps(data), encoding="utf-8")
    return folder / "show.json"


def start_refused(qtbot, window: MainWindow, path: Path) -> StartRefusedDialog:  # type: ignore[no-untyped-def]
    controller = window.controller
    with qtbot.waitSignals([controller.start_refused, controller.session_started], timeout=20000):
        controller.start_on(path)
    dialog = window.findChild(StartRefusedDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_a_broken_show_at_start_up_is_listed_and_the_sample_runs_said_so(  # type: ignore[no-untyped-def]
    qtbot, window, tmp_path: Path
) -> None:
    path = broken_show(tmp_path / "bad")
    dialog = start_refused(qtbot, window, path)

    assert any("12,5" in line for line in dialog.lines())  # the problem, as File → Open lists it
    assert str(path) in dialog.heading.text()
    assert "sample show is running" in dialog.heading.text()
    controller = window.controller
    assert controller.show_path is not None and is_sample(controller.show_path)
    assert "sample show is running" in window.statusBar().currentMessage()

    # Enter goes to the show editor on that very file.
    assert dialog.edit_button is not None and dialog.edit_button.isDefault()
    dialog.edit_button.click()
    assert not dialog.isVisible()
    editor = window.findChild(ShowEditor)
    assert editor is not None and editor.isVisible()
    qtbot.waitUntil(lambda: editor.path == path)  # read in a worker

    # Fixed and saved there, it replaces the sample (the editor's save says so to the window).
    data = json.loads(path.read_text(encoding="utf-8"))
    data["products"][0]["price"] = 24.0
    path.write_text(json.dumps(data), encoding="utf-8")
    with qtbot.waitSignal(controller.session_started, timeout=20000):
        editor.show_saved.emit(path)
    assert controller.show_path == path
    editor.close()


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda tmp: tmp / "missing.json", "no such file"),
        (lambda tmp: tmp, "is a folder"),
        (lambda tmp: (tmp / "junk.json").write_text("{,") and tmp / "junk.json", "invalid JSON"),
    ],
    ids=["missing", "folder", "not-json"],
)
def test_a_show_the_editor_cannot_read_offers_another_show_or_the_sample(  # type: ignore[no-untyped-def]
    qtbot, window, tmp_path: Path, monkeypatch, make, said: str
) -> None:
    path = make(tmp_path)
    dialog = start_refused(qtbot, window, path)
    assert any(said in line for line in dialog.lines())
    assert dialog.edit_button is None  # nothing the editor could put in its tables
    assert dialog.open_button.isDefault()

    good = paths.resources_dir() / "shows" / "zh" / "show.json"
    monkeypatch.setattr(file_dialogs, "get_open_file_name", lambda *_a, **_k: str(good))
    with qtbot.waitSignal(window.controller.session_started, timeout=20000):
        dialog.open_button.click()  # Open another show… is File → Open
    assert window.controller.show_path == good


def test_going_on_with_the_sample_closes_the_dialog_and_keeps_it(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = start_refused(qtbot, window, tmp_path / "nope.json")
    live = window.controller.live
    dialog.sample_button.click()
    assert not dialog.isVisible()
    assert window.controller.live is live and is_sample(window.controller.show_path)


def test_the_first_rehearsal_question_waits_for_the_problems(
    qtbot, executor, tmp_path, qt_asyncio_loop
) -> None:  # type: ignore[no-untyped-def]
    # Two window-modal questions at once: the problems (which say the sample runs) come first.
    controller = small_controller(Settings(record=False, record_asked=False), executor)
    window = MainWindow(controller, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window, before_close_func=_quit_without_asking)
    window.show()
    try:
        dialog = start_refused(qtbot, window, tmp_path / "nope.json")
        assert window.recording_question is None
        dialog.sample_button.click()
        assert window.recording_question is not None and window.recording_question.isVisible()
        window.recording_question.close()
    finally:
        window._quitting = True
        controller.shutdown()


@pytest.mark.parametrize("language", ["en", "zh_CN", "ja"])
def test_the_dialog_speaks_the_window_language(qtbot, window, tmp_path, language) -> None:  # type: ignore[no-untyped-def]
    i18n.install(QApplication.instance(), language)  # type: ignore[arg-type]
    try:
        dialog = start_refused(qtbot, window, broken_show(tmp_path / "bad"))
        texts = [dialog.heading.text(), dialog.sample_button.text(), dialog.open_button.text()]
        if language != "en":
            assert all(not text.isascii() for text in texts), texts
        assert str(tmp_path / "bad" / "show.json") in dialog.heading.text()
        assert window_clashes(dialog, "start-up problems") == []  # Alt+E / Alt+O / Alt+S
    finally:
        i18n.install(QApplication.instance(), "en")  # type: ignore[arg-type]
