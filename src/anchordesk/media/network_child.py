"""The child process that pushes one RTMP(S) destination.

It is started as ``python -m anchordesk.media.network_child`` from a Python installation, and
as ``<the app's executable> --network-child`` from a frozen (PyInstaller) app, which has no
``-m``: :func:`anchordesk.cli.main` runs :func:`run` when that is its first argument.
See :func:`child_command`.

Why a process: PyAV holds the GIL while FFmpeg connects, performs the RTMP handshake, writes
and writes the trailer, with no timeout for outputs (PyAV issue #2400). A server that accepts
TCP and never answers would freeze every thread of the program. A child process can be killed.

Protocol (the parent is :class:`anchordesk.media.network_output.NetworkOutput`):

- stdin, first line: a JSON object ``{"url": ..., "input_format": "matroska"}``. The URL holds
  the stream key, so it never goes on the command line or into the environment, where other
  users of the machine could read it (``/proc/PID/cmdline``, ``/proc/PID/environ``).
- stdin, after that line: the encoded packets as a live Matroska stream (codec parameters with
  extradata in its header, one small cluster per packet), until EOF. Its header's tag
  :data:`STREAM_ZERO_TAG` says when the parent was handed the stream's first keyframe (its
  time zero), on the monotonic clock (:mod:`anchordesk.media.network_delay`).
- stdout: JSON lines, ``{"event": "ready"}`` once this process is started (Python and FFmpeg
  loaded, the header line read, over rtmps its TLS relay connected): only then does the parent
  choose the keyframe the connection starts at and write media, so that keyframe is fresh;
  ``{"event": "opened"}`` once the input header is read,
  ``{"event": "connected"}`` once the first packet went out (the handshake is done),
  ``{"event": "progress", "packets": N, "bytes": N, "late_frames": N, "late_packets": N,
  "delay_ms": N, "most_delay_ms": N}`` at most every ``PROGRESS_INTERVAL_S`` while packets
  flow (``most_delay_ms``: the most delay of a packet written since the last one),
  ``{"event": "error", "message": ...}`` (key masked) before a failure exit,
  ``{"event": "closed", ...}`` after a clean trailer.
- stderr: FFmpeg's own log lines (debug detail until the first packet went out, errors after
  that), which tell the parent how far a connection got; the parent masks them.
- exit code: 0 after EOF and a clean trailer, 1 on a connection or muxing error, 2 on a
  protocol error.
- environment: only what :func:`anchordesk.media.network_output.child_environment` passes
  (no token of the program).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import signal
import ssl
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from anchordesk.media.network_delay import Backlog, StreamDelay

if TYPE_CHECKING:
    from anchordesk.core.words import Words

PROGRESS_INTERVAL_S: Final = 0.2
#: The FLV muxer's options. ``max_interleave_delta``: FFmpeg holds a packet until one of every
#: other stream comes with a later time, up to 10 s by default. While the picture is dropped for
#: delay (network_delay) the sound then waited in the muxer, unseen by the delay's measure (the
#: socket was empty): the viewers heard nothing, up to 5.4 s behind, then all of it at once. A
#: tenth of a second still puts packets a little apart back in order.
FLV_OPTIONS: Final = {"flvflags": "no_duration_filesize", "max_interleave_delta": "100000"}
# The first argument that makes the app's own executable run as this child (frozen apps).
CHILD_MODE_ARGUMENT: Final = "--network-child"
# The Matroska tag of the pipe's header that holds ``time.monotonic()`` of the parent when it
# was handed the stream's first keyframe (as FFmpeg reads it back: upper case).
STREAM_ZERO_TAG: Final = "ANCHORDESK_STREAM_ZERO_S"
_MAX_HEADER_BYTES: Final = 64 * 1024
# How often the socket is read while the first keyframe waits (sock_diag: well under 1 ms).
_FIRST_KEYFRAME_POLL_S: Final = 0.005


def child_command(executable: str | None = None, *, frozen: bool | None = None) -> list[str]:
    """The command that starts this child; it never holds the URL (that goes on stdin).

    ``frozen`` defaults to ``sys.frozen`` (set by PyInstaller), ``executable`` to
    ``sys.executable``: the Python interpreter, or in a frozen app the app itself.
    """
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    program = executable or sys.executable
    if frozen:
        return [program, CHILD_MODE_ARGUMENT]
    return [program, "-m", "anchordesk.media.network_child"]


def secrets_of(url: str) -> list[str]:
    """The parts of ``url`` that must never be shown (:func:`anchordesk.core.redact.url_secrets`:
    the one masking rule), longest first."""
    from anchordesk.core.redact import url_secrets

    return url_secrets(url)


def masked(text: str, url: str) -> str:
    from anchordesk.core.redact import mask_secrets, mask_url

    return mask_secrets(text.replace(url, mask_url(url)), secrets_of(url))


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies, even while FFmpeg blocks in a socket call.

    (The signal follows the parent *thread* that spawned this process: the supervisor thread
    of the output, which outlives every child it starts.)
    """
    if not sys.platform.startswith("linux"):
        return
    parent_pid = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before prctl took effect


