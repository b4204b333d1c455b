"""The settings dialog: keys go to the keyring and nowhere else; presets carry their limits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSpinBox,
)
from pytestqt.qtbot import QtBot

from anchordesk.core import paths, secrets
from anchordesk.live.settings import (
    Destination,
    FeedSettings,
    Settings,
    load_settings,
    settings_path,
)
from anchordesk.ui import i18n
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.destinations_page import DestinationsPage
from anchordesk.ui.settings.devices_page import DevicesPage
from anchordesk.ui.settings.encoder_page import EncoderPage
from anchordesk.ui.settings.feeds_page import FeedsPage
from anchordesk.ui.settings.general_page import GeneralPage


@pytest.fixture
def app_language(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.install(qapp, "en")


@pytest.fixture(autouse=True)
def fresh_secret_store() -> Iterator[None]:
    secrets.store().reset()
    yield
    secrets.store().reset()


def _save(qtbot: QtBot, dialog: SettingsDialog) -> None:
    """OK: the keys and the file are written in a worker; the dialog closes once they are."""
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        dialog.accept()


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _wait_for_secrets(qtbot: QtBot, dialog: SettingsDialog) -> None:
    # The keyring is read in a worker; its result arrives as a queued signal.
    with qtbot.waitSignal(dialog.secrets_loaded, timeout=5000, raising=False):
        pass


def test_a_stream_key_typed_in_settings_is_in_the_keyring_and_in_no_config_file(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    destination = dialog.page(DestinationsPage).add_destination("youtube")
    key_field = dialog.page(DestinationsPage).stream_key_field(destination.destination_id)
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
    destination = dialog.page(DestinationsPage).add_destination("twitch")
    server_edit = dialog.page(DestinationsPage).server.lineEdit()
    assert server_edit is not None
    server_edit.selectAll()
    qtbot.keyClicks(server_edit, "rtmp://live.twitch.tv/app/live_1234_SeCrEtKeY")
    qtbot.keyClick(server_edit, Qt.Key.Key_Return)

    assert dialog.page(DestinationsPage).server.currentText() == "rtmp://live.twitch.tv/app"
    key_field = dialog.page(DestinationsPage).stream_key_field(destination.destination_id)
    assert key_field.text() == "live_1234_SeCrEtKeY"
    assert key_field.line_edit.echoMode() == QLineEdit.EchoMode.Password
    _save(qtbot, dialog)
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
    key_field = dialog.page(DestinationsPage).stream_key_field("d1")
    qtbot.waitUntil(lambda: key_field.text() == "stream-0000-key", timeout=5000)
    assert key_field.line_edit.echoMode() == QLineEdit.EchoMode.Password
    _save(qtbot, dialog)
    assert secrets.get_secret(secrets.stream_key_name("d1")) == "stream-0000-key"


def test_removing_a_destination_deletes_its_key(qtbot: QtBot, memory_keyring: Any) -> None:
    settings = Settings(destinations=[Destination("d1", "YT", "youtube", "")])
    secrets.set_secret(secrets.stream_key_name("d1"), "old-key-1234")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    _wait_for_secrets(qtbot, dialog)
    dialog.page(DestinationsPage).destination_list.setCurrentRow(0)
    dialog.page(DestinationsPage).remove_button.click()
    _save(qtbot, dialog)
    assert memory_keyring.passwords == {}
    assert load_settings().destinations == []


def test_without_a_keyring_the_first_key_entry_says_plainly_it_lasts_this_run_only(
    qtbot: QtBot,
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        dialog = SettingsDialog(Settings())  # a first run: no destination, no key asked yet
        qtbot.addWidget(dialog)
        dialog.show()
        _wait_for_secrets(qtbot, dialog)
        page = dialog.page(DestinationsPage)
        destination = page.add_destination("custom")
        # Said next to the key field before anything is typed, in words, with the way out.
        assert page.keyring_note.isVisible()
        note = page.keyring_note.text()
        assert "for this run only" in note and "install a keyring" in note
        general = dialog.page(GeneralPage)
        assert general.keyring_status.text() == note
        for label in dialog.findChildren(QLabel):
            assert "Error" not in label.text() and "backend" not in label.text(), label.text()
        page.server.setEditText("rtmp://127.0.0.1:1935/live")
        qtbot.keyClicks(page.stream_key_field(destination.destination_id).line_edit, "k-5678")
        _save(qtbot, dialog)
        assert secrets.get_secret(secrets.stream_key_name(destination.destination_id)) == "k-5678"
        for path in _files_under(paths.user_config_dir()):
            assert b"k-5678" not in path.read_bytes()
    finally:
        keyring.set_keyring(previous)


def test_with_a_keyring_no_warning_is_shown(qtbot: QtBot, memory_keyring: Any) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    _wait_for_secrets(qtbot, dialog)
    dialog.page(DestinationsPage).add_destination("youtube")
    assert not dialog.page(DestinationsPage).keyring_note.isVisible()
    assert "kept in the system keyring" in dialog.page(GeneralPage).keyring_status.text()


def test_the_key_field_does_not_move_when_the_server_hint_comes_and_goes(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(DestinationsPage)
    destination = page.add_destination("custom")
    key_field = page.stream_key_field(destination.destination_id)
    page.server.setEditText("rtmp:")  # invalid: the red hint shows
    qtbot.wait(1)
    assert page.server_error.text()
    invalid_y = key_field.mapTo(dialog, key_field.rect().topLeft()).y()
    page.server.setEditText("rtmp://127.0.0.1:1935/live")  # valid: the hint goes
    qtbot.wait(1)
    assert page.server_error.text() == ""
    assert key_field.mapTo(dialog, key_field.rect().topLeft()).y() == invalid_y


@pytest.mark.parametrize(
    "typed", ["abcd-efgh-ijkl-mnop-qrst", "rtmp://a.rtmp.youtube.com/live2abcd-efgh-ijkl-mnop"]
)
def test_a_key_typed_into_the_server_url_is_refused_and_never_saved(
    qtbot: QtBot, memory_keyring: Any, typed: str
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(DestinationsPage)
    page.add_destination("youtube")
    server_edit = page.server.lineEdit()
    assert server_edit is not None
    server_edit.selectAll()
    qtbot.keyClicks(server_edit, typed)
    qtbot.keyClick(server_edit, Qt.Key.Key_Tab)
    assert "looks like a stream key" in page.server_error.text()
    dialog.accept()
    assert dialog.isVisible()
    assert "looks like a stream key" in dialog.error_label.text()
    assert not settings_path().exists()


def test_feed_kinds_are_named_not_given_as_ids(qtbot: QtBot, memory_keyring: Any) -> None:
    settings = Settings(feeds=[FeedSettings("f1", "youtube-chat", "https://example.com/chat")])
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    page = dialog.page(FeedsPage)
    assert page.feed_list.item(0).text() == "YouTube chat — https://example.com/chat"
    kinds = [page.kind.itemText(i) for i in range(page.kind.count())]
    assert "YouTube chat" in kinds and not any("-" in kind for kind in kinds)


def test_a_camera_that_cannot_open_is_named_in_words(qtbot: QtBot, memory_keyring: Any) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    page = dialog.page(DevicesPage)
    page._on_camera_failed("auto")
    assert page.camera_status.text() == "No camera was found; the preview shows the test pattern."
    assert "auto" not in page.camera_status.text()


@pytest.mark.parametrize("language", ["en", "zh_CN", "ja"])
def test_every_field_is_labelled_and_labels_show_no_ampersand(
    qtbot: QtBot, qapp: QApplication, app_language: None, memory_keyring: Any, language: str
) -> None:
    i18n.install(qapp, language)
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.page(DestinationsPage).add_destination("youtube")
    dialog.page(FeedsPage).add_feed("json")
    for page in dialog.pages:
        mnemonics: list[str] = []
        for label in page.findChildren(QLabel):
            if "&" in label.text().replace("&&", ""):
                # A mnemonic is shown as an underline only when the label has a buddy.
                assert label.buddy() is not None, f"{language}: {label.text()!r}"
                mnemonics.append(_mnemonic(label.text()))
        for button in page.findChildren(QAbstractButton):
            if "&" in button.text().replace("&&", ""):
                mnemonics.append(_mnemonic(button.text()))
        assert len(mnemonics) == len(set(mnemonics)), f"{language} {page.title()}: {mnemonics}"
        for form in page.findChildren(QFormLayout):
            for row in range(form.rowCount()):
                field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
                label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                field = field_item.widget() if field_item is not None else None
                if isinstance(field, (QProgressBar, QComboBox, QLineEdit, QSpinBox)):
                    label = label_item.widget() if label_item is not None else None
                    assert isinstance(label, QLabel) and label.text(), f"{language}: {field}"


def _mnemonic(text: str) -> str:
    index = text.replace("&&", "").index("&")
    return text.replace("&&", "")[index + 1].lower()


def test_facebook_needs_rtmps_and_the_dialog_stays_open_naming_the_problem(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.page(DestinationsPage).add_destination("facebook")
    dialog.page(DestinationsPage).server.setEditText("rtmp://live-api-s.facebook.com:80/rtmp/")
    dialog.accept()
    assert dialog.isVisible()
    assert "RTMPS" in dialog.error_label.text()
    assert not settings_path().exists()


def test_preset_limits_are_shown_and_applied(qtbot: QtBot, memory_keyring: Any) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.page(EncoderPage).video_kbps_spin.setValue(9000)
    dialog.page(EncoderPage).keyframe_spin.setValue(5)
    dialog.page(DestinationsPage).add_destination("twitch")
    assert "6000 kbps" in dialog.page(DestinationsPage).warnings.text()
    assert "keyframe" in dialog.page(DestinationsPage).warnings.text()
    dialog.page(DestinationsPage).apply_recommended_button.click()
    assert dialog.page(EncoderPage).video_kbps_spin.value() == 3000  # 720p30 on Twitch
    assert dialog.page(EncoderPage).keyframe_spin.value() == 2
    assert dialog.page(DestinationsPage).warnings.text() == ""


def test_devices_page_shows_a_live_preview_off_the_qt_thread(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.page(DevicesPage).camera_combo.setCurrentIndex(
        dialog.page(DevicesPage).camera_combo.findData("test")
    )
    dialog.show_page(DevicesPage)
    qtbot.waitUntil(
        lambda: not dialog.page(DevicesPage).camera_preview_label.pixmap().isNull(), timeout=5000
    )
    preview = dialog.page(DevicesPage).camera_preview
    assert preview is not None and preview.is_running()
    dialog.reject()
    assert not preview.is_running()


def test_a_keyring_that_hangs_on_save_does_not_freeze_the_window(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    release = threading.Event()
    slow_set = memory_keyring.set_password

    def waiting_set_password(service: str, username: str, password: str) -> None:
        release.wait(5)  # an unlock prompt nobody answers yet
        slow_set(service, username, password)

    memory_keyring.set_password = waiting_set_password
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(DestinationsPage)
    destination = page.add_destination("youtube")
    qtbot.keyClicks(page.stream_key_field(destination.destination_id).line_edit, "k-1234-5678")
    dialog.accept()  # returns at once: the write waits in a worker
    assert dialog.isVisible() and not dialog.buttons.isEnabled()
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        release.set()
    assert "k-1234-5678" in memory_keyring.passwords.values()


def test_alt_k_puts_the_cursor_in_the_selected_destinations_key_field(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(DestinationsPage)
    first = page.add_destination("youtube")
    second = page.add_destination("twitch")
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
    assert page.key_label.text() == "Stream &key:"
    QTest.keyClick(dialog, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    assert page.stream_key_field(second.destination_id).line_edit.hasFocus()
    page.select_destination(first.destination_id)
    QTest.keyClick(dialog, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    assert page.stream_key_field(first.destination_id).line_edit.hasFocus()


def test_a_twitch_chat_feed_takes_a_websocket_address(qtbot: QtBot, memory_keyring: Any) -> None:
    settings = Settings(feeds=[FeedSettings("f1", "twitch-chat", "https://example.com/chat")])
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    page = dialog.page(FeedsPage)
    assert page.feed_list.item(0).text().startswith("Twitch chat — ")
    dialog.accept()
    assert (
        dialog.error_label.text() == "Feed Twitch chat: The URL must start with wss:// (or ws://)."
    )
    page.url.setText("wss://eventsub.example/ws")
    page.url.textEdited.emit("wss://eventsub.example/ws")
    _save(qtbot, dialog)
    assert load_settings().feeds[0].url == "wss://eventsub.example/ws"


def test_a_feed_token_in_the_url_is_refused_masked_in_the_list_and_kept_in_the_keyring(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.SeCrEt123"
    # A URL with its token, as an older settings file kept it for this run.
    settings = Settings(
        feeds=[FeedSettings("f1", "json", f"https://feeds.example.com/c?room=7&jwt={token}")]
    )
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(FeedsPage)
    dialog.show_page(FeedsPage)
    listed = page.feed_list.item(0).text()
    assert token not in listed and "SeCrEt" not in listed
    assert listed == "JSON feed (comments and orders) — https://feeds.example.com/c?room=7&jwt=****"
    hint = "The URL holds a token or a password: put the token in the Token field"
    assert page.url_error.text().startswith(hint)
    token_field = page.feed_token_field("f1")
    token_y = token_field.mapTo(dialog, token_field.rect().topLeft()).y()

    dialog.accept()  # refused: the dialog stays open, naming the feed and what to do
    assert dialog.isVisible()
    assert dialog.error_label.text().startswith("Feed JSON feed (comments and orders): " + hint)
    assert not settings_path().exists()

    page.url.selectAll()
    qtbot.keyClicks(page.url, "https://feeds.example.com/c?room=7")
    assert page.url_error.text() == ""
    assert token_field.mapTo(dialog, token_field.rect().topLeft()).y() == token_y  # no jump
    qtbot.keyClicks(token_field.line_edit, token)
    _save(qtbot, dialog)

    assert memory_keyring.passwords[("anchordesk", secrets.feed_token_name("f1"))] == token
    for path in _files_under(paths.user_config_dir()):
        assert b"SeCrEt" not in path.read_bytes(), path
    assert load_settings().feeds[0].url == "https://feeds.example.com/c?room=7"


def test_typing_a_feed_url_with_a_token_shows_the_hint_in_chinese(
    qtbot: QtBot, memory_keyring: Any, qapp: QApplication, app_language: None
) -> None:
    i18n.install(qapp, "zh_CN")
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(FeedsPage)
    page.add_feed("json")
    qtbot.keyClicks(page.url, "https://api.example.com/orders?access_token=abc123def456")
    assert page.url_error.text() == "地址里含有令牌或密码：请把令牌填到“令牌”一栏，地址里不要带它。"
    item = page.feed_list.item(0)
    assert "abc123def456" not in item.text() + item.toolTip()
