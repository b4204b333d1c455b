"""What the parent can learn about a network child without its help (it may be stuck).

Two sources, both readable while the child is frozen in a connect, a handshake or a write:

- :class:`ConnectionPhases` reads FFmpeg's own log lines, which the child lets FFmpeg write to
  its stderr directly (no Python, so no GIL needed): how far the connection got (TCP, TLS, the
  RTMP handshake, the publish request) and what the server said. It turns a failure into words
  ("the server refused the stream", "the TLS handshake failed") instead of "[Errno 5]".
- :class:`SocketReader` and :class:`AcknowledgementWatch` read the child's TCP socket as the
  kernel sees it (Linux: ``/proc/<pid>/fd`` names the socket's inode, the kernel's sock_diag
  netlink interface gives its state and TCP_INFO, as ``ss -ti`` shows them). Written bytes
  prove nothing (they sit in buffers for 10 s and more when a server stops reading);
  acknowledged ones, and the window the server announces with them, do. Elsewhere the reader
  returns None and the output relies on the child's progress alone.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import socket
import ssl
import struct
import sys
import time
from dataclasses import dataclass
from typing import Final

from anchordesk.core.printable import escape_controls, masked_cut
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words

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
# FFmpeg's line as it sends "connect": the application it asks for (the URL already masked).
_APPLICATION_ASKED = re.compile(r"^\[rtmps? @ [^]]*\] Proto = .*?, app = (.*), fname = ")
_SERVER_ERROR = re.compile(r"^\[rtmps? @ [^]]*\] Server error: (.+)$")
# The TLS relay (rtmps) reads the server's RTMP acknowledgements, which only the server's
# application sends: a TLS terminator in front of a stopped server takes the stream all the
# same (media/tls_relay.ServerAcknowledgements).
_NOT_ACKNOWLEDGING = re.compile(r"^\[rtmp @ relay\] the server acknowledged none")
_ACKNOWLEDGING = re.compile(r"^\[rtmp @ relay\] the server acknowledges again")
# The TLS relay (rtmps): the server ended the TLS connection with an alert after the TLS
# handshake (a client certificate it requires...). FFmpeg only sees the connection close.
_TLS_ENDED = re.compile(r"^\[tls @ relay\] (.+)$")
_TLS_ERROR = re.compile(r"^\[tls @ [^]]*\] (?!No default whitelist)(.+)$")
_NOT_RESOLVED = re.compile(r"^\[tcp @ [^]]*\] Failed to resolve hostname (\S+): (.+)$")
_REFUSED = re.compile(
    r"^\[tcp @ [^]]*\] Connection to tcp://(\S+?)(\?\S*)? failed: Connection refused"
)
# This computer has no way to the server: Wi-Fi off, cable out, no route (a VPN, an IPv6
# address without IPv6). It was said in Python's words, "[Errno 101] Network is unreachable".
_UNREACHABLE = re.compile(
    r"^\[tcp @ [^]]*\] Connection to tcp://(\S+?)(\?\S*)? failed: "
    r"(Network is unreachable|Network is down|No route to host|Host is unreachable)\s*$"
)
# What FFmpeg says when the bytes after the handshake are no RTMP messages it knows (a server
# of another protocol on the port, or a broken one): not a refusal of the key.
_NOT_RTMP = re.compile(r"^\[rtmps? @ [^]]*\] (Unknown packet type received|Unexpected packet)")
# A server that speaks RTMP but sends a message FFmpeg cannot take (a chunk size of 0 or
# above 2^31): the connection fails in the middle of the exchange, which read as a refused key.
# Also a chunk whose header contradicts its message's size: FFmpeg reports that one in its TCP
# handle's name ("[tcp @ …] RTMP packet size mismatch 1124995 != 14232684"). Unknown, it read
# as a refused key (1 in about 90 tries against a server answering random bytes).
_BROKEN_RTMP = re.compile(
    r"^\[(?:rtmps?|tcp|tls) @ [^]]*\] "
    r"(Incorrect chunk size -?\d+|Too short chunk size.*|RTMP packet size mismatch.*)$"
)
# FFmpeg's line when the server asks for Adobe or Limelight authentication (a user name and a
# password: Akamai-style ingests, Wowza with its module) and the URL holds none.
_NO_CREDENTIALS = re.compile(r"^\[rtmps? @ [^]]*\] No credentials set")
# nginx-rtmp's and the platforms' answer when the key is being published already: by another
# encoder, or by this one's earlier connection that the server has not dropped yet (it does
# after its idle timeout). The stream key is right: checking it is the wrong lead.
_ALREADY_PUBLISHING = "already publishing"
#: How the network child's own certificate check begins its refusal (network_child): a
#: complete reason, never wrapped as a handshake failure.
CERTIFICATE_NOT_TRUSTED: Final = "the server's TLS certificate is not trusted"


# How the child's write fails when a live server goes away (killed, restarted, the connection
# dropped): Python's "[Errno 32] Broken pipe: 'rtmp://…/****'", which read as a fault of this
# program and repeated the URL the line already names; FFmpeg's AVERROR_EOF ("[Errno
# 541478725] End of file") when the server closed its side in order (a FIN, not a reset).
_CONNECTION_LOST = re.compile(r"^\[Errno (?:32|104|541478725)\] ([^:]+)")
# The child's error when the server (or something in between) reset the connection.
_CONNECTION_RESET = re.compile(r"^\[Errno 104\] ")


def as_said(reason: str) -> Words:
    """A reason nobody worded here (the child's or FFmpeg's own text), kept as it was said: the
    window shows it as it is, inside its own sentence."""
    return Words(_AS_SAID, reason=reason)


def connection_lost_words(reason: Words) -> Words:
    """Why a live connection ended, in words: a closed connection is said as the server's
    doing; anything else is left as the child said it."""
    match = _CONNECTION_LOST.match(str(reason))
    if match is None:
        return reason
    return Words(
        QT_TRANSLATE_NOOP(
            "Network",
            "the server closed the connection ({why}: it went down, restarted or dropped the "
            "stream)",
        ),
        why=_system_words(match.group(1).lower()),
    )


def _system_words(why: str) -> Words:
    """The system's short reason ("broken pipe"), in words when it is one of the known ones."""
    template = _SYSTEM_REASONS.get(why)
    return Words(template) if template is not None else as_said(why)


