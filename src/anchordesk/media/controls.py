"""Two small parts the window puts into the live session (no widgets here).

- :class:`OutputSwitch`: a packet output that exists for the whole session and forwards to an
  output attached later (the network destination when the operator goes live, the recording
  when it is switched on). The pipeline, the show clock and the recording never restart to go
  live; the attached output starts from the next keyframe on its own, at timestamp zero.
- :class:`AudioControl`: wraps the microphone source with mute, gain and a peak meter. It runs
  on the pipeline thread inside ``read``: one multiply and one max per AAC frame.

Both belong with the media layer; they live here, next to their only user, until the pipeline
offers the same.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from typing import Literal

import numpy as np
import numpy.typing as npt

from anchordesk.media.packets import (
    EncodedPacket,
    OutputState,
    OutputStatus,
    PacketOutput,
    RebasedOutput,
    StreamTemplates,
    output_wants_packets,
)
from anchordesk.media.sources.base import AudioSource, SourceStatus


class OutputSwitch:
    """A ``PacketOutput`` whose real output can be attached and detached while running.

    Each attached output is a new stream that starts at timestamp zero (its own
    ``RebasedOutput``), and with nothing attached the switch wants no packets (the pipeline
    then encodes nothing for it)."""

    starts_at_zero = True  # the pipeline leaves the timestamps to the attached outputs

    def __init__(self, name: str, kind: str) -> None:
        self._name = name
        self._kind = kind
        self._streams: StreamTemplates | None = None
        self._inner: PacketOutput | None = None
        self._sink: RebasedOutput | None = None  # the attached output, rebased
        self._lock = threading.Lock()
        self._keyframe_wanted = False
        # An output detached and still stopping (its status is the switch's meanwhile), and
        # what the outputs detached before dropped: the switch's figures are the session's, so
        # they never go back. Said from the idle switch, the health's dropped network frames
        # fell to 0 at the window's Stop, and what the stop itself dropped was never shown.
        self._leaving: PacketOutput | None = None
        self._dropped_before = (0, 0)  # packets, video frames

    @property
    def name(self) -> str:
        inner = self._inner
        return inner.name if inner is not None else self._name

    @property
    def attached(self) -> PacketOutput | None:
        return self._inner

    def start(self, streams: StreamTemplates) -> None:
        self._streams = streams

    def attach(self, output: PacketOutput) -> None:
        """Start ``output`` (quick: outputs open in the background) and feed it from now on."""
        if self._streams is None:
            raise RuntimeError("the session has not started")
        output.start(self._streams)
        sink = RebasedOutput(output)
        with self._lock:
            old, self._inner = self._inner, output
            self._sink = sink
            # Viewers see the picture as soon as the connection is up, not up to one keyframe
            # interval (2 s) later.
            self._keyframe_wanted = True
        if old is not None:
            self._finish(old, 5.0)

    def detach(self, timeout_s: float = 5.0) -> None:
        """Stop feeding and finish the attached output (bounded; call it from a worker)."""
        with self._lock:
            old, self._inner = self._inner, None
            self._sink = None
            if old is not None:
                self._leaving = old
        if old is not None:
            self._finish(old, timeout_s)

    def _finish(self, old: PacketOutput, timeout_s: float) -> None:
        """Stop ``old`` and keep what it dropped (with what it dropped as it stopped)."""
        old.stop(timeout_s)
        final = old.status()
        with self._lock:
            packets, frames = self._dropped_before
            self._dropped_before = (
                packets + final.dropped_packets,
                frames + final.dropped_video_frames,
            )
            if self._leaving is old:
                self._leaving = None

    def wants_packets(self) -> bool:
        """The pipeline's optional hook: an attached output that is still writing."""
        inner = self._inner
        return inner is not None and output_wants_packets(inner)

    def wants_keyframe(self) -> bool:
        """The pipeline's optional hook: True once after each attach."""
        with self._lock:
            wanted, self._keyframe_wanted = self._keyframe_wanted, False
        inner = self._inner
        hook = getattr(inner, "wants_keyframe", None)
        return bool(hook()) or wanted if hook is not None else wanted

    def send(self, packet: EncodedPacket) -> None:
        sink = self._sink
        if sink is not None:
            sink.send(packet)

    def status(self) -> OutputStatus:
        with self._lock:
            shown = self._inner or self._leaving
            packets, frames = self._dropped_before
        if shown is not None:
            status = shown.status()
        else:
            kind: Literal["recording", "network"] = (
                "recording" if self._kind == "recording" else "network"
            )
            status = OutputStatus(name=self._name, kind=kind, state=OutputState.STOPPED)
        if not (packets or frames):
            return status
        return dataclasses.replace(
            status,
            dropped_packets=status.dropped_packets + packets,
            dropped_video_frames=status.dropped_video_frames + frames,
        )

    def reconnect_now(self) -> None:
        inner = self._inner
        if inner is not None:
            inner.reconnect_now()

    def stop(self, timeout_s: float = 5.0) -> None:
        self.detach(timeout_s)


class AudioControl:
    """An ``AudioSource`` wrapper: mute, gain in dB, and the peak level of what goes out."""

    def __init__(self, source: AudioSource) -> None:
        self.source = source
        self.muted = False
        self._gain = 1.0
        self._peak = 0.0  # linear, max since the last read of the meter

    @property
    def name(self) -> str:
        return self.source.name

    def set_gain_db(self, gain_db: float) -> None:
        self._gain = 10 ** (gain_db / 20)

    def start(self) -> None:
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    def status(self) -> SourceStatus:
        return self.source.status()

    def read(self, sample_count: int) -> npt.NDArray[np.float32]:
        samples = self.source.read(sample_count)
        if self.muted:
            samples = np.zeros_like(samples)
        elif self._gain != 1.0:
            samples = np.clip(samples * np.float32(self._gain), -1.0, 1.0).astype(np.float32)
        if samples.size:
            self._peak = max(self._peak, float(np.abs(samples).max()))
        return samples

    def take_peak_dbfs(self) -> float | None:
        """The peak since the previous call, in dBFS (None for digital silence)."""
        peak, self._peak = self._peak, 0.0
        if peak <= 1e-6:
            return None
        return 20 * math.log10(peak)
