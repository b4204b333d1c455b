"""Helpers of the network fault tests: a hanging ingest, a pipeline-paced feeder."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

from packetgen import PacketGenerator
from servers import NginxRtmp, wait_until

from anchordesk.media.network_child import child_command
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState, OutputStatus


def late_child(delay_s: float = 0.5) -> list[str]:
    """The network child, started ``delay_s`` late: the pipe is full before it says "opened"
    (what a retry after a backoff does with the packets queued meanwhile)."""
    return ["sh", "-c", f'sleep {delay_s}; exec "$@"', "sh", *child_command()]


def frozen_until_stalled(
    output: NetworkOutput, server: NginxRtmp, timeout_s: float = 30.0
) -> tuple[OutputStatus, OutputStatus, float]:
    """Once ``output`` (fed) is live and 100 kB reached ``server``, SIGSTOP the server and wait
    for the stall: the status as it froze, the status once stalled, and how long that took."""
    wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
    server.wait_for_recording(min_bytes=100_000)
    server.freeze()
    at_freeze = output.status()
    frozen_s = time.monotonic()
    stalled = wait_until(
        lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
        timeout_s,
        what="the stall",
    )
    return at_freeze, stalled, time.monotonic() - frozen_s


class Feeder:
    """Sends generated packets at a pipeline's real-time pace on its own thread."""

    def __init__(self, output: NetworkOutput, generator: PacketGenerator) -> None:
        self.output = output
        self.generator = generator
        self.sent_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, name="fault-feeder", daemon=True)

    def _feed(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            for packet in self.generator.packets(0.1):
                self.output.send(packet)
            self.sent_s += 0.1
            self._stop.wait(max(0.0, start + self.sent_s - time.monotonic()))

    def __enter__(self) -> Feeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


class HoldingProxy:
    """TCP on 127.0.0.1:``port``: connections 1..``hold_first`` are accepted and never answered
    (nothing is read either); the later ones are forwarded to ``target_port``."""

    def __init__(self, target_port: int, hold_first: int) -> None:
        self.target_port = target_port
        self.hold_first = hold_first
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = int(self._server.getsockname()[1])
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.accepted = 0
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="holding-proxy", daemon=True)
        self._thread.start()

    def url(self, app: str = "live", key: str = "test-key") -> str:
        return f"rtmp://127.0.0.1:{self.port}/{app}/{key}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                self.accepted += 1
                number = self.accepted
                self._sockets.append(connection)
            if number > self.hold_first:
                self._forward(connection)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets.append(upstream)
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(
                target=self._pump, args=(source, target), name="holding-proxy-pump", daemon=True
            ).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for connection in self._sockets:
                with contextlib.suppress(OSError):
                    connection.close()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(5)


def _amf_string(text: str) -> bytes:
    data = text.encode()
    return b"\x02" + struct.pack(">H", len(data)) + data


def _amf_status(level: str, code: str, description: str) -> bytes:
    fields = b"".join(
        struct.pack(">H", len(name)) + name.encode() + _amf_string(value)
        for name, value in (("level", level), ("code", code), ("description", description))
    )
    return b"\x03" + fields + b"\x00\x00\x09"


def _command(name: str, transaction: float, *values: bytes, stream: int = 0) -> bytes:
    """One AMF0 command message (type 20) on chunk stream 3, in 128-byte chunks."""
    body = _amf_string(name) + b"\x00" + struct.pack(">d", transaction) + b"".join(values)
    chunks = [body[i : i + 128] for i in range(0, len(body), 128)]
    header = b"\x03\x00\x00\x00" + len(body).to_bytes(3, "big") + b"\x14"
    return header + struct.pack("<I", stream) + b"\xc3".join(chunks)


class ScriptedRtmpServer:
    """An RTMP server on 127.0.0.1:``port`` that plays a script, for what nginx-rtmp never
    does: it answers the handshake, then ``connect`` (unless ``answer_connect`` is False:
    it then reads and says nothing), ``createStream`` and ``publish`` (FFmpeg's transaction
    numbers 1, 4 and 5), and once ``end_after_bytes`` of the stream came, says
    ``onStatus`` of level error with ``end_description`` (a platform ending a broadcast).
    ``connect_error``: ``connect`` is answered ``_error`` with that description.
    ``reset_at``: the name of the command (``connect``, ``publish``) at which it resets the
    connection (a TCP reset: SO_LINGER 0, then close), as a firewall or a crashing server does.
    Commands are found by their names in the bytes: enough for FFmpeg's fixed sequence."""

    def __init__(
        self,
        *,
        answer_connect: bool = True,
        end_after_bytes: int | None = None,
        end_description: str = "",
        connect_error: str | None = None,
        reset_at: str | None = None,
    ) -> None:
        self.reset_at = reset_at
        self.answer_connect = answer_connect
        self.connect_error = connect_error
        self.end_after_bytes = end_after_bytes
        self.end_description = end_description
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self.connections = 0
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="scripted-rtmp", daemon=True)
        self._thread.start()

    def url(self, app: str = "live", key: str = "test-key") -> str:
        return f"rtmp://127.0.0.1:{self.port}/{app}/{key}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            self._sockets.append(connection)
            threading.Thread(
                target=self._serve, args=(connection,), name="scripted-rtmp-connection",
                daemon=True,
            ).start()  # fmt: skip

    def _serve(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError), connection:
            received = b""
            while len(received) < 1537:
                data = connection.recv(65536)
                if not data:
                    return
                received += data
            connection.sendall(b"\x03" + bytes(1536) + received[1:1537])
            received = received[1537 + 1536 :] if len(received) > 3073 else b""
            answered: set[str] = set()
            after_publish = 0
            while data := connection.recv(65536):
                received = (received + data)[-4096:]
                if "publish" in answered:
                    after_publish += len(data)
                    if self.end_after_bytes is not None and after_publish >= self.end_after_bytes:
                        connection.sendall(self._status("error", "NetStream.Publish.BadName",
                                                        self.end_description))  # fmt: skip
                        self.end_after_bytes = None
                    continue
                if self.reset_at is not None and _amf_string(self.reset_at) in received:
                    connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    return  # closed by the with: a reset, not a FIN
                if not self.answer_connect:
                    continue
                for name, reply in (
                    ("connect", self._connect_result()),
                    (
                        "createStream",
                        _command("_result", 4, b"\x05", b"\x00" + struct.pack(">d", 1)),
                    ),
                    ("publish", self._status("status", "NetStream.Publish.Start", "publishing")),
                ):
                    if name not in answered and _amf_string(name) in received:
                        answered.add(name)
                        connection.sendall(reply)

    def _connect_result(self) -> bytes:
        if self.connect_error is not None:
            error = _amf_status("error", "NetConnection.Connect.Rejected", self.connect_error)
            return _command("_error", 1, b"\x05", error)
        return _command(
            "_result", 1, b"\x05", _amf_status("status", "NetConnection.Connect.Success", "ok")
        )

    @staticmethod
    def _status(level: str, code: str, description: str) -> bytes:
        return _command("onStatus", 0, b"\x05", _amf_status(level, code, description), stream=1)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        for connection in self._sockets:
            with contextlib.suppress(OSError):
                connection.close()
        self._thread.join(5)
