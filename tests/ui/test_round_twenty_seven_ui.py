"""Round twenty-seven of issue 10, the window (fix27set: R27hunt27ui F2, F4)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot
from servers import NginxRtmp

from anchordesk.live.settings import (
    Destination,
    DeviceSettings,
    Settings,
    load_settings,
    settings_path,
)
from anchordesk.ui.golive import GoLiveDialog, PreflightFacts
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.destinations_page import DestinationsPage
from anchordesk.ui.settings.devices_page import DevicesPage
from anchordesk.ui.settings.feeds_page import FeedsPage

from .conftest import going_live

# A name read right to left from the override on: "Shop clothing online" on screen.
TURNED = "Shop \u202eenilno gnihtolc"
TURNED_WRITTEN_OUT = "Shop \\u202eenilno gnihtolc"


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


def _turned_settings(server_url: str = "rtmp://127.0.0.1:1/live") -> Settings:
    return Settings(
        destinations=[Destination("d1", TURNED, "custom", server_url)],
        active_destination_id="d1",
        devices=DeviceSettings(camera="/dev/video\u202e9 kcab", microphone="USB \u202ecim"),
        record=False,
        record_asked=True,
    )


def test_go_live_to_and_the_devices_write_out_an_override_in_a_name(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """A right-to-left override in a destination's name turned "Go live to" around ("Shop
    clothing online") while the list beside it wrote it out; the camera and the microphone of
    the settings were listed turned ("/dev/videoback 9") while the go-live check wrote them
    out. Each is written out, by the one helper (escape_controls)."""
    dialog = SettingsDialog(_turned_settings())
    qtbot.addWidget(dialog)
    destinations = dialog.page(DestinationsPage)
    assert destinations.active_combo.currentText() == TURNED_WRITTEN_OUT
    assert destinations.destination_list.item(0).text() == TURNED_WRITTEN_OUT
    devices = dialog.page(DevicesPage)
    assert devices.camera_combo.currentText() == "/dev/video\\u202e9 kcab"
    assert devices.microphone_combo.currentText() == "USB \\u202ecim"
    # What is kept is the setting as written, not its shown text.
    devices.collect()
    assert dialog.settings.devices.camera == "/dev/video\u202e9 kcab"
    assert dialog.settings.devices.microphone == "USB \u202ecim"


def test_the_go_live_dialog_writes_out_an_override_in_a_destination_s_name(
    qtbot: QtBot,
) -> None:
    """The Go live dialog read "Shop (SPMTR / PMTR ムタスカ) clothing online": the override
    turned the platform's words around too."""
    pool = ThreadPoolExecutor(1)
    facts = PreflightFacts(True, "cam", True, "mic", True, "30 fps", (), False, False, -12.0)
    dialog = GoLiveDialog(
        _turned_settings().destinations,
        "d1",
        False,
        lambda: facts,
        lambda _d: True,
        pool,
        connect_timeout_s=0.2,
    )
    qtbot.addWidget(dialog)
    assert dialog.destination.currentText() == f"{TURNED_WRITTEN_OUT} (Custom RTMP / RTMPS)"
    qtbot.waitUntil(lambda: bool(dialog.results), timeout=5000)
    dialog.close()
    pool.shutdown(wait=True)


def test_going_live_and_live_on_write_out_an_override_in_a_destination_s_name(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    nginx_rtmp: NginxRtmp,
    memory_keyring: Any,
) -> None:
    """The window's lines "Going live on …" and "Live on …" took the name as it is: the
    override turned them around (on a real nginx-rtmp server, the real pipeline)."""
    settings = _turned_settings(f"rtmp://127.0.0.1:{nginx_rtmp.port}/live")
    settings.devices = DeviceSettings(camera="test", microphone="test")
    _window, said = going_live(qtbot, executor, tmp_path, settings, "d1", "turned-key-1")
    qtbot.waitUntil(lambda: f"Live on {TURNED_WRITTEN_OUT}" in said, timeout=30000)
    assert f"Going live on {TURNED_WRITTEN_OUT}…" in said, said
    assert not any("\u202e" in line for line in said), said
