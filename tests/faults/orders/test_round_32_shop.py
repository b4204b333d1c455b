"""Hostile round thirty-two, the Shopify feeds (shop32 fixes): against real local shops
(tests/feeds; one answering both APIs, shop_parts.BothApis), a real FeedHub and StoreWriter,
and the report read from the session file. Each behaviour test failed on the code before its
fix."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from feed_servers import Reply, ShopifyOrdersServer

import anchordesk.feeds.shopify as shopify_rest
from anchordesk.store.report import build_report

from ..feed_parts import shopify_until
from ..shop_parts import BothApis


def _report(session: Path) -> dict[str, Any]:
    return build_report(session).to_json()


def _ids_as_text(value: Any) -> Any:
    """``value`` with every id (``id``, ``*_id``) written as a JSON string, as a JavaScript
    proxy writes Shopify's 64-bit ids."""
    if isinstance(value, list):
        return [_ids_as_text(item) for item in value]
    if isinstance(value, dict):
        return {
            key: (
                str(item)
                if (key == "id" or key.endswith("_id")) and isinstance(item, int)
                else _ids_as_text(item)
            )
            for key, item in value.items()
        }
    return value


class _IdsAsText(ShopifyOrdersServer):
    """Shopify REST behind a proxy that writes every id as a string."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        answer = json.loads(reply.body)
        return Reply(reply.status, json.dumps(_ids_as_text(answer)).encode(), reply.headers)


def test_rest_ids_sent_as_strings_are_read_and_move_since_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F3/1 (A): REST ids sent as strings ("5000000007"). Every order was rejected as "no id",
    since_id never moved: the feed asked its first page for the whole show, the orders past
    it never read (pages of 3 here, 5 orders). Now each is read by the id rule of both APIs,
    its refund and the unit back (its line item named by a string id) too."""
    monkeypatch.setattr(shopify_rest, "SHOPIFY_PAGE_LIMIT", 3)
    session = tmp_path / "s.adsession"
    with _IdsAsText() as shop:
        ids = [shop.add_order([("MUG", 1, "10.00")]) for _ in range(5)]
        shop.refund(ids[0], "10.00", [(0, 1)])
        shopify_until(
            shop.url,
            shop.token,
            session,
            lambda: _report(session)["orders"] == 5 if session.exists() else False,
        )
        asked = [query.get("since_id") for _, query, _ in shop.requests]
    report = _report(session)
    assert report["orders"] == 5
    assert report["rejected"] == []
    assert report["gmv_by_currency"] == {"USD": "40.00"}
    assert str(ids[2]) in asked  # the second page asked past the first


def _cursors(session: Path) -> list[str]:
    with sqlite3.connect(session) as db:
        return [row[0] for row in db.execute("SELECT cursor FROM cursors")]


