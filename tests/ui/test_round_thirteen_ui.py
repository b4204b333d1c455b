"""Round thirteen of issue 10: the window under faults (R13ui.md). Each test failed on the
code before its fix."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from feed_servers import JsonFeedServer
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QKeySequenceEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot
from servers import Stunnel
from tests.faults.disks import fill, tmpfs
from tests.ui.conftest import (
    open_control_room,
    open_embeddings,
    open_unchecked,
    small_controller,
)

from anchordesk.core import paths
from anchordesk.core.words import Words
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.poller import FeedHealth, Poller
from anchordesk.live.settings import Settings, load_settings, save_settings
from anchordesk.live.snapshot import FeedView
from anchordesk.ui import file_dialogs
from anchordesk.ui.docks.comments import line_height_px
from anchordesk.ui.editor import ShowEditor, draft
from anchordesk.ui.editor import files as editor_files
from anchordesk.ui.hotkeys import HotkeyDialog
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.state import CommentRow


def _warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The editor's warning boxes, as their text (a modal box would wait for a user)."""
    said: list[str] = []
    monkeypatch.setattr(
        editor_files.QMessageBox,
        "warning",
        lambda _parent, _title, text, *_a: said.append(text) or QMessageBox.StandardButton.Ok,
    )
    # A box refusing a file is made plain text (R15ui F5), not Qt's static one.
    monkeypatch.setattr(
        editor_files.QMessageBox,
        "exec",
        lambda box: said.append(box.text()) or QMessageBox.StandardButton.Ok,
    )
    return said


def test_the_show_editor_refuses_a_fifo_a_device_and_a_huge_file_without_reading_them(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, japanese: None
) -> None:
    """Under Xvfb: File → Edit show, Open, a FIFO's path typed: the window froze for good in
    read_draft's blocking read (deaf to SIGTERM); a 2 GB file froze it for 16 s and took 4 GB.
    The editor now reads as the show's reader does: never waits, never past the cap, and says
    what the path is in the window's language."""
    said = _warnings(monkeypatch)
    show = json.loads((paths.resources_dir() / "shows" / "en" / "show.json").read_text("utf-8"))
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer_if_still_reading() -> None:
        # The old code waits in open() for a writer: give it one (a valid show) rather than
        # hold the test run, so that it fails on what it then did (opened the FIFO's show).
        if not opened.wait(10):
            descriptor = os.open(fifo, os.O_WRONLY)
            os.write(descriptor, json.dumps(show).encode())
            os.close(descriptor)

    unblock = threading.Thread(target=writer_if_still_reading, daemon=True)
    unblock.start()
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(21 * 1024 * 1024)  # past the 20 MB of a show file; sparse
    editor = ShowEditor(Settings())
    try:
        results = [editor.open_show(fifo)]
        opened.set()
        results += [editor.open_show(Path("/dev/null")), editor.open_show(huge)]
        assert results == [False, False, False]
        assert editor.path is None or editor.path.name != "fifo.json"
    finally:
        opened.set()
        editor.close()
        editor.deleteLater()
    assert said == [
        f"{fifo} は名前付きパイプ（FIFO）で、番組ファイルではありません",
        "/dev/null はデバイスで、番組ファイルではありません",
        "ファイルが 21 MB あります。番組ファイルは 20 MB までの JSON テキストです",
    ]


def test_a_show_file_on_a_disk_that_does_not_answer_is_read_while_the_editor_answers(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chinese: None
) -> None:
    """Under Xvfb, a FUSE disk answering each read after 8 s: the editor's Open of a show
    there froze the window for the 8 s (a hung share: for good), a SIGTERM meanwhile ended
    nothing. The disk here answers when the test lets it; the read is now a worker's, the
    editor says what it reads and opens the show when the disk answers."""
    folder = tmp_path / "share"
    shutil.copytree(paths.resources_dir() / "shows" / "en", folder)
    disk_answers = threading.Event()
    read_on: list[threading.Thread] = []
    real_read = draft.read_show_bytes

    def slow_disk_read(path: Path) -> bytes | Words:
        read_on.append(threading.current_thread())
        disk_answers.wait(10)  # the old code waits here on the Qt thread: it fails below
        return real_read(path)

    monkeypatch.setattr(draft, "read_show_bytes", slow_disk_read)
    monkeypatch.setattr(file_dialogs, "get_open_file_name", lambda *_a: str(folder / "show.json"))
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    editor.new_show()
    editor.open_action.trigger()
    try:
        qtbot.waitUntil(lambda: bool(read_on))  # the worker has begun to read
        assert read_on[0] is not threading.main_thread()
        assert editor.statusBar().currentMessage() == "正在读取 show.json…"
        assert editor.path is None  # not yet read
    finally:
        disk_answers.set()
    qtbot.waitUntil(lambda: editor.path == folder / "show.json")
    assert editor.products.model.rowCount() == 4
    assert editor.statusBar().currentMessage() == ""
    editor.discard_changes()


