"""The legacy REST orders feed takes the app's client credentials too (the same token code as
GraphQL's): a token fetched before the first call, fetched again before it expires and at once
after a 401, and refused credentials end the feed in one line without the secret."""

from __future__ import annotations

import asyncio

import httpx
from feed_servers import ShopifyOrdersServer
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.show.feed_items import Order

TOKEN_PATH = "/admin/oauth/access_token"


def adapter_for(server: ShopifyOrdersServer, fake: FakeTime, secret: str) -> ShopifyOrdersAdapter:
    return ShopifyOrdersAdapter(
        server.url,
        None,
        client_id=server.client_id,
        client_secret=secret,
        clock=fake.clock,
    )


def test_client_credentials_fetch_a_token_refresh_it_and_survive_a_401() -> None:
    server, sink, fake = ShopifyOrdersServer(token="none-yet"), Collector(), FakeTime()
    with server:
        server.add_order([("MUG", 1, "24.00")])

        async def scenario() -> ShopifyOrdersAdapter:
            async with httpx.AsyncClient() as client:
                adapter = adapter_for(server, fake, server.client_secret)
                poller = make_poller(adapter, client, sink, fake)
                assert await poller.poll_once() == 0.0  # the token first, then the orders at once
                await poller.poll_once()
                assert server.issued == ["shpat_issued_1"]
                # Shopify revokes it early: a 401, then a new token, then the orders again.
                server.expire_token()
                server.add_order([("MUG", 2, "24.00")])
                for _ in range(4):
                    fake.now_s += await poller.poll_once()
                assert len(server.issued) == 2
                # A day later the token is due: fetched before it expires, no 401 needed.
                fake.now_s += 86_399
                for _ in range(2):
                    await poller.poll_once()
                assert len(server.issued) == 3
                return adapter

        adapter = asyncio.run(scenario())
    assert [o.id for o in sink.items if isinstance(o, Order)] == [
        str(order["id"]) for order in server.orders
    ]
    posts = [path for path, _, _ in server.requests if path == TOKEN_PATH]
    assert len(posts) == 3
    assert "client credentials (3 tokens fetched)" in adapter.status().note
    assert server.client_secret in adapter.secrets()  # masked by the poller wherever shown


def test_refused_client_credentials_end_the_feed_without_the_secret() -> None:
    server, sink, fake = ShopifyOrdersServer(), Collector(), FakeTime()
    with server:

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(adapter_for(server, fake, "shpss_wrong"), client, sink, fake)
                health = await poller.run(asyncio.Event())
                assert health.state == "ended"
                assert health.last_error == (
                    "Shopify refused the app's client credentials (HTTP 401: invalid_client)"
                )

        asyncio.run(scenario())
    assert [path for path, _, _ in server.requests] == [TOKEN_PATH]  # no retry loop
