"""Hostile round twenty-four, the Shopify feeds (hunt24shop): REST and GraphQL read by one
rule, against the real local test shops (tests/feeds), a real FeedHub and StoreWriter, and the
report read from the session file. Each behaviour test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.store import SessionStore, StoreWriter
from anchordesk.store.report import build_report

from ..feed_parts import shopify_until
from ..shop_parts import GraphQLRefundsWithoutId


def _stored(session: Path) -> int:
    """Orders and rejected items the session holds."""
    if not session.exists():
        return 0
    store = SessionStore(session)
    try:
        return store.count("orders") + store.count("rejected_items")
    finally:
        store.close()


def _updates(session: Path) -> int:
    if not session.exists():
        return 0
    store = SessionStore(session)
    try:
        return store.count("order_updates")
    finally:
        store.close()


def _run_until(url: str, token: str, session: Path, done: Callable[[], bool]) -> None:
    """The app's feeds (a hub and a writer, as a launch) on ``session`` until ``done``."""
    shopify_until(url, token, session, done)


def _one_order_in(api: str, currency: str, session: Path) -> None:
    """One order of one $2.00 line in ``currency``, read from a shop speaking ``api``."""
    if api == "graphql":
        with ShopifyGraphQLServer() as graphql:
            graphql.add_order([("MUG", 1, "2.00")], currency=currency)
            _run_until(graphql.shop_url, graphql.static_token, session, lambda: _stored(session))
    else:
        with ShopifyOrdersServer() as rest:
            rest.add_order([("MUG", 1, "2.00")], currency=currency)
            _run_until(rest.url, rest.token, session, lambda: _stored(session))


@pytest.mark.parametrize("api", ["graphql", "rest"])
@pytest.mark.parametrize("currency", ["ıls", "uß"])
def test_a_currency_that_upper_cases_into_a_code_is_rejected_by_both_shopify_apis(
    tmp_path: Path, api: str, currency: str
) -> None:
    """F1 (leftover): a shop's currency "ıls" (dotless i) or "uß" upper-cases into ILS or
    USS. GraphQL upper-cased whatever came and counted the order, $2.00 as 2.00 ILS (a
    currency the shop never wrote), while REST rejected it as the documented rule says
    (feed-protocol.md: three letters A-Z, "cny" read as CNY, anything else currency_invalid).
    Now both read it by the one rule (show/validate.currency_code): kept as rejected, with
    why, and counted in the report."""
    session = tmp_path / "s.adsession"
    _one_order_in(api, currency, session)
    report = build_report(session)
    assert report.orders == 0
    assert report.ledger.gmv_by_currency == {}
    [rejected] = report.rejected
    assert rejected.reason == "currency_invalid"
    assert repr(currency) in rejected.detail


@pytest.mark.parametrize("api", ["graphql", "rest"])
def test_a_lower_case_code_is_read_as_its_code_by_both_shopify_apis(
    tmp_path: Path, api: str
) -> None:
    """ "usd" is USD (the documented rule), the same through REST and GraphQL."""
    session = tmp_path / "s.adsession"
    _one_order_in(api, "usd", session)
    report = build_report(session)
    assert report.orders == 1
    assert report.ledger.gmv_by_currency == {"USD": Decimal("2.00")}
    assert report.rejected == []


def test_two_graphql_refunds_of_one_amount_without_ids_are_both_counted(tmp_path: Path) -> None:
    """F2: an order of $20.00 refunded $5.00 twice, each refund without an id: GraphQL keyed a
    refund without an id by its amount, so the second was "the first sent again" and dropped
    unsaid (GMV 15.00, nothing rejected), while REST keys it by its place in the order's
    refunds (round fifteen). Now both by the one rule: GMV 10.00."""
    session = tmp_path / "s.adsession"
    with GraphQLRefundsWithoutId() as shop:
        order = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(order, "5.00", [])
        shop.refund(order, "5.00", [])
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _updates(session) >= 2 or len(shop.queries) >= 6,
        )
    report = build_report(session)
    assert report.ledger.gmv_by_currency == {"USD": Decimal("10.00")}
    assert report.rejected == []