_AS_SAID = QT_TRANSLATE_NOOP("Network", "{reason}")
_SYSTEM_REASONS: Final = {
    "broken pipe": QT_TRANSLATE_NOOP("Network", "broken pipe"),
    "connection reset by peer": QT_TRANSLATE_NOOP("Network", "connection reset by peer"),
    "end of file": QT_TRANSLATE_NOOP("Network", "end of file"),
    "network is unreachable": QT_TRANSLATE_NOOP("Network", "network is unreachable"),
    "network is down": QT_TRANSLATE_NOOP("Network", "network is down"),
    "no route to host": QT_TRANSLATE_NOOP("Network", "no route to host"),
    "host is unreachable": QT_TRANSLATE_NOOP("Network", "host is unreachable"),
}


def _one_line(text: str, limit: int = 200) -> str:
    """The server's or FFmpeg's text on one line, control characters escaped, masked whole
    and then cut to ``limit`` (``masked_cut``, the one rule of every shortening): cut first, a
    URL whose password ran past the cut lost its '@' and no rule masked the password's start."""
    return masked_cut(escape_controls(" ".join(text.split())), limit)


#: How long an RTMP handshake may go unanswered before the server's port is looked at.
HANDSHAKE_LOOK_AFTER_S: Final = 1.0
_ANSWER_SAID_CHARS: Final = 60


def web_server_answer(
    host: str, port: int, timeout_s: float = 1.5, tls: ssl.SSLContext | None = None
) -> str | None:
    """The first line a server at ``host``:``port`` answers an RTMP handshake with, when it is
    a web server's ("HTTP/1.1 400 Bad Request"), escaped and cut for a line; None otherwise.

    FFmpeg waits for the handshake's 1537 bytes and never says what came instead: a web
    server's "400", then silence, was said "no answer within 10 s" (or, when it closed, "broke
    off the RTMP handshake"). Its own connection, the same handshake, a deadline for all of it.
    """
    deadline_s = time.monotonic() + timeout_s
    try:
        with contextlib.ExitStack() as closing:
            probe = closing.enter_context(socket.create_connection((host, port), timeout=timeout_s))
            if tls is not None:  # rtmps: the same look inside the TLS connection
                probe = closing.enter_context(tls.wrap_socket(probe, server_hostname=host))
            # C0 and C1; C1's bytes hold a line end, as FFmpeg's random ones do: a web server
            # that reads a request line answers it at once.
            probe.sendall(b"\x03" + bytes(range(256)) * 6)
            answer = b""
            while b"\n" not in answer and len(answer) < 512:
                left_s = deadline_s - time.monotonic()
                if left_s <= 0:
                    break
                probe.settimeout(left_s)
                data = probe.recv(512)
                if not data:
                    break
                answer += data
    except (OSError, ValueError):
        return None
    if not answer.startswith(b"HTTP/"):
        return None
    line = escape_controls(answer.split(b"\n", 1)[0].decode("latin-1").rstrip("\r"))
    # Masked whole, then cut: a server's "302 … http://user:password@…" cut first kept the
    # password's start, with no '@' left for the rule to know it by.
    return masked_cut(line, _ANSWER_SAID_CHARS)


