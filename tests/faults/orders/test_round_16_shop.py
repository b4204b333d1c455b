"""Hostile round sixteen, the Shopify GraphQL orders feed (hunt16shop): the orders read again
alone (``order(id:)``), the shop's errors and throttle figures, the feed's status words. The
test server (tests/feeds/platform_servers.py) counts and refuses queries as Shopify documents.
Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json

import httpx
from feed_servers import Reply
from platform_servers import ShopifyGraphQLServer, _json
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.poller import Poller
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.show.feed_items import Order, RejectedItem


class _OneOrderAnswers(ShopifyGraphQLServer):
    """Answers the calls for one order read alone (``order(id:)``) from ``answers`` in turn
    (a body, or None for the usual answer), the orders query as usual."""

    def __init__(self, answers: list[dict[str, object] | None]) -> None:
        super().__init__()
        self.answers = answers
        self.one_order_calls = 0

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and path.endswith("/graphql.json") and b'"id"' in body:
            variables = json.loads(body).get("variables") or {}
            if "id" in variables:
                self.one_order_calls += 1
                if self.answers:
                    answer = self.answers.pop(0)
                    if answer is not None:
                        return _json(answer)
        return super().handle(method, path, query, headers, body)


def _polls(
    server: ShopifyGraphQLServer, polls: int
) -> tuple[Collector, Poller, ShopifyGraphQLOrdersAdapter, list[str]]:
    """Polls with a fake clock; also what the feed's status said after each poll, with the
    wait chosen ("ok 0: …")."""
    sink, fake, said = Collector(), FakeTime(), []
    adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)

    async def run() -> Poller:
        async with httpx.AsyncClient() as client:
            poller = make_poller(adapter, client, sink, fake)
            for _ in range(polls):
                delay_s = await poller.poll_once()
                fake.now_s += delay_s
                said.append(f"{poller.health.state} {delay_s:g}: {adapter.status().note}")
            return poller

    return sink, asyncio.run(run()), adapter, said


def _orders(sink: Collector) -> dict[str, Order]:
    return {item.id: item for item in sink.items if isinstance(item, Order)}


def _rejected(sink: Collector) -> list[RejectedItem]:
    return [item for item in sink.items if isinstance(item, RejectedItem)]


_INTERNAL_ERROR = {
    "errors": [
        {
            "message": "Internal error. Looks like something went wrong on our end.\n"
            "Request ID: 1b355a21-7117-44c5-8d8b-8948082f40a8 (include this in support requests).",
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
}


# -- F1: one transient GraphQL error to an order read alone ------------------------------------


def test_an_order_read_alone_through_one_internal_error_is_counted_whole() -> None:
    """Shopify answers a passing fault as GraphQL ``errors`` on HTTP 200 (INTERNAL_SERVER_ERROR).
    Before: the first such answer to the call for the rest of an order of 7 lines made it
    rejected at once; the window's cursor moved past it: a paid order never counted. Now it is
    asked again (the 3-refusals rule of an HTTP 4xx), said in Shopify's words meanwhile."""
    with _OneOrderAnswers([_INTERNAL_ERROR, None, _INTERNAL_ERROR]) as server:
        server.add_order([("MUG", 1, "24.00")])
        seven = server.add_order([(f"LINE{n}", 1, "1.00") for n in range(7)])
        server.add_order([("TEA", 2, "5.50")])
        big = server.add_order([(f"BIG{n}", 1, "1.00") for n in range(150)])  # 2 line pages
        sink, poller, _, _ = _polls(server, 12)
    orders = _orders(sink)
    assert sorted(orders) == ["5001", "5002", "5003", "5004"]
    assert len(orders[str(seven)].lines) == 7 and len(orders[str(big)].lines) == 150
    assert _rejected(sink) == []
    assert poller.health.state == "ok" and poller.health.errors == 2
    assert [c for c in sink.cursors if c][-1] == "2026-11-28T20:04:00Z"


def test_an_order_whose_rest_shopify_refuses_three_times_in_graphql_is_kept_as_rejected() -> None:
    """Refused for good (three GraphQL error answers in a row): kept as rejected, in the shop's
    words; the orders after it read and the cursor moved."""
    with _OneOrderAnswers([_INTERNAL_ERROR] * 3) as server:
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(7)])
        server.add_order([("MUG", 1, "24.00")])
        sink, poller, _, _ = _polls(server, 8)
    assert list(_orders(sink)) == ["5002"]
    [rejected] = _rejected(sink)
    assert rejected.kind == "order" and "Internal error. Looks like" in rejected.detail
    assert [c for c in sink.cursors if c][-1] == "2026-11-28T20:02:00Z"
    assert poller.health.state == "ok"


# -- F2: the lines' pageInfo of an order read alone not an object -------------------------------


def test_an_order_read_alone_whose_lines_page_info_is_not_an_object_is_kept_as_rejected() -> None:
    """Before: ``"pageInfo": "x"`` (or ``[1]``) in the answer for an order read alone raised
    AttributeError out of the answer: "unexpected error (AttributeError)", asked again for
    good, the window's cursor held: no later order ever read. Now the order is kept as
    rejected, with why (whether lines follow is unknown), and the window goes on."""
    broken = {
        "data": {
            "order": {
                "id": "gid://shopify/Order/5001",
                "legacyResourceId": "5001",
                "updatedAt": "2026-11-28T20:01:00Z",
                "lineItems": {"pageInfo": [1], "nodes": []},
            }
        }
    }
    with _OneOrderAnswers([broken] * 20) as server:
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(7)])
        server.add_order([("MUG", 1, "24.00")])
        sink, poller, _, said = _polls(server, 6)
    assert list(_orders(sink)) == ["5002"]
    [rejected] = _rejected(sink)
    assert rejected.kind == "order" and "pageInfo" in rejected.detail
    assert server.one_order_calls == 1
    assert [c for c in sink.cursors if c][-1] == "2026-11-28T20:02:00Z"
    assert poller.health.errors == 0 and said[-1].startswith("ok")