class _Reporter:
    def __init__(self) -> None:
        self._out = sys.stdout

    def send(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}, ensure_ascii=True)
        try:
            self._out.write(line + "\n")
            self._out.flush()
        except (BrokenPipeError, ValueError):
            # The parent is gone: nobody is watching, stop now.
            os._exit(1)


def untrusted_server(url: str, timeout_s: float = 8.0) -> Words | None:
    """For ``rtmps://`` where no relay can be forked (Windows): why the server must not get
    the stream key (None: it may).

    FFmpeg, as PyAV opens an output, checks no certificate. Where it can, the child sends the
    stream only through a connection it checked itself (:mod:`anchordesk.media.tls_relay`).
    Without ``fork``, the server's certificate and name are checked here first, on a
    connection of their own, before FFmpeg connects: that stops a wrong server, not someone
    in between who answers only FFmpeg's connection.
    """
    from anchordesk.core.net import connect_first
    from anchordesk.media.tls_relay import tls_context

    parts = urlsplit(url)
    if parts.scheme.lower() != "rtmps" or not parts.hostname:
        return None
    host, port = parts.hostname, parts.port or 443
    try:
        raw = connect_first(host, port, timeout_s)
    except (OSError, ValueError):
        return None  # not reachable: FFmpeg's attempt says how far it gets
    # In FFmpeg's words, for the parent's ConnectionPhases: a server that takes the connection
    # and never answers the TLS handshake (an RTMP port) is then told as such.
    os.write(2, f"[tcp @ tls-check] Successfully connected to {host} port {port}\n".encode())
    try:
        with raw, tls_context().wrap_socket(raw, server_hostname=host):
            return None
    except ssl.SSLCertVerificationError as error:
        from anchordesk.media.tls_relay import certificate_not_trusted

        return certificate_not_trusted(error.verify_message or error.reason or "not trusted")
    except (OSError, ValueError):
        return None  # not TLS, or no answer: FFmpeg's attempt says which


def _read_header() -> dict[str, Any]:
    """Read the first stdin line byte by byte, so that no media byte is buffered in Python:
    FFmpeg reads the rest of fd 0 itself."""
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            raise ValueError("stdin closed before the header line")
        data += chunk
        if len(data) > _MAX_HEADER_BYTES:
            raise ValueError("header line too long")
    header = json.loads(data.decode("utf-8"))
    if not isinstance(header, dict) or not isinstance(header.get("url"), str):
        raise ValueError("header must be a JSON object with a 'url' string")
    return header


class _DtsFiller:
    """Gives every packet a decode timestamp, without dropping any.

    Matroska stores presentation times only; the demuxer derives dts and leaves it unset on
    the first packets of a stream (those read while probing, and with B-frames the reorder
    delay), the first of which is the connection's first video keyframe. Those packets are held
    until a packet of their stream carries a dts, then get decode times counted back from it
    by their durations (never after their own pts): without B-frames that is their own pts.
    Empty packets (the demuxer's end-of-stream flush) are skipped.
    """

    def __init__(self) -> None:
        self._held: dict[int, list[Any]] = {}

    def filled(self, packets: Iterable[Any]) -> Iterator[Any]:
        for packet in packets:
            if packet.size == 0 or (packet.dts is None and packet.pts is None):
                continue  # a flush packet, or one no muxer could place in time
            held = self._held.setdefault(packet.stream.index, [])
            if packet.dts is None:
                held.append(packet)
                continue
            if held:
                next_dts = packet.dts
                for earlier in reversed(held):
                    next_dts = min(earlier.pts, next_dts - max(1, earlier.duration or 0))
                    earlier.dts = next_dts
                yield from held
                held.clear()
            yield packet
        for held in self._held.values():
            for packet in held:
                packet.dts = packet.pts
            yield from held
        self._held.clear()


def _sound_behind_the_first_picture(packets: Iterable[Any], has_video: bool) -> Iterator[Any]:
    """``packets`` with the sound read after the first packet and before the first picture put
    right behind that picture. The first keyframe waits in :class:`_DtsFiller` for the next
    picture; pictures late on a loaded machine, the sound went on meanwhile, and past 0.1 s
    of it (FLV_OPTIONS' max_interleave_delta) the FLV muxer wrote the sound first and refused
    the keyframe ("Packets are not in the proper order with respect to DTS"): "live", then
    "Invalid argument: 'rtmp://…' returned 22" a second later. One packet of sound still goes
    first, as before: the muxer then lets the keyframe out as soon as it has it, and the
    server's acknowledgement of it is the link's first measure (_wait_for_the_first_keyframe)."""
    held: list[Any] = []
    started = pictured = not has_video
    for packet in packets:
        if pictured:
            yield packet
        elif packet.stream.type == "video":
            pictured = True
            yield packet
            yield from held
            held.clear()
        elif not started:
            started = True
            yield packet
        else:
            held.append(packet)
    yield from held