class ConnectionPhases:
    """Follows one attempt through FFmpeg's log lines (already masked) and explains its end."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme.lower()
        self.phase = Phase.STARTED
        self.server_error: str | None = None
        self.tls_error: str | None = None
        self.not_rtmp = False  # the server sent bytes that are no RTMP message
        self.broken_rtmp: str | None = None  # an RTMP message FFmpeg could not take
        self.unresolved: tuple[str, str] | None = None  # (HOST, why) when it did not resolve
        self.refused: str | None = None  # "HOST:PORT" where nothing listens
        self.unreachable: tuple[str, str] | None = None  # (HOST:PORT, why) out of reach
        # Once live, an error the server says ends the stream ("onStatus" of level error: a
        # platform that stops a broadcast, a key revoked mid-show): FFmpeg's write then fails
        # with EPERM, which was said as "[Errno 1] Operation not permitted: 'rtmp://…'".
        self.live = False
        self.ended_by_server: str | None = None
        self.tls_ended: str | None = None  # the server's TLS alert, said by the relay
        self.needs_credentials = False  # the server asked for a user name and password
        # The server's application stopped acknowledging what the relay sent (rtmps).
        self.not_acknowledging = False
        self.application: str | None = None  # the application "connect" asked for
        # The first line of a web server's answer to the handshake (web_server_answer).
        self.web_answer: str | None = None

    def feed(self, line: str) -> None:
        for pattern, phase in _PHASE_LINES:
            if pattern.match(line):
                self.phase = max(self.phase, phase)
                if match := _APPLICATION_ASKED.match(line):
                    self.application = _one_line(match.group(1), 100)
                return
        if _NOT_ACKNOWLEDGING.match(line):
            self.not_acknowledging = True
        elif _ACKNOWLEDGING.match(line):
            self.not_acknowledging = False
        elif match := _TLS_ENDED.match(line):
            self.tls_ended = _one_line(match.group(1))
        elif _NO_CREDENTIALS.match(line):
            self.needs_credentials = True
        elif _NOT_RTMP.match(line):
            self.not_rtmp = True
        elif match := _BROKEN_RTMP.match(line):
            self.broken_rtmp = _one_line(match.group(1)).lower()
        elif match := _NOT_RESOLVED.match(line):
            self.unresolved = (_one_line(match.group(1), 100), _one_line(match.group(2)))
        elif match := _REFUSED.match(line):
            self.refused = _one_line(match.group(1), 120)
        elif match := _UNREACHABLE.match(line):
            self.unreachable = (_one_line(match.group(1), 120), match.group(3).lower())
        elif match := _SERVER_ERROR.match(line):
            if self.live:
                self.ended_by_server = _one_line(match.group(1))
            else:
                self.server_error = _one_line(match.group(1))
        elif (match := _TLS_ERROR.match(line)) and self.phase < Phase.RTMP_HANDSHAKE:
            self.tls_error = _one_line(match.group(1))

    def went_live(self) -> None:
        """The connection is live: a server error from now on ends a stream, it refuses none."""
        self.live = True

    def lost_words(self, reason: Words) -> Words:
        """Why a live connection ended: the server's own words when it said why, else
        :func:`connection_lost_words` of ``reason`` (the child's error, already masked)."""
        if self.ended_by_server:
            return Words(
                QT_TRANSLATE_NOOP("Network", "the server ended the stream: {error}"),
                error=self.ended_by_server,
            )
        if self.tls_ended:
            return self._tls_ended_words()
        return connection_lost_words(reason)

    def _reset_words(self) -> Words:
        """A reset after "connect" (the child's "[Errno 104]"): no refusal was said."""
        why = _system_words("connection reset by peer")
        if self.phase == Phase.APPLICATION:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server reset the connection ({why}) when asked for the application "
                    "('{application}'): check the application in the URL's path and the stream "
                    "key; a firewall or proxy in between can do this too",
                ),
                application=self.application or "",
                why=why,
            )
        return Words(
            QT_TRANSLATE_NOOP(
                "Network",
                "the server reset the connection ({why}) when asked for the stream: check the "
                "stream key and the application name in the URL; a firewall or proxy in "
                "between can do this too",
            ),
            why=why,
        )

    def _tls_ended_words(self) -> Words:
        return Words(
            QT_TRANSLATE_NOOP("Network", "the server ended the TLS connection: {alert}"),
            alert=self.tls_ended,
        )

    def failure_words(self, reason: Words, *, timed_out_s: float | None = None) -> Words:
        """Why an attempt that never went live ended, in words a streamer can act on.

        ``reason`` is what is known otherwise (the child's error, already masked);
        ``timed_out_s`` is set when the attempt ran out of time instead. ``str()`` of the
        result is the line of the logs and of ``anchordesk live``; a window says it in its
        language.
        """
        if str(reason).startswith(CERTIFICATE_NOT_TRUSTED):
            return reason
        seconds = f"{timed_out_s:g}" if timed_out_s is not None else ""
        if self.needs_credentials:
            # Its refusal ("[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ]")
            # sent the streamer to check a stream key that was not the fault.
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server asks for a user name and a password: put them in the URL "
                    "(rtmp://USER:PASSWORD@HOST/…)",
                )
            )
        if self.server_error and _ALREADY_PUBLISHING in self.server_error.lower():
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server refused the stream: {error} (another program is streaming with "
                    "this key, or the server still holds this program's earlier connection "
                    "until its timeout)",
                ),
                error=self.server_error,
            )
        if self.server_error:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server refused the stream: {error} (check the stream key and the "
                    "application name in the URL)",
                ),
                error=self.server_error,
            )
        if self.web_answer is not None:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    'this is a web server, not an RTMP server (it answered "{answer}"): check '
                    "the address and port",
                ),
                answer=self.web_answer,
            )
        # Before the framing errors: bytes of another protocol end on one of them too, and
        # the unknown message types before it are the better clue.
        if self.not_rtmp:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server's answer is not RTMP (is there an RTMP server at this address "
                    "and port?)",
                )
            )
        if self.tls_ended:
            return self._tls_ended_words()
        if self.broken_rtmp:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server sent an RTMP message that cannot be read ({error}): a fault of "
                    "the server or of a proxy in between, not of the stream key",
                ),
                error=self.broken_rtmp,
            )
        if self.unresolved and self.phase < Phase.TCP_CONNECTED:
            host, why = self.unresolved
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network", "the server's name was not found: {host} ({why}; check the URL)"
                ),
                host=host,
                why=why,
            )
        if self.refused and self.phase < Phase.TCP_CONNECTED:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "nothing is listening at {address} (connection refused: check the port, or "
                    "the server is down)",
                ),
                address=self.refused,
            )
        if self.unreachable and self.phase < Phase.TCP_CONNECTED:
            address, why = self.unreachable
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "this computer cannot reach {address} ({why}: check that it is online, and "
                    "any VPN or firewall in between)",
                ),
                address=address,
                why=_system_words(why),
            )
        tls = self.scheme == "rtmps"
        if tls and self.phase == Phase.TCP_CONNECTED:
            if self.tls_error:
                detail = as_said(self.tls_error)
            elif timed_out_s is not None:
                detail = Words(
                    QT_TRANSLATE_NOOP("Network", "no answer within {seconds} s"), seconds=seconds
                )
            else:
                detail = reason
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the TLS handshake failed: {detail} (is this an RTMPS port? rtmps:// needs "
                    "the server's TLS port, often 443)",
                ),
                detail=detail,
            )
        if timed_out_s is not None:
            if self.phase <= Phase.TCP_CONNECTING:
                return Words(
                    QT_TRANSLATE_NOOP("Network", "could not reach the server within {seconds} s"),
                    seconds=seconds,
                )
            if self.phase == Phase.APPLICATION:
                # "connect" went unanswered: the stream (and its key) was never asked for, so
                # "check the stream key" sent a streamer to reset a key that was not the fault.
                return Words(
                    QT_TRANSLATE_NOOP(
                        "Network",
                        "the server did not answer the request to connect to the application "
                        "within {seconds} s (check the application name in the URL, and that "
                        "this port is the server's RTMP port)",
                    ),
                    seconds=seconds,
                )
            if self.phase >= Phase.PUBLISHING:
                return Words(
                    QT_TRANSLATE_NOOP(
                        "Network",
                        "the server did not accept the stream within {seconds} s (check the "
                        "stream key and the application name in the URL)",
                    ),
                    seconds=seconds,
                )
            return Words(
                QT_TRANSLATE_NOOP("Network", "no answer from the server within {seconds} s"),
                seconds=seconds,
            )
        if self.phase == Phase.RTMP_HANDSHAKE and not tls:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server broke off the RTMP handshake (if this is an RTMPS port, use "
                    "rtmps://)",
                )
            )
        if self.phase == Phase.RTMP_HANDSHAKE:
            # Over TLS too: the TLS was done, the RTMP server behind it went away.
            return Words(QT_TRANSLATE_NOOP("Network", "the server broke off the RTMP handshake"))
        if self.phase >= Phase.APPLICATION and _CONNECTION_RESET.match(str(reason)):
            # A reset is no refusal: nginx-rtmp refuses an application or a key by closing in
            # order (FFmpeg: "Input/output error"); a reset comes from a server that crashed
            # or dropped the request, or from a firewall or proxy that tears RTMP down.
            return self._reset_words()
        if self.phase == Phase.APPLICATION and self.application is not None:
            # The server closed after "connect" before the stream was asked for: nginx-rtmp
            # does so for an application it does not have ("application not found"). A reset
            # (a crashing server, a firewall) ends the same way: FFmpeg's RTMP reader says
            # "Input/output error" for any failed read, so neither is said a refusal.
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server closed the connection when asked for the application "
                    "('{application}'): check the application in the URL's path and the stream "
                    "key",
                ),
                application=self.application,
            )
        if self.phase >= Phase.APPLICATION:
            return Words(
                QT_TRANSLATE_NOOP(
                    "Network",
                    "the server refused the stream (check the stream key and the application "
                    "name in the URL)",
                )
            )
        return reason


