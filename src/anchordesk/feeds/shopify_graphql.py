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
- The cursor is the newest ``updatedAt`` read and stored (inclusive: the last order comes
  again and is dropped by id). Pages of one window follow ``pageInfo.endCursor`` in memory,
  one query (``updated_at:>=`` fixed for the window); the stored cursor moves with a page only
  once every order up to it is stored, so a crash half-way asks from there again (orders and
  updates are idempotent by id).
- Tokens: a static token (``shpat_…``, keyring user ``shopify-orders``), or the app's client
  id and secret (keyring users ``shopify-orders-client-id`` and ``shopify-orders-client-secret``)
  exchanged at ``POST /admin/oauth/access_token`` (``grant_type=client_credentials``) and
  refreshed before it expires and on a 401 — ``ShopifyAccessToken`` (shopify_token.py), the
  one implementation both Shopify adapters use.
- GraphQL's own rate limit (``extensions.cost.throttleStatus``) decides the wait when the
  bucket runs low, and a ``THROTTLED`` answer waits until the bucket has refilled.
- Shopify refuses any query whose requested cost is above 1000 points: the queries, their
  page sizes and their cost are in shopify_graphql_query.py. Orders with more than the
  orders query reads are read again, several at a call (``order(id:)`` under aliases), or
  alone when they have more still (its lines page after page), before they are counted; a
  refusal for cost is asked again at once with smaller pages, which grow back once they fit.

Order ids are the orders' ``legacyResourceId`` — the same ids as the REST adapter's, so a shop
that moves from one to the other keeps one set of ids.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from anchordesk.core.printable import escape_controls
from anchordesk.feeds.parsing import (
    as_text,
    fields_of,
    iso_time,
    load_json,
    number_as_float,
    server_time,
)
from anchordesk.feeds.poller import (
    WINDOW_RECORDS_KEPT,
    BackoffPolicy,
    FeedEnded,
    FeedRequest,
    MalformedResponse,
    Page,
)
from anchordesk.feeds.shopify_graphql_again import Read, ReadAgain
from anchordesk.feeds.shopify_graphql_orders import (
    end_cursor,
    error_codes,
    errors_said,
    nodes_named,
    nodes_of,
    order_number,
    read_in_part,
    read_order,
    rejected,
    too_large_alone,
)
from anchordesk.feeds.shopify_graphql_query import (
    GROW_AFTER_PAGES,
    ORDER_IDS_QUERY,
    ORDER_PAGE,
    ORDER_SMALLEST,
    ORDERS_PAGE,
    ORDERS_QUERY,
    SHOPIFY_MAX_QUERY_COST,
    requested_cost,
    smaller,
)
from anchordesk.feeds.shopify_token import ShopifyAccessToken
from anchordesk.feeds.status import AdapterStatus
from anchordesk.show.feed_items import FeedItem

log = logging.getLogger(__name__)

# The longest the poller waits between two calls whatever a server asks (its ceiling): a
# throttle wait is said and taken within it. A restoreRate of 1e-300 made the feed's status
# read "throttled by Shopify: waiting 4999…(300 digits) s" while it waited 60 s.
_LONGEST_WAIT_S = BackoffPolicy().max_interval_s

# The one place the GraphQL Admin API version is chosen (a stable, supported release).
SHOPIFY_API_VERSION = "2026-07"


def graphql_endpoint(url: str) -> str:
    """``https://SHOP.myshopify.com`` (or any URL on the shop) → the GraphQL endpoint of the
    chosen version; a URL already naming ``…/admin/api/VERSION/graphql.json`` is kept."""
    parts = urlsplit(url)
    if parts.path.endswith("/graphql.json"):
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return urlunsplit(
        (parts.scheme, parts.netloc, f"/admin/api/{SHOPIFY_API_VERSION}/graphql.json", "", "")
    )


def rest_cursor_read(cursor: str) -> str:
    """The stored cursor as this adapter's (the newest ``updatedAt`` read). A session read
    through REST and continued through GraphQL is one feed of the shop (store/
    session_feeds.py shopify_shop): REST's cursor ``"SINCE_ID|UPDATED_AT"`` is its changes'
    time (its orders since then come again, each kept once); one without a time (``SINCE_ID``)
    asks from the session's start. Read as a time, the query asked for orders updated since
    ``'5001|…'``, which no order ever is."""
    since, separator, updated = cursor.partition("|")
    if separator:
        return updated
    return "" if since.isdecimal() else cursor


