"""Round three against the remote control's HTTP server: what a scanner, a broken client or
a hostile one sends must cost one line in the log, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from anchordesk.cli import control
from anchordesk.cli.main import main
from anchordesk.control.server import ControlServer

TOKEN = "a-token-of-thirty-two-characters!"


async def _with_server(send: bytes) -> bytes:
    server = ControlServer(lambda: None, TOKEN, port=0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        server.port = probe.getsockname()[1]
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(send)
        await writer.drain()
        answer = await reader.read(200)
        writer.close()
        # the server's view of it too: a real request still works afterwards
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/")).status_code == 200
        return answer
    finally:
        await server.stop()


@pytest.mark.parametrize(
    "send",
    [
        b"GET /api/v1/state HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ],
    ids=["100 KB header", "100 KB path", "negative length"],
)
def test_a_request_aiohttp_cannot_parse_is_one_line_not_a_traceback(
    send: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        answer = asyncio.run(_with_server(send))
    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    said = [r for r in caplog.records if r.name.startswith("anchordesk.control.server.requests")]
    assert len(said) == 1, [r.getMessage() for r in caplog.records]
    assert said[0].levelno == logging.INFO and said[0].exc_info is None
    assert said[0].getMessage().startswith("remote control: refused a malformed request from ")
    assert "aaaa" not in said[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


class _Answers(http.server.BaseHTTPRequestHandler):
    """A server on the remote's address that is not AnchorDesk (or is a hostile one)."""

    body = b""
    status = 200

    def _answer(self) -> None:
        if self.body == b"SILENT":
            time.sleep(3)  # longer than the client waits (its timeout is lowered below)
            return
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(self.body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(body: bytes, status: int = 200) -> Iterator[str]:
    handler = type("Handler", (_Answers,), {"body": body, "status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        # RecursionError escaped `anchordesk control state` as a traceback
        (b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 200, "answered 200 without JSON"),
        # a server's error text went to the terminal as it came
        (
            b'{"ok": false, "error": "\\u001b]0;owned\\u0007 \\ud800"}',
            409,
            "409: \\x1b]0;owned\\x07 \\ud800",
        ),
        # read whole, however large
        (b'{"x": "' + b"a" * 9_000_000 + b'"}', 200, "answered more than 8 MB: that is not"),
        (b"SILENT", 200, "no answer within 0 s (is AnchorDesk running with the remote"),
    ],
    ids=["nested", "escapes", "9 MB", "silent"],
)
def test_anchordesk_control_says_what_a_wrong_server_did_in_one_clean_line(
    body: bytes,
    status: int,
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    monkeypatch.setattr(control, "ANSWER_TIMEOUT_S", 0.3)
    with _serving(body, status) as url:
        code = main(["control", "--url", url, "state" if status == 200 else "unpin"])
    err = capsys.readouterr().err
    assert code in (1, 2)
    lines = err.splitlines()
    assert len(lines) == 1 and said in lines[0], err[-500:]
    assert "\x1b" not in err and "\x07" not in err and TOKEN not in err
