"""Round twenty of issue 10, the window (hunt20ui)."""

from __future__ import annotations

import errno
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from tests.faults.show_inputs import valid_show, write_show
from tests.ui.conftest import open_control_room

from anchordesk.live.settings import Settings
from anchordesk.showfile.files import read_show_file
from anchordesk.ui import file_dialogs, workers
from anchordesk.ui.editor import ShowEditor

from .test_round_nineteen_ui import SAMPLE, _share_gone_under


def test_a_recordings_folder_that_cannot_be_made_on_a_read_only_disk_is_said_so_in_words(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Record on, the recordings folder not made yet on a read-only disk: the window said the
    file "cannot be written (No such file or directory)", the C library's English, of a
    folder the user had chosen. Now it says the disk is read-only, in the window's words."""
    folder = tmp_path / "readonly" / "recordings"
    real_mkdir = Path.mkdir

    def mkdir(path: Path, *args: object, **kwargs: object) -> None:
        if str(path).startswith(str(tmp_path / "readonly")):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    settings = Settings(record=True, record_asked=True, recordings_dir=str(folder))
    said: list[str] = []
    window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
    window.controller.message.connect(said.append)
    live = window.controller.live
    assert live is not None
    qtbot.waitUntil(lambda: any("recording" in line for line in said), timeout=10000)
    lines = [line for line in said if "recording" in line]
    assert any("read-only" in line for line in lines), lines
    assert not any("No such file" in line for line in lines), lines


def test_a_product_image_named_without_a_suffix_is_said_without_empty_marks(
    tmp_path: Path,
) -> None:
    """A product image named "mug" (no suffix), a text file: the editor's problem list and
    `anchordesk show check` said "… is not a PNG, JPEG, WebP or BMP image ()"."""
    (tmp_path / "mug").write_text("not a picture\n", encoding="utf-8")
    data = valid_show()
    data["products"][0]["image"] = "mug"
    report = read_show_file(write_show(tmp_path, data))
    messages = [p.message for p in report.problems if p.path == "$.products[0].image"]
    assert messages == ["image mug is not a PNG, JPEG, WebP or BMP image"]


def test_reads_held_by_a_share_that_went_away_leave_later_reads_of_a_good_disk_free(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four reads held by a network share whose server went away (File → Open of its shows,
    saves, the editor's checks as you type: each holds its thread for good) held every thread
    of the window's file reads: a later show file on a good disk was said not to answer, the
    pictures never shown. Now a read held past a while no longer counts among the threads."""
    monkeypatch.setattr(
        workers, "FILE_READ_HELD_S", 0.0, raising=False
    )  # any read under way counts as held
    workers.shutdown()  # a pool of its own, made with that rule
    share_answers = threading.Event()
    started = threading.Semaphore(0)

    def held() -> None:
        started.release()
        share_answers.wait(30)

    good = tmp_path / "show.json"
    good.write_text("{}", encoding="utf-8")
    read: list[str] = []
    try:
        for _ in range(workers.FILE_READ_THREADS):
            workers.run_task(held, pool=workers.file_reads(), waits_on="/share/show.json")
        for _ in range(workers.FILE_READ_THREADS):
            assert started.acquire(timeout=10)
        workers.run_task(
            lambda: good.read_text(encoding="utf-8"), read.append, pool=workers.file_reads()
        )
        qtbot.waitUntil(lambda: read == ["{}"], timeout=5000)
    finally:
        share_answers.set()
        workers.shutdown()


@pytest.fixture
def editor_on_a_share(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[ShowEditor, Path]]:
    share = tmp_path / "share"
    shutil.copytree(SAMPLE, share)
    editor = ShowEditor(Settings())
    # Closed at the teardown without asking "Save them?" (nobody would answer).
    qtbot.addWidget(editor, before_close_func=lambda _editor: editor.discard_changes())
    assert editor.open_show(share / "show.json")
    yield editor, share


def test_typing_in_a_show_whose_share_went_away_says_it_is_not_checked(
    qtbot: QtBot, editor_on_a_share: tuple[ShowEditor, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing in a show whose network share went away: the status line kept the last check's
    "No problems found." for good (the check as you type waits on the share). Now past the
    file reads' deadline it says the show is not checked, until a check answers."""
    editor, share = editor_on_a_share
    monkeypatch.setattr(file_dialogs, "FILE_ANSWER_TIMEOUT_S", 0.2)
    answer, _on_window_thread = _share_gone_under(monkeypatch, share)
    try:
        for number in range(5):
            QTest.keyClicks(editor.show_page.title_edit, str(number))
            qtbot.waitUntil(lambda: not editor._check_timer.isActive())
        qtbot.waitUntil(lambda: editor.problem_summary.text().startswith("Not checked"))
        assert editor.problem_summary.text() == (
            f"Not checked: the pictures' folder {share} does not answer."
        )
    finally:
        answer.set()
    # The share answers: the show as typed last is checked.
    qtbot.waitUntil(lambda: not editor.problem_summary.text().startswith("Not checked"))
