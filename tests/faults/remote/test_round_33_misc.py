"""Hostile round thirty-three, the remote control (misc33; R32in F4, F5): real bodies sent to a
real ControlServer over a rehearsing LiveShow. Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ..remote_parts import TOKEN, rehearsing, serving
from .test_round_19_remote import SMALL_SHOW

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


async def _sent(folder: Path, bodies: list[bytes]) -> list[tuple[int, Any]]:
    said: list[tuple[int, Any]] = []
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        for body in bodies:
            async with deck.post(f"{server.url}api/v1/commands", data=body) as answer:
                said.append((answer.status, json.loads(await answer.text())))
    return said


PRICES = {
    # sent price: what the refusal quotes (before: Decimal's spelling, '1E+309', '1E-101')
    b"1e309": "the deal price 1e309 is out of range: a number from 0 to 1,000,000,000",
    b'"1e309"': "the deal price 1e309 is out of range: a number from 0 to 1,000,000,000",
    b"1E+0309": "the deal price 1E+0309 is out of range: a number from 0 to 1,000,000,000",
    b"1e-400": "deal price: 1e-400 has more decimals than USD uses (2)",
    b'"0.' + b"0" * 100 + b'1"': (
        "deal price: 0.00000000000000000000000000000000000... has more decimals than USD uses (2)"
    ),
    b'"5.001"': "deal price: 5.001 has more decimals than USD uses (2)",
    b"5.0010": "deal price: 5.0010 has more decimals than USD uses (2)",
}


def test_a_refused_deal_price_is_quoted_as_sent(tmp_path: Path) -> None:
    bodies = [b'{"command":"start_deal","sku":"MUG","price":' + price + b"}" for price in PRICES]
    said = asyncio.run(_sent(tmp_path, bodies))
    for (status, answer), expected in zip(said, PRICES.values(), strict=True):
        assert (status, answer["error"]) == (400, expected)


@pytest.mark.parametrize("marks", [2, 3])
def test_a_body_starting_with_two_byte_order_marks_is_said_in_the_apis_words(
    tmp_path: Path, marks: int
) -> None:
    """Before: "malformed JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1
    (char 0)", Python's advice to a programmer."""
    body = b"\xef\xbb\xbf" * marks + b'{"command":"next_segment"}'
    ((status, answer),) = asyncio.run(_sent(tmp_path, [body]))
    assert (status, answer) == (
        400,
        {"ok": False, "error": "malformed JSON: the body starts with two byte-order marks"},
    )


def test_guard_one_byte_order_mark_is_still_read(tmp_path: Path) -> None:
    ((status, answer),) = asyncio.run(_sent(tmp_path, [b'\xef\xbb\xbf{"command":"next_segment"}']))
    assert status == 200 and answer["ok"] is True
