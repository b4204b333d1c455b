"""Round thirty-three of issue 10, the seams (seams33): one figure, one way, on every surface.
A real rehearsing LiveShow and its real remote on loopback, the session file it wrote and the
report read back from it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.model import DealPlan, Product, Segment, Show

from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}

MUG_SHOW = Show(
    "Mugs",
    "JPY",
    "ja",
    (Product("MUG", "Mug", Decimal("1280"), 50),),
    (Segment("Mug", 120, "MUG", deal=DealPlan(Decimal("980"), 60, 10)),),
)


def test_an_order_before_the_first_frame_counts_in_the_first_segment_live_as_in_the_report(
    tmp_path: Path,
) -> None:
    """The first orders of a show kept before its picture's first frame (the feeds start with
    the session; the order's own command started the show, whose start events are stamped a
    moment after the order). Before: the window's board and the remote said the first
    segment "Mug" had 0 orders and no GMV, while `anchordesk report` on the same file put
    both orders (¥3,840) in it."""
    from anchordesk.store.report import build_report

    async def sell() -> tuple[Any, dict[str, Any], Path]:
        async with (
            rehearsing(MUG_SHOW, tmp_path) as live,
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers=AUTH) as deck,
        ):
            assert live.session is not None
            assert not live.session.ledger.segments  # no frame yet
            lines = (OrderLine("MUG", 1, Decimal("1280")), OrderLine("MUG", 2, Decimal("1280")))
            live.session.ingest(
                [
                    Order("json", f"o-{n}", "JPY", line.amount, (line,))
                    for n, line in enumerate(lines)
                ]
            )
            async with deck.get(f"{server.url}api/v1/state") as answer:
                state: dict[str, Any] = await answer.json()
            return live.snapshot().board, state, live.session.path

    board, state, path = asyncio.run(sell())
    (live_segment,) = board.segments
    (remote_segment,) = state["board"]["segments"]
    report = build_report(path)
    assert report.board is not None
    (report_segment,) = report.board.figures.segments
    assert (report_segment.orders, report_segment.gmv_by_currency) == (2, (("JPY", Decimal(3840)),))
    assert (live_segment.orders, live_segment.gmv_by_currency) == (2, (("JPY", Decimal(3840)),))
    assert (remote_segment["orders"], remote_segment["gmv"]) == (2, {"JPY": "3840"})
    assert (live_segment.buyers, remote_segment["buyers"]) == (report_segment.buyers, 2)
