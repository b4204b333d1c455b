"""The issue's "done when" path, clicked as a user would: Settings -> a custom RTMP destination
with its stream key typed into the masked field -> Go live (pre-flight passes) -> a real
nginx-rtmp receives H.264 + AAC -> Stop asks first -> the stream ends, the local recording and
the rehearsal go on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDeadlineTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from servers import NginxRtmp, codecs

from anchordesk.core import paths, secrets
from anchordesk.live.settings import load_settings, settings_path
from anchordesk.ui.golive import OK, WARN, GoLiveDialog
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.destinations_page import DestinationsPage

STREAM_KEY = "shop-night-7f3a9c2e"


@pytest.fixture(autouse=True)
def fresh_secret_store() -> Iterator[None]:
    secrets.store().reset()
    yield
    secrets.store().reset()


def when_modal(kind: type[QWidget], act: Callable[[Any], None], timeout_ms: int = 10000) -> None:
    """Run ``act(dialog)`` as soon as a modal ``kind`` is up (its ``exec`` blocks the caller)."""
    timer = QTimer(QApplication.instance())
    deadline = QDeadlineTimer(timeout_ms)

    def poll() -> None:
        widget = QApplication.activeModalWidget()
        found = isinstance(widget, kind) and widget.isVisible()
        if found or deadline.hasExpired():
            timer.stop()
            timer.deleteLater()
        if found:
            try:
                act(widget)
            except BaseException:
                widget.close()  # never leave a modal loop running after a failed check
                raise
        elif deadline.hasExpired():
            raise AssertionError(f"no {kind.__name__} came up")

    timer.setInterval(20)
    timer.timeout.connect(poll)
    timer.start()


def recordings_dir() -> Path:
    return paths.default_recordings_dir()


def newest_local_recording() -> Path | None:
    files = sorted(recordings_dir().glob("*.mkv"), key=lambda path: path.stat().st_mtime_ns)
    return files[-1] if files else None


def test_settings_to_live_on_a_local_rtmp_server_and_back_to_rehearsal(
    qtbot: QtBot, control_room: MainWindow, nginx_rtmp: NginxRtmp, memory_keyring: Any
) -> None:
    window = control_room
    controller = window.controller
    server_url = f"rtmp://127.0.0.1:{nginx_rtmp.port}/live"

    # -- File > Settings: add a custom RTMP destination and type its key ------------------------
    def fill_settings(dialog: SettingsDialog) -> None:
        page = dialog.page(DestinationsPage)
        custom = next(a for a in page.add_menu.actions() if a.data() == "custom")
        custom.trigger()
        page.name.selectAll()
        qtbot.keyClicks(page.name, "Studio server")
        server_edit = page.server.lineEdit()
        assert server_edit is not None
        server_edit.selectAll()
        qtbot.keyClicks(server_edit, server_url)
        qtbot.keyClick(server_edit, Qt.Key.Key_Tab)
        destination = dialog.settings.destinations[-1]
        key_field = page.stream_key_field(destination.destination_id)
        assert key_field.isVisible()
        assert key_field.line_edit.echoMode() == QLineEdit.EchoMode.Password
        qtbot.keyClicks(key_field.line_edit, STREAM_KEY)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        assert not dialog.error_label.isVisible(), dialog.error_label.text()

    when_modal(SettingsDialog, fill_settings)
    window.settings_action.trigger()  # returns once the dialog is closed

    saved = load_settings()
    assert [(d.name, d.preset_id, d.server_url) for d in saved.destinations] == [
        ("Studio server", "custom", server_url)
    ]
    destination_id = saved.destinations[0].destination_id
    assert STREAM_KEY in memory_keyring.passwords.values()
    assert STREAM_KEY not in settings_path().read_text(encoding="utf-8")
    assert controller.settings.destination(destination_id) is not None

    # -- Stream > Go live: the pre-flight checks pass, "Record a local copy" on -----------------
    window.hotkeys.actions["go_live"].trigger()
    dialog = window.findChild(GoLiveDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.selected_destination() is not None
    assert dialog.selected_destination().destination_id == destination_id  # type: ignore[union-attr]
    # Opened while the picture is still starting: the checks turn green by themselves.
    qtbot.waitUntil(dialog.ready, timeout=10000)
    statuses = {check: result.status for check, result in dialog.results.items()}
    assert statuses == {
        # The fixture's test pattern and "no microphone" (silence) are warnings: colour bars and
        # silence must not pass as a camera and a microphone; they do not block going live.
        "camera": WARN,
        "microphone": WARN,
        "encoder": OK,
        "key": OK,
        "reachable": OK,
        "compliance": OK,
    }
    dialog.record.setChecked(True)
    qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
    assert controller.is_live
    assert window.mode_label.text() == "LIVE"
    assert window.hotkeys.actions["go_live"].text() == "Stop streaming"
    assert window.record_action.isChecked() and not window.record_action.isEnabled()

    # nginx receives the stream; the local copy is written too.
    def received() -> Path | None:
        files = nginx_rtmp.recordings()
        return files[-1] if files and files[-1].stat().st_size > 40_000 else None

    qtbot.waitUntil(lambda: received() is not None, timeout=20000)
    qtbot.waitUntil(lambda: newest_local_recording() is not None, timeout=10000)
    qtbot.waitUntil(
        lambda: any(o.kind == "network" and o.state == "live" for o in controller.health.outputs),
        timeout=10000,
    )
    assert STREAM_KEY not in window.statusBar().currentMessage()

    # -- Stop asks first: "Cancel" keeps the stream, "Yes" stops it -----------------------------
    def answer(button: QMessageBox.StandardButton) -> Callable[[QMessageBox], None]:
        def click(box: QMessageBox) -> None:
            assert "Stop the stream now?" in box.text()
            box.button(button).click()

        return click

    when_modal(QMessageBox, answer(QMessageBox.StandardButton.Cancel))
    window.hotkeys.actions["go_live"].trigger()
    assert controller.is_live
    live_session = controller.live.session  # type: ignore[union-attr]
    assert live_session is not None and live_session.mode == "live"
    assert not live_session.simulated and live_session.hub is None, "no simulated audience"
    live_recording = newest_local_recording()
    assert live_recording is not None and live_recording.name.startswith("live_")
    when_modal(QMessageBox, answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(controller.rehearsal_finished, timeout=20000) as finished:
        window.hotkeys.actions["go_live"].trigger()
        assert not controller.is_live
    assert window.mode_label.text() != "LIVE"
    assert window.settings_action.isEnabled()
    # Stopping ends the live session: its report is read back from its closed file.
    report = finished.args[0]
    assert report.mode == "live" and report.files[0] == live_session.path
    assert controller.show_state.mode == "ended"
    assert window.rehearse_again_action.isEnabled()
    assert not window.end_rehearsal_action.isEnabled()
    window.report_dialog.reject()

    # The network output is gone; nginx closes its file, which holds H.264 + AAC.
    qtbot.waitUntil(lambda: controller.live.network_switch.attached is None, timeout=10000)  # type: ignore[union-attr]
    pushed = received()
    assert pushed is not None
    assert codecs(pushed) == {"video": "h264", "audio": "aac"}
    size_after_stop = pushed.stat().st_size
    assert codecs(live_recording) == {"video": "h264", "audio": "aac"}

    # Rehearse again: a new session, a new recording that grows; the picture ran throughout.
    window.rehearse_again_action.trigger()
    qtbot.waitUntil(lambda: controller.show_state.mode == "rehearsal", timeout=10000)
    assert controller.live.session is not live_session  # type: ignore[union-attr]
    assert controller.show_state.current_index == 0, "a new run sheet, from the top"
    qtbot.waitUntil(lambda: newest_local_recording() != live_recording, timeout=10000)
    local = newest_local_recording()
    assert local is not None and local.name.startswith("rehearsal_")
    local_size = local.stat().st_size
    qtbot.waitUntil(lambda: local.stat().st_size > local_size + 5_000, timeout=10000)
    assert controller.health.running
    window.hotkeys.actions["next_segment"].trigger()
    assert controller.show_state.current_index == 1
    assert pushed.stat().st_size == size_after_stop, "nothing is pushed after the stop"
