"""Hostile round eighteen, the Shopify GraphQL orders feed (hunt18shop): round seventeen's new
code (an order past the size cap passed over by its id, orders read again several at a call,
the cursor stored within a window) attacked with the shop's hostile answers. The test server
(tests/feeds/platform_servers.py) counts and refuses queries as Shopify documents. Each test
failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
from feed_servers import Reply
from platform_servers import ShopifyGraphQLServer, _json
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.poller import Poller
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.show.feed_items import Order, RejectedItem

_PAST_THE_CAP = 9 * 1024 * 1024  # characters of one SKU: one line alone is past the 8 MB cap


class _SizedShop(ShopifyGraphQLServer):
    """Keeps the size of each answer it gives (the answers past the cap are counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.answer_sizes: list[int] = []

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        self.answer_sizes.append(len(reply.body))
        return reply

    @property
    def past_the_cap(self) -> int:
        return sum(size > 8 * 1024 * 1024 for size in self.answer_sizes)


class _Feed:
    """The adapter and the poller on a fake clock, polled in steps by the test."""

    def __init__(self, server: ShopifyGraphQLServer) -> None:
        self.server = server
        self.sink = Collector()
        self.fake = FakeTime()
        self.adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
        self.poller: Poller | None = None

    async def polls(self, most: int, until: Callable[[], bool]) -> None:
        async with httpx.AsyncClient() as client:
            if self.poller is None:
                self.poller = make_poller(self.adapter, client, self.sink, self.fake)
            self.poller._client = client
            for _ in range(most):
                self.fake.now_s += await self.poller.poll_once()
                if until():
                    return

    def run(self, most: int, until: Callable[[], bool] = lambda: False) -> None:
        asyncio.run(self.polls(most, until))

    @property
    def orders(self) -> dict[str, Order]:
        return {item.id: item for item in self.sink.items if isinstance(item, Order)}

    @property
    def rejected(self) -> list[RejectedItem]:
        return [item for item in self.sink.items if isinstance(item, RejectedItem)]

    @property
    def health_state(self) -> str:
        assert self.poller is not None
        return self.poller.health.state


# -- F1: an order past the cap sharing its second with an order before it ----------------------


def test_an_order_past_the_size_cap_after_an_order_of_the_same_second_is_not_downloaded_again() -> (
    None
):
    """Shopify's ``updatedAt`` is to the second: two orders of one second are common in a flash
    sale. The newest order of the shop is past the 8 MB cap even alone (a 9 MB SKU) and an
    order of the same second sorts before it. Before: a window starting there asked only its
    first order by id; the next page, asked whole, was past the cap again, halved down to one
    order of one line: an answer of 9 MB every ~3 polls for as long as it stayed the newest
    (23 in 60 polls, 414 MB in two minutes). Now the window's pages at that second are asked
    by ids: it is passed over by its id, the orders after it read as usual."""
    with _SizedShop() as server:
        server.add_order([("MUG", 1, "24.00")])
        same = server.add_order([("TEA", 1, "3.00")])
        large = server.add_order([("X" * _PAST_THE_CAP, 1, "1.00")])
        server.orders[large - 5001].updated = server.orders[same - 5001].updated
        feed = _Feed(server)
        feed.run(40, until=lambda: bool(feed.rejected))
        assert [item.item_id for item in feed.rejected] == [str(large)]
        downloaded = server.past_the_cap
        feed.run(60)
        assert server.past_the_cap == downloaded
        later = server.add_order([("CUP", 2, "5.50")])
        feed.run(20, until=lambda: str(later) in feed.orders)
        feed.run(5)
    assert sorted(feed.orders) == ["5001", "5002", "5004"]
    assert feed.orders["5004"].total_price == 11
    assert {item.item_id for item in feed.rejected} == {str(large)}
    assert server.past_the_cap == downloaded
    assert feed.health_state == "ok"


# -- F2: an error about one order of a call for several ----------------------------------------


class _OneOrderFails(ShopifyGraphQLServer):
    """Answers order 5002, in a call for several orders, with Shopify's "Internal error" about
    that order alone (its ``path``) and the others whole, as GraphQL answers a field that
    failed; read alone, it is answered."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        if "AnchorDeskOrdersById" not in body.decode(errors="replace"):
            return reply
        answer = json.loads(reply.body)
        data = answer.get("data") or {}
        for alias, node in data.items():
            if isinstance(node, dict) and node.get("legacyResourceId") == "5002":
                data[alias] = None
                error = {
                    "message": "Internal error. Looks like something went wrong on our end.",
                    "path": [alias],
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
                answer.setdefault("errors", []).append(error)
        return _json(answer)


def test_an_error_about_one_order_of_several_read_again_keeps_the_others_answered() -> None:
    """26 orders of 7 lines (each read again, 13 at a call); every call for several answers
    order 5002 with an "Internal error" about it alone (the error's ``path``). Before: the whole
    answer was dropped and asked again at 6, 3, then one order a call: 19 calls. Now the 12
    others answered are counted and 5002 is read alone: 6 calls."""
    with _OneOrderFails() as server:
        for n in range(26):
            server.add_order([(f"S{n}-{line}", 1, "2.00") for line in range(7)])
        feed = _Feed(server)
        feed.run(60, until=lambda: len(feed.orders) == 26)
        calls = len(server.queries)
    assert len(feed.orders) == 26
    assert all(order.total_price == 14 and len(order.lines) == 7 for order in feed.orders.values())
    assert feed.rejected == []
    assert calls <= 8
    assert feed.health_state == "ok"
