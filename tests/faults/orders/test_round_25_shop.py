"""Hostile round twenty-five, the Shopify feeds and the remote's refusals (hunt25shopfix):
the findings of R25hunt25remote, against the real local test shops (tests/feeds), a real
FeedHub and StoreWriter, and the report read from the session file. Each behaviour test failed
on the code before its fix."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from feed_servers import Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report

from ..remote.test_round_19_remote import SMALL_SHOW
from ..remote_parts import TOKEN as REMOTE_TOKEN
from ..remote_parts import rehearsing, serving
from ..shop_parts import EveryOrderNode
from .test_round_24_shop import _run_until, _stored

_INTERNAL = "Internal error. Looks like something went wrong on our end."


class _ErrNullsThePage(ShopifyGraphQLServer):
    """GraphQL's null propagation, as its spec requires: order 5002's ``refunds`` could not be
    read, and ``Order.refunds`` is ``[Refund!]!``, ``nodes`` ``[Order!]!``, ``orders``
    ``OrderConnection!``: the error nulls ``data`` (or ``data.orders``). ``order(id:)`` is
    nullable: asked by its id, only its alias is null."""

    def __init__(self, nulled: str) -> None:
        super().__init__()
        self.nulled = nulled

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict) or "refunds" not in json.loads(body)["query"]:
            return reply  # a query of ids (this test shop answers every query whole)
        orders = data.get("orders")
        places = (
            [(["orders", "nodes", n], node) for n, node in enumerate(orders["nodes"])]
            if isinstance(orders, dict)
            else [([alias], node) for alias, node in data.items()]
        )
        errors = []
        for where, node in places:
            if isinstance(node, dict) and node.get("legacyResourceId") == "5002":
                error = {
                    "message": _INTERNAL,
                    "path": [*where, "refunds"],
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
                errors.append(error)
                if isinstance(orders, dict):
                    answer["data"] = None if self.nulled == "data" else {"orders": None}
                else:
                    data[where[0]] = None
        if not errors:
            return reply
        answer["errors"] = errors
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


@pytest.mark.parametrize("nulled", ["data", "orders"])
def test_an_error_that_nulls_the_page_reads_its_orders_by_their_id(
    tmp_path: Path, nulled: str
) -> None:
    """F1 (A): a page of orders 5001-5003 whose error about order 5002's refunds nulls
    ``data`` (or ``data.orders``), as GraphQL's non-null rules do. The page was asked again for
    the whole show: 0 of 3 orders counted, nothing rejected, "malformed response". Now its
    orders are read by their id: two counted, 5002 kept as rejected with the shop's words."""
    session = tmp_path / "s.adsession"
    with _ErrNullsThePage(nulled) as shop:
        for _ in range(3):
            shop.add_order([("MUG", 1, "2.00")])
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _stored(session) >= 3 or len(shop.queries) >= 16,
        )
    report = build_report(session)
    assert report.orders == 2
    assert report.ledger.gmv_by_currency == {"USD": Decimal("4.00")}
    [rejected] = report.rejected
    assert rejected.item_id == "5002"
    assert _INTERNAL in rejected.detail


class _RefundWithoutIdOfMoreLines(EveryOrderNode):
    """Shopify GraphQL whose refunds come without an id (the key missing, or ``null``) and
    say their lines have another page, on every call (a broken proxy or app)."""

    def __init__(self, refund_id: str) -> None:
        super().__init__()
        self.refund_id = refund_id

    def change(self, node: dict[str, Any]) -> None:
        for refund in node.get("refunds") or []:
            if self.refund_id == "missing":
                del refund["id"]
            else:
                refund["id"] = None
            lines = refund.get("refundLineItems")
            if isinstance(lines, dict):
                lines["pageInfo"] = {"hasNextPage": True, "endCursor": "more"}


@pytest.mark.parametrize("refund_id", ["missing", "null"])
def test_a_refund_without_an_id_of_more_lines_is_named_by_its_place(
    tmp_path: Path, refund_id: str
) -> None:
    """F3 (B): an order whose one refund has no id and more lines than one call reads. Its
    updates were rejected as 'no "id" field' (the key missing) or "refund  has more lines"
    (null): the refund named as nothing. Now by its place, as it is keyed (round 24's F2)."""
    session = tmp_path / "s.adsession"
    with _RefundWithoutIdOfMoreLines(refund_id) as shop:
        order = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(order, "5.00", [("MUG", 1)])
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _stored(session) >= 2 or len(shop.queries) >= 30,
        )
    report = build_report(session)
    assert report.orders == 1
    [rejected] = report.rejected
    assert "refund #1 has more lines than one call reads" in rejected.detail


