"""The orders of a Shopify GraphQL window read again before they are counted: those the orders
query read in part (more lines, refunds or a refund's lines than it asks), several at a call
(``order(id:)`` under aliases) or alone (lines page after page), refused or past the size cap
(kept as rejected, with why).

Split from shopify_graphql.py (the adapter: calls, windows, cost, waits) by concern. The
adapter owns one :class:`ReadAgain` and asks it what to call and what an answer read; an
answer that ends the orders read (:class:`Read`) goes back to the adapter's window.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from anchordesk.feeds.parsing import as_text, error_words, json_shown
from anchordesk.feeds.poller import (
    MAX_RESPONSE_BYTES,
    WINDOW_RECORDS_KEPT,
    MalformedResponse,
    Page,
)
from anchordesk.feeds.shopify_graphql_orders import (
    end_cursor,
    errors_said,
    has_next_page,
    legacy_id,
    nodes_of,
    order_number,
    read_in_part,
    read_order,
    rejected,
    too_large_alone,
)
from anchordesk.feeds.shopify_graphql_query import (
    GROW_AFTER_PAGES,
    ORDER_PAGE,
    ORDER_QUERY,
    ORDERS_BY_ID_PAGE,
    ORDERS_BY_ID_WIDE,
    PageSizes,
    orders_by_id_query,
)
from anchordesk.show.feed_items import FeedItem, RejectedItem

log = logging.getLogger(__name__)

# The most lines of one order read (page after page): a server handing out lines without end
# is not read into memory for ever; the order is kept as rejected, with why.
_MOST_LINES_READ = 10_000
# Refusals in a row (HTTP 4xx, GraphQL errors) of the call for the rest of one order before it
# is kept as rejected.
_REST_REFUSALS = 3
# How an order is read again: several at a call of up to 10 lines each, then (more lines) of up
# to 50 each, then (more still, more refunds, an error about it) alone, its lines page after page.
_TOGETHER_SIZES = (ORDERS_BY_ID_PAGE, ORDERS_BY_ID_WIDE)
_ALONE = len(_TOGETHER_SIZES)
# Orders past the size cap kept in the feed's memory (ReadAgain.memory), the latest of each.
_REMEMBERED = 20
_CREATED_KEPT = 100  # characters of an order's createdAt compared


@dataclass(frozen=True)
class _InPart:
    """What the orders query read of an order read in part, to tell whether it was that order:
    when it was created and the ids of its lines read (an order's lines are never taken off
    its ``lineItems``: an edit sets their current quantity), and the node as a rejected item,
    kept when it was another order's."""

    created_at: str
    line_ids: frozenset[str]
    item: RejectedItem


@dataclass(frozen=True)
class Read:
    """An answer that read orders again whole (each counted, or kept as rejected): its items,
    how many are rejected, how many orders are counted."""

    items: list[FeedItem]
    malformed: int
    counted: int


