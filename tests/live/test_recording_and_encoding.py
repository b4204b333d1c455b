"""A rehearsal as the window runs it: nothing encoded with Record off and nothing pushed; a
recording that shows its size and free space, and stops itself before its disk fills (an
injected free-space probe), nothing encoded while it waits, and a new file once there is room."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.media.disk_space import FreeSpaceGuard
from anchordesk.show.model import Product, Segment, Show

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM")),
)
GB = 1000**3


def rehearsal(tmp_path: Path, **plan: Any) -> LiveShow:
    options = LiveOptions(camera="test", microphone="test", canvas_width=320, canvas_height=180)
    live = build_live_show(
        options,
        LiveShowPlan(show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[], **plan),
        switched=True,
    )
    live.media.start()
    live.begin_session(SessionMode.REHEARSAL)
    return live


def wait_for(predicate: Callable[[], Any], what: str, timeout_s: float = 20.0) -> Any:
    """Until the running picture gets there (a condition, not a duration)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def sample(live: LiveShow) -> dict[str, Any]:
    assert live.media.stats is not None
    return live.media.stats.sample()


def recording_row(stats: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in stats["outputs"] if o["kind"] == "recording")


def test_with_record_off_and_nothing_pushed_nothing_is_encoded(tmp_path: Path) -> None:
    live = rehearsal(tmp_path, recordings_dir=None)
    try:
        pipeline = live.media.pipeline
        assert pipeline is not None
        wait_for(lambda: pipeline.counters().media_time_s >= 1.0, "a second of picture")
        stats = sample(live)
        assert stats["encoding"] is False
        assert stats["frames_encoded_total"] == 0
        assert stats["video_bitrate_kbps"] == 0 and stats["audio_bitrate_kbps"] == 0
        assert stats["recording_bytes"] == 0
        # The picture is still drawn for the preview.
        preview = wait_for(lambda: pipeline.request_preview() is not None, "the preview")
        assert preview and pipeline.request_preview().shape == (180, 320, 3)  # type: ignore[union-attr]
    finally:
        live.shutdown()


def test_a_recording_shows_its_size_and_free_space_and_stops_before_the_disk_fills(
    tmp_path: Path,
) -> None:
    free = [40 * GB]
    folders: list[Path] = []

    def guard(folder: Path) -> FreeSpaceGuard:
        folders.append(folder)
        return FreeSpaceGuard(
            folder, min_free_bytes=1 * GB, interval_s=0.0, probe=lambda _: free[0]
        )

    recordings = tmp_path / "recordings"
    recordings.mkdir()
    live = rehearsal(tmp_path, recordings_dir=recordings, space_guard=guard)
    try:
        assert folders == [recordings]
        stats = wait_for(
            lambda: (s := sample(live))["recording_bytes"] > 20_000 and s, "a recording"
        )
        assert stats["encoding"] is True
        assert stats["recording_free_bytes"] == 40 * GB
        assert recording_row(stats)["state"] == "live"
        free[0] = int(0.5 * GB)  # the disk fills up (another program, a long show)
        row = wait_for(
            lambda: (r := recording_row(sample(live)))["state"] == "waiting" and r, "the stop"
        )
        assert row["stopped_for_space"] is True
        assert "has less than 1.0 GB free: the recording stopped at" in row["last_error"]
        assert row["free_bytes"] == int(0.5 * GB)
        first = live.recording_path
        assert first is not None and row["files"] == [str(first)]
        # Nothing else records or pushes: the encoder stops while the recording waits.
        pipeline = live.media.pipeline
        assert pipeline is not None
        wait_for(lambda: not pipeline.counters().encoding, "the encoder to stop")
        frames = pipeline.counters().frames_encoded
        media_s = pipeline.counters().media_time_s
        wait_for(lambda: pipeline.counters().media_time_s > media_s + 0.3, "more picture")
        assert pipeline.counters().frames_encoded == frames
        # Room again (a file deleted): the recording goes on in a new file beside the first.
        free[0] = 40 * GB
        row = wait_for(
            lambda: (
                (r := recording_row(sample(live)))["state"] == "live" and len(r["files"]) == 2 and r
            ),
            "the second file",
        )
        second = live.recording_path
        assert second is not None and second.name == first.stem + "-2.mkv"
        assert row["files"] == [str(first), str(second)] and not row["stopped_for_space"]
        assert f"; recording again into {second} after a gap of 00:00:" in row["gaps"][0]
        assert live.media.write_faults() == row["gaps"]  # the run still says it lost a part
        written = row["bytes_written"]
        wait_for(lambda: recording_row(sample(live))["bytes_written"] > written + 10_000, "more")
    finally:
        live.shutdown()
    # Both files are kept, closed and whole.
    sizes = [p.stat().st_size for p in recordings.glob("rehearsal_*.mkv")]
    assert len(sizes) == 2 and min(sizes) > 10_000