@dataclass(frozen=True)
class SocketState:
    """The child's connected TCP socket, as the kernel sees it."""

    unacknowledged_bytes: int  # written, not yet acknowledged by the server
    window_closed: bool  # the server's receive window is zero: it is not reading
    retransmissions: int  # retransmission timeouts without an acknowledgement
    # From TCP_INFO (Linux 5.4+), None when the kernel does not tell:
    acknowledged_bytes: int | None = None  # acknowledged since the connection opened
    send_window_bytes: int | None = None  # the server's receive window, as it last said

    @property
    def server_not_acknowledging(self) -> bool:
        return self.unacknowledged_bytes > 0 and (self.window_closed or self.retransmissions > 0)


# sock_diag (linux/sock_diag.h, linux/inet_diag.h, linux/tcp.h): a dump of the established TCP
# sockets with their TCP_INFO, as `ss -ti` prints them, read without touching the socket.
_NETLINK_SOCK_DIAG: Final = 4
_SOCK_DIAG_BY_FAMILY: Final = 20
_NLM_F_REQUEST: Final = 0x1
_NLM_F_MULTI: Final = 0x2
_NLM_F_DUMP: Final = 0x300
_NLMSG_ERROR: Final = 2
_NLMSG_DONE: Final = 3
_INET_DIAG_INFO: Final = 2
_TCP_ESTABLISHED: Final = 1
_TCP_ESTABLISHED_BIT: Final = 1 << _TCP_ESTABLISHED
_SOCKET_ID_BYTES: Final = 48
_NLMSG_HEADER = struct.Struct("=IHHII")
_INET_DIAG_REQUEST_HEAD = struct.Struct("=BBBxI")
# inet_diag_msg: family, state, timer, retrans, the socket id (48 bytes), expires, rqueue,
# wqueue, uid, inode.
_INET_DIAG_MESSAGE = struct.Struct("=BBBB48x4x4xI4xI")
_ATTRIBUTE = struct.Struct("=HH")
# struct tcp_info offsets: tcpi_bytes_acked (u64), tcpi_snd_wnd (u32, Linux 5.4).
_TCPI_BYTES_ACKED = struct.Struct("=120xQ")
_TCPI_SND_WND = struct.Struct("=228xI")
_TIMER_ZERO_WINDOW_PROBE: Final = 4


