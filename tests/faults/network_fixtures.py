"""Fixtures of the network fault tests (imported by the test modules that use them): hostile
servers started on loopback and always stopped.

- ``holding_proxy``: :class:`faults.network_helpers.HoldingProxy` in front of a real server.
- ``refusing_nginx``: nginx-rtmp whose ``on_publish`` asks a local HTTP server that answers
  403 for every stream key (how platforms refuse a wrong or revoked key).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers import MissingTool, NginxRtmp

from faults.network_helpers import HoldingProxy


class _Refuse(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_nginx(tmp_path: Path, ffprobe: str) -> Iterator[NginxRtmp]:
    """nginx-rtmp that refuses every stream key: ``on_publish`` gets HTTP 403."""
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refuse)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    try:
        try:
            server = NginxRtmp(tmp_path / "nginx-refusing")
        except MissingTool as error:
            pytest.skip(f"{error}; ./dev.sh test installs it")
        config = server.config_path.read_text(encoding="utf-8")
        hook = f"on_publish http://127.0.0.1:{http_server.server_address[1]}/publish;"
        server.config_path.write_text(
            config.replace("record_unique on;", f"record_unique on;\n            {hook}"),
            encoding="utf-8",
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        http_server.shutdown()
        http_server.server_close()


@pytest.fixture
def holding_proxy() -> Iterator[Callable[[int, int], HoldingProxy]]:
    """``holding_proxy(target_port, hold_first)``: a :class:`HoldingProxy`, closed at teardown."""
    proxies: list[HoldingProxy] = []

    def start(target_port: int, hold_first: int) -> HoldingProxy:
        proxies.append(HoldingProxy(target_port, hold_first))
        return proxies[-1]

    try:
        yield start
    finally:
        for proxy in proxies:
            proxy.close()
