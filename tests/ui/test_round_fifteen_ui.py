"""Round fifteen of issue 10 in the window (R15ui): text from outside in tool tips, the board's
names of products a feed sold that the show does not have."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from tests.faults.disks import tmpfs
from tests.ui.conftest import open_control_room
from tests.ui.test_board_dock import snapshot

from anchordesk.core.printable import escape_controls
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.live.settings import Destination, Settings
from anchordesk.show.feed_items import Comment, Order, OrderLine
from anchordesk.show.prompts import QUESTION_WAITING, Prompt
from anchordesk.ui.docks.board import BoardPanel
from anchordesk.ui.docks.health import HealthPanel
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.editor import files as editor_files
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.state import HealthState, OutputRow

# What a stranger types in a chat, or a show file downloaded from anywhere holds.
PICTURE = "<img src='/usr/share/pixmaps/debian-logo.png'>"
BIG = "<font size=7 color=red>BIG</font>"


def tooltip_as_shown(tip: str) -> str:
    """The text Qt shows for the tool tip ``tip``: it takes a tool tip for rich text when its
    first line holds something like a tag, and renders it (QToolTip's label is Qt::AutoText)."""
    document = QTextDocument()
    if GuiQt.mightBeRichText(tip):
        document.setHtml(tip)
    else:
        document.setPlainText(tip)
    return document.toPlainText()


def test_a_pinned_comment_s_tool_tip_shows_its_markup_as_typed(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    """A stranger's comment "<img src='…'>" pinned: the pinned line's tool tip showed the
    picture from this computer's disk, and "<font size=7>" a red word covering the comments
    (under Xvfb); the line itself and the list were plain text."""
    window = control_room
    text = f"{PICTURE}{BIG} &lt;tag&gt; price?"
    window.controller.add_comments(
        [Comment(source="json", id="1", author="<b>Mallory</b>", text=text, is_question=True)]
    )
    qtbot.waitUntil(lambda: window.comments.model.rowCount() == 1, timeout=3000)
    window.comments.view.selectRow(0)
    QTest.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.comments.unpin.isEnabled(), timeout=3000)
    tip = window.comments.pinned_label.toolTip()
    assert tooltip_as_shown(tip) == f"Pinned: <b>Mallory</b>: {text}"


def test_a_question_prompt_s_tool_tip_on_the_board_shows_its_markup_as_typed(
    qtbot: QtBot,
) -> None:
    """A question waiting 60 s is quoted in the board's prompt list; its tool tip rendered the
    asker's name and words as rich text."""
    panel = BoardPanel()
    qtbot.addWidget(panel)
    question = Prompt(
        "question_waiting:json:c1",
        QUESTION_WAITING,
        1_800_000_000.0,
        (("seconds", "61"), ("author", "<i>Mallory</i>"), ("text", f"{BIG} price?")),
    )
    panel.update_snapshot(snapshot((question,)))
    item = panel.prompt_list.item(0)
    assert item is not None
    line = f"A question has waited 61 s: <i>Mallory</i>: {BIG} price?"
    assert item.text() == line
    assert tooltip_as_shown(item.toolTip()) == line


def test_a_segment_title_s_tool_tip_in_the_status_bar_shows_its_markup_as_typed(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    """A show file whose segment is titled "<font size=7>SEG</font>": the status bar's segment
    clock was plain text, its tool tip a huge "SEG" (under Xvfb)."""
    window = control_room
    title = f"{BIG} opening"
    data = {
        "format": 1,
        "title": "Markup night",
        "currency": "USD",
        "language": "en",
        "products": [{"sku": "MUG", "title": "Mug", "price": 24, "stock": 5}],
        "rundown": [{"title": title, "seconds": 60, "product": "MUG"}],
    }
    path = tmp_path / "markup.show.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    window.controller.open_show(path)
    qtbot.waitUntil(lambda: "Markup night" in window.windowTitle(), timeout=10000)
    qtbot.waitUntil(lambda: bool(window.clock_label.toolTip()), timeout=3000)
    assert tooltip_as_shown(window.clock_label.toolTip()) == title


def test_a_product_the_show_does_not_have_reads_the_same_on_the_board_as_in_the_orders(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    """A feed sold a SKU the show does not have, its line titled "\u202egnp.exe\u202c" and
    an ESC: the orders panel (and the report) wrote the controls as escapes; the data board
    named the product with the override at work, "exe.png" (under Xvfb), the ESC a box."""
    window = control_room
    title = "\u202egnp.exe\u202c \x1b[31mred"
    price = Decimal("24.00")
    window.controller.add_orders(
        [
            Order("json", "o1", "USD", price, (OrderLine("ZZ-1", 1, price, title),)),
            Order("json", "o2", "USD", price, (OrderLine("SERUM", 1, price),)),
        ]
    )
    board = window.board.products
    qtbot.waitUntil(lambda: board.rowCount() == 2, timeout=5000)
    window.controller.poll_show()
    names = {board.item(row, 0).text() for row in range(board.rowCount())}  # type: ignore[union-attr]
    assert names == {"Hydra Serum", "\\u202egnp.exe\\u202c \\x1b[31mred"}
    assert escape_controls(title) in names
    orders = window.orders.model
    qtbot.waitUntil(lambda: orders.rowCount() == 2, timeout=5000)
    shown = {orders.index(row, 1).data() for row in range(orders.rowCount())}
    assert escape_controls(title) in shown


@pytest.mark.parametrize("folder_made", [True, False])
def test_a_rehearsal_whose_session_folder_is_on_a_read_only_disk_says_why_in_words(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    isolated_user_dirs: Path,
    chinese: None,
    folder_made: bool,
) -> None:
    """The window started with its data folder on a read-only disk (zh_CN, under Xvfb): the
    rehearsal did not start and the status bar said, in English, "--session: the disk
    holding …/sessions/rehearsal_….adsession is read-only" — an option the window never
    took — or, with no sessions folder made yet, Python's "[Errno 30] Read-only file
    system: …"; "Rehearse again" said "rehearse again: --session: …", the log a traceback."""
    data = isolated_user_dirs / "data" / "AnchorDesk"
    sessions = data / "sessions"
    with tmpfs(data, 1000, read_only=not folder_made):
        if folder_made:  # made at an earlier run; the disk turned read-only since
            sessions.mkdir()
            subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
        window = open_control_room(qtbot, executor, tmp_path, [])
        controller = window.controller
        said = [text for text, _when in window.notice.lines]
        assert len(said) == 1 and "--session" not in said[0] and "Errno" not in said[0], said
        where = sessions / "rehearsal_" if folder_made else sessions
        assert f"存放 {where}" in said[0] and "的磁盘是只读的" in said[0], said
        assert controller.snapshot.session_path is None  # nothing was started
        heard: list[str] = []
        controller.message.connect(heard.append)
        controller.rehearse_again()
        qtbot.waitUntil(lambda: bool(heard), timeout=5000)
        assert len(heard) == 1 and heard[0].startswith(said[0][:40]), heard
        window._quitting = True
        controller.shutdown()


def test_stream_health_s_tool_tip_says_why_in_the_window_s_language(
    qtbot: QtBot, japanese: None
) -> None:
    """A key the server refuses, in a Japanese window: the notice over the picture said why in
    Japanese, the Stream health tool tip in the English of the logs (under Xvfb)."""
    panel = HealthPanel()
    qtbot.addWidget(panel)
    words = Words(
        QT_TRANSLATE_NOOP(
            "Network",
            "the server refused the stream: {error} (another program is streaming with this "
            "key, or the server still holds this program's earlier connection until its "
            "timeout)",
        ),
        error="<b>Already publishing</b>",
    )
    network = OutputRow("rtmp://x/live/****", "network", "reconnecting", 1, last_error=str(words))
    panel.update_health(HealthState(outputs=(dataclasses.replace(network, fault=words),)))
    shown = tooltip_as_shown(panel.state_label.toolTip())
    assert shown.startswith("サーバーがストリームを拒否しました：<b>Already publishing</b>"), shown


def test_the_show_editor_names_a_refused_file_as_it_is_named(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under Xvfb: File → Edit show, Open, "<i>broken.json" (a name a download can have):
    the box said "broken.json: invalid JSON …" in italics, the name's "<i>" taken for markup."""
    shown: list[tuple[str, Qt.TextFormat]] = []
    monkeypatch.setattr(
        QMessageBox, "exec", lambda box: shown.append((box.text(), box.textFormat())) or 0
    )
    # Qt's static box (what the editor used) takes its text as Qt::AutoText, always.
    monkeypatch.setattr(
        QMessageBox,
        "warning",
        lambda _parent, _title, text, *_a: shown.append((text, Qt.TextFormat.AutoText)) or 0,
    )
    broken = tmp_path / "<i>broken.json"
    broken.write_text("{bad json", encoding="utf-8")
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    assert not editor.open_show(broken)
    assert len(shown) == 1
    text, text_format = shown[0]
    assert text.startswith("<i>broken.json: invalid JSON at line 1, column 2")
    assert text_format == Qt.TextFormat.PlainText


def test_shows_opened_from_a_hung_share_never_keep_the_go_live_checks_waiting(
    qtbot: QtBot,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    memory_keyring: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under Xvfb, with a FUSE disk that answers stat and open but never a read (a hung
    share): seven File → Open of its show files held every thread of the window's pool in
    their reads for good (even SIGKILL waits for such a read), and the Go live dialog's
    checks of the stream key and the server waited behind them: "…" for ever, Go live greyed
    out, not a word said. Here the disk's reads wait on an event that is set at the end."""
    from anchordesk.core import secrets
    from anchordesk.showfile import files as show_files

    answer = threading.Event()
    real_read = show_files.read_show_file

    def read_show_file(path: Path) -> Any:
        if path.parent.name == "share":
            answer.wait()  # the disk does not answer
        return real_read(path)

    monkeypatch.setattr(show_files, "read_show_file", read_show_file)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    secrets.set_secret(secrets.stream_key_name("d1"), "key-1")
    settings = Settings(
        destinations=[Destination("d1", "Shop", "custom", f"rtmp://127.0.0.1:{port}/live")],
        active_destination_id="d1",
        record=False,
        record_asked=True,
    )
    window = open_control_room(qtbot, None, tmp_path, [], settings=settings)  # its own pools
    try:
        share = tmp_path / "share"
        share.mkdir()
        for number in range(1, 8):
            (share / f"show{number}.json").write_text("{}", encoding="utf-8")
            window.controller.open_show(share / f"show{number}.json")
        dialog = window.open_go_live()
        qtbot.waitUntil(lambda: dialog.go.isEnabled(), timeout=10000)
        assert dialog.results["key"].status == "ok" and dialog.results["reachable"].status == "ok"
        dialog.reject()
    finally:
        answer.set()
        server.close()
        window._quitting = True
        window.controller.shutdown()


def test_products_imported_from_a_csv_on_a_hung_share_leave_the_window_free(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under Xvfb, the FUSE disk that never answers a read: the show editor's File → Import
    products from CSV of its file froze the whole window for good (its thread in the read,
    the picture still; SIGKILL waits too). The CSV is read in a worker now, as a show file is;
    here the disk's read waits (at most 2 s) and tells on which thread it ran."""
    answer = threading.Event()
    read_on: list[bool] = []
    real_read = editor_files.read_products_csv

    def read_products_csv(path: Path, **kwargs: Any) -> Any:
        read_on.append(threading.current_thread() is threading.main_thread())
        answer.wait(2.0)  # the disk does not answer (for the test: 2 s)
        return real_read(path, **kwargs)

    monkeypatch.setattr(editor_files, "read_products_csv", read_products_csv)
    sheet = tmp_path / "products.csv"
    sheet.write_text("sku,title,price,stock\nNEW-1,Tea tin,12.50,30\n", encoding="utf-8")
    monkeypatch.setattr(editor_files.file_dialogs, "get_open_file_name", lambda *_a: str(sheet))
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    before = editor.products.model.rowCount()
    try:
        editor.import_csv_action.trigger()  # what the menu item does
        qtbot.waitUntil(lambda: bool(read_on), timeout=5000)
        assert read_on == [False]  # not on the window's thread
        assert "products.csv" in editor.statusBar().currentMessage()
        answer.set()
        qtbot.waitUntil(lambda: editor.products.model.rowCount() == before + 1, timeout=5000)
    finally:
        answer.set()
        editor.discard_changes()  # closing would ask about the imported products
