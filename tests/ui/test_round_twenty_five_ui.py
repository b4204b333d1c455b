"""Round twenty-five's window findings (R25hunt25ui), fixed by hunt25uifix."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.ui import conftest
from tests.ui.conftest import open_control_room, small_options, small_show


def test_a_camera_and_microphone_chosen_again_are_no_longer_blamed_by_the_go_live_check(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settings naming a camera and a microphone that are gone, then Settings → Devices →
    Automatic / Default microphone and OK: the picture restarted on devices that open, yet the
    go-live check still said "the camera /dev/video9 chosen in Settings cannot be opened" for
    the run's whole life (R25hunt25ui F1). It follows the last start now."""
    camera = str(tmp_path / "video9")
    options = replace(small_options(), camera=camera, microphone="Gone USB microphone")
    monkeypatch.setattr(conftest, "small_options", lambda: options)
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    facts = controller.preflight_facts()
    assert facts.camera_missing == camera and facts.microphone_missing == "Gone USB microphone"
    # Other devices chosen: the picture restarts on them and they open.
    controller._options_override = replace(options, camera="test", microphone="none")
    show = controller.live.show if controller.live is not None else small_show()
    with qtbot.waitSignal(controller.session_started, timeout=20000):
        controller._restart(lambda: controller.start_with_show(show, controller.show_path))
    assert controller.live is not None
    facts = controller.preflight_facts()
    assert (facts.camera_missing, facts.microphone_missing) == ("", "")
    window._quitting = True
    controller.shutdown()
