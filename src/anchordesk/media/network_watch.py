"""What the parent can learn about a network child without its help (it may be stuck).

Two sources, both readable while the child is frozen in a connect, a handshake or a write:

- :class:`ConnectionPhases` reads FFmpeg's own log lines, which the child lets FFmpeg write to
  its stderr directly (no Python, so no GIL needed): how far the connection got (TCP, TLS, the
  RTMP handshake, the publish request) and what the server said. It turns a failure into words
  ("the server refused the stream", "the TLS handshake failed") instead of "[Errno 5]".
- :func:`read_socket` and :class:`AcknowledgementWatch` read the child's TCP socket as the
  kernel sees it (Linux: ``/proc/<pid>/fd`` names the socket's inode, ``/proc/<pid>/net/tcp``
  and ``tcp6`` give its state). Written bytes prove nothing (they sit in buffers for 10 s and
  more when a server stops reading); acknowledged ones do. When bytes wait unacknowledged while
  the server's receive window is closed (the kernel is probing a zero window) or while the
  retransmission timer has expired, the server is not taking the stream. Elsewhere
  :func:`read_socket` returns None and the output relies on the child's progress alone.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import sys
from dataclasses import dataclass
from typing import Final

# /proc/net/tcp: "st" 01 is ESTABLISHED; timer 4 is the zero-window probe timer.
_TCP_ESTABLISHED: Final = "01"
_TIMER_ZERO_WINDOW_PROBE: Final = 4
_SOCKET_LINK = re.compile(r"^socket:\[(\d+)\]$")


class Phase(enum.IntEnum):
    """How far a connection attempt got, in order."""

    STARTED = 0
    TCP_CONNECTING = 1
    TCP_CONNECTED = 2
    RTMP_HANDSHAKE = 3  # the RTMP handshake was sent (over rtmps: the TLS handshake is done)
    HANDSHAKE_ANSWERED = 4
    APPLICATION = 5  # "connect" to the application was sent
    PUBLISHING = 6  # the server took the application; the stream was requested


_PHASE_LINES: Final = (
    (re.compile(r"^\[tcp @ [^]]*\] Starting connection attempt"), Phase.TCP_CONNECTING),
    (re.compile(r"^\[tcp @ [^]]*\] Successfully connected"), Phase.TCP_CONNECTED),
    (re.compile(r"^\[rtmps? @ [^]]*\] Handshaking"), Phase.RTMP_HANDSHAKE),
    (re.compile(r"^\[rtmps? @ [^]]*\] (Type answer|Server version)"), Phase.HANDSHAKE_ANSWERED),
    (re.compile(r"^\[rtmps? @ [^]]*\] Proto = "), Phase.APPLICATION),
    (
        re.compile(r"^\[rtmps? @ [^]]*\] (Releasing stream|FCPublish stream|Creating stream)"),
        Phase.PUBLISHING,
    ),
)
_SERVER_ERROR = re.compile(r"^\[rtmps? @ [^]]*\] Server error: (.+)$")
_TLS_ERROR = re.compile(r"^\[tls @ [^]]*\] (?!No default whitelist)(.+)$")
_CHECK_KEY = "check the stream key and the application name in the URL"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


class ConnectionPhases:
    """Follows one attempt through FFmpeg's log lines (already masked) and explains its end."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme.lower()
        self.phase = Phase.STARTED
        self.server_error: str | None = None
        self.tls_error: str | None = None

    def feed(self, line: str) -> None:
        for pattern, phase in _PHASE_LINES:
            if pattern.match(line):
                self.phase = max(self.phase, phase)
                return
        if match := _SERVER_ERROR.match(line):
            self.server_error = _one_line(match.group(1))
        elif (match := _TLS_ERROR.match(line)) and self.phase < Phase.RTMP_HANDSHAKE:
            self.tls_error = _one_line(match.group(1))

    def failure(self, reason: str, *, timed_out_s: float | None = None) -> str:
        """Why an attempt that never went live ended, in words a streamer can act on.

        ``reason`` is what is known otherwise (the child's error, already masked);
        ``timed_out_s`` is set when the attempt ran out of time instead.
        """
        waited = f"within {timed_out_s:g} s" if timed_out_s is not None else ""
        if self.server_error:
            return f"the server refused the stream: {self.server_error} ({_CHECK_KEY})"
        tls = self.scheme == "rtmps"
        if tls and self.phase == Phase.TCP_CONNECTED:
            detail = self.tls_error or (f"no answer {waited}" if waited else reason)
            return (
                f"the TLS handshake failed: {detail} (is this an RTMPS port? rtmps:// needs "
                "the server's TLS port, often 443)"
            )
        if timed_out_s is not None:
            if self.phase <= Phase.TCP_CONNECTING:
                return f"could not reach the server {waited}"
            if self.phase >= Phase.APPLICATION:
                return f"the server did not accept the stream {waited} ({_CHECK_KEY})"
            return f"no answer from the server {waited}"
        if self.phase == Phase.RTMP_HANDSHAKE and not tls:
            return (
                "the server broke off the RTMP handshake (if this is an RTMPS port, use rtmps://)"
            )
        if self.phase >= Phase.APPLICATION:
            return f"the server refused the stream ({_CHECK_KEY})"
        return reason


