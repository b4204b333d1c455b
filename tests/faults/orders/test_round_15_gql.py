"""Hostile round fifteen, Shopify's GraphQL query cost: Shopify refuses, before running it, any
query whose requested cost (its documented rule: an object 1, a scalar 0, a connection 2 plus
``first`` times one item) is above 1000 points, with ``MAX_COST_EXCEEDED`` on HTTP 200. The
test server (tests/feeds/platform_servers.py, graphql_cost.py) counts every query it receives
by that rule and refuses as Shopify does. Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from feed_servers import Reply
from graphql_cost import parse_query
from graphql_cost import requested_cost as counted_by_the_server
from platform_servers import ShopifyGraphQLServer, _json
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.poller import Poller
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.feeds.shopify_graphql_query import (
    ORDER_PAGE,
    ORDER_QUERY,
    ORDERS_PAGE,
    ORDERS_QUERY,
    SHOPIFY_MAX_QUERY_COST,
    requested_cost,
)
from anchordesk.show.feed_items import Order, OrderUpdate, RefundLine, RejectedItem


def _polls(
    server: ShopifyGraphQLServer, polls: int = 12
) -> tuple[Collector, Poller, ShopifyGraphQLOrdersAdapter, list[float]]:
    sink, fake, delays = Collector(), FakeTime(), []
    adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)

    async def run() -> Poller:
        async with httpx.AsyncClient() as client:
            poller = make_poller(adapter, client, sink, fake)
            for _ in range(polls):
                delays.append(await poller.poll_once())
                fake.now_s += delays[-1]
            return poller

    return sink, asyncio.run(run()), adapter, delays


def _orders(sink: Collector) -> dict[str, Order]:
    return {item.id: item for item in sink.items if isinstance(item, Order)}


# -- F1: the query fits Shopify's single-query limit -------------------------------------------


def test_the_default_queries_fit_shopifys_single_query_cost_limit_with_room() -> None:
    """By the documented rule, counted from the page sizes (the adapter) and from the query
    text (the test server, independently): the same figure, well under 1000."""
    assert (
        counted_by_the_server(
            parse_query("{ products(first: 10) { variants(first: 5) { nodes { price } } } }", {})
        )
        == 82
    )  # Shopify's documented example: 2 + 10 * (1 + 2 + 5)
    orders = parse_query(ORDERS_QUERY, {**ORDERS_PAGE.variables(), "query": ""})
    assert counted_by_the_server(orders) == requested_cost(ORDERS_PAGE) == 778
    order = parse_query(ORDER_QUERY, {**ORDER_PAGE.variables(), "id": "gid://shopify/Order/1"})
    assert counted_by_the_server(order) == requested_cost(ORDER_PAGE, one_order=True) == 618
    assert requested_cost(ORDERS_PAGE) <= 0.8 * SHOPIFY_MAX_QUERY_COST
    assert requested_cost(ORDER_PAGE, one_order=True) <= 0.8 * SHOPIFY_MAX_QUERY_COST


def test_a_shop_that_refuses_queries_over_1000_points_has_its_orders_read() -> None:
    """Before: the query asked orders(first: 100) with lineItems(first: 100), refunds(first:
    50) and refundLineItems(first: 100), 1,055,703 points by Shopify's rule: refused on every
    call ("Query cost is 1055703, which exceeds the single query max cost limit (1000)"), the
    feed "retrying" for the whole show, no order counted."""
    server = ShopifyGraphQLServer()
    with server:
        for number in range(30):  # more than one page of 25
            server.add_order([(f"SKU{number}", 1, "5.00")])
        sink, poller, _, _ = _polls(server, 4)
    assert server.refused_costs == []
    assert len(_orders(sink)) == 30 and poller.health.state == "ok"
    assert max(server.costs) <= 800


def test_an_order_of_more_lines_than_a_page_is_counted_with_all_of_them() -> None:
    """An order of 230 lines (the orders query reads 5 of each order): read again alone, its
    lines 100 a page, and counted once, whole; the orders around it as usual; the window's
    cursor moves only once it is read."""
    server = ShopifyGraphQLServer()
    with server:
        server.add_order([("MUG", 1, "24.00")])
        big = server.add_order([(f"LINE{n}", 1, "1.00") for n in range(230)])
        server.add_order([("TEA", 2, "5.50")])
        sink, poller, _, _ = _polls(server, 8)
    orders = _orders(sink)
    assert sorted(orders) == ["5001", "5002", "5003"]
    whole = orders[str(big)]
    assert [line.sku for line in whole.lines] == [f"LINE{n}" for n in range(230)]
    assert sum(line.quantity * line.unit_price for line in whole.lines) == whole.total_price
    assert not [item for item in sink.items if isinstance(item, RejectedItem)]
    lines_after = [
        q["variables"].get("linesAfter") for q in server.queries if "id" in q["variables"]
    ]
    assert lines_after == [None, "line-100", "line-200"]
    assert [c for c in sink.cursors if c][-1] == "2026-11-28T20:03:00Z"
    assert poller.health.state == "ok"


def test_refunds_are_read_whole_and_one_of_too_many_lines_is_kept_as_rejected() -> None:
    """Refunded orders are read again alone, their refunds whole. An order refunded twice, the
    second refund of 12 lines (one call reads 10 of each refund): the sale counted, its
    refunds not counted short (units back in stock missing) but kept as rejected, with why."""
    server = ShopifyGraphQLServer()
    with server:
        number = server.add_order([("MUG", 2, "18.00"), ("TEA", 3, "5.50")])
        plain = server.add_order([("MUG", 1, "18.00")])
        server.refund(plain, "18.00", [("MUG", 1)])
        server.refund(number, "5.50", [("TEA", 1)])
        sink, _, _, _ = _polls(server, 8)
    orders = _orders(sink)
    assert sorted(orders) == [str(number), str(plain)]
    updates = {item.id: item for item in sink.items if isinstance(item, OrderUpdate)}
    assert updates[f"{plain}:refund:900"].lines == (RefundLine("MUG", 1),)
    assert updates[f"{number}:refund:900"].lines == (RefundLine("TEA", 1),)

    server = ShopifyGraphQLServer()
    with server:
        number = server.add_order([(f"S{n}", 1, "1.00") for n in range(12)])
        server.refund(number, "1.00", [("S0", 1)])
        server.refund(number, "12.00", [(f"S{n}", 1) for n in range(12)])
        sink, _, _, _ = _polls(server, 8)
    assert list(_orders(sink)) == [str(number)]
    assert len(_orders(sink)[str(number)].lines) == 12
    [rejected] = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected.kind == "order_update"
    assert "refund 901 has more lines than one call reads" in rejected.detail


# -- F2: a query Shopify still counts too costly is asked again smaller, at once ----------------


@pytest.mark.parametrize("cost_factor", [4.0, 40.0])
def test_a_shop_counting_more_than_the_documented_rule_is_asked_for_smaller_pages_at_once(
    cost_factor: float,
) -> None:
    """Shopify's own count may differ from its documented rule. A shop counting the queries at
    4 (40) times the rule refuses them (MAX_COST_EXCEEDED, its cost and maxCost named). Before:
    refused on every call, the feed "retrying" with backoff for the whole show, no order
    counted. Now: asked again at once with smaller pages, sized by Shopify's own figures; no
    wait, no error; every order counted whole, also one read again alone (230 lines)."""
    server = ShopifyGraphQLServer()
    server.cost_factor = cost_factor
    with server:
        for number in range(30):
            server.add_order([(f"SKU{number}", 1, "5.00")])
        big = server.add_order([(f"LINE{n}", 1, "1.00") for n in range(230)])
        sink, poller, _, delays = _polls(server, 400 if cost_factor > 10 else 60)
    assert server.refused_costs, "the shop never refused a query"
    orders = _orders(sink)
    assert len(orders) == 31 and len(orders[str(big)].lines) == 230
    assert not [item for item in sink.items if isinstance(item, RejectedItem)]
    assert poller.health.errors == 0 and poller.health.state == "ok"
    # Each refusal asked again at once; never twice for the same kind of query in a row.
    refusals = len(server.refused_costs)
    assert refusals <= 6
    assert delays[:refusals].count(0.0) >= 1
    assert all(cost <= server.max_cost for cost in server.costs)


def test_a_query_shopify_refuses_even_at_its_smallest_is_said_in_shopifys_words() -> None:
    """A shop refusing every query whatever its size: the pages come down to their smallest,
    then the refusal is said in the shop's words (a failed call, retried with backoff)."""
    server = ShopifyGraphQLServer()
    server.cost_factor = 1000.0
    with server:
        server.add_order([("MUG", 1, "24.00")])
        sink, poller, _, _ = _polls(server, 12)
    assert _orders(sink) == {}
    assert poller.health.state == "retrying"
    assert "exceeds the single query max cost limit (1000)" in poller.health.last_error


