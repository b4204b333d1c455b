"""Shared parts of the Shopify and session tests: the local shops a broken proxy or app would
make of the test shops (tests/feeds), a session put back to the key form an older version
wrote, and a live session run to its end."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from feed_servers import Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer
from servers import wait_until

from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode

INTERNAL = "Internal error. Looks like something went wrong on our end."


class RelabelledOrders(ShopifyGraphQLServer):
    """The orders page labels node ``labelled`` with the id of node ``named`` (a shop or proxy
    mixing orders up) and, when ``error_at`` names one of its fields, says an error about that
    field (read in part). ``blanked``: what of it comes null ("createdAt", "lineItems", or
    "line ids"). Asked by its id, every order is itself."""

    def __init__(
        self, labelled: int, named: int, error_at: str | None, blanked: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self.labelled, self.named, self.error_at, self.blanked = labelled, named, error_at, blanked

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        orders = (answer.get("data") or {}).get("orders") if isinstance(answer, dict) else None
        if not isinstance(orders, dict) or "refunds" not in json.loads(body)["query"]:
            return reply
        nodes = orders["nodes"]
        if len(nodes) > max(self.labelled, self.named):
            node, other = nodes[self.labelled], nodes[self.named]
            node["id"], node["legacyResourceId"] = other["id"], other["legacyResourceId"]
            if "createdAt" in self.blanked:
                node["createdAt"] = None
            if "lineItems" in self.blanked:
                node["lineItems"] = None
            if "line ids" in self.blanked:
                for line in node["lineItems"]["nodes"]:
                    line["id"] = None
            if self.error_at is not None:
                answer["errors"] = [
                    {
                        "message": INTERNAL,
                        "path": ["orders", "nodes", self.labelled, self.error_at],
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                ]
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


class EveryOrderNode(ShopifyGraphQLServer):
    """Shopify GraphQL behind a broken proxy or app that changes every order node it answers
    (:meth:`change`), in the orders query and in ``order(id:)`` alike."""

    def change(self, node: dict[str, Any]) -> None:
        raise NotImplementedError

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            return reply
        orders = data.get("orders")
        nodes = orders["nodes"] if isinstance(orders, dict) else list(data.values())
        for node in nodes:
            if node:
                self.change(node)
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


class GraphQLRefundsWithoutId(EveryOrderNode):
    """Shopify GraphQL whose refunds come with ``"id": null`` (a broken proxy or app: Refund.id
    is ``ID!``) while ``dropping`` (the proxy taken away: False)."""

    dropping = True

    def change(self, node: dict[str, Any]) -> None:
        if not self.dropping:
            return
        for refund in node.get("refunds") or []:
            refund["id"] = None


class RestRefundsWithoutId(ShopifyOrdersServer):
    """Shopify REST whose refunds come with ``"id": null`` (a broken proxy or app) while
    ``dropping``."""

    dropping = True

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        answer: Any = json.loads(reply.body) if self.dropping else None
        if not isinstance(answer, dict) or not isinstance(answer.get("orders"), list):
            return reply
        for order in answer["orders"]:
            for refund in order.get("refunds") or []:
                refund["id"] = None
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


def first_order_updated(shop: ShopifyOrdersServer | ShopifyGraphQLServer) -> None:
    """The shop's first order updated (a note added, say): its updates window reads it again."""
    with shop.lock:
        if isinstance(shop, ShopifyOrdersServer):
            shop.orders[0]["updated_at"] = shop._now()
        else:
            shop.orders[0].updated = shop._tick()


def polled_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both Shopify feeds ask again after 50 ms, not 2 s (their default interval): a test that
    runs the app against a shop several times in turn takes a second, not ten."""
    monkeypatch.setattr(ShopifyOrdersAdapter, "default_interval_s", 0.05)
    monkeypatch.setattr(ShopifyGraphQLOrdersAdapter, "default_interval_s", 0.05)


def kept_as_before(session: Path, keys: dict[str, tuple[str, str] | None]) -> None:
    """The session's refunds kept under their place (``5001:refund:#1``) put back under the
    key and refund id an older version kept them under (``keys``: place key -> (key, refund
    id)), or dropped (None: that version kept no such refund). The rows are otherwise the
    ones that version wrote: the probes of R28/R29hunt…shop compared them column by column
    with sessions the old code itself wrote (/work/hunt/hunt29shop/oldrows.sh)."""
    with sqlite3.connect(session) as db:
        for place, old in keys.items():
            if old is None:
                db.execute("DELETE FROM order_updates WHERE id = ?", (place,))
            else:
                db.execute(
                    "UPDATE order_updates SET id = ?, refund_id = ? WHERE id = ?", (*old, place)
                )
    db.close()


def live_session_ended(
    options: LiveOptions,
    plan: LiveShowPlan,
    until: Callable[[LiveShow], bool],
    after: Callable[[LiveShow], None] | None = None,
) -> tuple[LiveShow, Path]:
    """A live session begun, ended once ``until`` holds (within 30 s), then ``after`` (before
    the outputs stop), the media stopped and the show shut down: the show and its session."""
    live = build_live_show(options, plan)
    live.media.start()
    paths: list[Path | None] = []

    async def run() -> None:
        live.begin_session(SessionMode.LIVE)
        await asyncio.to_thread(wait_until, lambda: until(live), 30.0)
        paths.append(await live.end_session())
        if after is not None:
            await asyncio.to_thread(after, live)
        await asyncio.to_thread(live.media.stop, 3.0)

    try:
        asyncio.run(run())
    finally:
        live.shutdown()
    (path,) = paths
    assert path is not None
    return live, path


class BothApis(ShopifyGraphQLServer):
    """One shop answering both of Shopify's APIs on one address: GraphQL at
    ``/admin/api/VERSION/graphql.json`` and REST at ``rest_path``, the same orders under the
    same ids (REST's ids are GraphQL's ``legacyResourceId``, its refunds' ids their gids'
    numbers), as Shopify serves them."""

    rest_path = "/admin/api/2024-07/orders.json"

    def __init__(self) -> None:
        super().__init__()
        self.rest = ShopifyOrdersServer(token=self.static_token)

    @property
    def rest_url(self) -> str:
        return f"{self.url}{self.rest_path}"

    def add_order(self, lines: list[tuple[str, int, str]], currency: str = "USD") -> int:
        number = super().add_order(lines, currency)
        with self.rest.lock:
            self.rest.next_id = number - 7  # the next order's id is the GraphQL one's
        assert self.rest.add_order(list(lines), currency) == number
        self._same_times(number)
        return number

    def refund(self, number: int, amount: str, lines: list[tuple[str, int]]) -> None:
        super().refund(number, amount, lines)
        kept = self.orders[number - 5001].refunds[-1]
        skus = [sku for sku, _qty, _price in self.orders[number - 5001].lines]
        self.rest.refund(number, amount, [(skus.index(sku), qty) for sku, qty in lines])
        with self.rest.lock:
            refund = self.rest._order(number)["refunds"][-1]
            refund["id"], refund["created_at"] = kept["id"], kept["at"]
        self._same_times(number)

    def _same_times(self, number: int) -> None:
        """The REST order's times are the shop's (GraphQL's) ones."""
        order = self.orders[number - 5001]
        with self.rest.lock:
            rest = self.rest._order(number)
            rest["created_at"] = order.created.isoformat()
            rest["updated_at"] = order.updated.isoformat()

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "GET" and path == self.rest_path:
            return self.rest.respond(query, headers)
        return super().handle(method, path, query, headers, body)
