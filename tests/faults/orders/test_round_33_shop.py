"""Hostile round thirty-three, the Shopify feeds, the session store's feed names and refund
rules, and the report (shop33 fixes): against real local shops (tests/feeds; one answering
both APIs, shop_parts.BothApis), a real FeedHub and StoreWriter, session files, and the
report read from them. Each behaviour test failed on the code before its fix."""

from __future__ import annotations

import html
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from feed_servers import Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer

from anchordesk.core.redact import mask_url
from anchordesk.feeds.spec import FeedSpec, feed_identity, shopify_former_identity
from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate, RefundLine
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_html import report_html
from anchordesk.store.session import SessionStore
from anchordesk.store.session_feeds import FeedIdentity

from ..feed_parts import shopify_until
from ..shop_parts import BothApis


def _report(session: Path) -> dict[str, Any]:
    return build_report(session).to_json()


class _TwoShopsOneBridge(ShopifyOrdersServer):
    """One bridge address serving two shops, chosen by ``?shop=a`` / ``?shop=b``."""

    def __init__(self) -> None:
        super().__init__()
        self.b = ShopifyOrdersServer(token=self.token)

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        shop = query.pop("shop", "a")
        return self.b.respond(query, headers) if shop == "b" else super().respond(query, headers)


def test_two_shops_behind_one_bridge_told_apart_by_a_query_value_are_two_feeds(
    tmp_path: Path,
) -> None:
    """1 (A): a session read from ``…/orders.json?shop=a`` and continued with ``?shop=b``.
    The query was dropped from the shop: b took a's name and cursor, its order below a's
    since_id was never read and its order with an id of a's was rejected as a changed copy
    (2 orders $20.00 for 4 $41.00)."""
    session = tmp_path / "s.adsession"
    with _TwoShopsOneBridge() as bridge:
        bridge.add_order([("MUG", 1, "10.00")])
        bridge.add_order([("MUG", 1, "10.00")])
        bridge.b.next_id = 4_000_000_000
        bridge.b.add_order([("CAP", 2, "7.00")])  # an id below a's
        bridge.b.next_id = 5_000_000_000
        bridge.b.add_order([("CAP", 1, "7.00")])  # the id of a's first order
        shopify_until(
            bridge.url + "?shop=a",
            bridge.token,
            session,
            lambda: _report(session)["orders"] == 2 if session.exists() else False,
        )
        shopify_until(
            bridge.url + "?shop=b",
            bridge.token,
            session,
            lambda: _report(session)["orders"] == 4,
        )
    report = _report(session)
    assert report["orders"] == 4
    assert report["gmv_by_currency"] == {"USD": "41.00"}
    assert report["rejected"] == []
    store = SessionStore(session, read_only=True)
    labels = sorted(feed.label for feed in store.feeds())
    store.close()
    assert labels == [
        f"shopify-orders {bridge.url}?shop=a",
        f"shopify-orders {bridge.url}?shop=b",
    ]


def _kept_by_the_former_rule(session: Path, url: str, label: str) -> None:
    """A session file whose Shopify feed an earlier version named by the rule that dropped
    the query (its identity the shop's address alone)."""
    store = SessionStore(session)
    store.name_feeds([FeedIdentity("shopify-orders", "x", label)])
    store.close()
    former = shopify_former_identity(FeedSpec("shopify-orders", url))
    with sqlite3.connect(session) as db:
        db.execute("UPDATE feeds SET identity = ?", (former,))


def _names(session: Path, urls: list[str]) -> list[str]:
    specs = [FeedSpec("shopify-orders", url) for url in urls]
    wanted = [
        FeedIdentity(
            spec.kind,
            feed_identity(spec),
            f"shopify-orders {mask_url(spec.url)}",
            shopify_former_identity(spec),
        )
        for spec in specs
    ]
    store = SessionStore(session)
    try:
        return store.name_feeds(wanted)
    finally:
        store.close()


