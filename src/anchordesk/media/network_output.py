"""One network destination (``rtmp://`` or ``rtmps://``) that can never freeze the program.

The RTMP muxer runs in a child process (:mod:`anchordesk.media.network_child`), because PyAV
holds the GIL with no timeout while FFmpeg connects, handshakes and writes (PyAV issue #2400).
This side keeps everything that must stay responsive:

- :meth:`NetworkOutput.send` only appends to a bounded queue; when it is full (server slow or
  gone) the oldest packets are dropped and counted, and the video then restarts at a keyframe.
- A supervisor thread muxes queued packets into a live Matroska stream (one small cluster per
  packet: lowest latency measured, with the codec extradata in its header) and writes it to the
  child's stdin through a non-blocking pipe, so it can watch the child while writing.
- Once a connection is flowing (its first keyframe sent, nothing queued or unwritten), the
  supervisor opens a direct path: :meth:`NetworkOutput.send` muxes the packet into memory and
  writes it to the non-blocking pipe itself (tens of microseconds, never blocking), instead of
  waking the supervisor thread for every packet (a wake-up and GIL hand-over cost ~0.2 ms of CPU
  per frame). Anything else (a full pipe, a gap, a reconnect, stopping) closes the direct path
  and the supervisor takes over again, in order.
- Every attempt has a deadline, whatever state the pipe and the child are in: not started
  (its "ready") within ``start_timeout_s`` of the first packet waiting for it, or not live
  within ``connect_timeout_s`` after it began to connect -> the child is killed and the next
  attempt follows on the backoff schedule. (A child's start took 3.3 s on a loaded machine:
  counted in the connection's time, it was "could not reach the server within 1 s" for a
  server not yet tried.)
  A live connection is stalled when the server has taken nothing for ``stall_timeout_s``:
  read from the kernel's view of the child's socket (:mod:`anchordesk.media.network_watch`:
  the bytes it acknowledged and the window it announced with them), so a stopped server is
  seen in seconds, not once the socket buffers are full (10 s and more); or when data waits
  for the child and it reports no progress for that long (the only test where the socket
  cannot be read).
- A failure is told in words: FFmpeg's log lines from the child say how far the connection got
  (refused stream key or application, TLS handshake to a plain port, no answer at all).
- Reconnects follow :class:`~anchordesk.core.backoff.Backoff` (2 s, x1.5, jitter, cap 60 s,
  no limit) and resume at the newest queued video keyframe. Every connection starts at a video
  keyframe, chosen when its child says it is ready (Python and FFmpeg loaded: 0.3 s on an idle
  machine, over 3 s on a loaded one), not when it was started: chosen at the start, the
  keyframe was as old as the child's start when the server got it, and so was everything
  queued behind it; audio queued before it (a frame-threaded encoder emits the keyframe late)
  follows it when timed at or after it. Every connection is a new stream for the server (a new
  publish), so it starts at timestamp zero at that keyframe (:func:`packets.shifted`): a
  platform's recording of the stream after a reconnect is as long as that stream, not as long
  as the whole run. The local recording is not touched: it keeps one timeline.
  :meth:`NetworkOutput.reconnect_now` skips the wait.
- The stream key never leaves this object except on the child's stdin: names, logs, statuses
  and errors show :func:`anchordesk.core.redact.mask_url`. The child's environment holds only
  what it needs to run (:func:`child_environment`), none of the program's tokens.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import av

import anchordesk
from anchordesk.core.backoff import Backoff
from anchordesk.core.redact import mask_url
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.media import network_child
from anchordesk.media.clock import PAUSED_S
from anchordesk.media.destination_url import validate_url
from anchordesk.media.network_child import masked
from anchordesk.media.network_delay import DELAY_LIMIT_S
from anchordesk.media.network_watch import (
    HANDSHAKE_LOOK_AFTER_S,
    AcknowledgementWatch,
    ConnectionPhases,
    Phase,
    RelayWatch,
    SocketReader,
    as_said,
    web_server_answer,
)
from anchordesk.media.packets import (
    EncodedPacket,
    OutputState,
    OutputStatus,
    StreamTemplates,
    at_or_after,
    shifted,
    stream_origin,
)
from anchordesk.media.recording import av_packet, one_line
from anchordesk.media.tls_relay import words_of_event

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.stream import Stream

log = logging.getLogger(__name__)

_PIPE_FORMAT: Final = "matroska"
# live: no seeking back (the pipe cannot); cluster_time_limit 0: every packet closes a cluster,
# so it leaves the muxer at once (measured: one frame of latency, same as NUT and FLV).
_PIPE_OPTIONS: Final = {"live": "1", "cluster_time_limit": "0", "cluster_size_limit": "262144"}
_PIPE_CONTAINER_OPTIONS: Final = {"flush_packets": "1", "max_interleave_delta": "500000"}
_WRITE_CHUNK_BYTES: Final = 65536
_POLL_S: Final = 0.05
# The supervisor looks every _POLL_S; a gap longer than PAUSED_S is a pause of the process.
_PAUSED_S: Final = PAUSED_S
# How long a child that ended before going live is given to write its last log lines.
_LAST_LOG_LINES_S: Final = 5.0
# A queued keyframe further than this behind the newest picture is not worth starting at when
# the pipeline can make a fresh one (two frames' wait instead of up to 2 s of extra latency).
_STALE_KEYFRAME_S = 0.5
# Audio held while a connection waits for its first keyframe: 2 s of AAC frames at 48 kHz.
_HELD_AUDIO_PACKETS: Final = 96
# How often the child's socket is read (/proc and sock_diag: well under a millisecond each).
_SOCKET_SAMPLE_S: Final = 0.25
# The look at a port that did not answer the RTMP handshake (a web server's?): its deadline.
_WEB_LOOK_S: Final = 1.5
_RTMP_PORT: Final = 1935
_RTMPS_PORT: Final = 443

# Why an attempt ended, as the logs print it and a window says it (network_watch words the
# connection's own failures).
_CANNOT_START_PROCESS: Final = QT_TRANSLATE_NOOP(
    "Network", "cannot start the network process: {error}"
)
_CANNOT_START_STREAM: Final = QT_TRANSLATE_NOOP("Network", "cannot start the stream: {error}")
_NOT_STARTED: Final = QT_TRANSLATE_NOOP(
    "Network", "the network process did not start within {seconds} s"
)
_STOPPED: Final = QT_TRANSLATE_NOOP("Network", "stopped")
_SERVER_NOT_TAKING: Final = QT_TRANSLATE_NOOP(
    "Network", "the server stopped taking the stream (nothing read for {seconds} s)"
)
_RELAY_NOT_TAKING: Final = QT_TRANSLATE_NOOP(
    "Network", "this program's TLS relay stopped taking the stream (nothing read for {seconds} s)"
)
_STALLED: Final = QT_TRANSLATE_NOOP("Network", "stalled: no progress for {seconds} s")
_SERVER_CLOSED: Final = QT_TRANSLATE_NOOP("Network", "the server closed the connection")
_PROCESS_ENDED: Final = QT_TRANSLATE_NOOP("Network", "the network process ended with code {code}")
# Ended by a signal: Python's exit status -9 said "ended with code -9" (the system short of
# memory, or another program, killed it).
_PROCESS_KILLED: Final = QT_TRANSLATE_NOOP(
    "Network", "the network process was ended by the signal {signal} (killed from outside)"
)
_SLOW_UPLINK: Final = QT_TRANSLATE_NOOP(
    "Network", "uplink too slow: dropped {frames} frames, delay kept under {seconds} s"
)
# ... while a packet written in the last _SLOW_UPLINK_SAID_S went out later than the limit.
_SLOW_UPLINK_BEHIND: Final = QT_TRANSLATE_NOOP(
    "Network", "uplink too slow: dropped {frames} frames, delay up to {seconds} s"
)
# How long the status says it after the last frame dropped, and how often the log repeats it.
_SLOW_UPLINK_SAID_S: Final = 10.0
# The kinds of the last packets muxed into a child's pipe, for the video frames among those it
# never wrote: more than the pipe and the child's reading hold (600 queued, 64 kB to 1 MB of
# pipe).
_MUXED_KINDS_REMEMBERED: Final = 8192
# How long the end of an attempt waits for the child's last event (its final counts), once
# the child has exited or been killed: its stdout is at its end then.
_LAST_EVENTS_S: Final = 1.0
# Keyframes whose hand-over time is remembered: a full queue's, at one every half second.
_KEYFRAMES_REMEMBERED: Final = 16
# What a network child inherits: enough to start Python or the frozen app, find its libraries
# and certificates and speak the user's language; never the program's tokens
# (ANCHORDESK_*_TOKEN) or anything else it has no use for.
_CHILD_ENVIRONMENT_NAMES: Final = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
        "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE",
        "PYTHONUTF8", "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE",
        "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "APPDATA", "LOCALAPPDATA",
        "USERPROFILE",
    }
)  # fmt: skip
# Prefixes: the locale (LC_ALL, LC_CTYPE...) and PyInstaller's hand-over to its own children.
_CHILD_ENVIRONMENT_PREFIXES: Final = ("LC_", "_PYI_", "_MEIPASS")


def child_environment(parent: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a network child: an allow-list of ``parent`` (``os.environ``),
    plus the package's location on ``PYTHONPATH`` when it runs from a checkout."""
    source = dict(os.environ) if parent is None else parent
    env = {
        name: value
        for name, value in source.items()
        if name.upper() in _CHILD_ENVIRONMENT_NAMES
        or name.upper().startswith(_CHILD_ENVIRONMENT_PREFIXES)
    }
    env["AV_LOG_FORCE_NOCOLOR"] = "1"  # FFmpeg's lines are parsed (network_watch)
    if getattr(sys, "frozen", False):
        return env  # the frozen app carries its own modules
    # The child must import this very package, also when it runs from a source checkout.
    package_root = str(Path(anchordesk.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(
        [package_root, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    )
    return env


class _MemorySink:
    """Where the pipe muxer writes: the supervisor moves the bytes to the child itself."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)


@dataclass
class _Child:
    """One connection attempt: the child process and what its reader threads learnt."""

    process: subprocess.Popen[bytes]
    started_s: float
    last_progress_s: float
    phases: ConnectionPhases
    socket: SocketReader
    acknowledgements: AcknowledgementWatch
    # FFmpeg's connection to the TLS relay (rtmps): the relay, not the server, stops reading.
    relay_watch: RelayWatch = field(default_factory=RelayWatch)
    last_write_s: float = 0.0
    log_thread: threading.Thread | None = None
    # Set when it said "ready": started, it takes media now (network_child's protocol).
    ready: threading.Event = field(default_factory=threading.Event)
    # When it began to connect: its "ready", or over rtmps its TLS relay's first step.
    began_s: float | None = None
    media_since_s: float | None = None  # when its first media byte was ready for it
    next_socket_sample_s: float = 0.0
    connected_s: float | None = None
    packets: int = 0
    bytes_sent: int = 0
    # The packets muxed into its pipe, and the kinds of the newest of them: what it did not
    # say it wrote ("packets", or dropped for delay) when it ended never reached the server.
    muxed: int = 0
    muxed_kinds: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=_MUXED_KINDS_REMEMBERED)
    )
    events_thread: threading.Thread | None = None
    error: Words | None = None  # its last error event, key masked
    finished: bool = False  # stdout reached EOF
    # The media time this connection's stream takes as zero: its first keyframe's.
    origin: Fraction | None = None
    # When that keyframe was handed to send() (time.monotonic(), shared with the child).
    stream_zero_s: float | None = None
    # What the child dropped to keep the delay under a second (media/network_delay).
    late_frames: int = 0
    late_packets: int = 0
    # Since when the server's application has acknowledged nothing the TLS relay sent (rtmps;
    # network_watch.ConnectionPhases.not_acknowledging).
    not_acknowledging_since_s: float | None = None
    # When FFmpeg sent the RTMP handshake, and the look at what answers it instead.
    handshake_sent_s: float | None = None
    web_look: threading.Thread | None = None
    # When the server (its relay, or the child) took the stream last, for a stall that ends
    # this attempt: seen only after ``stall_timeout_s``, and not live since then.
    stalled_since_s: float | None = None


@dataclass
class _Direct:
    """What :meth:`NetworkOutput.send` needs to write a packet itself (see the module doc).

    Used by ``send`` only while ``NetworkOutput._direct`` holds it, under the output's lock;
    the supervisor clears it (under the lock) before it touches any of these again.
    """

    child: _Child
    fd: int
    container: OutputContainer
    video: Stream
    audio: Stream | None
    sink: _MemorySink
    pending: bytearray


def _tenths(seconds: float) -> float:
    """``seconds`` to a tenth, never 0 when it is not: a stream live for 40 ms went live (it
    is not one that "never went live")."""
    return 0.0 if seconds <= 0 else max(0.1, round(seconds, 1))


def _unsent_words(packets: int, frames: int, before: str = "") -> str:
    """The log's words for packets that were waiting to be sent and never were ("" for none)."""
    if not packets:
        return ""
    return (
        f"{before}{packets} packet{'s' if packets != 1 else ''} ({frames} video "
        f"frame{'s' if frames != 1 else ''}) waiting to be sent were dropped"
    )


def destination_names(urls: Sequence[str]) -> list[str]:
    """Each destination's name as every line says it: its masked URL, followed by ``#N`` (its
    place among the ``--to``) where masked URLs are alike. Two keys on one server (a main and
    a backup channel) were both "rtmp://a.rtmp.youtube.com/live2/****": which one was refused,
    and which one was live, could not be told."""
    masked = [mask_url(url) for url in urls]
    return [
        f"{name} #{number}" if masked.count(name) > 1 else name
        for number, name in enumerate(masked, start=1)
    ]


class NetworkOutput:
    """Pushes the encoded packets to one RTMP(S) URL through a killable child process.

    Implements :class:`~anchordesk.media.packets.PacketOutput`. All methods return quickly and
    never raise into the pipeline; failures show in :meth:`status` and the log.
    """

    def __init__(
        self,
        url: str,
        *,
        queue_packets: int = 600,
        stall_timeout_s: float = 4.0,
        connect_timeout_s: float = 10.0,
        start_timeout_s: float = 10.0,
        stable_after_s: float = 10.0,
        backoff: Backoff | None = None,
        child_command: Sequence[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str | None = None,
    ) -> None:
        validate_url(url)
        self._url = url
        self._name = name or mask_url(url)
        self._queue: collections.deque[EncodedPacket] = collections.deque()
        self._queue_packets = queue_packets
        self._stall_timeout_s = stall_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._start_timeout_s = start_timeout_s
        self._stable_after_s = stable_after_s
        self._backoff = backoff or Backoff()
        # The default follows how the program runs: ``python -m`` the child module, or the
        # frozen app's own executable in its hidden child mode (network_child.child_command).
        self._child_command = list(child_command or network_child.child_command())
        self._clock = clock
        self._lock = threading.Lock()
        self._packet_ready = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._state = OutputState.CONNECTING
        # Time spent live, for the run's last word on this destination: a stream that never
        # went live is a show nobody saw, however whole the recording is.
        self._live_total_s = 0.0
        self._live_since_s: float | None = None
        self._times_live = 0
        self._live_until_s: float | None = None  # when it last stopped being live
        self._down_at_stop_s = 0.0
        # When stop() was called: the show's time ends there (see _live_clock_s).
        self._stop_requested_s: float | None = None
        self._stopping = False
        self._stop_deadline_s = 0.0
        self._flush_deadline_s = 0.0
        self._dropped_packets = 0
        self._dropped_video_frames = 0
        # The packets (and video frames among them) that were waiting to be sent when an
        # attempt ended or the output stopped, counted in the drops above: what stop() says.
        self._unsent_at_end = (0, 0)
        # Frames the children dropped to keep the delay under a second: how many, when the
        # last one was, and what the log said last (media/network_delay).
        self._slow_uplink_frames = 0
        self._slow_uplink_s: float | None = None
        self._slow_uplink_said_frames = 0
        self._slow_uplink_said_s = float("-inf")
        # The most delay of what the children wrote, with when, past the limit: the words
        # "delay kept under 1 s" are said only while none was.
        self._slow_uplink_delays: collections.deque[tuple[float, float]] = collections.deque()
        # The times of the last keyframes handed to send(), with when (time.monotonic()): the
        # child measures how late a connection's first packets reach it (network_delay).
        self._keyframes_handed: collections.deque[tuple[int, Fraction, float]] = collections.deque(
            maxlen=_KEYFRAMES_REMEMBERED
        )
        # Audio timed before the stream's very first keyframe is not a loss: the stream starts
        # with its first picture. After that, whatever a connection skips is counted.
        self._first_keyframe_sent = False
        # The pipeline polls wants_keyframe() every frame when it honours it (media/packets.py);
        # only then may a connection wait for a fresh keyframe instead of a stale queued one.
        self._keyframe_hook_polled = False
        self._keyframe_wanted = False
        self._video_gap = False
        # Supervisor thread only: audio waiting for the keyframe a connection starts at, and
        # packets to send before the queue's next one.
        self._held_audio: collections.deque[EncodedPacket] = collections.deque()
        self._ready: collections.deque[EncodedPacket] = collections.deque()
        self._reconnects = 0
        # Why the last attempt failed (None while live): str() is the logs' line, the words
        # are what a window says in its language.
        self._last_error: Words | None = None
        self._bytes_before_child = 0
        self._rate_sample: tuple[float, int] = (0.0, 0)
        self._bitrate_kbps = 0.0
        self._child: _Child | None = None
        self._direct: _Direct | None = None
        self._streams: StreamTemplates | None = None
        self._thread: threading.Thread | None = None

    # --- PacketOutput -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def child_command(self) -> list[str]:
        """How each child process is started (never holds the URL: that goes on stdin)."""
        return list(self._child_command)

    @property
    def child_pid(self) -> int | None:
        """The pid of the current child process (for diagnostics and tests)."""
        child = self._child
        return child.process.pid if child is not None and child.process.poll() is None else None

    def start(self, streams: StreamTemplates) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name} already started")
        self._streams = streams
        self._thread = threading.Thread(
            target=self._supervise, name=f"network-{self._name}", daemon=True
        )
        self._thread.start()

    def send(self, packet: EncodedPacket) -> None:
        with self._lock:
            if self._stopping:
                return
            if packet.kind == "video" and packet.is_keyframe:
                self._keyframes_handed.append((packet.pts, packet.time_base, time.monotonic()))
            direct = self._direct
            if direct is not None and not self._queue:
                self._send_direct(direct, packet)
                return
            if len(self._queue) >= self._queue_packets:
                dropped = self._queue.popleft()
                self._count_dropped(dropped)
                if dropped.kind == "video":
                    self._video_gap = True
            self._queue.append(packet)
            self._packet_ready.notify()

    def _send_direct(self, direct: _Direct, packet: EncodedPacket) -> None:
        """Mux ``packet`` and write it to the pipe now (called with the lock held).

        Never blocks: the pipe is non-blocking. What it cannot take stays in ``pending`` and the
        direct path closes, so the supervisor writes the rest (waiting for room) and the packets
        after it go through the queue, in order.
        """
        stream = direct.video if packet.kind == "video" else direct.audio
        if stream is None:
            return
        rebased = self._rebased(direct.child, packet, lock_held=True)
        if rebased is None:
            return
        try:
            direct.container.mux(av_packet(rebased, stream))
        except (av.FFmpegError, ValueError) as error:
            self._count_dropped(packet)
            log.debug("%s: packet not muxed: %s", self._name, one_line(error))
        else:
            self._count_muxed(direct.child, packet)
        pending = direct.pending
        pending += direct.sink.buffer
        direct.sink.buffer.clear()
        while pending:
            try:
                written = os.write(direct.fd, pending[:_WRITE_CHUNK_BYTES])
            except OSError:
                break  # full, or the child is gone: the supervisor sees which
            del pending[:written]
            direct.child.last_write_s = self._clock()
        if pending:
            self._direct = None
            self._packet_ready.notify()

    def _close_direct(self) -> None:
        with self._lock:
            self._direct = None

    def status(self) -> OutputStatus:
        """State, bytes and bitrate sent, drops, and ``reconnects``: the reconnect attempts
        started since :meth:`start` (``attempt`` counts the failures since the last stable
        connection, as shown while RECONNECTING)."""
        now_s = self._clock()
        with self._lock:
            child = self._child
            bytes_written = self._bytes_before_child + (child.bytes_sent if child else 0)
            stale = child is None or now_s - child.last_progress_s > 2.0
            next_retry_in_s = None
            if self._state is OutputState.RECONNECTING and child is None:
                next_retry_in_s = round(self._backoff.wait_s(), 1)
            return OutputStatus(
                name=self._name,
                kind="network",
                state=self._state,
                attempt=self._backoff.attempt if self._state is OutputState.RECONNECTING else 0,
                next_retry_in_s=next_retry_in_s,
                bytes_written=bytes_written,
                bitrate_kbps=0.0 if stale else round(self._bitrate_kbps, 1),
                dropped_packets=self._dropped_packets,
                dropped_video_frames=self._dropped_video_frames,
                reconnects=self._reconnects,
                last_error=None if self._last_error is None else str(self._last_error),
                fault=self._last_error,
                notice=self._slow_uplink_words(now_s),
                # To a tenth of a second, as the session keeps them: rounded again there
                # (and then to whole seconds), 5.48 s read "0:06" in the report and "0:05" in
                # the run's last line.
                live_s=_tenths(self._live_s(now_s)),
                live_again=max(0, self._times_live - 1),
                down_at_stop_s=_tenths(self._down_at_end_s(now_s)),
            )

    def _live_clock_s(self, now_s: float) -> float:
        """``now_s``, or the stop's time once stop() was called (lock held). The session keeps
        how its streams went just before its outputs stop, the run says it once they have:
        counting the trailer's flush as time live, a run of five destinations said "live
        0:14" and its report "live 0:13" for the same stream."""
        stop_s = self._stop_requested_s
        return now_s if stop_s is None else min(now_s, stop_s)

    def _live_s(self, now_s: float) -> float:
        since_s = self._live_since_s
        live_now_s = 0.0 if since_s is None else max(0.0, self._live_clock_s(now_s) - since_s)
        return self._live_total_s + live_now_s

    def _down_at_end_s(self, now_s: float) -> float:
        """How long it has been down since it was last live (called with the lock held): as
        the stop came, once stopping; until now before that. The session keeps it as the run
        ends, before its outputs stop (live/show.py ``_record_streams``): read from the stop
        alone, it was 0 there, and the report of a stream down for the last 13 s of the run
        said it live to the end (the window's Stop, always; ``anchordesk live``, when the
        session ended before the picture's stop reached this output)."""
        if self._stopping:
            return self._down_at_stop_s
        if self._live_until_s is None or self._live_since_s is not None:
            return 0.0  # live now, or never live: nothing is down "at the end" of a stream
        return max(0.0, now_s - self._live_until_s)

    def _enter(self, state: OutputState, since_s: float | None = None) -> None:
        """Change the state (called with the lock held), counting the time spent live.
        ``since_s``: when a stream stopped being live, if before now (a stall is seen
        ``stall_timeout_s`` after the server stopped taking it: counted live until then,
        a server stopped 5 s before the end was "live 0:08; not live for the last 0:01")."""
        now_s = self._live_clock_s(self._clock())
        if self._live_since_s is not None and state is not OutputState.LIVE:
            if since_s is not None:
                now_s = max(self._live_since_s, min(now_s, since_s))
            self._live_total_s += max(0.0, now_s - self._live_since_s)
            self._live_since_s = None
            self._live_until_s = now_s
        elif self._live_since_s is None and state is OutputState.LIVE and not self._stopping:
            self._live_since_s = now_s
            self._times_live += 1
        self._state = state

    def reconnect_now(self) -> None:
        with self._lock:
            self._backoff.skip_wait()
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            self._stop_requested_s = self._clock()
            if self._live_until_s is not None and self._live_since_s is None:
                # Down when the stop came: the run's last word on it says so, and how long.
                self._down_at_stop_s = max(0.0, self._stop_requested_s - self._live_until_s)
            self._stop_deadline_s = time.monotonic() + timeout_s
            # Queued packets may go out during the first part; the rest is for the trailer.
            self._flush_deadline_s = time.monotonic() + 0.6 * timeout_s
            self._packet_ready.notify_all()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            # The supervisor finishes on its own before the deadline (it kills the child when
            # the trailer does not come); the margin covers reaping the killed child.
            thread.join(timeout_s + 1.0)
            if thread.is_alive():
                log.error("%s: the network output did not stop in time", self._name)
        with self._lock:
            self._enter(OutputState.STOPPED)
            unsent_packets, unsent_frames = self._unsent_at_end
            self._unsent_at_end = (0, 0)
            dropped_packets, dropped_frames = self._dropped_packets, self._dropped_video_frames
        if unsent_packets:
            # The same figures as the status and --stats: those of the stop, then the run's.
            log.warning(
                "%s: stopped%s (dropped in all: %d packets, %d video frames)",
                self._name,
                _unsent_words(unsent_packets, unsent_frames, "; "),
                dropped_packets,
                dropped_frames,
            )
        else:
            log.info("%s: stopped", self._name)

    # --- supervisor thread --------------------------------------------------------------------

    def _supervise(self) -> None:
        first = True
        while True:
            with self._lock:
                if self._stopping:
                    break
                due = self._backoff.is_due()
                wait_s = self._backoff.wait_s()
            if not (first or due):
                self._wake.wait(min(wait_s, 0.5))
                self._wake.clear()
                continue
            if not first:
                with self._lock:
                    self._reconnects += 1
                log.info("%s: reconnecting (attempt %d)", self._name, self._backoff.attempt)
            first = False
            live_s, error, stalled_since_s = self._run_child()
            with self._lock:
                if self._stopping:
                    break
                if live_s >= self._stable_after_s:
                    self._backoff.reset()
                delay_s = self._backoff.failed()
                self._enter(OutputState.RECONNECTING, since_s=stalled_since_s)
                self._last_error = error
                unsent_packets, unsent_frames = self._unsent_at_end
                self._unsent_at_end = (0, 0)
            log.warning(
                "%s: %s; retrying in %.1f s (attempt %d)%s",
                self._name,
                error,
                delay_s,
                self._backoff.attempt,
                _unsent_words(unsent_packets, unsent_frames, "; "),
            )
        with self._lock:
            self._count_left_at_stop()
            self._enter(OutputState.STOPPED)

    def _count_left_at_stop(self) -> None:
        """Count what was still waiting here when the output stopped (lock held): queued
        behind a server that did not take it before the flush deadline, or while the output
        was down. It was dropped without a count, and the run's figures said less than the
        server's copy lacked. As a connection's start counts what it skips: a loss once the
        stream began (_count_skipped)."""
        left = [*self._ready, *self._held_audio, *self._queue] if self._first_keyframe_sent else []
        self._ready.clear()
        self._held_audio.clear()
        self._queue.clear()
        for packet in left:
            self._count_dropped(packet)
        video = sum(packet.kind == "video" for packet in left)
        self._unsent_at_end = (self._unsent_at_end[0] + len(left), self._unsent_at_end[1] + video)

    def _spawn(self) -> _Child:
        process = subprocess.Popen(
            self._child_command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_environment(),
            close_fds=True,
        )
        now_s = self._clock()
        child = _Child(
            process=process,
            started_s=now_s,
            last_progress_s=now_s,
            phases=ConnectionPhases(urlsplit(self._url).scheme),
            socket=SocketReader(process.pid),
            acknowledgements=AcknowledgementWatch(),
        )
        assert process.stdout is not None and process.stderr is not None
        child.events_thread = threading.Thread(
            target=self._read_events, args=(child, process.stdout), daemon=True,
            name=f"network-events-{process.pid}",
        )  # fmt: skip
        child.events_thread.start()
        child.log_thread = threading.Thread(
            target=self._read_log, args=(child, process.stderr), daemon=True,
            name=f"network-log-{process.pid}",
        )  # fmt: skip
        child.log_thread.start()
        return child

    def _read_events(self, child: _Child, stream: IO[bytes]) -> None:
        try:
            self._read_event_lines(child, stream)
        except (OSError, ValueError):
            pass  # the pipe broke: the process is gone, which the supervisor sees
        finally:
            with contextlib.suppress(OSError):
                stream.close()
            with self._lock:
                child.finished = True

    def _read_event_lines(self, child: _Child, stream: IO[bytes]) -> None:
        for raw_line in stream:
            try:
                event: dict[str, Any] = json.loads(raw_line)
            except ValueError:
                continue
            now_s = self._clock()
            kind = event.get("event")
            with self._lock:
                if kind in ("ready", "opened"):
                    child.last_progress_s = now_s
                    if kind == "ready":
                        if child.began_s is None:
                            child.began_s = now_s
                        child.ready.set()
                elif kind == "relay" and isinstance(event.get("port"), int):
                    child.socket.relay_port = event["port"]
                elif kind == "connected":
                    child.connected_s = now_s
                    child.last_progress_s = now_s
                    child.phases.went_live()
                    self._enter(OutputState.LIVE)
                    self._last_error = None
                elif kind in ("progress", "closed", "error"):
                    packets = int(event.get("packets", child.packets))
                    late = event.get("late_packets")
                    if packets > child.packets or (
                        isinstance(late, int) and late > child.late_packets
                    ):
                        child.last_progress_s = now_s  # written, or dropped for delay
                    child.packets = packets
                    child.bytes_sent = int(event.get("bytes", child.bytes_sent))
                    sample_s, sample_bytes = self._rate_sample
                    total = self._bytes_before_child + child.bytes_sent
                    if now_s - sample_s >= 1.0:
                        if sample_s > 0 and total >= sample_bytes:
                            self._bitrate_kbps = (
                                (total - sample_bytes) * 8 / 1000 / (now_s - sample_s)
                            )
                        self._rate_sample = (now_s, total)
                    self._count_late(child, event, now_s)
                    if kind == "error":
                        child.error = words_of_event(
                            event.get("words"), lambda text: masked(text, self._url)
                        ) or as_said(masked(str(event.get("message", "error")), self._url))
            if kind == "connected":
                log.info("%s: live", self._name)
            self._say_slow_uplink(now_s)

    def _count_late(self, child: _Child, event: dict[str, Any], now_s: float) -> None:
        """Count what the child dropped to keep the delay under a second (lock held)."""
        frames, late_packets = event.get("late_frames"), event.get("late_packets")
        if not isinstance(frames, int) or not isinstance(late_packets, int):
            return
        if frames > child.late_frames:
            self._dropped_video_frames += frames - child.late_frames
            self._slow_uplink_frames += frames - child.late_frames
            self._slow_uplink_s = now_s
            child.late_frames = frames
        if late_packets > child.late_packets:
            self._dropped_packets += late_packets - child.late_packets
            child.late_packets = late_packets
        most_ms = event.get("most_delay_ms")
        delays = self._slow_uplink_delays
        if isinstance(most_ms, int) and most_ms > DELAY_LIMIT_S * 1000:
            delays.append((now_s, most_ms / 1000))
        while delays and now_s - delays[0][0] > _SLOW_UPLINK_SAID_S:
            delays.popleft()

    def _slow_uplink_words(self, now_s: float) -> Words | None:
        """What the status says while the child drops frames for delay (lock held)."""
        if self._slow_uplink_s is None or now_s - self._slow_uplink_s > _SLOW_UPLINK_SAID_S:
            return None
        delays = self._slow_uplink_delays
        while delays and now_s - delays[0][0] > _SLOW_UPLINK_SAID_S:
            delays.popleft()
        if delays:
            # Not kept under it: as far as it went, in tenths, rounded up (never said less).
            most_s = math.ceil(max(delay_s for _, delay_s in delays) * 10) / 10
            return Words(
                _SLOW_UPLINK_BEHIND, frames=str(self._slow_uplink_frames), seconds=f"{most_s:g}"
            )
        return Words(
            _SLOW_UPLINK,
            frames=str(self._slow_uplink_frames),
            seconds=f"{DELAY_LIMIT_S:g}",
        )

    def _say_slow_uplink(self, now_s: float) -> None:
        """The log's line (the console of ``anchordesk live``): when drops begin, then at
        most every ``_SLOW_UPLINK_SAID_S`` while they go on, with the count so far."""
        with self._lock:
            words = self._slow_uplink_words(now_s)
            if (
                words is None
                or self._slow_uplink_frames == self._slow_uplink_said_frames
                or now_s - self._slow_uplink_said_s < _SLOW_UPLINK_SAID_S
            ):
                return
            self._slow_uplink_said_frames = self._slow_uplink_frames
            self._slow_uplink_said_s = now_s
        log.warning("%s: %s", self._name, words)

    def _read_log(self, child: _Child, stream: IO[bytes]) -> None:
        try:
            for raw_line in stream:
                text = raw_line.decode("utf-8", "replace").rstrip()
                if text:
                    text = masked(text, self._url)
                    with self._lock:
                        child.phases.feed(text)
                        if child.began_s is None and child.phases.phase > Phase.STARTED:
                            child.began_s = self._clock()
                        if not child.phases.not_acknowledging:
                            child.not_acknowledging_since_s = None
                        elif child.not_acknowledging_since_s is None:
                            child.not_acknowledging_since_s = self._clock()
                    log.debug("%s child: %s", self._name, text)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                stream.close()

    def _take_from_queue(
        self, waiting_for_keyframe: bool, wait: bool = True
    ) -> tuple[EncodedPacket | None, bool]:
        """The next packet to send (None after a short wait, or at once unless ``wait``),
        applying the keyframe rule.

        A connection (and the stream after a gap) starts at a video keyframe. A frame-threaded
        encoder hands out a keyframe a few frames after its picture went in, so the audio of
        those frames is queued before it: that audio is held, and what belongs at or after the
        keyframe's time goes out right behind it; only older audio is dropped.
        """
        if self._ready:
            return self._ready.popleft(), False
        with self._lock:
            if not self._queue and wait:
                self._packet_ready.wait(_POLL_S)
            while self._queue:
                packet = self._queue.popleft()
                if packet.kind == "video" and self._video_gap:
                    self._video_gap = False
                    waiting_for_keyframe = True
                if not waiting_for_keyframe:
                    return packet, False
                if packet.kind == "audio":
                    self._held_audio.append(packet)
                    if len(self._held_audio) > _HELD_AUDIO_PACKETS:
                        self._count_dropped(self._held_audio.popleft())
                    continue
                if not packet.is_keyframe:
                    self._count_skipped(packet)
                    continue
                for audio in self._held_audio:
                    if audio.pts_s >= packet.pts_s:
                        self._ready.append(audio)
                    elif self._first_keyframe_sent:
                        self._count_dropped(audio)
                self._held_audio.clear()
                self._first_keyframe_sent = True
                return packet, False
        return None, waiting_for_keyframe

    def wants_keyframe(self) -> bool:
        """The pipeline's optional hook: True once when a connection starts (see the trim)."""
        with self._lock:
            self._keyframe_hook_polled = True
            wanted, self._keyframe_wanted = self._keyframe_wanted, False
        return wanted

    def _count_dropped(self, packet: EncodedPacket) -> None:
        """Count a packet that will never be sent (call with the lock held)."""
        self._dropped_packets += 1
        if packet.kind == "video":
            self._dropped_video_frames += 1

    def _count_skipped(self, packet: EncodedPacket) -> None:
        """Count a packet a connection does not start with (lock held): a loss once the stream
        began; before its very first keyframe the stream has not begun (its first destination
        child was still starting: up to 3 s on a loaded machine), as for audio timed before it."""
        if self._first_keyframe_sent:
            self._count_dropped(packet)

    def _trim_queue_to_newest_keyframe(self) -> None:
        """Resume from the newest keyframe: older packets would only add latency."""
        with self._lock:
            for packet in (*self._ready, *self._held_audio):
                self._count_dropped(packet)
            self._ready.clear()
            self._held_audio.clear()
            newest = None
            for index in range(len(self._queue) - 1, -1, -1):
                packet = self._queue[index]
                if packet.kind == "video" and packet.is_keyframe:
                    newest = index
                    break
            self._video_gap = False
            if self._keyframe_hook_polled:
                newest_video_s = max(
                    (p.pts_s for p in self._queue if p.kind == "video"), default=None
                )
                stale = (
                    newest is not None
                    and newest_video_s is not None
                    and newest_video_s - self._queue[newest].pts_s > _STALE_KEYFRAME_S
                )
                if newest is None or stale:
                    # Ask for a keyframe now: the pipeline makes one within a frame or two.
                    # (Not when a fresh one is queued: a second keyframe right behind it is
                    # 40-60 kB more for a slow link's first second.)
                    self._keyframe_wanted = True
                if stale:
                    # Starting at an old keyframe would keep this connection up to a keyframe
                    # interval behind live for its whole life; the fresh one is frames away.
                    while self._queue:
                        packet = self._queue.popleft()
                        if packet.kind == "audio":
                            self._held_audio.append(packet)
                            if len(self._held_audio) > _HELD_AUDIO_PACKETS:
                                self._count_dropped(self._held_audio.popleft())
                        else:
                            self._count_skipped(packet)
                    return
            if newest is None:
                # No keyframe yet: keep the audio, whose newest part may follow the keyframe
                # still in the encoder; _take_from_queue holds it until the keyframe comes.
                return
            keyframe_s = self._queue[newest].pts_s
            for _ in range(newest):
                packet = self._queue.popleft()
                if packet.kind == "audio" and packet.pts_s >= keyframe_s:
                    self._held_audio.append(packet)
                else:
                    self._count_skipped(packet)

    def _open_pipe_muxer(self, sink: _MemorySink) -> tuple[OutputContainer, Stream, Stream | None]:
        streams = self._streams
        assert streams is not None
        container: OutputContainer = av.open(
            sink,
            "w",
            format=_PIPE_FORMAT,
            options=_PIPE_OPTIONS,
            container_options=_PIPE_CONTAINER_OPTIONS,
        )
        video = container.add_stream_from_template(streams.video)
        audio = (
            container.add_stream_from_template(streams.audio) if streams.audio is not None else None
        )
        return container, video, audio

    def _run_child(self) -> tuple[float, Words, float | None]:
        """One connection attempt, until it fails or the output stops.

        Returns how long it was live, why it ended (key-free words: ``str()`` is the
        one-line English reason of the logs) and, for a stall, since when nothing was taken.
        """
        try:
            child = self._spawn()
        except OSError as error:
            return 0.0, Words(_CANNOT_START_PROCESS, error=one_line(error)), None
        with self._lock:
            self._child = child
        stdin = child.process.stdin
        assert stdin is not None
        fd = stdin.fileno()
        sink = _MemorySink()
        header = json.dumps({"url": self._url, "input_format": _PIPE_FORMAT}) + "\n"
        pending = bytearray(header.encode("utf-8"))
        os.set_blocking(fd, False)
        try:
            container, video, audio = self._open_pipe_muxer(sink)
        except (OSError, av.FFmpegError, ValueError) as error:
            self._end_child(child, graceful=False)
            return 0.0, Words(_CANNOT_START_STREAM, error=one_line(error)), None
        waiting_for_keyframe = True
        trimmed = False  # to the newest keyframe, once the child is ready
        reason: Words | None = None
        eof_sent = False
        looked_s = self._clock()
        try:
            while True:
                now_s = self._clock()
                if now_s - looked_s > _PAUSED_S:
                    self._forget_pause(child, now_s - looked_s)
                looked_s = now_s
                with self._lock:
                    stopping = self._stopping
                    finished = child.finished
                    child_error = child.error
                    last_progress_s = child.last_progress_s
                    connected = child.connected_s is not None
                    direct_open = self._direct is not None
                ended = finished or child.process.poll() is not None
                stalled = self._stall_reason(child, now_s, connected, last_progress_s, pending)
                if direct_open:
                    if not (ended or stopping or stalled):
                        # send() writes; watch the child, wake up when send() hands back.
                        with self._lock:
                            if self._direct is not None and not self._stopping:
                                self._packet_ready.wait(_POLL_S)
                        continue
                    self._close_direct()
                if stopping and not connected:
                    # Nothing reached a viewer, so nothing is left to finish: the child may
                    # sit in a name lookup or a handshake for seconds (a stop during a slow
                    # DNS answer took 1.1-1.2 s of the 2 s): it is ended at once.
                    break
                if ended:
                    if stopping:
                        break
                    # One wait for its exit status and its last log lines, not one each.
                    last_lines_by_s = time.monotonic() + _LAST_LOG_LINES_S
                    reason = child_error or self._exit_reason(child, _LAST_LOG_LINES_S)
                    # The log lines say how far it got, or what the server said as it ended a
                    # live stream: wait for the last of them, which come at the child's exit
                    # (stderr's end). Its stdout can end first and its exit take over a second
                    # on a loaded machine: with 1 s, the line "Unknown packet type" came too
                    # late once and a server speaking no RTMP was called a refused key. The
                    # child is on its way out (it said its error or closed stdout), so the
                    # wait is short in practice.
                    if child.log_thread is not None:
                        child.log_thread.join(max(0.0, last_lines_by_s - time.monotonic()))
                    self._look_for_web_server(child, now_s, ended=True)
                    with self._lock:
                        if connected:
                            reason = child.phases.lost_words(reason)
                        else:
                            reason = child.phases.failure_words(reason)
                    break
                if (
                    stopping
                    and not eof_sent
                    and (
                        not connected
                        or not self._queue
                        or time.monotonic() >= self._flush_deadline_s
                    )
                ):
                    # Nothing (more) to deliver: finish the stream and let the trailer go.
                    with contextlib.suppress(Exception):
                        container.close()
                    pending += sink.buffer
                    sink.buffer.clear()
                    eof_sent = True
                if stopping and time.monotonic() >= self._stop_deadline_s:
                    break
                if stalled:
                    reason = stalled
                    break
                if pending:
                    # The pipe has room most of the time: write at once, and wait for it only
                    # when it is full (a select per packet costs more than the write).
                    if not self._write_pending(child, fd, pending):
                        select.select([], [fd], [], _POLL_S)
                    continue
                if eof_sent:
                    with contextlib.suppress(OSError):
                        stdin.close()
                    # Wait for the child to write the trailer and exit (checked above).
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        child.process.wait(_POLL_S)
                    continue
                if not trimmed:
                    # The packets wait here while the child starts, and the connection starts
                    # at the newest keyframe once it is ready: written at its start, they
                    # waited in the pipe and reached the server as late as the child was to
                    # start (3.3 s on a loaded machine). The start's deadline runs from the
                    # first packet that waits for it (_stall_reason). Trimmed once it is seen
                    # ready, wherever this loop was when it said so: only when it came during
                    # the wait below, a "ready" said while the deadlines were looked at (slow
                    # on a loaded machine) sent the queue from its oldest keyframe.
                    if not child.ready.is_set():
                        with self._lock:
                            if self._queue and child.media_since_s is None:
                                child.media_since_s = now_s
                        child.ready.wait(_POLL_S)
                        continue
                    self._trim_queue_to_newest_keyframe()
                    trimmed = True
                    continue
                if not waiting_for_keyframe and not self._ready and not self._held_audio:
                    with self._lock:
                        if not self._queue and not self._stopping:
                            # All caught up: send() writes the next packets itself.
                            self._direct = _Direct(
                                child, fd, container, video, audio, sink, pending
                            )
                            continue
                # Everything queued goes out in one write: the packets of one frame (video and
                # its audio) come together, and each wake-up of this thread costs more CPU than
                # muxing a packet.
                packet, waiting_for_keyframe = self._take_from_queue(waiting_for_keyframe)
                while packet is not None:
                    self._mux(container, video, audio, packet, child)
                    packet, waiting_for_keyframe = self._take_from_queue(
                        waiting_for_keyframe, wait=False
                    )
                if sink.buffer:
                    if child.media_since_s is None:
                        child.media_since_s = self._clock()
                    pending += sink.buffer
                    sink.buffer.clear()
                    self._write_pending(child, fd, pending)
        finally:
            self._close_direct()
            if not eof_sent:
                with contextlib.suppress(Exception):
                    container.close()
            live_s = self._attempt_live_s(child)
            self._end_child(child, graceful=reason is None and child.connected_s is not None)
            self._count_unsent_by_child(child)
        return live_s, reason or Words(_STOPPED), child.stalled_since_s

    @staticmethod
    def _count_muxed(child: _Child, packet: EncodedPacket) -> None:
        """One more packet in ``child``'s pipe (lock held)."""
        child.muxed += 1
        child.muxed_kinds.append(packet.kind)

    def _count_unsent_by_child(self, child: _Child) -> None:
        """Count the packets muxed into ``child``'s pipe that it never wrote (it ended: killed
        at the stop's deadline, or a failed connection): they waited in the pipe or in the
        child and never reached the server. Its last event says how many it wrote; read after
        it exited, so its stdout is at its end (a child killed before it said so: as far as it
        said)."""
        if child.events_thread is not None:
            child.events_thread.join(_LAST_EVENTS_S)
        with self._lock:
            unsent = child.muxed - child.packets - child.late_packets
            if unsent <= 0:
                return
            newest = list(child.muxed_kinds)[-unsent:]
            video = newest.count("video")
            self._dropped_packets += unsent
            self._dropped_video_frames += video
            self._unsent_at_end = (self._unsent_at_end[0] + unsent, self._unsent_at_end[1] + video)

    def _attempt_live_s(self, child: _Child) -> float:
        """How long this attempt was live: from its connection to its stall's own start (a
        stall is seen only ``stall_timeout_s`` after it began, and nothing reached a viewer
        since), or to now. The backoff's reset after a connection that proved stable uses it,
        as the time live of the run does (_enter): a connection live 8 s whose server then
        took nothing for 4 s counted as "live 12 s", stable, and the schedule of a server that
        fails every 12 s went back to 2 s at each failure."""
        if child.connected_s is None:
            return 0.0
        until_s = self._clock()
        if child.stalled_since_s is not None:
            until_s = min(until_s, child.stalled_since_s)
        return max(0.0, until_s - child.connected_s)

    def _forget_pause(self, child: _Child, paused_s: float) -> None:
        """This loop did not run for ``paused_s`` (the process was stopped: Ctrl+Z, SIGSTOP, a
        suspended laptop): that time says nothing about the server or the child, which had
        nothing to take meanwhile. The attempt's clocks move on by it, so the next look at the
        socket and the child decides, not a deadline that ran out while nobody watched."""
        log.info("%s: this program was paused for %.1f s", self._name, paused_s)
        with self._lock:
            # Nor was it live meanwhile: nothing was sent. A run stopped 6 s (Ctrl+Z) of its 8
            # said "live 0:09", longer than the run, and the backoff took the pause for a
            # connection that proved stable.
            if self._live_since_s is not None:
                self._live_since_s += paused_s
            if child.connected_s is not None:
                child.connected_s += paused_s
            child.last_progress_s += paused_s
            if child.not_acknowledging_since_s is not None:
                child.not_acknowledging_since_s += paused_s
            if child.media_since_s is not None:
                child.media_since_s += paused_s
            if child.began_s is not None:
                child.began_s += paused_s
            child.acknowledgements = AcknowledgementWatch()
            child.relay_watch = RelayWatch()
            child.next_socket_sample_s = 0.0

    def _stall_reason(
        self,
        child: _Child,
        now_s: float,
        connected: bool,
        last_progress_s: float,
        pending: bytearray,
    ) -> Words | None:
        """Why this attempt must end now (None: it may go on). See the module doc.

        Nothing here depends on the pipe having taken a byte lately: a child stuck before it
        reads anything, with the pipe full since, still runs out of time.
        """
        if not connected:
            if child.media_since_s is None or self._stopping:
                return None  # nothing to send yet (stopping has its own deadline)
            if self._look_for_web_server(child, now_s, ended=False):
                with self._lock:
                    return child.phases.failure_words(as_said(""))
            with self._lock:
                began_s = child.began_s
            if began_s is None:
                # Still starting, not one step towards the server made: its own deadline.
                if now_s - child.media_since_s <= self._start_timeout_s:
                    return None
                return Words(_NOT_STARTED, seconds=f"{self._start_timeout_s:g}")
            if now_s - max(child.media_since_s, began_s) <= self._connect_timeout_s:
                return None
            with self._lock:
                return child.phases.failure_words(as_said(""), timed_out_s=self._connect_timeout_s)
        if now_s >= child.next_socket_sample_s:
            child.next_socket_sample_s = now_s + _SOCKET_SAMPLE_S
            server_leg = child.socket.read()
            child.acknowledgements.update(server_leg, now_s)
            child.relay_watch.update(child.socket.read_relay_leg(), server_leg, now_s)
        limit_s = self._stall_timeout_s
        if (stalled_s := child.acknowledgements.stalled_for_s(now_s)) > limit_s:
            child.stalled_since_s = now_s - stalled_s
            return Words(_SERVER_NOT_TAKING, seconds=f"{limit_s:g}")
        if (stalled_s := child.relay_watch.stalled_for_s(now_s)) > limit_s:
            child.stalled_since_s = now_s - stalled_s
            return Words(_RELAY_NOT_TAKING, seconds=f"{limit_s:g}")
        with self._lock:
            since_s = child.not_acknowledging_since_s
        if (
            since_s is not None
            and now_s - since_s > limit_s
            # A relay stopped since it said so cannot say that the server answered again.
            and child.relay_watch.stalled_for_s(now_s) == 0
        ):
            child.stalled_since_s = since_s
            return Words(_SERVER_NOT_TAKING, seconds=f"{limit_s:g}")
        data_waiting = bool(pending) or child.last_write_s > last_progress_s
        if data_waiting and now_s - last_progress_s > self._stall_timeout_s:
            child.stalled_since_s = last_progress_s
            return Words(_STALLED, seconds=f"{self._stall_timeout_s:g}")
        return None

    def _look_for_web_server(self, child: _Child, now_s: float, *, ended: bool) -> bool:
        """True when a web server answered this attempt's RTMP handshake (over rtmps: inside
        the TLS connection).

        A handshake unanswered for ``HANDSHAKE_LOOK_AFTER_S``, or one the server broke off, is
        looked at on a connection of its own (network_watch.web_server_answer), on a thread:
        this loop goes on meanwhile; after the child ended it waits for that look.
        """
        with self._lock:
            phase = child.phases.phase
            found = child.phases.web_answer is not None
        if found:
            return True
        if phase != Phase.RTMP_HANDSHAKE:
            return False
        if child.handshake_sent_s is None:
            child.handshake_sent_s = now_s
        waited_s = now_s - child.handshake_sent_s
        if child.web_look is None and (ended or waited_s >= HANDSHAKE_LOOK_AFTER_S):
            child.web_look = threading.Thread(
                target=self._web_look, args=(child,), name="rtmp-web-look", daemon=True
            )
            child.web_look.start()
        if ended and child.web_look is not None and not self._stopping:
            child.web_look.join(_WEB_LOOK_S)
        with self._lock:
            return child.phases.web_answer is not None

    def _web_look(self, child: _Child) -> None:
        parts = urlsplit(self._url)
        tls = parts.scheme.lower() == "rtmps"
        try:
            host, port = parts.hostname, parts.port or (_RTMPS_PORT if tls else _RTMP_PORT)
        except ValueError:
            return
        if not host:
            return
        context = None
        if tls:
            from anchordesk.media.tls_relay import tls_context

            context = tls_context()
        answer = web_server_answer(host, port, timeout_s=_WEB_LOOK_S, tls=context)
        if answer is not None:
            with self._lock:
                child.phases.web_answer = answer

    def _rebased(
        self, child: _Child, packet: EncodedPacket, lock_held: bool = False
    ) -> EncodedPacket | None:
        """``packet`` on the connection's own timeline (None: it comes before its start and is
        dropped, counted). Called by the one thread that writes to the child at a time (the
        supervisor, or send() on the direct path with the lock held)."""
        if child.origin is None:
            if packet.kind != "video" or not packet.is_keyframe:
                self._count_dropped_locked(packet, lock_held)
                return None
            child.origin = stream_origin(packet)
            if lock_held:
                child.stream_zero_s = self._handed_s(packet)
            else:
                with self._lock:
                    child.stream_zero_s = self._handed_s(packet)
        elif packet.kind == "audio" and not at_or_after(packet, child.origin):
            # Timed before the connection's first picture: the stream starts with its picture
            # (as the very first one does, see _first_keyframe_sent); not a loss.
            return None
        return shifted(packet, child.origin)

    def _handed_s(self, packet: EncodedPacket) -> float | None:
        """When ``packet`` was handed to send() (None: not remembered; lock held)."""
        return next(
            (
                at_s
                for pts, time_base, at_s in self._keyframes_handed
                if pts == packet.pts and time_base == packet.time_base
            ),
            None,
        )

    def _count_dropped_locked(self, packet: EncodedPacket, lock_held: bool) -> None:
        if lock_held:
            self._count_dropped(packet)
            return
        with self._lock:
            self._count_dropped(packet)

    def _mux(
        self,
        container: OutputContainer,
        video: Stream,
        audio: Stream | None,
        packet: EncodedPacket,
        child: _Child,
    ) -> None:
        stream = video if packet.kind == "video" else audio
        if stream is None:
            return
        starting = child.origin is None
        rebased = self._rebased(child, packet)
        if rebased is None:
            return
        if starting and child.stream_zero_s is not None:
            # Into the pipe's header, which this first packet writes: the child measures how
            # late the packets queued while it started reach it (network_delay).
            container.metadata[network_child.STREAM_ZERO_TAG] = repr(child.stream_zero_s)
        try:
            container.mux(av_packet(rebased, stream))
        except (av.FFmpegError, ValueError) as error:
            # A malformed packet (e.g. timestamps out of order): skip it, keep going.
            with self._lock:
                self._count_dropped(packet)
            log.debug("%s: packet not muxed: %s", self._name, one_line(error))
        else:
            with self._lock:
                self._count_muxed(child, packet)

    def _write_pending(self, child: _Child, fd: int, pending: bytearray) -> bool:
        """Write what the non-blocking pipe takes now; False when it is full."""
        try:
            written = os.write(fd, pending[:_WRITE_CHUNK_BYTES])
        except BlockingIOError:
            return False
        except OSError:
            # The child is gone: its exit status and error say why.
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(1.0)
            return True
        del pending[:written]
        with self._lock:
            child.last_write_s = self._clock()
        return True

    @staticmethod
    def _exit_reason(child: _Child, wait_s: float = _LAST_LOG_LINES_S) -> Words:
        # Its stdout ends as it exits, a moment before its exit status can be read: read at
        # once, a child killed from outside (SIGKILL) was called "the server closed the
        # connection" on a loaded machine. It is on its way out, so the wait is short in
        # practice; bounded by the wait for its last log lines, which it shares.
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(wait_s)
        code = child.process.poll()
        if code is None or code == 0:
            return Words(_SERVER_CLOSED)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return Words(_PROCESS_KILLED, signal=name)
        return Words(_PROCESS_ENDED, code=str(code))

    def _end_child(self, child: _Child, graceful: bool) -> None:
        process = child.process
        if process.poll() is None:
            if graceful:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(max(0.0, self._stop_deadline_s - time.monotonic()))
            if process.poll() is None:
                process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(2.0)
        # stdout and stderr are closed by their reader threads at EOF.
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        with self._lock:
            self._bytes_before_child += child.bytes_sent
            if self._child is child:
                self._child = None
