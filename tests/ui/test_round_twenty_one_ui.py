"""Round twenty-one of issue 10, the window (hunt21ui)."""

from __future__ import annotations

import json

import pytest
from pytestqt.qtbot import QtBot
from tests.ui.conftest import small_controller, small_show

from anchordesk.live.settings import Settings, load_settings, settings_path


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_settings_file_with_a_number_that_is_not_finite_opens_with_the_default(
    number: str,
) -> None:
    """A settings file whose fps or port read "NaN" / "Infinity" / 1e999 (json.loads takes
    them): the window never opened, a traceback ("cannot convert float NaN to integer") and
    exit 1. Now such a field falls back to its default, as a field of the wrong type does."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"encoder": {"fps": 0, "video_kbps": 0}, "remote": {"port": 0}})
    path.write_text(
        text.replace('"fps": 0', f'"fps": {number}')
        .replace('"video_kbps": 0', f'"video_kbps": {number}')
        .replace('"port": 0', f'"port": {number}'),
        encoding="utf-8",
    )

    settings = load_settings()

    assert settings.encoder.fps == 30
    assert settings.encoder.video_kbps == 2500
    assert settings.remote.port == 8750


def test_a_settings_file_with_a_number_of_400_digits_still_opens() -> None:
    """An integer too big for a float (which math.isfinite cannot take) is still a number: it
    is brought into range as before, not a traceback."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    digits = "9" * 400
    path.write_text(
        f'{{"encoder": {{"fps": {digits}}}, "remote": {{"port": -{digits}}}}}', encoding="utf-8"
    )

    settings = load_settings()

    assert settings.encoder.fps == 60
    assert settings.remote.port == 1024


def test_a_recordings_folder_named_with_a_nul_in_the_settings_file_is_said_and_not_used() -> None:
    """settings.json naming the recordings folder "…rec\\u0000x": the rehearsal's recording
    never started (mkdir raised "embedded null byte", a ValueError, a traceback in the log),
    the Record button stayed on and the window said nothing. Now the settings say the name is
    not a folder's, in words, and the recordings go to the default folder."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"recordings_dir": "/tmp/rec\u0000x"}), encoding="utf-8")

    settings = load_settings()

    assert settings.recordings_dir is None
    said = [str(problem) for problem in settings.field_problems]
    assert any("NUL" in line and "rec\\x00x" in line for line in said), said


def test_a_recent_show_named_with_a_nul_in_the_settings_file_is_not_offered() -> None:
    """settings.json's recent shows holding "/shows/a\\u0000b.json": File → Recent offered
    it, and choosing it did nothing at all (the reading worker raised "embedded null byte",
    a traceback in the log, no word in the window). A NUL names no file: it is not offered."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    good = "/shows/good.json"
    path.write_text(json.dumps({"recent_shows": ["/shows/a\u0000b.json", good]}), encoding="utf-8")

    assert load_settings().recent_shows == [good]


def test_a_camera_of_the_settings_that_is_gone_is_one_escaped_line_not_a_traceback(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Settings naming a camera that is gone ("/dev/vid\\u0000eo0"): the log held a traceback
    for the user's mistake, with the NUL written raw, and the window's line held it raw too.
    Now one warning line, control characters escaped, in the log and in the window."""
    from anchordesk.core.errors import UserError
    from anchordesk.live import factory as factory_module  # the window builds through it

    def gone(*_args: object, **_kwargs: object) -> None:
        raise UserError("--camera /dev/vid\x00eo0: no such file")

    monkeypatch.setattr(factory_module, "build_live_show", gone)
    controller = small_controller(Settings(record=False, record_asked=True))
    said: list[str] = []
    controller.message.connect(said.append)
    controller.start_with_show(small_show())
    qtbot.waitUntil(lambda: bool(said), timeout=10000)

    assert "\x00" not in said[0] and "\\x00" in said[0], said
    lines = [r for r in caplog.records if "did not start" in r.getMessage()]
    assert lines and all(r.exc_info is None and "\x00" not in r.getMessage() for r in lines)
    controller.shutdown()
