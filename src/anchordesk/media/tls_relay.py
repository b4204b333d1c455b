"""RTMPS through a connection whose certificate was checked: the network child's TLS.

FFmpeg, as PyAV opens an output, checks no certificate (its ``tls_verify`` option cannot be
passed through ``avio_open``). Checking the server first on a connection of our own and then
letting FFmpeg connect again was not enough: the stream key went out on FFmpeg's connection,
which nothing checked. Whoever sits between this machine and the server (a hostile Wi-Fi, a
proxy) could let the check through and answer FFmpeg's connection with any certificate.

So the key only ever travels on the connection that was checked. The network child opens the
TLS connection itself (Python's ``ssl``: the system's certificate authorities, or
``SSL_CERT_FILE``), and FFmpeg speaks plain RTMP to a relay on the loopback that forwards
every byte into that connection. The relay is a process of its own (``fork``): FFmpeg holds
the GIL while it connects and writes, so a relay thread in the child could never answer it.

What FFmpeg tells the server stays what it would have said: the ``tcUrl`` of its ``connect``
(the URL the client believes it connected to) names the relay, and is written back to the
real ``rtmps://HOST:PORT/APP`` on its way through.

Lines in FFmpeg's own words go to stderr for each step (``[tcp @ tls] ...``), so the parent's
:class:`~anchordesk.media.network_watch.ConnectionPhases` says how far an attempt got, as
for a connection FFmpeg made.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import select
import signal
import socket
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from anchordesk.core.net import connect_first
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words

# The RTMP handshake a client sends before its first message: C0 (1 byte), C1 and C2.
_HANDSHAKE_BYTES: Final = 1 + 1536 + 1536
# FFmpeg's connect message is a few hundred bytes; past this, the bytes go through as they are.
_CONNECT_LOOKAHEAD_BYTES: Final = 64 * 1024
_CHUNK_BYTES: Final = 128  # RTMP's chunk size until a Set Chunk Size (sent after connect)
_COMMAND_MESSAGE: Final = 0x14
_TCURL: Final = b"\x00\x05tcUrl\x02"
# What the relay holds in each direction before it stops reading: a server that stops taking
# the stream backs FFmpeg up within a fraction of a second, as its own socket would.
_BUFFER_BYTES: Final = 256 * 1024


class Refused(Exception):
    """The server must not get the stream key, or cannot be reached: the reason in words
    (``str()`` is the English line; :attr:`words` the same for a window to say in its
    language, sent to the parent beside it: see :func:`words_event`)."""

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


# What the relay says: the only templates the parent takes from a child (TEMPLATES).
NAME_NOT_FOUND: Final = QT_TRANSLATE_NOOP("Network", "the server's name was not found: {host}")
NOTHING_LISTENING: Final = QT_TRANSLATE_NOOP("Network", "nothing is listening at {address}")
NO_ANSWER: Final = QT_TRANSLATE_NOOP("Network", "no answer from {address} within {seconds} s")
CANNOT_REACH: Final = QT_TRANSLATE_NOOP("Network", "could not reach {address} ({why})")
CANNOT_REACH_SERVER: Final = QT_TRANSLATE_NOOP("Network", "could not reach the server ({why})")
CERTIFICATE_UNTRUSTED: Final = QT_TRANSLATE_NOOP(
    "Network",
    "the server's TLS certificate is not trusted ({why}): the stream key was not sent "
    "(check the server URL; a private server's certificate can be trusted with SSL_CERT_FILE)",
)
NO_TLS_ANSWER: Final = QT_TRANSLATE_NOOP(
    "Network", "the server at {address} did not answer the TLS handshake within {seconds} s"
)
TLS_FAILED: Final = QT_TRANSLATE_NOOP("Network", "the TLS handshake failed: {detail}")
RELAY_ENDED: Final = QT_TRANSLATE_NOOP(
    "Network",
    "the TLS relay of this program ended ({how}), which cut the connection to the server",
)
#: The templates a child's words may name, by their text.
TEMPLATES: Final = {
    template.text: template
    for template in (
        NAME_NOT_FOUND,
        NOTHING_LISTENING,
        NO_ANSWER,
        CANNOT_REACH,
        CANNOT_REACH_SERVER,
        CERTIFICATE_UNTRUSTED,
        NO_TLS_ANSWER,
        TLS_FAILED,
        RELAY_ENDED,
    )
}


def certificate_not_trusted(why: str) -> Words:
    """Why the stream key was not sent to a server (network_watch.CERTIFICATE_NOT_TRUSTED).
    OpenSSL's reason is a sentence of its own ("certificate is not valid for 'host'."): its
    full stop would stand inside the brackets the message puts it in."""
    return Words(CERTIFICATE_UNTRUSTED, why=why.strip().rstrip("."))


def words_event(words: Words, mask: Callable[[str], str]) -> dict[str, object]:
    """``words`` as the child's event sends them (every value masked)."""
    return {
        "template": words.template,
        "params": {k: mask(str(v)) for k, v in words.params.items()},
    }


