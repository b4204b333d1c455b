"""Round twenty of issue 10, the window (hunt20ui)."""

from __future__ import annotations

import errno
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.faults.show_inputs import valid_show, write_show
from tests.ui.conftest import open_control_room

from anchordesk.live.settings import Settings
from anchordesk.showfile.files import read_show_file


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
