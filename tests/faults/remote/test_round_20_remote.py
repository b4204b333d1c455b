"""Round twenty of issue 10, the remote control, with a real server on loopback and raw
HTTP requests (a header given twice cannot be sent by aiohttp's client as two fields)."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

from ..remote_parts import TOKEN, rehearsing, serving
from .test_round_19_remote import SMALL_SHOW


async def _posted(port: int, fields: list[bytes], body: bytes) -> tuple[int, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [
        b"POST /api/v1/commands HTTP/1.1",
        b"Host: 127.0.0.1",
        b"Authorization: Bearer " + TOKEN.encode(),
        b"Content-Type: application/json",
        *fields,
        b"Content-Length: %d" % len(body),
        b"Connection: close",
    ]
    writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
    answer = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    status, _, rest = answer.partition(b"\r\n\r\n")
    return int(status.split()[1]), json.loads(rest)


async def _sent_with_two_fields(folder: Path) -> list[tuple[int, Any]]:
    goto = b'{"command":"goto_segment","index":2}'
    said = []
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        for fields, body in (
            # gzip applied, then deflate: two fields are the list "gzip, deflate".
            (
                [b"Content-Encoding: gzip", b"Content-Encoding: deflate"],
                zlib.compress(gzip.compress(goto)),
            ),
            ([b"Content-Encoding: identity", b"Content-Encoding: gzip"], gzip.compress(goto)),
            ([b"Content-Encoding: gzip", b"Content-Encoding: br"], gzip.compress(goto)),
        ):
            said.append(await _posted(server.port, fields, body))
    return said


def test_a_coding_in_a_second_content_encoding_field_is_not_ignored(tmp_path: Path) -> None:
    """Before: only the first `Content-Encoding` field was read, where two fields are one list
    (RFC 9110 5.3): a body sent gzip then deflate in two fields was refused as "not UTF-8
    text", `identity` then `gzip` too, and a body said to be brotli in the second field was
    read as gzip alone and applied."""
    said = asyncio.run(_sent_with_two_fields(tmp_path))
    assert said[0][0] == 200 and said[0][1]["state"]["segment"]["index"] == 2
    assert said[1][0] == 200 and said[1][1]["state"]["segment"]["index"] == 2
    assert said[2][0] == 415 and "'br'" in said[2][1]["error"]


async def _refused_in_two_language_fields(folder: Path) -> list[tuple[int, Any]]:
    said = []
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        body = b'{"command":"previous_segment"}'  # at the first segment: refused, in words
        for fields in (
            [b"Accept-Language: fr", b"Accept-Language: ja"],
            [b"Accept-Language: fr, ja"],
        ):
            said.append(await _posted(server.port, fields, body))
    return said


def test_a_language_in_a_second_accept_language_field_is_heard(tmp_path: Path) -> None:
    """Before: only the first `Accept-Language` field was read, where two fields are one list:
    a client asking for French (not offered) then Japanese in two fields got English words,
    and Japanese when the same list came in one field."""
    two, one = asyncio.run(_refused_in_two_language_fields(tmp_path))
    assert two[0] == 409 and one[0] == 409
    assert two[1]["message"] == one[1]["message"] != two[1]["error"]
