"""Nothing is encoded while nothing is recorded or pushed, and every output starts at zero.

The pipeline runs on an injected clock with the real encoder and real sources; outputs are
attached and detached at chosen media times from the pipeline thread itself (an overlay's hook),
so the frame each change takes effect at is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from anchordesk.media.clock import ManualClock
from anchordesk.media.compositor import Compositor
from anchordesk.media.controls import OutputSwitch
from anchordesk.media.encoder import Encoder, EncoderSettings
from anchordesk.media.layers import OverlayLayer
from anchordesk.media.packets import (
    EncodedPacket,
    OutputState,
    OutputStatus,
    StreamTemplates,
    TimestampRebaser,
)
from anchordesk.media.pipeline import Pipeline
from anchordesk.media.sources import TestPatternSource, ToneSource

WIDTH, HEIGHT, FPS = 320, 180, 30


class CollectingOutput:
    """A packet sink that keeps what it got."""

    def __init__(self) -> None:
        self.packets: list[EncodedPacket] = []

    @property
    def name(self) -> str:
        return "collector"

    def start(self, streams: StreamTemplates) -> None:
        pass

    def send(self, packet: EncodedPacket) -> None:
        self.packets.append(packet)

    def status(self) -> OutputStatus:
        return OutputStatus("collector", "recording", OutputState.LIVE)

    def reconnect_now(self) -> None:
        pass

    def stop(self, timeout_s: float = 5.0) -> None:
        pass

    def of_kind(self, kind: str) -> list[EncodedPacket]:
        return [packet for packet in self.packets if packet.kind == kind]


class AtMediaTimes:
    """An overlay that draws nothing and runs an action when the picture reaches a time."""

    def __init__(self, actions: dict[float, Callable[[], object]]) -> None:
        self.actions = dict(actions)

    def layers(self, now_s: float, canvas_size: tuple[int, int]) -> Sequence[OverlayLayer]:
        action = self.actions.pop(round(now_s, 3), None)
        if action is not None:
            action()
        return ()


def run(
    seconds: float,
    switch: OutputSwitch,
    actions: dict[float, Callable[[], object]],
    holder: list[Pipeline] | None = None,
) -> tuple[Pipeline, list[bool]]:
    encoder = Encoder(EncoderSettings(width=WIDTH, height=HEIGHT, fps=FPS, video_kbps=300))
    switch.start(encoder.templates)
    previews: list[bool] = []

    def look_at_preview() -> None:
        previews.append(pipeline.request_preview() is not None)

    actions = {**actions, 0.5: look_at_preview, 0.6: look_at_preview}
    pipeline = Pipeline(
        compositor=Compositor(WIDTH, HEIGHT),
        encoder=encoder,
        video_source=TestPatternSource(WIDTH, HEIGHT, FPS),
        audio_source=ToneSource(48000),
        outputs=[switch],
        overlays=[AtMediaTimes(actions)],
        fps=FPS,
        duration_s=seconds,
        clock=ManualClock(),
    )
    if holder is not None:
        holder.append(pipeline)  # for the actions, which run on the pipeline's thread
    pipeline.start()
    assert pipeline.finished.wait(60)
    encoder.close()
    assert pipeline.error is None
    return pipeline, previews


def seconds_of(packets: list[EncodedPacket]) -> list[float]:
    return [packet.pts_s for packet in packets]


def test_with_nothing_attached_nothing_is_encoded_but_the_preview_goes_on() -> None:
    switch = OutputSwitch("recording", "recording")
    pipeline, previews = run(2.0, switch, {})
    counters = pipeline.counters()
    assert counters.frames_encoded == 0
    assert counters.video_bytes == counters.audio_bytes == 0
    assert not counters.encoding
    assert counters.media_time_s > 1.9  # the picture ran the whole time
    assert previews[-1]  # and the preview was drawn


def test_the_encoder_runs_only_while_an_output_is_attached_and_each_starts_at_zero() -> None:
    switch = OutputSwitch("recording", "recording")
    first, second = CollectingOutput(), CollectingOutput()
    encoding_seen: dict[str, bool] = {}
    pipeline_box: list[Pipeline] = []

    def note(name: str) -> Callable[[], None]:
        def look() -> None:
            encoding_seen[name] = pipeline_box[0].counters().encoding

        return look

    actions: dict[float, Callable[[], object]] = {
        1.0: lambda: switch.attach(first),
        1.5: note("attached"),
        2.0: lambda: switch.detach(),
        2.5: note("detached"),
        3.0: lambda: switch.attach(second),
    }
    pipeline, _ = run(4.0, switch, actions, pipeline_box)

    # Frames 30-59 and 90-119: one second each, nothing before, between or after.
    assert pipeline.counters().frames_encoded == 2 * FPS
    assert encoding_seen == {"attached": True, "detached": False}
    for output in (first, second):
        video = output.of_kind("video")
        audio = output.of_kind("audio")
        # Its own stream: the first packet is a keyframe at zero, audio alongside from zero.
        assert video[0].is_keyframe and video[0].pts == video[0].dts == 0
        assert 0.0 <= audio[0].pts_s < 0.05
        assert all(p.dts >= 0 for p in output.packets)
        # One second of picture (less the few frames the encoder still held at the end).
        assert 0.8 < video[-1].pts_s < 1.0
        assert abs(audio[-1].pts_s - video[-1].pts_s) < 0.1
        assert all(b > a for a, b in zip(seconds_of(video), seconds_of(video)[1:], strict=False))
    # The second output never gets a picture the encoder held from the first one's time.
    assert len(second.of_kind("video")) <= FPS


def packet(kind: str, pts: int, keyframe: bool = False) -> EncodedPacket:
    time_base = Fraction(1, FPS) if kind == "video" else Fraction(1, 48000)
    return EncodedPacket(kind, b"x", pts, pts, time_base, keyframe)  # type: ignore[arg-type]


def test_the_rebaser_starts_at_the_first_keyframe_and_keeps_the_audio_timed_after_it() -> None:
    rebaser = TimestampRebaser()
    out: list[EncodedPacket] = []
    # A frame-threaded encoder hands the keyframe of frame 300 (10 s) out after audio of 10.0
    # to 10.1 s went by; audio from before 10 s and a picture before the keyframe do not belong.
    out += rebaser.rebase(packet("audio", 479_232))  # 9.984 s
    out += rebaser.rebase(packet("video", 299))
    out += rebaser.rebase(packet("audio", 480_000))  # 10.000 s
    out += rebaser.rebase(packet("audio", 481_024))
    assert out == []
    out += rebaser.rebase(packet("video", 300, keyframe=True))
    out += rebaser.rebase(packet("video", 301))
    out += rebaser.rebase(packet("audio", 482_048))
    assert [(p.kind, p.pts, p.dts) for p in out] == [
        ("video", 0, 0),
        ("audio", 0, 0),
        ("audio", 1024, 1024),
        ("video", 1, 1),
        ("audio", 2048, 2048),
    ]
    assert rebaser.origin_s == 10.0
    rebaser.reset()
    assert rebaser.rebase(packet("video", 400)) == []
    assert rebaser.rebase(packet("video", 401, keyframe=True))[0].pts == 0
