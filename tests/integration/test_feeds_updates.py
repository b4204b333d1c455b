"""`anchordesk live --feed json=URL --show …`'s wiring: each line at its unit price (list-price
lines during a deal are not deal units), and cancellations put their units back, once — also
after a restart with the same session."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.live.options import FeedSpec
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.showfile.files import load_show
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report

pytestmark = pytest.mark.integration

SHOW = load_show(Path(__file__).resolve().parents[2] / "resources" / "shows" / "zh" / "show.json")


def live_session(writer: StoreWriter, feeds: list[FeedSpec], runtime: ShowRuntime) -> ShowSession:
    """A live session on ``writer``, as LiveShow builds it for the window and the CLI."""
    return ShowSession(
        mode=SessionMode.LIVE, runtime=runtime, writer=writer, feeds=feeds, simulated=False
    )


def pull(feeds: ShowSession, orders: int, updates: int) -> None:
    """Run the feeds until the live show has applied ``orders`` and ``updates``."""

    async def run() -> None:
        assert feeds.start_feeds()
        for _ in range(400):
            if feeds.ledger.orders >= orders and len(feeds.ledger.updates) >= updates:
                break
            await asyncio.sleep(0.02)
        await feeds.stop_feeds()

    asyncio.run(run())


def test_unit_prices_decide_deal_lines_and_cancellations_restock_once(tmp_path: Path) -> None:
    serum = SHOW.rundown[1]
    product = SHOW.product(serum.sku)
    assert product is not None and serum.deal is not None
    deal_price, list_price = str(serum.deal.price), str(product.price)
    server = JsonFeedServer(poll_ms=20, page_size=3)
    server.add_order("SERUM-30", 5, deal_price)  # o1: a deal line
    server.add_order("SERUM-30", 4, list_price)  # o2: list price while the deal runs
    server.add_order("SERUM-30", 3, deal_price)  # o3: a deal line, cancelled below
    server.add_update("o3", "cancelled")
    server.add_update("o3", "cancelled")  # re-sent
    server.add_update("o2", "refunded", "10.00")  # money only
    session = tmp_path / "show.adsession"
    runtime = ShowRuntime(SHOW, 0.0)
    writer = StoreWriter(session)
    with server:
        feeds = live_session(writer, [FeedSpec("json", server.url)], runtime)
        runtime.jump_to_segment(1)
        pull(feeds, 3, 2)
        feeds.close_store()

    state = runtime.snapshot().state
    deal = state.live_deal("SERUM-30")
    assert deal is not None and deal.units_sold == 5, "o2 is a list-price sale; o3 came back"
    assert state.stock_left("SERUM-30") == product.stock - 9
    report = build_report(session)
    assert report.gmv == Decimal(deal_price) * 5 + Decimal(list_price) * 4 - Decimal("10.00")
    assert report.units_by_sku == {"SERUM-30": 9}

    # Restarted with the same session: the stock on screen counts the cancellation once.
    again = ShowRuntime(SHOW, 0.0)
    writer = StoreWriter(session)
    restored = live_session(writer, [], again)
    try:
        assert again.snapshot().state.stock_left("SERUM-30") == product.stock - 9
        assert restored.ledger.gmv == report.gmv
    finally:
        restored.close_store()
