"""Round twenty-four of issue 10, the window (hunt24ui)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.ui import conftest
from tests.ui.conftest import open_control_room, small_options

from anchordesk.live.settings import Settings


def test_a_camera_and_microphone_of_the_settings_that_are_gone_give_stand_ins_said_in_words(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settings naming a camera that is gone (/dev/video9, unplugged) and a microphone that is
    gone: the window opened with no show and no picture, said once as the command line's
    "--camera /dev/video9: no such file", naming an option the window never takes. Now the
    show runs on the test pattern and the test tone, the window says in its own words which
    devices cannot be opened, and the go-live check says it again."""
    camera = str(tmp_path / "video9")
    options = replace(small_options(), camera=camera, microphone="Gone USB microphone")
    monkeypatch.setattr(conftest, "small_options", lambda: options)
    said: list[str] = []
    window = open_control_room(
        qtbot,
        executor,
        tmp_path,
        [],
        settings=Settings(record=False, record_asked=True),
    )
    controller = window.controller
    controller.message.connect(said.append)
    lines = [*said, *window.messages.lines()]
    assert controller.live is not None  # the show and the picture run
    assert controller.live.media.video_source.name == "test pattern"
    assert any(f"The camera {camera} chosen in Settings cannot be opened" in t for t in lines)
    assert any("The microphone Gone USB microphone chosen in Settings" in t for t in lines)
    assert not any("--camera" in t or "--mic" in t for t in lines), lines
    facts = controller.preflight_facts()
    assert facts.camera_missing == camera and facts.microphone_missing == "Gone USB microphone"
    window._quitting = True
    controller.shutdown()
