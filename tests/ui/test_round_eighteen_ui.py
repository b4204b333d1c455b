"""Round eighteen of issue 10, the window (hunt18ui)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from servers import NginxRtmp
from tests.faults.disks import fill, tmpfs
from tests.faults.network.test_round_17_lag import SlowPath

from anchordesk.core import secrets
from anchordesk.live.settings import Destination, Settings, save_settings
from anchordesk.ui import crash, file_dialogs
from anchordesk.ui.editor import ShowEditor, open_editor
from anchordesk.ui.editor import files as editor_files

from .conftest import open_control_room, small_controller


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this system")
def test_a_window_started_with_nohup_stays_open_when_the_terminal_hangs_up(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nohup anchordesk show.json &``: SIGHUP ignored at start. The window took it anyway, so
    closing the terminal closed the window and stopped the live stream. A signal ignored at
    start stays ignored; the others still close the window."""
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(crash, "_termination_requested", False, raising=False)
    previous = {number: signal.getsignal(number) for number in (signal.SIGHUP, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        crash.close_windows_on_sigterm()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGHUP)  # the terminal hangs up
        QApplication.processEvents()
        QApplication.processEvents()
        assert window.isVisible()
        assert not crash._termination_requested
        # SIGTERM was not ignored: it still closes the window like the close button.
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def test_a_slow_uplink_s_dropped_frames_are_said_in_stream_health_in_the_window_s_language(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    nginx_rtmp: NginxRtmp,
    memory_keyring: Any,
    japanese: None,
) -> None:
    """Live through an uplink slower than the stream: the network child drops frames to keep
    the delay under a second and its status says so ("uplink too slow: dropped N frames…"),
    but Stream health showed only "network N" among the dropped frames: not why, nor that
    the delay is kept short on purpose. Now the destination's state says it, in Japanese."""
    path = SlowPath(nginx_rtmp.port, 1_500)
    secrets.set_secret(secrets.stream_key_name("slow"), "slow-key-1")
    settings = Settings(
        destinations=[
            Destination("slow", "Studio", "custom", f"rtmp://127.0.0.1:{path.port}/live")
        ],
        active_destination_id="slow",
        record=False,
        record_asked=True,
    )
    try:
        window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
        window.controller.go_live("slow", record=False)
        qtbot.waitUntil(
            lambda: "アップロード回線が遅すぎます" in window.health.state_label.text(),
            timeout=60000,
        )
        text = window.health.state_label.text()
        assert "uplink too slow" not in text, text
        assert "フレーム" in text, text
        window._quitting = True
        window.controller.shutdown()
    finally:
        path.close()


def _editor_on_a_slow_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[ShowEditor, Path, threading.Event]:
    """The show editor as a window, on a show whose disk takes its time to write (a busy
    network share): each write waits for the event."""
    folder = tmp_path / "share"
    shutil.copytree(Path(__file__).parents[2] / "resources" / "shows" / "en", folder)
    path = folder / "show.json"
    editor = open_editor(None, None, Settings())
    assert editor.open_show(path)
    disk = threading.Event()
    real_dump = editor_files.dump_show

    def slow_dump(*args: Any, **kwargs: Any) -> None:
        disk.wait(30)
        real_dump(*args, **kwargs)

    monkeypatch.setattr(editor_files, "dump_show", slow_dump)
    return editor, path, disk


def test_what_is_typed_while_a_save_waits_for_its_disk_is_never_marked_saved(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+S on a slow share, then typing on while the save waits (the window goes on since
    R17ui): the words typed were shown, the save wrote the show without them and marked the
    editor saved, so closing it asked nothing and they were lost."""
    editor, path, disk = _editor_on_a_slow_disk(tmp_path, monkeypatch)
    qtbot.addWidget(editor)
    title = editor.show_page.title_edit

    def type_meanwhile() -> None:
        title.setFocus()
        title.end(False)
        QTest.keyClicks(title, " later")
        disk.set()

    QTimer.singleShot(100, type_meanwhile)
    try:
        assert editor.save_to(path)
    finally:
        disk.set()
    written = json.loads(path.read_text(encoding="utf-8"))["title"]
    # What the editor shows is what the file holds, or the editor says it is not saved.
    assert title.text() == written or editor.is_modified(), (title.text(), written)


def test_closing_the_editor_while_its_save_waits_for_the_disk_closes_it_after_the_save(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor's close button (or Ctrl+Q of the control room, a logout) while a save waits
    for a slow share, "Discard" answered: the editor was deleted under its own save, which
    then failed with "Internal C++ object (ShowEditor) already deleted" (the crash dialog).
    Now it closes once the save has ended, the show written."""
    editor, path, disk = _editor_on_a_slow_disk(tmp_path, monkeypatch)
    QTest.keyClicks(editor.show_page.title_edit, " 2")
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Discard)
    failures: list[object] = []
    monkeypatch.setattr(sys, "excepthook", lambda *a: failures.append(a))

    def close_meanwhile() -> None:
        editor.close()
        QTimer.singleShot(100, disk.set)

    QTimer.singleShot(100, close_meanwhile)
    closed: list[bool] = []
    editor.destroyed.connect(lambda: closed.append(True))
    try:
        saved = editor.save_to(path)
    finally:
        disk.set()
    assert saved is True
    assert failures == []
    qtbot.waitUntil(lambda: closed == [True])
    assert json.loads(path.read_text(encoding="utf-8"))["title"] == "Cozy Kitchen Live 2"


@pytest.mark.parametrize("disk_kind", ["full", "read-only"])
def test_a_show_saved_on_a_full_or_read_only_disk_is_said_in_the_window_s_language(
    qtbot: QtBot, tmp_path: Path, japanese: None, disk_kind: str
) -> None:
    """The editor in a Japanese window, Save as onto a full USB stick or a read-only one: the
    box said "番組を保存できません：No space left on device", the C library's English, naming
    neither the file nor its disk."""
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    sample = Path(__file__).parents[2] / "resources" / "shows" / "en" / "show.json"
    assert editor.open_show(sample)
    with tmpfs(tmp_path / "stick", 256, read_only=disk_kind == "read-only") as stick:
        if disk_kind == "full":
            fill(stick)
        assert not editor.save_to(stick / "show.json")
        boxes = [box.text() for box in editor.findChildren(QMessageBox) if box.isVisible()]
    reason = "ディスクがいっぱいです" if disk_kind == "full" else "ディスクは読み取り専用です"
    assert len(boxes) == 1 and f"{stick / 'show.json'} を保存している{reason}" in boxes[0], boxes
    assert "device" not in boxes[0] and "file system" not in boxes[0], boxes


def test_settings_that_cannot_be_written_are_said_in_the_window_s_language(
    qtbot: QtBot, tmp_path: Path, japanese: None
) -> None:
    """Record switched off in a Japanese window whose settings folder's disk is read-only:
    "設定を保存できません：Read-only file system" in the status bar."""
    with tmpfs(tmp_path / "config", 64, read_only=True) as config:
        controller = small_controller(
            Settings(), save=lambda settings: save_settings(settings, config / "settings.json")
        )
        said: list[str] = []
        controller.message.connect(said.append)
        controller._save_settings()
        qtbot.waitUntil(lambda: bool(said))
    assert "読み取り専用" in said[0] and "Read-only" not in said[0], said


def test_save_as_of_a_show_whose_share_went_away_starts_on_another_disk_and_says_why(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under Xvfb with a FUSE share whose server went away under an open show: Ctrl+S said
    "… does not answer …: the show was not saved. Save it on another disk with Save as…";
    File → Save as… then froze the whole window for good (its thread in access() on the
    share): Qt looks the dialog's start folder up on the window's thread as it makes the
    dialog, and the start folder was the show's own. Now the start folder is looked up by a
    worker first; one that does not answer is said, and the dialog starts in the home folder
    with the show's name."""
    share = tmp_path / "share"
    shutil.copytree(Path(__file__).parents[2] / "resources" / "shows" / "en", share)
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    assert editor.open_show(share / "show.json")
    monkeypatch.setattr(file_dialogs, "FILE_ANSWER_TIMEOUT_S", 0.2)
    answer = threading.Event()
    on_window_thread: list[str] = []
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).startswith(str(share)):
            if threading.current_thread() is threading.main_thread():
                on_window_thread.append(str(path))
            else:
                answer.wait(30)
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    seen: list[tuple[str, str]] = []
    said: list[str] = []
    ticks: list[int] = []

    def drive() -> None:
        ticks.append(1)
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QMessageBox):
            said.append(dialog.text())
            dialog.done(0)
        elif isinstance(dialog, QFileDialog):
            edit = dialog.findChild(QLineEdit, "fileNameEdit")
            seen.append((dialog.directory().absolutePath(), edit.text() if edit else ""))
            if said or len(ticks) > 200:
                dialog.reject()
                return
        QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)
    try:
        assert editor.save_as() is False  # cancelled
    finally:
        answer.set()
    assert said == [
        f"{share / 'show.json'} does not answer (a network disk whose server went away?). "
        "Choose one on another disk."
    ]
    assert seen and seen[-1] == (str(Path.home()), "show.json"), seen
    assert on_window_thread == []
