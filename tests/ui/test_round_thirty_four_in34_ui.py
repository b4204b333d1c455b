"""Round thirty-four, inputs (R34in34), in the window: a destination's server URL whose port is
a short non-number passed the settings' check and failed at every push; a feed's token sent over
plain http:// to another computer without a word."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from anchordesk.core import secrets
from anchordesk.live.settings import PRESETS, Settings, check_server_url, settings_path
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.destinations_page import DestinationsPage
from anchordesk.ui.settings.feeds_page import FeedsPage


@pytest.fixture(autouse=True)
def fresh_secret_store() -> Iterator[None]:
    secrets.store().reset()
    yield
    secrets.store().reset()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("rtmp://live.example:abc/live2", "the port 'abc' of the server URL is not a number"),
        ("rtmp://live.example:0/live2", "the port '0' of the server URL is not a number"),
        ("rtmp://live.example:99999/live2", "the port '99999' of the server URL is not"),
        ("rtmp://live.example:/live2", "the port of the server URL is empty"),
        ("rtmps://[::1]:8o/live2", "the port '8o' of the server URL is not a number"),
    ],
)
def test_a_server_urls_port_that_is_no_number_is_refused_by_the_check(url: str, said: str) -> None:
    problem = check_server_url(PRESETS["custom"], url)
    assert problem is not None and problem.startswith(said), problem
    assert check_server_url(PRESETS["custom"], "rtmp://live.example:1935/live2") is None


def test_the_window_refuses_a_server_url_whose_port_is_no_number(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    # The settings took "rtmp://live.example:abc/live2" and every push of the show then failed
    # "the port must be a number".
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(DestinationsPage)
    page.add_destination("custom")
    server_edit = page.server.lineEdit()
    assert server_edit is not None
    server_edit.selectAll()
    qtbot.keyClicks(server_edit, "rtmp://live.example:abc/live2")
    qtbot.keyClick(server_edit, Qt.Key.Key_Tab)
    words = "The port in the server URL must be a number from 1 to 65535."
    assert page.server_error.text() == words
    dialog.accept()
    assert dialog.isVisible()
    assert words in dialog.error_label.text()
    assert not settings_path().exists()


def _type_url(page: FeedsPage, url: str) -> None:
    page.url.selectAll()
    QTest.keyClicks(page.url, url)


def test_a_feed_token_over_plain_http_to_another_computer_is_said_under_the_url(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    # (Its zh_CN and ja words are in translations/*.ts; the window reads the catalogues of the
    # installed checkout, so they are checked by test_i18n's completeness once merged.)
    words = "The token is sent unencrypted (no https://)"
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page(FeedsPage)
    page = dialog.page(FeedsPage)
    feed = page.add_feed("json")
    token = page.feed_token_field(feed.feed_id)
    _type_url(page, "http://192.168.1.20:8080/feed")
    assert page.url_error.text() == ""  # no token: nothing is sent
    QTest.keyClicks(token.line_edit, "tok9aZ3kQ7pL2mX8vB4n")
    assert words in page.url_error.text()
    _type_url(page, "http://127.0.0.1:8080/feed")  # this computer's own bridge
    assert page.url_error.text() == ""
    _type_url(page, "https://bridge.example/feed")
    assert page.url_error.text() == ""
    _type_url(page, "http://bridge.example/feed")
    assert words in page.url_error.text()
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        dialog.accept()  # said, not refused (a LAN bridge may have no https://)


def test_a_token_in_a_feed_urls_path_is_said_to_stay_as_an_empty_parameter(
    qtbot: QtBot, memory_keyring: Any
) -> None:
    # Told "keep the URL without it", a user took ";token=" out too: the bridge, which reads
    # its token in the path, was then sent a header it does not read.
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page(FeedsPage)
    page = dialog.page(FeedsPage)
    page.add_feed("json")
    _type_url(page, "https://bridge.example/feed;token=tok9aZ3kQ7pL2mX8vB4n")
    assert page.url_error.text() == (
        "The token is in the URL's path: put it in the Token field and keep ;token= with "
        "nothing after it."
    )
    _type_url(page, "https://bridge.example/feed;token=")
    assert page.url_error.text() == ""
    _type_url(page, "https://bridge.example/feed?token=tok9aZ3kQ7pL2mX8vB4n")
    assert page.url_error.text().startswith("The URL holds a token or a password")
