"""Shopify Admin REST (legacy since 2024-10; the GraphQL adapter in shopify_graphql.py is the
supported one): ``GET /admin/api/VERSION/orders.json`` — new orders, and the cancellations and
refunds of the session's orders. Kept for shops whose apps still use REST.

Only builds requests and reads responses; the polling core (poller.py) does the waiting,
retrying and storing. The base URL is whatever the user passed with ``--feed``. The token is a
static one or the app's client credentials, exactly as for GraphQL (``ShopifyAccessToken``,
shopify_token.py: one implementation for both).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from anchordesk.core.redact import mask_url
from anchordesk.feeds.parsing import (
    as_text,
    currency_as_sent,
    fields_of,
    iso_time,
    json_shown,
    load_json,
    money,
    optional_id,
    quantity_as_sent,
    readable,
    refund_amount,
    server_time,
    split_url,
    unreadable_item,
)
from anchordesk.feeds.poller import (
    WINDOW_RECORDS_KEPT,
    FeedRequest,
    MalformedResponse,
    Page,
    http_date,
)
from anchordesk.feeds.shopify_graphql_orders import (
    refund_key,
    refund_unsettled,
    refunds_read,
    too_large_alone,
)
from anchordesk.feeds.shopify_token import ShopifyAccessToken
from anchordesk.feeds.status import AdapterStatus
from anchordesk.show.feed_items import (
    FeedItem,
    Order,
    OrderLine,
    OrderUpdate,
    RefundLine,
    RejectedItem,
    shopify_number,
)

log = logging.getLogger(__name__)


SHOPIFY_PAGE_LIMIT = 250
# Shopify's REST bucket leaks 2 calls a second (standard plans).
_SHOPIFY_LEAK_PER_S = 2.0
_CURSOR_SEPARATOR = "|"


# Shopify's ids are 64-bit integers (GraphQL's legacyResourceId is an UnsignedInt64 as text,
# REST's ids fit a signed one).
_MOST_ID = 2**63 - 1


def _shopify_id(value: object) -> int | None:
    """``value`` as a Shopify id (of an order, a refund, a line item, ``since_id``), by the
    one rule of both APIs (:func:`shopify_number`: an integer or a decimal string, 1 to
    2^63 - 1), or None. One past 64 bits (2^64, a 401-digit integer: JSON allows any) moved
    ``since_id`` past every order the shop will ever make; an id sent as a string
    (``"5001"``, what JavaScript proxies do with 64-bit ids) was "no id", ``since_id`` never
    moved and the feed asked its first page for the whole show."""
    number = shopify_number(value)
    return int(number) if number else None


def _id_problem(order_id: object) -> str:
    """Why ``order_id`` is no Shopify order id. An id of 0 or -1 was said "id past 64 bits";
    one sent (``"abc"``, ``true``) was said "no id"."""
    if order_id is None:
        return "no id"
    if isinstance(order_id, int) and not isinstance(order_id, bool) and order_id > _MOST_ID:
        return "id past 64 bits"
    return f"id {json_shown(order_id)} is not an order id"


def _next_link(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of Shopify's ``Link`` header (cursor-based pagination), read as
    RFC 8288 writes it: a comma inside ``<…>`` or a quoted value is no separator, parameter
    names and relation types are case-insensitive, ``rel`` may be a token (``rel=next``) or a
    list (``rel="next last"``), and only its first occurrence counts.

    Splitting the header at every comma took ``…&fields=id,updated_at>`` apart and asked for
    ``…/updated_at`` for the rest of the show; an unquoted, upper-case or listed ``next`` read
    as "the last page": the window's cursor moved past the orders of the pages not read, and
    their cancellations and refunds were never counted."""
    header = str(response.headers.get("Link", ""))
    position = 0
    while (start := header.find("<", position)) >= 0:
        end = header.find(">", start)
        if end < 0:
            return None
        url = header[start + 1 : end]
        params, position = _link_params(header, end + 1)
        rel = params.get("rel")
        if rel is not None and "next" in rel.lower().split():
            return url.strip()
    return None


def _link_params(header: str, position: int) -> tuple[dict[str, str], int]:
    """The parameters of the link value from ``position`` (after its ``>``) to the comma that
    ends it, and where the next link value starts. The first of a repeated name counts."""
    params: dict[str, str] = {}
    part: list[str] = []
    parts: list[str] = []
    quoted = escaped = False
    index = position
    while index < len(header):
        char = header[index]
        index += 1
        if escaped:
            part.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char in ";,":
            parts.append("".join(part))
            part = []
            if char == ",":
                break
        else:
            part.append(char)
    else:
        parts.append("".join(part))
    for text in parts:
        name, _, value = text.partition("=")
        name = name.strip().lower()
        if name and name not in params:
            params[name] = value.strip()
    return params, index