def words_of_event(value: object, mask: Callable[[str], str]) -> Words | None:
    """The words a child sent (:func:`words_event`); None unless they are one of
    :data:`TEMPLATES` with text values, masked again (the parent trusts no child's text)."""
    if not isinstance(value, dict):
        return None
    template = TEMPLATES.get(str(value.get("template")))
    params = value.get("params")
    if template is None or not isinstance(params, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
        return None
    return Words(template, **{k: mask(v) for k, v in params.items()})


def _say(line: str) -> None:
    """A line in FFmpeg's words on stderr, for the parent's ConnectionPhases."""
    with contextlib.suppress(OSError):
        os.write(2, (line + "\n").encode("utf-8", "replace"))


def tls_context() -> ssl.SSLContext:
    """The system's certificate authorities (``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set);
    certifi's when this Python finds none (a frozen app, a Python built elsewhere)."""
    context = ssl.create_default_context()
    if not context.cert_store_stats().get("x509_ca"):
        with contextlib.suppress(ImportError, OSError, ssl.SSLError):
            import certifi

            context.load_verify_locations(cafile=certifi.where())
    return context


# OpenSSL's code before its words: "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert …".
_SSL_CODE: Final = re.compile(r"^\[SSL: [A-Z0-9_]+\]\s*")


def _without_source_line(detail: str) -> str:
    """An SSL error's words without the C source line Python adds ("[SSL:
    WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"): nothing a user can act on."""
    return re.sub(r"\s*\(_ssl\.c:\d+\)|^_ssl\.c:\d+:\s*", "", detail).strip()


def _shown(host: str) -> str:
    """A host as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def open_checked(host: str, port: int, timeout_s: float) -> ssl.SSLSocket:
    """A TLS connection to ``host:port`` whose certificate and name were checked. Raises
    :class:`Refused`; the steps are said on stderr in FFmpeg's words."""
    _say(f"[tcp @ tls] Starting connection attempt to {host} port {port}")
    try:
        raw = connect_first(host, port, timeout_s)
    except socket.gaierror as error:
        _say(f"[tcp @ tls] Failed to resolve hostname {host}: {error.strerror or error}")
        raise Refused(Words(NAME_NOT_FOUND, host=host)) from None
    except ConnectionRefusedError:
        _say(f"[tcp @ tls] Connection to tcp://{host}:{port} failed: Connection refused")
        raise Refused(Words(NOTHING_LISTENING, address=f"{host}:{port}")) from None
    except TimeoutError:
        raise Refused(
            Words(
                NO_ANSWER,
                address=f"{host}:{port}",
                seconds=f"{timeout_s:g}",
            )
        ) from None
    except OSError as error:
        # In FFmpeg's words, as for rtmp:// (network_watch words it: "Network is unreachable").
        why = error.strerror or type(error).__name__
        _say(f"[tcp @ tls] Connection to tcp://{_shown(host)}:{port} failed: {why}")
        raise Refused(
            Words(
                CANNOT_REACH,
                address=f"{_shown(host)}:{port}",
                why=why.lower(),
            )
        ) from None
    except ValueError as error:
        raise Refused(Words(CANNOT_REACH_SERVER, why=str(error))) from None
    _say(f"[tcp @ tls] Successfully connected to {host} port {port}")
    try:
        connection = tls_context().wrap_socket(raw, server_hostname=host)
    except ssl.SSLCertVerificationError as error:
        raw.close()
        reason = error.verify_message or error.reason or "not trusted"
        raise Refused(certificate_not_trusted(reason)) from None
    except TimeoutError:
        raw.close()
        # Python's words are "_ssl.c:989: The handshake operation timed out".
        _say(f"[tls @ tls] no answer to the TLS handshake within {timeout_s:g} s")
        raise Refused(
            Words(
                NO_TLS_ANSWER,
                address=f"{host}:{port}",
                seconds=f"{timeout_s:g}",
            )
        ) from None
    except (OSError, ValueError) as error:
        raw.close()
        detail = _without_source_line(" ".join(str(error).split())) or type(error).__name__
        _say(f"[tls @ tls] {detail}")
        raise Refused(Words(TLS_FAILED, detail=detail)) from None
    connection.settimeout(None)
    return connection


def rewrite_tcurl(
    data: bytes, relay_prefix: bytes, real_prefix: bytes, after_connect: bytes = b""
) -> bytes | None:
    """``data`` (what FFmpeg sent after its handshake) with the ``tcUrl`` of its first message,
    ``connect``, written from ``relay_prefix`` to ``real_prefix`` and ``after_connect`` (whole
    messages) right after it; None while the message is not whole yet. Anything else (no
    connect first, an extended timestamp, another tcUrl) goes through as it came."""
    if len(data) < 12:
        return None
    basic = data[0]
    if basic >> 6 != 0 or basic & 0x3F < 2:  # a full header on a one-byte chunk stream id
        return data
    length = int.from_bytes(data[4:7], "big")
    if data[7] != _COMMAND_MESSAGE or data[1:4] == b"\xff\xff\xff":
        return data
    separators = max(0, (length - 1) // _CHUNK_BYTES)
    end = 12 + length + separators
    if len(data) < end:
        return None if len(data) < _CONNECT_LOOKAHEAD_BYTES else data
    chunks = data[12:end]
    body = b"".join(
        chunks[start : start + _CHUNK_BYTES] for start in range(0, len(chunks), _CHUNK_BYTES + 1)
    )
    at = body.find(_TCURL)
    if at < 0 or b"connect" not in body[:16]:
        return data
    start = at + len(_TCURL)
    size = int.from_bytes(body[start : start + 2], "big")
    old = body[start + 2 : start + 2 + size]
    if not old.startswith(relay_prefix):
        return data
    new = real_prefix + old[len(relay_prefix) :]
    body = body[:start] + len(new).to_bytes(2, "big") + new + body[start + 2 + size :]
    header = bytes([basic]) + data[1:4] + len(body).to_bytes(3, "big") + data[7:12]
    separator = bytes([0xC0 | (basic & 0x3F)])
    rechunked = separator.join(
        body[start : start + _CHUNK_BYTES] for start in range(0, len(body), _CHUNK_BYTES)
    )
    return header + rechunked + after_connect + data[end:]


# The server is asked to acknowledge every this many bytes its application reads (RTMP's
# Window Acknowledgement Size, which a publishing FFmpeg never sends: nginx then acknowledges
# every 5 MB). A TLS terminator in front of it (a platform's rtmps ingest, stunnel) takes the
# stream into its own buffers whatever the server does: only the server's own
# acknowledgements show that it stopped reading (a frozen backend was seen after 28 s).
ACKNOWLEDGEMENT_WINDOW_BYTES: Final = 32 * 1024
_ACKNOWLEDGEMENT: Final = 3
_SET_CHUNK_SIZE: Final = 1
_WINDOW_ACKNOWLEDGEMENT_SIZE: Final = 5
# After this many acknowledgement windows (or of the server's own spacing, when it keeps to a
# wider one) sent without one, the server is said to have stopped acknowledging.
_OVERDUE_WINDOWS: Final = 3
# ... and this long without one: a keyframe sent in a burst runs ahead of the acknowledgements
# of a server that reads it all the same.
_OVERDUE_S: Final = 0.5


def window_acknowledgement_size(window: int) -> bytes:
    """The protocol control message (chunk stream 2, message stream 0, a full header)."""
    return (
        (b"\x02" + bytes(3) + (4).to_bytes(3, "big") + bytes([_WINDOW_ACKNOWLEDGEMENT_SIZE]))
        + bytes(4)
        + window.to_bytes(4, "big")
    )


class ServerAcknowledgements:
    """Reads the server's side of the connection (after its handshake) as RTMP chunks, for
    its Acknowledgement messages: how many bytes its application has read. Tells, as FFmpeg's
    log lines do (for the parent's :class:`~anchordesk.media.network_watch.ConnectionPhases`),
    when the bytes sent since its last acknowledgement pass a few of its windows, and when it
    acknowledges again. Nothing is said of a server that never acknowledges."""

    def __init__(
        self,
        window: int = ACKNOWLEDGEMENT_WINDOW_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._clock = clock
        self._data = bytearray()
        self._skip = 1 + 1536 + 1536  # S0, S1, S2
        self._chunk_size = 128
        # By chunk stream id: [message length, type, bytes of it still to come, extended ts]
        self._streams: dict[int, list[int]] = {}
        self._bodies: dict[int, bytearray] = {}  # the start of each one's message
        self._payload_stream = 0  # the chunk whose payload is being read, and what is left
        self._payload_left = 0
        self._broken = False
        self.sent = 0  # bytes sent to the server since the connect
        self._last_sent = 0  # what had been sent when its acknowledgement last moved on
        self._last_sequence: int | None = None
        self._spacing = 0  # the widest step between two of its acknowledgements
        self._last_acknowledged_s = 0.0
        self.overdue = False

    def on_sent(self, count: int) -> None:
        self.sent += count
        if self._last_sequence is None or self.overdue:
            return
        allowed = _OVERDUE_WINDOWS * max(self._window, self._spacing)
        if (
            self.sent - self._last_sent > allowed
            and self._clock() - self._last_acknowledged_s > _OVERDUE_S
        ):
            self.overdue = True
            _say(
                f"[rtmp @ relay] the server acknowledged none of the last "
                f"{self.sent - self._last_sent} bytes"
            )

    def on_received(self, data: bytes) -> None:
        if self._broken:
            return
        if self._skip:
            taken = min(self._skip, len(data))
            self._skip -= taken
            data = data[taken:]
        self._data += data
        try:
            while self._one_chunk():
                pass
        except (IndexError, ValueError):
            self._broken = True  # not RTMP as expected: nothing more is read into it
            self._data.clear()

    def _one_chunk(self) -> bool:
        if self._payload_left:
            return self._payload()
        data = self._data
        if not data:
            return False
        kind, stream, at = data[0] >> 6, data[0] & 0x3F, 1
        if stream == 0:
            if len(data) < 2:
                return False
            stream, at = 64 + data[1], 2
        elif stream == 1:
            if len(data) < 3:
                return False
            stream, at = 64 + data[1] + data[2] * 256, 3
        header = (11, 7, 3, 0)[kind]
        if len(data) < at + header:
            return False
        state = self._streams.setdefault(stream, [0, 0, 0, 0])
        extended = state[3]
        if kind < 3:
            extended = int(data[at : at + 3] == b"\xff\xff\xff")
        if kind <= 1:
            length, message_type = int.from_bytes(data[at + 3 : at + 6], "big"), data[at + 6]
        else:
            length, message_type = state[0], state[1]
        if kind == 3 and state[2] == 0 and state[0] == 0:
            raise ValueError("a continuation of no message")
        at += header + 4 * extended
        if len(data) < at:
            return False
        remaining = state[2] if kind == 3 and state[2] else length
        take = min(self._chunk_size, remaining)
        body = self._bodies.setdefault(stream, bytearray())
        if remaining == length:
            body.clear()
        state[:] = [length, message_type, remaining - take, extended]
        del data[:at]
        # The payload is taken as it comes (a message of 16 MB in chunks as large is never
        # held): its first bytes are kept, the messages read here are 4 bytes long.
        self._payload_stream, self._payload_left = stream, take
        if take == 0:
            self._payload_done()
        return True

    def _payload(self) -> bool:
        data = self._data
        if not data:
            return False
        count = min(len(data), self._payload_left)
        body = self._bodies[self._payload_stream]
        if len(body) < 8:
            body += data[: min(count, 8 - len(body))]
        del data[:count]
        self._payload_left -= count
        if self._payload_left == 0:
            self._payload_done()
        return True

    def _payload_done(self) -> None:
        _, message_type, remaining, _ = self._streams[self._payload_stream]
        if remaining == 0:
            body = self._bodies[self._payload_stream]
            self._message(message_type, bytes(body))
            body.clear()

    def _message(self, message_type: int, body: bytes) -> None:
        if message_type == _SET_CHUNK_SIZE and len(body) >= 4:
            size = int.from_bytes(body[:4], "big") & 0x7FFFFFFF
            if size < 1:
                raise ValueError("chunk size 0")
            self._chunk_size = size
        elif message_type == _ACKNOWLEDGEMENT and len(body) >= 4:
            sequence = int.from_bytes(body[:4], "big")
            step = sequence - (self._last_sequence or 0) & 0xFFFFFFFF
            if self._last_sequence is not None and step == 0:
                return
            self._spacing = max(self._spacing, step)
            self._last_sequence = sequence
            self._last_sent = self.sent
            self._last_acknowledged_s = self._clock()
            if self.overdue:
                self.overdue = False
                _say("[rtmp @ relay] the server acknowledges again")


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    # The network child may have died between the fork and the line above: no signal will
    # come then, and the relay would wait out its 30 s accept for nothing.
    if os.getppid() != parent_pid:
        os._exit(0)


def _from_parent(client: socket.socket, parent_pid: int) -> bool:
    """Whether ``client`` (an accepted connection) was opened by process ``parent_pid``: its
    other end is one of that process's sockets. True when that cannot be told (no sock_diag,
    no ``/proc``): the relay then takes the first connection, as it did before."""
    from anchordesk.media.network_watch import socket_inodes, tcp_socket_inode

    try:
        peer, own = client.getpeername()[:2], client.getsockname()[:2]
    except OSError:
        return False  # the other end is gone already: not FFmpeg, which waits for answers
    try:
        inode = tcp_socket_inode(peer, own)
    except OSError:
        return True
    parents = socket_inodes(parent_pid)
    if not parents:
        return True  # its sockets cannot be read (it holds the server's connection at least)
    return inode is not None and inode in parents


def _accept_from(listener: socket.socket, parent_pid: int, timeout_s: float) -> socket.socket:
    """The first connection that FFmpeg, in ``parent_pid``, opened to the relay. Any other local
    process could connect to the loopback port first: it got the checked connection to the
    server (and the server's answers), and FFmpeg's own connection was refused. Such a
    connection is closed and the relay waits on. Raises OSError (socket.timeout) when FFmpeg
    does not come within ``timeout_s``."""
    deadline_s = time.monotonic() + timeout_s
    while True:
        listener.settimeout(max(0.0, deadline_s - time.monotonic()))
        client, address = listener.accept()
        if _from_parent(client, parent_pid):
            return client
        _say(f"[tls relay] closed a connection from another local program (port {address[1]})")
        client.close()


def _relay(
    listener: socket.socket,
    server: ssl.SSLSocket,
    prefixes: tuple[bytes, bytes],
    parent_pid: int,
) -> None:
    """Forward one connection from FFmpeg to ``server`` and back, until either side ends."""
    try:
        client = _accept_from(listener, parent_pid, 30.0)
    except OSError:
        return
    listener.close()
    client.setblocking(False)
    server.setblocking(False)
    upstream = bytearray()  # FFmpeg's bytes not yet taken by the server
    downstream = bytearray()
    head = bytearray()  # FFmpeg's bytes after its handshake, until its connect is whole
    handshake_left = _HANDSHAKE_BYTES  # the handshake goes through as it comes
    heading = True
    client_open = True
    acknowledgements = ServerAcknowledgements()
    while client_open or upstream:
        readers: list[socket.socket] = []
        writers: list[socket.socket] = []
        if client_open and len(upstream) < _BUFFER_BYTES:
            readers.append(client)
        if len(downstream) < _BUFFER_BYTES:
            readers.append(server)
        if upstream:
            writers.append(server)
        if downstream:
            writers.append(client)
        writable: list[socket.socket] = []
        if server in readers and server.pending():
            readable: list[socket.socket] = [server]
        else:
            readable, writable, _ = select.select(readers, writers, [])
        try:
            if client in readable:
                try:
                    data = client.recv(65536)
                except BlockingIOError:  # woken with nothing to read after all
                    data = None
                if data is None:
                    pass
                elif not data:
                    client_open = False
                    upstream += head
                    head.clear()
                elif not heading:
                    upstream += data
                else:
                    take = min(handshake_left, len(data))
                    upstream += data[:take]
                    handshake_left -= take
                    head += data[take:]
                    if handshake_left == 0 and head:
                        done = rewrite_tcurl(
                            bytes(head),
                            *prefixes,
                            window_acknowledgement_size(ACKNOWLEDGEMENT_WINDOW_BYTES),
                        )
                        if done is not None:
                            upstream += done
                            head.clear()
                            heading = False
            if server in readable:
                with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    data = server.recv(65536)
                    if not data:
                        return
                    downstream += data
                    acknowledgements.on_received(data)
            if server in writable and upstream:
                with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    sent = server.send(upstream)
                    del upstream[:sent]
                    acknowledgements.on_sent(sent)
            if client in writable and downstream:
                with contextlib.suppress(BlockingIOError):
                    del downstream[: client.send(downstream)]
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            return  # the connection ended (close_notify, or none): no alert to tell
        except ssl.SSLError as error:
            # The server ended the TLS connection with an alert (a client certificate it
            # requires, a record it could not read): said, in the words the parent reads
            # (network_watch), instead of FFmpeg's "broke off the RTMP handshake".
            detail = _without_source_line(" ".join(str(error).split()))
            _say(f"[tls @ relay] {_SSL_CODE.sub('', detail) or detail}")
            return
        except OSError:
            return


@dataclass(frozen=True)
class Relay:
    """A running relay: the ``rtmp://127.0.0.1:PORT/...`` URL that FFmpeg is to open, the
    checked TLS connection (the child keeps it open, unused: the parent reads the stream's
    progress from it) and the relay's process."""

    url: str
    connection: ssl.SSLSocket
    pid: int

    def abnormal_end(self, wait_s: float) -> str | None:
        """How the relay ended, when it did not end as a relay does (its server closed the
        connection, or FFmpeg did): "killed by SIGKILL", "failed (exit code 1)". None when
        it ended so, or still runs after ``wait_s``. FFmpeg's write fails as the relay's
        socket closes, a moment before the relay can be waited for: hence the wait."""
        with contextlib.suppress(OSError, AttributeError):
            descriptor = os.pidfd_open(self.pid)  # Linux 5.3: readable once it has ended
            try:
                select.select([descriptor], [], [], wait_s)
            finally:
                os.close(descriptor)
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return None  # waited for already
        if pid == 0:
            return None
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            return f"killed by {name}"
        code = os.waitstatus_to_exitcode(status)
        return f"failed (exit code {code})" if code else None


def relay(url: str, timeout_s: float) -> Relay:
    """For ``rtmps://``: the relay that FFmpeg is to connect to, which reaches the server only
    through a checked TLS connection. Raises :class:`Refused` when the server must not get the
    key or cannot be reached."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    server = open_checked(host, port, timeout_s)
    listener = socket.create_server(("127.0.0.1", 0))
    relay_port = int(listener.getsockname()[1])
    user_info = parts.netloc.rpartition("@")[0]
    relay_netloc = f"{user_info}@127.0.0.1:{relay_port}" if user_info else f"127.0.0.1:{relay_port}"
    relay_url = urlunsplit(("rtmp", relay_netloc, parts.path, parts.query, parts.fragment))
    shown_host = f"[{host}]" if ":" in host else host
    prefixes = (f"rtmp://127.0.0.1:{relay_port}".encode(), f"rtmps://{shown_host}:{port}".encode())
    parent_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # the relay
        code = 0
        try:
            _die_with_parent(parent_pid)
            for descriptor in (0, 1):  # the parent's packet pipe and event lines are not ours
                with contextlib.suppress(OSError):
                    os.close(descriptor)
            _relay(listener, server, prefixes, parent_pid)
        except BaseException:  # a forked process never returns into the child's code
            code = 1
        finally:
            os._exit(code)
    listener.close()
    return Relay(relay_url, server, pid)