def test_work_held_by_a_disk_that_does_not_answer_does_not_hold_the_program_s_end(
    tmp_path: Path,
) -> None:
    """Under Xvfb, File → Open of a show on a FUSE disk answering after 8 s, then SIGTERM:
    the window closed at once, the process ended 8 s later (a hung share: never), as Python
    joins a ThreadPoolExecutor's workers at its end. A program whose worker waits for good
    now ends once its window closed; the pool waited a bounded time for its work."""
    script = tmp_path / "close.py"
    script.write_text(
        "import threading\n"
        "from anchordesk.ui import workers\n"
        "reading, held = threading.Event(), threading.Event()\n"
        "workers.executor().submit(lambda: 'saved')\n"
        "workers.run_task(lambda: reading.set() or held.wait())  # a disk that never answers\n"
        "reading.wait()\n"
        "workers.shutdown()\n"
        "print('window closed', flush=True)\n",
        encoding="utf-8",
    )
    ended = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert (ended.returncode, ended.stdout) == (0, "window closed\n")


def test_a_long_cjk_segment_title_leaves_the_segment_s_time_on_the_status_bar(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path, chinese: None
) -> None:
    """Under Xvfb at 1366x768 (zh_CN), a segment titled with 200 Chinese letters (the show
    file's limit): the status bar's clock read "2/7 · 精华液环节超长标题精华液…" to the
    screen's edge, the segment's time ("0:04 / 5:00") cut off. The title is now cut to about
    20 letters with "…", the time stays, the whole title is the clock's tool tip."""
    window = control_room
    long_title = ("精华液环节超长标题" * 30)[:196]
    data = {
        "format": 1,
        "title": "秋季护肤之夜",
        "currency": "CNY",
        "language": "zh_CN",
        "products": [{"sku": "SERUM", "title": "精华液", "price": 199, "stock": 5}],
        "rundown": [{"title": long_title + "\u202eRTL", "seconds": 300, "sku": "SERUM"}],
    }
    path = tmp_path / "long.show.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    open_unchecked(window, path)
    qtbot.waitUntil(lambda: "精华液环节" in window.clock_label.text(), timeout=10000)
    clock = window.clock_label.text()
    letter = window.clock_label.fontMetrics().horizontalAdvance("汉")
    assert window.clock_label.sizeHint().width() < letter * 40  # was about 205 letters wide
    assert clock.startswith("1/1 · 精华液环节") and clock.endswith(" / 5:00"), clock
    assert "…" in clock and open_embeddings(clock) == 0, ascii(clock)
    assert long_title in window.clock_label.toolTip()


def _tab_walk(start: QWidget, presses: int) -> list[QWidget]:
    """The widgets the focus goes through as Tab is pressed ``presses`` times."""
    start.setFocus()
    seen: list[QWidget] = []
    for _ in range(presses):
        widget = QApplication.focusWidget()
        assert widget is not None
        seen.append(widget)
        QTest.keyClick(widget, Qt.Key.Key_Tab)
    return seen


