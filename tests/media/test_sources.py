"""Sources as the pipeline sees them: the test pattern, the tone, a video file as a camera, a
still image, the slate of a lost camera, and the microphone's drift handling."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from anchordesk.core.errors import UserError
from anchordesk.media.sources import (
    CameraSource,
    MicrophoneSource,
    SilenceSource,
    SourceState,
    StillImageSource,
    TestPatternSource,
    ToneSource,
)
from anchordesk.media.sources.microphone import SampleRing


def test_the_test_pattern_moves_and_shows_the_frame_number() -> None:
    pattern = TestPatternSource(640, 360, 30)
    first = pattern.frame(0.0).bgr.copy()
    later = pattern.frame(0.5)
    assert later.bgr.shape == (360, 640, 3)
    assert later.sequence == 2
    changed = np.argwhere((first != later.bgr).any(axis=2))
    # The sweeping bar and the text changed; the colour bars elsewhere did not.
    assert 0 < len(changed) < 640 * 360 // 4


def test_the_test_pattern_burns_in_the_media_time_and_frame_number_as_opencv_draws_them() -> None:
    pattern = TestPatternSource(1280, 720, 30)
    picture = pattern.frame(12.345).bgr.copy()
    # What cv2.putText draws for the first line, where the pattern puts it (text box at
    # x=24, y=586, 55-pixel lines, baseline a quarter line up, 12 pixels in).
    expected = np.zeros((55, 700, 3), np.uint8)
    cv2.putText(
        expected,
        "00:00:12.345  frame 0000370",
        (0, 42),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.1,
        (255, 255, 255),
        2,
        cv2.LINE_AA,
    )
    drawn = picture[586 : 586 + 55, 36 : 36 + 700].astype(np.int16)
    assert (np.abs(drawn - expected) > 64).mean() < 0.001
    # A different frame shows a different number in the same place.
    later = pattern.frame(12.378).bgr
    assert (later[586:641, 36:736] != picture[586:641, 36:736]).any()


def test_the_test_pattern_flashes_at_each_whole_second() -> None:
    pattern = TestPatternSource(640, 360, 30)
    flash_corner = (30, 640 - 40)  # inside the flash square (top right)
    on = pattern.frame(3.02).bgr[flash_corner]
    assert (on == 255).all()
    off = pattern.frame(3.5).bgr[flash_corner]
    assert not (off == 255).all()


def test_the_tone_is_audible_phase_continuous_and_beeps_on_the_second() -> None:
    tone = ToneSource(48000)
    chunks = [tone.read(1024).copy() for _ in range(94)]  # about two seconds
    samples = np.concatenate(chunks, axis=1)
    assert samples.shape[0] == 2
    assert np.array_equal(samples[0], samples[1])
    # No click between reads: neighbouring samples never jump more than one sine step allows.
    steps = np.abs(np.diff(samples[0]))
    beep_edges = {4800 - 1, 48000 + 4800 - 1, 48000 - 1}
    big = set(np.flatnonzero(steps > 2 * np.pi * 1000 / 48000 * 0.5 + 1e-3))
    assert big <= beep_edges
    beep_level = np.sqrt(np.mean(samples[0, 48000 : 48000 + 4800] ** 2))
    tone_level = np.sqrt(np.mean(samples[0, 10000:40000] ** 2))
    assert beep_level > 3 * tone_level > 0.05


def test_silence_is_silent() -> None:
    assert not SilenceSource().read(1024).any()


@pytest.fixture(scope="module")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (Debian: apt install ffmpeg)")
    path = tmp_path_factory.mktemp("camera") / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30:duration=0.5",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


def wait_for(predicate: object, timeout_s: float = 10.0) -> bool:
    # Waiting on a real thread reading a real file: a condition poll, not a timing assumption.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_a_video_file_used_as_a_camera_gives_frames_and_loops(video_file: Path) -> None:
    camera = CameraSource(str(video_file), width=320, height=240, fps=30)
    camera.start()
    try:
        assert wait_for(lambda: camera.status().state is SourceState.ACTIVE)
        frame = camera.frame(0.0)
        assert frame.bgr.shape == (240, 320, 3)
        assert "320x240" in camera.status().detail
        # The clip lasts 15 frames; a looping file keeps delivering well beyond that.
        assert wait_for(lambda: camera.frame(0.0).sequence > 40)
        assert camera.status().lost_count == 0
    finally:
        camera.stop()


def test_a_missing_video_file_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no such file"):
        CameraSource("/nonexistent/clip.mp4")


def test_an_unreachable_stream_shows_the_slate_and_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.media.sources.camera")
    camera = CameraSource(
        "rtmp://127.0.0.1:1/live/cam", width=320, height=180, retry_interval_s=0.02
    )
    camera.start()
    try:
        assert wait_for(lambda: camera.status().state is SourceState.LOST)
        assert wait_for(lambda: camera.open_attempts >= 5)
        # Said once, not once per retry or per frame.
        assert len([r for r in caplog.records if "cannot be opened" in r.getMessage()]) == 1
        slate = camera.frame(0.0).bgr
        assert slate.shape == (180, 320, 3)
        # The slate says so in text: not a black frame.
        assert np.count_nonzero(slate > 200) > 100
    finally:
        camera.stop()
    assert camera.status().state is SourceState.STOPPED


def test_a_camera_whose_frames_stop_coming_is_reported_lost() -> None:
    now = [100.0]
    camera = CameraSource("rtmp://127.0.0.1:1/live/cam", lost_after_s=2.0, monotonic=lambda: now[0])
    # As if the grab thread had delivered a frame and then the device went quiet.
    camera._buffer.put(np.zeros((720, 1280, 3), np.uint8))
    camera._state = SourceState.ACTIVE
    camera._last_frame_at_s = 100.0
    assert camera.frame(0.0).bgr.max() == 0
    now[0] = 102.5
    assert camera.status().state is SourceState.LOST
    assert camera.frame(0.0).bgr.max() > 200  # the slate


def test_a_still_image_file(tmp_path: Path) -> None:
    path = tmp_path / "商品.png"  # a non-ASCII name, as users' files are
    picture = np.zeros((90, 160, 3), np.uint8)
    picture[:, :, 2] = 255
    cv2.imencode(".png", picture)[1].tofile(str(path))
    still = StillImageSource.from_file(path)
    frame = still.frame(1.0)
    assert (frame.bgr[:, :, 2] == 255).all()
    assert still.frame(2.0).sequence == frame.sequence  # scaled once by the compositor


def test_a_file_that_is_not_an_image_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(UserError, match="not an image"):
        StillImageSource.from_file(path)


def test_the_sample_ring_wraps_and_fills_both_channels_from_mono() -> None:
    ring = SampleRing(capacity=8, channels=1)
    ring.write(np.arange(6, dtype=np.float32).reshape(-1, 1))
    out = np.zeros((2, 4), np.float32)
    ring.read_into(out, 0, 4)
    assert out.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]]
    ring.write(np.arange(6, 12, dtype=np.float32).reshape(-1, 1))  # wraps around
    out2 = np.zeros((2, 8), np.float32)
    ring.read_into(out2, 0, 8)
    assert out2[0].tolist() == [4, 5, 6, 7, 8, 9, 10, 11]


def _active_microphone() -> MicrophoneSource:
    microphone = MicrophoneSource(None, 48000, target_latency_s=0.02)
    microphone._state = SourceState.ACTIVE  # as after a successful open
    return microphone


def test_the_microphone_pads_with_silence_when_short_and_counts_it() -> None:
    microphone = _active_microphone()
    block = np.full((1024, 2), 0.25, np.float32)
    microphone._callback(block, 1024, None, None)
    microphone._callback(block, 1024, None, None)
    assert np.allclose(microphone.read(1024), 0.25)
    microphone.read(1024)
    short = microphone.read(1024)  # only nothing left
    assert not short.any()
    assert microphone.status().underruns >= 1


def test_a_fast_microphone_does_not_build_up_latency() -> None:
    microphone = _active_microphone()
    block = np.zeros((1024, 2), np.float32)
    # The device delivers 1 % more than the pipeline reads, for a simulated minute.
    backlogs = []
    for index in range(2800):
        microphone._callback(block, 1024, None, None)
        if index % 100 == 0:
            microphone._callback(block[:1024], 1024, None, None)  # the surplus
        microphone.read(1024)
        backlogs.append(microphone._ring.available())
    assert max(backlogs[-500:]) < 48000 * 0.1  # latency stays under 100 ms


def test_a_lost_microphone_reads_silence() -> None:
    microphone = _active_microphone()
    microphone._callback(np.ones((2048, 2), np.float32), 2048, None, None)
    microphone._state = SourceState.LOST
    assert not microphone.read(1024).any()


def test_a_lost_camera_comes_back_by_itself(video_file: Path, tmp_path: Path) -> None:
    # A stream URL (not a looped file): absent at first, then its end is a loss like an unplug.
    target = tmp_path / "later.mp4"
    camera = CameraSource(f"file://{target}", width=320, height=240, retry_interval_s=0.05)
    camera.start()
    try:
        assert wait_for(lambda: camera.status().state is SourceState.LOST)
        assert camera.frame(0.0).bgr.shape == (240, 320, 3)  # the slate, at the canvas size
        shutil.copy(video_file, target)
        assert wait_for(lambda: camera.status().state is SourceState.ACTIVE)
        # The 0.5 s clip ends: lost once (counted), reopened, and active again.
        assert wait_for(lambda: camera.status().lost_count >= 1)
        assert wait_for(lambda: camera.status().state is SourceState.ACTIVE)
    finally:
        camera.stop()
