"""One show fed at once by local YouTube, Shopify (GraphQL, client credentials), Twitch
(EventSub WebSocket) servers and the reference bridge of docs/bridge: the session file keeps
what each served — comments, orders and their refunds, the removals, the viewer counts of all
of them — and each feed's status with the YouTube quota it spent."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from platform_servers import ShopifyGraphQLServer, TwitchServer, YouTubeLiveServer

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.spec import FeedSpec
from anchordesk.show.feed_items import FeedItem
from anchordesk.store import SessionStore, StoreWriter
from anchordesk.store.report import build_report

pytestmark = pytest.mark.integration

BRIDGE_PATH = Path(__file__).resolve().parents[2] / "docs" / "bridge" / "bridge.py"


def load_bridge() -> Any:
    spec = importlib.util.spec_from_file_location("reference_bridge", BRIDGE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_bridge"] = module
    spec.loader.exec_module(module)
    return module


def test_every_platform_feeds_one_session_and_the_file_keeps_what_they_served(
    tmp_path: Path,
) -> None:
    youtube = YouTubeLiveServer(interval_ms=50)
    shopify = ShopifyGraphQLServer()
    twitch = TwitchServer()
    bridge_module = load_bridge()
    bridge = bridge_module.Bridge(token="bridge-token")
    bridge_server = bridge.serve("127.0.0.1", 0)
    threading.Thread(target=bridge_server.serve_forever, daemon=True).start()
    bridge_url = f"http://127.0.0.1:{bridge_server.server_address[1]}/feed"

    youtube.add_text("amy", "How much is the mug?")
    spam = youtube.add_text("troll", "spam")
    youtube.delete(spam)
    first = shopify.add_order([("MUG", 2, "18.00")])
    shopify.add_order([("TEA", 1, "5.50")])
    shopify.refund(first, "18.00", [("MUG", 1)])
    with httpx.Client() as client:
        for path, body in (
            (
                "/webhook/order",
                {
                    "order_id": "D1",
                    "currency": "CNY",
                    "items": [{"sku": "MUG", "qty": 1, "price": "99.00"}],
                },
            ),
            ("/webhook/comment", {"comment_id": "C1", "nickname": "小红", "content": "有现货吗？"}),
            (
                "/console/viewers",
                {
                    "time": "2026-11-28T20:03:15+08:00",
                    "online": 1834,
                    "enter_count": 5210,
                    "like_count": 18022,
                },
            ),
            ("/webhook/cancel", {"order_id": "D1"}),
            ("/webhook/comment_deleted", {"event_id": "E1", "comment_id": "C1"}),
        ):
            port = bridge_server.server_address[1]
            assert client.post(f"http://127.0.0.1:{port}{path}", json=body).status_code == 200

    seen: list[FeedItem] = []
    tokens = {
        "youtube-chat": youtube.api_key,
        "shopify-orders-client-id": shopify.client_id,
        "shopify-orders-client-secret": shopify.client_secret,
        "twitch-chat": twitch.token,
        "json": "bridge-token",
    }
    path = tmp_path / "platforms.adsession"
    writer = StoreWriter(path)

    def stored(_source: str, items: Sequence[FeedItem], _at: float) -> None:
        seen.extend(items)

    async def scenario() -> None:
        await twitch.start_ws()
        stop = asyncio.Event()
        try:
            hub = FeedHub(
                [
                    FeedSpec("youtube-chat", youtube.video_url),
                    FeedSpec("shopify-orders", shopify.shop_url),
                    FeedSpec("twitch-chat", twitch.feed_url()),
                    FeedSpec("json", bridge_url),
                ],
                writer,
                on_stored=stored,
                token_lookup=tokens.get,
                # The session started before the shop's orders (the server's clock is fixed).
                shopify_created_at_min=datetime(2026, 11, 28, 19, 0, tzinfo=UTC),
            )
            task = asyncio.create_task(hub.run(stop))
            await twitch.wait_for_connections(1, subscriptions=3)
            await twitch.chat("tw-1", "42", "Kai", "hi from twitch")
            await twitch.chat("tw-2", "66", "Bot", "spam")
            await twitch.delete("tw-2", "66")
            for _ in range(2000):
                kinds = {(item.source, type(item).__name__) for item in seen}
                if {
                    ("youtube-chat", "ViewerStats"),
                    ("youtube-chat", "CommentRemoval"),
                    ("shopify-orders", "OrderUpdate"),
                    ("twitch-chat", "ViewerStats"),
                    ("twitch-chat", "CommentRemoval"),
                    ("json", "OrderUpdate"),
                } <= kinds:
                    break
                await asyncio.sleep(0.01)
            stop.set()
            await asyncio.wait_for(task, 20)
        finally:
            await twitch.stop_ws()

    with youtube, shopify, twitch:
        asyncio.run(scenario())
    bridge_server.shutdown()
    writer.close()

    store = SessionStore(path, read_only=True)
    try:
        viewers = {s.sample.source: s.sample.online for s in store.viewer_samples()}
        assert viewers == {"youtube-chat": 120, "twitch-chat": 321, "json": 1834}
        removals = {(r.removal.source, r.removal.comment_id) for r in store.comment_removals()}
        assert removals == {("youtube-chat", spam), ("twitch-chat", "tw-2"), ("json", "C1")}
        orders = {(o.order.source, o.order.id): o.order.total_price for o in store.orders()}
        assert orders == {
            ("shopify-orders", "5001"): Decimal("36.00"),
            ("shopify-orders", "5002"): Decimal("5.50"),
            ("json", "D1"): Decimal("99.00"),
        }
        updates = {(u.update.source, u.update.id) for u in store.order_updates()}
        assert updates == {("shopify-orders", "5001:refund:900"), ("json", "D1:cancelled")}
        status = {
            health["source"]: health for health in json.loads(store.meta("feed_status") or "[]")
        }
        assert status["youtube-chat"]["quota_units"] == youtube.units > 0
        assert "quota units spent" in status["youtube-chat"]["note"]
        assert "client credentials" in status["shopify-orders"]["note"]
        # The board's figures in the report are what the platforms served: the audience is
        # each platform's count added up, a cancelled order's buyer is not a buyer, GMV stays
        # per currency (the refund and the cancellation taken out).
        board = build_report(path).board
        assert board is not None
        assert board.figures.viewers_peak == 120 + 321 + 1834
        assert board.figures.buyers == 2  # the two Shopify orders; the bridge's D1 cancelled
        assert board.figures.conversion == pytest.approx(2 / (120 + 321 + 1834))
        assert dict(board.figures.gmv_by_currency) == {
            "USD": Decimal("36.00") + Decimal("5.50") - Decimal("18.00"),
            "CNY": Decimal("0.00"),
        }
        text = path.read_bytes()
        for secret in (youtube.api_key, shopify.client_secret, twitch.token, *shopify.issued):
            assert secret.encode() not in text
    finally:
        store.close()