class _BacklogReader:
    """This process's connection to the server, as :class:`StreamDelay` needs it: the bytes
    written and not yet acknowledged (over rtmps also those waiting on FFmpeg's loopback
    connection to the TLS relay) and the bytes the server acknowledged. None where the
    kernel does not tell (not Linux, no sock_diag): then nothing is dropped for delay."""

    def __init__(self, relay_port: int | None) -> None:
        from anchordesk.media.network_watch import SocketReader

        self._reader = SocketReader(os.getpid())
        self._reader.relay_port = relay_port

    def read(self) -> Backlog | None:
        server = self._reader.read()
        if server is None:
            return None
        relay_leg = self._reader.read_relay_leg()
        waiting = server.unacknowledged_bytes + (
            relay_leg.unacknowledged_bytes if relay_leg is not None else 0
        )
        return Backlog(waiting, server.acknowledged_bytes)


def _wait_for_the_first_keyframe(backlog: _BacklogReader, delay: StreamDelay) -> None:
    """Write nothing more until the server acknowledged what was written (the connection's
    first keyframe), at most ``delay.limit_s``; how long that took is the link's first measure
    (network_delay). The packets meanwhile wait in the pipe, which their lateness shows. On a
    fast path this is a round trip."""
    start_s = time.monotonic()
    first = backlog.read()
    if first is None or first.acknowledged_bytes is None:
        delay.first_keyframe_waited(None, 0.0)  # nothing known of the socket
        return
    waiting, acknowledged, now_s = first.unacknowledged_bytes, first.acknowledged_bytes, start_s
    while waiting > 0 and now_s - start_s < delay.limit_s:
        time.sleep(_FIRST_KEYFRAME_POLL_S)
        now_s = time.monotonic()
        state = backlog.read()
        if state is None or state.acknowledged_bytes is None:
            delay.first_keyframe_waited(None, now_s - start_s)
            return
        waiting, acknowledged = state.unacknowledged_bytes, state.acknowledged_bytes
    delay.first_keyframe_waited(acknowledged - first.acknowledged_bytes, now_s - start_s)


def _late(delay: StreamDelay) -> dict[str, int]:
    """What the progress events say of the packets dropped for delay (network_delay)."""
    return {
        "late_frames": delay.dropped_frames,
        "late_packets": delay.dropped_packets,
        "delay_ms": round(min(delay.delay_s, 3600.0) * 1000),
        "most_delay_ms": round(min(delay.take_most_delay_s(), 3600.0) * 1000),
    }


