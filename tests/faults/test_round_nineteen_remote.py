"""Round nineteen of issue 10, the remote control: bodies with a list of codings, the event
stream's changes on the largest show, with real servers on loopback."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from anchordesk.show.model import DealPlan, Product, Segment, Show

from .remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}

SMALL_SHOW = Show(
    "Small",
    "USD",
    "en",
    (
        Product("MUG", "Mug", Decimal("12.00"), 50),
        Product("LAMP", "Lamp", Decimal("30.00"), 20),
    ),
    (
        Segment("Hello", 60, None),
        Segment("Mug", 120, "MUG", deal=DealPlan(Decimal("9.00"), 60, 10)),
        Segment("Lamp", 120, "LAMP"),
    ),
)


async def _encoded(folder: Path, bodies: list[tuple[str, bytes]]) -> list[tuple[int, Any]]:
    said: list[tuple[int, Any]] = []
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        for encoding, body in bodies:
            async with deck.post(
                f"{server.url}api/v1/commands",
                data=body,
                headers={"Content-Encoding": encoding},
            ) as answer:
                said.append((answer.status, json.loads(await answer.text())))
    return said


def test_a_body_with_a_list_of_known_codings_is_read_and_an_unknown_one_named(
    tmp_path: Path,
) -> None:
    """Before: `Content-Encoding: identity, gzip` (a list, RFC 9110 8.4, the codings in the
    order they were applied) was refused 415 as one unknown coding, though each is one the
    API reads; and the refusal named the whole list, not the coding it could not read."""
    goto = b'{"command":"goto_segment","index":2}'
    said = asyncio.run(
        _encoded(
            tmp_path,
            [
                ("identity, gzip", gzip.compress(goto)),
                ("gzip, deflate", zlib.compress(gzip.compress(b'{"command":"previous_segment"}'))),
                ("deflate,gzip", gzip.compress(zlib.compress(b'{"command":"next_segment"}'))),
                ("identity, br", goto),
                ("gzip, zstd", goto),
            ],
        )
    )
    assert said[0][0] == 200 and said[0][1]["state"]["segment"]["index"] == 2
    # Applied gzip then deflate: undone the other way round (the last coding first).
    assert said[1][0] == 200 and said[1][1]["state"]["segment"]["index"] == 1
    assert said[2][0] == 200 and said[2][1]["state"]["segment"]["index"] == 2
    assert said[3] == (
        415,
        {
            "ok": False,
            "error": "a body sent as 'br' (its Content-Encoding) is not read: send it as it "
            "is, or as gzip or deflate",
        },
    )
    assert said[4][0] == 415 and "'zstd'" in said[4][1]["error"]
