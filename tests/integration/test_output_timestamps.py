"""Every output's stream starts at zero, whatever the session's media time (real parts).

The window's way of running: one picture for the whole run, the recording and the destination
on switches. A rehearsal records for a while, then the show goes live on nginx-rtmp (which
records what it received); ffprobe reads the three files. Before, the destination's stream and
the live session's recording started at the media time of going live (nginx reported 164 s for
about 25 s of stream).
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest
from servers import NginxRtmp, ffprobe_json, media_packet_times_s

from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.model import Product, Segment, Show

pytestmark = pytest.mark.integration

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM")),
)


def start_and_length_s(path: Path) -> tuple[float, float]:
    """ffprobe's start time and duration of the file (what players and platforms show)."""
    data = ffprobe_json(path, "-show_entries", "format=start_time,duration")
    fmt = data["format"]
    return float(fmt["start_time"]), float(fmt["duration"])


def media_time_s(live: LiveShow) -> float:
    pipeline = live.media.pipeline
    assert pipeline is not None
    return pipeline.counters().media_time_s


async def wait_media(live: LiveShow, seconds: float) -> None:
    """Until the picture has run ``seconds`` more (the real clock drives it)."""
    until_s = media_time_s(live) + seconds
    deadline = time.monotonic() + seconds * 4 + 10
    while media_time_s(live) < until_s:
        assert time.monotonic() < deadline, "the picture stopped"
        await asyncio.sleep(0.05)


def test_recordings_and_the_destination_start_at_zero(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    options = LiveOptions(
        camera="test",
        microphone="test",
        canvas_width=320,
        canvas_height=180,
        video_kbps=300,
        record=False,
    )
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    plan = LiveShowPlan(
        show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[], recordings_dir=recordings
    )
    live = build_live_show(options, plan, switched=True)
    live.media.start()
    media_at: dict[str, float] = {}

    async def run() -> None:
        await wait_media(live, 2.0)  # the picture alone: nothing recorded, nothing encoded
        live.begin_session(SessionMode.REHEARSAL)
        media_at["rehearsal"] = media_time_s(live)
        await wait_media(live, 3.0)
        await live.go_live(nginx_rtmp.url("timestamps"))
        media_at["live"] = media_time_s(live)
        await asyncio.to_thread(nginx_rtmp.wait_for_recording, 20_000, 30.0)
        await wait_media(live, 4.0)
        media_at["stopped"] = media_time_s(live)
        await live.stop_live()
        await live.close()

    try:
        asyncio.run(run())
    finally:
        live.shutdown()

    assert media_at["live"] >= 4.9  # the session's media time when the stream began
    rehearsal = next(recordings.glob("rehearsal_*.mkv"))
    live_copy = next(recordings.glob("live_*.mkv"))
    received = nginx_rtmp.wait_for_recording()[-1]
    figures = {name: start_and_length_s(path) for name, path in (
        ("rehearsal", rehearsal), ("live", live_copy), ("nginx", received)
    )}  # fmt: skip
    print("ffprobe start_time, duration (s):", figures, "media times (s):", media_at)
    live_s = media_at["stopped"] - media_at["live"]
    expected = {
        "rehearsal": media_at["live"] - media_at["rehearsal"],
        "live": live_s,
        "nginx": live_s,
    }
    for name, (start_s, length_s) in figures.items():
        assert abs(start_s) < 0.1, f"{name} starts at {start_s} s"
        # The stream's own length (the last frames the encoder held at a stop may be missing;
        # nginx gets its first keyframe only once connected).
        assert expected[name] - 1.5 < length_s < expected[name] + 0.5, (name, length_s)
    # Picture and sound start together in each file.
    for path in (rehearsal, live_copy, received):
        first_video = media_packet_times_s(path, "v")[0][0]
        first_audio = media_packet_times_s(path, "a")[0][0]
        assert abs(first_video - first_audio) < 0.1, (path.name, first_video, first_audio)
