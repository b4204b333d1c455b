"""What a rehearsal costs with Record off and nothing pushed (issue 13, point 8).

    .venv/bin/python benchmarks/encoding_on_demand.py [--seconds 20] [--canvas 1280x720]
        [--camera test|FILE]

``--camera FILE`` plays a video file as the camera (looped): a camera's picture, with its noise
and motion, costs x264 much more than the test pattern; for example
``ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30 -vf noise=alls=20:allf=t -t 30 -c:v
libx264 -crf 18 noisy.mkv``.

The window's arrangement, headless: one LiveShow on the English sample show (its cards, lower
third and ticker drawn into the picture), test pattern and test tone at 30 fps, 2500 kbps,
recording and destination on switches, a preview copied 15 times a second as the window's
preview does. Three phases of ``--seconds`` each, printed as the process CPU (all threads; 100 %
is one core), the frames composited and encoded, the encoded bitrate and the dropped frames:

- ``preview only``: nothing recorded, nothing pushed: now nothing is encoded;
- ``encoded, unused``: what a rehearsal with Record off cost before: the encoder fed every frame
  and its packets thrown away (an output that takes packets and writes nothing);
- ``recording``: a real recording into a temporary folder.

Numbers, not a test: compare the first two lines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions, parse_canvas
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.media.packets import (
    EncodedPacket,
    OutputState,
    OutputStatus,
    StreamTemplates,
)
from anchordesk.showfile.files import load_show
from anchordesk.ui.controller import sample_show_path


class DiscardingOutput:
    """Takes every packet and writes nothing: the encoder runs for nobody (the old rehearsal)."""

    name = "discard"

    def start(self, streams: StreamTemplates) -> None:
        pass

    def send(self, packet: EncodedPacket) -> None:
        pass

    def status(self) -> OutputStatus:
        return OutputStatus("discard", "recording", OutputState.LIVE)

    def reconnect_now(self) -> None:
        pass

    def stop(self, timeout_s: float = 5.0) -> None:
        pass


async def measure(live: LiveShow, label: str, seconds: float) -> None:
    pipeline = live.media.pipeline
    assert pipeline is not None
    await asyncio.sleep(2.0)  # settle: a keyframe, the recording's open, the first renders
    before = pipeline.counters()
    cpu_before = time.process_time()
    wall_before = time.monotonic()
    deadline = wall_before + seconds
    while time.monotonic() < deadline:
        pipeline.request_preview()  # the window's preview timer
        await asyncio.sleep(1 / 15)
    after = pipeline.counters()
    wall_s = time.monotonic() - wall_before
    cpu_percent = (time.process_time() - cpu_before) * 100 / wall_s
    composited = after.frames_composited - before.frames_composited
    encoded = after.frames_encoded - before.frames_encoded
    kbps = (after.video_bytes - before.video_bytes) * 8 / 1000 / wall_s
    dropped = sum(
        getattr(after, f"dropped_{stage}") - getattr(before, f"dropped_{stage}")
        for stage in ("render", "encode", "network")
    )
    print(
        f"{label:<17} cpu {cpu_percent:5.1f} %  picture {composited / wall_s:5.1f} fps  "
        f"encoded {encoded / wall_s:5.1f} fps  video {kbps:7.1f} kbps  dropped {dropped}  "
        f"encoding={after.encoding}"
    )


async def run(seconds: float, canvas: str, camera: str) -> None:
    width, height = parse_canvas(canvas)
    show_path = sample_show_path("en")
    assert show_path is not None
    options = LiveOptions(
        camera=camera,
        microphone="test",
        canvas_width=width,
        canvas_height=height,
        fps=30,
        video_kbps=2500,
        record=False,
    )
    with tempfile.TemporaryDirectory(prefix="anchordesk-bench-") as folder:
        plan = LiveShowPlan(
            show=load_show(show_path), sessions_dir=Path(folder) / "sessions", rehearsal_feeds=[]
        )
        live = build_live_show(options, plan, switched=True)
        live.preload_images()
        live.media.start()
        try:
            live.begin_session(SessionMode.REHEARSAL)
            await measure(live, "preview only", seconds)
            assert live.recording_switch is not None
            live.recording_switch.attach(DiscardingOutput())
            await measure(live, "encoded, unused", seconds)
            await asyncio.to_thread(live.recording_switch.detach)
            await live.set_recording_dir(Path(folder))
            await measure(live, "recording", seconds)
        finally:
            await live.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--canvas", default="1280x720")
    parser.add_argument("--camera", default="test", help="test, or a video file played as it")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"load average before: {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    asyncio.run(run(args.seconds, args.canvas, args.camera))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