def test_a_query_costing_more_than_the_shops_whole_bucket_is_asked_for_smaller_at_once() -> None:
    """A bucket smaller than the query (maximumAvailable 500 for 778 points requested): THROTTLED
    for ever whatever the wait. Before: the feed waited (requested - available) / rate and
    asked the same again, for the whole show. Now it asks for less at once."""
    server = ShopifyGraphQLServer()
    server.bucket_size = 500.0
    with server:
        for number in range(30):
            server.add_order([(f"SKU{number}", 1, "5.00")])
        sink, poller, _, delays = _polls(server, 10)
    assert len(_orders(sink)) == 30 and poller.health.state == "ok"
    assert delays[0] == 0.0


# -- F3: a page that could not be stored is read again ------------------------------------------


@pytest.mark.parametrize("failed_store", [2, 3])
def test_a_page_that_could_not_be_stored_mid_window_is_read_again(failed_store: int) -> None:
    """A window of pages of 2 orders (and one order of 12 lines read again alone); the store
    cannot keep one page a moment (a full disk, the session file locked by a backup). Before:
    the next page was asked for, the window's end stored the cursor past that page, and its
    paid orders were never counted (5003 and 5004 missing). Now the window is read again from
    the stored cursor: every order counted, once."""
    server = ShopifyGraphQLServer(page_size=2)
    with server:
        for number in range(3):
            server.add_order([(f"S{number}", 1, "5.00")])
        big = server.add_order([(f"LINE{n}", 1, "1.00") for n in range(12)])
        for number in range(3, 6):
            server.add_order([(f"S{number}", 1, "5.00")])
        sink, fake = Collector(), FakeTime()

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
                poller = make_poller(adapter, client, sink, fake)
                for _ in range(failed_store - 1):
                    fake.now_s += await poller.poll_once()
                sink.fail_next = 1
                for _ in range(20):
                    fake.now_s += await poller.poll_once()

        asyncio.run(run())
    orders = [item for item in sink.items if isinstance(item, Order)]
    assert sorted(order.id for order in orders) == [str(n) for n in range(5001, 5008)]
    assert len(next(order for order in orders if order.id == str(big)).lines) == 12