# -- F3: THROTTLED with a restoreRate of 0 -----------------------------------------------------


def _throttled(rate: object) -> dict[str, object]:
    status = {"maximumAvailable": 2000, "currentlyAvailable": 10, "restoreRate": rate}
    return {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {"cost": {"requestedQueryCost": 568, "throttleStatus": status}},
    }


def test_a_throttle_with_no_refill_rate_is_waited_and_said_as_a_throttle() -> None:
    """Before: THROTTLED with ``restoreRate`` 0 (or negative) raised TypeError out of the
    answer (the wait, None, formatted as "{:.1f}"): the feed's status read "unexpected error
    (TypeError)", a failed call with backoff, not Shopify's throttle. Now it waits (twice the
    interval, as for unreadable figures), says "throttled by Shopify", then reads on."""
    with _OneOrderAnswers([_throttled(0), _throttled(-5)]) as server:
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(7)])
        sink, poller, _, said = _polls(server, 5)
    assert list(_orders(sink)) == ["5001"] and len(_orders(sink)["5001"].lines) == 7
    assert poller.health.errors == 0
    assert said[1] == "ok 4: GraphQL Admin API 2026-07; throttled by Shopify: waiting 4.0 s"
    assert said[2].startswith("ok 4: ")


# -- F4: the throttle said after it was waited --------------------------------------------------


class _ThrottlesTheSecondPage(ShopifyGraphQLServer):
    def __init__(self) -> None:
        super().__init__(page_size=2)
        self.orders_calls = 0

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and b"AnchorDeskOrders" in body:
            self.orders_calls += 1
            if self.orders_calls == 2:
                self.throttle_next = 1
        return super().handle(method, path, query, headers, body)


def test_the_feed_says_it_is_throttled_only_while_it_waits() -> None:
    """Before: one THROTTLED answer in a window of several pages left the feed's status saying
    "throttled by Shopify: waiting 7.7 s" while the rest of the window was read at once (a
    10,000-order burst is hundreds of pages: minutes of a wait that was not). Now the words go
    with the wait."""
    with _ThrottlesTheSecondPage() as server:
        for number in range(8):
            server.add_order([(f"SKU{number}", 1, "5.00")])
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(7)])
        sink, _, _, said = _polls(server, 8)
    assert len(_orders(sink)) == 9
    assert said[1] == "ok 7.68: GraphQL Admin API 2026-07; throttled by Shopify: waiting 7.7 s"
    assert said[2:6] == ["ok 0: GraphQL Admin API 2026-07"] * 4


# -- F5: an order that changes between two pages of its lines ----------------------------------


class _EditsTheOrderBetweenItsLinePages(ShopifyGraphQLServer):
    """Before the ``edits``-th call for one order read alone (its second line page), 10 of the
    order's lines go (an order edit), its ``updatedAt`` moves on."""

    def __init__(self, edits: tuple[int, ...]) -> None:
        super().__init__()
        self.edits = edits
        self.one_order_calls = 0

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and b"AnchorDeskOrder(" in body:
            self.one_order_calls += 1
            if self.one_order_calls in self.edits:
                order = self.orders[1]
                del order.lines[:10]
                order.updated = self._tick()
        return super().handle(method, path, query, headers, body)


def test_an_order_edited_between_two_pages_of_its_lines_is_counted_as_one_version() -> None:
    """Before: an order of 150 lines edited between its two line pages was counted stitched:
    the first version's total (150.00) with lines 0–99 of the first and 110–149 of the next
    (10 lines' units missing from product sales; the edited copy then kept as rejected beside
    it). Now it is read again from its first line and counted as the version it became."""
    with _EditsTheOrderBetweenItsLinePages((2,)) as server:
        server.add_order([("MUG", 1, "24.00")])
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(150)])
        sink, poller, _, _ = _polls(server, 10)
    copies = [item for item in sink.items if isinstance(item, Order) and item.id == "5002"]
    assert {len(copy.lines) for copy in copies} == {140}
    for copy in copies:
        assert [line.sku for line in copy.lines] == [f"LINE{n}" for n in range(10, 150)]
        assert copy.total_price == sum(line.unit_price for line in copy.lines) == 140
    assert _rejected(sink) == [] and poller.health.errors == 0


def test_an_order_changing_on_every_page_of_its_lines_is_kept_as_rejected() -> None:
    """A server moving the order between each two pages of its lines: kept as rejected after 3
    changes, with why; the window goes on."""
    with _EditsTheOrderBetweenItsLinePages((2, 4, 6)) as server:
        server.add_order([("MUG", 1, "24.00")])
        server.add_order([(f"LINE{n}", 1, "1.00") for n in range(150)])
        server.add_order([("TEA", 1, "5.50")])
        sink, poller, _, _ = _polls(server, 12)
    orders = _orders(sink)
    assert {"5001", "5003"} <= set(orders)
    # Once it holds still (a later window, its newer version), it is read and counted whole.
    assert orders["5002"].total_price == sum(line.unit_price for line in orders["5002"].lines)
    [rejected] = _rejected(sink)
    assert rejected.kind == "order" and "changed while its lines were read" in rejected.detail
    assert poller.health.state == "ok"
