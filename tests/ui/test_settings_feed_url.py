"""Settings → Feeds holds a feed's URL to the command line's rule (``feeds.spec``), says why in
the window's language, and never saves a feed ``--feed`` would refuse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from anchordesk.core import secrets
from anchordesk.core.errors import UserError
from anchordesk.live.options import parse_feed
from anchordesk.live.settings import FeedSettings, Settings, load_settings, settings_path
from anchordesk.ui import i18n
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.feeds_page import FeedsPage


@pytest.fixture(autouse=True)
def fresh_secret_store() -> Iterator[None]:
    secrets.store().reset()
    yield
    secrets.store().reset()


@pytest.fixture
def app_language(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.install(qapp, "en")


def _feeds_dialog(qtbot: QtBot, settings: Settings) -> tuple[SettingsDialog, FeedsPage]:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page(FeedsPage)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
    return dialog, dialog.page(FeedsPage)


def _type_url(dialog: SettingsDialog, page: FeedsPage, url: str) -> None:
    """Alt+U to the URL field, select what is there, type the new one, as a user would."""
    QTest.keyClick(dialog, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    assert page.url.hasFocus()
    QTest.keyClick(page.url, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(page.url, url)


def test_a_url_the_cli_refuses_is_said_under_the_field_and_not_saved(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    """Before: the page only looked at the scheme, so `http://[::1/feed` was saved and the
    session's feed failed when it started; `anchordesk live --feed` refused the same URL."""
    dialog, page = _feeds_dialog(qtbot, Settings())
    QTest.keyClick(dialog, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # A&dd: a JSON feed
    qtbot.waitUntil(lambda: page.feed_list.count() == 1, timeout=3000)  # Qt's animated click

    _type_url(dialog, page, "http://[::1/feed")
    hint = "An IPv6 address in a URL is written in [brackets]."
    assert page.url_error.text() == hint
    QTest.keyClick(page.url, Qt.Key.Key_Return)  # OK: refused, the dialog stays open
    assert dialog.isVisible()
    assert dialog.error_label.text() == "Feed JSON feed (comments and orders): " + hint
    assert not settings_path().exists()

    _type_url(dialog, page, "http://127.0.0.1:80a/feed")
    assert page.url_error.text() == "The port '80a' is not a number from 1 to 65535."

    _type_url(dialog, page, "http://[::1]:8080/feed")
    assert page.url_error.text() == ""
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        QTest.keyClick(page.url, Qt.Key.Key_Return)
    assert [(f.kind, f.url) for f in load_settings().feeds] == [("json", "http://[::1]:8080/feed")]


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("json", "http://[::1/feed"),
        ("json", "http://127.0.0.1:abc/feed"),
        ("json", "http://127.0.0.1:70000/feed"),
        ("json", "http://127.0.0.1/f\x01"),
        ("json", "http://"),
        ("json", ""),
        ("youtube-chat", "ftp://example.com/chat"),
        ("twitch-chat", "https://api.twitch.tv/helix"),
        ("twitch-chat", "wss://[::1/ws"),
        ("rehearsal", "ws://127.0.0.1:9/feed"),
        ("json", "https://feeds.example.com/c?room=7"),
        ("twitch-chat", "wss://eventsub.example/ws"),
        ("rehearsal", ""),
        ("json", "HTTPS://[::1]:8443/feed"),
    ],
)
def test_the_window_refuses_exactly_what_the_command_line_refuses(
    qtbot: QtBot, memory_keyring: Any, kind: str, url: str
) -> None:
    try:
        parse_feed(f"{kind}={url}")
        cli_refuses = False
    except UserError:
        cli_refuses = True
    dialog = SettingsDialog(Settings(feeds=[FeedSettings("f1", kind, url)]))
    qtbot.addWidget(dialog)
    refused = dialog.validate()
    assert (refused is not None) == cli_refuses, refused
    page = dialog.page(FeedsPage)
    assert bool(page.url_error.text()) == cli_refuses


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh_CN", "数据源 Twitch 聊天：地址必须以 wss://（或 ws://）开头。"),
        ("ja", "フィード Twitch チャット：URL は wss://（または ws://）で始めてください。"),
    ],
)
def test_the_refusal_is_in_the_windows_language(
    qtbot: QtBot,
    memory_keyring: Any,
    qapp: QApplication,
    app_language: None,
    language: str,
    said: str,
) -> None:
    i18n.install(qapp, language)
    settings = Settings(feeds=[FeedSettings("f1", "twitch-chat", "https://example.com/chat")])
    dialog, page = _feeds_dialog(qtbot, settings)
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.error_label.text() == said
    assert page.url_error.text() == said.split("：", 1)[1]
    assert not settings_path().exists()
