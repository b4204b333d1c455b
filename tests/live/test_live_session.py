"""The composition root: defaults, argument checks, and LiveSession as the window will use it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from anchordesk.cli import commands
from anchordesk.core.errors import UserError
from anchordesk.live import session as app
from anchordesk.live.factory import build_live_show, plan_from_options
from anchordesk.live.options import LiveOptions
from anchordesk.media.banner import TextBanner
from anchordesk.media.packets import OutputState
from anchordesk.media.recording import RecordingOutput
from anchordesk.media.sources import SilenceSource, TestPatternSource, ToneSource


def test_devices_lists_both_kinds_even_when_there_are_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert commands.run_devices() == 0
    out = capsys.readouterr().out
    assert "Cameras" in out and "Microphones" in out
    assert "Traceback" not in out


def test_no_camera_falls_back_to_the_test_pattern_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("anchordesk.media.devices.list_cameras", lambda: [])
    monkeypatch.setattr("anchordesk.media.devices.default_microphone", lambda: None)
    caplog.set_level(logging.WARNING)
    options = LiveOptions(canvas_width=640, canvas_height=360)
    assert isinstance(app.build_video_source(options), TestPatternSource)
    assert isinstance(app.build_audio_source(options), ToneSource)
    assert "no camera found" in caplog.text and "no microphone found" in caplog.text


def test_mic_none_is_silence_and_an_unknown_mic_is_a_user_error() -> None:
    assert isinstance(app.build_audio_source(LiveOptions(microphone="none")), SilenceSource)
    with pytest.raises(UserError, match="--mic"):
        app.build_audio_source(LiveOptions(microphone="no such microphone"))


def test_record_path_problems_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        app.recording_path(LiveOptions(record_path=tmp_path / "missing" / "show.mkv"))
    with pytest.raises(UserError, match="is a folder"):
        app.recording_path(LiveOptions(record_path=tmp_path))
    assert app.recording_path(LiveOptions(record=False)) is None
    default = app.recording_path(LiveOptions())
    assert default is not None and default.suffix == ".mkv" and default.parent.is_dir()


def test_nothing_to_do_is_a_user_error() -> None:
    with pytest.raises(UserError, match="nothing to do"):
        options = LiveOptions(record=False, camera="test", microphone="none")
        build_live_show(options, plan_from_options(options))


def test_a_live_session_runs_on_asyncio_and_finishes_its_files(tmp_path: Path) -> None:
    options = LiveOptions(
        canvas_width=320,
        canvas_height=180,
        seconds=1.5,
        video_kbps=300,
        camera="test",
        microphone="test",
    )
    record = tmp_path / "session.mkv"
    samples: list[dict[str, object]] = []
    session = app.LiveSession(
        options,
        overlays=[TextBanner("彩排 rehearsal")],
        outputs=[RecordingOutput(record)],
        video_source=TestPatternSource(320, 180, 30),
        audio_source=ToneSource(48000),
    )
    session.on_stats.append(samples.append)
    session.start()
    try:
        asyncio.run(session.run(asyncio.Event()))
    finally:
        session.stop()
    assert session.pipeline is not None
    assert session.pipeline.counters().frames_encoded == 45
    assert samples and samples[0]["outputs"]
    status = session.outputs[0].status()
    assert status.state in (OutputState.STOPPED, OutputState.LIVE)
    assert record.stat().st_size > 10_000
    # stop() twice is harmless (the window may call it from two places).
    session.stop()


def test_summary_line_names_fps_drops_and_outputs() -> None:
    line = app.summary_line(
        {
            "media_time_s": 3725.2,
            "output_fps": 30.0,
            "encode_ms_per_frame": 6.2,
            "process_cpu_percent": 80,
            "dropped_frames_render_total": 2,
            "outputs": [{"name": "rtmp://a/live/****", "state": "live", "bitrate_kbps": 2500.0}],
        }
    )
    assert line.startswith("01:02:05")
    assert "dropped 2" in line and "rtmp://a/live/****: live 2500 kbps" in line