def _stream_zero_s(metadata: dict[str, str]) -> float | None:
    """The parent's time of the stream's first keyframe (None: not said, or not a time)."""
    text = metadata.get(STREAM_ZERO_TAG) or metadata.get(STREAM_ZERO_TAG.lower())
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _leave_stopping_to_the_parent() -> None:
    """Ctrl+C, a terminal hang-up or ``kill -- -PGID`` (systemd's stop of the whole service,
    a process supervisor) signal every process of the group, this child too. Killed by SIGTERM
    it cut the stream without its end while the parent was stopping it properly ("the network
    process ended with code -15; retrying ... (attempt 1)" in the middle of the stop). The
    parent ends this process: end of input (a proper stop), SIGKILL (a stalled attempt) or its
    own death (``_die_with_parent``)."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_IGN)


def run() -> int:
    _leave_stopping_to_the_parent()
    _die_with_parent()
    reporter = _Reporter()
    try:
        header = _read_header()
    except (ValueError, OSError) as error:
        reporter.send("error", message=f"bad header: {error}")
        return 2
    url: str = header["url"]
    input_format: str = header.get("input_format", "matroska")

    import av

    # FFmpeg's own log lines go to stderr, written by FFmpeg itself: they reach the parent even
    # while this process is stuck in a connect or a handshake that holds the GIL, and they say
    # how far the connection got (network_watch.ConnectionPhases). Detailed until the
    # first packet is out, errors only after that.
    with contextlib.suppress(Exception):
        av.logging.restore_default_callback()
        av.logging.set_libav_level(av.logging.DEBUG)

    from anchordesk.media.destination_url import for_ffmpeg

    target = for_ffmpeg(url)  # RTMP:// and a name in another script are FFmpeg's no more
    relay = None  # its checked connection is kept open here, never used: the relay writes
    if urlsplit(url).scheme.lower() == "rtmps" and hasattr(os, "fork"):
        from anchordesk.media import tls_relay

        try:
            relay = tls_relay.relay(url, timeout_s=8.0)
        except tls_relay.Refused as error:
            reporter.send(
                "error",
                message=masked(str(error), url),
                words=tls_relay.words_event(error.words, lambda text: masked(text, url)),
                packets=0,
                bytes=0,
            )
            return 1
        target = relay.url
        reporter.send("relay", port=urlsplit(target).port)
    else:
        refusal = untrusted_server(url)
        if refusal is not None:
            from anchordesk.media.tls_relay import words_event

            reporter.send(
                "error",
                message=masked(str(refusal), url),
                words=words_event(refusal, lambda text: masked(text, url)),
                packets=0,
                bytes=0,
            )
            return 1

    reporter.send("ready")
    packets = 0
    bytes_sent = 0
    try:
        source = av.open(
            "pipe:0",
            "r",
            format=input_format,
            # The Matroska header carries all codec parameters: no need to read ahead. (Never
            # fflags=nobuffer: it throws away the packets read while probing, which is the
            # first video keyframe, and the server then waits 2 s for the next one.)
            options={"probesize": "32", "analyzeduration": "0"},
        )
        reporter.send("opened")
        destination = av.open(target, "w", format="flv", container_options=FLV_OPTIONS)
        mapping = {}
        for stream in source.streams:
            if stream.type in ("video", "audio"):
                mapping[stream.index] = destination.add_stream_from_template(stream)
        if not mapping:
            reporter.send("error", message="the input holds no audio or video stream")
            return 2
        last_report_s = 0.0
        timestamps = _DtsFiller()
        delay = StreamDelay(stream_zero_s=_stream_zero_s(dict(source.metadata)))
        backlog = _BacklogReader(relay_port=urlsplit(target).port if relay is not None else None)
        picture_sent = False
        has_video = any(stream.type == "video" for stream in source.streams)
        done_s: float | None = None  # when the last packet was dealt with (then: reading)
        for packet in _sound_behind_the_first_picture(timestamps.filled(source.demux()), has_video):
            if packet.stream.index not in mapping:
                continue
            now_s = time.monotonic()
            if done_s is not None:
                delay.input_waited(now_s - done_s)
            time_s = float(
                (packet.pts if packet.pts is not None else packet.dts) * packet.time_base
            )
            kind = packet.stream.type
            # The stream starts with its first packet and its first picture (the keyframe the
            # parent starts every connection at); past a second of delay the server is too
            # far behind: dropped, and counted.
            first_picture = kind == "video" and not picture_sent
            first = not packets or first_picture
            # (Before the first packet's mux there is no connection to read: it makes it.)
            state = backlog.read() if packets else None
            if delay.admit(kind, packet.is_keyframe, time_s, state, now_s, first=first):
                size = packet.size
                packet.stream = mapping[packet.stream.index]
                destination.mux(packet)
                packets += 1
                bytes_sent += size
                if packets == 1:
                    with contextlib.suppress(Exception):
                        av.logging.set_libav_level(av.logging.ERROR)
                    reporter.send("connected")
                if first_picture:
                    picture_sent = True
                    _wait_for_the_first_keyframe(backlog, delay)
            # Also while it drops: this process is not stuck (the parent's "no progress");
            # whether the server takes anything is the stall watch's to judge.
            if now_s - last_report_s >= PROGRESS_INTERVAL_S:
                reporter.send("progress", packets=packets, bytes=bytes_sent, **_late(delay))
                last_report_s = now_s
            done_s = time.monotonic()
        destination.close()
        source.close()
    except (OSError, av.FFmpegError, ValueError) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        message = message.replace(target, url)  # the relay's address is no news to anyone
        how = relay.abnormal_end(wait_s=0.5) if relay is not None else None
        words: dict[str, object] | None = None
        if how is not None:
            from anchordesk.core.words import Words
            from anchordesk.media import tls_relay

            # Its socket closed under FFmpeg as a server's does: "the server closed the
            # connection" sent the streamer to look at a server that was fine.
            ended = Words(tls_relay.RELAY_ENDED, how=how)
            message = str(ended)
            words = tls_relay.words_event(ended, lambda text: masked(text, url))
        reporter.send(
            "error",
            message=masked(message, url),
            **({"words": words} if words is not None else {}),
            packets=packets,
            bytes=bytes_sent,
        )
        return 1
    finally:
        if relay is not None:
            relay.connection.close()
    reporter.send("progress", packets=packets, bytes=bytes_sent, **_late(delay))
    reporter.send("closed", packets=packets, bytes=bytes_sent)
    return 0


if __name__ == "__main__":
    sys.exit(run())
