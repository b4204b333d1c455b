"""Each writer of a run on a full disk: it stops alone, says so once in words, and what it
wrote before stays usable (issue 10: "disk full kills the show")."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import decoded_video_frames, ffprobe_path

from anchordesk.core import logs
from anchordesk.media.compositor import Compositor
from anchordesk.media.encoder import Encoder, EncoderSettings
from anchordesk.media.packets import OutputState
from anchordesk.media.pipeline import Pipeline
from anchordesk.media.recording import RecordingOutput
from anchordesk.media.sources import TestPatternSource, ToneSource
from anchordesk.media.stats import StatsReporter
from anchordesk.show.feed_items import Comment
from anchordesk.store import StoreError, StoreWriter

from ..disks import dev_full, fill, tmpfs


def stats_reporter(path: Path) -> tuple[StatsReporter, Encoder]:
    """A real pipeline's stats (not started: the figures are zeros, the writing is real)."""
    encoder = Encoder(EncoderSettings(width=160, height=90, fps=30))
    video, audio = TestPatternSource(160, 90), ToneSource()
    pipeline = Pipeline(
        compositor=Compositor(160, 90),
        encoder=encoder,
        video_source=video,
        audio_source=audio,
        outputs=[],
        overlays=[],
        fps=30,
    )
    return StatsReporter(pipeline, [], lambda: video, lambda: audio, path), encoder


def faults_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "stopped writing" in r.getMessage()]


def test_stats_on_dev_full_stop_alone_and_say_so_once(caplog: pytest.LogCaptureFixture) -> None:
    reporter, encoder = stats_reporter(dev_full())
    try:
        for _ in range(5):
            sample = reporter.sample()  # raised OSError [Errno 28] before
            assert "output_fps" in sample  # the figures go on for the log and the window
        reporter.close()  # raised again inside stop() before
    finally:
        encoder.close()
    assert (
        reporter.fault == "--stats /dev/full: stopped writing: the disk holding /dev/full is full"
    )
    assert faults_logged(caplog) == [f"{reporter.fault}; the show goes on"]


def test_stats_on_a_disk_that_fills_end_on_a_whole_sample(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", 64) as disk:
        path = disk / "stats.jsonl"
        reporter, encoder = stats_reporter(path)
        fill(disk, leave_bytes=5000)
        try:
            for _ in range(20):
                reporter.sample()
            reporter.close()
        finally:
            encoder.close()
        assert reporter.fault is not None and "is full" in reporter.fault
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines, "the samples before the disk filled are kept"
        assert all(json.loads(line)["frames_encoded_total"] == 0 for line in lines)


def comments(first: int, count: int) -> list[Comment]:
    return [Comment("json", f"c{n}", "viewer", "x" * 2000) for n in range(first, first + count)]


def test_the_session_store_on_a_full_disk_stops_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with tmpfs(tmp_path / "disk", 256) as disk:
        writer = StoreWriter(disk / "show.sqlite")
        try:
            assert len(writer.submit_batch("json", comments(0, 5), "p1").result(10)) == 5
            fill(disk)
            with pytest.raises(StoreError, match=r"the disk holding .*show\.sqlite is full"):
                for page in range(1, 50):
                    writer.submit_batch("json", comments(page * 5, 5), f"p{page + 1}").result(10)
            # From then on every write fails at once with the same words; nothing raises
            # elsewhere and the file keeps what was committed.
            for page in range(3):
                with pytest.raises(StoreError, match="is full"):
                    writer.submit_batch("json", comments(1000 + page, 1), None).result(10)
            assert writer.fault is not None and writer.fault.startswith("session store ")
        finally:
            writer.close()
        assert len(faults_logged(caplog)) == 1
        assert not [r for r in caplog.records if "one by one" in r.getMessage()]
        (disk / "filler.bin").unlink()
        reader = StoreWriter(disk / "show.sqlite")
        try:
            kept = reader.call(lambda store: store.cursors()).result(10)
        finally:
            reader.close()
        # The cursor is the last page stored: the next run asks again for what was not kept.
        assert kept == {"json": "p1"}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    logs.setup_logging(stderr=io.StringIO(), native_crashes=False)


def test_the_log_file_on_a_full_disk_stops_alone_with_one_line(
    tmp_path: Path, restore_logging: None
) -> None:
    with tmpfs(tmp_path / "disk", 64) as disk:
        fill(disk)
        console = io.StringIO()
        logs.setup_logging(stderr=console, log_dir=disk, native_crashes=False)
        log = logging.getLogger("anchordesk.test")
        for n in range(100):
            log.info("line %d of the show", n)
        fault = logs.write_fault()
        printed = console.getvalue()
    assert fault is not None
    assert fault.startswith("log file ") and fault.endswith("anchordesk.log is full")
    assert printed.count("stopped writing") == 1, printed
    assert "Logging error" not in printed and "Traceback" not in printed
    assert "line 99 of the show" in printed  # the console goes on


def test_a_recording_on_a_disk_that_fills_keeps_what_it_wrote(tmp_path: Path) -> None:
    ffprobe_path()
    generator = PacketGenerator(width=320, height=240, fps=30)
    try:
        with tmpfs(tmp_path / "disk", 256) as disk:
            recording = RecordingOutput(disk / "show.mkv")
            recording.start(generator.templates)
            for packet in generator.packets(8.0):
                recording.send(packet)  # never raises
            recording.stop(timeout_s=10)
            status = recording.status()
            assert status.state is OutputState.FAILED
            assert recording.fault == status.last_error
            assert status.last_error is not None
            assert status.last_error.startswith("the recording stopped at 00:00:0")
            assert status.last_error.endswith(f"the disk holding {disk / 'show.mkv'} is full")
            frames = decoded_video_frames(disk / "show.mkv")
    finally:
        generator.close()
    assert frames >= 30, "what was written before the disk filled plays"


def test_a_session_store_on_a_read_only_disk_says_so(tmp_path: Path) -> None:
    # SQLite says "unable to open database file" for a read-only disk and a corrupt file
    # alike; the user needs to know which.
    with tmpfs(tmp_path / "ro", 64, read_only=True) as folder, pytest.raises(StoreError) as error:
        StoreWriter(folder / "show.sqlite")
    assert str(error.value) == f"the disk holding {folder / 'show.sqlite'} is read-only"
