"""How far behind the show a network destination is, and which packets the child drops to
keep it under a second (as OBS drops frames when its send buffer grows).

An uplink (or a server) that takes less than the stream brings does not fail: the kernel
grows the child's socket send buffer (``tcp_wmem``, up to 4 MB) and the excess waits there.
The status said "live 928 kbps" (what FFmpeg wrote) while viewers fell 30 s behind the
host's words; a flash deal announced live ended before they saw it.

The delay of a packet written now is the time its bytes will wait behind those not yet
acknowledged by the server, at the rate the server acknowledges them (the kernel's
``tcpi_bytes_acked``, sampled over the last seconds), plus how late the packet reached the
child (a child blocked in a full socket reads its pipe late: measured from the packets'
presentation times, which the pipeline stamps on the media clock, against the earliest any
video packet of the last half-minute arrived). Both are times: the limit means the same at
500 kb/s and at 6 Mb/s.

The earliest arrival is only a baseline once a packet came in time. A connection's first
packets never do: they waited in the pipe while the child started and connected (1-3 s on a
loaded machine), then came in one burst, each later one less late than the one before, so each
set the baseline and read as in time (0.06 s) while the viewers got seconds of old stream. So
the parent says when it was handed the connection's first keyframe (``stream_zero_s``: the
monotonic clock, which a machine's processes share), and that is the first baseline: the
burst reads as late as it is. Nor does the socket say at once how fast the link is (its rate
is judged after half a second of waiting): what came in that burst went into the socket blind,
and a path at half the stream's rate left the viewers 2.3-6.5 s behind for the first seconds.
So the connection's first keyframe is a measure: nothing more is written until the server
acknowledged it or :data:`DELAY_LIMIT_S` passed (:meth:`StreamDelay.first_keyframe_waited`),
and the packets read after that wait are judged by how late they are and by its rate. A link
that took the keyframe at once takes the burst as fast: there the late start is forgotten (the
burst reaches the server in moments, and not a frame of it is lost).

Past :data:`DELAY_LIMIT_S` video frames are dropped, and the video stays out until a
keyframe comes with the delay back under it (a picture after a dropped frame would decode
broken). Audio goes on unless the delay is far beyond (:data:`AUDIO_DELAY_LIMIT_S`): a frozen
picture with the host's voice beats silence. The packets that go keep their timestamps: the
stream has gaps in its video, never a jump back. The caller's clock, so the rule is tested
without waiting.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Final

#: Past this delay (seconds of stream waiting to reach the server) video frames are dropped.
DELAY_LIMIT_S: Final = 1.0
#: Past this one, audio too: the server takes less than the sound alone.
AUDIO_DELAY_LIMIT_S: Final = 4.0
# The server's acknowledgement rate is measured over this much of the past.
_RATE_WINDOW_S: Final = 2.0
# ... and not before this much of it was seen (a connection's first moments).
_MIN_RATE_SPAN_S: Final = 0.5
# How long the earliest arrival of a video packet is remembered (the baseline of lateness):
# long enough to outlast any backlog the drops leave, short enough to follow a paused clock.
_BASELINE_WINDOW_S: Final = 30.0
_BASELINE_BUCKET_S: Final = 5.0
#: The network child waited this long for a packet with nothing to write: the sender (this
#: program) was silent, and how late what comes next is tells nothing of the uplink.
SENDER_SILENT_S: Final = 0.5
# A first keyframe acknowledged sooner than this tells of a fast path: no rate is taken from it
# (a rate that fast would only hide a later pause in the acknowledgements).
_FIRST_RATE_AFTER_S: Final = 0.1


@dataclass(frozen=True)
class Backlog:
    """The child's connection to the server as the kernel sees it: bytes written and not yet
    acknowledged, and all the bytes it acknowledged so far (None: not known)."""

    unacknowledged_bytes: int
    acknowledged_bytes: int | None


class StreamDelay:
    """Decides, packet by packet, whether it goes to the server (see the module doc).

    Counts what it dropped: ``dropped_frames`` (video) and ``dropped_packets`` (all).
    """

    def __init__(self, limit_s: float = DELAY_LIMIT_S, stream_zero_s: float | None = None) -> None:
        self.limit_s = limit_s
        # When the stream's time zero (the connection's first keyframe) was handed to the
        # output, on this process's monotonic clock; None: not known.
        self._stream_zero_s = stream_zero_s
        self.most_delay_s = 0.0  # the most of a packet written since take_most_delay_s()
        self.audio_limit_s = max(limit_s, AUDIO_DELAY_LIMIT_S)
        self.dropped_frames = 0
        self.dropped_packets = 0
        self.delay_s = 0.0  # the last one measured
        self._video_out = False  # video dropped: waiting for a keyframe, in time
        self._acknowledged: collections.deque[tuple[float, int]] = collections.deque()
        # (bucket start, least arrival minus presentation time of a video packet in it)
        self._baseline: collections.deque[tuple[float, float]] = collections.deque()
        self._lateness_s = 0.0
        self._busy_since_s: float | None = None  # bytes have waited since, without a break
        self._acknowledged_last = -1  # the server's count of acknowledged bytes, last seen
        self._acknowledged_moved_s = 0.0  # when it last grew
        self._link_rate: float | None = None  # bytes a second, the last measured while busy

    def admit(
        self,
        kind: str,
        keyframe: bool,
        pts_s: float,
        backlog: Backlog | None,
        now_s: float,
        *,
        first: bool = False,
    ) -> bool:
        """Whether this packet (read from the pipe at ``now_s``) is written; False: it is
        dropped, and counted. ``first``: it goes whatever its delay (a connection's first
        packet, its first picture), which is measured all the same."""
        if kind == "video":
            self._arrived(pts_s, now_s)
        delay_s = self.delay_s = self._lateness_s + self._waiting_s(backlog, now_s)
        if first:
            pass
        elif kind == "video":
            if self._video_out and keyframe and delay_s <= self.limit_s:
                self._video_out = False
            elif delay_s > self.limit_s:
                self._video_out = True
            if self._video_out:
                self.dropped_frames += 1
                self.dropped_packets += 1
                return False
        elif delay_s > self.audio_limit_s:
            self.dropped_packets += 1
            return False
        self.most_delay_s = max(self.most_delay_s, delay_s)
        return True

    def first_keyframe_waited(self, acknowledged_bytes: int | None, waited_s: float) -> None:
        """The server acknowledged ``acknowledged_bytes`` in the ``waited_s`` seconds after
        the connection's first keyframe was written, with nothing else written (the caller
        waits for it to be acknowledged, at most ``limit_s``): the link's first rate. None:
        nothing is known of the socket."""
        self.most_delay_s = max(self.most_delay_s, self._lateness_s + waited_s)
        if acknowledged_bytes is None or waited_s < _FIRST_RATE_AFTER_S:
            # A fast link (or one not known): what waited in the pipe reaches the server as
            # fast; how late it reached this process is measured among its own, as before.
            self._stream_zero_s = None
            self._baseline.clear()
            self._lateness_s = 0.0
        elif acknowledged_bytes > 0:
            self._link_rate = acknowledged_bytes / waited_s

    def input_waited(self, waited_s: float) -> None:
        """The child waited ``waited_s`` for the packet it read next, with nothing to write.

        Lateness that grew meanwhile is the sender's, never the uplink's: this program was
        paused (SIGSTOP, Ctrl+Z, a laptop's suspend) or its encoder fell behind. The packets
        made before such a pause reach the child after it, seconds "late" against their own
        timestamps: they were dropped, and every picture up to the next keyframe, and said
        "uplink too slow" while the uplink was fine. Past :data:`SENDER_SILENT_S` the
        lateness is measured afresh from the packets that come now (a slow uplink keeps the
        child writing, never waiting for input: its delay is still judged as it was)."""
        if waited_s < SENDER_SILENT_S:
            return
        self._stream_zero_s = None
        self._baseline.clear()
        self._lateness_s = 0.0

    def take_most_delay_s(self) -> float:
        """The most delay of a packet written since the last call (what viewers got, as far as
        this process can see): the words "delay kept under 1 s" must not hide one that was not."""
        most, self.most_delay_s = self.most_delay_s, 0.0
        return most

    def _arrived(self, pts_s: float, now_s: float) -> None:
        """Follow how late video reaches the child, against the earliest of the last
        half-minute (the pipeline's media clock runs with the monotonic one)."""
        offset_s = now_s - pts_s
        bucket_s = now_s - now_s % _BASELINE_BUCKET_S
        # The connection's first packet: as late as the time since its keyframe was handed over
        # (a clock that disagrees, or a figure past the window, is not believed).
        if (
            not self._baseline
            and self._stream_zero_s is not None
            and 0.0 <= offset_s - self._stream_zero_s <= _BASELINE_WINDOW_S
        ):
            self._baseline.append((bucket_s, self._stream_zero_s))
        if self._baseline and self._baseline[-1][0] == bucket_s:
            self._baseline[-1] = (bucket_s, min(self._baseline[-1][1], offset_s))
        else:
            self._baseline.append((bucket_s, offset_s))
        while self._baseline[0][0] < now_s - _BASELINE_WINDOW_S:
            self._baseline.popleft()
        self._lateness_s = max(0.0, offset_s - min(least for _, least in self._baseline))

    def _waiting_s(self, backlog: Backlog | None, now_s: float) -> float:
        """How long a byte written now waits for the bytes before it to be acknowledged.

        Judged only once bytes have waited without a break for ``_MIN_RATE_SPAN_S``, from the
        rate acknowledged since then: a connection that empties its buffer now and then
        keeps up, and its rate over a window with idle moments in it is the stream's, not
        the link's (a keyframe's burst on a fast path read as a second of delay, and 4
        frames went at the start of a connection on a loaded machine)."""
        if backlog is None or backlog.acknowledged_bytes is None:
            return 0.0
        if backlog.acknowledged_bytes != self._acknowledged_last:
            self._acknowledged_last = backlog.acknowledged_bytes
            self._acknowledged_moved_s = now_s
        if backlog.unacknowledged_bytes <= 0:
            self._busy_since_s = None
            return 0.0
        if self._busy_since_s is None:
            self._busy_since_s = now_s
        samples = self._acknowledged
        samples.append((now_s, backlog.acknowledged_bytes))
        while len(samples) > 2 and samples[1][0] <= now_s - _RATE_WINDOW_S:
            samples.popleft()
        first_s, first_acknowledged = next(
            (sample for sample in samples if sample[0] >= self._busy_since_s), samples[-1]
        )
        span_s = now_s - first_s
        if span_s < _MIN_RATE_SPAN_S:
            # Too soon to tell from this wait alone: the rate of the last one that was long
            # enough, if any (a link that takes a quarter of the stream empties its buffer
            # while the video is out; blind for half a second at each keyframe, it let 2 s
            # of delay build up every time).
            if self._link_rate is None:
                return 0.0
            return backlog.unacknowledged_bytes / self._link_rate
        if self._link_rate is None and self._acknowledged_moved_s - first_s < _MIN_RATE_SPAN_S:
            # No rate known, and what was acknowledged came only as the wait began: it began
            # with a pause in the acknowledgements (a Wi-Fi hiccup, a server reading in
            # bursts), which is as long as it has lasted so far. Read as a link near 0 kb/s,
            # a fast path that paused 0.8 s every 4 s lost 2 s of picture after each pause
            # ("uplink too slow") for a delay that never reached a second.
            return now_s - max(self._acknowledged_moved_s, self._busy_since_s)
        rate = (backlog.acknowledged_bytes - first_acknowledged) / span_s
        if rate <= 0:
            return float("inf")  # nothing taken for seconds: the stall watch's case
        self._link_rate = rate
        return backlog.unacknowledged_bytes / rate
