"""What flows from the encoder to the outputs, and what an output reports back.

The encoder runs once; every output (the local recording, each network destination) receives
the same encoded packets. An output must never block the caller of :meth:`PacketOutput.send`:
the pipeline thread calls it once per packet at the frame rate.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.video.stream import VideoStream


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """One encoded access unit, detached from any container (bytes + timing)."""

    kind: Literal["video", "audio"]
    data: bytes
    pts: int
    dts: int
    time_base: Fraction
    is_keyframe: bool
    duration: int = 0

    @property
    def pts_s(self) -> float:
        return float(self.pts * self.time_base)


@dataclass(frozen=True)
class StreamTemplates:
    """Streams whose codec parameters (size, rate, extradata) an output copies with
    ``OutputContainer.add_stream_from_template``. Filled once the encoder is open."""

    video: VideoStream
    audio: AudioStream | None


class OutputState(enum.StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"  # the recording could not be written (disk full, bad path)


@dataclass(frozen=True)
class OutputStatus:
    """A snapshot for the stats and the UI. ``name`` never contains a secret."""

    name: str
    kind: Literal["recording", "network"]
    state: OutputState
    attempt: int = 0  # reconnect attempt number while RECONNECTING
    next_retry_in_s: float | None = None
    bytes_written: int = 0
    bitrate_kbps: float = 0.0
    dropped_packets: int = 0  # audio and video packets that never went out
    dropped_video_frames: int = 0  # the video frames among them (the stats' dropped frames)
    reconnects: int = 0
    last_error: str | None = None


class PacketOutput(Protocol):
    """An encoded-packet sink: the recording or one network destination."""

    @property
    def name(self) -> str: ...

    def start(self, streams: StreamTemplates) -> None:
        """Open (or begin connecting in the background); must return quickly."""

    def send(self, packet: EncodedPacket) -> None:
        """Queue one packet; never blocks. A full queue drops and counts."""

    def status(self) -> OutputStatus: ...

    def reconnect_now(self) -> None:
        """Skip the backoff wait (network outputs); a no-op for the recording."""

    def stop(self, timeout_s: float = 5.0) -> None:
        """Finish: flush, write the trailer, end child processes; bounded by ``timeout_s``."""

    # Optional, not part of the protocol so simple outputs need not define it:
    #     def wants_keyframe(self) -> bool
    # True once when the output starts a new stream and would otherwise wait for the next
    # scheduled keyframe (up to the keyframe interval); the pipeline then makes one at once.