class _QuotesTheToken(ShopifyGraphQLServer):
    """A shop (a proxy before it) whose refusal to read an order again quotes the request: the
    access token, bare and in a URL's query."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if b"order(id:" not in body:
            return super().handle(method, path, query, headers, body)
        self.queries.append(json.loads(body))
        token = headers.get("x-shopify-access-token", "")
        message = (
            f"Access token {token} may not read this order: see "
            f"https://shop.example/admin/orders/5001?access_token={token}"
        )
        return Reply(200, json.dumps({"errors": [{"message": message}], "data": None}).encode())


def test_a_shops_refusal_quoting_the_access_token_keeps_it_out_of_the_session(
    tmp_path: Path,
) -> None:
    """F3: an order of 60 lines (read in part, then again by its id) whose rest the shop
    refuses three times, its message quoting the access token: the order was kept as rejected
    with the shop's words as they came, the token in them, bare and in a URL, written in the
    session file and printed by the report (which masks nothing). Now the shop's words are
    masked by the one rule before they are a reason."""
    session = tmp_path / "s.adsession"
    with _QuotesTheToken() as shop:
        shop.add_order([(f"SKU-{n}", 1, "2.00") for n in range(60)])
        _run_until(shop.shop_url, shop.static_token, session, lambda: _stored(session))
        token = shop.static_token
    [rejected] = build_report(session).rejected
    assert rejected.detail.startswith("Shopify refused to read the rest of it: Access token ****")
    assert token not in rejected.detail
    assert token.encode() not in session.read_bytes()


def test_an_orders_lines_read_page_after_page_past_the_cap_together_are_not_held(
    tmp_path: Path,
) -> None:
    """F4: an order of 500 lines of 60 kB each (a 30 kB SKU and its title: a shop's bad data,
    or a hostile one): every page of its lines (100 lines, 6 MB) is under the 8 MB cap, so the
    order was read alone page after page and all of it kept until the last, 30 MB here; 10,000
    such lines held 600 MB and the app gigabytes (measured: 2,000 lines of 80 kB, 691 MB)
    before it was counted. Now an order whose lines together are larger than an answer may be
    is kept as rejected, as one past the cap, once its pages read pass the cap: two calls for
    its lines, not five."""
    session = tmp_path / "s.adsession"
    sku = "S" * 30_000
    with ShopifyGraphQLServer() as shop:
        shop.add_order([(sku, 1, "2.00")] * 500)
        _run_until(shop.shop_url, shop.static_token, session, lambda: _stored(session))
        alone_calls = sum("order(id:" in query["query"] for query in shop.queries)
    report = build_report(session)
    assert report.orders == 0
    [rejected] = report.rejected
    assert "the order alone is larger than the 8 MB" in rejected.detail
    assert "its lines read page after page" in rejected.detail
    assert alone_calls <= 2


class _ErrsAboutOneOrder(ShopifyGraphQLServer):
    """GraphQL's partial answer, on every call: order 5002's refunds could not be read, so they
    are null and an error names them by its ``path`` (``["orders", "nodes", 1, "refunds"]``,
    or ``["o0", "refunds"]`` when the order is asked by its id); the other orders whole."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            return reply
        orders = data.get("orders")
        places = (
            [(["orders", "nodes", n], node) for n, node in enumerate(orders["nodes"])]
            if isinstance(orders, dict)
            else [([alias], node) for alias, node in data.items()]
        )
        errors = []
        for where, node in places:
            if isinstance(node, dict) and node.get("legacyResourceId") == "5002":
                node["refunds"] = None
                errors.append(
                    {
                        "message": "Internal error. Looks like something went wrong on our end.",
                        "path": [*where, "refunds"],
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                )
        if errors:
            answer["errors"] = errors
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


def test_an_error_about_one_order_of_a_page_does_not_stop_the_others(tmp_path: Path) -> None:
    """F5: a page of orders 5001-5003 whose answer names an error about order 5002 alone (its
    ``path``), on every call. The whole page was a failed call, asked again for good: no order
    of the show counted, nothing rejected, the feed "retrying". Now the other orders are
    counted, and 5002 is read again by its id, refused, and kept as rejected with the shop's
    words."""
    session = tmp_path / "s.adsession"
    with _ErrsAboutOneOrder() as shop:
        for _ in range(3):
            shop.add_order([("MUG", 1, "2.00")])
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _stored(session) >= 3 or len(shop.queries) >= 12,
        )
    report = build_report(session)
    assert report.orders == 2
    assert report.ledger.gmv_by_currency == {"USD": Decimal("4.00")}
    [rejected] = report.rejected
    assert rejected.item_id == "5002"
    assert "Internal error. Looks like something went wrong on our end." in rejected.detail


