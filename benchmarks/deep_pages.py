"""A feed page with one item nested too deep (feeds/deep_json.py): what the fallback costs.

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

from anchordesk.feeds.deep_json import load_deep_page

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


def main() -> None:
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
