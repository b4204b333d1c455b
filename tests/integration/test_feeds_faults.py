"""Three platforms at once, every fault injected mid-show: the session holds every item exactly
once and the report's totals equal what the servers served."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import (
    Fault,
    JsonFeedServer,
    ShopifyOrdersServer,
    YouTubeChatServer,
)

from anchordesk.feeds.adapters import ShopifyOrdersAdapter
from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.live.options import FeedSpec
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report

pytestmark = pytest.mark.integration


def test_every_fault_at_once_loses_nothing_and_doubles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ShopifyOrdersAdapter, "default_interval_s", 0.05)
    youtube = YouTubeChatServer(page_size=4, interval_ms=30)
    shopify = ShopifyOrdersServer()
    bridge = JsonFeedServer(poll_ms=30, page_size=5)
    servers = (youtube, shopify, bridge)
    for server in servers:
        server.start()
    session = tmp_path / "show.adsession"
    writer = StoreWriter(session)
    tokens = {"youtube-chat": youtube.api_key, "shopify-orders": shopify.token, "json": None}
    hub = FeedHub(
        [
            FeedSpec("youtube-chat", youtube.feed_url),
            FeedSpec("shopify-orders", shopify.url),
            FeedSpec("json", bridge.url),
        ],
        writer,
        token_lookup=tokens.get,
        timeout_s=0.5,
        backoff=BackoffPolicy(first_delay_s=0.02, max_delay_s=0.2, min_interval_s=0.01),
    )

    async def show() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(hub.run(stop))
        for round_number in range(12):
            for n in range(5):
                youtube.add_text(f"v{n}", f"round {round_number} message {n}？")
                bridge.add_comment(f"b{n}", f"bridge {round_number}.{n}")
            shopify.add_order([("SERUM-30", 1 + round_number % 3, "19.99"), ("", 1, "0.10")])
            bridge.add_order("MASK-10", 2, "89.90")
            fault = round_number % 6
            if fault == 0:
                shopify.inject(Fault("status", 429, {"Retry-After": "0.1"}))
                youtube.inject(Fault("status", 503, {"Retry-After": "0"}))
            elif fault == 1:
                for server in servers:
                    server.inject(Fault("status", 500), Fault("status", 500))
            elif fault == 2:
                bridge.inject(Fault("slow", delay_s=0.8))
                youtube.inject(Fault("malformed"))
            elif fault == 3:
                for server in servers:
                    server.inject(Fault("overlap"))
            elif fault == 4:
                shopify.inject(Fault("malformed", body=b"<html>Bad gateway</html>"))
            else:
                await asyncio.to_thread(bridge.restart)
                await asyncio.to_thread(youtube.restart)
            await asyncio.sleep(0.15)
        expected = len(youtube.messages) + len(shopify.orders) + len(bridge.items)
        for _ in range(300):
            stored = await asyncio.wrap_future(
                writer.call(lambda s: s.count("comments") + s.count("orders"))
            )
            if stored >= expected:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await running

    try:
        asyncio.run(show())
    finally:
        writer.close()
        for server in servers:
            server.stop()

    health = {h.source: h for h in hub.health()}
    assert all(h.errors > 0 for h in health.values()), "every feed met faults"
    assert health["json"].duplicates + health["youtube-chat"].duplicates > 0
    report = build_report(session)
    bridge_comments, bridge_orders, bridge_gmv, bridge_units = bridge.served_totals()
    assert report.comments == len(youtube.messages) + bridge_comments
    assert report.orders == len(shopify.orders) + bridge_orders
    shopify_gmv = sum((Decimal(o["total_price"]) for o in shopify.orders), Decimal(0))
    assert report.ledger.gmv_by_currency == {"USD": shopify_gmv, "CNY": bridge_gmv}
    shopify_serum = sum(o["line_items"][0]["quantity"] for o in shopify.orders)
    assert report.units_by_sku == {
        "SERUM-30": shopify_serum,
        "": len(shopify.orders),
        **bridge_units,
    }
    assert report.questions >= len(youtube.messages)
