"""The polling core against local servers speaking each platform's JSON, with faults injected.

Time is injected: the poller's waits are recorded by a fake sleep that advances a fake clock, so
every test runs as fast as the loopback requests and checks the exact waits chosen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal

import httpx
import pytest
from feed_servers import Fault, JsonFeedServer, ShopifyOrdersServer, YouTubeChatServer

from anchordesk.feeds.adapters import JsonFeedAdapter, ShopifyOrdersAdapter, YouTubeChatAdapter
from anchordesk.feeds.poller import BackoffPolicy, FeedAdapter, Poller, parse_retry_after
from anchordesk.show.feed_items import (
    Comment,
    FeedItem,
    Order,
    OrderUpdate,
    RefundLine,
    RejectedItem,
)


class FakeTime:
    def __init__(self) -> None:
        self.now_s = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now_s

    async def sleep(self, delay_s: float) -> None:
        self.waits.append(delay_s)
        self.now_s += delay_s
        await asyncio.sleep(0)


class Collector:
    """A sink that keeps what it got, like the store does (cursor with the items)."""

    def __init__(self) -> None:
        self.items: list[FeedItem] = []
        self.cursors: list[str | None] = []
        self.fail_next = 0

    async def __call__(self, source: str, items: Sequence[FeedItem], cursor: str | None) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("disk full")
        self.items.extend(items)
        self.cursors.append(cursor)

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]


def make_poller(
    adapter: FeedAdapter, client: httpx.AsyncClient, sink: Collector, fake: FakeTime, **kw: object
) -> Poller:
    return Poller(
        adapter,
        client,
        sink,
        clock=fake.clock,
        sleep=fake.sleep,
        unit_random=lambda: 0.0,
        backoff=BackoffPolicy(first_delay_s=1.0, max_delay_s=30.0),
        **kw,  # type: ignore[arg-type]
    )


async def polls(poller: Poller, count: int) -> list[float]:
    return [await poller.poll_once() for _ in range(count)]


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


# -- YouTube -----------------------------------------------------------------------------------


def test_youtube_follows_page_tokens_and_waits_as_long_as_the_server_asks() -> None:
    server = YouTubeChatServer(page_size=2, interval_ms=2500)
    with server:
        for n in range(5):
            server.add_text(f"viewer{n}", f"hello {n}")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                # A budget whose floor (2 s) is below the server's 2.5 s: the server's wins.
                adapter = YouTubeChatAdapter(server.feed_url, server.api_key, units_per_hour=9000)
                poller = make_poller(adapter, client, sink, fake)
                delays = await polls(poller, 4)
                assert delays == [2.5, 2.5, 2.5, 2.5]
                assert poller.health.state == "ok"
                assert poller.health.last_latency_ms is not None

        run(scenario())
    assert sink.ids == [f"LCC.{n:06d}" for n in range(1, 6)]
    tokens = [query.get("pageToken") for _, query, _ in server.requests]
    assert tokens == [None, "tok2", "tok4", "tok5"]
    # The API key travels in a header, never in the URL (URLs end up in logs).
    assert all("key" not in query for _, query, _ in server.requests)
    assert all(h["x-goog-api-key"] == server.api_key for _, _, h in server.requests)
    first = sink.items[0]
    assert isinstance(first, Comment) and first.author == "viewer0" and first.text == "hello 0"


def test_youtube_super_chat_amount_is_exact_and_offline_ends_the_feed() -> None:
    server = YouTubeChatServer(page_size=10)
    with server:
        server.add_text("a", "hi", moderator=True)
        server.add_super_chat("b", "take my money", 19_990_000, "USD")
        server.offline = True
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(
                    YouTubeChatAdapter(server.feed_url, "ya29.oauth-token"), client, sink, fake
                )
                health = await poller.run(asyncio.Event())
                assert health.state == "ended"

        run(scenario())
    assert server.requests[0][2]["authorization"] == "Bearer ya29.oauth-token"
    moderator, paid = sink.items
    assert isinstance(moderator, Comment) and moderator.is_moderator
    assert isinstance(paid, Comment)
    assert paid.paid_amount == Decimal("19.99") and paid.paid_currency == "USD"


def test_a_deleted_live_chat_ends_the_feed_instead_of_retrying_forever() -> None:
    server = YouTubeChatServer()
    with server:
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                url = server.url + "?liveChatId=gone"
                poller = make_poller(YouTubeChatAdapter(url, server.api_key), client, sink, fake)
                health = await poller.run(asyncio.Event())
                assert health.state == "ended"
                assert "liveChatNotFound" in health.last_error

        run(scenario())


# -- faults ------------------------------------------------------------------------------------


def test_429_with_retry_after_is_honoured_exactly_and_nothing_is_lost() -> None:
    server = JsonFeedServer(poll_ms=1000)
    with server:
        for n in range(3):
            server.add_comment("a", f"c{n}")
        server.inject(Fault("status", 429, {"Retry-After": "7"}))
        server.inject(Fault("status", 503, {"Retry-After": "3"}))
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                assert await polls(poller, 3) == [7.0, 3.0, 1.0]
                assert poller.health.errors == 2 and poller.health.consecutive_errors == 0

        run(scenario())
    assert sink.ids == ["c1", "c2", "c3"]


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == pytest.approx(10)
    assert parse_retry_after("soon", 0.0) is None
    assert parse_retry_after(None, 0.0) is None


def test_server_errors_back_off_exponentially_with_jitter_then_recover() -> None:
    server = JsonFeedServer(poll_ms=500)
    with server:
        server.add_comment("a", "after the storm")
        server.inject(*[Fault("status", 500) for _ in range(7)])
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                delays = await polls(poller, 8)
                # unit_random = 0: half of 1, 2, 4, 8, 16, 30 (capped), 30; then the server's 0.5
                assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 0.5]
                assert poller.health.errors == 7

        run(scenario())
    assert sink.ids == ["c1"]


def test_jitter_spreads_the_wait_between_half_and_all_of_the_step() -> None:
    policy = BackoffPolicy(first_delay_s=2.0, max_delay_s=60.0)
    assert policy.delay_s(3, 0.0) == 4.0
    assert policy.delay_s(3, 0.999) == pytest.approx(7.996)
    assert policy.delay_s(50, 0.5) == 45.0


def test_a_response_slower_than_the_timeout_is_an_error_and_the_next_poll_gets_the_items() -> None:
    server = JsonFeedServer(poll_ms=1000)
    with server:
        server.add_order("SERUM-30", 2, "129.00")
        server.inject(Fault("slow", delay_s=1.0))
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(
                    JsonFeedAdapter(server.url, None), client, sink, fake, timeout_s=0.2
                )
                first, second = await polls(poller, 2)
                assert first == 0.5 and "within 0.2 s" in poller.health.last_error
                assert second == 1.0

        run(scenario())
    assert sink.ids == ["o1"]


def test_malformed_json_is_counted_and_skipped_without_losing_the_page() -> None:
    server = JsonFeedServer(poll_ms=1000)
    with server:
        server.add_comment("a", "one")
        server.inject(Fault("malformed"))
        # An item that cannot be read (no id) is skipped and counted; its neighbours are kept.
        with server.lock:
            server.items.append({"type": "comment", "text": "no id"})
            server.items.append({"type": "order", "id": "o9", "lines": [{"sku": "X"}]})
        server.add_comment("b", "two")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                await polls(poller, 2)
                health = poller.health
                assert health.malformed_responses == 1
                assert health.malformed_items == 2
                assert health.state == "ok"

        run(scenario())
    # The unreadable ones go to the store as rejected (with why), between their neighbours.
    assert sink.ids[0] == "c1" and sink.ids[3] == "c4"
    assert [type(item).__name__ for item in sink.items[1:3]] == ["RejectedItem"] * 2


def test_the_same_item_on_two_pages_is_delivered_once() -> None:
    server = JsonFeedServer(poll_ms=1000, page_size=2)
    with server:
        for n in range(4):
            server.add_comment("a", f"c{n}")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                await poller.poll_once()
                server.inject(Fault("overlap"))
                await polls(poller, 3)
                assert poller.health.duplicates == 1

        run(scenario())
    assert sink.ids == ["c1", "c2", "c3", "c4"]


def test_an_order_sent_again_in_other_spellings_is_one_order_and_an_edit_goes_on() -> None:
    """The poller's dedupe and the store's "same order" are one rule (feed_rules.order_terms):
    "48.0" is "48.00" and the lines may come in another order; an edit (another total) is
    passed on for the store to keep as rejected beside the counted copy."""
    lines = [
        {"sku": "MUG-350", "quantity": 1, "price": "24.00"},
        {"sku": "TEE-L", "quantity": 2, "price": "12.00"},
    ]
    first = {"type": "order", "id": "o1", "currency": "USD", "total": "48.00", "lines": lines}
    spelled = dict(first, total="48.0", lines=[dict(lines[1], price="12"), lines[0]])
    edited = dict(first, total="50.00")
    server = JsonFeedServer(poll_ms=1000)
    with server:
        for item in (first, spelled, edited):
            server.add_raw(item)
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                await poller.poll_once()
                assert poller.health.duplicates == 1

        run(scenario())
    totals = [item.total_price for item in sink.items if isinstance(item, Order)]
    assert totals == [Decimal("48.00"), Decimal("50.00")]


def test_a_failed_store_write_keeps_the_cursor_so_the_page_is_asked_again() -> None:
    server = JsonFeedServer(poll_ms=1000)
    with server:
        server.add_comment("a", "must not be lost")
        sink, fake = Collector(), FakeTime()
        sink.fail_next = 1

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                await polls(poller, 2)
                assert poller.cursor == "1"

        run(scenario())
    assert sink.ids == ["c1"]
    assert [query.get("after") for _, query, _ in server.requests] == [None, None]


def test_network_loss_and_a_server_restart_mid_show_lose_nothing() -> None:
    server = JsonFeedServer(poll_ms=1000)
    server.start()
    try:
        server.add_comment("a", "before")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                await poller.poll_once()
                server.stop()  # the server goes away: connection refused
                server.add_comment("a", "during the outage")
                down = await polls(poller, 2)
                assert down == [0.5, 1.0]
                assert "network error" in poller.health.last_error
                server.start()  # same port, same data
                server.add_comment("a", "after")
                await poller.poll_once()
                assert poller.health.state == "ok"

        run(scenario())
    finally:
        server.stop()
    assert sink.ids == ["c1", "c2", "c3"]


# -- Shopify -----------------------------------------------------------------------------------


def test_shopify_pages_by_since_id_asks_again_at_once_for_a_full_page_and_reads_money_exactly():
    server = ShopifyOrdersServer()
    with server:
        for n in range(260):
            server.add_order([("SERUM-30", 1 + n % 2, "19.99"), ("MASK-5", 1, "0.10")])
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyOrdersAdapter(server.url, server.token)
                poller = make_poller(adapter, client, sink, fake)
                delays = await polls(poller, 3)
                assert delays == [0.0, 2.0, 2.0]

        run(scenario())
    assert len(sink.items) == 260
    since = [query["since_id"] for _, query, _ in server.requests if "since_id" in query]
    assert since[0] == "0" and since[1] == str(server.orders[249]["id"])
    assert all(
        query["limit"] == "250" and query["status"] == "any" for _, query, _ in server.requests
    )
    first = sink.items[0]
    assert isinstance(first, Order)
    assert first.total_price == Decimal("20.09")
    assert sum((o.total_price for o in sink.items if isinstance(o, Order)), Decimal(0)) == sum(
        (Decimal(o["total_price"]) for o in server.orders), Decimal(0)
    )


def test_shopify_429_retry_after_and_a_filling_call_bucket_slow_the_poller() -> None:
    server = ShopifyOrdersServer()
    with server:
        server.add_order([("SERUM-30", 1, "199.00")])
        server.inject(Fault("status", 429, {"Retry-After": "2.0"}))
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(
                    ShopifyOrdersAdapter(server.url, server.token), client, sink, fake
                )
                assert await poller.poll_once() == 2.0
                server.call_limit_used = 36  # 36/40: keep the bucket half empty for others
                assert await poller.poll_once() == 8.0

        run(scenario())
    assert len(sink.items) == 1


def test_shopify_order_without_sku_is_kept_for_the_ledger_to_report() -> None:
    server = ShopifyOrdersServer()
    with server:
        server.add_order([(None, 1, "5.00")])
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(
                    ShopifyOrdersAdapter(server.url, server.token), client, sink, fake
                )
                await poller.poll_once()

        run(scenario())
    (order,) = sink.items
    assert isinstance(order, Order) and order.lines[0].sku == ""


def test_shopify_cancellations_and_refunds_of_orders_already_seen_arrive_once() -> None:
    server = ShopifyOrdersServer()
    with server:
        first = server.add_order([("SERUM-30", 2, "19.99")])
        second = server.add_order([("SERUM-30", 1, "19.99"), ("MASK-5", 3, "0.10")])
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(
                    ShopifyOrdersAdapter(server.url, server.token), client, sink, fake
                )
                await polls(poller, 2)  # the new orders, then the (not yet) updated ones
                assert sink.ids == [str(first), str(second)]
                server.cancel(first)
                refund_id = server.refund(second, "0.20", [(1, 2)])
                # since_id never sees an order again; the updated-orders call does, every time
                # the order changes and again at the inclusive edge of updated_at_min.
                await polls(poller, 6)
                assert sink.ids[2:] == [f"{first}:cancelled", f"{second}:refund:{refund_id}"]

        run(scenario())
    cancel, refund = sink.items[2:]
    assert isinstance(cancel, OrderUpdate) and cancel.status == "cancelled"
    assert cancel.refund is None and cancel.currency == "USD"
    assert isinstance(refund, OrderUpdate) and refund.refund == Decimal("0.20")
    assert refund.lines == (RefundLine("MASK-5", 2),)
    updated_calls = [query for _, query, _ in server.requests if "updated_at_min" in query]
    assert len(updated_calls) == 4 and all(q["status"] == "any" for q in updated_calls)


def test_shopify_an_order_cancelled_before_it_was_first_seen_brings_its_cancellation() -> None:
    server = ShopifyOrdersServer()
    with server:
        order_id = server.add_order([("SERUM-30", 1, "19.99")])
        server.cancel(order_id)
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(
                    ShopifyOrdersAdapter(server.url, server.token), client, sink, fake
                )
                await polls(poller, 2)

        run(scenario())
    assert sink.ids == [str(order_id), f"{order_id}:cancelled"]


def test_shopify_updated_orders_follow_link_pages_and_move_the_cursor_after_the_last() -> None:
    server = ShopifyOrdersServer()
    with server:
        orders = [server.add_order([("SERUM-30", 1, "19.99")]) for _ in range(260)]
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(
                    ShopifyOrdersAdapter(server.url, server.token), client, sink, fake
                )
                await polls(poller, 3)  # 250 + 10 new orders, then updated ones (none changed)
                for order_id in orders:
                    server.cancel(order_id)
                before = list(sink.cursors)
                assert await poller.poll_once() == 2.0  # new orders: none
                assert await poller.poll_once() == 0.0, "a full page of updates: ask at once"
                assert sink.cursors[-1] is None, "the cursor waits for the window's last page"
                await poller.poll_once()
                assert sink.cursors[-1] != before[-1]

        run(scenario())
    cancels = [item for item in sink.items if isinstance(item, OrderUpdate)]
    assert len(cancels) == 260 == len({item.id for item in cancels})
    (paged,) = [query for _, query, _ in server.requests if "page_info" in query]
    assert set(paged) == {"limit", "page_info"}


def test_a_malformed_order_update_is_kept_as_rejected_and_its_neighbours_are_kept() -> None:
    server = JsonFeedServer()
    with server:
        server.add_order("SERUM-30", 1, "129.00")
        server.add_raw({"type": "order_update", "id": "o1", "status": "lost"})
        server.add_raw(
            {"type": "order_update", "id": "o1", "status": "refunded", "refund": "1e309"}
        )
        server.add_raw({"type": "order_update", "id": "o1", "status": "refunded", "refund": "-5"})
        server.add_update("o1", "refunded", "12.50")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                await poller.poll_once()
                assert poller.health.malformed_items == 3

        run(scenario())
    kept = [item.id for item in sink.items if not isinstance(item, RejectedItem)]
    assert kept == ["o1", "o1:refund=12.5"]
    rejected = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert [(r.kind, r.item_id) for r in rejected] == [("order_update", "o1")] * 3
    assert len({r.id for r in rejected}) == 3, "three different bad updates, three kept"


class _QuotingAdapter(JsonFeedAdapter):
    """A server whose error text quotes a URL with a token in its query (as some do)."""

    def parse(self, response: httpx.Response, cursor: str | None):  # type: ignore[no-untyped-def]
        from anchordesk.feeds.poller import MalformedResponse

        raise MalformedResponse("see https://cdn.example.com/page?jwt=eyJhbGciOiJIUzI1NiJ9.sig")


def test_a_feed_status_never_shows_a_token_quoted_by_the_server() -> None:
    server = JsonFeedServer(poll_ms=1000)
    server.start()
    try:
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(_QuotingAdapter(server.url, None), client, sink, fake)
                await poller.poll_once()
                shown = poller.health.last_error
                assert "cdn.example.com/page" in shown  # still says where
                assert "eyJhbGciOiJIUzI1NiJ9" not in shown

        asyncio.run(scenario())
    finally:
        server.stop()
