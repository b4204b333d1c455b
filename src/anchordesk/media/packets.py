"""What flows from the encoder to the outputs, and what an output reports back.

The encoder runs once; every output (the local recording, each network destination) receives
the same encoded packets. An output must never block the caller of :meth:`PacketOutput.send`:
the pipeline thread calls it once per packet at the frame rate.

The encoder's timestamps are the session's media time, which has been running since the
picture started. Each output's stream starts at zero instead (:class:`TimestampRebaser`,
applied by :class:`RebasedOutput`): a destination that went live after 20 minutes of rehearsal
would otherwise start at 20:00, which a platform's recording or a player reports as its length.
"""

from __future__ import annotations

import collections
import enum
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, Protocol

from anchordesk.core.words import Words

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
    WAITING = "waiting"  # the recording stopped for a full disk; it goes on when there is room
    # The recording has packets to write and has finished none for a while (a pipe nobody
    # reads, a disk that hangs): what its status says, never a state its writer is in.
    STUCK = "stuck"


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
    live_s: float = 0.0  # a network output's time live since its start, all connections
    # A network output's connections that went live after its first one (``reconnects``
    # counts the attempts, made or failed), and how long it has been down since it was last
    # live: until now, and once stopped, when the stop came (0 when live to the end).
    live_again: int = 0
    down_at_stop_s: float = 0.0
    fault: Words | None = None  # ``last_error`` as words, for a window to say in its language
    # What a live output says besides its state (a network output dropping frames to keep
    # its delay under a second), as words; None: nothing to say.
    notice: Words | None = None
    free_bytes: int | None = None  # the recording's disk, as last measured (None: not known)
    stopped_for_space: bool = False  # the recording stopped itself before its disk filled
    # The recording's files, in order: a recording that stopped for a full disk goes on in a
    # new file once there is room again. One line per stop ("gap"), with where it went on.
    files: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()


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
    #
    # Optional too:
    #     def wants_packets(self) -> bool
    # False while the output has nothing to write (a switch with nothing attached, a recording
    # that has stopped); when no output wants packets the pipeline encodes nothing. Without it,
    # an output wants packets until its status is STOPPED or FAILED.


_FINISHED_STATES = (OutputState.STOPPED, OutputState.FAILED)


def output_wants_packets(output: PacketOutput) -> bool:
    """Whether ``output`` has anything to do with encoded packets now (see the protocol)."""
    hook = getattr(output, "wants_packets", None)
    if hook is not None:
        return bool(hook())
    return output.status().state not in _FINISHED_STATES


class TimestampRebaser:
    """One output's timestamps, moved so that its stream starts at zero.

    The output starts at the first video keyframe it is given: that keyframe's decode time
    becomes zero, for video and audio together (same shift in seconds, so lip sync is kept).
    A frame-threaded encoder emits a keyframe a few frames after its picture went in, so the
    audio that arrives before it is held (up to ``held_audio_limit`` packets) and let through
    behind it when it is timed at or after the keyframe; older audio is dropped, as is video
    before the keyframe (undecodable without it).
    """

    def __init__(self, held_audio_limit: int = 128) -> None:
        self._held: collections.deque[EncodedPacket] = collections.deque(maxlen=held_audio_limit)
        self._origin: Fraction | None = None

    @property
    def origin_s(self) -> float | None:
        """The media time the output's zero stands for (None until its first keyframe)."""
        return None if self._origin is None else float(self._origin)

    def reset(self) -> None:
        self._held.clear()
        self._origin = None

    def rebase(self, packet: EncodedPacket) -> list[EncodedPacket]:
        """The packets to hand on now (none, one, or a keyframe with the audio held for it)."""
        origin = self._origin
        if origin is None:
            if packet.kind == "audio":
                self._held.append(packet)
                return []
            if not packet.is_keyframe:
                return []
            origin = self._origin = stream_origin(packet)
            first = [self._shifted(packet, origin)]
            held = [
                self._shifted(audio, origin) for audio in self._held if _at_or_after(audio, origin)
            ]
            self._held.clear()
            return first + held
        if packet.kind == "audio" and not _at_or_after(packet, origin):
            return []
        return [self._shifted(packet, origin)]

    @staticmethod
    def _shifted(packet: EncodedPacket, origin: Fraction) -> EncodedPacket:
        return shifted(packet, origin)


def shifted(packet: EncodedPacket, origin: Fraction) -> EncodedPacket:
    """``packet`` with ``origin`` (seconds) as its zero."""
    # In the packet's own time base; floor keeps every timestamp at or after zero (exact for
    # the usual rates: 1/30 s is 1600 ticks of 1/48000).
    offset = math.floor(origin / packet.time_base)
    return replace(packet, pts=packet.pts - offset, dts=packet.dts - offset)


def stream_origin(packet: EncodedPacket) -> Fraction:
    """The media time a stream that starts at ``packet`` (its first keyframe) takes as zero."""
    return packet.dts * packet.time_base


def at_or_after(packet: EncodedPacket, origin: Fraction) -> bool:
    return packet.pts * packet.time_base >= origin


_at_or_after = at_or_after


class RebasedOutput:
    """A :class:`PacketOutput` whose stream starts at zero (see :class:`TimestampRebaser`);
    everything else is the wrapped output's. Called from the pipeline thread only, like
    ``send``; ``start`` begins a new stream."""

    starts_at_zero = True

    def __init__(self, inner: PacketOutput) -> None:
        self.inner = inner
        self._rebaser = TimestampRebaser()

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def origin_s(self) -> float | None:
        return self._rebaser.origin_s

    def start(self, streams: StreamTemplates) -> None:
        self._rebaser.reset()
        self.inner.start(streams)

    def send(self, packet: EncodedPacket) -> None:
        for rebased in self._rebaser.rebase(packet):
            self.inner.send(rebased)

    def status(self) -> OutputStatus:
        return self.inner.status()

    def reconnect_now(self) -> None:
        self.inner.reconnect_now()

    def stop(self, timeout_s: float = 5.0) -> None:
        self.inner.stop(timeout_s)

    def wants_keyframe(self) -> bool:
        hook = getattr(self.inner, "wants_keyframe", None)
        return bool(hook()) if hook is not None else False

    def wants_packets(self) -> bool:
        return output_wants_packets(self.inner)
