"""Hostile round thirty-one, the Shopify feeds and the session store (shop31): against real
local shops (tests/feeds; one answering both APIs, shop_parts.BothApis), a real FeedHub and
StoreWriter, and the report read from the session file. Each behaviour test failed on the
code before its fix."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from feed_servers import Reply, ShopifyOrdersServer

from anchordesk.store import SessionStore
from anchordesk.store.report import build_report, report_text

from ..feed_parts import shopify_until
from ..shop_parts import (
    BothApis,
    EveryOrderNode,
    GraphQLRefundsWithoutId,
    first_order_updated,
    polled_quickly,
)


def _report(session: Path) -> dict[str, object]:
    return build_report(session).to_json()


def _names(session: Path) -> list[str]:
    store = SessionStore(session)
    try:
        return [feed.source for feed in store.feeds()]
    finally:
        store.close()


@pytest.mark.parametrize("kept", ["as now", "identity of before"])
@pytest.mark.parametrize("first", ["rest", "graphql"])
def test_a_session_read_through_one_api_and_continued_through_the_other_counts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, kept: str
) -> None:
    """Wrong number (A; redone from R31's lost work): a session read from a shop through REST
    (``…/admin/api/2024-07/orders.json``) and continued through GraphQL (the shop's address),
    or the other way round, named a second feed ``shopify-orders#2`` with no cursor: every
    order of the show read and counted again (2 orders for 1, $25.00 for $12.50, the refund
    taken off twice). Both APIs read the same orders under the same ids: the shop is one
    feed, its name and its orders go on, whichever API reads it; each adapter reads the
    other's cursor. ``identity of before``: the session's feed kept under the identity the
    version before this one gave it (REST and GraphQL told apart): found by its shop."""
    polled_quickly(monkeypatch)
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "2.50", [("MUG", 1)])
        urls = [shop.rest_url, shop.shop_url]
        if first == "graphql":
            urls.reverse()
        token = shop.static_token
        shopify_until(urls[0], token, session, lambda: len(shop.requests) >= 4)
        assert _report(session)["orders"] == 1
        if kept == "identity of before":
            with sqlite3.connect(session) as db:
                db.execute("UPDATE feeds SET identity = 'sha256:' || hex(randomblob(32))")
            db.close()
        second = shop.add_order([("CAP", 1, "7.50")])
        asked = len(shop.requests)
        shopify_until(urls[1], token, session, lambda: len(shop.requests) >= asked + 6)
        # A refund made while the other API reads: counted once.
        shop.refund(second, "1.00", [])
        asked = len(shop.requests)
        shopify_until(urls[1], token, session, lambda: len(shop.requests) >= asked + 6)
    report = build_report(session)
    figures = report.to_json()
    assert figures["orders"] == 2
    assert figures["gmv_by_currency"] == {"USD": "19.00"}
    assert figures["units"] == 3
    assert figures["rejected"] == []
    assert "$19.00" in next(
        line for line in report_text(report, "en").splitlines() if "GMV" in line
    )
    assert _names(session) == ["shopify-orders"]


def _kept_under_a_second_name(session: Path, label: str) -> None:
    """The session's shop rows copied under ``shopify-orders#2``, named for ``label`` (the
    shop written another way): the file an older version wrote when it gave the same shop a
    second name (it read every order again under it)."""
    with sqlite3.connect(session) as db:
        db.execute(
            "INSERT INTO feeds(source, kind, identity, label, first_used_at)"
            " VALUES ('shopify-orders#2', 'shopify-orders', 'sha256:0', ?, 0)",
            (f"shopify-orders {label}",),
        )
        for table in ("orders", "order_updates", "cursors", "rejected_items"):
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            kept = [c for c in columns if c != "seq"]
            chosen = ", ".join("'shopify-orders#2'" if c == "source" else c for c in kept)
            db.execute(
                f"INSERT INTO {table}({', '.join(kept)}) SELECT {chosen} FROM {table}"
                " WHERE source = 'shopify-orders'"
            )
    db.close()


def _rejected_order_kept(session: Path) -> None:
    """An order of the shop kept as rejected (its total past any a shop takes)."""
    from decimal import Decimal

    from anchordesk.show.feed_items import Order, OrderLine

    store = SessionStore(session)
    try:
        line = OrderLine("MUG", 1, Decimal(1))
        store.write_batch(
            "shopify-orders", [Order("shopify-orders", "9", "USD", Decimal("1e999"), (line,))], None
        )
    finally:
        store.close()


@pytest.mark.parametrize("spelling", ["/admin", "graphql"])
def test_an_old_session_with_two_names_for_one_shop_counts_each_order_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    """Old sessions / wrong number (A; redone from R31's lost work): a session an older
    version wrote with ``shopify-orders`` and ``shopify-orders#2`` for one shop (its address
    written another way, or read through the other API) kept every order under both names;
    the report counted both copies (2 orders for 1, $25.00 for $12.50), and so did a run
    continuing it. The first name stands for the shop: each order is counted once, in the
    report and in the continued run, a refund made meanwhile once."""
    polled_quickly(monkeypatch)
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "2.50", [("MUG", 1)])
        token = shop.static_token
        shopify_until(shop.rest_url, token, session, lambda: len(shop.requests) >= 4)
        label = shop.shop_url + "/admin" if spelling == "/admin" else shop.shop_url
        _rejected_order_kept(session)
        _kept_under_a_second_name(session, label)
        figures = _report(session)
        assert (figures["orders"], figures["gmv_by_currency"]) == (1, {"USD": "12.50"})
        assert len(figures["rejected"]) == 1  # type: ignore[arg-type]
        # Continued (the shop at either address): what is new is counted once.
        shop.refund(order, "1.00", [])
        asked = len(shop.requests)
        shopify_until(label, token, session, lambda: len(shop.requests) >= asked + 6)
    figures = _report(session)
    assert figures["orders"] == 1
    assert figures["gmv_by_currency"] == {"USD": "11.50"}
    assert figures["units"] == 2
    assert len(figures["rejected"]) == 1  # type: ignore[arg-type]
    store = SessionStore(session)
    try:
        assert len(store.orders()) == 1
        assert len(store.order_updates()) == 2
    finally:
        store.close()


class _BrokenThenMended(EveryOrderNode):
    """Shopify GraphQL behind a proxy that, while ``breaking``, serves every order's total as
    ``"1e999999"`` (rejected: no amount a shop takes); mended, the same orders as the shop
    has them."""

    breaking = True

    def change(self, node: dict[str, Any]) -> None:
        if self.breaking and isinstance(node.get("totalPriceSet"), dict):
            node["totalPriceSet"]["shopMoney"]["amount"] = "1e999999"


class _RestBrokenThenMended(ShopifyOrdersServer):
    breaking = True

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        answer: Any = json.loads(reply.body) if self.breaking else None
        if not isinstance(answer, dict) or not isinstance(answer.get("orders"), list):
            return reply
        for order in answer["orders"]:
            if "total_price" in order:
                order["total_price"] = "1e999999"
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


@pytest.mark.parametrize("api", ["rest", "graphql"])
def test_an_order_rejected_then_served_readable_is_counted_by_both_apis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    """Wrong number (A; found redoing R31's item 6): an order a proxy served broken was kept
    as rejected; served readable later (the proxy mended, the order read again after a
    change), GraphQL counted it, REST never did (since_id was past it, and its window of
    updated orders read orders only for their refunds and cancellations): $0.00 for a
    $15.00 sale. Now REST's window keeps an order it can read, once. The rejected copy stays
    listed, as docs/feed-protocol.md says ("a corrected copy under the same id is counted
    (the rejected copy stays listed)")."""
    polled_quickly(monkeypatch)
    session = tmp_path / "s.adsession"
    rest = api == "rest"
    shop: Any = _RestBrokenThenMended() if rest else _BrokenThenMended()
    with shop:
        shop.add_order([("MUG", 3, "5.00")])
        url, token = (shop.url, shop.token) if rest else (shop.shop_url, shop.static_token)
        shopify_until(url, token, session, lambda: len(shop.requests) >= 3)
        assert len(_report(session)["rejected"]) == 1  # type: ignore[arg-type]
        shop.breaking = False
        first_order_updated(shop)
        asked = len(shop.requests)
        shopify_until(url, token, session, lambda: len(shop.requests) >= asked + 6)
    figures = _report(session)
    assert figures["orders"] == 1
    assert figures["gmv_by_currency"] == {"USD": "15.00"}
    assert [entry["reason"] for entry in figures["rejected"]] == ["amount_too_large"]  # type: ignore[attr-defined]


def _sale_and_refunds(ids: list[str], amounts: list[str], at: str) -> list[object]:
    from decimal import Decimal

    from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate

    sale = Order(
        "shopify-orders",
        "5001",
        "USD",
        Decimal("15.00"),
        (OrderLine("MUG", 3, Decimal("5.00"), "Mug"),),
        created_at="2026-11-30T10:00:00Z",
    )
    refunds = [
        OrderUpdate(
            "shopify-orders",
            "5001",
            "refunded",
            Decimal(amount),
            "USD",
            refund_id=refund_id,
            at=at,
        )
        for refund_id, amount in zip(ids, amounts, strict=True)
    ]
    return [sale, *refunds]


@pytest.mark.parametrize("when", ["same time", "time corrected"])
@pytest.mark.parametrize("refunds", [1, 2], ids=["one refund", "two in one second"])
@pytest.mark.parametrize("direction", ["id vanishes", "id appears"])
def test_a_refund_changed_while_its_id_came_or_went_is_counted_once(
    tmp_path: Path, direction: str, refunds: int, when: str
) -> None:
    """Wrong number (A; redone from R31's lost work): a refund kept with its id (900) and sent
    again without it (a proxy dropping ids, kept by its place ``5001:refund:#1``), or the
    other way round, after the shop changed it ($2.00 made $3.00), was a second refund:
    both counted ($5.00 refunded for $2.00). Two refunds of one second both changed, and a
    refund whose creation time the shop corrected (the same amount), likewise. Now each is
    the refund at its place: counted once, as first kept; the changed copy listed."""
    with_ids = ["900", "901"][:refunds]
    places = ["#1", "#2"][:refunds]
    first, then = (with_ids, places) if direction == "id vanishes" else (places, with_ids)
    changed = when == "same time"
    at = "2026-11-30T10:00:01Z"
    before = _sale_and_refunds(first, ["2.00", "1.00"][:refunds], at)
    after = _sale_and_refunds(
        then,
        ["3.00", "1.50"][:refunds] if changed else ["2.00", "1.00"][:refunds],
        at if changed else "2026-11-30T09:59:59Z",
    )
    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    try:
        store.write_batch("shopify-orders", before, None)  # type: ignore[arg-type]
        new = store.write_batch("shopify-orders", after, None)  # type: ignore[arg-type]
        assert not [item for item in new if not hasattr(item, "reason")]
        assert store.count("order_updates") == refunds
    finally:
        store.close()
    report = build_report(session).to_json()
    assert report["gmv_by_currency"] == {"USD": ["13.00", "12.00"][refunds - 1]}
    rejected = report["rejected"]
    assert isinstance(rejected, list)
    assert len(rejected) == (refunds if changed else 0)


@pytest.mark.parametrize("dropped_first", [False, True], ids=["id vanishes", "id appears"])
def test_a_shop_s_refund_changed_behind_a_proxy_dropping_ids_is_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dropped_first: bool
) -> None:
    """The same against a real local shop (GraphQL) and a proxy dropping refund ids, put in
    front of it or taken away while the shop changed the refund ($2.00 made $3.00): $5.00 was
    taken off a $15.00 sale for one refund. Now $2.00, as first counted; the change listed."""
    polled_quickly(monkeypatch)
    session = tmp_path / "s.adsession"
    with GraphQLRefundsWithoutId() as shop:
        shop.dropping = dropped_first
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "2.00", [])
        token = shop.static_token
        shopify_until(shop.shop_url, token, session, lambda: len(shop.requests) >= 3)
        assert _report(session)["gmv_by_currency"] == {"USD": "13.00"}
        with shop.lock:
            shop.orders[0].refunds[0]["amount"] = "3.00"
        shop.dropping = not dropped_first
        first_order_updated(shop)
        asked = len(shop.requests)
        shopify_until(shop.shop_url, token, session, lambda: len(shop.requests) >= asked + 4)
    figures = _report(session)
    assert figures["gmv_by_currency"] == {"USD": "13.00"}
    rejected = figures["rejected"]
    assert isinstance(rejected, list)
    assert [entry["reason"] for entry in rejected] == ["update_changed"]


@pytest.mark.parametrize("when", ["same time", "time corrected"])
@pytest.mark.parametrize("refunds", [1, 2], ids=["one refund", "two in one second"])
def test_refunds_kept_under_old_keys_and_changed_since_are_counted_once(
    tmp_path: Path, refunds: int, when: str
) -> None:
    """Old sessions / wrong number (A; leftovers of R31's lost work): an order's refunds
    without ids kept by an older version under their amount (``5001:refund=2``), then
    changed by the shop (two of one second, both changed: neither told by its time; or one
    whose creation time the shop corrected): each came under its place as a new refund and
    was counted twice ($2.00 and $3.00 for one refund). Each is now the refund at its
    place (kept in the shop's order): counted once, the change listed."""
    from anchordesk.show.feed_items import OrderUpdate

    from ..shop_parts import kept_as_before

    changed = when == "same time"
    at = "2026-11-30T10:00:01Z"
    before = _sale_and_refunds(["#1", "#2"][:refunds], ["2.00", "1.00"][:refunds], at)
    after = _sale_and_refunds(
        ["#1", "#2"][:refunds],
        ["3.00", "1.50"][:refunds] if changed else ["2.00", "1.00"][:refunds],
        at if changed else "2026-11-30T09:59:59Z",
    )
    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    try:
        store.write_batch("shopify-orders", before, None)  # type: ignore[arg-type]
    finally:
        store.close()
    old = {}
    for update in before[1:]:
        assert isinstance(update, OrderUpdate) and update.refund is not None
        amount = format(update.refund.normalize(), "f")
        old[update.id] = (f"5001:refund={amount}", "")
    kept_as_before(session, old)
    store = SessionStore(session)
    try:
        store.write_batch("shopify-orders", after, None)  # type: ignore[arg-type]
        assert store.count("order_updates") == refunds
    finally:
        store.close()
    report = build_report(session).to_json()
    assert report["gmv_by_currency"] == {"USD": ["13.00", "12.00"][refunds - 1]}
    rejected = report["rejected"]
    assert isinstance(rejected, list)
    assert len(rejected) == (refunds if changed else 0)
