"""The pipeline thread: tick at the frame rate, composite, encode once, fan out.

Frame ``n`` is due at ``start + n / fps`` on the media clock and carries pts ``n`` (time base
1/fps), so video timestamps never drift from the clock. Audio is timestamped by sample count and
pulled, after each video frame, up to that frame's end time: both follow the same clock, and the
A/V offset stays under one AAC frame forever (see benchmarks/av_drift.py).

When a tick comes late by a whole frame interval or more, the frames whose time has passed are
skipped (pts jumps, dts stays strictly increasing) and counted as dropped at the stage that took
the time (render, encode or network). Nothing queues up inside the pipeline: a source hands over
only its newest frame and outputs queue (and drop) on their own side.

Nothing is encoded while no output wants packets (a rehearsal with Record off and no
destination): the picture is still composited for the preview, the microphone still drained,
but the encoder is not fed (about half a core of x264 at 720p30 saved). It is fed again, from a
keyframe, on the frame after the first output starts; what the encoder still held from before
the pause is dropped. Each output's stream starts at zero (``RebasedOutput``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from anchordesk.media.buffers import NewestItemBuffer
from anchordesk.media.clock import PAUSED_S, MediaClock, MonotonicClock
from anchordesk.media.compositor import Compositor
from anchordesk.media.encoder import AAC_FRAME_SAMPLES, Encoder
from anchordesk.media.layers import OverlayLayer, OverlaySource
from anchordesk.media.packets import (
    EncodedPacket,
    PacketOutput,
    RebasedOutput,
    output_wants_packets,
)
from anchordesk.media.sources.base import AudioSource, VideoSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineCounters:
    """Totals since the start; the stats take differences between two snapshots."""

    media_time_s: float
    frames_encoded: int
    dropped_render: int
    dropped_encode: int
    dropped_network: int  # ticks lost to a slow output send (outputs count their own drops too)
    render_s_total: float
    encode_s_total: float
    video_bytes: int
    audio_bytes: int
    audio_samples: int
    last_video_pts_s: float
    last_audio_pts_s: float
    running: bool
    encoding: bool = False  # the encoder is being fed (an output wants packets)
    frames_composited: int = 0  # pictures made, for the preview and (when encoding) the outputs


# A tick of over PAUSED_S in which the process used less than this share of one processor
# did no work: the process was stopped (a slow stage computes: x264, the overlays).
_WORKED: Final = 0.1


class Pipeline:
    """One thread; every method here is safe to call from another thread."""

    def __init__(
        self,
        *,
        compositor: Compositor,
        encoder: Encoder,
        video_source: VideoSource,
        audio_source: AudioSource | None,
        outputs: Sequence[PacketOutput],
        overlays: Sequence[OverlaySource] = (),
        fps: int = 30,
        duration_s: float | None = None,
        clock: MediaClock | None = None,
        lateness_budget_s: float = 0.15,
    ) -> None:
        self._compositor = compositor
        self._encoder = encoder
        self._video_source = video_source
        self._audio_source = audio_source
        # Each output's stream starts at zero; an output that rebases on its own (a switch
        # whose attached outputs each start a new stream) says so with ``starts_at_zero``.
        self._outputs: list[PacketOutput] = [
            output if getattr(output, "starts_at_zero", False) else RebasedOutput(output)
            for output in outputs
        ]
        self._overlays = list(overlays)
        self._fps = fps
        self._total_frames = None if duration_s is None else max(1, round(duration_s * fps))
        self._clock: MediaClock = clock or MonotonicClock()
        # A frame may come this late without a drop: a single slow frame (a font loaded, an
        # overlay re-rendered, the OS scheduling something else) is caught up by the next ones.
        self._lateness_budget_s = max(lateness_budget_s, 1.0 / fps)
        self._audio_rate = encoder.settings.audio_rate_hz
        self._stop = threading.Event()
        self.finished = threading.Event()
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._failed_overlays: set[int] = set()
        self._failed_outputs: set[int] = set()
        self._preview_wanted = False
        self._preview: NewestItemBuffer[npt.NDArray[np.uint8]] = NewestItemBuffer()
        self._source_preview_wanted = False
        self._source_preview: NewestItemBuffer[npt.NDArray[np.uint8]] = NewestItemBuffer()
        # Counters: written by the pipeline thread only, read as a snapshot.
        self._media_time_s = 0.0
        self._frames_encoded = 0
        self._frames_composited = 0
        self._dropped = {"render": 0, "encode": 0, "network": 0}
        self._render_s_total = 0.0
        self._encode_s_total = 0.0
        self._video_bytes = 0
        self._audio_bytes = 0
        self._audio_samples = 0
        self._last_video_pts_s = 0.0
        self._last_audio_pts_s = 0.0
        self._last_dts: dict[str, int] = {}
        self._encoding = False
        # Packets timed before these (frames, samples) are what the encoder held when it was
        # last paused: no output wants them.
        self._resumed_at: dict[str, int] = {"video": 0, "audio": 0}

    # --- control ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pipeline", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to finish the current frame, flush the encoder and return."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def set_video_source(self, source: VideoSource) -> None:
        """Switch the picture (camera, still, test pattern); the caller starts/stops sources."""
        with self._lock:
            self._video_source = source

    def set_overlays(self, overlays: Sequence[OverlaySource]) -> None:
        with self._lock:
            self._overlays = list(overlays)
            self._failed_overlays.clear()

    def request_preview(self) -> npt.NDArray[np.uint8] | None:
        """The latest composited frame copied at most once per call (UI preview timer).

        Returns the copy made for the previous request, so the pipeline never waits for the UI.
        """
        self._preview_wanted = True
        stamped = self._preview.latest()
        return None if stamped is None else stamped.item

    @property
    def canvas_size(self) -> tuple[int, int]:
        return self._compositor.size

    def request_source_preview(self) -> npt.NDArray[np.uint8] | None:
        """The latest camera picture before any overlay, copied at most once per call: studio
        mode's staged preview draws what Take would put on air over it, not over the program's
        own card and countdown."""
        self._source_preview_wanted = True
        stamped = self._source_preview.latest()
        return None if stamped is None else stamped.item

    def counters(self) -> PipelineCounters:
        return PipelineCounters(
            media_time_s=self._media_time_s,
            frames_encoded=self._frames_encoded,
            dropped_render=self._dropped["render"],
            dropped_encode=self._dropped["encode"],
            dropped_network=self._dropped["network"],
            render_s_total=self._render_s_total,
            encode_s_total=self._encode_s_total,
            video_bytes=self._video_bytes,
            audio_bytes=self._audio_bytes,
            audio_samples=self._audio_samples,
            last_video_pts_s=self._last_video_pts_s,
            last_audio_pts_s=self._last_audio_pts_s,
            running=self._thread is not None and not self.finished.is_set(),
            encoding=self._encoding,
            frames_composited=self._frames_composited,
        )

    # --- pipeline thread -------------------------------------------------------------------

    def _fan_out(self, packets: list[EncodedPacket]) -> None:
        for packet in packets:
            if packet.pts < self._resumed_at[packet.kind]:
                continue
            last_dts = self._last_dts.get(packet.kind)
            if last_dts is not None and packet.dts <= last_dts:
                # Muxers reject non-increasing dts; an encoder that emits one is a bug worth a
                # log line, not a dead stream.
                log.warning(
                    "dropping a %s packet with dts %d after %d", packet.kind, packet.dts, last_dts
                )
                continue
            self._last_dts[packet.kind] = packet.dts
            if packet.kind == "video":
                self._video_bytes += len(packet.data)
                self._last_video_pts_s = packet.pts_s
            else:
                self._audio_bytes += len(packet.data)
                self._last_audio_pts_s = packet.pts_s
            for output in self._outputs:
                try:
                    output.send(packet)
                except Exception:
                    if id(output) not in self._failed_outputs:
                        self._failed_outputs.add(id(output))
                        log.exception("output %s failed to take a packet", output.name)

    def _an_output_wants_a_keyframe(self) -> bool:
        # Optional hook of PacketOutput (see media/packets.py): asked every frame, so it is a
        # flag read, and each output answers True once per request.
        wanted = False
        for output in self._outputs:
            hook = getattr(output, "wants_keyframe", None)
            if hook is not None and hook():
                wanted = True
        return wanted

    def _layers(self, media_s: float, overlays: list[OverlaySource]) -> list[OverlayLayer]:
        layers: list[OverlayLayer] = []
        size = self._compositor.size
        for source in overlays:
            try:
                layers.extend(source.layers(media_s, size))
            except Exception:
                # A broken overlay must not take the stream down; say so once.
                if id(source) not in self._failed_overlays:
                    self._failed_overlays.add(id(source))
                    log.exception("overlay %r failed; it is left out", source)
        return layers

    def _an_output_wants_packets(self) -> bool:
        wanted = False
        for output in self._outputs:
            try:
                wanted = output_wants_packets(output) or wanted
            except Exception:
                if id(output) not in self._failed_outputs:
                    self._failed_outputs.add(id(output))
                    log.exception("output %s failed to say whether it records", output.name)
        return wanted

    def _update_encoding(self, frame_index: int) -> bool:
        """Feed the encoder or not, for this frame; on resuming, from a keyframe."""
        wanted = self._an_output_wants_packets()
        if wanted and not self._encoding:
            # The AAC encoder emits each frame's packet one frame late (its priming).
            self._resumed_at = {
                "video": frame_index,
                "audio": self._audio_samples - AAC_FRAME_SAMPLES,
            }
            self._encoder.request_keyframe()
            log.info("encoding from %.2f s: an output started", frame_index / self._fps)
        elif self._encoding and not wanted:
            log.info("encoding paused at %.2f s: no output wants packets", frame_index / self._fps)
        self._encoding = wanted
        return wanted

    def _pull_audio(self, until_sample: int) -> None:
        source = self._audio_source
        if source is None:
            return
        while self._audio_samples + AAC_FRAME_SAMPLES <= until_sample:
            # Read even when nothing is encoded: a microphone's queue must keep draining (and
            # the level meter reads what passes here).
            samples = source.read(AAC_FRAME_SAMPLES)
            if self._encoding:
                self._fan_out(self._encoder.encode_audio(samples, self._audio_samples))
            self._audio_samples += AAC_FRAME_SAMPLES

    def _tick(self, frame_index: int) -> tuple[float, float, float]:
        media_s = frame_index / self._fps
        self._media_time_s = media_s
        with self._lock:
            video_source = self._video_source
            overlays = self._overlays
        clock = self._clock
        started, started_on_clock = time.perf_counter(), clock.now_s()
        frame = video_source.frame(media_s)
        canvas = self._compositor.compose(frame, self._layers(media_s, overlays))
        self._frames_composited += 1
        if self._preview_wanted:
            self._preview_wanted = False
            self._preview.put(canvas.copy())
        if self._source_preview_wanted:
            self._source_preview_wanted = False
            self._source_preview.put(frame.bgr.copy())
        rendered, rendered_on_clock = time.perf_counter(), clock.now_s()
        packets: list[EncodedPacket] = []
        if self._update_encoding(frame_index):
            if self._an_output_wants_a_keyframe():
                self._encoder.request_keyframe()
            packets = self._encoder.encode_video(canvas, frame_index)
            self._frames_encoded += 1
        encoded, encoded_on_clock = time.perf_counter(), clock.now_s()
        self._fan_out(packets)
        sent, sent_on_clock = time.perf_counter(), clock.now_s()
        # Audio is pulled on time even before a frame-threaded encoder emits its first video
        # packet (a few frames late): a microphone's queue must keep draining. Each output
        # decides where its stream starts (a network connection at a video keyframe).
        self._pull_audio((frame_index + 1) * self._audio_rate // self._fps)
        # The sound's encoding is the encode stage's: timed with the sending, a slow AAC
        # encode (10 s of sound caught up after a pause) was counted as network drops.
        pulled, pulled_on_clock = time.perf_counter(), clock.now_s()
        self._render_s_total += rendered - started
        self._encode_s_total += encoded - rendered
        # Which stage made a frame late is judged on the media clock (an injected clock in tests
        # and simulations); perf_counter is added for its finer resolution on the real one.
        return (
            rendered - started + rendered_on_clock - started_on_clock,
            encoded - rendered + encoded_on_clock - rendered_on_clock
            + pulled - sent + pulled_on_clock - sent_on_clock,
            sent - encoded + sent_on_clock - encoded_on_clock,
        )  # fmt: skip

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as error:
            self.error = error
            log.error("pipeline stopped: %s", error)
        finally:
            self.finished.set()

    def _loop(self) -> None:
        clock = self._clock
        interval_s = 1.0 / self._fps
        # The first frame loads fonts, renders every overlay and spins up the encoder's threads
        # (100-200 ms); the clock starts when it is done so that start-up costs no frame.
        stage_times = self._tick(0)
        frame_index = 1
        start_s = ticked_s = clock.now_s() - interval_s
        tick_began_s, tick_began_cpu_s = start_s, time.process_time()
        while self._total_frames is None or frame_index < self._total_frames:
            due_s = start_s + frame_index * interval_s
            if clock.sleep_until(due_s, self._stop):
                break
            now_s = clock.now_s()
            late_s = now_s - due_s
            if late_s > self._lateness_budget_s:
                # Behind by more than the jitter budget: skip the frames whose time has passed
                # rather than build up latency that never drains.
                skipped = int(late_s * self._fps)
                if self._total_frames is not None:
                    skipped = min(skipped, self._total_frames - 1 - frame_index)
                # Late while it only waited for the frame's time, or through a tick in which
                # the whole process did (almost) no work: the program was paused. Those frames
                # were counted as dropped by whichever stage took longest in the last frame (a
                # 4 s Ctrl+Z: "dropped 119", as the render's or the network's).
                gone_s = now_s - tick_began_s
                worked_s = time.process_time() - tick_began_cpu_s
                paused_s = now_s - max(ticked_s, due_s)
                if paused_s <= PAUSED_S and gone_s > PAUSED_S and worked_s < _WORKED * gone_s:
                    paused_s = gone_s
                if skipped > 0 and paused_s > PAUSED_S:
                    log.info(
                        "no picture was made for %.1f s (this program was paused, or given no "
                        "processor time): %d frames skipped, no stage's drop",
                        paused_s,
                        skipped,
                    )
                    frame_index += skipped
                elif skipped > 0:
                    stage = ("render", "encode", "network")[stage_times.index(max(stage_times))]
                    self._dropped[stage] += skipped
                    log.debug(
                        "late by %.1f ms at frame %d: skipping %d (render %.1f ms, "
                        "encode %.1f ms, send %.1f ms)",
                        late_s * 1000,
                        frame_index,
                        skipped,
                        *(t * 1000 for t in stage_times),
                    )
                    frame_index += skipped
            tick_began_s, tick_began_cpu_s = clock.now_s(), time.process_time()
            stage_times = self._tick(frame_index)
            ticked_s = clock.now_s()
            frame_index += 1
        self._finish(frame_index)

    def _finish(self, frame_count: int) -> None:
        if self._total_frames is not None and frame_count >= self._total_frames:
            # Audio up to the very end of the last frame, so both tracks last --seconds.
            end_sample = frame_count * self._audio_rate // self._fps
            self._pull_audio(end_sample + AAC_FRAME_SAMPLES - 1)
        if self._encoding:
            self._fan_out(self._encoder.flush())
