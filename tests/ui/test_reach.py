"""The pre-flight's "destination reachable" line says why in words, in the window's language,
for real sockets on loopback: a name that does not exist, a closed port, a server whose
accept queue is full (no answer), a plain server behind an rtmps:// URL. The OS's English
text goes to the log only."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from pytestqt.qtbot import QtBot

from anchordesk.live.settings import Destination
from anchordesk.ui.golive import FAIL, GoLiveDialog, PreflightFacts
from anchordesk.ui.reach import Unreachable, tcp_reachable


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@contextlib.contextmanager
def _full_accept_queue() -> Iterator[int]:
    """A server that never accepts, its queue already full: a new connection gets no answer."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = int(server.getsockname()[1])
    waiting = []
    try:
        for _ in range(4):  # fill the backlog (Linux lets backlog + 1 wait)
            client = socket.socket()
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                client.connect(("127.0.0.1", port))
            waiting.append(client)
        yield port
    finally:
        for client in waiting:
            client.close()
        server.close()


@contextlib.contextmanager
def _plain_text_server() -> Iterator[int]:
    """Answers every connection in plain text, as an rtmp:// (not rtmps://) port would."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(5)
    port = int(server.getsockname()[1])

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nnot TLS\r\n" * 4)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.close()
        thread.join(5)


def test_each_failure_has_its_kind_and_the_os_text_only_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.ui.reach")
    refused = tcp_reachable("127.0.0.1", _closed_port(), 2.0)
    assert refused is not None and refused.kind is Unreachable.REFUSED
    missing = tcp_reachable("no-such-ingest.invalid", 1935, 2.0)
    assert missing is not None
    assert missing.kind in (Unreachable.NAME_NOT_FOUND, Unreachable.NAME_LOOKUP_FAILED)
    with _full_accept_queue() as port:
        silent = tcp_reachable("127.0.0.1", port, 0.5)
    assert silent is not None and silent.kind is Unreachable.TIMEOUT
    assert silent.timeout_s == 0.5
    with _plain_text_server() as port:
        plain = tcp_reachable("127.0.0.1", port, 3.0, tls=True)
    assert plain is not None and plain.kind is Unreachable.TLS_FAILED
    # A port that takes the connection and waits (a plain rtmp:// server waiting for its own
    # handshake, nginx-rtmp): R8ui L3, it was said "no answer from 127.0.0.1:PORT within 3 s".
    waiting = socket.socket()
    waiting.bind(("127.0.0.1", 0))
    waiting.listen(4)  # the kernel completes the connection; nobody ever answers on it
    with waiting:
        quiet = tcp_reachable("127.0.0.1", int(waiting.getsockname()[1]), 0.5, tls=True)
    assert quiet is not None and quiet.kind is Unreachable.TLS_TIMEOUT
    assert "Connection refused" in caplog.text  # the OS's words, for whoever reads the log


def _facts() -> PreflightFacts:
    return PreflightFacts(True, "cam", True, "mic", True, "30 fps", (), False, False, -12.0)


def _reachable_line(qtbot: QtBot, server_url: str, timeout_s: float = 2.0) -> str:
    destination = Destination("d1", "Shop", "custom", server_url)
    with ThreadPoolExecutor(2) as pool:
        dialog = GoLiveDialog(
            [destination], "d1", False, _facts, lambda _id: True, pool,
            connect_timeout_s=timeout_s,
        )  # fmt: skip
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.results["reachable"].status == FAIL, timeout=10000)
        assert not dialog.go.isEnabled()
        detail = dialog.results["reachable"].detail
        dialog.reject()
    return detail


def test_preflight_says_why_in_english_words(qtbot: QtBot) -> None:
    port = _closed_port()
    assert _reachable_line(qtbot, f"rtmp://127.0.0.1:{port}/live") == (
        f"127.0.0.1:{port} refused the connection: the server is down or the port is wrong"
    )
    assert _reachable_line(qtbot, "rtmp://no-such-ingest.invalid/live") in (
        "no server is named no-such-ingest.invalid: check the server URL",
        "the name no-such-ingest.invalid could not be looked up: is this computer online?",
    )
    with _full_accept_queue() as port:
        line = _reachable_line(qtbot, f"rtmp://127.0.0.1:{port}/live", timeout_s=0.5)
    assert line == f"no answer from 127.0.0.1:{port} within 0.5 s"


def test_preflight_says_why_in_chinese_without_the_os_english(qtbot: QtBot, chinese: None) -> None:
    port = _closed_port()
    line = _reachable_line(qtbot, f"rtmp://127.0.0.1:{port}/live")
    assert line == f"127.0.0.1:{port} 拒绝了连接：服务器未运行或端口不对"
    assert "refused" not in line.lower()
    with _plain_text_server() as port:
        line = _reachable_line(qtbot, f"rtmps://127.0.0.1:{port}/live")
    assert line.startswith(f"127.0.0.1:{port} 有应答，但安全连接（TLS）失败")
    line = _reachable_line(qtbot, "rtmp://no-such-ingest.invalid/live")
    assert "Name or service not known" not in line and "no-such-ingest.invalid" in line