def test_an_older_session_of_a_bridge_shop_keeps_its_name_and_another_shop_gets_its_own(
    tmp_path: Path,
) -> None:
    """1: a session kept before the query counted goes on under the name it has, whether the
    label shows the value (``?shop=a``) or masks it (an opaque value); another shop of the
    bridge gets a name of its own. Two opaque values (masked alike in the labels) of one
    session are two shops, named and read apart."""
    bridge = "https://bridge.example/admin/api/2026-07/orders.json"
    plain = tmp_path / "plain.adsession"
    _kept_by_the_former_rule(plain, bridge + "?shop=a", f"shopify-orders {bridge}?shop=a")
    assert _names(plain, [bridge + "?shop=a&token=t0p"]) == ["shopify-orders"]
    assert _names(plain, [bridge + "?shop=b"]) == ["shopify-orders#2"]
    opaque_a, opaque_b = "?shop=Zq81Kd0Xw2Lp9Tn4Vb7", "?shop=Hs62Qe1Ry5Ui3Oa8Mc0"
    masked = tmp_path / "masked.adsession"
    _kept_by_the_former_rule(
        masked, bridge + opaque_a, f"shopify-orders {mask_url(bridge + opaque_a)}"
    )
    assert "****" in mask_url(bridge + opaque_a)
    assert _names(masked, [bridge + opaque_a]) == ["shopify-orders"]
    fresh = tmp_path / "fresh.adsession"
    assert _names(fresh, [bridge + opaque_a]) == ["shopify-orders"]
    assert _names(fresh, [bridge + opaque_b]) == ["shopify-orders#2"]
    assert _names(fresh, [bridge + opaque_a, bridge + opaque_b]) == [
        "shopify-orders",
        "shopify-orders#2",
    ]
    with sqlite3.connect(fresh) as db:
        kept = " ".join(str(cell) for row in db.execute("SELECT * FROM feeds") for cell in row)
    assert "Zq81Kd0Xw2Lp9Tn4Vb7" not in kept and "Hs62Qe1Ry5Ui3Oa8Mc0" not in kept


def test_a_shop_host_written_with_its_root_dot_is_the_same_shop() -> None:
    """4 (B): ``shop.myshopify.com.`` (a fully qualified name) is the shop without the dot:
    given both ways it was two feeds, every order counted twice."""
    plain = FeedSpec("shopify-orders", "https://a.myshopify.com/admin/api/2026-07/orders.json")
    dotted = FeedSpec("shopify-orders", "https://A.myshopify.com.:443/admin/orders.json")
    assert feed_identity(plain) == feed_identity(dotted)


_SHOP = "shopify-orders"


def _refund(amount: str, currency: str) -> OrderUpdate:
    return OrderUpdate(_SHOP, "5001", "refunded", Decimal(amount), currency, refund_id="900")


def test_a_refund_rejected_for_its_currency_and_sent_again_corrected_is_counted_once(
    tmp_path: Path,
) -> None:
    """2 (A): a refund sent in EUR for a USD order (rejected, update_currency_differs), then
    again under its id in USD. The rule was the ledger's, after the store had kept the EUR
    copy as the counted one: the corrected copy was rejected as update_changed ("the first
    copy counts: refunded 5.00 EUR") while that first copy was listed as not counted; GMV
    $20.00 for $15.00. docs/feed-protocol.md: a corrected copy under the same id counts."""
    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    order = Order(_SHOP, "5001", "USD", Decimal("20.00"), (OrderLine("MUG", 2, Decimal("10.00")),))
    store.write_batch(_SHOP, [order], None)
    first = store.write_batch(_SHOP, [_refund("5.00", "EUR")], None)
    again = store.write_batch(_SHOP, [_refund("5.00", "USD")], None)
    store.close()
    assert [type(item).__name__ for item in first + again] == ["RejectedItem", "OrderUpdate"]
    report = _report(session)
    assert report["gmv_by_currency"] == {"USD": "15.00"}
    assert [(item["reason"], item["detail"]) for item in report["rejected"]] == [
        ("update_currency_differs", "refunded in EUR for an order in USD")
    ]


