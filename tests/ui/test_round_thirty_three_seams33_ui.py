"""Round thirty-three's window findings of the seams (seams33): the window writes a figure as
its other surfaces do."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room


def test_the_go_live_check_writes_the_frame_rate_as_stream_health_does(
    qtbot: QtBot, executor: ThreadPoolExecutor, tmp_path: Path, qt_asyncio_loop: object
) -> None:
    """Before: the go-live check's encoder line said "30 fps" for a picture at 29.6 fps that
    Stream health wrote "29.6", and "0 fps" for one at 0.4 fps it called working."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    health_panel = window.health
    for fps in (29.6, 0.4):
        controller.health = replace(controller.health, fps=fps)
        health_panel.update_health(controller.health)
        shown = health_panel.values["fps"].text()
        assert shown == f"{fps:.1f}"
        facts = controller.preflight_facts()
        assert facts.encoder_detail == f"{shown} fps"
    window._quitting = True
    controller.shutdown()
