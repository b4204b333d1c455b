"""Round twenty-one of issue 10, the remote control: a real server over a real rehearsing
LiveShow on loopback, the web remote in headless chromium."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import aiohttp

from ..remote_parts import TOKEN, rehearsing, serving
from .test_round_19_remote import SMALL_SHOW

HOLD_S = 3.0  # the network holds the phone's messages this long (a Wi-Fi retransmitting)
_SEGMENT = "document.getElementById('segment-title').textContent"
_SEGMENT_TIME = "document.getElementById('segment-time')?.textContent"


async def _a_change_held_by_the_network(folder: Path, chromium: str) -> dict[str, Any]:
    import test_control_browser as browser_tools

    seen: dict[str, Any] = {}
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        browser_tools.chromium_page(chromium, folder / "profile") as page,
        aiohttp.ClientSession() as http,
    ):
        await page.send("Network.enable")
        await page.send("Page.navigate", url=f"{server.url}?token={TOKEN}")
        await page.wait_for("document.getElementById('connection')?.className === 'badge on'")
        await page.wait_for(f"{_SEGMENT_TIME}?.startsWith('0:')")
        seen["first"] = await page.evaluate(_SEGMENT)
        # The phone's network holds what comes (chromium's offline emulation keeps the socket
        # open and delivers its messages when back online, late) while the operator's stream
        # deck moves the show on to another segment: its clock starts at 0 on the server.
        await page.send(
            "Network.emulateNetworkConditions",
            offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1,
        )  # fmt: skip
        async with http.post(
            f"{server.url}api/v1/commands",
            headers={"Authorization": f"Bearer {TOKEN}", "Prefer": "return=minimal"},
            json={"command": "goto_segment", "index": 2},
        ) as answer:
            assert answer.status == 200
        await asyncio.sleep(HOLD_S)  # the hold itself, the input of this test
        await page.send(
            "Network.emulateNetworkConditions",
            offline=False, latency=0, downloadThroughput=-1, uploadThroughput=-1,
        )  # fmt: skip
        await page.wait_for(f"{_SEGMENT} !== {seen['first']!r}")
        seen["time"] = await page.evaluate(_SEGMENT_TIME)
        seen["segment"] = await page.evaluate(_SEGMENT)
    return seen


def test_a_change_held_by_the_network_leaves_the_phones_clocks_on_time(
    tmp_path: Path, chromium: str
) -> None:
    """Before: the page counted the segment's time (and the deals' countdowns) on from when a
    state's message arrived: a change held 3 s by the phone's network showed the new
    segment at 0:00 where it had run 3 s, and stayed that far behind until the next change.
    The server now says in each message when its clocks were read, on its own clock; the page
    counts on from then (its offset to the server's clock: the least held message's)."""
    seen = asyncio.run(_a_change_held_by_the_network(tmp_path, chromium))
    assert "Lamp" in seen["segment"]
    elapsed, _, planned = seen["time"].partition(" / ")
    minutes, _, seconds = elapsed.partition(":")
    assert planned == "2:00" and minutes == "0"
    assert int(seconds) >= HOLD_S - 1, seen  # 0:03 or 0:04; 0:00 before


async def _sent_chunked(folder: Path, codings: bytes, body: bytes) -> tuple[int, Any, int]:
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        head = [
            b"POST /api/v1/commands HTTP/1.1",
            b"Host: 127.0.0.1",
            b"Authorization: Bearer " + TOKEN.encode(),
            b"Transfer-Encoding: " + codings,
            b"Connection: close",
        ]
        chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + chunked)
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        status, _, rest = answer.partition(b"\r\n\r\n")
        current = live.snapshot().current
        assert current is not None
        return int(status.split()[1]), json.loads(rest), current.index


def test_a_body_said_to_be_packed_in_its_transfer_encoding_is_not_read_as_it_came(
    tmp_path: Path,
) -> None:
    """Before: a command sent with `Transfer-Encoding: gzip, chunked` (or `br, chunked`) was
    read as it came, its declared coding ignored: a plain one was applied (the show moved on to
    the segment), a packed one refused as "the body is not UTF-8 text". A coding the server
    does not read is now refused by its name (501, RFC 9112 6.1), nothing applied."""
    goto = b'{"command":"goto_segment","index":2}'
    said = [
        asyncio.run(_sent_chunked(tmp_path / "plain", b"gzip, chunked", goto)),
        asyncio.run(_sent_chunked(tmp_path / "packed", b"gzip, chunked", gzip.compress(goto))),
        asyncio.run(_sent_chunked(tmp_path / "br", b"br;q=1, chunked", goto)),
    ]
    for (status, answer, segment), coding in zip(said, ("gzip", "gzip", "br"), strict=True):
        assert status == 501 and segment == 0, said
        assert f"{coding!r} (its Transfer-Encoding)" in answer["error"]
    # Chunks alone, and the obsolete identity, are read as before.
    status, _, segment = asyncio.run(_sent_chunked(tmp_path / "ok", b"identity, Chunked", goto))
    assert status == 200 and segment == 2
