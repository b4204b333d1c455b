"""Round fifteen of issue 10, the lead's own: leftovers of round fourteen."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from datetime import datetime

import httpx
import pytest
from feed_servers import JsonFeedServer, Reply, ShopifyOrdersServer, YouTubeChatServer
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.hub import _new_http_client
from anchordesk.feeds.poller import Poller, on_loopback
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.youtube import YouTubeChatAdapter
from anchordesk.show.feed_items import Comment, FeedItem, OrderUpdate, RejectedItem

from ..feeds.test_round_13_pages import _polled, _skus


class _Kept:
    async def __call__(self, source: str, items: list[FeedItem], cursor: str | None) -> list:
        return list(items)


@pytest.mark.parametrize("host", ["127.0.0.2", "127.1.2.3"])
def test_a_feed_on_any_loopback_address_is_not_asked_through_a_proxy(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R14feeds: HTTP_PROXY set, as offices do, and a mock server on 127.0.0.2 (a second
    local server beside the first): only 127.0.0.1, localhost and ::1 were kept off the proxy,
    which cannot reach this machine's loopback ("network error" on every poll)."""
    with socket.create_server(("127.0.0.1", 0)) as gone:
        proxy = f"http://127.0.0.1:{gone.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("ALL_PROXY", proxy)
    server = JsonFeedServer(poll_ms=100)
    server.host = host
    server.add_comment("mei", "does it come in blue?")

    async def poll_through_the_hubs_client() -> Poller:
        async with _new_http_client(2.0, httpx.Limits(), [server.url]) as client:
            poller = Poller(JsonFeedAdapter(server.url, None), client, _Kept(), timeout_s=2.0)
            await poller.poll_once()
            return poller

    with server:
        poller = asyncio.run(poll_through_the_hubs_client())
    assert (poller.health.items, poller.health.last_error) == (1, "")


def test_this_machine_s_names_are_all_loopback() -> None:
    """The names a user writes for this machine, and names that only look like it."""
    mine = [
        "http://localhost./f",
        "http://LOCALHOST/f",
        "http://shop.localhost:8/f",
        "http://127.0.0.2/f",
        "http://[::1]:9/f",
        "ws://127.255.255.254/",
    ]
    others = [
        "http://localhost.example.com/f",
        "http://128.0.0.1/f",
        "http://[::2]/f",
        "http://mylocalhost/f",
        "http://[::ffff:8.8.8.8]/f",
    ]
    assert [on_loopback(url) for url in mine] == [True] * len(mine)
    assert [on_loopback(url) for url in others] == [False] * len(others)


