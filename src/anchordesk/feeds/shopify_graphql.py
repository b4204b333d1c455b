"""Shopify orders through the GraphQL Admin API — orders created or updated since the cursor —
with a static access token or the client-credentials grant (tokens that expire, refreshed
before they do).

Why this shape:
- REST is legacy for Shopify since 2024-10; the GraphQL Admin API is where new apps live. The
  API version is chosen in one place (``SHOPIFY_API_VERSION``: a stable version, supported for
  at least twelve months from its release).
- One query reads the show's orders by ``updated_at`` (``sortKey: UPDATED_AT``): a new order
  and a later cancellation or refund of it are both "an order updated since the cursor", so
  cancellations and refunds arrive as ``OrderUpdate`` items with no second kind of call.
  ``created_at`` from the session's start keeps the shop's older orders out of the show.
- The cursor is the newest ``updatedAt`` of a finished window (inclusive: the last order comes
  again and is dropped by id). Pages of one window follow ``pageInfo.endCursor`` in memory;
  the stored cursor moves only when the window is complete, so a crash half-way asks for the
  whole window again (orders and updates are idempotent by id).
- Tokens: a static token (``shpat_…``, keyring user ``shopify-orders``), or the app's client
  id and secret (keyring users ``shopify-orders-client-id`` and ``shopify-orders-client-secret``)
  exchanged at ``POST /admin/oauth/access_token`` (``grant_type=client_credentials``) and
  refreshed before it expires and on a 401 — ``ShopifyAccessToken`` (shopify_token.py), the
  one implementation both Shopify adapters use.
- GraphQL's own rate limit (``extensions.cost.throttleStatus``) decides the wait when the
  bucket runs low, and a ``THROTTLED`` answer waits until the bucket has refilled.

Order ids are the orders' ``legacyResourceId`` — the same ids as the REST adapter's, so a shop
that moves from one to the other keeps one set of ids.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from anchordesk.core.printable import escape_controls
from anchordesk.feeds.parsing import (
    as_text,
    fields_of,
    iso_time,
    load_json,
    money,
    optional_id,
    readable,
    refund_amount,
    server_time,
    unreadable_item,
)
from anchordesk.feeds.poller import (
    WINDOW_RECORDS_KEPT,
    BackoffPolicy,
    FeedEnded,
    FeedRequest,
    MalformedResponse,
    Page,
)
from anchordesk.feeds.shopify_token import ShopifyAccessToken
from anchordesk.feeds.status import AdapterStatus
from anchordesk.show.feed_items import FeedItem, Order, OrderLine, OrderUpdate, RefundLine

log = logging.getLogger(__name__)

# The longest the poller waits between two calls whatever a server asks (its ceiling): a
# throttle wait is said and taken within it. A restoreRate of 1e-300 made the feed's status
# read "throttled by Shopify: waiting 4999…(300 digits) s" while it waited 60 s.
_LONGEST_WAIT_S = BackoffPolicy().max_interval_s

# The one place the GraphQL Admin API version is chosen (a stable, supported release).
SHOPIFY_API_VERSION = "2026-07"
SHOPIFY_ORDERS_PER_PAGE = 100

ORDERS_QUERY = """
query AnchorDeskOrders($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      createdAt
      updatedAt
      cancelledAt
      currencyCode
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 100) {
        nodes {
          id
          sku
          title
          quantity
          originalUnitPriceSet { shopMoney { amount currencyCode } }
        }
      }
      refunds(first: 50) {
        id
        createdAt
        totalRefundedSet { shopMoney { amount currencyCode } }
        refundLineItems(first: 100) { nodes { quantity lineItem { id sku } } }
      }
    }
  }
}
""".strip()


def graphql_endpoint(url: str) -> str:
    """``https://SHOP.myshopify.com`` (or any URL on the shop) → the GraphQL endpoint of the
    chosen version; a URL already naming ``…/admin/api/VERSION/graphql.json`` is kept."""
    parts = urlsplit(url)
    if parts.path.endswith("/graphql.json"):
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return urlunsplit(
        (parts.scheme, parts.netloc, f"/admin/api/{SHOPIFY_API_VERSION}/graphql.json", "", "")
    )


def _legacy_id(gid: object) -> str:
    text = as_text(gid)
    return text.rsplit("/", 1)[-1] if text else ""


def _shop_money(money_set: object) -> tuple[Decimal, str]:
    if not isinstance(money_set, dict):
        raise ValueError("no money")
    shop = money_set["shopMoney"]
    return money(shop["amount"]), as_text(shop.get("currencyCode")).upper()


def _same_currency(currency: str, named: str) -> None:
    """Each amount names its currency: one in another than its order's would be added into the
    order's (a ¥2,400 line as $2,400 of the product's sales, a € total as $): never summed."""
    if named and named != currency:
        raise ValueError(f"amounts in {currency[:8]!r} and {named[:8]!r}")


def _nodes(connection: object) -> list[Any]:
    if connection is None:
        return []
    if not isinstance(connection, dict):
        raise ValueError("not a connection")
    nodes = connection.get("nodes")
    if nodes is None:
        # An edge that is not an object is kept as the node: that order is rejected, not the
        # whole page (which would be asked for again forever).
        edges = connection.get("edges") or []
        if not isinstance(edges, list):
            raise ValueError("edges is not a list")
        nodes = [edge.get("node") if isinstance(edge, dict) else edge for edge in edges]
    if not isinstance(nodes, list):
        raise ValueError("nodes is not a list")
    return nodes


def _count(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"bad {name}")
    return value


class ShopifyGraphQLOrdersAdapter:
    """Orders and their cancellations and refunds, from ``POST …/graphql.json``.

    ``token`` is a static Admin API access token; ``client_id``/``client_secret`` switch to the
    client-credentials grant (they win over a static token). ``clock`` is monotonic seconds.
    """

    default_interval_s = 2.0

    def __init__(
        self,
        url: str,
        token: str | None,
        source: str = "shopify-orders",
        created_at_min: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.endpoint = graphql_endpoint(url)
        self.token = ShopifyAccessToken(
            self.endpoint, token, client_id=client_id, client_secret=client_secret, clock=clock
        )
        self.token_endpoint = self.token.token_endpoint
        self.uses_client_credentials = self.token.uses_client_credentials
        self._created_at_min = created_at_min
        self._next = "token" if self.token.due() else "orders"
        self._page_after: str | None = None  # endCursor within the current window
        self._window_high = ""  # newest updatedAt seen in the current window
        # Where the window starts when later than the stored cursor: a window whose next page
        # was refused goes on from what its read pages hold (see _page_refused).
        self._window_from = ""
        # Hashes of (id, updatedAt) of the orders the current window has read, bounded: whether
        # a page read orders not read before (Page.read_new_records) when none is a new item.
        self._window_read: set[int] = set()
        self.orders_seen = 0
        self._note = ""

    @property
    def token_refreshes(self) -> int:
        return self.token.fetched

    def secrets(self) -> tuple[str, ...]:
        return self.token.secrets()

    def status(self) -> AdapterStatus:
        parts = [f"GraphQL Admin API {SHOPIFY_API_VERSION}"]
        if self.token.describe():
            parts.append(self.token.describe())
        if self._note:
            parts.append(self._note)
        return AdapterStatus(note="; ".join(parts))

    # -- requests ---------------------------------------------------------------------------

    def request(self, cursor: str | None) -> FeedRequest:
        if self._next == "token":
            return self.token.request()
        filters = []
        since = max(cursor or "", self._window_from)
        if since:
            filters.append(f"updated_at:>='{since}'")
        if self._created_at_min:
            filters.append(f"created_at:>='{self._created_at_min}'")
        variables: dict[str, object] = {
            "first": SHOPIFY_ORDERS_PER_PAGE,
            "after": self._page_after,
            "query": " AND ".join(filters),
        }
        payload = json.dumps({"query": ORDERS_QUERY, "variables": variables}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Shopify-Access-Token": self.token.value,
        }
        return FeedRequest(self.endpoint, {}, headers, method="POST", content=payload)

    def ended_reason(self, response: httpx.Response) -> str | None:
        status = response.status_code
        if self._next == "token":
            return self.token.refused_reason(response)
        if status == 401:
            if self.token.rejected():
                # Expired or revoked early: fetch a new token, then ask again.
                self._next = "token"
                log.info("feed %s: the access token was refused; fetching a new one", self.source)
                return None
            return "Shopify refused the access token (HTTP 401): set a new one in the keyring"
        if status == 403:
            return "Shopify: the app may not read orders (HTTP 403: it needs read_orders)"
        if status == 404:
            return f"Shopify: no GraphQL Admin API at this address (HTTP 404, {self.endpoint})"
        if 400 <= status < 500 and status != 429:
            self._page_refused()
        return None

    def _page_refused(self) -> None:
        """The call for the window's next page was refused (\"Invalid cursor for current
        pagination query\", a 400): the next call starts a new window where the pages read end.

        The window's ``endCursor`` was asked again and again, refused each time, for the rest of
        the show: no order after it, new ones neither, was ever read. Orders come sorted by
        ``updatedAt``, so every order before the newest one read has been read: a window from
        there (inclusive, the boundary order dropped by id) loses none."""
        if self._page_after is None:
            return
        log.info(
            "feed %s: Shopify refused the next page's cursor; reading on from the orders read",
            self.source,
        )
        self._window_from = max(self._window_from, self._window_high)
        self._page_after = None
        self._window_high = ""
        self._window_read.clear()

    # -- responses --------------------------------------------------------------------------

    def parse(self, response: httpx.Response, cursor: str | None) -> Page:
        body = load_json(
            response, items_at=[("data", "orders", "nodes"), ("data", "orders", "edges")]
        )
        if not isinstance(body, dict):
            raise MalformedResponse("expected a JSON object")
        if self._next == "token":
            return self._token_page(body)
        return self._orders_page(body, cursor, server_time(response))

    def _token_page(self, body: Mapping[str, Any]) -> Page:
        self.token.accept(body)
        self._next = "orders"
        log.info("feed %s: access token fetched (client credentials)", self.source)
        return Page(items=(), cursor=None, more=True, advanced=True)

    def _orders_page(
        self, body: Mapping[str, Any], cursor: str | None, server_now: datetime | None
    ) -> Page:
        errors = body.get("errors")
        if errors:
            codes = (
                [
                    as_text((error.get("extensions") or {}).get("code"))
                    for error in errors
                    if isinstance(error, dict)
                ]
                if isinstance(errors, list)
                else []
            )
            if "THROTTLED" in codes:
                wait = self._throttle_wait(body, throttled=True)
                self._note = f"throttled by Shopify: waiting {wait:.1f} s"
                return Page(items=(), cursor=None, interval_s=wait)
            if "ACCESS_DENIED" in codes:
                raise FeedEnded("Shopify: the app may not read orders (ACCESS_DENIED)")
            self._page_refused()
            raise MalformedResponse(f"GraphQL errors: {_errors_said(errors)}")
        try:
            orders = body["data"]["orders"]
            nodes = _nodes(orders)
            page_info = orders.get("pageInfo")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise MalformedResponse("expected data.orders with nodes") from None
        if not isinstance(page_info, dict):
            # Read as absent: the last page of its window (the next window, from the newest
            # updatedAt read, brings any later page's orders). A "pageInfo" of "x" or [] raised
            # AttributeError out of the page, asked again for ever: none of its orders, nor any
            # after it, was read.
            page_info = {}
        items: list[FeedItem] = []
        malformed = 0
        read_new = False
        for node in nodes:
            fields = fields_of(node)
            record = hash((as_text(fields.get("id")), as_text(fields.get("updatedAt"))))
            if record not in self._window_read and len(self._window_read) < WINDOW_RECORDS_KEPT:
                self._window_read.add(record)
                read_new = True
            try:
                order = self._order(readable(node))  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                malformed += 1
                # Kept as rejected, with why (the hub logs it once, the report lists it), as
                # the other feeds do: never silently dropped.
                items.append(unreadable_item(self.source, node, error, "order"))
            else:
                items.append(order)
                try:
                    items.extend(self._updates(node, order))
                except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                    # The order's cancellation and refunds as one rejected item; the sale
                    # itself is still kept. One unreadable refund (an amount of 1e999999999, a
                    # quantity of "1") made the whole order rejected: a paid sale not counted.
                    malformed += 1
                    items.append(unreadable_item(self.source, node, error, "order_update"))
            updated = as_text(fields_of(node).get("updatedAt"))
            # ISO 8601 UTC strings from one server sort as times. An order stamped in the
            # future moves no cursor (server_time): the window would jump there and every
            # order of the hours in between would never be asked for. It comes again on each
            # poll and is kept once, by its id.
            if updated > self._window_high and not _after(updated, server_now):
                self._window_high = updated
        self.orders_seen += len(nodes) - malformed
        if page_info.get("hasNextPage") is True and page_info.get("endCursor"):
            after = as_text(page_info["endCursor"])
            # A server repeating its end cursor is not progress (that would loop at once).
            advanced, self._page_after = after != self._page_after, after
            return Page(
                items=items,
                cursor=None,
                more=True,
                advanced=advanced,
                read_new_records=read_new,
                malformed_items=malformed,
            )
        self._page_after = None
        new_cursor = self._window_high if self._window_high > (cursor or "") else None
        self._window_high = ""
        self._window_read.clear()
        self._window_from = ""
        self._note = ""
        if self.token.due():
            self._next = "token"
        return Page(
            items=items,
            cursor=new_cursor,
            interval_s=self._throttle_wait(body, throttled=False),
            malformed_items=malformed,
        )

    def _throttle_wait(self, body: Mapping[str, Any], *, throttled: bool) -> float | None:
        """How long until the query's cost is back in the bucket (None: the usual interval)."""
        try:
            cost = body["extensions"]["cost"]
            status = cost["throttleStatus"]
            available = float(status["currentlyAvailable"])
            maximum = float(status["maximumAvailable"])
            rate = float(status["restoreRate"])
            requested = float(cost.get("requestedQueryCost") or 0)
        except (KeyError, TypeError, ValueError, OverflowError):
            # OverflowError: a 401-digit integer (JSON allows it) is no bucket Shopify keeps;
            # it escaped, and every page failed "unexpected error (OverflowError)", its orders
            # never counted.
            return self.default_interval_s * 2 if throttled else None
        if rate <= 0:
            return None
        if throttled:
            return min(
                max(self.default_interval_s, (requested - available) / rate), _LONGEST_WAIT_S
            )
        # Keep the bucket at least half full: other apps of the shop share it.
        if available >= maximum / 2:
            return None
        return min(max(self.default_interval_s, (maximum / 2 - available) / rate), _LONGEST_WAIT_S)

    def _order(self, node: Mapping[str, Any]) -> Order:
        order_id = as_text(node.get("legacyResourceId")) or _legacy_id(node["id"])
        if not order_id:
            raise ValueError("no id")
        total, total_currency = _shop_money(node["totalPriceSet"])
        currency = (as_text(node.get("currencyCode")) or total_currency).upper()
        _same_currency(currency, total_currency)
        lines = []
        for line in _nodes(node.get("lineItems")):
            unit_price, line_currency = _shop_money(line["originalUnitPriceSet"])
            _same_currency(currency, line_currency)
            lines.append(
                OrderLine(
                    sku=as_text(line.get("sku")).strip(),
                    quantity=_count(line["quantity"], "quantity"),
                    unit_price=unit_price,
                    title=as_text(line.get("title")),
                )
            )
        return Order(
            source=self.source,
            id=order_id,
            currency=currency,
            total_price=total,
            lines=tuple(lines),
            created_at=as_text(node.get("createdAt")),
        )

    def _updates(self, node: Mapping[str, Any], order: Order) -> list[OrderUpdate]:
        updates: list[OrderUpdate] = []
        cancelled_at = node.get("cancelledAt")
        if cancelled_at:
            updates.append(
                OrderUpdate(
                    self.source,
                    order.id,
                    "cancelled",
                    None,
                    order.currency,
                    at=as_text(cancelled_at),
                )
            )
        refunds = node.get("refunds") or []
        if not isinstance(refunds, list):
            raise ValueError("refunds is not a list")
        for refund in refunds:
            amount, currency = _shop_money(refund["totalRefundedSet"])
            lines = [
                RefundLine(
                    as_text((item.get("lineItem") or {}).get("sku")).strip(),
                    _count(item["quantity"], "refund quantity"),
                )
                for item in _nodes(refund.get("refundLineItems"))
            ]
            updates.append(
                OrderUpdate(
                    self.source,
                    order.id,
                    "refunded",
                    refund_amount(amount),
                    currency or order.currency,
                    refund_id=_legacy_id(optional_id(refund.get("id"), "refund id")),
                    lines=tuple(lines),
                    at=as_text(refund.get("createdAt")),
                )
            )
        return updates


def _after(updated: str, server_now: datetime | None) -> bool:
    """``updated`` (ISO 8601) is later than the server's own clock."""
    if server_now is None:
        return False
    when = iso_time(updated)
    return when is None or when > server_now  # no time at all moves no cursor either


def _errors_said(errors: object) -> str:
    """GraphQL ``errors`` as the feed's status says them: their messages (a shop's words,
    in its language), on one line, control characters escaped, cut to 200 characters.
    As ``json.dumps`` wrote them, a Chinese shop's message read "\\u65e0\\u6548…"."""
    messages = (
        [
            as_text(error.get("message"))
            for error in errors
            if isinstance(error, dict) and error.get("message")
        ]
        if isinstance(errors, list)
        else []
    )
    said = "; ".join(messages) or json.dumps(errors, ensure_ascii=False)
    return escape_controls(" ".join(said.split()))[:200]
