"""Round twenty-seven of issue 10, the window (fix27set: R27hunt27ui F2, F4)."""

from __future__ import annotations

import json
from typing import Any

from pytestqt.qtbot import QtBot

from anchordesk.live.settings import load_settings, settings_path
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.feeds_page import FeedsPage


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_settings_holding_a_newer_version_s_deep_value_open_and_save_in_the_dialog(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """A feed of a kind this version does not know, kept as read, holding a value nested 700
    deep (and a destination's new field as deep): Ctrl+, ended in "AnchorDesk: unexpected
    error" (RecursionError from the dialog's deep copy of the settings), every time, so the
    settings could never be changed in the window. The dialog opens, saves, and the file
    keeps the newer version's data."""
    deep = _nested(700)
    path = settings_path(make=True)
    feed = {"id": "fx", "kind": "tiktok-live", "url": "https://example.com/x", "extra": deep}
    destination = {"id": "d1", "name": "Studio", "server_url": "rtmp://127.0.0.1/live"}
    path.write_text(
        json.dumps({"feeds": [feed], "destinations": [{**destination, "future": deep}]}),
        encoding="utf-8",
    )
    settings = load_settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.page(FeedsPage).feed_list.count() == 0  # not this version's kind
    saved: list[object] = []
    dialog.settings_saved.connect(saved.append)
    dialog.accept()
    qtbot.waitUntil(lambda: bool(saved), timeout=10000)
    written = json.loads(path.read_text("utf-8"))
    assert written["format"] == 1  # written by the dialog (the file had none)
    assert written["feeds"] == [feed]
    assert written["destinations"][0]["future"] == deep
