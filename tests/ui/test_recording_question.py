"""The first rehearsal asks whether to record (nothing is recorded, nothing encoded, until the
answer), remembers the answer in the settings, and a later run does not ask again. The
recording's size and free disk space show in the status bar."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from anchordesk.live.settings import (
    Settings,
    save_settings,
    settings_from_dict,
    settings_to_dict,
)
from anchordesk.media.disk_space import FreeSpaceGuard
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.recording_parts import RecordingQuestion

from .conftest import open_control_room
from .test_round_fifteen_ui import tooltip_as_shown

GB = 1000**3


def first_run_window(
    qtbot: QtBot, executor: ThreadPoolExecutor, tmp_path: Path, saved: list[dict[str, Any]]
) -> MainWindow:
    # A first run: the settings as a new user has them, recordings into a folder of the test.
    settings = Settings(recordings_dir=str(tmp_path / "videos"))
    return open_control_room(
        qtbot,
        executor,
        tmp_path,
        [],
        settings=settings,
        save=lambda s: saved.append(settings_to_dict(s)),
    )


def the_question(qtbot: QtBot, window: MainWindow) -> RecordingQuestion:
    qtbot.waitUntil(lambda: window.recording_question is not None, timeout=10000)
    box = window.recording_question
    assert box is not None and box.isVisible()
    return box


def recordings(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "videos").glob("*.mkv"))


def close(window: MainWindow) -> None:
    window._quitting = True
    window.controller.shutdown()


def test_the_first_rehearsal_asks_and_records_once_answered(
    qtbot: QtBot, executor: ThreadPoolExecutor, tmp_path: Path, qt_asyncio_loop: Any
) -> None:
    saved: list[dict[str, Any]] = []
    window = first_run_window(qtbot, executor, tmp_path, saved)
    try:
        box = the_question(qtbot, window)
        # It says where and how much (about 1.2 GB an hour at the default 2.5 Mbps).
        assert str(tmp_path / "videos") in box.informativeText()
        assert "GB" in box.informativeText()
        # Until answered nothing is recorded, and nothing is encoded at all.
        live = window.controller.live
        assert live is not None and live.recording_path is None
        assert not window.record_action.isChecked()
        pipeline = live.media.pipeline
        assert pipeline is not None and pipeline.counters().frames_encoded == 0

        box.record_button.click()

        settings = window.controller.settings
        assert settings.record and settings.record_asked
        qtbot.waitUntil(lambda: bool(saved), timeout=5000)
        assert saved[-1]["record"] is True and saved[-1]["record_asked"] is True
        assert window.record_action.isChecked()
        assert window.recording_question is None
        # The running rehearsal records from now on; the status bar shows its size and the
        # free space of its disk.
        qtbot.waitUntil(lambda: live.recording_path is not None, timeout=10000)
        indicator = window.recording_indicator
        qtbot.waitUntil(lambda: indicator.isVisible() and "free" in indicator.text(), timeout=10000)
        assert indicator.text().startswith("● REC ")
        assert window.controller.health.recording_free_bytes
    finally:
        close(window)
    assert len(recordings(tmp_path)) == 1


def test_dont_record_is_remembered_and_not_asked_again(
    qtbot: QtBot, executor: ThreadPoolExecutor, tmp_path: Path, qt_asyncio_loop: Any
) -> None:
    saved: list[dict[str, Any]] = []
    window = first_run_window(qtbot, executor, tmp_path, saved)
    try:
        box = the_question(qtbot, window)
        box.skip_button.click()
        qtbot.waitUntil(lambda: bool(saved), timeout=5000)
        assert saved[-1]["record"] is False and saved[-1]["record_asked"] is True
        assert not window.record_action.isChecked()
        live = window.controller.live
        assert live is not None and live.recording_path is None
        # Preview only: the encoder is never fed, the indicator stays hidden.
        window.controller.poll_health()
        assert not window.recording_indicator.isVisible()
        assert live.media.pipeline is not None
        assert live.media.pipeline.counters().frames_encoded == 0
    finally:
        close(window)
    assert recordings(tmp_path) == []

    # The next run reads the saved answer and does not ask.
    again = settings_from_dict(saved[-1])
    assert again.record_asked and not again.record
    (tmp_path / "second").mkdir()
    pool = ThreadPoolExecutor(3, "test-ui-second")  # the first window's was shut down
    second = open_control_room(qtbot, pool, tmp_path / "second", [], settings=again)
    try:
        assert second.recording_question is None
        assert not [w for w in second.findChildren(RecordingQuestion) if w.isVisible()]
    finally:
        close(second)
        pool.shutdown(wait=True, cancel_futures=True)


def test_pressing_record_while_asked_is_the_answer(
    qtbot: QtBot, executor: ThreadPoolExecutor, tmp_path: Path, qt_asyncio_loop: Any
) -> None:
    saved: list[dict[str, Any]] = []
    window = first_run_window(qtbot, executor, tmp_path, saved)
    try:
        box = the_question(qtbot, window)
        window.record_action.trigger()
        assert window.recording_question is None and not box.isVisible()
        assert window.controller.settings.record and window.controller.settings.record_asked
        qtbot.waitUntil(lambda: bool(saved), timeout=5000)
        assert saved[-1]["record"] is True and saved[-1]["record_asked"] is True
        live = window.controller.live
        assert live is not None
        qtbot.waitUntil(lambda: live.recording_path is not None, timeout=10000)
    finally:
        close(window)


def test_a_recording_low_on_disk_stops_says_so_and_goes_on_in_a_new_file_when_there_is_room(
    qtbot: QtBot, executor: ThreadPoolExecutor, tmp_path: Path, qt_asyncio_loop: Any
) -> None:
    free = [40 * GB]

    def guard(folder: Path) -> FreeSpaceGuard:
        return FreeSpaceGuard(folder, min_free_bytes=GB, interval_s=0.0, probe=lambda _: free[0])

    settings = Settings(record=True, record_asked=True, recordings_dir=str(tmp_path / "videos"))
    window = open_control_room(
        qtbot, executor, tmp_path, [], settings=settings, controller_options={"space_guard": guard}
    )
    controller = window.controller
    try:
        live = controller.live
        assert live is not None
        qtbot.waitUntil(lambda: controller.health.recording_bytes > 10_000, timeout=10000)
        assert window.record_action.isChecked()
        first = live.recording_path
        assert first is not None
        free[0] = GB // 2  # the disk fills up
        messages: list[str] = []
        controller.message.connect(messages.append)
        qtbot.waitUntil(lambda: bool(messages), timeout=10000)
        # Said once, in words, over the picture as well as in the status bar.
        assert messages[0].startswith(
            "The recording has stopped: only 500.0 MB is left on its disk. What was recorded "
            "is kept; the show goes on. The recording goes on in a new file"
        )
        assert window.notice.newest() == messages[0]
        controller.poll_health()
        controller.poll_health()
        assert len(messages) == 1
        # Record stays on: the recording waits for room; the status bar says it is paused.
        assert window.record_action.isChecked()
        indicator = window.recording_indicator
        assert indicator.isVisible()
        assert indicator.text() == "REC paused: its disk is full · 500.0 MB free"
        # Room again (a file deleted): a new file beside the first, said once; nothing typed.
        free[0] = 40 * GB
        qtbot.waitUntil(lambda: len(recordings(tmp_path)) == 2, timeout=10000)
        qtbot.waitUntil(lambda: len(messages) == 2, timeout=10000)
        second = live.recording_path
        assert second is not None and second.name == f"{first.stem}-2.mkv"
        assert messages[1].startswith(f"Recording again into {second}: its disk has room again.")
        qtbot.waitUntil(lambda: controller.health.recording == "live", timeout=10000)
        assert indicator.text().startswith("● REC ")
        # The gap stays visible: the status bar says a part is missing, the tooltip says which.
        assert indicator.text().endswith(" · 40.0 GB free · part missing")
        tip = tooltip_as_shown(indicator.toolTip()).splitlines()
        assert tip[1:] == [str(first), str(second)]
        assert f"; recording again into {second} after a gap of 00:00:" in tip[0]
        controller.poll_health()
        assert len(messages) == 2
    finally:
        close(window)


def test_record_switched_in_settings_applies_to_the_running_rehearsal(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    controller = control_room.controller
    live = controller.live
    assert live is not None and live.recording_path is None
    # What the Settings dialog writes when "Record a local copy" is ticked, then OK.
    chosen = Settings(record=True, record_asked=True, recordings_dir=str(tmp_path / "videos"))
    chosen.devices = controller.settings.devices
    chosen.encoder = controller.settings.encoder
    save_settings(chosen)
    controller.reload_settings()
    assert control_room.record_action.isChecked()
    qtbot.waitUntil(lambda: live.recording_path is not None, timeout=10000)
    assert live.recording_path is not None
    assert live.recording_path.parent == tmp_path / "videos"