class _OneHugeOrderShop(ShopifyOrdersServer):
    """Shopify REST with one order past the 8 MB cap alone (thousands of lines, or an app's
    note attributes): any page holding it in full is refused at the cap."""

    huge_id = 0

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        if not query.get("fields") and f'"id": {self.huge_id},'.encode() in reply.body:
            return Reply(
                200,
                gzip.compress(b" " * 9_000_000),
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
        return reply


def test_a_shopify_order_too_large_alone_is_kept_as_rejected_and_the_next_ones_are_read() -> None:
    """R14feeds: the page past the cap was asked again half as long down to one order, and
    that one order, past the cap alone, was asked for ever: no order placed after it was read
    for the rest of the show, and the window of updated orders holding it never ended (no
    cancellation counted). Now its id alone is asked, it is kept as rejected with why (the
    report lists it, never sums it), and the orders and changes after it are read."""
    with _OneHugeOrderShop() as server:
        for number in range(5):
            server.add_order([(f"S{number}", 1, "5.00")])
        server.huge_id = server.orders[2]["id"]
        adapter = ShopifyOrdersAdapter(server.url, server.token)
        later: list[int] = []
        sink, poller, _ = _polled(
            adapter,
            [
                (12, lambda: None),
                (12, lambda: later.append(server.add_order([("S5", 1, "5.00")]))),
                (12, lambda: server.cancel(server.orders[4]["id"])),
            ],
        )
    assert sorted(_skus(sink)) == ["S0", "S1", "S3", "S4", "S5"]
    cancelled = {item.order_id for item in sink.items if isinstance(item, OrderUpdate)}
    assert cancelled == {str(server.orders[4]["id"])}
    rejected = {
        (item.kind, item.item_id, item.reason, item.detail)
        for item in sink.items
        if isinstance(item, RejectedItem)
    }
    too_large = "the order alone is larger than the 8 MB a feed's answer may have: not read"
    assert rejected == {
        ("order", str(server.huge_id), "unreadable", too_large),
        ("order_update", str(server.huge_id), "unreadable", too_large),
    }
    assert poller.health.state == "ok", poller.health


def test_an_untrusted_certificate_s_reason_ends_its_brackets_without_a_full_stop() -> None:
    """R15net (B): "the server's TLS certificate is not trusted (IP address mismatch,
    certificate is not valid for '127.0.0.1'.)": OpenSSL's reason kept its own full stop
    inside the brackets the message puts it in."""
    from anchordesk.media.tls_relay import certificate_not_trusted

    said = str(
        certificate_not_trusted("IP address mismatch, certificate is not valid for '127.0.0.1'.")
    )
    assert "(IP address mismatch, certificate is not valid for '127.0.0.1'): " in said


class _TwoAPageShop(ShopifyOrdersServer):
    """Shopify REST whose windows of updated orders come two orders a page."""

    def _updated_page(
        self,
        updated_min: datetime,
        offset: int,
        limit: int,
        headers: dict[str, str],
        query: dict[str, str] | None = None,
    ) -> Reply:
        return super()._updated_page(updated_min, offset, 2, headers, query)


@pytest.mark.parametrize("failing_poll", [1, 2, 3])
def test_a_rest_page_of_cancellations_the_store_could_not_keep_is_read_again(
    failing_poll: int,
) -> None:
    """R15gql left: the session store failed one page of a window of updated orders (a full
    disk a moment, the file locked): the window's next page was asked instead, the cursor
    stored at the window's end passed that page, and 2 of 10 cancellations were never
    counted (the GMV too high by their amount). Now the window is read again."""
    with _TwoAPageShop() as server:
        ids = [server.add_order([(f"S{number}", 1, "5.00")]) for number in range(10)]
        sink, fake = Collector(), FakeTime()

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyOrdersAdapter(server.url, server.token)
                poller = make_poller(adapter, client, sink, fake)
                for _ in range(6):
                    fake.now_s += await poller.poll_once()
                for order_id in ids:
                    server.cancel(order_id)
                for poll in range(40):
                    if poll == failing_poll:
                        sink.fail_next = 1
                    fake.now_s += await poller.poll_once()

        asyncio.run(run())
    cancelled = {item.order_id for item in sink.items if isinstance(item, OrderUpdate)}
    assert cancelled == {str(order_id) for order_id in ids}


class _OfflineSaysFalse(YouTubeChatServer):
    """YouTube's chat answering with an ``offlineAt`` that is no time ("false", 0, {})."""

    offline_at: object = "false"

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        body = json.loads(reply.body)
        body["offlineAt"] = self.offline_at
        return Reply(reply.status, json.dumps(body).encode(), reply.headers)


@pytest.mark.parametrize("offline_at", ["false", 0, {}, "", "soon"])
def test_a_youtube_offline_at_that_is_no_time_does_not_end_the_chat(offline_at: object) -> None:
    """R16in left: ``offlineAt`` is present only once the stream went offline, as a
    date-time; it was read by truthiness, so a "false" (a mock, a proxy rewriting the
    answer) ended the chat for the rest of the show."""
    server = _OfflineSaysFalse(interval_ms=1000)
    server.offline_at = offline_at
    with server:
        server.add_text("amy", "hi")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> str:
            async with httpx.AsyncClient() as client:
                adapter = YouTubeChatAdapter(server.feed_url, server.api_key)
                poller = make_poller(adapter, client, sink, fake)
                for _ in range(3):
                    fake.now_s += await poller.poll_once()
                server.add_text("bo", "still here?")
                for _ in range(3):
                    fake.now_s += await poller.poll_once()
                return poller.health.state

        state = asyncio.run(scenario())
    assert state != "ended"
    assert [item.text for item in sink.items if isinstance(item, Comment)] == [
        "hi",
        "still here?",
    ]
