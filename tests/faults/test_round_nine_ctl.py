"""Round nine of issue 10, the remote control: its HTTP server held by clients that send half
a body or never read their answers, bodies it cannot read, and the phone's page across a
change of session, in Debian's chromium at a phone's 390x844.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket

import pytest

from anchordesk.control.server import ControlServer

TOKEN = "a-token-of-thirty-two-characters!"
AUTH = f"Authorization: Bearer {TOKEN}\r\n".encode()


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def _get_state(port: int) -> bytes:
    """An authorised ``GET /api/v1/state``: its status line, or b"" if the server hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /api/v1/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + AUTH)
        writer.write(b"\r\n")
        await writer.drain()
        return (await reader.read()).split(b"\r\n")[0]
    except ConnectionError:
        return b""
    finally:
        writer.close()


def _stuck_clients(port: int) -> list[socket.socket]:
    """Two kinds of held connections: an authorised command whose announced body never comes,
    and a client (no token) asking for the page's script 400 times in a row, reading nothing."""
    held = []
    for kind in range(4):
        connection = socket.socket()
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        connection.connect(("127.0.0.1", port))
        connection.setblocking(False)
        if kind % 2:
            request = b"POST /api/v1/commands HTTP/1.1\r\nHost: x\r\n" + AUTH
            connection.send(request + b"Content-Length: 1000\r\n\r\n{")
        else:
            pipelined = b"GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n" * 400
            while pipelined:
                try:
                    pipelined = pipelined[connection.send(pipelined) :]
                except BlockingIOError:
                    break  # the server stopped reading: it is writing answers no one reads
        held.append(connection)
    return held


async def _held_out(idle_timeout_s: float) -> tuple[bytes, bytes, int]:
    server = ControlServer(
        lambda: None, TOKEN, port=0, max_connections=4, idle_timeout_s=idle_timeout_s
    )
    await server.start()
    held = _stuck_clients(server.port)
    try:
        await asyncio.sleep(0)  # the server takes the four
        while len(server._runner.server.connections) < 4:  # type: ignore[union-attr]
            await asyncio.sleep(0.01)
        refused = await _get_state(server.port)  # the fifth: over the cap
        # The stuck ones are cut after the idle timeout: a phone gets in again.
        answered = b""
        for _ in range(200):
            answered = await _get_state(server.port)
            if answered:
                break
            await asyncio.sleep(0.05)
        return refused, answered, server.refused_connections
    finally:
        for connection in held:
            connection.close()
        await server.stop()


def test_a_body_never_sent_or_an_answer_never_read_does_not_hold_a_connection_for_good(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before: the docs say a connection that has not finished its request within 15 s is
    closed, but only a half-sent request head was: 100 connections each asking for the page's
    script a few hundred times and reading nothing (no token needed), or an authorised command
    whose body never came, kept the remote out for good (60 s measured, still held). Now the
    whole exchange, body and answer, has the same deadline."""
    with caplog.at_level(logging.DEBUG):
        refused, answered, refusals = asyncio.run(_held_out(idle_timeout_s=0.5))
    assert refused == b"" and refusals >= 1  # the cap held while they were stuck
    assert answered == b"HTTP/1.1 409 Conflict"  # let in: "no show is running yet"
    assert _no_tracebacks(caplog) == []


async def _bodies(bodies: list[tuple[bytes, bytes]]) -> list[bytes]:
    server = ControlServer(lambda: None, TOKEN, port=0)
    await server.start()
    answers = []
    try:
        for headers, body in bodies:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(
                b"POST /api/v1/commands HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + AUTH
                + headers
                + b"\r\n"
                + body
            )
            await writer.drain()
            if b"Content-Length: 1000" in headers:  # a phone losing its Wi-Fi mid-body
                writer.transport.abort()
                answers.append(b"")
                continue
            answer = await reader.read()
            answers.append(answer.split(b"\r\n")[0] + b" " + answer.split(b"\r\n\r\n", 1)[1])
            writer.close()
        # the server is fine afterwards
        answers.append(await _get_state(server.port))
        return answers
    finally:
        await server.stop()


def test_a_body_the_server_cannot_read_is_a_bad_request_not_a_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before: a body that says gzip and is not answered 500 "Server got itself in trouble"
    (not the API's JSON) with a 40-line traceback, and each client that left mid-body (a phone
    losing its Wi-Fi, a cut connection) logged a 25-line traceback."""
    good = gzip.compress(b'{"command": "next_segment"}')
    with caplog.at_level(logging.DEBUG):
        answers = asyncio.run(
            _bodies(
                [
                    (b"Content-Encoding: gzip\r\nContent-Length: 12\r\n", b"\x1f\x8b garbage!"),
                    (b"Content-Length: 1000\r\n", b'{"command": '),
                    (
                        b"Content-Encoding: gzip\r\nContent-Length: %d\r\n" % len(good),
                        good,
                    ),
                ]
            )
        )
    assert answers[0].startswith(b'HTTP/1.1 400 Bad Request {"ok": false, "error": "the body ')
    assert answers[0].count(b"\n") == 0  # one line
    assert answers[1] == b""
    # A good gzip body is still read (no show here: 409).
    assert answers[2].startswith(b"HTTP/1.1 409 Conflict")
    assert answers[3] == b"HTTP/1.1 409 Conflict"
    assert _no_tracebacks(caplog) == []
