"""A session's orders from a real feed server: deal lines by their unit price, cancellations
and refunds out of the ledger once with their units back on the card — and on a resume."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from feed_servers import JsonFeedServer

from anchordesk.live.options import FeedSpec
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.store import StoreWriter

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 20),),
    rundown=(
        Segment("Hello", 60),
        Segment("Mug", 300, "MUG", deal=DealPlan(Decimal("18.00"), 120, 10)),
    ),
)


def open_session(path: Path, feeds: list[FeedSpec]) -> tuple[ShowSession, ShowRuntime]:
    runtime = ShowRuntime(SHOW, 0.0)
    session = ShowSession(
        mode=SessionMode.LIVE,
        runtime=runtime,
        writer=StoreWriter(path),
        feeds=feeds,
        simulated=False,
    )
    return session, runtime


def test_deal_lines_cancellations_and_refunds_reach_the_ledger_and_the_card_once(
    tmp_path: Path,
) -> None:
    server = JsonFeedServer(poll_ms=20, page_size=2)
    server.add_order("MUG", 3, "18.00", "USD")  # o1: a deal line
    server.add_order("MUG", 2, "24.00", "USD")  # o2: list price during the deal
    server.add_order("MUG", 1, "18.00", "USD")  # o3
    server.add_update("o1", "cancelled")
    server.add_update("o1", "cancelled")  # re-sent
    server.add_update("o2", "refunded", "4.00")
    server.add_update("o2", "refunded", "4.0")  # re-sent
    path = tmp_path / "live.adsession"
    server.start()
    session, runtime = open_session(path, [FeedSpec("json", server.url)])
    runtime.next_segment(1.0)  # the mug's deal goes live

    async def pull() -> None:
        assert session.hub is not None
        stop = asyncio.Event()
        task = asyncio.create_task(session.hub.run(stop))
        for _ in range(400):
            if len(session.ledger.updates) >= 2:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await task

    try:
        asyncio.run(pull())
    finally:
        server.stop()
        session.close_store()

    ledger = session.ledger
    assert ledger.gmv == Decimal("18.00") + Decimal("48.00") - Decimal("4.00")
    (deal,) = ledger.deals
    assert (deal.units, deal.gmv) == (1, Decimal("18.00"))
    state = runtime.snapshot().state
    live = state.live_deal("MUG")
    assert live is not None and live.units_sold == 1 and live.stock_left == 9
    assert state.stock_left("MUG") == 20 - 3

    # The program restarts with the session: the card shows what the board says.
    again, again_runtime = open_session(path, [])
    try:
        assert again_runtime.snapshot().state.stock_left("MUG") == 17
        assert again.ledger.gmv == ledger.gmv
    finally:
        again.close_store()