class ShopifyOrdersAdapter:
    """``GET …/orders.json?status=any&since_id=ID&limit=250`` with ``X-Shopify-Access-Token``.

    New orders: the cursor's first part is the highest order id stored: Shopify returns orders
    above ``since_id`` in ascending id order, so a full page (250) means "more now".
    ``created_at_min`` (the session's start) keeps a shop's old orders out of the show.

    Cancellations and refunds: ``since_id`` never sees an order again once it is past it, so
    every other call asks for the session's orders *updated* since the last one seen
    (``updated_at_min``, inclusive; following Shopify's ``Link: rel="next"`` pages when a page
    is full). Each order's ``cancelled_at`` and ``refunds`` become ``OrderUpdate`` items, keyed
    so that seeing the same order again (on both calls, every time it is updated) adds nothing.
    The cursor is ``"SINCE_ID|UPDATED_AT"``; a stored cursor without the second part (an older
    session) asks for updates since the session's start.
    """

    default_interval_s = 2.0

    def __init__(
        self,
        url: str,
        token: str | None,
        source: str = "shopify-orders",
        created_at_min: datetime | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self._endpoint, self._extra = split_url(url)
        if not self._endpoint.endswith(".json"):
            raise ValueError(
                "shopify-orders needs the orders endpoint, e.g. "
                "https://SHOP.myshopify.com/admin/api/2026-07/orders.json (legacy REST), "
                "or the shop's address for the GraphQL Admin API"
            )
        self.token = ShopifyAccessToken(
            self._endpoint, token, client_id=client_id, client_secret=client_secret, clock=clock
        )
        self._asking_token = False  # the call being answered fetches a token
        self._page_limit = SHOPIFY_PAGE_LIMIT  # orders a page, halved for a page past the cap
        # Below a limit that was past the cap, doubling stops, for _PAGES_UNDER_CEILING pages:
        # doubled at every page read, a shop of big orders failed every other call (62 past
        # the cap, 31 read, 62 again), its feed "retrying" half the show.
        self._page_ceiling = SHOPIFY_PAGE_LIMIT
        self._pages_under_ceiling = 0
        # The same for a window of updated orders, apart: a page of new orders read doubled the
        # limit the updates window had just halved, which never came down to one order.
        self._updates_limit = SHOPIFY_PAGE_LIMIT
        # One order alone was past the cap: the next call for new orders (or for the updates
        # window's page) asks for its id only, and the order is kept as rejected (call_failed).
        self._ids_only = False
        self._updates_ids_only = False
        # A new order past the cap even asked for its id alone (a shop that ignores ``fields``):
        # its id is searched by since_id (_IdSearch), as no answer holding it can be read.
        self._id_search: _IdSearch | None = None
        self._asked_since: int | None = None  # the since_id of an ids-only call being answered
        self._asked_limit = SHOPIFY_PAGE_LIMIT  # orders the call being answered asked for
        self._created_at_min = created_at_min
        self._updates_turn = False  # the next call asks for updated orders
        self._asking_updates = False  # the call being answered asked for updated orders
        self._updates_next_url: str | None = None  # the next page of updated orders
        self._updates_high: datetime | None = None  # newest updated_at over those pages
        # Hashes of (id, updated_at) of the orders the window's pages read, bounded: whether a
        # page read orders not read before (Page.read_new_records); it holds no item unless
        # an order was cancelled or refunded.
        self._updates_read: set[int] = set()
        # The shop's clock (its Date) when the window's first page was asked: see _updates_page.
        self._updates_started: datetime | None = None
        self._first_page_high: datetime | None = None
        self._resumed_without_updates: bool | None = None  # decided at the first call

    def secrets(self) -> tuple[str, ...]:
        return self.token.secrets()

    def status(self) -> AdapterStatus:
        return AdapterStatus(
            note="; ".join(p for p in ("REST (legacy)", self.token.describe()) if p)
        )

    @staticmethod
    def _split_cursor(cursor: str | None) -> tuple[int, str]:
        """The stored cursor's ``since_id`` and ``updated_at_min``. A ``since_id`` that is no
        order id (a hand edit, a damaged file) asks from the start, as an unreadable cursor
        does (the store keeps each order once): 5,000 digits raised out of every request
        ("unexpected error (ValueError)"), and one past 64 bits was past every order the shop
        will ever make; either way no order was read for the whole show."""
        since, separator, updated = (cursor or "").partition(_CURSOR_SEPARATOR)
        if not separator and iso_time(since) is not None:
            # The GraphQL adapter's cursor (the newest updatedAt read): the session was read
            # through GraphQL and goes on through REST, one feed of the shop (store/
            # session_feeds.py shopify_shop). Its orders from the start (each kept once), its
            # changes from there.
            return 0, since
        return _shopify_id(since) or 0, updated

    def request(self, cursor: str | None) -> FeedRequest:
        self._asking_token = self.token.due()
        if self._asking_token:
            return self.token.request()
        headers = {"X-Shopify-Access-Token": self.token.use()}
        since, updated = self._split_cursor(cursor)
        if self._resumed_without_updates is None:
            # Past some orders, but not yet past a window of updated ones (the run before
            # stopped first): its first page holds new orders only, no floor for the changes
            # of the others. Never decided, updated orders were not asked for until a new
            # order came, and then from its time: a refund made before it never counted.
            self._resumed_without_updates = since > 0 and not updated
        # Set again by an ids-only call of new orders only: one left from the call before made
        # a page of updated orders past the cap read as the search for a new order's id, and
        # that page was asked for ever (its window never handed the turn to new orders).
        self._asked_since = None
        # Updated orders need a lower bound: without one the call would page through the
        # shop's history. Until there is one (no session start given, no order seen yet), only
        # new orders are asked for.
        self._asking_updates = self._updates_turn and bool(updated or self._updates_floor())
        # A window of updated orders asks no more than new orders do either: their pages hold
        # the same orders, so a size new orders learned holds for both.
        limit = (
            min(self._updates_limit, self._page_limit) if self._asking_updates else self._page_limit
        )
        if self._asking_updates and self._updates_next_url is not None:
            # A page_info URL carries its own filters; Shopify accepts nothing else with it but
            # the page's size and fields, which are this call's to choose, not the link's: the
            # link repeats those of the call that got it, so after one order past the cap the
            # rest of the window was asked one order a call with its id only (every
            # cancellation and refund on those pages unseen, no new order read meanwhile).
            endpoint, params = split_url(self._updates_next_url)
            params = {k: v for k, v in params.items() if k not in ("limit", "fields")}
            if self._updates_ids_only:
                params.update(limit="1", fields=_UPDATE_IDS)
            else:
                params.update(self._page_fields(), limit=str(limit))
            self._asked_limit = _limit_of(params)
            return FeedRequest(endpoint, params, headers)
        params = {**self._extra, "status": "any", "limit": str(limit)}
        if self._asking_updates and self._updates_ids_only:
            params.update(limit="1", fields=_UPDATE_IDS)
        elif not self._asking_updates and (self._ids_only or self._id_search is not None):
            params.update(limit="1", fields="id")
            since = self._id_search.probe() if self._id_search is not None else since
            self._asked_since = since
        self._asked_limit = _limit_of(params)
        if self._created_at_min is not None:
            params["created_at_min"] = self._created_at_min.isoformat(timespec="seconds")
        if self._asking_updates:
            params["updated_at_min"] = updated or self._updates_floor()
        else:
            params["since_id"] = str(since)
        return FeedRequest(self._endpoint, params, headers)

    def _page_fields(self) -> dict[str, str]:
        """The ``fields`` the feed's own URL asks for (none: whole orders)."""
        fields = self._extra.get("fields")
        return {"fields": fields} if fields else {}

    def _updates_floor(self) -> str:
        """Where updated orders are first looked for when the cursor does not say.

        A session resumed from a cursor of before order updates: from the session's start
        (once). Otherwise from the newest ``updated_at`` on this run's first page of orders:
        that page was read after every one of them, so any later change is newer, and orders
        on later pages bring their state as they are read.
        """
        if self._resumed_without_updates and self._created_at_min is not None:
            return self._created_at_min.isoformat(timespec="seconds")
        return self._first_page_high.isoformat() if self._first_page_high else ""

    def ended_reason(self, response: httpx.Response) -> str | None:
        if self._asking_token:
            return self.token.refused_reason(response)
        if response.status_code == 401 and self.token.rejected():
            # An expiring token refused early: the next call fetches a new one.
            log.info("feed %s: the access token was refused; fetching a new one", self.source)
        elif self._asking_updates:
            self._updates_failed(refused=response.status_code < 500)
        return None

    def call_failed(self, *, refused: bool, too_large: bool = False) -> None:
        """The call got no answer to read (no answer in time, the network, a body past the cap,
        a redirect): as an error answer, an updates call hands the turn to new orders. An
        updates page of 250 big orders past the 8 MB cap was asked for the rest of the show,
        and no new order was read.

        A page past the cap is asked again half as long (down to one order; back up by
        doubling after each page read): a page of 250 orders of many lines each (35 kB of
        Shopify's JSON an order) was asked for ever, and no order after it was ever read.

        One new order alone past the cap is asked again for its id only (Shopify's
        ``fields``), kept as rejected with why, and the orders after it are read: it was
        asked for ever, and no later order of the show was ever read."""
        if self._asking_token:
            return
        alone = too_large and self._asked_limit <= 1
        if alone and self._asked_since is not None:
            # Past the cap even asked for its id alone: the shop ignores ``fields``. Asked so
            # for ever, no later order of the show was read; its id is searched instead.
            search = self._id_search or _IdSearch(self._asked_since)
            self._id_search = search if search.too_large(self._asked_since) else None
            self._ids_only = self._id_search is None  # every answer too large: a broken shop
            return
        if alone and self._asking_updates:
            # The window keeps its place (its next page, or its start): that page is asked
            # again for the order's id and when it changed, and the window goes on past it.
            self._updates_ids_only = True
            self._updates_failed(refused=False)
            return
        if alone:
            self._ids_only = True
        elif too_large and self._asking_updates:
            # The same page is asked again smaller, in its place: started again from the
            # window's first page, the pages read before it doubled the size back past the cap
            # every time, and the window never came down to the one order past it.
            self._updates_limit = max(1, min(self._updates_limit, self._asked_limit) // 2)
            self._updates_failed(refused=False)
            return
        elif too_large:
            self._page_ceiling = max(1, self._asked_limit - 1)
            self._pages_under_ceiling = 0
            self._page_limit = max(1, min(self._page_limit, self._asked_limit) // 2)
        if self._asking_updates:
            self._updates_failed(refused=refused)

    def page_not_stored(self) -> None:
        """The last page's items could not be stored (a full disk, the session file locked a
        moment): a page of updated orders starts its window again at the next turn, from the
        stored cursor. Its next page was asked for instead, and the cursor stored at the
        window's end passed that page's cancellations and refunds: 2 of 10 cancellations were
        never counted. (A page of new orders is asked again from the stored since_id.)"""
        if self._asking_updates and not self._asking_token:
            log.info("feed %s: a page could not be stored; reading its window again", self.source)
            self._updates_failed(refused=True)

    def _updates_failed(self, *, refused: bool) -> None:
        """A call for updated orders failed: the next call asks for new orders.

        The turn passed only when an updates page was read, so a call that failed every time (a
        ``page_info`` Shopify refuses, a ``Link`` that is no page of the shop) was asked again
        for the rest of the show and no new order was read. A refused page (a 4xx, a page that
        cannot be read) starts its window again at the next turn (the cursor has not moved, and
        updates are idempotent); a server error asks for the same page again."""
        self._updates_turn = False
        if refused:
            self._updates_next_url = None
            self._updates_high = None
            self._updates_read.clear()
            self._updates_started = None

    def parse(self, response: httpx.Response, cursor: str | None) -> Page:
        try:
            return self._page(response, cursor)
        except MalformedResponse:
            if self._asking_updates and not self._asking_token:
                self._updates_failed(refused=True)
            raise

    def _page(self, response: httpx.Response, cursor: str | None) -> Page:
        body = load_json(response, items_at=[("orders",)])
        if self._asking_token:
            if not isinstance(body, dict):
                raise MalformedResponse("expected a JSON object")
            self.token.accept(body)
            log.info("feed %s: access token fetched (client credentials)", self.source)
            return Page(items=(), cursor=None, more=True, advanced=True)
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            raise MalformedResponse("expected an object with an 'orders' list")
        if self._asking_updates:
            return self._updates_page(response, body["orders"], cursor)
        items: list[FeedItem] = []
        malformed = 0
        since, updated = self._split_cursor(cursor)
        if self._id_search is not None and self._asked_since is not None:
            return self._searched(self._id_search, self._asked_since, updated, cursor)
        highest = since
        ids_only, self._ids_only = self._ids_only, False
        for raw in body["orders"]:
            try:
                order = self._order(readable(raw))  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                malformed += 1
                # Kept as rejected, with why (the hub logs it once, the report lists it); with
                # only its id asked, the order itself is past the cap.
                why = too_large_alone() if ids_only else error
                items.append(unreadable_item(self.source, raw, why, "order"))
                # Even an unreadable order moves since_id on, or we would ask for it forever.
                if (raw_id := _shopify_id(fields_of(raw).get("id"))) is not None:
                    highest = max(highest, raw_id)
                continue
            items.append(order)
            # An order placed and cancelled (or refunded) between two calls.
            updates, rejected = self._updates_or_rejected(raw, order.currency)
            malformed += rejected
            items.extend(updates)
            highest = max(highest, int(order.id))
        if self._first_page_high is None:
            server_now = server_time(response)
            self._first_page_high = max(
                (
                    when
                    for raw in body["orders"]
                    if isinstance(raw, dict)
                    and (when := iso_time(as_text(raw.get("updated_at")))) is not None
                    # An order stamped in the future is no floor (server_time).
                    and (server_now is None or when <= server_now)
                ),
                default=None,
            )
        more = len(body["orders"]) >= self._asked_limit
        self._pages_under_ceiling += 1
        if self._pages_under_ceiling >= _PAGES_UNDER_CEILING:
            self._page_ceiling = SHOPIFY_PAGE_LIMIT
        self._page_limit = min(self._page_ceiling, self._page_limit * 2)
        self._updates_turn = not more  # caught up with new orders: look at updated ones next
        return Page(
            items=items,
            cursor=self._cursor(highest, updated) if highest else cursor,
            interval_s=self._interval_from_call_limit(response),
            more=more,
            malformed_items=malformed,
        )

    def _searched(self, search: _IdSearch, probe: int, updated: str, cursor: str | None) -> Page:
        """An answer to a search's since_id that could be read: the order past the cap is at
        or below it. Once its id is known, it is kept as rejected and new orders are read past
        it; the answer's own orders (asked for their ids only) are not read from it."""
        found = search.readable(probe)
        if found is None:
            return Page(items=(), cursor=None, more=True, advanced=True)
        self._id_search = None
        why = too_large_alone(", even asked for its id only (the shop sends whole orders)")
        return Page(
            items=[unreadable_item(self.source, {"id": found}, why, "order")],
            cursor=self._cursor(found, updated),
            more=True,
            malformed_items=1,
        )

    def _own_link(self, link: str | None) -> str | None:
        """The next page's URL, on the shop's own address only: the request carries the shop's
        access token, and a ``Link`` naming another host or scheme (a hostile server, a proxy)
        would have sent it there."""
        if link is None:
            return None
        try:
            url = urljoin(self._endpoint, link)
            ours, theirs = urlsplit(self._endpoint), urlsplit(url)
        except ValueError as error:  # "Invalid IPv6 URL": out of parse, it ended every feed
            raise MalformedResponse(f"the next page's link is not a URL ({error})") from None
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise MalformedResponse(
                f"the next page's link points to {mask_url(url)[:200]}, not to the shop: "
                "not followed (it would carry the access token there)"
            )
        return url

    def _updates_page(
        self, response: httpx.Response, orders: list[Any], cursor: str | None
    ) -> Page:
        since, updated = self._split_cursor(cursor)
        items: list[FeedItem] = []
        malformed = 0
        server_now = server_time(response)
        read_new = False
        if self._updates_next_url is None:  # the window's first page
            self._updates_started = http_date(response.headers.get("date"))
        ids_only, self._updates_ids_only = self._updates_ids_only, False
        for raw in orders:
            fields = fields_of(raw)
            record = hash((as_text(fields.get("id")), as_text(fields.get("updated_at"))))
            if record not in self._updates_read and len(self._updates_read) < WINDOW_RECORDS_KEPT:
                self._updates_read.add(record)
                read_new = True
            currency = currency_as_sent(raw.get("currency")) if isinstance(raw, dict) else ""
            if ids_only:  # only its id and time were asked: the order itself is past the cap
                malformed += 1
                items.append(unreadable_item(self.source, raw, too_large_alone(), "order_update"))
            else:
                items.extend(self._order_read_again(raw))
                updates, rejected = self._updates_or_rejected(raw, currency)
                malformed += rejected
                items.extend(updates)
            when = iso_time(as_text(raw.get("updated_at"))) if isinstance(raw, dict) else None
            if when is None or (server_now is not None and when > server_now):
                continue  # an update stamped in the future moves no cursor (server_time)
            if self._updates_high is None or when > self._updates_high:
                self._updates_high = when
        self._updates_limit = min(SHOPIFY_PAGE_LIMIT, self._updates_limit * 2)
        next_url, previous_url = self._own_link(_next_link(response)), self._updates_next_url
        self._updates_next_url = next_url
        if next_url is not None and previous_url is not None and not read_new:
            # A next page that brought no order not read in this window (its link given again,
            # two links in turn, a fresh link to the same orders): the window goes no further.
            # Its "next page" was asked for the rest of the show, and new orders never were (a
            # paid order made after it was never counted). The window starts again from the
            # stored cursor at the next turn, after a call for new orders.
            log.info(
                "feed %s: Shopify's next page of updated orders brings no order not read; "
                "reading new orders",
                self.source,
            )
            self._updates_failed(refused=True)
            return Page(
                items=items,
                cursor=None,
                interval_s=self._interval_from_call_limit(response),
                malformed_items=malformed,
            )
        if next_url is not None:
            # More pages of this window: the cursor moves only once all of them are stored, so
            # a crash half-way asks for the whole window again (updates are idempotent).
            return Page(
                items=items,
                cursor=None,
                more=True,
                advanced=next_url != previous_url,  # a repeated link is no progress
                read_new_records=read_new,
                malformed_items=malformed,
            )
        self._updates_turn = False
        self._updates_read.clear()
        if self._updates_high is not None:
            high, started = self._updates_high, self._updates_started
            floor = iso_time(updated or self._updates_floor())
            if (
                previous_url is not None
                and started is not None
                and (floor is None or started >= floor)
            ):
                # A window of several pages (ordered by id) is no snapshot: an order on a page
                # already read, cancelled while the later pages were read, is stamped before
                # the newest change those pages hold. From that newest change, the next window
                # never saw it: a cancelled order stayed a sale. The next window starts no
                # later than when this one started (the shop's own clock; one older than the
                # window's own start, a dead clock, is not believed).
                high = min(high, started)
            updated = high.isoformat(timespec="seconds")
            self._updates_high = None
        self._updates_started = None
        return Page(
            items=items,
            cursor=self._cursor(since, updated),
            interval_s=self._interval_from_call_limit(response),
            malformed_items=malformed,
        )

    @staticmethod
    def _cursor(since: int, updated: str) -> str:
        return f"{since}{_CURSOR_SEPARATOR}{updated}" if updated else str(since)

    def _interval_from_call_limit(self, response: httpx.Response) -> float | None:
        header = response.headers.get("X-Shopify-Shop-Api-Call-Limit", "")
        used_text, _, limit_text = header.partition("/")
        try:
            used, limit = float(int(used_text)), float(int(limit_text))
        except (ValueError, OverflowError):
            # OverflowError: a 401-digit count (no bucket Shopify keeps) escaped from the
            # page's reading, and every page failed "unexpected error (OverflowError)".
            return None
        if limit <= 0:
            return None
        # Keep the bucket at most half full: other apps of the shop share it.
        excess = used - limit / 2
        if excess <= 0:
            return None
        return max(self.default_interval_s, excess / _SHOPIFY_LEAK_PER_S)

    def _order(self, raw: Mapping[str, Any]) -> Order:
        order_id = _shopify_id(raw.get("id"))
        if order_id is None:
            raise ValueError(_id_problem(raw.get("id")))
        lines = []
        for line in raw.get("line_items") or []:
            quantity = quantity_as_sent(line["quantity"])
            lines.append(
                OrderLine(
                    sku=as_text(line.get("sku")).strip(),
                    quantity=quantity,
                    unit_price=money(line["price"]),
                    title=as_text(line.get("title")),
                )
            )
        return Order(
            source=self.source,
            id=str(order_id),
            currency=currency_as_sent(raw.get("currency")),
            total_price=money(raw["total_price"]),
            lines=tuple(lines),
            created_at=as_text(raw.get("created_at")),
        )

    def _order_read_again(self, raw: object) -> list[FeedItem]:
        """An order a window of updated orders reads, when it can be read: kept once (by its
        id), as GraphQL's are. Read by since_id only, an order a proxy served broken (kept
        as rejected, since_id past it) was never counted, served readable since on every
        window; a GraphQL feed of the same shop counted it. One that cannot be read is not
        rejected again here (it was when it was new)."""
        try:
            return [self._order(readable(raw))]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
            return []

    def _updates_or_rejected(self, raw: object, currency: str) -> tuple[list[FeedItem], int]:
        """``_updates``, and how many of them are rejected. A refund that cannot be read is
        rejected alone (``refunds_read``); when the order's updates cannot be read at all
        (no id, refunds not a list), they are one rejected item (kept, with why, in the
        report): a refund line's quantity of ``"1"`` used to drop them with a log line only,
        a valid cancellation with them, and a refund of ``1e999999999`` raised ``Overflow``
        out of the page, asked again for ever (every later order stuck behind it). The order
        itself is still kept."""
        try:
            if not isinstance(raw, dict):
                raise TypeError("not an object")
            updates = self._updates(raw, currency)
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
            return [unreadable_item(self.source, raw, error, "order_update")], 1
        return updates, sum(isinstance(item, RejectedItem) for item in updates)

    def _updates(self, raw: Mapping[str, Any], currency: str) -> list[FeedItem]:
        """An order's ``cancelled_at`` and ``refunds`` (Shopify's Order resource) as updates.

        A refund's amount is the sum of its successful ``refund`` transactions (one with a
        ``refund`` transaction still pending is not sent until it settles); its units are
        its ``refund_line_items`` (the SKU read from the nested ``line_item``, else from the
        order's line of that ``line_item_id``).
        """
        if not raw.get("cancelled_at") and not raw.get("refunds"):
            # Nothing to read: an order without an id was also kept as a rejected update
            # when the updates window read it again (4 rejected items for 3 orders).
            return []
        order_id = _shopify_id(raw.get("id"))
        if order_id is None:
            raise ValueError(_id_problem(raw.get("id")))
        updates: list[FeedItem] = []
        cancelled_at = raw.get("cancelled_at")
        if cancelled_at:
            updates.append(
                OrderUpdate(
                    self.source,
                    str(order_id),
                    "cancelled",
                    None,
                    currency,
                    at=as_text(cancelled_at),
                )
            )
        sku_by_line = {
            _shopify_id(line.get("id")): as_text(line.get("sku")).strip()
            for line in raw.get("line_items") or []
        }
        refunds = raw.get("refunds") or []
        if not isinstance(refunds, list):
            raise TypeError("refunds is not a list")
        read = functools.partial(
            self._refund, order_id=str(order_id), currency=currency, sku_by_line=sku_by_line
        )
        updates += refunds_read(self.source, str(order_id), refunds, _refund_id, read)
        return updates

    def _refund(
        self,
        refund: Any,
        position: int,
        *,
        order_id: str,
        currency: str,
        sku_by_line: Mapping[int | None, str],
    ) -> OrderUpdate | None:
        """One refund of the order ``order_id`` (REST), or None while it is unsettled."""
        # Read as every feed reads an id an item may name: a null id is none, not "None",
        # under which a second refund of the order was "sent again" and not counted; true
        # or an object is no id (not "True"). One without an id is keyed by its place in
        # the order's refunds, as GraphQL's (refund_key).
        refund_id = _refund_id(refund, position)
        if refund_unsettled(refund.get("transactions")):
            # Its money not yet returned: sent once it is settled (Shopify moves the
            # order's updated_at then, and the updates window reads it again). Sent
            # pending, it was a $0.00 refund, and its settled copy rejected as
            # update_changed ("the first copy counts"): GMV never took the $5.00 off.
            return None
        amount = Decimal(0)
        currencies: set[str] = set()
        for transaction in refund.get("transactions") or []:
            if transaction.get("kind") != "refund" or transaction.get("status") != "success":
                continue
            # Each refused past the ceiling before it is summed: 1e400 summed read as
            # 1.000000000000000000000000000E+400, 1e999999999 raised Overflow.
            amount += refund_amount(money(transaction["amount"])) or Decimal(0)
            currencies.add(currency_as_sent(transaction.get("currency")) or currency)
        if currencies - {currency} and amount:
            # Paid in another currency than the shop's (Shopify Markets): the refund's
            # transactions are in the customer's (presentment) one, the order in the
            # shop's. Read in shop money, as GraphQL reads totalRefundedSet.shopMoney: a
            # $5.00 refund paid as EUR 4.60 was rejected, GMV $20.00 for $15.00 (and
            # $15.00 read through GraphQL, the same shop). So is one split over
            # transactions in two currencies (part in the shop's, part in the
            # customer's): it was unreadable, with the order's other updates.
            in_shop_money = _shop_money_refunded(refund, currency)
            if in_shop_money is not None:
                amount, currencies = in_shop_money, {currency}
        if len(currencies) > 1:
            # $5.00 and €5.00 were summed as 10.00 in the last one's currency: money is
            # never summed across currencies, so the refund is not read (kept, with why).
            raise ValueError(f"refund {refund_id} in {', '.join(sorted(currencies))} at once")
        refund_currency = currencies.pop() if currencies else currency
        lines = []
        for item in refund.get("refund_line_items") or []:
            quantity = quantity_as_sent(item["quantity"], "refund quantity")
            nested = item.get("line_item")
            sku = (
                as_text(nested.get("sku")).strip()
                if isinstance(nested, dict)
                else sku_by_line.get(_shopify_id(item.get("line_item_id")), "")
            )
            lines.append(RefundLine(sku, quantity))
        return OrderUpdate(
            self.source,
            order_id,
            "refunded",
            refund_amount(amount),
            refund_currency,
            refund_id=refund_id,
            lines=tuple(lines),
            at=as_text(refund.get("processed_at") or refund.get("created_at")),
        )


def _refund_id(refund: Any, position: int) -> str:
    """A REST refund's key: its id by the one rule (7001 and \"7001\" are one refund), else
    its place."""
    return refund_key(optional_id(refund.get("id"), "refund id"), position, refund.get("id"))


def _set_in(money_set: object, currency: str) -> Decimal | None:
    """A REST ``*_set``'s ``shop_money`` amount when it is in ``currency``; None when absent."""
    shop = fields_of(money_set).get("shop_money") if isinstance(money_set, dict) else None
    if not isinstance(shop, dict) or currency_as_sent(shop.get("currency_code")) != currency:
        return None
    return money(shop["amount"])


def _shop_money_refunded(refund: Mapping[str, Any], currency: str) -> Decimal | None:
    """A REST refund's amount in the shop's money (``currency``), from its shop-money sets as
    Shopify writes them: its lines' ``subtotal_set`` and ``total_tax_set``, less its
    ``order_adjustments``' ``amount_set`` and ``tax_amount_set`` (a shipping refund is a
    negative adjustment, a refund below its lines' worth a positive one). None when the
    refund holds none of them (then its transactions' currency is said)."""
    total = Decimal(0)
    found = False
    for item in refund.get("refund_line_items") or []:
        for name in ("subtotal_set", "total_tax_set"):
            if (part := _set_in(item.get(name), currency)) is not None:
                total, found = total + part, True
    for adjustment in refund.get("order_adjustments") or []:
        for name in ("amount_set", "tax_amount_set"):
            if (part := _set_in(adjustment.get(name), currency)) is not None:
                total, found = total - part, True
    return total if found else None


# Pages read below a limit found past the size cap before a larger page is tried again.
_PAGES_UNDER_CEILING = 10

# What is asked of an updated order past the size cap alone: enough to keep it as rejected
# and to move the window past it.
_UPDATE_IDS = "id,updated_at"


def _limit_of(params: Mapping[str, str]) -> int:
    limit = params.get("limit", "")
    return int(limit) if limit.isdecimal() and len(limit) < 6 else SHOPIFY_PAGE_LIMIT


class _IdSearch:
    """The id of the first order after ``since_id`` X, when every answer holding it is past
    the cap (even asked for its id alone): since_id P is answered with that order (too large)
    while P is below its id, and without it (an answer that can be read) from its id on. So P
    gallops up from X by growing steps until an answer can be read, then halves the interval:
    about 2·log2 of the distance to the next id, a few dozen calls once.

    Shopify ids grow with every order, so a readable order between two orders past the cap
    can be passed over if the search lands on the second; only a shop that ignores
    ``fields`` and makes two such orders in a row gets here."""

    def __init__(self, since: int) -> None:
        self.low = since  # answered with the order (past the cap): its id is above
        self.high: int | None = None  # answered without it: its id is at most this
        self.step = 1

    def probe(self) -> int:
        if self.high is None:
            return min(self.low + self.step, _MOST_ID)
        if self.high <= self.low + 1:  # found: read once more, from its id on
            return self.high
        return (self.low + self.high) // 2

    def too_large(self, probe: int) -> bool:
        """Whether to search on: not when every since_id up to the largest id is answered
        past the cap (the shop sends that answer whatever is asked)."""
        if probe >= _MOST_ID:
            return False
        self.low = max(self.low, probe)
        if self.high is None:
            self.step *= 16
        return True

    def readable(self, probe: int) -> int | None:
        """The order's id once known."""
        self.high = probe if self.high is None else min(self.high, probe)
        return self.high if self.high <= self.low + 1 else None
