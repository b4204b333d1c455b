"""Shopify's GraphQL Admin API against a local server speaking its JSON: orders created or
updated since the cursor (so cancellations and refunds arrive as order updates), the
client-credentials token fetched, refreshed before it expires and again after a 401, a static
token, refused credentials, THROTTLED; no secret in any status or log line."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import httpx
import pytest
from platform_servers import ShopifyGraphQLServer
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.poller import Poller
from anchordesk.feeds.shopify_graphql import (
    SHOPIFY_API_VERSION,
    ShopifyGraphQLOrdersAdapter,
    graphql_endpoint,
)
from anchordesk.show.feed_items import Order, OrderUpdate, RefundLine


def adapter_for(
    server: ShopifyGraphQLServer, fake: FakeTime, **kw: object
) -> ShopifyGraphQLOrdersAdapter:
    options: dict[str, object] = {
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "clock": fake.clock,
    }
    options.update(kw)
    return ShopifyGraphQLOrdersAdapter(server.shop_url, None, "shopify-orders", **options)  # type: ignore[arg-type]


async def settle(poller: Poller, fake: FakeTime, rounds: int = 6) -> None:
    for _ in range(rounds):
        fake.now_s += await poller.poll_once()


def test_the_version_is_chosen_in_one_place() -> None:
    assert SHOPIFY_API_VERSION.startswith("2026-")
    assert graphql_endpoint("https://shop.myshopify.com") == (
        f"https://shop.myshopify.com/admin/api/{SHOPIFY_API_VERSION}/graphql.json"
    )


def test_orders_then_their_cancellation_and_refund_arrive_as_updates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = ShopifyGraphQLServer(page_size=2)
    with server:
        first = server.add_order([("MUG", 2, "18.00")])
        second = server.add_order([("MUG", 1, "24.00"), ("TEA", 3, "5.50")])
        server.add_order([("TEA", 1, "5.50")])
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(adapter_for(server, fake), client, sink, fake)
                with caplog.at_level(logging.DEBUG):
                    await settle(poller, fake)
                    server.cancel(first)
                    server.refund(second, "5.50", [("TEA", 1)])
                    await settle(poller, fake)
                    assert poller.health.state == "ok"

        asyncio.run(scenario())
    orders = {item.id: item for item in sink.items if isinstance(item, Order)}
    assert sorted(orders) == ["5001", "5002", "5003"]
    assert orders["5002"].total_price == Decimal("40.50") and orders["5002"].currency == "USD"
    updates = {item.id: item for item in sink.items if isinstance(item, OrderUpdate)}
    assert set(updates) == {"5001:cancelled", "5002:refund:900"}
    refund = updates["5002:refund:900"]
    assert refund.refund == Decimal("5.50") and refund.lines == (RefundLine("TEA", 1),)
    # The stored cursor is the newest updatedAt of a finished window; pages follow endCursor.
    assert [c for c in sink.cursors if c][-1] == "2026-11-28T20:05:00Z"
    queries = [q["variables"] for q in server.queries]
    assert queries[0]["query"] == "" and queries[1]["after"] == "2"
    # After the first window: from its newest updatedAt (inclusive), then from the refund's.
    assert any(q["query"] == "updated_at:>='2026-11-28T20:03:00Z'" for q in queries)
    assert queries[-1]["query"] == "updated_at:>='2026-11-28T20:05:00Z'"
    # The client secret and the tokens never reach a log line.
    for secret in (server.client_secret, *server.issued):
        assert secret not in caplog.text


def test_the_token_is_refreshed_before_it_expires_and_after_a_401() -> None:
    server = ShopifyGraphQLServer(expires_in=3600)
    with server:
        server.add_order([("MUG", 1, "24.00")])
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                adapter = adapter_for(server, fake)
                poller = make_poller(adapter, client, sink, fake)
                await settle(poller, fake, 2)
                assert server.issued == ["shpat_issued_1"]
                fake.now_s += 3600 - 300  # five minutes before it expires
                await settle(poller, fake, 2)
                assert server.issued == ["shpat_issued_1", "shpat_issued_2"]
                server.expire_tokens()  # revoked early: Shopify answers 401
                await settle(poller, fake, 3)
                assert len(server.issued) == 3 and poller.health.state == "ok"
                assert "3 tokens fetched" in adapter.status().note

        asyncio.run(scenario())
    token_calls = [r for r in server.requests if r[1] == "/admin/oauth/access_token"]
    assert all(r[2]["content-type"] == "application/x-www-form-urlencoded" for r in token_calls)
    graphql = [r for r in server.requests if r[1].endswith("graphql.json")]
    assert {r[2]["x-shopify-access-token"] for r in graphql} >= set(server.issued[:2])


def test_a_static_token_works_and_refused_credentials_end_the_feed() -> None:
    server = ShopifyGraphQLServer()
    with server:
        server.add_order([("MUG", 1, "24.00")])
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                static = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
                await make_poller(static, client, sink, fake).poll_once()
                wrong = adapter_for(server, fake, client_secret="shpss_wrong_secret")
                health = await make_poller(wrong, client, sink, fake).run(asyncio.Event())
                assert health.state == "ended"
                assert "refused the app's client credentials" in health.last_error
                assert "shpss_wrong_secret" not in health.last_error

        asyncio.run(scenario())
    assert [item.id for item in sink.items] == ["5001"]


def test_throttled_waits_for_the_bucket_then_reads_on() -> None:
    server = ShopifyGraphQLServer()
    with server:
        server.add_order([("MUG", 1, "24.00")])
        server.throttle_next = 1
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
                poller = make_poller(adapter, client, sink, fake)
                # The query's requested cost (778, as the server counts it) less the 10
                # points left, at 100 points a second.
                assert await poller.poll_once() == pytest.approx((778 - 10) / 100)
                await poller.poll_once()

        asyncio.run(scenario())
    assert [item.id for item in sink.items] == ["5001"]