@dataclass(frozen=True)
class SocketState:
    """The child's connected TCP socket, as the kernel sees it."""

    unacknowledged_bytes: int  # written, not yet acknowledged by the server
    window_closed: bool  # the server's receive window is zero: it is not reading
    retransmissions: int  # retransmission timeouts without an acknowledgement

    @property
    def server_not_acknowledging(self) -> bool:
        return self.unacknowledged_bytes > 0 and (self.window_closed or self.retransmissions > 0)


class SocketReader:
    """Reads one child's TCP socket from ``/proc`` (Linux); :meth:`read` is None elsewhere,
    before the child has a connected socket, and once it is gone."""

    def __init__(self, pid: int, proc: str = "/proc") -> None:
        self._pid = pid
        self._proc = proc
        self.available = sys.platform.startswith("linux") and os.path.isdir(f"{proc}/{pid}")

    def _socket_inodes(self) -> set[str]:
        inodes: set[str] = set()
        directory = f"{self._proc}/{self._pid}/fd"
        with contextlib.suppress(OSError):
            for name in os.listdir(directory):
                with contextlib.suppress(OSError):
                    if match := _SOCKET_LINK.match(os.readlink(f"{directory}/{name}")):
                        inodes.add(match.group(1))
        return inodes

    def read(self) -> SocketState | None:
        """The child's connected TCP socket; with several, the one with the most bytes waiting
        (the stream's: the child opens no other)."""
        if not self.available:
            return None
        inodes = self._socket_inodes()
        if not inodes:
            return None
        found: list[SocketState] = []
        for table in ("tcp", "tcp6"):
            try:
                with open(f"{self._proc}/{self._pid}/net/{table}", encoding="ascii") as file:
                    lines = file.readlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if len(fields) < 10 or fields[9] not in inodes or fields[3] != _TCP_ESTABLISHED:
                    continue
                with contextlib.suppress(ValueError):
                    found.append(
                        SocketState(
                            unacknowledged_bytes=int(fields[4].split(":")[0], 16),
                            window_closed=int(fields[5].split(":")[0], 16)
                            == _TIMER_ZERO_WINDOW_PROBE,
                            retransmissions=int(fields[6], 16),
                        )
                    )
        return max(found, key=lambda state: state.unacknowledged_bytes, default=None)


class AcknowledgementWatch:
    """How long the server has acknowledged nothing while bytes wait for it.

    Fed one :class:`SocketState` per sample (None when unknown: that never counts as a stall).
    The time is the caller's clock, so the rule is tested without waiting.
    """

    def __init__(self) -> None:
        self._since_s: float | None = None
        self.samples = 0

    def update(self, state: SocketState | None, now_s: float) -> None:
        self.samples += state is not None
        if state is None or not state.server_not_acknowledging:
            self._since_s = None
        elif self._since_s is None:
            self._since_s = now_s

    def stalled_for_s(self, now_s: float) -> float:
        return 0.0 if self._since_s is None else now_s - self._since_s
