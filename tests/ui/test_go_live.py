"""Go-live flow against real sockets: a destination that accepts and never answers (the RTMP
handshake hangs forever) must not freeze the window, and stopping asks first."""

from __future__ import annotations

import itertools
import socket
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from anchordesk.core.secrets import set_secret, stream_key_name
from anchordesk.live.settings import Destination
from anchordesk.ui.golive import FAIL, OK, GoLiveDialog


def _destination(port: int) -> Destination:
    return Destination("hole", "Black hole", "custom", f"rtmp://127.0.0.1:{port}/live")


def test_hung_destination_never_blocks_the_qt_thread(  # type: ignore[no-untyped-def]
    qtbot, control_room, black_hole, memory_keyring, monkeypatch
):
    window = control_room
    controller = window.controller
    controller.settings.destinations.append(_destination(black_hole.port))
    set_secret(stream_key_name("hole"), "secret-key-123")
    qtbot.waitUntil(lambda: controller.health.fps > 0, timeout=5000)

    dialog = window.open_go_live()
    assert isinstance(dialog, GoLiveDialog)
    qtbot.waitUntil(lambda: dialog.results["reachable"].status == OK, timeout=5000)
    qtbot.waitUntil(lambda: dialog.results["key"].status == OK, timeout=5000)
    assert dialog.go.isEnabled()

    # The Qt thread's heartbeat: a 10 ms timer; the gaps show any stall.
    beats: list[float] = []
    heart = QTimer()
    heart.setInterval(10)
    heart.timeout.connect(lambda: beats.append(time.monotonic()))
    heart.start()
    dialog.go.click()
    assert controller.is_live
    qtbot.waitUntil(lambda: black_hole.accepted >= 1, timeout=10000)
    qtbot.waitUntil(lambda: len(beats) > 150, timeout=10000)
    heart.stop()
    longest_gap_s = max(b - a for a, b in itertools.pairwise(beats))
    assert longest_gap_s < 1.0, "the window kept running while the handshake hung"
    assert window.health.state_label.text() != ""
    assert "secret-key-123" not in window.statusBar().currentMessage()

    # Stopping asks first; "Cancel" keeps the stream.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    window.toggle_live()
    assert controller.is_live
    assert not window.settings_action.isEnabled()  # nothing that restarts the pipeline
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.toggle_live()
    assert not controller.is_live


def test_unreachable_destination_fails_preflight_without_blocking(  # type: ignore[no-untyped-def]
    qtbot, control_room, memory_keyring
):
    window = control_room
    controller = window.controller
    # A port nobody listens on: refused at once; the check reports it and "Go live" stays off.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller.settings.destinations.append(_destination(port))
    dialog = window.open_go_live()
    qtbot.waitUntil(lambda: dialog.results["reachable"].status == FAIL, timeout=5000)
    qtbot.waitUntil(lambda: dialog.results["key"].status == FAIL, timeout=5000)  # no key stored
    assert not dialog.go.isEnabled()
    dialog.reject()
