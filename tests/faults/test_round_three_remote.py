"""Round three against the remote control's HTTP server: what a scanner, a broken client or
a hostile one sends must cost one line in the log, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest

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
