"""Round thirty-one of issue 10: the phone page's GMV beside the window's (board31)."""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal
from pathlib import Path

from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.ui.docks.amounts import amount_lines

from ..remote_parts import phone_on
from .test_round_19_remote import SMALL_SHOW

CODES = ("USD", "EUR", "JPY", "KRW", "CNY", "GBP", "INR", "BHD", "KWD", "BRL", "CHF", "SEK")
# An order is at most 10^12 in its currency: a thousand and one of the largest make 16 digits.
LARGEST = Decimal("999999999999.99")


def _orders() -> list[Order]:
    orders = [
        Order("json", f"{code}-{n}", code, amount, (OrderLine("MUG", 1, amount),))
        for code, amount in (("USD", LARGEST), ("KWD", LARGEST), ("JPY", Decimal(999999999999)))
        for n in range(1001)
    ]
    twelve = Decimal(12345)
    return orders + [
        Order("json", f"small-{code}", code, twelve, (OrderLine("LAMP", 1, twelve),))
        for code in CODES
    ]


async def _gmv_on_the_phone(folder: Path, chromium: str) -> dict[str, object]:
    async with phone_on(SMALL_SHOW, folder, chromium, _orders()) as page:
        await page.wait_for("(document.getElementById('gmv') || {}).textContent > ''")
        await page.wait_for("document.getElementById('gmv').textContent.includes('SEK')")
        facts = await page.evaluate(
            """JSON.stringify({
              text: document.getElementById('gmv').textContent,
              shown: document.getElementById('gmv').innerText,
              right: document.getElementById('gmv').getBoundingClientRect().right,
              page: document.documentElement.clientWidth,
              scroll: document.documentElement.scrollWidth,
              rate: document.getElementById('opm').textContent})"""
        )
        return dict(json.loads(facts))


def test_the_phone_writes_the_gmv_one_amount_a_line_as_the_window_does(
    tmp_path: Path, chromium: str
) -> None:
    """Before (headless chromium, a 360-px Chinese phone, totals of 16 digits in three
    currencies and orders in twelve): the page ran the amounts together on wrapping lines,
    "US$1,001,000,000,012,334.99 (+ BHD 12,345.000, R$12,345.00, …)", where the window's
    orders panel and data board now write one amount a line; its orders a minute read
    "3015.0" where the window's board wrote "3,015"."""
    facts = asyncio.run(_gmv_on_the_phone(tmp_path, chromium))
    usd = LARGEST * 1001 + 12345
    amounts = [(code, Decimal(12345)) for code in CODES if code not in ("USD", "KWD", "JPY")]
    amounts += [("USD", usd), ("KWD", usd), ("JPY", Decimal(999999999999) * 1001 + 12345)]
    window = amount_lines(amounts, "USD", "zh_CN")
    assert str(facts["text"]).split("\n") == window, facts["text"]
    assert str(facts["shown"]).split("\n") == window, facts["shown"]  # each on its own line
    # Every amount whole on the phone's screen: the page never scrolls sideways.
    right, page = facts["right"], facts["page"]
    assert isinstance(right, float | int) and isinstance(page, int) and right <= page, facts
    assert facts["scroll"] == page, facts
    # Its orders a minute as the window writes them: "3,015" (was "3015.0").
    rate = str(facts["rate"])
    assert re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d)?", rate) and not rate.endswith(".0"), rate