class ReadAgain:
    """The orders of the window read in part, read again (their gids, in order); the one read
    alone: its first answer and its lines so far, the next lines' cursor."""

    def __init__(self, source: str, secrets: Callable[[], tuple[str, ...]] = lambda: ()) -> None:
        self.source = source
        self._secrets = secrets  # the access token's, masked in the shop's words (errors_said)
        self.rest_of: list[str] = []
        # Read several at a call, up to this many (orders_by_id_query); fewer after a refusal
        # of such a call, as many again after GROW_AFTER_PAGES answers.
        self.together = ORDERS_BY_ID_PAGE.orders
        self._together_held = 0
        self.together_asked: list[str] = []  # the gids the call being answered asked for
        self._asked_sizes = ORDERS_BY_ID_PAGE  # the sizes that call asked
        # gid -> how a call for several left it to be read (an index of _TOGETHER_SIZES, or
        # _ALONE); absent: with the first.
        self._level: dict[str, int] = {}
        # gid -> what a call of the last level read of an order of more lines (its node, its
        # lines, the next lines' cursor): read alone from there, not from its first line.
        self._read_so_far: dict[str, tuple[dict[str, Any], list[Any], str]] = {}
        self._node: dict[str, Any] | None = None
        self._lines: list[Any] = []
        self._after: str | None = None
        # The cursors of its lines asked and the ids of its lines read so far: a cursor or a
        # line given again is a loop (two cursors in turn were read 100 lines a call up to
        # 10,000 lines, a hundred calls an order; restarted every 14 s, never passed).
        self._afters: set[str] = set()
        self._line_ids: set[str] = set()
        self._bytes_read = 0  # of the answers its lines were read from
        self._refunds_asked = ORDER_PAGE.refunds
        # Orders read again and handed to the store: gid -> the updatedAt read.
        self.read_whole: dict[str, str] = {}
        self._page_whole: list[str] = []  # those the last page carried (page_not_stored)
        self._updated: dict[str, str] = {}  # gid -> updatedAt of the version queued
        # gid -> what the orders query read of each node under its id read in part: checked
        # against the order read again by that id (_not_its_own).
        self._in_part: dict[str, list[_InPart]] = {}
        self.refusals = 0  # refusals in a row of the rest of the order read in part
        self._changes = 0  # times it changed between two pages of its lines
        # Orders kept as rejected as past the cap alone: gid -> the updatedAt of that version. A
        # window starting at one's updatedAt (the inclusive cursor brings it back on each poll)
        # passes over it by its id: each poll downloaded it past the cap again, page after page.
        self.too_large: dict[str, str] = {}
        # Orders a page of one order of one line was past the cap for (the ids asked next named
        # them): gid -> updatedAt. Read alone at the least first, by their id where a window
        # starts at one (also after a restart: ``memory``).
        self.least: dict[str, str] = {}
        # Versions kept as rejected by the alone read (gid -> updatedAt): not read again, also
        # after a restart (``memory``); forgotten with a page not stored.
        self.kept_rejected: dict[str, str] = {}

    # -- memory across restarts -----------------------------------------------------------------

    def memory(self) -> dict[str, object]:
        """The orders found past the cap (``too_large``, ``least``), the latest of each, for
        the feed's memory across restarts (the adapter's ``memory``)."""
        return {
            "too_large": list(self.too_large.items())[-_REMEMBERED:],
            "least": list(self.least.items())[-_REMEMBERED:],
            "rejected": list(self.kept_rejected.items())[-_REMEMBERED:],
        }

    def remember(self, kept: Mapping[str, object], held: Collection[tuple[str, str]] = ()) -> None:
        """What ``memory`` kept (a damaged or hand-edited one: what can be read of it). A hint,
        never proof: an order it names past the cap or rejected is passed over (kept as
        rejected by its id, not read again) only if ``held``, the session's rejected orders of
        this feed (order number, raw text), holds that very version. Trusted, a memory naming a
        new order as rejected made it neither counted nor rejected, and one naming an order
        counted at the cursor's second listed it rejected too, "larger than 8 MB"."""
        versions: dict[str, list[str]] = {}
        for number, raw in held:
            versions.setdefault(number, []).append(raw)

        def stored_as_rejected(gid: str, updated: str) -> bool:
            quoted = json.dumps(updated)
            return any(quoted in raw for raw in versions.get(order_number({"id": gid}), ()))

        kept_as = (
            ("too_large", self.too_large, True),
            ("least", self.least, False),
            ("rejected", self.kept_rejected, True),
            ("rejected", self.read_whole, True),
        )
        for name, into, proven in kept_as:
            pairs = kept.get(name)
            for pair in (pairs if isinstance(pairs, list) else [])[-_REMEMBERED:]:
                if (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(isinstance(part, str) and part for part in pair)
                    and (not proven or stored_as_rejected(pair[0], pair[1]))
                ):
                    into[pair[0]] = pair[1]

    def least_first(self, gid: str, updated_at: str) -> None:
        """``gid`` at ``updated_at`` alone at the least was past the cap: remembered, and read
        alone (never with others: their call would be past the cap, halved down to it)."""
        if len(self.least) >= WINDOW_RECORDS_KEPT:
            self.least.clear()
        self.least[gid] = updated_at
        self._level[gid] = _ALONE

    def past_cap_at(self, updated_at: str) -> bool:
        """Whether an order found past the cap (alone, or at the least) is of ``updated_at``:
        a window starting there asks ids first."""
        return updated_at in (*self.too_large.values(), *self.least.values())

    def too_large_at(self, gid: str, updated_at: str) -> bool:
        """Whether ``gid`` at ``updated_at`` was found past the cap alone (kept as rejected)."""
        return self.too_large.get(gid) == updated_at

    def least_at(self, gid: str, updated_at: str) -> bool:
        """Whether ``gid`` at ``updated_at`` is to be read alone at the least first."""
        return self.least.get(gid) == updated_at

    def read_whole_at(self, gid: str, updated_at: str) -> bool:
        """Whether ``gid`` at ``updated_at`` was read again whole and handed to the store."""
        return self.read_whole.get(gid) == updated_at

    # -- the queue ------------------------------------------------------------------------------

    def add(self, gid: str, updated_at: str, node: object = None) -> None:
        """``gid`` at ``updated_at`` read in part (``node``, what the orders query read of it):
        read again before its window ends."""
        if gid not in self.rest_of:
            self.rest_of.append(gid)
            if len(self._updated) >= WINDOW_RECORDS_KEPT:
                self._updated.clear()
            self._updated[gid] = updated_at
        if isinstance(node, dict):
            if len(self._in_part) >= WINDOW_RECORDS_KEPT:
                self._in_part.clear()
            # Every one: they are read again by their id before the next page is asked, so
            # they are never more than one page's nodes. Kept up to 25 (a page's size), a shop
            # answering more than it was asked for (30 nodes under one id) had the 26th on
            # dropped without a word.
            self._in_part.setdefault(gid, []).append(_what_was_read(self.source, node))

    def _not_its_own(self, gid: str, whole: Mapping[str, Any] | None) -> list[FeedItem]:
        """The nodes the orders query read in part under ``gid`` that are not the order
        ``whole``, Shopify's answer asked by that id (None: nothing to check them against), as
        rejected items with why. A node of another order under this one's id (a shop or proxy
        mixing them up) was queued under it, the order read by its id counted, and the node's
        own order, money and units, dropped without a word."""
        kept = self._in_part.pop(gid, [])
        if whole is None:
            return []
        created = as_text(whole.get("createdAt"))[:_CREATED_KEPT]
        try:
            line_ids = _ids_of(nodes_of(whole.get("lineItems")))
        except ValueError:
            return []
        items: list[FeedItem] = []
        for part in kept:
            if part.created_at and created and part.created_at != created:
                why = f"created {json_shown(part.created_at)}, that order {json_shown(created)}"
            elif part.line_ids - line_ids:
                line = legacy_id(min(part.line_ids - line_ids))
                why = f"its line {json_shown(line)} is none of that order's lines"
            elif part.line_ids or (part.created_at and created):
                continue  # checked: that order
            else:
                # Nothing to check it by (a partial answer: its createdAt and its lines' ids
                # null). Passed as that order, a node of another order under this id was
                # dropped without a word, as a mismatching one was before; kept as rejected,
                # what it read is in the session, never summed (that order counts by its id).
                error = ValueError(
                    f"read in part under order {legacy_id(gid)[:20]}'s id without a creation "
                    "time or a line id to check it by: it cannot be told to be the order "
                    "Shopify gives by that id (counted as read by its id), not counted"
                )
                items.append(dataclasses.replace(part.item, detail=error_words(error)))
                continue
            error = ValueError(
                f"read in part under order {legacy_id(gid)[:20]}'s id, but it is not the order "
                f"Shopify gives by that id ({why}): another order's contents, not counted"
            )
            items.append(dataclasses.replace(part.item, detail=error_words(error)))
        return items

    def first_updated(self) -> str:
        """The earliest ``updatedAt`` of the orders still to read again ("" when one is not
        known): the stored cursor may move up to it (inclusive, it comes again)."""
        times = [self._updated.get(gid, "") for gid in self.rest_of]
        return "" if not times or "" in times else min(times)

    def stored_whole(self, gid: str, updated: str) -> None:
        """``gid`` at ``updated`` read whole and handed with this page: not read again while
        that version comes back (its page stored), bounded."""
        if len(self.read_whole) >= WINDOW_RECORDS_KEPT:
            self.read_whole.clear()
        self.read_whole[gid] = updated
        self._page_whole.append(gid)

    def new_answer(self) -> None:
        """An answer is read: the orders handed with the last page are stored."""
        self._page_whole = []

    def window_ended(self) -> None:
        self._level.clear()
        self._read_so_far.clear()
        self._in_part.clear()

    def page_not_stored(self) -> None:
        """The last page could not be stored: its window is read again, and of the orders read
        again only the ones that page carried. All of them were, and after each page the store
        failed the window began with orders read again alone (a call each), so a store failing
        every 4th page never got past them."""
        self.rest_of.clear()
        self._in_part.clear()
        for gid in self._page_whole:
            self.read_whole.pop(gid, None)
            self.kept_rejected.pop(gid, None)
        self._page_whole = []
        self._forget_order()
        self._level.clear()
        self._read_so_far.clear()

    def _forget_order(self) -> None:
        self._node, self._lines, self._after = None, [], None
        self._afters, self._line_ids = set(), set()
        self.refusals = self._changes = self._bytes_read = 0

    # -- calls ----------------------------------------------------------------------------------

    def new_call(self) -> None:
        """A call is asked: none of several orders until ``request`` says so."""
        self.together_asked = []

    def waited(self) -> None:
        """The call for the rest of an order was answered with a wait (a throttle): no
        refusal, so those before it are no longer in a row."""
        self.refusals = 0

    def request(self, sizes: PageSizes) -> tuple[str, dict[str, object]]:
        """The next call: several orders at once, or the first one alone at ``sizes``."""
        self.together_asked = []
        if self._read_together():
            level = self._level.get(self.rest_of[0], 0)
            self._asked_sizes = _TOGETHER_SIZES[level]
            self.together_asked = [g for g in self.rest_of if self._level.get(g, 0) == level]
            del self.together_asked[self._most_together(level) :]
            variables: dict[str, object] = {
                f"id{n}": gid for n, gid in enumerate(self.together_asked)
            }
            variables.update(self._asked_sizes.variables(), linesAfter=None)
            del variables["first"]
            return orders_by_id_query(len(self.together_asked)), variables
        so_far = self._read_so_far.pop(self.rest_of[0], None)
        if so_far is not None and self._node is None and self._after is None:
            self._node, self._lines, self._after = so_far
            self._afters, self._line_ids = {so_far[2]}, _ids_of(so_far[1])
            self._refunds_asked = _TOGETHER_SIZES[-1].refunds
        variables = {"id": self.rest_of[0], **sizes.variables(), "linesAfter": self._after}
        del variables["first"]
        return ORDER_QUERY, variables

    def _most_together(self, level: int) -> int:
        """How many orders a call for several at ``level`` asks (fewer after refusals, as the
        first level's)."""
        sizes = _TOGETHER_SIZES[level]
        return max(1, self.together * sizes.orders // ORDERS_BY_ID_PAGE.orders)

    def _read_together(self) -> bool:
        """Whether the next orders to read again are read several at once: none is half read
        nor refused, the first is not one a call for several left to be read alone, and
        another is to be read as it."""
        level = self._level.get(self.rest_of[0], 0)
        return (
            level < _ALONE
            and self._most_together(level) >= 2
            and self._node is None
            and self._after is None
            and self.refusals == 0
            and self._changes == 0
            and sum(self._level.get(gid, 0) == level for gid in self.rest_of) >= 2
        )

    def fewer_together(self, why: str) -> None:
        """A call for several orders failed (refused, past the size cap, too costly): fewer
        at once from now (down to one: each read alone, with that call's own rules)."""
        self.together //= 2
        self._together_held = GROW_AFTER_PAGES
        log.info(
            "feed %s: orders read again %d at once (%s)", self.source, self.together, why[:200]
        )

    def _more_together(self) -> None:
        """An answer for orders read again: after ``GROW_AFTER_PAGES`` of them (alone, when
        no longer several at once), as many at once again."""
        if self._together_held > 0:
            self._together_held -= 1
        else:
            self.together = ORDERS_BY_ID_PAGE.orders

    def refused(self, status: int) -> FeedItem | None:
        """The call was refused (HTTP 4xx): a call for several, fewer at once; the rest of an
        order read alone, after ``_REST_REFUSALS`` in a row the order kept as rejected (the item
        returned), with why, and the window goes on. It was asked again for good, the window's
        cursor held: no later order read."""
        if self.together_asked:
            self.fewer_together(f"HTTP {status}")
            return None
        self.refusals += 1
        if self.refusals < _REST_REFUSALS:
            return None
        gid = self.rest_of.pop(0)
        self.least.pop(gid, None)
        self._in_part.pop(gid, None)  # nothing to check them against: that order is rejected
        reason = f"Shopify refused to read the rest of it (HTTP {status}, {_REST_REFUSALS} times)"
        # That version is not asked for again (a change of the order is).
        self.read_whole[gid] = self._updated.get(gid, "")
        self._forget_order()
        return rejected(self.source, {"id": gid}, ValueError(reason), "order")

    def alone_too_large(self) -> FeedItem:
        """The order read alone is past the size cap at the least that can be asked (one line,
        one refund): kept as rejected (the item returned), with why; the window goes on past
        it."""
        gid = self.rest_of.pop(0)
        self.least.pop(gid, None)
        self._in_part.pop(gid, None)  # nothing to check them against: that order is rejected
        updated = self._updated.get(gid, "")
        log.info("feed %s: order %s alone is past the size cap", self.source, legacy_id(gid))
        # That version is not asked for again (a change of the order is).
        self.read_whole[gid] = updated
        if len(self.too_large) >= WINDOW_RECORDS_KEPT:
            self.too_large.clear()
        self.too_large[gid] = updated
        self._forget_order()
        raw = {"id": gid, "updatedAt": updated}
        return rejected(self.source, raw, too_large_alone(), "order")

    # -- answers --------------------------------------------------------------------------------

    def alone_answer(
        self, body: Mapping[str, Any], sizes: PageSizes, grow: Callable[[], None], size: int = 0
    ) -> Page | Read:
        """An answer to ``order(id:)`` (asked at ``sizes``, ``size`` bytes) for the first order
        read in part: its next lines (a Page), or all of it read and counted or kept as
        rejected, with why. ``grow`` is called once it is read at the sizes asked."""
        gid = self.rest_of[0]
        items: list[FeedItem] = []
        malformed = counted = 0
        errors = body.get("errors")
        data = body.get("data")
        node = data.get("order") if isinstance(data, dict) else None
        problem = ""
        if errors:
            # A refusal like an HTTP 4xx one (refused): asked again, kept as rejected after
            # _REST_REFUSALS in a row. One "Internal error" (INTERNAL_SERVER_ERROR, HTTP 200)
            # made the order rejected at once, never counted once the window moved.
            self.refusals += 1
            if self.refusals < _REST_REFUSALS:
                raise MalformedResponse(f"GraphQL errors: {errors_said(errors, self._secrets())}")
            problem = (
                f"Shopify refused to read the rest of it: {errors_said(errors, self._secrets())}"
            )
        elif not isinstance(node, dict):
            problem = "Shopify no longer has this order, read in part"
        elif order_number(node) != legacy_id(gid):
            # Another order's answer is not this one's: counted as it, this one never was.
            problem = f"Shopify answered another order ({order_number(node)[:20] or 'no id'})"
        else:
            self.refusals = 0
            first = self._node
            if first is not None and node.get("updatedAt") != first.get("updatedAt"):
                # Changed (an order edit, a refund) between two pages of its lines: read again
                # from its first line, once it holds still. Its pages were stitched: the first
                # version's total and lines with the next version's later lines (10 lines of
                # a 150-line order missing from its product sales, counted so).
                self._changes += 1
                self._node, self._lines, self._after = None, [], None
                self._afters, self._line_ids = set(), set()
                self._bytes_read = 0
                if self._changes < _REST_REFUSALS:
                    return Page(items=(), cursor=None, more=True, advanced=True)
                problem = f"it changed while its lines were read, {_REST_REFUSALS} times"
            lines = node.get("lineItems")
            page_info = (lines.get("pageInfo") if isinstance(lines, dict) else None) or {}
            try:
                page_lines = nodes_of(lines)
            except ValueError as error:
                problem = f"its lines cannot be read ({error})"
            else:
                again = _ids_of(page_lines) & self._line_ids
                if again:
                    problem = f"line {legacy_id(min(again))[:40]} given twice"
                self._lines.extend(page_lines)
                self._line_ids |= _ids_of(page_lines)
                self._bytes_read += size
            if not isinstance(page_info, dict):
                # Whether more lines follow is unknown: never counted with lines missing. A
                # "pageInfo" of "x" or [1] raised AttributeError out of the answer, asked again
                # for good ("unexpected error"): the window held, no later order read.
                problem = problem or "its lines' pageInfo cannot be read"
                page_info = {}
            if self._node is None:
                self._node = node
                self._refunds_asked = sizes.refunds
            grow()  # once read at the sizes asked
            self._more_together()
            after = end_cursor(page_info)
            if problem:
                pass
            elif page_info.get("hasNextPage") is True:
                if not after or after == self._after or not nodes_of(lines):
                    # Asked at once again and again, the feed held on this order for good.
                    problem = "Shopify gave no new lines nor cursor for the rest of its lines"
                elif after in self._afters:
                    problem = "Shopify gave a cursor of its lines it had given (a loop)"
                elif len(self._lines) >= _MOST_LINES_READ:
                    problem = f"more than {_MOST_LINES_READ:,} lines"
                elif self._bytes_read > MAX_RESPONSE_BYTES:
                    # Its pages are kept until the last one: 10,000 lines of 80 kB each (100
                    # answers under the cap) held 800 MB, and the app some 7 GB, before the
                    # order was counted. Larger than an answer may be, as one past the cap.
                    problem = str(too_large_alone(", its lines read page after page"))
                else:
                    self._after = after
                    self._afters.add(after)
                    # Lines not read before (an empty page ended it above): progress, asked
                    # at once. As pages without an item, after 50 they were asked every 2 s:
                    # an order of 6,000 lines took 20 s, in 1-line pages 6 min, the feed
                    # reading nothing else meanwhile.
                    return Page(
                        items=(), cursor=None, more=True, advanced=True, read_new_records=True
                    )
        if problem:
            malformed += 1
            # That version is not asked for again (a change of the order is): the window's
            # last order comes again on every poll (the cursor is inclusive), read again each
            # time and, another way once (from its first line), counted while kept as rejected.
            self.stored_whole(gid, self._updated.get(gid, ""))
            if len(self.kept_rejected) >= WINDOW_RECORDS_KEPT:
                self.kept_rejected.clear()
            self.kept_rejected[gid] = self._updated.get(gid, "")
            read = self._node or node
            kept = self._in_part.pop(gid, [])  # nothing whole to check them against: rejected
            if isinstance(read, dict) or not kept:
                raw = {"id": gid, "order": read}
                items.append(rejected(self.source, raw, ValueError(problem), "order"))
            else:
                # Nothing answered by its id (deleted since): kept with what the orders query
                # read of it, its lines and total, not as {"order": null}, which told the
                # report's reader nothing of the order not counted.
                items.append(
                    dataclasses.replace(kept[0].item, detail=error_words(ValueError(problem)))
                )
        else:
            whole = dict(self._node or {})
            whole["lineItems"] = {"nodes": self._lines}
            refunds = whole.get("refunds")
            read, unreadable = read_order(self.source, whole)
            items.extend(read)
            malformed += unreadable
            counted += 1
            others = self._not_its_own(gid, whole)
            items.extend(others)
            malformed += len(others)
            self.stored_whole(gid, as_text(whole.get("updatedAt")))
            if isinstance(refunds, list) and len(refunds) >= self._refunds_asked:
                # A list of refunds says nothing of more: the ones after it are not counted.
                malformed += 1
                beyond = ValueError(
                    f"{len(refunds)} refunds read, the most one call reads: any after them "
                    "are not counted"
                )
                raw = {"id": gid, "refunds_read": len(refunds)}
                items.append(rejected(self.source, raw, beyond, "order_update"))
        self.least.pop(self.rest_of.pop(0), None)
        self._forget_order()
        return Read(items, malformed, counted)

    def _left(self, gid: str, node: dict[str, Any] | None, sizes: PageSizes) -> None:
        """``gid``, asked at ``sizes`` with others, is left to the next way of reading it: of
        more lines only (``node`` read), several at a call of more lines; else alone (from its
        next lines, after the call of the most lines)."""
        level = self._level.get(gid, 0) + 1
        more_lines = node is not None and _more_lines_only(node, sizes)
        if level < _ALONE and not more_lines:
            level = _ALONE
        elif level == _ALONE and more_lines and node is not None:
            lines = node["lineItems"]
            after = end_cursor(lines.get("pageInfo") or {})
            if after:
                if len(self._read_so_far) >= WINDOW_RECORDS_KEPT:
                    self._read_so_far.clear()
                self._read_so_far[gid] = (node, list(nodes_of(lines)), after)
        if len(self._level) >= WINDOW_RECORDS_KEPT:
            self._level.clear()
        self._level[gid] = level

    def together_answer(self, body: Mapping[str, Any]) -> Page | Read:
        """An answer for several orders read again at once (the adapter has waited out a
        throttle): each read whole is counted; one with more than that call reads (lines,
        refunds), or not answered as asked, is left to be read alone (its own rules: pages of
        lines, refusals said, kept as rejected)."""
        errors = body.get("errors")
        named: set[str] = set()  # the orders (aliases) the errors are about: read alone
        if errors:
            about = _aliases_named(errors)
            if about is None:
                self.fewer_together(errors_said(errors, self._secrets()))
                return Page(items=(), cursor=None, more=True, advanced=True)
            # Errors each about one order (their path): the others answered are whole. The
            # whole answer was dropped and asked again at half, then a quarter…: an
            # "Internal error" for one order of 13 cost three calls and 12 orders read again.
            named = about
            log.info(
                "feed %s: orders read again alone after errors: %s",
                self.source,
                errors_said(errors, self._secrets()),
            )
        data = body.get("data")
        data = data if isinstance(data, dict) else {}
        items: list[FeedItem] = []
        malformed = counted = 0
        sizes = self._asked_sizes
        for n, gid in enumerate(self.together_asked):
            node = data.get(f"o{n}")
            if (
                f"o{n}" in named
                or not isinstance(node, dict)
                or order_number(node) != legacy_id(gid)
            ):
                self._left(gid, None, sizes)
                continue
            if read_in_part(node, sizes):
                self._left(gid, node, sizes)
                continue
            read, unreadable = read_order(self.source, node)
            items.extend(read)
            malformed += unreadable
            counted += 1
            others = self._not_its_own(gid, node)
            items.extend(others)
            malformed += len(others)
            self.stored_whole(gid, as_text(node.get("updatedAt")))
            self.rest_of.remove(gid)
        # Those left are read in the window's order (by updatedAt), each its own way: the
        # stored cursor moves up to the first one still to read (ReadAgain.first_updated).
        self._more_together()
        return Read(items, malformed, counted)


def _what_was_read(source: str, node: dict[str, Any]) -> _InPart:
    """What the orders query read of ``node``, an order read in part (_InPart)."""
    try:
        lines = nodes_of(node.get("lineItems"))[: ORDER_PAGE.line_items]
    except ValueError:
        lines = []
    return _InPart(
        as_text(node.get("createdAt"))[:_CREATED_KEPT],
        frozenset(_ids_of(lines)),
        rejected(source, node, ValueError("read in part"), "order"),
    )


def _more_lines_only(node: dict[str, Any], sizes: PageSizes) -> bool:
    """Whether an order answered in a call for several has more lines than it asks, its lines
    read well, and all of the rest (its refunds and their lines)."""
    lines = node.get("lineItems")
    if not has_next_page(lines) or read_in_part({**node, "lineItems": None}, sizes):
        return False
    try:
        return bool(nodes_of(lines))
    except ValueError:
        return False


def _ids_of(lines: list[Any]) -> set[str]:
    """The ids of ``lines`` that have one (a line without is said when the order is read)."""
    return {
        line["id"] for line in lines if isinstance(line, dict) and isinstance(line.get("id"), str)
    }


def _aliases_named(errors: object) -> set[str] | None:
    """The aliases (``oN``) GraphQL ``errors`` are about (the first step of each one's
    ``path``), or None when one is about no order of its own (a refusal of the whole call)."""
    if not isinstance(errors, list):
        return None
    named = set()
    for error in errors:
        path = error.get("path") if isinstance(error, dict) else None
        if not isinstance(path, list) or not path or not isinstance(path[0], str):
            return None
        named.add(path[0])
    return named