@dataclass(frozen=True)
class _Found:
    inode: int
    family: int
    socket_id: bytes  # inet_diag_sockid as the kernel gave it: asks for this socket alone
    state: SocketState

    @property
    def remote_port(self) -> int:
        return int.from_bytes(self.socket_id[2:4], "big")  # idiag_dport, network order


def _request(netlink: socket.socket, family: int, socket_id: bytes | None, sequence: int) -> None:
    """A dump of the established TCP sockets of ``family``, or one socket by its id."""
    request = _INET_DIAG_REQUEST_HEAD.pack(
        family, socket.IPPROTO_TCP, 1 << (_INET_DIAG_INFO - 1), _TCP_ESTABLISHED_BIT
    ) + (socket_id or bytes(_SOCKET_ID_BYTES))
    flags = _NLM_F_REQUEST if socket_id else _NLM_F_REQUEST | _NLM_F_DUMP
    header = _NLMSG_HEADER.pack(
        _NLMSG_HEADER.size + len(request), _SOCK_DIAG_BY_FAMILY, flags, sequence, 0
    )
    netlink.send(header + request)


def _answers(netlink: socket.socket, family: int) -> list[_Found]:
    """The sockets in the kernel's answer, until its end (or its error: a socket gone)."""
    found: list[_Found] = []
    while True:
        data = netlink.recv(1 << 16)
        if not data:
            return found
        offset = 0
        while offset + _NLMSG_HEADER.size <= len(data):
            length, kind, flags, _, _ = _NLMSG_HEADER.unpack_from(data, offset)
            if kind in (_NLMSG_DONE, _NLMSG_ERROR) or length < _NLMSG_HEADER.size:
                return found
            parsed = _parse_message(data[offset + _NLMSG_HEADER.size : offset + length], family)
            if parsed is not None:
                found.append(parsed)
            offset += (length + 3) & ~3
            if not flags & _NLM_F_MULTI:
                return found  # a single answer (a lookup by id)


