"""Round thirty-two, remote (R32in F3): a request aiohttp's parser refuses is answered with the
API's one JSON line, quoting none of the request: aiohttp's own answer was plain text over
several lines quoting the request line or header it read, the control token in it."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from ..remote_parts import TOKEN, serving

T = TOKEN.encode()
STATE = b"GET /api/v1/state?token=" + T
COMMAND = b"POST /api/v1/commands?token=" + T + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
BAD = {
    "control byte in ?token=": (STATE + b"\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "the URL"),
    "control byte in Authorization": (
        b"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + T
        + b"\x7f\r\n\r\n",
        "",
    ),
    "HTTP/9.9": (STATE + b" HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", "the request line"),
    "Content-Length -1": (COMMAND + b"Content-Length: -1\r\n\r\n", ""),
    "Content-Length 1e3": (COMMAND + b"Content-Length: 1e3\r\n\r\n", ""),
    "Content-Length twice": (COMMAND + b"Content-Length: 26\r\nContent-Length: 27\r\n\r\n", ""),
    "Content-Length full width": (COMMAND + "Content-Length: ２６\r\n\r\n".encode(), ""),
}


async def _answers(sent: bytes) -> bytes:
    async with serving(lambda: None) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(sent)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return answer


@pytest.mark.parametrize(("sent", "part"), BAD.values(), ids=BAD.keys())
def test_a_request_the_parser_refuses_gets_the_apis_one_line_without_the_token(
    sent: bytes, part: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: "HTTP/1.0 400 Bad Request", text/plain, "Invalid char in url query:\n\n
    # b'GET /api/v1/state?token=TOKEN\x01 HTTP/1.1'\n   ^": the token sent back; the log
    # said "from ?".
    with caplog.at_level(logging.INFO):
        answer = asyncio.run(_answers(sent))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 400 Bad Request"), answer
    assert b"Content-Type: application/json" in head, answer
    assert T not in answer and b"Bearer" not in answer, answer
    said = json.loads(body)
    assert said["ok"] is False and said["error"].startswith("malformed request: "), said
    assert part in said["error"] and "\n" not in said["error"], said
    refused = [
        r.getMessage() for r in caplog.records if r.name == "anchordesk.control.server.requests"
    ]
    assert refused == [refused[0]] and " from 127.0.0.1 (" in refused[0], refused
    assert TOKEN not in caplog.text
