"""After a restart without a keyring the stream key is gone: pre-flight says why and offers to
type it, and the dialog's own checks turn green once it is typed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from anchordesk.core import secrets
from anchordesk.live.destinations import stream_key_present
from anchordesk.live.settings import Destination, Settings
from anchordesk.ui.golive import FAIL, OK, GoLiveDialog, PreflightFacts
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.destinations_page import DestinationsPage


@pytest.fixture
def no_keyring() -> Iterator[None]:
    secrets.store().reset()
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)
    secrets.store().reset()


def _facts() -> PreflightFacts:
    return PreflightFacts(True, "cam", True, "mic", True, "30 fps", (), False, False, -12.0)


def test_a_key_lost_with_the_last_run_says_why_and_can_be_typed_again(
    qtbot: QtBot, no_keyring: None
) -> None:
    destination = Destination("d1", "Shop", "custom", "rtmp://127.0.0.1:9/live")
    typed_for: list[str] = []

    def type_the_key(_parent: QWidget, destination_id: str) -> bool:
        typed_for.append(destination_id)
        secrets.set_secret(secrets.stream_key_name(destination_id), "k-123456")
        return True

    with ThreadPoolExecutor(2) as pool:
        dialog = GoLiveDialog(
            [destination], "d1", False, _facts, stream_key_present, pool,
            connect_timeout_s=0.5, edit_stream_key=type_the_key,
        )  # fmt: skip
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.results["key"].status == FAIL, timeout=5000)
        detail = dialog.results["key"].detail
        assert "no system keyring" in detail and "Settings" in detail
        assert "Error" not in detail
        assert dialog.fix_key.isVisible()
        with qtbot.waitSignal(dialog.settings_changed, timeout=1000):
            dialog.fix_key.click()
        assert typed_for == ["d1"]
        qtbot.waitUntil(lambda: dialog.results["key"].status == OK, timeout=5000)
        assert not dialog.fix_key.isVisible()
        dialog.reject()


def test_settings_open_on_the_destination_key_field(qtbot: QtBot, memory_keyring: object) -> None:
    settings = Settings(
        destinations=[
            Destination("d1", "One", "custom", "rtmp://a.example/live"),
            Destination("d2", "Two", "custom", "rtmp://b.example/live"),
        ]
    )
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.open_stream_key("d2")
    page = dialog.page(DestinationsPage)
    assert dialog.tabs.currentWidget() is page
    current = page.current_destination()
    assert current is not None and current.destination_id == "d2"
    qtbot.waitUntil(lambda: page.stream_key_field("d2").line_edit.hasFocus(), timeout=3000)
