"""Round twenty-nine of issue 10: the remote and its page (hunt29ui)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from .remote_parts import phone_on
from .test_round_nineteen_remote import SMALL_SHOW

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
