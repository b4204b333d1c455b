"""A/V drift over a simulated hour on the media clock (no waiting: an injected clock).

The real Pipeline runs for an hour of media time on a ManualClock, with the same scheduling,
frame-dropping and audio pulling code as a live run. Only the H.264/AAC work is replaced by an
encoder that emits one packet per frame with the input timestamps (what libx264 without
B-frames and AAC do), so the hour takes seconds. Two things can drift:

- the timestamps: video pts come from the frame index, audio pts from the sample count; the
  offset between the end of the audio and the end of the video is sampled after every frame;
- the content: a microphone's crystal runs fast or slow against the media clock (here +-200 ppm,
  a poor USB microphone), and the scheduler is late by a random 0-12 ms every frame. The
  microphone's backlog (its latency) must stay bounded instead of growing with time.

Prints the largest A/V timestamp offset (target: under one frame, 33.3 ms at 30 fps) and the
microphone latency range for each crystal error.

    .venv/bin/python benchmarks/av_drift.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from anchordesk.media.clock import ManualClock
from anchordesk.media.compositor import Compositor
from anchordesk.media.encoder import AAC_FRAME_SAMPLES, EncoderSettings
from anchordesk.media.packets import EncodedPacket, OutputState, OutputStatus, StreamTemplates
from anchordesk.media.pipeline import Pipeline
from anchordesk.media.sources import MicrophoneSource, SourceState, StillImageSource

FPS = 30
RATE_HZ = 48000


class TimestampEncoder:
    """Packets with the timestamps a real encoder gives, without the encoding work."""

    def __init__(self, settings: EncoderSettings) -> None:
        self.settings = settings

    def encode_video(self, bgr: npt.NDArray[np.uint8], pts: int) -> list[EncodedPacket]:
        return [EncodedPacket("video", b"", pts, pts, Fraction(1, FPS), pts % (2 * FPS) == 0, 1)]

    def encode_audio(self, planar: npt.NDArray[np.float32], pts: int) -> list[EncodedPacket]:
        return [
            EncodedPacket("audio", b"", pts, pts, Fraction(1, RATE_HZ), True, AAC_FRAME_SAMPLES)
        ]

    def flush(self) -> list[EncodedPacket]:
        return []


class SimulatedMicrophone(MicrophoneSource):
    """The real MicrophoneSource read path, fed by a device whose clock is off by ``ppm``."""

    def __init__(self, clock: ManualClock, ppm: float) -> None:
        super().__init__(None, RATE_HZ)
        self._sim_clock = clock
        self._device_rate = RATE_HZ * (1 + ppm / 1e6)
        self._delivered = 0
        self._block = np.zeros((256, 2), np.float32)  # the device delivers 256-sample blocks
        self._state = SourceState.ACTIVE
        self.backlog_ms: list[float] = []

    def read(self, sample_count: int) -> npt.NDArray[np.float32]:
        due = int(self._sim_clock.now_s() * self._device_rate)
        while self._delivered + 256 <= due:
            self._callback(self._block, 256, None, None)
            self._delivered += 256
        out = super().read(sample_count)
        self.backlog_ms.append(self._ring.available() * 1000 / RATE_HZ)
        return out


class JitteryClock(ManualClock):
    """Wakes up late by a random 0-12 ms, as a loaded laptop does."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self._random = random.Random(seed)

    def sleep_until(self, deadline_s: float, stop: threading.Event) -> bool:
        stopped = super().sleep_until(deadline_s, stop)
        self.advance(self._random.uniform(0.0, 0.012))
        return stopped


class OffsetProbe:
    """Records, as each video packet arrives, how far the audio sent so far ends from the end of
    the video sent so far (both complete up to the previous frame)."""

    name = "probe"

    def __init__(self) -> None:
        self.video_end_s = 0.0
        self.audio_end_s = 0.0
        self.offsets_s: list[float] = []
        self.video_packets = 0

    def start(self, streams: StreamTemplates) -> None:
        pass

    def send(self, packet: EncodedPacket) -> None:
        end_s = float((packet.pts + packet.duration) * packet.time_base)
        if packet.kind == "video":
            if self.video_packets:
                self.offsets_s.append(self.audio_end_s - self.video_end_s)
            self.video_end_s = end_s
            self.video_packets += 1
        else:
            self.audio_end_s = end_s

    def status(self) -> OutputStatus:
        return OutputStatus("probe", "recording", OutputState.LIVE)

    def reconnect_now(self) -> None:
        pass

    def stop(self, timeout_s: float = 5.0) -> None:
        pass


def simulate(minutes: float, ppm: float, seed: int) -> dict[str, Any]:
    clock = JitteryClock(seed)
    microphone = SimulatedMicrophone(clock, ppm)
    probe = OffsetProbe()
    settings = EncoderSettings(width=160, height=90, fps=FPS, audio_rate_hz=RATE_HZ)
    pipeline = Pipeline(
        compositor=Compositor(160, 90),
        encoder=TimestampEncoder(settings),  # type: ignore[arg-type]
        video_source=StillImageSource(np.zeros((90, 160, 3), np.uint8)),
        audio_source=microphone,
        outputs=[probe],
        fps=FPS,
        duration_s=minutes * 60,
        clock=clock,
    )
    started = time.perf_counter()
    pipeline.start()
    pipeline.finished.wait()
    if pipeline.error is not None:
        raise pipeline.error
    counters = pipeline.counters()
    offsets_ms = np.array(probe.offsets_s) * 1000
    backlog = np.array(microphone.backlog_ms[len(microphone.backlog_ms) // 60 :])  # after warm-up
    return {
        "ppm": ppm,
        "frames": counters.frames_encoded,
        "dropped": counters.dropped_render + counters.dropped_encode + counters.dropped_network,
        "video_end_s": probe.video_end_s,
        "audio_end_s": probe.audio_end_s,
        "max_abs_offset_ms": float(np.abs(offsets_ms).max()),
        "final_offset_ms": (probe.audio_end_s - probe.video_end_s) * 1000,
        "mic_latency_ms": (float(backlog.min()), float(backlog.max())),
        "underruns": microphone.status().underruns,
        "cpu_s": time.perf_counter() - started,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="A/V drift over a simulated hour")
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    frame_ms = 1000 / FPS
    print(
        f"{args.minutes:.0f} simulated minutes at {FPS} fps, {RATE_HZ} Hz, scheduler late by "
        f"0-12 ms each frame; one frame = {frame_ms:.1f} ms"
    )
    worst = 0.0
    for ppm in (-200.0, 0.0, 200.0):
        result = simulate(args.minutes, ppm, seed=int(ppm) + 1000)
        worst = max(worst, result["max_abs_offset_ms"])
        low, high = result["mic_latency_ms"]
        print(
            f"  microphone {ppm:+5.0f} ppm: {result['frames']} frames "
            f"({result['dropped']} dropped), video ends {result['video_end_s']:.3f} s, audio "
            f"ends {result['audio_end_s']:.3f} s; A/V offset max {result['max_abs_offset_ms']:.1f}"
            f" ms, at the end {result['final_offset_ms']:+.1f} ms; microphone latency "
            f"{low:.0f}-{high:.0f} ms ({result['underruns']} underruns); "
            f"simulated in {result['cpu_s']:.0f} s"
        )
    verdict = "under" if worst < frame_ms else "NOT under"
    print(
        f"largest A/V timestamp offset: {worst:.1f} ms = {worst / frame_ms:.2f} frame "
        f"({verdict} one frame)"
    )
    return 0 if worst < frame_ms else 1


if __name__ == "__main__":
    raise SystemExit(main())