def test_a_refund_rejected_by_rest_for_its_currency_is_counted_when_graphql_reads_it(
    tmp_path: Path,
) -> None:
    """2 (A), with a shop: a refund of a USD order paid in EUR, its REST copy without the
    shop-money sets (rejected: refunded in EUR), the session continued through GraphQL
    (totalRefundedSet.shopMoney: $5.00 USD). The GraphQL copy was rejected as update_changed
    against the rejected one: GMV $20.00 for the rest of the show."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        number = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(number, "5.00", [("MUG", 1)])
        with shop.rest.lock:
            order = shop.rest._order(number)
            order["presentment_currency"] = "EUR"
            for transaction in order["refunds"][-1]["transactions"]:
                transaction["currency"], transaction["amount"] = "EUR", "4.60"
        shopify_until(
            shop.rest_url,
            shop.static_token,
            session,
            lambda: bool(_report(session)["rejected"]) if session.exists() else False,
        )
        assert _report(session)["gmv_by_currency"] == {"USD": "20.00"}
        shopify_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _report(session)["gmv_by_currency"] == {"USD": "15.00"},
        )
    report = _report(session)
    assert report["gmv_by_currency"] == {"USD": "15.00"}
    assert [item["reason"] for item in report["rejected"]] == ["update_currency_differs"]


def test_a_graphql_refund_read_while_pending_is_counted_once_it_settles(tmp_path: Path) -> None:
    """3 (A): a refund read through GraphQL while its money's transaction is PENDING was kept
    as what it showed then, and its settled copy rejected as update_changed: GMV never took
    the $5.00 off. Now GraphQL asks each counted refund's transactions (kind, status) and
    follows REST's rule (fix32shop 4): a refund is sent once none of them is pending."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        number = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(number, "0.00", [("MUG", 1)])
        with shop.lock:
            order = shop.orders[number - 5001]
            order.refunds[-1]["status"] = "PENDING"
        shopify_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: len(shop.queries) >= 4,
        )
        assert _report(session)["gmv_by_currency"] == {"USD": "20.00"}
        with shop.lock:
            order.refunds[-1].update(status="SUCCESS", amount="5.00")
            order.updated = shop._tick()
        shopify_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _report(session)["gmv_by_currency"] == {"USD": "15.00"},
        )
    report = _report(session)
    assert report["gmv_by_currency"] == {"USD": "15.00"}
    assert report["units"] == 1
    assert report["rejected"] == []
    assert any("transactions(first:" in query["query"] for query in shop.queries)


def test_a_zero_padded_refund_gid_is_the_rest_refund_of_that_number(tmp_path: Path) -> None:
    """4 (B): behind a proxy that pads ids, GraphQL's ``gid://shopify/Refund/0900`` was
    refund "0900" and REST's 900 refund "900": a session read through REST and continued
    through GraphQL counted the $5.00 refund twice (GMV $10.00 for $15.00). Refund ids now
    follow the order ids' rule (shopify_number)."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        number = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(number, "5.00", [("MUG", 1)])
        with shop.lock:
            refund = shop.orders[number - 5001].refunds[-1]
            refund["id"] = f"0{refund['id']}"
        for url in (shop.rest_url, shop.shop_url):
            asked = len(shop.requests)
            shopify_until(
                url, shop.static_token, session, lambda a=asked: len(shop.requests) >= a + 6
            )
    report = _report(session)
    assert report["gmv_by_currency"] == {"USD": "15.00"}
    assert report["rejected"] == []


def test_a_rejected_copy_counted_since_corrected_is_listed_as_corrected(tmp_path: Path) -> None:
    """5 (B): an item rejected and then sent again corrected (and counted) was listed as
    rejected only: a refund taken off read as one never counted. Now its listing says it
    was corrected since, in the text, the --json and the page; a copy sent after the counted
    one (changed, or bad) is not said to be corrected."""
    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    line = (OrderLine("MUG", 2, Decimal("10.00")),)
    store.write_batch(_SHOP, [Order(_SHOP, "5001", "USD", Decimal("20.001"), line)], None, 1.0)
    store.write_batch(_SHOP, [Order(_SHOP, "5001", "USD", Decimal("20.00"), line)], None, 2.0)
    store.write_batch(_SHOP, [_refund("5.00", "EUR")], None, 3.0)
    store.write_batch(_SHOP, [_refund("5.00", "USD")], None, 4.0)
    store.write_batch(_SHOP, [Order(_SHOP, "5002", "USD", Decimal("7.00"), line)], None, 5.0)
    store.write_batch(_SHOP, [Order(_SHOP, "5002", "USD", Decimal("7.001"), line)], None, 6.0)
    store.write_batch(_SHOP, [Order(_SHOP, "5002", "USD", Decimal("8.00"), line)], None, 7.0)
    store.close()
    report = build_report(session)
    listed = {(r["id"], r["reason"]): r["corrected_since"] for r in report.to_json()["rejected"]}
    assert listed == {
        ("5001", "amount_too_precise"): True,
        ("5001:refund:900", "update_currency_differs"): True,
        ("5002", "amount_too_precise"): False,
        ("5002", "order_changed"): False,
    }
    assert report.to_json()["gmv_by_currency"] == {"USD": "22.00"}
    text = report_text(report, "en")
    corrected = [row for row in text.splitlines() if "corrected since" in row]
    assert len(corrected) == 2 and all("5001" in row for row in corrected)
    assert html.unescape(report_html(report, "en")).count("corrected since") == 2


class _TwoGraphQLShopsOneBridge(ShopifyGraphQLServer):
    """One bridge address serving two shops' GraphQL, chosen by ``?shop=a`` / ``?shop=b``."""

    def __init__(self) -> None:
        super().__init__()
        self.b = ShopifyGraphQLServer()

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if query.get("shop") == "b":
            return self.b.handle(method, path, query, headers, body)
        return super().handle(method, path, query, headers, body)


