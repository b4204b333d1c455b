"""The settings dialog: keys go to the keyring and nowhere else; presets carry their limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from anchordesk.core import paths, secrets
from anchordesk.live.settings import Destination, Settings, load_settings, settings_path
from anchordesk.ui.settings import SettingsDialog


@pytest.fixture(autouse=True)
def fresh_secret_store() -> Iterator[None]:
    secrets.store().reset()
    yield
    secrets.store().reset()


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _wait_for_secrets(qtbot: QtBot, dialog: SettingsDialog) -> None:
    # The keyring is read in a worker; its result arrives as a queued signal.
    with qtbot.waitSignal(dialog._relay.secrets_loaded, timeout=5000, raising=False):
        pass


def test_a_stream_key_typed_in_settings_is_in_the_keyring_and_in_no_config_file(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    destination = dialog.add_destination("youtube")
    key_field = dialog.stream_key_field(destination.destination_id)
    assert key_field.line_edit.echoMode() == QLineEdit.EchoMode.Password

    stream_key = "abcd-1234-efgh-5678-zz9x"
    qtbot.keyClicks(key_field.line_edit, stream_key)
    qtbot.mouseClick(key_field.reveal_button, Qt.MouseButton.LeftButton)
    assert key_field.line_edit.echoMode() == QLineEdit.EchoMode.Normal
    with qtbot.waitSignal(dialog.settings_saved):
        dialog.accept()

    name = secrets.stream_key_name(destination.destination_id)
    assert memory_keyring.passwords[("anchordesk", name)] == stream_key
    config_files = _files_under(paths.user_config_dir())
    assert settings_path() in config_files
    for path in config_files:
        assert stream_key.encode() not in path.read_bytes(), path
    saved = load_settings()
    assert [d.preset_id for d in saved.destinations] == ["youtube"]
    assert saved.destinations[0].server_url.startswith("rtmps://a.rtmps.youtube.com")
    assert saved.active_destination_id == destination.destination_id


def test_a_pasted_full_push_url_is_split_and_its_key_masked(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    destination = dialog.add_destination("twitch")
    server_edit = dialog.destination_server.lineEdit()
    assert server_edit is not None
    server_edit.selectAll()
    qtbot.keyClicks(server_edit, "rtmp://live.twitch.tv/app/live_1234_SeCrEtKeY")
    qtbot.keyClick(server_edit, Qt.Key.Key_Return)

    assert dialog.destination_server.currentText() == "rtmp://live.twitch.tv/app"
    key_field = dialog.stream_key_field(destination.destination_id)
    assert key_field.text() == "live_1234_SeCrEtKeY"
    assert key_field.line_edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.accept()
    assert "SeCrEtKeY" not in settings_path().read_text(encoding="utf-8")
    assert "live_1234_SeCrEtKeY" in memory_keyring.passwords.values()


def test_a_stored_key_is_shown_masked_and_kept_when_not_edited(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    settings = Settings(
        destinations=[Destination("d1", "Shop channel", "douyin", "rtmp://push.example/third")]
    )
    secrets.set_secret(secrets.stream_key_name("d1"), "stream-0000-key")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    key_field = dialog.stream_key_field("d1")
    qtbot.waitUntil(lambda: key_field.text() == "stream-0000-key", timeout=5000)
    assert key_field.line_edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.accept()
    assert secrets.get_secret(secrets.stream_key_name("d1")) == "stream-0000-key"


def test_removing_a_destination_deletes_its_key(qtbot: QtBot, memory_keyring: Any) -> None:
    settings = Settings(destinations=[Destination("d1", "YT", "youtube", "")])
    secrets.set_secret(secrets.stream_key_name("d1"), "old-key-1234")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    _wait_for_secrets(qtbot, dialog)
    dialog.destination_list.setCurrentRow(0)
    dialog.remove_destination_button.click()
    dialog.accept()
    assert memory_keyring.passwords == {}
    assert load_settings().destinations == []


def test_without_a_keyring_the_dialog_says_keys_last_for_this_run_only(qtbot: QtBot) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        dialog = SettingsDialog(Settings())
        qtbot.addWidget(dialog)
        dialog.show()
        destination = dialog.add_destination("custom")
        dialog.destination_server.setEditText("rtmp://127.0.0.1:1935/live")
        qtbot.keyClicks(dialog.stream_key_field(destination.destination_id).line_edit, "k-5678")
        dialog.accept()
        qtbot.waitUntil(lambda: dialog.keyring_notice.isVisibleTo(dialog), timeout=5000)
        assert "this run only" in dialog.keyring_notice.text()
        assert secrets.get_secret(secrets.stream_key_name(destination.destination_id)) == ("k-5678")
        for path in _files_under(paths.user_config_dir()):
            assert b"k-5678" not in path.read_bytes()
    finally:
        keyring.set_keyring(previous)


def test_facebook_needs_rtmps_and_the_dialog_stays_open_naming_the_problem(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_destination("facebook")
    dialog.destination_server.setEditText("rtmp://live-api-s.facebook.com:80/rtmp/")
    dialog.accept()
    assert dialog.isVisible()
    assert "RTMPS" in dialog.error_label.text()
    assert not settings_path().exists()


def test_preset_limits_are_shown_and_applied(qtbot: QtBot, memory_keyring: Any) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.video_kbps_spin.setValue(9000)
    dialog.keyframe_spin.setValue(5)
    dialog.add_destination("twitch")
    assert "6000 kbps" in dialog.destination_warnings.text()
    assert "keyframe" in dialog.destination_warnings.text()
    dialog.apply_recommended_button.click()
    assert dialog.video_kbps_spin.value() == 3000  # 720p30 on Twitch
    assert dialog.keyframe_spin.value() == 2
    assert dialog.destination_warnings.text() == ""


def test_devices_page_shows_a_live_preview_off_the_qt_thread(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.camera_combo.setCurrentIndex(dialog.camera_combo.findData("test"))
    dialog.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not dialog.camera_preview_label.pixmap().isNull(), timeout=5000)
    preview = dialog._camera_preview
    assert preview is not None and preview.isRunning()
    dialog.reject()
    assert not preview.isRunning()