def later_than_cursor(high: str, cursor: str | None) -> bool:
    """Whether ``high`` (the newest ``updatedAt`` read) is later than the stored cursor's
    time (:func:`rest_cursor_read`: REST's ``"SINCE_ID|UPDATED_AT"`` too), compared as times.
    Compared as text, ``"2026-…"`` was never past REST's ``"5001|…"``: a session read
    through REST and continued through GraphQL never stored a GraphQL cursor, and every poll
    read again every order since the switch."""
    new = iso_time(high)
    if new is None:
        return False
    stored = iso_time(rest_cursor_read(cursor or ""))
    return stored is None or new > stored


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
        # The address's own query, asked with every call as REST asks it (feeds/shopify.py):
        # a bridge serving several shops on one address chooses one by it (?shop=b). Left
        # off, a feed at ``https://bridge/?shop=b`` read the bridge's default shop under b's
        # name (store/session_feeds.py shopify_shop keeps the query: two feeds, one shop's
        # orders counted twice).
        self._query = dict(parse_qsl(urlsplit(url.strip()).query, keep_blank_values=True))
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
        # The updated_at:>= of the window's pages (the stored cursor moves within a window: the
        # query of its next pages does not).
        self._window_since = ""
        # Hashes of (id, updatedAt) of the orders the current window has read, bounded: whether
        # a page read orders not read before (Page.read_new_records) when none is a new item.
        self._window_read: set[int] = set()
        # Orders of the window with more than the orders query read (lines, refunds, a
        # refund's lines), read again before the window ends (shopify_graphql_again.py).
        self.again = ReadAgain(source, self.token.secrets)
        self._sizes = ORDERS_PAGE
        self._order_sizes = ORDER_PAGE
        # Answers still to read at pages made smaller before they grow again (_grow), for the
        # orders query (False) and for an order read alone (True).
        self._held = {False: 0, True: 0}
        self._pending: list[FeedItem] = []  # rejected between answers, for the next page
        self._handed: list[FeedItem] = []  # those the last page carried (page_not_stored)
        self._window_read_all = False  # the window's last page is read; orders still to read
        # Past the size cap at the smallest page (one order, one line): the next call asks the
        # order's id alone (ORDER_IDS_QUERY), then reads it alone from its first line; past the
        # cap alone it is kept as rejected. It was asked again for good: no later order read.
        self._ids_only = False
        self._ids_asked = False  # the call being answered asked ids only
        # Errors about orders of a page whose data they nulled (GraphQL's null propagation:
        # nodes is [Order!]!): that page's ids are asked next, each order read by its id.
        self._ids_erred = False
        # The updatedAt of such a version where the current window starts: its pages are asked
        # by ids (a page of them) until one brings an order stamped later. Only its first page
        # was: an order of the same second before it left it to the next page, asked whole,
        # past the cap again (down to one order of one line), on every poll while it was the
        # newest.
        self._ids_at = ""
        self.orders_seen = 0
        self._note = ""

    @property
    def token_refreshes(self) -> int:
        return self.token.fetched

    def secrets(self) -> tuple[str, ...]:
        return self.token.secrets()

    def memory(self) -> str:
        """What this feed learnt at the shop's cost that a restart would ask again for, as
        text the hub keeps in the session beside the cursor: the orders past the size cap, the
        orders query's smaller pages while they are held. Learnt again after each restart (an
        order past the cap took 7 calls: 25, 12, 5, 2 and 1 orders, its id, the order alone),
        an app restarting every 14 s never passed such an order: the orders after it were
        never counted."""
        kept = self.again.memory()
        if self._sizes != ORDERS_PAGE:
            kept["sizes"] = [self._sizes.orders, self._sizes.line_items]
            kept["held"] = self._held[False]
        return json.dumps(kept, separators=(",", ":"))

    def remember(self, memory: str, rejected: Collection[tuple[str, str]] = ()) -> None:
        """Given at start: the ``memory`` kept by an earlier run of this session's feed (a
        damaged or hand-edited one: what can be read of it), and ``rejected``: the orders this
        feed's session keeps as rejected (order number, raw text), what the memory is checked
        against (ReadAgain.remember)."""
        try:
            kept = json.loads(memory)
        except (ValueError, RecursionError):
            return
        if not isinstance(kept, dict):
            return
        self.again.remember(kept, rejected)
        sizes, held = kept.get("sizes"), kept.get("held")
        if (
            isinstance(sizes, list)
            and len(sizes) == 2
            and all(type(n) is int for n in sizes)
            and 1 <= sizes[0] <= ORDERS_PAGE.orders
            and 1 <= sizes[1] <= ORDERS_PAGE.line_items
            and type(held) is int
            and 0 <= held <= GROW_AFTER_PAGES
        ):
            self._sizes = dataclasses.replace(ORDERS_PAGE, orders=sizes[0], line_items=sizes[1])
            self._held[False] = held

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
        self.again.new_call()
        if self.again.rest_of:
            return self._post(*self.again.request(self._order_sizes))
        filters = []
        if self._page_after is None:
            self._window_since = max(rest_cursor_read(cursor or ""), self._window_from)
            since = self._window_since
            self._ids_at = since if since and self.again.past_cap_at(since) else ""
        since = self._window_since
        if since:
            filters.append(f"updated_at:>='{since}'")
        if self._created_at_min:
            filters.append(f"created_at:>='{self._created_at_min}'")
        self._ids_asked = self._ids_only or self._ids_erred or bool(self._ids_at)
        self._ids_erred = False
        if self._ids_asked:
            first = 1 if self._ids_only else ORDERS_PAGE.orders
            ids = {"first": first, "after": self._page_after, "query": " AND ".join(filters)}
            return self._post(ORDER_IDS_QUERY, ids)
        variables = {
            **self._sizes.variables(),
            "after": self._page_after,
            "query": " AND ".join(filters),
            "linesAfter": None,
        }
        return self._post(ORDERS_QUERY, variables)

    def _post(self, query: str, variables: Mapping[str, object]) -> FeedRequest:
        payload = json.dumps({"query": query, "variables": variables}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Shopify-Access-Token": self.token.use(),
        }
        return FeedRequest(
            self.endpoint, dict(self._query), headers, method="POST", content=payload
        )

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
            if self.again.rest_of:
                self._rest_refused(status)
            else:
                self._page_refused()
        return None

    def _rest_refused(self, status: int) -> None:
        """A call reading orders again was refused (HTTP 4xx): one kept as rejected
        (ReadAgain.refused) goes with the next page."""
        item = self.again.refused(status)
        if item is None:
            return
        self._pending.append(item)
        if not self.again.rest_of and self._window_read_all:
            # Its window ends in an answer: read again from the stored cursor, this order
            # skipped.
            self._window_read_all = False
            self._window_high = ""
            self._window_read.clear()

    def page_not_stored(self) -> None:
        """The last page's items could not be stored (a full disk, the session file locked a
        moment): the window is read again from the stored cursor, its orders read in part
        too. Its next page was asked for instead, and the cursor stored at the window's end
        passed that page's orders: paid orders never counted."""
        log.info("feed %s: a page could not be stored; reading its window again", self.source)
        self._page_after = None
        self._window_high = ""
        self._window_from = ""
        self._window_read.clear()
        self._window_read_all = False
        self.again.page_not_stored()
        self._ids_only = False
        self._pending[:0] = self._handed  # the rejected items that page carried
        self._handed = []

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
        # The note says a throttle while it is waited (_errors_page sets it again): it was
        # cleared only at the window's end, so a window of hundreds of pages read at once
        # after one throttle said "throttled by Shopify: waiting 7.7 s" all along.
        self._note = ""
        self.again.new_answer()
        if self._next == "token":
            page = self._token_page(body)
        elif self.again.together_asked:
            page = self._together_page(body, cursor)
        elif self.again.rest_of:
            page = self._rest_page(body, cursor, len(response.content))
        else:
            page = self._orders_page(body, cursor, server_time(response))
        # Items kept as rejected between answers (_rest_refused) go with this page.
        self._handed, self._pending = self._pending, []
        if not self._handed:
            return page
        return dataclasses.replace(
            page,
            items=(*self._handed, *page.items),
            malformed_items=page.malformed_items + len(self._handed),
        )

    def _token_page(self, body: Mapping[str, Any]) -> Page:
        self.token.accept(body)
        self._next = "orders"
        log.info("feed %s: access token fetched (client credentials)", self.source)
        return Page(items=(), cursor=None, more=True, advanced=True)

    def _errors_page(self, body: Mapping[str, Any]) -> Page | None:
        """The answer's GraphQL ``errors`` as the page to return (a wait), or None when it
        has none; raises what ends the feed or is a failed call."""
        errors = body.get("errors")
        if not errors:
            return None
        codes = error_codes(errors)
        limit = codes.get("MAX_COST_EXCEEDED")
        # Refused before it ran, on every call, until asked for less: asked for less at once
        # (not a failed call: no wait, no "retrying").
        if limit is not None and self._ask_less(limit.get("cost"), limit.get("maxCost")):
            return Page(items=(), cursor=None, more=True, advanced=True)
        if "THROTTLED" in codes:
            if self._bucket_too_small(body):
                return Page(items=(), cursor=None, more=True, advanced=True)
            wait = self._throttle_wait(body, throttled=True)
            self._note = f"throttled by Shopify: waiting {wait:.1f} s"
            return Page(items=(), cursor=None, interval_s=wait)
        if "ACCESS_DENIED" in codes:
            raise FeedEnded("Shopify: the app may not read orders (ACCESS_DENIED)")
        if self.again.rest_of:
            return None  # said as that order's reason (ReadAgain.alone_answer)
        self._page_refused()
        raise MalformedResponse(f"GraphQL errors: {errors_said(errors, self.secrets())}")

    def call_failed(self, *, refused: bool, too_large: bool = False) -> None:
        """A body past the poller's cap (8 MB): the same query is asked with pages half as
        large. It was asked again the same for the rest of the show, no order read (R14feeds
        left: "too-large Shopify GraphQL pages are not split"). A token call is not a page."""
        if not too_large or self._next == "token":
            return
        why = "its answer was past the size limit"
        if self.again.together_asked:
            self.again.fewer_together(why)
        elif self.again.rest_of:
            if not self._ask_less(None, None, why=why):
                self._rest_too_large()
        elif not self._ids_asked and not self._ask_less(None, None, why=why):
            # Even one order of one line is past the cap: its id alone next (a call of ids
            # past the cap, a hostile server's, is asked again, said as past the cap).
            self._ids_only = True

    def _rest_too_large(self) -> None:
        """The order read alone is past the size cap at the least that can be asked (one line,
        one refund): kept as rejected, with why; the window goes on past it."""
        self._pending.append(self.again.alone_too_large())
        self._order_sizes = ORDER_PAGE
        if not self.again.rest_of and self._window_read_all:
            # Every page of the window is read and stored: the next window starts from its
            # newest order read (as after a refused cursor), not from the stored cursor, whose
            # pages would bring this order back past the cap.
            self._window_from = max(self._window_from, self._window_high)
            self._window_read_all = False
            self._window_high = ""
            self._window_read.clear()

    def _ask_less(self, shop_cost: object, shop_max: object, *, why: str = "") -> bool:
        """Smaller pages for the query Shopify refused as too costly (its cost of it and its
        limit, as it counts them; without them, half); False when nothing smaller can be
        asked."""
        one_order = bool(self.again.rest_of)
        sizes = self._order_sizes if one_order else self._sizes
        fewer = smaller(sizes, one_order=one_order, shop_cost=shop_cost, shop_max=shop_max)
        if fewer is None:
            return False
        if one_order:
            self._order_sizes = fewer
        else:
            self._sizes = fewer
        self._held[one_order] = GROW_AFTER_PAGES
        why = why or (
            f"Shopify counts it at {escape_controls(str(shop_cost))[:40]} points, its limit "
            f"{escape_controls(str(shop_max))[:40]}"
        )
        log.info(
            "feed %s: the %s query again with smaller pages (%s): %s, %d points by Shopify's "
            "documented rule",
            self.source,
            "order's" if one_order else "orders",
            why,
            fewer,
            requested_cost(fewer, one_order=one_order),
        )
        return True

    def _grow(self, body: Mapping[str, Any], *, one_order: bool) -> None:
        """An answer read at pages made smaller: after ``GROW_AFTER_PAGES`` of them, the
        largest pages (up to the usual ones) that the shop's count of this answer's query
        (``requestedQueryCost``) says fit its limit and its bucket. They stayed small for the
        rest of the show: a shop that refused one page for cost, or one order past the size
        cap, was read an order or a few a call from then on."""
        if self._held[one_order] > 0:
            self._held[one_order] -= 1
            return
        sizes = self._order_sizes if one_order else self._sizes
        usual = ORDER_PAGE if one_order else ORDERS_PAGE
        if sizes == usual:
            return
        extensions = body.get("extensions")
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        cost = cost if isinstance(cost, dict) else {}
        status = cost.get("throttleStatus")
        status = status if isinstance(status, dict) else {}
        limit = float(SHOPIFY_MAX_QUERY_COST)
        bucket = number_as_float(status.get("maximumAvailable"))
        if bucket is not None and 0 < bucket < limit:
            limit = bucket
        shop = number_as_float(cost.get("requestedQueryCost"))
        ours = requested_cost(sizes, one_order=one_order)
        # The shop's count against the documented rule's (without it: the rule's).
        share = shop / ours if shop is not None and 0 < shop < math.inf else 1.0
        wanted = requested_cost(usual, one_order=one_order) * share
        target = (
            usual
            if wanted <= limit
            else smaller(usual, one_order=one_order, shop_cost=wanted, shop_max=limit) or usual
        )
        if requested_cost(target, one_order=one_order) <= ours:
            return
        if one_order:
            self._order_sizes = target
        else:
            self._sizes = target
        log.info(
            "feed %s: the %s query again with larger pages: %s",
            self.source,
            "order's" if one_order else "orders",
            target,
        )

    def _bucket_too_small(self, body: Mapping[str, Any]) -> bool:
        """THROTTLED for a query that costs more than the shop's whole bucket holds: it would
        be refused for ever, whatever the wait. Asked for less at once, as for a refusal."""
        over = self._over_bucket(body)
        return over is not None and self._ask_less(*over)

    @staticmethod
    def _over_bucket(body: Mapping[str, Any]) -> tuple[float, float] | None:
        """The query's cost and the shop's whole bucket when the bucket is the smaller."""
        extensions = body.get("extensions")
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        if not isinstance(cost, dict) or not isinstance(cost.get("throttleStatus"), dict):
            return None
        requested = number_as_float(cost.get("requestedQueryCost"))
        maximum = number_as_float(cost["throttleStatus"].get("maximumAvailable"))
        if requested is None or maximum is None or not 0 < maximum < requested:
            return None
        return requested, maximum

    def _orders_page(
        self, body: Mapping[str, Any], cursor: str | None, server_now: datetime | None
    ) -> Page:
        errors = body.get("errors")
        erred = nodes_named(errors)
        if erred is None:
            waiting = self._errors_page(body)
            if waiting is not None:
                return waiting
        else:
            # Errors each about one order of the page (a field of it Shopify could not read,
            # GraphQL's partial answer): those orders are read again by their id (refused
            # again, kept as rejected with the shop's words), the others as they are. The
            # whole page was asked again for good: no order of the show counted after it.
            log.info(
                "feed %s: orders read again by their id after errors about them: %s",
                self.source,
                errors_said(errors, self.secrets()),
            )
        try:
            orders = body["data"]["orders"]
            nodes = nodes_of(orders)
            page_info = orders.get("pageInfo")
        except (KeyError, TypeError, ValueError, AttributeError):
            if erred is not None and not self._ids_asked:
                # The errors nulled the page (GraphQL's null propagation: ``nodes`` is
                # [Order!]!, an order's ``refunds`` [Refund!]!): its ids next, each order
                # read by its id. The page was asked again for good, no order counted.
                self._ids_erred = True
                return Page(items=(), cursor=None, more=True, advanced=True)
            raise MalformedResponse("expected data.orders with nodes") from None
        ids, after_too_large = self._ids_asked, self._ids_only
        self._ids_only = False
        if not isinstance(page_info, dict):
            # Read as absent: the last page of its window (the next window, from the newest
            # updatedAt read, brings any later page's orders). A "pageInfo" of "x" or [] raised
            # AttributeError out of the page, asked again for ever: none of its orders, nor any
            # after it, was read.
            page_info = {}
        items: list[FeedItem] = []
        malformed = 0
        read_new = False
        for index, node in enumerate(nodes):
            fields = fields_of(node)
            record = hash((as_text(fields.get("id")), as_text(fields.get("updatedAt"))))
            if record not in self._window_read and len(self._window_read) < WINDOW_RECORDS_KEPT:
                self._window_read.add(record)
                read_new = True
            more = "its id only asked" if ids else read_in_part(node, self._sizes)
            if erred and index in erred:
                more = more or "Shopify answered an error about it"
            number = order_number(node)
            gid = f"gid://shopify/Order/{number}" if number else ""
            updated_at = as_text(fields.get("updatedAt"))
            if ids and gid and updated_at and self.again.too_large_at(gid, updated_at):
                # Found past the cap alone before: kept as rejected again with this page and
                # its cursor, not read alone again. Read alone again after each page the store
                # could not keep, a store failing every other page never got past it.
                malformed += 1
                raw = {"id": gid, "updatedAt": updated_at}
                items.append(rejected(self.source, raw, too_large_alone(), "order"))
                self.again.stored_whole(gid, updated_at)
            elif more and gid and updated_at and self.again.read_whole_at(gid, updated_at):
                # This very version was read whole and stored: the window's last order comes
                # again on every poll (its cursor is inclusive), a refunded one was read again
                # alone each time, two calls a poll for as long as it stayed the newest.
                pass
            elif more and gid:
                # Counted once all of it is read (_rest_page): never with lines missing; what
                # this page read of it is checked against it (another order's under its id is
                # kept as rejected, ReadAgain._not_its_own).
                # (A page of ids only read nothing of it to check: no node.)
                self.again.add(gid, updated_at, None if ids else node)
                if after_too_large or (ids and self.again.least_at(gid, updated_at)):
                    # Read alone from the least that can be asked: past the cap, it is kept as
                    # rejected at once (_rest_too_large); read, its pages grow at once. Kept
                    # in the feed's memory: a restart reads it so at once, by its id.
                    self.again.least_first(gid, updated_at)
                    self._order_sizes = ORDER_SMALLEST
                    self._held[True] = 0
            elif more:
                malformed += 1
                error = ValueError(f"{more}, and no id to read the rest by")
                items.append(rejected(self.source, node, error, "order"))
            else:
                read, unreadable = read_order(self.source, node)
                items.extend(read)
                malformed += unreadable
                self.orders_seen += 1
            updated = as_text(fields_of(node).get("updatedAt"))
            # ISO 8601 UTC strings from one server sort as times. An order stamped in the
            # future moves no cursor (server_time): the window would jump there and every
            # order of the hours in between would never be asked for. It comes again on each
            # poll and is kept once, by its id.
            if updated > self._window_high and not _after(updated, server_now):
                self._window_high = updated
            if updated != self._ids_at:
                # Past the second of the order kept as past the cap: the next pages whole.
                self._ids_at = ""
        if not ids:
            self._grow(body, one_order=False)  # once its nodes are read at the sizes asked
        after = end_cursor(page_info)
        if page_info.get("hasNextPage") is True and after:
            if self._page_after is not None and (after == self._page_after or not read_new):
                return self._no_next_page(items, malformed, body, cursor, read_new)
            # A server repeating its end cursor is not progress (that would loop at once).
            advanced, self._page_after = after != self._page_after, after
            return Page(
                items=items,
                cursor=self._within_window(cursor),
                more=True,
                advanced=advanced or bool(self.again.rest_of),
                read_new_records=read_new,
                malformed_items=malformed,
            )
        if self.again.rest_of:
            # The window ends once its orders read in part are read whole (_rest_page).
            self._page_after = None
            self._window_read_all = True
            return Page(
                items=items,
                cursor=self._within_window(cursor),
                more=True,
                advanced=True,
                read_new_records=read_new,
                malformed_items=malformed,
            )
        return self._window_ended(items, malformed, body, cursor)

    def _no_next_page(
        self,
        items: list[FeedItem],
        malformed: int,
        body: Mapping[str, Any],
        cursor: str | None,
        read_new: bool,
    ) -> Page:
        """A next page of the window that brings no order not read in it (its cursor given
        again, the same orders under a new one, no order at all): the window's pages go no
        further, so a new window starts from the newest order read (as after a refused
        cursor), at the usual interval. Its "next page" was asked for the rest of the show:
        the orders after it, and every new one, never read."""
        log.info(
            "feed %s: Shopify's next page brings no order not read; reading on from the orders "
            "read",
            self.source,
        )
        stored = self._within_window(cursor)
        self._page_refused()
        return Page(
            items=items,
            cursor=stored,
            more=bool(self.again.rest_of),
            advanced=bool(self.again.rest_of),
            interval_s=self._throttle_wait(body, throttled=False),
            read_new_records=read_new,
            malformed_items=malformed,
        )

    def _window_ended(
        self, items: list[FeedItem], malformed: int, body: Mapping[str, Any], cursor: str | None
    ) -> Page:
        """The page that ends its window: its cursor stored, the next call at the interval the
        shop's bucket allows."""
        return Page(
            items=items,
            cursor=self._end_window(cursor),
            interval_s=self._throttle_wait(body, throttled=False),
            malformed_items=malformed,
        )

    def _within_window(self, cursor: str | None) -> str | None:
        """The cursor to store with a page within its window (None: unchanged): the newest
        ``updatedAt`` read, or the first order's still to read again when one is (every order
        before it is stored).

        Orders come sorted by ``updatedAt``, so every one before it has been read and stored
        (this page's items go with the cursor); those stamped as it are read again (the cursor
        is inclusive). Stored only at the window's end, a store failing more often than a
        window lasts (a 1,000-order window is 40 pages and more) made every failure read the
        window again from its start, for as long as it failed so: no cursor ever stored. Held
        while any order was still to read again, a feed restarted every 14 s (a crash loop)
        whose orders were read again one a call read its first window again each time, for
        good: the orders after it never counted."""
        high = self._window_high
        if self.again.rest_of:
            high = min(high, self.again.first_updated())
        return high if later_than_cursor(high, cursor) else None

    def _end_window(self, cursor: str | None) -> str | None:
        """The window is read whole: the cursor to store (None: unchanged)."""
        self._page_after = None
        new_cursor = self._window_high if later_than_cursor(self._window_high, cursor) else None
        self._window_high = ""
        self._window_read.clear()
        self._window_from = ""
        self._window_read_all = False
        self.again.window_ended()
        if self.token.due():
            self._next = "token"
        return new_cursor

    def _rest_page(self, body: Mapping[str, Any], cursor: str | None, size: int) -> Page:
        """An answer to ``order(id:)`` (of ``size`` bytes) for the first order of the window
        read in part: its next lines, or all of it read and counted (or kept as rejected, with
        why)."""
        waiting = self._errors_page(body)
        if waiting is not None:
            self.again.waited()
            return waiting
        sizes = self._order_sizes
        read = self.again.alone_answer(body, sizes, lambda: self._grow(body, one_order=True), size)
        return self._read_again(read, body, cursor)

    def _together_page(self, body: Mapping[str, Any], cursor: str | None) -> Page:
        """An answer for several orders read again at once (ReadAgain.together_answer), a
        throttle waited first."""
        errors = body.get("errors")
        if errors and "THROTTLED" in error_codes(errors) and not self._over_bucket(body):
            wait = self._throttle_wait(body, throttled=True)
            self._note = f"throttled by Shopify: waiting {wait:.1f} s"
            return Page(items=(), cursor=None, interval_s=wait)
        return self._read_again(self.again.together_answer(body), body, cursor)

    def _read_again(self, read: Page | Read, body: Mapping[str, Any], cursor: str | None) -> Page:
        """After an answer reading orders again: the next page, or the one ending the window
        when they are all read and its pages too."""
        if isinstance(read, Page):
            return read
        self.orders_seen += read.counted
        if self.again.rest_of or not self._window_read_all:
            # An order of the window read whole: a record not read before, even when its items
            # are kept already (its window read again after a page the store could not keep:
            # after 50 such orders, each was asked every 2 s).
            return Page(
                items=read.items,
                cursor=self._within_window(cursor),
                more=True,
                advanced=True,
                read_new_records=True,
                malformed_items=read.malformed,
            )
        return self._window_ended(read.items, read.malformed, body, cursor)

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
            # No refill said: throttled, waited as for figures that cannot be read. None here
            # was said "waiting {None:.1f} s": TypeError out of the answer, "unexpected error
            # (TypeError)" in the feed's status instead of Shopify's throttle.
            return self.default_interval_s * 2 if throttled else None
        if throttled:
            return min(
                max(self.default_interval_s, (requested - available) / rate), _LONGEST_WAIT_S
            )
        # Keep the bucket at least half full: other apps of the shop share it.
        if available >= maximum / 2:
            return None
        return min(max(self.default_interval_s, (maximum / 2 - available) / rate), _LONGEST_WAIT_S)


def _after(updated: str, server_now: datetime | None) -> bool:
    """``updated`` (ISO 8601) is later than the server's own clock."""
    if server_now is None:
        return False
    when = iso_time(updated)
    return when is None or when > server_now  # no time at all moves no cursor either
