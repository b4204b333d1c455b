"""Round ten of issue 10, met through the window (under Xvfb, keyboard only): a closing signal
while the window asks something, and the other faults of round ten's window report
(/work/hunt/R10ui.md). Real parts: a TCP server that holds the RTMP connection (the black
hole), the real pipeline, recording and network child; a real ``os.kill``."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from servers import BlackHole

from anchordesk.core import secrets
from anchordesk.live.settings import Destination, Settings
from anchordesk.ui import crash
from anchordesk.ui.main_window import MainWindow

from .conftest import open_control_room


def _live_window(qtbot: QtBot, executor: Any, tmp_path: Path, black_hole: BlackHole) -> MainWindow:
    folder = tmp_path / "recordings"
    folder.mkdir()
    secrets.set_secret(secrets.stream_key_name("hole"), "night-key-1")
    settings = Settings(
        destinations=[
            Destination("hole", "Studio", "custom", f"rtmp://127.0.0.1:{black_hole.port}/live")
        ],
        active_destination_id="hole",
        record=True,
        record_asked=True,
        recordings_dir=str(folder),
    )
    window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
    window.controller.go_live("hole", record=True)
    qtbot.waitUntil(lambda: black_hole.accepted >= 1, timeout=20000)
    qtbot.waitUntil(lambda: window.controller.is_live, timeout=20000)
    return window


def test_a_closing_signal_while_quit_while_live_is_asked_closes_the_window(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    black_hole: BlackHole,
    memory_keyring: Any,
    monkeypatch: Any,
) -> None:
    """Ctrl+Q while live asks "Stop streaming and quit?"; a SIGTERM then (a logout, the
    terminal closed) closed the question as Cancel and left the window, which Qt counted as
    already closing, open and live (under Xvfb: still pushing 10 s later)."""
    window = _live_window(qtbot, executor, tmp_path, black_hole)
    monkeypatch.setattr(crash, "_termination_requested", False, raising=False)
    previous = {
        name: signal.signal(getattr(signal, name), signal.SIG_DFL) for name in crash.CLOSING_SIGNALS
    }
    asked: list[str] = []

    def signal_while_asked() -> None:
        box = QApplication.activeModalWidget()
        asked.append(box.windowTitle() if box is not None else "")
        os.kill(os.getpid(), signal.SIGTERM)

    try:
        crash.close_windows_on_sigterm()
        # Fires inside the question's own loop, once it shows (the real QMessageBox).
        QTimer.singleShot(0, signal_while_asked)
        window.close()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
    assert asked == [window.tr("Quit while live")]
    qtbot.waitUntil(lambda: window.controller.live is None, timeout=10000)