def _parse_message(body: bytes, family: int) -> _Found | None:
    if len(body) < _INET_DIAG_MESSAGE.size:
        return None
    _, tcp_state, timer, retransmissions, wqueue, inode = _INET_DIAG_MESSAGE.unpack_from(body)
    if tcp_state != _TCP_ESTABLISHED:
        return None
    acknowledged = window = None
    offset = _INET_DIAG_MESSAGE.size
    while offset + _ATTRIBUTE.size <= len(body):
        length, kind = _ATTRIBUTE.unpack_from(body, offset)
        if length < _ATTRIBUTE.size:
            break
        if kind == _INET_DIAG_INFO:
            info = body[offset + _ATTRIBUTE.size : offset + length]
            if len(info) >= _TCPI_SND_WND.size:  # older kernels: the /proc-like fields only
                (acknowledged,) = _TCPI_BYTES_ACKED.unpack_from(info)
                (window,) = _TCPI_SND_WND.unpack_from(info)
        offset += (length + 3) & ~3
    state = SocketState(
        unacknowledged_bytes=wqueue,
        window_closed=timer == _TIMER_ZERO_WINDOW_PROBE,
        retransmissions=retransmissions,
        acknowledged_bytes=acknowledged,
        send_window_bytes=window,
    )
    return _Found(inode, family, body[4 : 4 + _SOCKET_ID_BYTES], state)


def socket_inodes(pid: int, proc: str = "/proc") -> set[int]:
    """The inodes of the sockets process ``pid`` holds open (Linux; empty elsewhere or when it
    is gone)."""
    inodes: set[int] = set()
    directory = f"{proc}/{pid}/fd"
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            with contextlib.suppress(OSError):
                if match := _SOCKET_LINK.match(os.readlink(f"{directory}/{name}")):
                    inodes.add(int(match.group(1)))
    return inodes


def _socket_id(local: tuple[str, int], remote: tuple[str, int], family: int) -> bytes:
    """inet_diag_sockid of the TCP socket bound to ``local`` and connected to ``remote``: ports
    and addresses in network order, any interface, no cookie (INET_DIAG_NOCOOKIE)."""
    return (
        local[1].to_bytes(2, "big")
        + remote[1].to_bytes(2, "big")
        + socket.inet_pton(family, local[0]).ljust(16, b"\0")
        + socket.inet_pton(family, remote[0]).ljust(16, b"\0")
        + bytes(4)
        + b"\xff" * 8
    )


def tcp_socket_inode(local: tuple[str, int], remote: tuple[str, int]) -> int | None:
    """The inode of the established TCP socket on this machine whose own address is ``local``
    and whose peer is ``remote`` (the kernel's sock_diag, asked for that socket alone); None
    when there is none. Raises OSError when the kernel cannot be asked (not Linux, a
    sandbox without sock_diag)."""
    if not sys.platform.startswith("linux"):
        raise OSError("sock_diag is Linux's")
    family = socket.AF_INET6 if ":" in local[0] else socket.AF_INET
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as netlink:
            netlink.settimeout(1.0)
            _request(netlink, family, _socket_id(local, remote, family), 1)
            found = _answers(netlink, family)
    except (ValueError, struct.error) as error:
        raise OSError(str(error)) from None
    return found[0].inode if found else None


