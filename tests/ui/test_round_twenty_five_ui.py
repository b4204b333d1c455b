"""Round twenty-five's window findings (R25hunt25ui), fixed by hunt25uifix."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.ui import conftest
from tests.ui.conftest import (
    _quit_without_asking,
    open_control_room,
    small_controller,
    small_options,
    small_show,
)
from tests.ui.test_start_show import broken_show, start_refused

from anchordesk.live.settings import Settings
from anchordesk.ui import i18n
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.devices_page import DevicesPage


def test_a_camera_and_microphone_chosen_again_are_no_longer_blamed_by_the_go_live_check(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settings naming a camera and a microphone that are gone, then Settings → Devices →
    Automatic / Default microphone and OK: the picture restarted on devices that open, yet the
    go-live check still said "the camera /dev/video9 chosen in Settings cannot be opened" for
    the run's whole life (R25hunt25ui F1). It follows the last start now."""
    camera = str(tmp_path / "video9")
    options = replace(small_options(), camera=camera, microphone="Gone USB microphone")
    monkeypatch.setattr(conftest, "small_options", lambda: options)
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    facts = controller.preflight_facts()
    assert facts.camera_missing == camera and facts.microphone_missing == "Gone USB microphone"
    # Other devices chosen: the picture restarts on them and they open.
    controller._options_override = replace(options, camera="test", microphone="none")
    show = controller.live.show if controller.live is not None else small_show()
    with qtbot.waitSignal(controller.session_started, timeout=20000):
        controller._restart(lambda: controller.start_with_show(show, controller.show_path))
    assert controller.live is not None
    facts = controller.preflight_facts()
    assert (facts.camera_missing, facts.microphone_missing) == ("", "")
    window._quitting = True
    controller.shutdown()


class _NoInputDevice:
    """sounddevice on a machine with no microphone: opening an input stream fails in
    PortAudio's English."""

    class InputStream:
        def __init__(self, **_options: object) -> None:
            raise RuntimeError("Error querying device -1")


@pytest.mark.parametrize(
    ("language", "microphone", "words"),
    [
        ("en", "default", "The microphone could not be opened: Default microphone"),
        ("ja", "default", "マイクを開けません：既定のマイク"),
        ("zh_CN", "Gone USB mic", "无法打开麦克风：Gone USB mic"),
    ],
    ids=["en", "ja", "zh_CN"],
)
def test_a_microphone_that_cannot_open_is_named_in_the_window_words_not_portaudio_s(
    qtbot: QtBot,
    qapp: QApplication,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    language: str,
    microphone: str,
    words: str,
) -> None:
    """Settings → Devices on a machine with no microphone: the line under the level read
    "マイクを開けません：Error querying device -1", PortAudio's English inside the translated
    line (R25hunt25ui F2). It names the microphone as the list does; the log keeps the
    library's words."""
    from anchordesk.media import portaudio

    monkeypatch.setattr(portaudio, "import_sounddevice", lambda: _NoInputDevice)
    i18n.install(qapp, language)
    try:
        settings = Settings()
        settings.devices.microphone = microphone
        settings.devices.camera = "test"
        dialog = SettingsDialog(settings)
        qtbot.addWidget(dialog)
        page = dialog.page(DevicesPage)
        with caplog.at_level(logging.INFO, logger="anchordesk.ui.settings.devices"):
            dialog.show()
            dialog.show_page(DevicesPage)
            qtbot.waitUntil(lambda: page.microphone_status.text() != "", timeout=5000)
        text = page.microphone_status.text()
        assert words in text, text
        assert "Error querying" not in text and "-1" not in text
        assert "Error querying device -1" in caplog.text
    finally:
        i18n.install(qapp, "en")


def test_the_show_editor_asked_for_at_a_refused_start_has_the_focus_after_the_first_question(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
) -> None:
    """A first run, the show named at start refused, Alt+E "Edit in the show editor": the
    first-rehearsal recording question opened over the control room and, once answered, left
    the control room on top and in focus, the editor asked for hidden behind it (R25hunt25ui
    F3). The editor has the focus again once the question is answered."""
    controller = small_controller(Settings(record=False, record_asked=False), executor)
    window = MainWindow(controller, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window, before_close_func=_quit_without_asking)
    window.show()
    try:
        dialog = start_refused(qtbot, window, broken_show(tmp_path / "bad"))
        assert dialog.edit_button is not None
        dialog.edit_button.click()  # Alt+E
        editor = window.findChild(ShowEditor)
        assert editor is not None and editor.isVisible()
        box = window.recording_question
        assert box is not None and box.isVisible()
        box.activateWindow()  # the window manager puts the question in front
        qtbot.waitUntil(lambda: QApplication.activeWindow() is box)
        box.skip_button.click()  # Alt+D: don't record
        qtbot.waitUntil(lambda: QApplication.activeWindow() is editor, timeout=5000)
        editor.close()
    finally:
        window._quitting = True
        controller.shutdown()
