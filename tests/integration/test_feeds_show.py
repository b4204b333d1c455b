"""Orders from a feed move the live show: stock falls, a deal sells out at once (mid-page), the
report's deal figures match what the show decided, and a restart restores the stock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.live.options import FeedSpec
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.state import DealStatus
from anchordesk.showfile.files import load_show
from anchordesk.store import SessionStore, StoreWriter
from anchordesk.store.report import build_report

pytestmark = pytest.mark.integration

SHOW = load_show(Path(__file__).resolve().parents[2] / "resources" / "shows" / "zh" / "show.json")


def live_session(writer: StoreWriter, feeds: list[FeedSpec], runtime: ShowRuntime) -> ShowSession:
    """A live session on ``writer``, as LiveShow builds it for the window and the CLI."""
    return ShowSession(
        mode=SessionMode.LIVE, runtime=runtime, writer=writer, feeds=feeds, simulated=False
    )


def pull_all(feeds: ShowSession, writer: StoreWriter, expected: int) -> None:
    async def run() -> None:
        assert feeds.start_feeds()
        for _ in range(400):
            count = await asyncio.wrap_future(writer.call(lambda s: s.count("orders")))
            if count >= expected:
                break
            await asyncio.sleep(0.02)
        await feeds.stop_feeds()

    asyncio.run(run())


def test_a_deal_sells_out_mid_page_and_the_report_agrees_with_the_show(tmp_path: Path) -> None:
    serum = SHOW.rundown[1]
    assert serum.sku == "SERUM-30" and serum.deal is not None and serum.deal.stock == 100
    server = JsonFeedServer(poll_ms=20, page_size=20)
    for _ in range(60):
        server.add_order("SERUM-30", 2, "129.00")  # 120 units: the deal's 100 sell out at #50
    session = tmp_path / "show.adsession"
    runtime = ShowRuntime(SHOW, 0.0)
    writer = StoreWriter(session)
    with server:
        feeds = live_session(writer, [FeedSpec("json", server.url)], runtime)
        runtime.jump_to_segment(1)  # the operator moves on to the serum: its deal goes live
        pull_all(feeds, writer, 60)
        feeds.close_store()

    state = runtime.snapshot().state
    deal = state.latest_deal("SERUM-30")
    assert deal is not None and deal.status is DealStatus.SOLD_OUT and deal.units_sold == 100
    assert state.stock_left("SERUM-30") == 500 - 120

    store = SessionStore(session, read_only=True)
    kinds = [event.kind for event in store.show_events()]
    store.close()
    assert "deal_ended" in kinds and kinds.count("order_applied") == 60

    report = build_report(session)
    (reported,) = report.ledger.deals
    assert reported.units == 100 and reported.end_reason == "sold_out"
    assert report.units_by_sku == {"SERUM-30": 120}

    # The program restarts with the same session: the stock on screen is what was left.
    again = ShowRuntime(SHOW, 0.0)
    writer = StoreWriter(session)
    restored = live_session(writer, [], again)
    try:
        assert again.snapshot().state.stock_left("SERUM-30") == 380
    finally:
        restored.close_store()