class SocketReader:
    """Reads one child's TCP socket (Linux: its inode from ``/proc/<pid>/fd``, its state from
    sock_diag); :meth:`read` is None elsewhere, before the child has a connected socket, once
    it is gone, and when the kernel does not answer.

    The first read finds the socket in a dump of the established ones (a fraction of a
    millisecond to a few); the next ones ask for that socket alone (microseconds).
    """

    def __init__(self, pid: int, proc: str = "/proc") -> None:
        self._pid = pid
        self._proc = proc
        self.available = sys.platform.startswith("linux") and os.path.isdir(f"{proc}/{pid}")
        self._known: dict[bool, _Found] = {}  # by leg: the server's (False), the relay's
        self._sequence = 0
        # The loopback port of the child's TLS relay (media/tls_relay): FFmpeg's connection
        # to it is not the stream's; the checked TLS connection to the server is.
        self.relay_port: int | None = None

    def read(self) -> SocketState | None:
        """The child's connected TCP socket to the server; with several, the one with the most
        bytes waiting, then acknowledged (the stream's: the child opens no other)."""
        return self._read(relay_leg=False)

    def read_relay_leg(self) -> SocketState | None:
        """FFmpeg's connection to the child's TLS relay (None without a relay). A relay that
        stops reading (stopped, stuck) leaves the server's connection idle, not stalled, while
        FFmpeg fills megabytes of loopback buffers for half a minute; this connection shows it
        in seconds, as the server's does for a stopped server."""
        if self.relay_port is None:
            return None
        return self._read(relay_leg=True)

    def _read(self, *, relay_leg: bool) -> SocketState | None:
        if not self.available:
            return None
        try:
            with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as netlink:
                netlink.settimeout(1.0)
                known = self._known.get(relay_leg)
                if known is not None:
                    self._sequence += 1
                    _request(netlink, known.family, known.socket_id, self._sequence)
                    again = [f for f in _answers(netlink, known.family) if f.inode == known.inode]
                    if again:
                        return again[0].state
                    del self._known[relay_leg]  # closed: the child is ending, or has a new one
                inodes = socket_inodes(self._pid, self._proc)
                if not inodes:
                    return None
                found: list[_Found] = []
                for family in (socket.AF_INET, socket.AF_INET6):
                    self._sequence += 1
                    _request(netlink, family, None, self._sequence)
                    found += [
                        f
                        for f in _answers(netlink, family)
                        if f.inode in inodes and (f.remote_port == self.relay_port) == relay_leg
                    ]
        except (OSError, struct.error):
            self.available = False  # no sock_diag here (a sandbox): do not ask again
            return None
        best = max(
            found,
            key=lambda f: (f.state.unacknowledged_bytes, f.state.acknowledged_bytes or 0),
            default=None,
        )
        if best is not None:
            self._known[relay_leg] = best
        return None if best is None else best.state


class AcknowledgementWatch:
    """How long the server has taken nothing of the stream, from its acknowledgements.

    Between two samples the server is *not taking* the stream when bytes wait unacknowledged
    behind a closed window or expired retransmissions, when bytes waited and none was
    acknowledged, or when its window shrank by nearly all
    it acknowledged (its kernel buffers the bytes, its application reads none: a stopped
    server, seen long before its buffer is full). It is taking it when its application read at
    least a quarter of what arrived, or nothing was sent; and a stall ends as soon as, counted
    from the last sample before it, the server read that much (a server slower than the stream
    keeps its window closed at every sample, and reads all the same). Fed one
    :class:`SocketState` per sample (None when unknown: never a stall); the time is the
    caller's clock, so the rule is tested without waiting.
    """

    # Below this much acknowledged between two samples, window rounding hides what was read.
    MIN_ACKNOWLEDGED_BYTES: Final = 4096

    def __init__(self) -> None:
        self._since_s: float | None = None
        self._previous: SocketState | None = None
        # The last sample before the server looked like it took nothing: what it read since
        # is counted from there.
        self._before_stall: SocketState | None = None

    def update(self, state: SocketState | None, now_s: float) -> None:
        previous, self._previous = self._previous, state
        if (
            state is None
            or not self._not_taking(previous, state)
            or self._read_since_stall_began(state)
        ):
            self._since_s = None
            self._before_stall = None
        elif self._since_s is None:
            self._since_s = now_s
            # A stall seen at the connection's first sample counts what is read from that one:
            # with nothing before it, a slow path whose window was closed at every look (a
            # start's backlog draining) was "not taking the stream" until one look caught its
            # window open, and cut after 4 s while it read all along (R20hunt20net F2's stall).
            self._before_stall = previous if previous is not None else state

    def _read_since_stall_began(self, state: SocketState) -> bool:
        """Did the server read a real share of what it acknowledged since the samples began to
        look stalled? One sample cannot tell a server that reads slower than the stream comes
        (its small buffer full, its window closed whenever it is looked at, a zero-window
        probe pending) from a stopped one; over several, the first one's acknowledgements and
        window move on, the second one's do not. It was called "stopped taking the stream
        (nothing read for 4 s)" while it read 30 KB every quarter of a second, and its stream
        was cut and started again every 6 s."""
        before = self._before_stall
        if (
            before is None
            or before.acknowledged_bytes is None
            or before.send_window_bytes is None
            or state.acknowledged_bytes is None
            or state.send_window_bytes is None
        ):
            return False
        acknowledged = state.acknowledged_bytes - before.acknowledged_bytes
        read = acknowledged + state.send_window_bytes - before.send_window_bytes
        return read >= self.MIN_ACKNOWLEDGED_BYTES and read * 4 >= acknowledged

    def _not_taking(self, previous: SocketState | None, state: SocketState) -> bool:
        if state.server_not_acknowledging:
            return True
        if (
            previous is None
            or state.acknowledged_bytes is None
            or state.send_window_bytes is None
            or previous.acknowledged_bytes is None
            or previous.send_window_bytes is None
        ):
            return False
        acknowledged = state.acknowledged_bytes - previous.acknowledged_bytes
        if acknowledged == 0 and previous.unacknowledged_bytes > 0:
            # Bytes waited and none was acknowledged, its window open: a stopped server
            # whose buffer is not full, because the child stopped writing (it drops what
            # would wait past a second, media/network_delay). Seen as "taking" it was never
            # cut, and said "stalled: no progress" only when the child stopped reporting.
            return True
        read = acknowledged + state.send_window_bytes - previous.send_window_bytes
        return acknowledged >= self.MIN_ACKNOWLEDGED_BYTES and read * 4 < acknowledged

    def stalled_for_s(self, now_s: float) -> float:
        return 0.0 if self._since_s is None else now_s - self._since_s


