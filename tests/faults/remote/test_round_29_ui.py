"""Round twenty-nine of issue 10: the remote and its page (hunt29ui)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from ..remote_parts import TOKEN, phone_on, rehearsing, serving
from .test_round_19_remote import SMALL_SHOW

# An amount written on two lines of the page: the text of the node holding it, cut into lines.
_AMOUNT_LINES = """(() => {
  const node = document.getElementById('gmv').firstChild;
  const text = node.textContent;
  return %s.map((amount) => {
    const at = text.indexOf(amount);
    if (at < 0) return [amount, -1];
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + amount.length);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    return [amount, tops.size];
  });
})()"""


async def _the_phone_s_gmv(folder: Path, chromium: str) -> dict[str, Any]:
    from anchordesk.show.feed_items import Order, OrderLine

    sold = [("USD", "1234567.00"), ("BHD", "1.234"), ("KWD", "123456.789")]
    orders = [
        Order("json", f"o-{code}", code, Decimal(v), (OrderLine("MUG", 1, Decimal(v)),))
        for code, v in sold
    ]
    async with phone_on(SMALL_SHOW, folder, chromium, orders) as page:
        await page.wait_for("document.getElementById('orders')?.textContent === '3'")
        text = await page.evaluate("document.getElementById('gmv').textContent")
        # Each amount as the page writes it (a space may be a no-break one).
        amounts = ["US$1,234,567.00", "BHD 1.234", "KWD 123,456.789"]
        written = [a for a in amounts if a.replace(" ", "\u00a0") in text] or amounts
        lines = await page.evaluate(_AMOUNT_LINES % [a.replace(" ", "\u00a0") for a in written])
        return {"text": text, "lines": lines}


def test_the_phone_never_writes_an_amount_on_two_lines(tmp_path: Path, chromium: str) -> None:
    """Before (headless chromium, 360 px, zh-CN): the GMV read "US$48.0" on one line and
    "0 (+" on the next, "JP¥99,99 / 9,999,99 / 9" — each amount broken anywhere in a box a
    third of the phone wide."""
    seen = asyncio.run(_the_phone_s_gmv(tmp_path, chromium))
    assert seen["lines"] and all(count == 1 for _amount, count in seen["lines"]), seen


async def _two_pictures(folder: Path) -> tuple[Any, Any]:
    """program.jpg, then a product put on air, the pipeline on, and program.jpg again a
    minute later (on the server's clock: past the per-client limit)."""
    import cv2
    import numpy as np

    now = [1000.0]
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live, clock=lambda: now[0]) as server,
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):

        async def picture() -> Any:
            async with client.get(f"{server.url}api/v1/program.jpg") as answer:
                assert answer.status == 200, await answer.text()
                data = np.frombuffer(await answer.read(), np.uint8)
            return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)

        live.media.start()  # the pipeline, as `anchordesk live` runs it (no window)
        pipeline = live.media.pipeline
        assert pipeline is not None

        async def frames(count: int) -> None:  # composited (nothing is encoded: no output)
            start = pipeline.counters().media_time_s
            while pipeline.counters().media_time_s < start + count / 30:
                await asyncio.sleep(0.02)  # a poll for new frames, not a timing

        await frames(5)  # the picture has begun
        before = await picture()
        now[0] += 60.0  # a minute on: nobody has asked for the picture since
        await frames(15)
        live.show_product("MUG")
        await frames(15)  # the card is on air now
        return before, await picture()


def test_the_remote_s_picture_is_of_now_not_of_the_last_request(tmp_path: Path) -> None:
    """Before (`anchordesk live --control`, no window): program.jpg asked after a pause was the
    frame copied at the previous request — a phone opened at 18:24 showed the picture of
    18:11 (its test pattern's wall clock), without the product card and the deal on air
    since; a script polling once a minute always saw the minute before."""
    before, after = asyncio.run(_two_pictures(tmp_path))
    height, width = after.shape
    # The card, on the right of the picture: most of its pixels changed.
    region = (slice(0, height * 2 // 3), slice(width * 2 // 3, width))
    changed = abs(after[region].astype(int) - before[region].astype(int)) > 40
    assert changed.mean() > 0.1, changed.mean()  # (before: 0.0, the same picture)