# -- F4: hostile answers to the new calls --------------------------------------------------------


class _ListExtensionsShop(ShopifyGraphQLServer):
    """Shopify's GraphQL Admin API answering an error whose ``extensions`` is a list."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if path.endswith("/graphql.json"):
            return _json({"errors": [{"message": "Internal error 内部", "extensions": ["x"]}]})
        return super().handle(method, path, query, headers, body)


def test_a_graphql_error_whose_extensions_is_a_list_is_said_in_the_shops_words() -> None:
    """Before: AttributeError escaped the answer's reading; the feed said "unexpected error
    (AttributeError)" on every call instead of the shop's words."""
    with _ListExtensionsShop() as server:
        _, poller, _, _ = _polls(server, 2)
    assert poller.health.last_error.endswith("GraphQL errors: Internal error 内部")


class _EndlessLinesShop(ShopifyGraphQLServer):
    """An order whose lines, read again alone, come as empty pages with a new cursor each
    time, for ever (a broken or hostile server)."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body) if reply.body.startswith(b"{") else {}
        order: Any = (answer.get("data") or {}).get("order")
        if not isinstance(order, dict) or order["legacyResourceId"] != "5001":
            return reply
        if json.loads(body)["variables"].get("linesAfter"):
            order["lineItems"]["nodes"] = []
        order["lineItems"]["pageInfo"] = {
            "hasNextPage": True,
            "endCursor": f"line-{100 + len(self.queries)}",
        }
        return _json(answer)


def test_an_order_whose_lines_never_end_is_kept_as_rejected_and_the_orders_after_it_read() -> None:
    """Before the fix it was asked at once for ever (then every 2 s): the feed held on that
    order, no later order read. Now the order is kept as rejected, with why, and the feed
    reads on."""
    with _EndlessLinesShop() as server:
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(8)])
        server.add_order([("MUG", 1, "24.00")])
        sink, poller, _, _ = _polls(server, 8)
    assert list(_orders(sink)) == ["5002"]
    [rejected] = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected.kind == "order" and "no new lines" in rejected.detail
    assert poller.health.state == "ok"


def test_the_windows_last_order_refunded_is_read_again_alone_only_when_it_changes() -> None:
    """The window's cursor is inclusive: its newest order comes again on every poll. Before
    (F1's code): a refunded one was read again alone each time, two calls a poll for as long
    as it stayed the newest. Now only a new version of it (a second refund) is read again."""
    server = ShopifyGraphQLServer()
    with server:
        number = server.add_order([("MUG", 2, "5.00")])
        server.refund(number, "5.00", [("MUG", 1)])
        sink, fake = Collector(), FakeTime()

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
                poller = make_poller(adapter, client, sink, fake)
                for _ in range(10):
                    fake.now_s += await poller.poll_once()
                server.refund(number, "5.00", [("MUG", 1)])
                for _ in range(10):
                    fake.now_s += await poller.poll_once()

        asyncio.run(run())
    alone = [q for q in server.queries if "id" in q["variables"]]
    assert len(alone) == 2 and len(server.queries) == 20
    refunds = {item.id for item in sink.items if isinstance(item, OrderUpdate)}
    assert refunds == {f"{number}:refund:900", f"{number}:refund:901"}


def test_a_page_past_the_size_limit_is_asked_again_with_fewer_orders() -> None:
    """R14feeds left ("too-large Shopify GraphQL pages are not split"): 30 orders of 5 lines
    whose SKUs are 70 kB each (a broken or hostile shop: a page of 25 is 18 MB). Before: the
    same page asked for the rest of the show ("response larger than the 8 MB limit"), no order
    counted. Now the query is asked again with pages half as large, until they fit."""
    server = ShopifyGraphQLServer()
    with server:
        for number in range(30):
            server.add_order([("X" * 70_000 + f"{number}-{k}", 1, "1.00") for k in range(5)])
        sink, poller, _, _ = _polls(server, 12)
    assert len(_orders(sink)) == 30 and poller.health.state == "ok"
    assert [q["variables"]["first"] for q in server.queries][:3] == [25, 12, 5]


def test_an_order_of_thousands_of_lines_is_read_at_once_page_after_page() -> None:
    """An order of 6,000 lines read alone, 100 a page: 60 pages without an item until the last.
    Before (F1's code): after 50 of them the poller took it for no progress and asked every
    2 s (20 s for this order; 6 min in 1-line pages), reading nothing else meanwhile. Pages of
    lines not read before are progress: asked at once."""
    server = ShopifyGraphQLServer()
    with server:
        server.add_order([(f"L{n}", 1, "1.00") for n in range(6000)])
        sink, fake = Collector(), FakeTime()

        async def run() -> float:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
                poller = make_poller(adapter, client, sink, fake)
                started = fake.now_s
                while not _orders(sink) and len(server.queries) < 100:
                    fake.now_s += await poller.poll_once()
                return fake.now_s - started

        seconds = asyncio.run(run())
    assert [len(order.lines) for order in _orders(sink).values()] == [6000]
    assert seconds <= 2.0


def test_a_window_of_orders_read_alone_read_again_after_a_lost_page_is_read_at_once() -> None:
    """70 orders of 7 lines (each read again alone); the store cannot keep the page of the
    62nd poll, so the window is read again (F3) and its first orders, read alone again, bring
    only items already kept. Before: after 50 of them the rest were asked every 2 s (20.5 s to
    catch up). Now an order read whole is progress: 2.5 s."""
    server = ShopifyGraphQLServer()
    with server:
        for number in range(70):
            server.add_order([(f"L{number}-{k}", 1, "1.00") for k in range(7)])
        sink, fake = Collector(), FakeTime()

        async def run() -> float:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
                poller = make_poller(adapter, client, sink, fake)
                for _ in range(62):
                    fake.now_s += await poller.poll_once()
                sink.fail_next = 1
                started = fake.now_s
                while len(_orders(sink)) < 70 and len(server.queries) < 1000:
                    fake.now_s += await poller.poll_once()
                return fake.now_s - started

        seconds = asyncio.run(run())
    assert len(_orders(sink)) == 70
    assert seconds <= 3.0


class _RefusesOneOrderShop(ShopifyGraphQLServer):
    """Shopify (or a proxy before it) answering HTTP 422 to every call for the rest of order
    5001, read in part; the orders query is answered."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if path.endswith("/graphql.json") and b"gid://shopify/Order/5001" in body:
            return Reply(422, b'{"errors": "Unprocessable Entity"}')
        return super().handle(method, path, query, headers, body)


def test_an_order_whose_rest_shopify_refuses_is_kept_as_rejected_and_the_window_goes_on() -> None:
    """Before (F1's code): the call for the rest of the order was asked again with backoff
    for good, the window's cursor held: no later order was ever read. Now after 3 refusals
    the order is kept as rejected, with why; the other orders are read and the cursor moves."""
    with _RefusesOneOrderShop() as server:
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(8)])
        server.add_order([("MUG", 1, "24.00")])
        sink, fake = Collector(), FakeTime()

        async def run() -> Poller:
            async with httpx.AsyncClient() as client:
                adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
                poller = make_poller(adapter, client, sink, fake)
                for _ in range(12):
                    fake.now_s += await poller.poll_once()
                server.add_order([("TEA", 1, "5.50")])
                for _ in range(4):
                    fake.now_s += await poller.poll_once()
                return poller

        poller = asyncio.run(run())
    assert list(_orders(sink)) == ["5002", "5003"]
    [rejected] = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected.kind == "order" and "HTTP 422, 3 times" in rejected.detail
    assert [c for c in sink.cursors if c][-1] == "2026-11-28T20:03:00Z"
    assert poller.health.state == "ok"