def test_graphql_asks_the_bridge_for_the_shop_its_address_chooses(tmp_path: Path) -> None:
    """1 (A), GraphQL: the endpoint was made from the address without its query, so a feed
    at ``https://bridge/?shop=b`` asked the bridge's default shop (a's orders read under b's
    name: counted twice once a and b are two feeds). Its query is asked as REST's is."""
    session = tmp_path / "s.adsession"
    with _TwoGraphQLShopsOneBridge() as bridge:
        bridge.add_order([("MUG", 1, "10.00")])
        bridge.b.add_order([("CAP", 1, "7.00")])
        bridge.b.add_order([("CAP", 2, "7.00")])
        for shop, orders in (("a", 1), ("b", 3)):
            shopify_until(
                f"{bridge.shop_url}/?shop={shop}",
                bridge.static_token,
                session,
                lambda n=orders: _report(session)["orders"] == n if session.exists() else False,
            )
    report = _report(session)
    assert report["orders"] == 3
    assert report["gmv_by_currency"] == {"USD": "31.00"}
    assert report["rejected"] == []


def _keyed(refund_id: str, amount: str, at: str, units: int = 0) -> OrderUpdate:
    lines = (RefundLine("MUG", units),) if units else ()
    return OrderUpdate(
        _SHOP, "5001", "refunded", Decimal(amount), "USD", refund_id=refund_id, lines=lines, at=at
    )


def test_refunds_keyed_by_id_and_by_place_in_one_order_switching_between_polls_count_once(
    tmp_path: Path,
) -> None:
    """6: an order's refunds, one sent with its id and one without (keyed by its place),
    then each the other way round (a proxy dropping ids put in or taken away), then both
    with ids and the second changed: each refund counted once ($5.00 + $3.00 off), the
    changed copy listed, never counted."""
    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    line = (OrderLine("MUG", 2, Decimal("10.00")),)
    first_at, second_at = "2026-11-28T20:01:00Z", "2026-11-28T20:02:00Z"
    store.write_batch(_SHOP, [Order(_SHOP, "5001", "USD", Decimal("20.00"), line)], None)
    polls = [
        [_keyed("900", "5.00", first_at, 1), _keyed("#2", "3.00", second_at)],
        [_keyed("#1", "5.00", first_at, 1), _keyed("901", "3.00", second_at)],
        [_keyed("900", "5.00", first_at, 1), _keyed("901", "4.00", second_at)],
        [_keyed("#1", "5.00", first_at, 1), _keyed("#2", "3.00", second_at)],
    ]
    for poll in polls:
        store.write_batch(_SHOP, poll, None)
    store.close()
    report = _report(session)
    assert report["gmv_by_currency"] == {"USD": "12.00"}
    assert report["units"] == 1
    assert [r["reason"] for r in report["rejected"]] == ["update_changed"]
