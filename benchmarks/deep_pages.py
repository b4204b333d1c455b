"""Reading a feed page: the normal path, and a page with one item nested too deep.

The normal path reads the body as text first (feeds/parsing.body_text: a lone surrogate
escape becomes U+FFFD, a body in another charset is read in it) and then ``json.loads``; it is
printed against ``json.loads`` of the bytes (what it was before round three).

What the deep-item fallback costs (feeds/deep_json.py):

The normal path is unchanged (one ``json.loads``); only a page that Python's reader refuses
with ``RecursionError`` is scanned. Prints, for pages near the 8 MB body cap, the plain read
of the page without the deep item and the read with it, and for the shapes that make the
scanner work hardest (many tiny or mid-deep elements), its time per MB.

    .venv/bin/python benchmarks/deep_pages.py
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import httpx

from anchordesk.feeds.deep_json import load_deep_page
from anchordesk.feeds.parsing import load_json

DEEP = "[" * 5000 + "]" * 5000


def _load(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _timed(what: str, text: str) -> None:
    plain = '{"items": [' + text + "1]}"
    started = time.perf_counter()
    _load(plain)
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    page = load_deep_page('{"items": [' + text + DEEP + "]}", [("items",)], _load)
    deep_s = time.perf_counter() - started
    assert page is not None
    mb = len(plain) / 1e6
    print(
        f"{what:<34} {mb:5.1f} MB  plain {plain_s * 1000:7.0f} ms  with one deep item "
        f"{deep_s * 1000:7.0f} ms  ({deep_s / plain_s:4.1f}x, {deep_s / mb * 1000:5.0f} ms/MB)"
    )


def _normal(what: str, body: bytes, rounds: int = 5) -> None:
    response = httpx.Response(200, content=body)
    before = after = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        json.loads(body, parse_float=Decimal)
        before = min(before, time.perf_counter() - started)
        started = time.perf_counter()
        load_json(response, items_at=[("items",)])
        after = min(after, time.perf_counter() - started)
    print(
        f"normal path, {what:<26} {len(body) / 1e6:5.1f} MB  json.loads(bytes) "
        f"{before * 1000:6.1f} ms  load_json {after * 1000:6.1f} ms  ({after / before:4.2f}x)"
    )


def main() -> None:
    chat = '{"id": "LCC.%06d", "snippet": {"displayMessage": "这个多少钱？ hello 😀"}},'
    page = "".join(chat % n for n in range(12_000))
    _normal("2,000-message-like UTF-8", ('{"items": [' + page + "1]}").encode())
    escaped = json.dumps({"items": [{"text": "这个多少钱？ hello 😀"}] * 12_000})
    _normal("the same, all \\u-escaped", escaped.encode())
    comment = '{"type": "comment", "id": "c%d", "author": "ann", "text": "hello, [world] {x}"},'
    _timed("120,000 comments", "".join(comment % n for n in range(120_000)))
    order = (
        '{"type": "order", "id": "o%d", "currency": "CNY", "total": "258.00", '
        '"lines": [{"sku": "SERUM-30", "quantity": 2, "price": "129.00"}]},'
    )
    _timed("60,000 orders", "".join(order % n for n in range(60_000)))
    _timed("2,500,000 empty objects", "{}," * 2_500_000)
    _timed("400,000 elements 9 deep", ("[" * 9 + "]" * 9 + ",") * 400_000)
    _timed("19,000 elements 201 deep", ("[" * 201 + "]" * 201 + ",") * 19_000)


if __name__ == "__main__":
    main()