class RelayWatch:
    """How long the child's TLS relay (rtmps, media/tls_relay) has passed on nothing of what
    FFmpeg gives it: stopped (SIGSTOP, a debugger), or stuck. The server's connection is then
    idle, not stalled, and FFmpeg writes into megabytes of loopback buffers for half a minute.

    Judged from two connections, sampled together: between two samples the relay is not
    passing the stream on when FFmpeg's connection to it took bytes (acknowledged: the relay's
    kernel buffers them) or has bytes waiting, while the relay's connection to the server had
    nothing acknowledged and nothing waiting: the relay sent nothing. A slow uplink keeps
    bytes waiting on the server's connection (its acknowledgements pace the relay), and a
    server that stops reading is :class:`AcknowledgementWatch`'s; neither is this one. The
    loopback connection's window alone cannot tell: its receiver announces none until a
    sixteenth of its buffer is free, so a relay paced by a slow uplink looks stopped there.
    """

    def __init__(self) -> None:
        self._since_s: float | None = None
        self._previous: tuple[SocketState, SocketState] | None = None

    def update(
        self, relay_leg: SocketState | None, server_leg: SocketState | None, now_s: float
    ) -> None:
        previous = self._previous
        self._previous = (
            None if relay_leg is None or server_leg is None else (relay_leg, server_leg)
        )
        verdict = (
            None if previous is None or self._previous is None else self._not_passing(previous)
        )
        if self._previous is None or verdict is False:
            self._since_s = None
        elif verdict and self._since_s is None:
            self._since_s = now_s

    def _not_passing(self, previous: tuple[SocketState, SocketState]) -> bool | None:
        """True: given bytes, it sent none; False: it sent; None: nothing to tell (FFmpeg
        gave it nothing, which ends no stall: a child that drops what would wait past a
        second (media/network_delay) gives a stopped relay a keyframe now and then, and the
        samples in between hid it until its buffers were full, 31-39 s)."""
        assert self._previous is not None
        (relay_leg, server_leg), (relay_before, server_before) = self._previous, previous
        if None in (
            relay_leg.acknowledged_bytes,
            relay_before.acknowledged_bytes,
            server_leg.acknowledged_bytes,
            server_before.acknowledged_bytes,
        ):
            return False
        given = (relay_leg.acknowledged_bytes or 0) - (relay_before.acknowledged_bytes or 0)
        sent = (server_leg.acknowledged_bytes or 0) - (server_before.acknowledged_bytes or 0)
        if sent != 0 or server_leg.unacknowledged_bytes != 0:
            return False
        if given <= 0 and relay_leg.unacknowledged_bytes == 0:
            return None  # FFmpeg gave it nothing: nothing to pass on
        return True

    def stalled_for_s(self, now_s: float) -> float:
        return 0.0 if self._since_s is None else now_s - self._since_s