class _TokensExpiringAs(ShopifyOrdersServer):
    """Shopify REST whose client-credentials answer's ``expires_in`` is ``raw`` as it is in
    the JSON (a broken proxy or app)."""

    def __init__(self, raw: str) -> None:
        super().__init__()
        self.raw = raw

    def respond_post(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        reply = super().respond_post(path, headers, body)
        if reply.status != 200:
            return reply
        answer = {**json.loads(reply.body), "expires_in": "@"}
        text = json.dumps(answer).replace('"@"', self.raw)
        return Reply(200, text.encode(), reply.headers)


@pytest.mark.parametrize("raw", ["-1e999", "-1E+400", "NaN", "-Infinity", '"0"', "0"])
def test_a_token_expiry_of_no_positive_number_is_fetched_again_next_call(
    tmp_path: Path, raw: str
) -> None:
    """F4 (B): the token answer's ``expires_in`` -1e999 (or -1E+400, NaN, -Infinity, "0"):
    the expiry time was NaN (or "never"), so the token was never fetched again, where 0 and
    -1 are fetched again before the next call. Now one rule: a token per call."""
    session = tmp_path / "s.adsession"
    with _TokensExpiringAs(raw) as shop:
        shop.add_order([("MUG", 1, "2.00")])
        credentials = {
            "shopify-orders-client-id": shop.client_id,
            "shopify-orders-client-secret": shop.client_secret,
        }
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("shopify-orders", shop.url)],
            writer,
            token_lookup=credentials.get,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
            shopify_created_at_min=datetime(2000, 1, 1, tzinfo=UTC),
        )

        def calls() -> int:
            return sum(1 for request in shop.requests if "orders.json" in request[0])

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            for _ in range(3000):
                await asyncio.sleep(0.01)
                if (_stored(session) and calls() >= 2) or len(shop.issued) >= 30:
                    break
            stop.set()
            await task

        try:
            asyncio.run(run())
        finally:
            writer.close()
        orders_calls = calls()
    assert build_report(session).orders == 1
    assert orders_calls >= 2
    assert orders_calls <= len(shop.issued) <= orders_calls + 1


async def _stop_deal_on(sku: str, folder: Path) -> tuple[int, dict[str, Any], list[Any]]:
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}) as deck,
    ):
        start = {"command": "start_deal", "sku": "MUG", "price": "9.00", "seconds": 600}
        async with deck.post(f"{server.url}api/v1/commands", json=start) as answer:
            assert answer.status == 200
        stop = {"command": "stop_deal", "sku": sku}
        async with deck.post(f"{server.url}api/v1/commands", json=stop) as answer:
            status, refusal = answer.status, await answer.json()
        async with deck.get(f"{server.url}api/v1/state") as answer:
            deals = (await answer.json())["deals"]
    return status, refusal, [(deal["sku"], deal["state"]) for deal in deals]


@pytest.mark.parametrize("sku", ["MUG\nSEP", "MUG\r\nx", "\x1b[2J\nX"])
def test_stop_deal_on_a_sku_of_two_lines_is_refused_naming_it_whole(
    tmp_path: Path, sku: str
) -> None:
    """F2 (B): ``stop_deal`` with the SKU "MUG\\nSEP" while MUG's deal is live was refused
    "no live deal on MUG" (the SKU unquoted, cut at its newline with the reason): a lie. Now
    quoted as every other refusal quotes text from outside."""
    status, refusal, deals = asyncio.run(_stop_deal_on(sku, tmp_path))
    assert status == 409
    assert refusal["error"] == f"no live deal on {sku!r}"
    assert deals == [("MUG", "live")]


class _EchoesTheToken(ShopifyOrdersServer):
    """Shopify REST (client credentials) behind a broken debugging proxy: each order's ``id``
    and ``currency`` are the request's ``X-Shopify-Access-Token``."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        answer = json.loads(reply.body)
        token = headers.get("x-shopify-access-token", "")
        for order in answer.get("orders", []) if isinstance(answer, dict) else []:
            order["id"] = order["currency"] = token
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


def test_a_shop_echoing_the_token_as_an_order_id_keeps_it_out_of_log_session_and_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """F5 (B): the token (``shpat_issued_1``) sent back as an order's id reached the log
    ("order shpat_issued_1 rejected (no id)"), the session file (the rejected item's id and
    raw) and the report. Now the feed's secrets are masked in a rejected item by the one
    rule, wherever it is kept or said; the order still kept as rejected."""
    session = tmp_path / "s.adsession"
    caplog.set_level(logging.INFO)
    with _EchoesTheToken() as shop:
        shop.add_order([("MUG", 1, "2.00")])
        credentials = {
            "shopify-orders-client-id": shop.client_id,
            "shopify-orders-client-secret": shop.client_secret,
        }
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("shopify-orders", shop.url)],
            writer,
            token_lookup=credentials.get,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
            shopify_created_at_min=datetime(2000, 1, 1, tzinfo=UTC),
        )

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            for _ in range(3000):
                await asyncio.sleep(0.01)
                if _stored(session):
                    break
            stop.set()
            await task

        try:
            asyncio.run(run())
        finally:
            writer.close()
        tokens = list(shop.issued)
    report = build_report(session)
    [rejected] = report.rejected
    assert rejected.kind == "order"
    assert tokens and all(len(token) >= 8 for token in tokens)
    kept = session.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("s.adsession-*"))
    for token in tokens:
        assert token not in caplog.text
        assert token.encode() not in kept
        assert token not in repr(rejected)