class _TokensExpiringAtOnce(ShopifyOrdersServer):
    """Shopify REST whose client-credentials answer says the token expires at once
    (``expires_in`` 0 or below: a broken proxy or app)."""

    def __init__(self, expires_in: int) -> None:
        super().__init__()
        self.expires_in = expires_in

    def respond_post(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        reply = super().respond_post(path, headers, body)
        if reply.status != 200:
            return reply
        answer = {**json.loads(reply.body), "expires_in": self.expires_in}
        return Reply(200, json.dumps(answer).encode(), reply.headers)


@pytest.mark.parametrize("expires_in", [0, -1])
def test_a_token_expiring_at_once_is_sent_before_another_is_fetched(
    tmp_path: Path, expires_in: int
) -> None:
    """F6: the REST adapter with the app's client credentials, the token answer saying
    ``expires_in`` 0 (or -1): the token was "due" again at once, so every call fetched a new
    one, at once (a token page asks for the next call at once): 52 tokens in 3 s and no order
    read for the whole show. Now a token fetched is sent once before another is fetched (as
    GraphQL's are): the order is read, one token a call at most."""
    session = tmp_path / "s.adsession"
    with _TokensExpiringAtOnce(expires_in) as shop:
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
                if _stored(session) or len(shop.issued) >= 30:
                    break
            stop.set()
            await task

        try:
            asyncio.run(run())
        finally:
            writer.close()
        orders_calls = sum(1 for request in shop.requests if "orders.json" in request[0])
    assert build_report(session).orders == 1
    assert len(shop.issued) <= orders_calls + 1


class _IdsAs(ShopifyOrdersServer):
    """Shopify REST whose orders' ids are sent as ``ids`` gives them (a proxy writing them as
    strings, a broken app's -1)."""

    def __init__(self, ids: list[object]) -> None:
        super().__init__()
        self.ids = ids

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        answer = json.loads(reply.body)
        for order in answer.get("orders", []) if isinstance(answer, dict) else []:
            order["id"] = self.ids[int(order["name"].removeprefix("#")) - 1000]
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


def test_rest_orders_without_a_readable_id_are_each_rejected_once_with_why(
    tmp_path: Path,
) -> None:
    """F7 (B): three REST orders whose ids are no order ids ("abc", -1, 0), none cancelled
    nor refunded. The newest, read again by the updates window, was also kept as a rejected
    update (4 rejected items for 3 orders, an update nobody sent); -1 and 0 were said "id
    past 64 bits". Now each is one rejected item, said as it is (round 32: an id sent is
    named; "5000000007" as a string is an id)."""
    session = tmp_path / "s.adsession"
    with _IdsAs(["abc", -1, 0]) as shop:
        for _ in range(3):
            shop.add_order([("MUG", 1, "2.00")])
        _run_until(
            shop.url, shop.token, session, lambda: len(shop.requests) >= 3 and _stored(session)
        )
    report = build_report(session)
    assert report.orders == 0
    assert sorted((item.kind, item.detail) for item in report.rejected) == [
        ("order", 'id "abc" is not an order id'),
        ("order", "id -1 is not an order id"),
        ("order", "id 0 is not an order id"),
    ]