def test_graphql_after_a_rest_cursor_stores_its_own_and_stops_reading_all_again(
    tmp_path: Path,
) -> None:
    """F7/2 (A): a session read through REST (cursor "5001|2026-…") continued through GraphQL.
    GraphQL compared its newest updatedAt with the cursor as text ("2026-…" is never past
    "5001|…"): it never stored a cursor, and every poll asked again for every order since the
    switch. Now the times are compared as times: its own cursor is stored and the next window
    asks from the newest order read."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        shop.add_order([("MUG", 1, "5.00")])
        shopify_until(shop.rest_url, shop.static_token, session, lambda: len(shop.requests) >= 6)
        assert [cursor.partition("|")[0] for cursor in _cursors(session)] == ["5001"]
        for _ in range(3):
            shop.add_order([("CAP", 1, "7.00")])
        asked = len(shop.requests)
        shopify_until(
            shop.shop_url, shop.static_token, session, lambda: len(shop.requests) >= asked + 10
        )
        newest = max(order.updated for order in shop.orders).strftime("%Y-%m-%dT%H:%M:%SZ")
        last_filter = shop.queries[-1].get("variables", {}).get("query", "")
    (cursor,) = _cursors(session)
    assert "|" not in cursor and cursor == newest
    assert f"updated_at:>='{newest}'" in last_filter
    report = _report(session)
    assert (report["orders"], report["gmv_by_currency"]) == (4, {"USD": "26.00"})


def _money_set(shop: str, presentment: str) -> dict[str, Any]:
    return {
        "shop_money": {"amount": shop, "currency_code": "USD"},
        "presentment_money": {"amount": presentment, "currency_code": "EUR"},
    }


def _paid_in_euros(shop: BothApis, order: int) -> None:
    """Order ``order`` (one refund: $5.00 of a $10.00 unit) as Shopify's REST writes it when
    the customer paid in EUR (Shopify Markets): the order in the shop's USD, its refund's
    transaction in the customer's EUR (4.60), its lines and the discrepancy with both."""
    with shop.rest.lock:
        raw = shop.rest._order(order)
        raw["presentment_currency"] = "EUR"
        refund = raw["refunds"][-1]
        for transaction in refund["transactions"]:
            transaction["currency"], transaction["amount"] = "EUR", "4.60"
        for item in refund["refund_line_items"]:
            item["subtotal_set"] = _money_set("10.00", "9.20")
            item["total_tax_set"] = _money_set("0.00", "0.00")
        refund["order_adjustments"] = [
            {
                "kind": "refund_discrepancy",
                "amount": "5.00",
                "amount_set": _money_set("5.00", "4.60"),
                "tax_amount_set": _money_set("0.00", "0.00"),
            }
        ]


@pytest.mark.parametrize("api", ["rest", "graphql"])
def test_a_refund_paid_in_another_currency_is_counted_in_the_shops_by_both_apis(
    tmp_path: Path, api: str
) -> None:
    """F1/3 (A): a shop in USD, a customer paying in EUR. A $5.00 refund (EUR 4.60 to the
    customer) read through REST was rejected "refunded in EUR for an order in USD": GMV
    $20.00, and $15.00 through GraphQL (totalRefundedSet.shopMoney), the same shop. Now REST
    reads it in shop money too: $15.00 by both, nothing rejected."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        order = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(order, "5.00", [("MUG", 1)])
        _paid_in_euros(shop, order)
        url = shop.rest_url if api == "rest" else shop.shop_url
        shopify_until(url, shop.static_token, session, lambda: len(shop.requests) >= 6)
    report = _report(session)
    assert (report["orders"], report["gmv_by_currency"]) == (1, {"USD": "15.00"})
    assert report["rejected"] == []


def test_a_rest_refund_read_while_pending_is_counted_once_it_settles(tmp_path: Path) -> None:
    """F2/4 (A): a $5.00 refund read first with its transaction pending was kept as a $0.00
    refund; settled, it came again with $5.00 and was rejected as update_changed ("the first
    copy counts"): GMV $20.00 for $15.00 for the rest of the show. Now a refund is sent once
    none of its refund transactions is pending."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        order = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(order, "5.00", [("MUG", 1)])
        with shop.rest.lock:
            transaction = shop.rest._order(order)["refunds"][-1]["transactions"][0]
            transaction["status"] = "pending"
        shopify_until(shop.rest_url, shop.static_token, session, lambda: len(shop.requests) >= 6)
        assert _report(session)["gmv_by_currency"] == {"USD": "20.00"}
        with shop.rest.lock:
            transaction["status"] = "success"  # the payment goes through: the order moves
        shop.orders[order - 5001].updated = shop._tick()
        shop._same_times(order)
        asked = len(shop.requests)
        shopify_until(
            shop.rest_url, shop.static_token, session, lambda: len(shop.requests) >= asked + 6
        )
    report = _report(session)
    assert (report["orders"], report["gmv_by_currency"]) == (1, {"USD": "15.00"})
    assert report["rejected"] == []
