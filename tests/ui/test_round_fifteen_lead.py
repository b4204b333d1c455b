"""Round fifteen of issue 10, the lead's own: what the window says of its session file."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room

from anchordesk.live.settings import load_settings
from anchordesk.ui.main_window import MainWindow


def test_a_session_file_another_program_locks_is_said_and_so_is_its_end(
    qtbot: QtBot, control_room_with_store: MainWindow
) -> None:
    """R14seam F9: a database browser holding the rehearsal's session file locked past the
    busy timeout. The window said nothing (the English log alone said it, and a window
    started from the menu has no terminal), and the feed whose pages could not be kept read
    "not answering". Now the lock is said, the feeds are not blamed, and its end is said."""
    window = control_room_with_store
    controller = window.controller
    live = controller.live
    assert live is not None and live.session is not None
    writer = live.session.writer
    # SQLite's real wait is 5 s: shortened on the writer's own connection.
    writer.call(lambda store: store._db.execute("PRAGMA busy_timeout=20")).result(10)
    said: list[str] = []
    controller.message.connect(said.append)
    other = sqlite3.connect(writer.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        controller.start_deal("SERUM", "29.00", 600, 5)
        qtbot.waitUntil(lambda: any("for now" in line for line in said), timeout=10000)
        other.execute("COMMIT")
    finally:
        other.close()
    qtbot.waitUntil(lambda: any("written again" in line for line in said), timeout=10000)
    locked = [line for line in said if "cannot be written for now" in line]
    assert locked == [
        "The session file cannot be written for now: another program holds it locked "
        "(database is locked). Comments, orders and show events wait and are kept as soon as "
        "it lets go; close that program. The show goes on."
    ]
    assert said.count("The session file is written again: what waited is kept.") == 1
    assert not [line for line in said if "feed" in line], said
    # The deal started while the file was locked is in the file.
    kept = writer.call(
        lambda store: store._db.execute(
            "SELECT COUNT(*) FROM show_events WHERE kind = 'deal_started'"
        ).fetchone()[0]
    ).result(10)
    assert kept == 1


def test_every_message_of_the_run_can_be_read_again_with_its_time(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    """R13ui: the banner over the picture keeps a notice 6 s (three at most) and the status
    bar one line the next replaces: a fault said while the operator looked away (the disk
    full, the session file locked) was never shown again. Help → Messages (Ctrl+Shift+M)
    keeps the run's messages with their time, as plain text, and follows new ones."""
    window = control_room
    window.messages.clock = lambda: 1_700_000_000.0
    stamp = time.strftime("%H:%M:%S", time.localtime(1_700_000_000.0))
    window.notify("The recording stopped: the disk holding /media/usb is full.")
    window.notify("Comment from <b>mei</b>\nwith a line break")
    window.activateWindow()
    QTest.keyClick(
        window,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.messages_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert dialog.view.toPlainText().splitlines() == [
        f"{stamp}  The recording stopped: the disk holding /media/usb is full.",
        f"{stamp}  Comment from <b>mei</b> with a line break",
    ]
    window.notify("The session file is written again: what waited is kept.")
    assert dialog.view.toPlainText().splitlines()[-1] == (
        f"{stamp}  The session file is written again: what waited is kept."
    )
    assert not dialog.empty.isVisible()
    dialog.copy_all()
    assert QGuiApplication.clipboard().text() == dialog.view.toPlainText()


def test_settings_that_could_not_be_used_one_by_one_are_said_in_the_window_s_language(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    chinese: None,
) -> None:
    """R13ui: a destination or a feed of the settings file skipped, a canvas replaced: the
    window said nothing (English log lines only), and a destination gone from the list looked
    like a setting the program had lost. Now each is said as the window opens, in its
    language, and kept in Help → Messages."""
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "format": 1,
                "destinations": ["rtmp://a.rtmp.youtube.com/live2"],
                "encoder": {"canvas": "huge"},
                "feeds": [{"kind": "myspace", "url": "http://x"}],
                "record": False,
                "record_asked": True,
            }
        ),
        "utf-8",
    )
    settings = load_settings(path)
    window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
    qtbot.waitUntil(lambda: len(window.messages.lines()) >= 3, timeout=5000)
    said = [line.split("  ", 1)[1] for line in window.messages.lines()]
    assert said[:3] == [
        "设置：destinations[0] 不是一个推流目标，已跳过。",
        "设置：编码画布“huge”不是“宽x高”格式；改用 1280x720。",
        "设置：feeds[0] 没有可识别的类型，已跳过。",
    ]
    # The log and the command line keep the English.
    assert settings.problems == [
        "settings: destinations[0] is not a destination; skipped",
        "settings: encoder canvas 'huge' is not WIDTHxHEIGHT; using 1280x720",
        "settings: feeds[0] has no known kind; skipped",
    ]