def test_tab_leaves_the_window_s_tables_and_reaches_every_button_of_the_shortcuts_dialog(
    qtbot: QtBot, control_room: MainWindow, japanese: None
) -> None:
    """Keyboard only, under Xvfb: in Help → Keyboard shortcuts, 60 presses of Tab went round
    the table's cells and never reached OK, Cancel or Restore Defaults (which has no access
    key); in the control room Tab went round the run sheet's cells (and the comments', the
    orders', the board's, once they have rows) and never left. Arrows move in a table."""
    window = control_room
    window.activateWindow()
    table = window.run_sheet.table()
    assert table.model().rowCount() >= 3
    walked = _tab_walk(table, 4)
    assert any(w is not table for w in walked), "Tab stays in the run sheet"
    dialog = HotkeyDialog(window.hotkeys, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    before = [e.keySequence().toString() for e in dialog.findChildren(QKeySequenceEdit)]
    walked = _tab_walk(dialog.findChild(QTableWidget), 3 * len(before))
    box = dialog.findChild(QDialogButtonBox)
    assert {w for w in walked if isinstance(w, QPushButton)} == set(box.buttons())
    assert [e.keySequence().toString() for e in dialog.findChildren(QKeySequenceEdit)] == before


def test_the_window_closes_while_another_program_holds_its_settings_file_lock(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Under Xvfb, window.ini.lock held by a running program (as a second AnchorDesk holds it
    while it writes): at SIGTERM the window hung in QSettings.sync() on the lock, for good,
    the recording and the session never closed (13 s until killed). Now the layout of this
    run is left unsaved, said in the log, and the window closes; the shortcuts dialog says
    it could not save instead of hanging."""
    window = control_room
    ini = window.qsettings.fileName()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from PySide6.QtCore import QLockFile\n"
            "lock = QLockFile(sys.argv[1] + '.lock')\n"
            "assert lock.lock()\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
            ini,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        dialog = HotkeyDialog(window.hotkeys, window)
        qtbot.addWidget(dialog)
        dialog._accept()
        assert dialog.result() != QDialog.DialogCode.Accepted
        assert "another program" in dialog._problem.text()
        window.save_layout()  # the close's own step; it waited on the lock for good
        assert "being written by another program" in caplog.text
    finally:
        holder.communicate("", timeout=30)
    window.save_layout()
    assert QSettings(ini, QSettings.Format.IniFormat).value("window/geometry") is not None


def test_a_long_pinned_comment_leaves_the_comments_list_and_the_count_readable(
    qtbot: QtBot, control_room: MainWindow, japanese: None
) -> None:
    """Under Xvfb at 1366x768 (ja), a feed's comment of 2,000 Japanese letters pinned: the
    "pinned" line took the whole comments panel, the list squeezed to one row and the count
    ("15 件受信") written over by the comment. Now the line is two lines at most, cut with
    "…", the whole comment its tool tip."""
    panel = control_room.comments
    text = "この商品は敏感肌にも使えますか詳しく知りたいです" * 80 + "？"
    panel.set_pinned(CommentRow("json:c1", "日本語の長いお名前のお客様です" * 4, text, 0.0))
    qtbot.waitUntil(lambda: panel.pinned_label.text().endswith("…"))
    panel.layout().activate()
    label, view = panel.pinned_label, panel.view
    assert label.height() <= 2 * line_height_px(label.font()) + 2
    assert view.height() >= 4 * label.fontMetrics().lineSpacing()  # rows, not one
    assert not label.geometry().intersects(panel.count_label.geometry())
    assert text in label.toolTip()


class _Kept:
    """The store's side of a poll: keeps nothing (no page comes through a refused TLS)."""

    async def __call__(self, source: str, items: object, cursor: str | None) -> None:
        return None


def test_a_feed_whose_certificate_cannot_be_trusted_is_said_so_in_the_window_s_language(
    qtbot: QtBot, tmp_path: Path, japanese: None
) -> None:
    """Under Xvfb (zh_CN), live with a JSON feed over https whose server offers a self-signed
    certificate: the window said "the json feed is not answering" (the server answered) and
    the reason, a certificate to replace or trust, was only in the English log. Now the feed's
    status carries the reason as words and the window says it in its language."""
    server = JsonFeedServer().start()
    tunnel = Stunnel(tmp_path / "tls", server.port)  # its certificate: self-signed
    tunnel.start()

    async def one_poll() -> FeedHealth:
        async with httpx.AsyncClient() as client:
            adapter = JsonFeedAdapter(f"https://127.0.0.1:{tunnel.port}/feed", None)
            poller = Poller(adapter, client, _Kept(), unit_random=lambda: 0.0)
            await poller.poll_once()
            return poller.health

    try:
        health = asyncio.run(one_poll())
    finally:
        tunnel.stop()
        server.stop()
    assert health.state == "retrying"
    assert health.last_error == "the server's certificate is not trusted (self-signed certificate)"
    assert health.fault is not None and str(health.fault) == health.last_error
    controller = small_controller(Settings())
    said: list[str] = []
    controller.message.connect(said.append)
    feed = FeedView(source="json", state=health.state, last_error=health.last_error)
    controller._say_feed_faults([dataclasses.replace(feed, fault=health.fault)])
    assert said == [
        "json フィードを読み取れません：サーバーの証明書は信頼されていません（self-signed "
        "certificate）。このフィードからコメントや注文は届きません。AnchorDesk は問い合わせを"
        "続けます。"
    ]


def test_settings_that_cannot_be_read_are_said_in_the_window_as_it_opens(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    chinese: None,
) -> None:
    """Under Xvfb: settings.json cut mid-way (a crash while it was written; the user's
    language ja): the window opened on the defaults, in the system's language, destinations
    and feeds gone, and said nothing (only a log line: "kept as settings.json.broken").
    Now it says so as it opens, in the window's language; the damaged file is kept."""
    path = tmp_path / "settings.json"
    path.write_text('{"format": 1, "language": "ja", "destinations": [{"id": "d1", "na', "utf-8")
    settings = load_settings(path)
    assert (tmp_path / "settings.json.broken").exists()
    settings.record, settings.record_asked = False, True
    window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
    qtbot.waitUntil(lambda: window.settings_box is not None and window.settings_box.isVisible())
    assert window.settings_box is not None
    assert window.settings_box.text() == (
        f"无法读取你的设置：{path} 不是有效的 JSON；已保留为 settings.json.broken。"
        "AnchorDesk 已使用默认设置启动。"
    )
    window.settings_box.close()


def test_settings_that_cannot_be_saved_are_said_in_the_window_s_language(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path, japanese: None
) -> None:
    """Under Xvfb (zh_CN), the settings folder on a full 64 kB tmpfs, Record pressed (its
    choice is kept in the settings): nothing said, not even in the log (the save's error was
    never read), and Record was back on at the next start. Now the window says it."""
    controller = control_room.controller
    said: list[str] = []
    controller.message.connect(said.append)
    with tmpfs(tmp_path / "config", 64) as folder:
        fill(folder)
        controller._save = lambda settings: save_settings(settings, folder / "settings.json")
        controller.set_recording(False)
        qtbot.waitUntil(lambda: any("設定" in line for line in said))
    line = next(line for line in said if "設定" in line)
    assert line.startswith("設定を保存できませんでした：") and "ディスクがいっぱいです" in line
    assert "No space left on device" not in line  # the C library's English (R18hunt18ui F4)


def test_edit_show_reads_the_running_show_s_file_in_a_worker(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R13ui left (found by the lead): File → Edit show (and Edit on a show refused to start)
    read the show's file on the window's thread, so a share that hung between the window's
    read and the editor's froze the window. Now it is read as Open reads it, in a worker."""
    from anchordesk.ui.editor import open_editor

    folder = tmp_path / "share"
    shutil.copytree(paths.resources_dir() / "shows" / "en", folder)
    disk_answers = threading.Event()
    read_on: list[threading.Thread] = []
    real_read = draft.read_show_bytes

    def slow_disk_read(path: Path) -> bytes | Words:
        read_on.append(threading.current_thread())
        # The old code reads here on the Qt thread: the test fails below, not waiting.
        disk_answers.wait(0 if threading.current_thread() is threading.main_thread() else 10)
        return real_read(path)

    monkeypatch.setattr(draft, "read_show_bytes", slow_disk_read)
    editor = open_editor(folder / "show.json")
    try:
        qtbot.waitUntil(lambda: bool(read_on))
        assert read_on[0] is not threading.main_thread()
    finally:
        disk_answers.set()
    qtbot.waitUntil(lambda: editor.path == folder / "show.json")
    assert editor.products.model.rowCount() == 4
    editor.discard_changes()
    editor.close()
