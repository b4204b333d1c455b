"""Round thirty-one of issue 10, the seams (seams31): the same figure written the same way on
every surface, and outside text masked whole before it is cut. A real rehearsing LiveShow and
its real remote on loopback where a figure crosses layers; the one formatter otherwise."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from anchordesk.show.model import DealPlan, Product, Segment, Show

from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}

DEAR_SHOW = Show(
    "Dear",
    "USD",
    "en",
    (Product("WATCH", "Watch", Decimal("99999.00"), 5000),),
    (Segment("Watch", 120, "WATCH", deal=DealPlan(Decimal("89999.00"), 60, 10)),),
)


async def _refused_start(folder: Path, body: dict[str, Any], language: str) -> dict[str, Any]:
    async with (
        rehearsing(DEAR_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers={**AUTH, "Accept-Language": language}) as deck,
    ):
        async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
            assert answer.status == 400, await answer.text()
            said: dict[str, Any] = await answer.json()
    return said


def test_a_refused_deal_price_is_said_as_money_in_every_language(tmp_path: Path) -> None:
    """Before: a deal started from the remote at a price above the list price was refused
    "deal price 1234567.5 is not below the list price 99999 of WATCH": the two prices without
    their currency or grouping, where the picture's card, the window and the report write
    "$1,234,567.50" (and a Chinese phone "US$1,234,567.50")."""
    start = {"command": "start_deal", "sku": "WATCH", "price": "1234567.5", "seconds": 60}
    english = asyncio.run(_refused_start(tmp_path / "en", start, "en"))
    assert english["error"] == (
        "deal price $1,234,567.50 is not below the list price $99,999.00 of WATCH"
    )
    assert english["message"] == english["error"]
    chinese = asyncio.run(_refused_start(tmp_path / "zh", start, "zh-CN"))
    assert chinese["error"] == english["error"]  # the log's and the scripts' English
    assert "US$1,234,567.50" in chinese["message"], chinese
    assert "US$99,999.00" in chinese["message"], chinese
    assert "1234567.5" not in chinese["message"]


def test_an_oversold_count_in_the_log_is_grouped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: an order of 8,313 watches on a stock of 5,000 was logged "order o-1: WATCH
    oversold by 3313 units", where the board, the report and every message write 3,313."""
    from anchordesk.show.feed_items import Order, OrderLine

    async def sell() -> None:
        async with rehearsing(DEAR_SHOW, tmp_path) as live:
            assert live.session is not None
            line = OrderLine("WATCH", 8313, Decimal("99999.00"))
            with caplog.at_level(logging.WARNING):
                live.session.ingest([Order("json", "o-1", "USD", line.amount, (line,))])

    asyncio.run(sell())
    said = [r.getMessage() for r in caplog.records if "oversold" in r.getMessage()]
    assert said == ["order o-1: WATCH oversold by 3,313 units"], said
