"""Helpers of the network fault tests: a hanging ingest, a pipeline-paced feeder."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from packetgen import PacketGenerator

from anchordesk.media.network_child import child_command
from anchordesk.media.network_output import NetworkOutput


def late_child(delay_s: float = 0.5) -> list[str]:
    """The network child, started ``delay_s`` late: the pipe is full before it says "opened"
    (what a retry after a backoff does with the packets queued meanwhile)."""
    return ["sh", "-c", f'sleep {delay_s}; exec "$@"', "sh", *child_command()]


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
