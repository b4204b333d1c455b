"""Round twelve of issue 10, met through the window (under Xvfb, keyboard only): the faults of
/work/hunt/R12ui.md, and round eleven's leftover F7. Real parts: the real dialogs, files and
/proc of the machine."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QFileInfo, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from anchordesk.core import paths
from anchordesk.live.settings import Settings
from anchordesk.ui import file_dialogs
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.file_dialogs import NameOnlyIconProvider
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.devices_page import DevicesPage
from anchordesk.ui.settings.encoder_page import EncoderPage

PNG_HEADER = b"\x89PNG\r\n\x1a\n" + bytes(40)


def _type_within(provider: object, path: str, seconds: float = 5.0) -> str | None:
    """The type the dialog would show for `path`, or None when asking did not return."""
    answer: list[str] = []
    asking = threading.Thread(target=lambda: answer.append(provider.type(QFileInfo(path))))  # type: ignore[attr-defined]
    asking.daemon = True  # a read that never returns must not hold the test run
    asking.start()
    asking.join(seconds)
    return answer[0] if answer else None


def test_every_file_dialog_of_the_window_picks_icons_by_name_never_by_reading_the_file(
    qtbot: QtBot,
    control_room: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R11ui F7: Qt's icon provider read each listed file to pick its icon, on the window's
    thread; as root, File → Open listing /proc blocked for good in read() of /proc/kmsg and no
    closing signal was handled. Each of the window's eight file dialogs now judges by name."""
    unnamed = tmp_path / "kmsg"  # a picture's bytes under a name that says nothing
    unnamed.write_bytes(PNG_HEADER)
    opened: list[tuple[str, str | None, str, bool]] = []

    def cancelled(dialog: QFileDialog) -> int:
        provider = dialog.iconProvider()
        assert isinstance(provider, NameOnlyIconProvider), dialog.windowTitle()
        opened.append(
            (
                dialog.windowTitle(),
                _type_within(provider, str(unnamed)),  # Qt's own: "PNG image", it read the file
                provider.type(QFileInfo(str(tmp_path))),
                provider.icon(QFileInfo(str(unnamed))).isNull(),
            )
        )
        return QDialog.DialogCode.Rejected.value

    monkeypatch.setattr(QFileDialog, "exec", cancelled)
    # A dialog opened some other way (Qt's static functions, the old code) is cancelled as it
    # shows, so that the test fails instead of waiting for a user.
    closer = QTimer()
    closer.timeout.connect(
        lambda: [w.reject() for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog)]
    )
    closer.start(50)

    control_room.open_show()  # File → Open show…
    folder = tmp_path / "show"
    shutil.copytree(paths.resources_dir() / "shows" / "en", folder)
    editor = ShowEditor(Settings())
    try:
        assert editor.open_show(folder / "show.json")
        editor.open_action.trigger()
        editor.save_as_action.trigger()
        editor.import_csv_action.trigger()
        editor.products.table.selectRow(0)
        editor.products.image_button.click()
        editor.show_page.logo_button.click()
    finally:
        editor.discard_changes()
        editor.close()
        editor.deleteLater()
    settings = SettingsDialog(Settings())
    qtbot.addWidget(settings)
    settings.page(DevicesPage).camera_browse.click()
    settings.page(EncoderPage).recordings_dir_browse.click()

    closer.stop()
    assert [title for title, *_ in opened] == [
        "Open show", "Open show", "Save show as", "Import products from CSV", "Product image",
        "Logo", "Video file as camera", "Folder for recordings",
    ]  # fmt: skip
    assert {(kind, folder, null) for _, kind, folder, null in opened} == {("File", "Folder", False)}
    if os.geteuid() == 0 and os.access("/proc/kmsg", os.R_OK):
        assert _type_within(file_dialogs.icon_provider(), "/proc/kmsg") == "File"
