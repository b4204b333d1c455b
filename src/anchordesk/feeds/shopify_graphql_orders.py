"""Shopify GraphQL orders as the feed keeps them: an ``Order`` node (``orders { nodes }`` or
``order(id:)``) read into an ``Order`` and its ``OrderUpdate`` items (its cancellation and
refunds), or kept as rejected with why; and whether the orders query read a node in part
(more lines, refunds or a refund's lines than it asks), so that it is read again alone.

Split from shopify_graphql.py (the adapter: calls, windows, cost, waits) by concern.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from anchordesk.core.logs import mask_text
from anchordesk.core.printable import escape_controls
from anchordesk.core.redact import mask_secrets
from anchordesk.feeds.parsing import (
    as_text,
    currency_as_sent,
    fields_of,
    json_shown,
    money,
    optional_id,
    quantity_as_sent,
    readable,
    refund_amount,
    unreadable_item,
)
from anchordesk.feeds.poller import MAX_RESPONSE_BYTES
from anchordesk.feeds.shopify_graphql_query import PageSizes
from anchordesk.show.feed_items import (
    FeedItem,
    Order,
    OrderLine,
    OrderUpdate,
    RefundLine,
    RejectedItem,
    shopify_number,
)


def legacy_id(gid: object) -> str:
    text = as_text(gid)
    return text.rsplit("/", 1)[-1] if text else ""


def order_number(node: object) -> str:
    """The one id an order is kept under, counted, rejected or read again: its
    ``legacyResourceId`` (the REST adapter's id too), else the number its gid ends with; ""
    when neither is an order number. An order read again was asked by its ``id`` as sent: one
    whose ``id`` named another order (``gid://shopify/Order/5001`` on order 5002) was read as
    that one, and never counted nor rejected; ``-1`` or 5,000 digits were kept as its id."""
    fields = fields_of(node)
    return shopify_number(fields.get("legacyResourceId")) or shopify_number(
        legacy_id(fields.get("id"))
    )


def refund_key(given: str, position: int, sent: object) -> str:
    """The refund id an order's refund is kept under (``OrderUpdate.refund_id``, in the key
    OrderUpdate.id builds), for both Shopify APIs: ``given``, the id it was ``sent`` with
    (GraphQL: its gid's number), else its ``position`` in the order's refunds, ``#2``
    (Shopify lists them oldest first and never removes one). Without an id, GraphQL keyed a
    refund by its amount: two refunds of $5.00 were one sent twice, the second not counted nor
    said (REST's were kept apart). An id of that shape is no Shopify id: one ``"#2"`` and the
    second refund without an id were one refund. A number by the one id rule of both APIs
    (:func:`shopify_number`): GraphQL's ``gid://shopify/Refund/0900`` (a proxy padding ids)
    was refund "0900", REST's 900 refund "900", one refund counted twice across an API
    switch."""
    if given.startswith("#"):
        raise ValueError(f"refund id {json_shown(sent)} is not an id")
    return shopify_number(given) or given or f"#{position}"


def rejected(source: str, raw: object, error: Exception, kind: str) -> RejectedItem:
    """``raw`` kept as rejected, with why, under its order's number (:func:`order_number`).
    Under the gid it was sent with, a rejected order read ``gid://shopify/Order/5080`` in the
    report beside counted ones as ``5080``: a copy counted later was not seen as that order."""
    item = unreadable_item(source, raw, error, kind)
    number = order_number(raw)
    return dataclasses.replace(item, item_id=number[:200]) if number else item


def shop_money(money_set: object) -> tuple[Decimal, str]:
    if not isinstance(money_set, dict):
        raise ValueError("no money")
    shop = money_set["shopMoney"]
    return money(shop["amount"]), currency_as_sent(shop.get("currencyCode"))


def same_currency(currency: str, named: str) -> None:
    """Each amount names its currency: one in another than its order's would be added into the
    order's (a ¥2,400 line as $2,400 of the product's sales, a € total as $): never summed."""
    if named and named != currency:
        raise ValueError(f"amounts in {currency[:8]!r} and {named[:8]!r}")


def nodes_of(connection: object) -> list[Any]:
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


def order_of(source: str, node: Mapping[str, Any]) -> Order:
    order_id = order_number(node)
    if not order_id:
        raise ValueError("no id")
    total, total_currency = shop_money(node["totalPriceSet"])
    currency = currency_as_sent(node.get("currencyCode")) or total_currency
    same_currency(currency, total_currency)
    lines = []
    seen: set[str] = set()
    for line in nodes_of(node.get("lineItems")):
        line_id = line.get("id") if isinstance(line, dict) else None
        if isinstance(line_id, str) and line_id:
            # A line given twice (pages of lines that repeat under new cursors) was counted
            # twice: 300 units of a 150-unit order in product sales and stock.
            if line_id in seen:
                raise ValueError(f"line {legacy_id(line_id)[:40]} given twice")
            seen.add(line_id)
        unit_price, line_currency = shop_money(line["originalUnitPriceSet"])
        same_currency(currency, line_currency)
        lines.append(
            OrderLine(
                sku=as_text(line.get("sku")).strip(),
                quantity=quantity_as_sent(line["quantity"]),
                unit_price=unit_price,
                title=as_text(line.get("title")),
            )
        )
    return Order(
        source=source,
        id=order_id,
        currency=currency,
        total_price=total,
        lines=tuple(lines),
        created_at=as_text(node.get("createdAt")),
    )


def updates_of(source: str, node: Mapping[str, Any], order: Order) -> list[FeedItem]:
    updates: list[FeedItem] = []
    cancelled_at = node.get("cancelledAt")
    if cancelled_at:
        updates.append(
            OrderUpdate(
                source,
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
    return [*updates, *refunds_read(source, order.id, refunds, _refund_key, _refund_of(order))]


def _refund_key(refund: object, position: int) -> str:
    fields = fields_of(refund)
    return refund_key(
        legacy_id(optional_id(fields.get("id"), "refund id")), position, fields.get("id")
    )


def _refund_of(order: Order) -> Callable[[Any, int], OrderUpdate | None]:
    """How a refund of ``order`` (a GraphQL node) is read: None while it is unsettled."""

    def read(refund: Any, position: int) -> OrderUpdate | None:
        if isinstance(refund, dict) and refund_unsettled(refund.get("transactions")):
            return None  # sent once settled (refund_unsettled), keyed by its place as then
        amount, currency = shop_money(refund["totalRefundedSet"])
        # Keyed by its place without an id (as REST's are), in its reason too: the order's
        # updates were rejected as 'no "id" field', or "refund  has more lines".
        key = _refund_key(refund, position)
        if has_next_page(refund.get("refundLineItems")):
            # Its units back in stock would be counted short.
            raise ValueError(f"refund {key[:40]} has more lines than one call reads")
        lines = [
            RefundLine(
                as_text((item.get("lineItem") or {}).get("sku")).strip(),
                quantity_as_sent(item["quantity"], "refund quantity"),
            )
            for item in nodes_of(refund.get("refundLineItems"))
        ]
        return OrderUpdate(
            order.source,
            order.id,
            "refunded",
            refund_amount(amount),
            currency or order.currency,
            refund_id=key,
            lines=tuple(lines),
            at=as_text(refund.get("createdAt")),
        )

    return read


_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, ArithmeticError)


def refunds_read(
    source: str,
    order_id: str,
    refunds: list[Any],
    key_of: Callable[[Any, int], str],
    read: Callable[[Any, int], OrderUpdate | None],
) -> list[FeedItem]:
    """An order's refunds (both APIs), each ``read`` alone (by its place in the order's
    refunds, from 1; None: not sent yet): one that cannot be read is kept as rejected under
    its key (``key_of``; its place when it has none), with why. Read all or none, one such
    refund (in two currencies at once, a quantity of "1") had the order's cancellation and
    its other refunds rejected with it: a cancelled order stayed a $20.00 sale through REST
    while GraphQL, the same shop, said $0.00."""
    items: list[FeedItem] = []
    for position, refund in enumerate(refunds, start=1):
        try:
            update = read(refund, position)
        except _UNREADABLE as error:
            try:
                refund_id = key_of(refund, position)
            except _UNREADABLE:
                refund_id = f"#{position}"
            key = OrderUpdate(source, order_id, "refunded", refund_id=refund_id).id
            item = unreadable_item(source, refund, error, "order_update")
            items.append(dataclasses.replace(item, item_id=key[:200]))
            continue
        if update is not None:
            items.append(update)
    return items


def refund_unsettled(transactions: object) -> bool:
    """Whether a refund's transactions (REST's list, GraphQL's ``transactions`` connection)
    hold a ``refund`` one not settled yet (``pending``; GraphQL's ``PENDING`` or
    ``AWAITING_RESPONSE``): the one rule of both APIs. Such a refund is not sent until it
    settles (Shopify moves the order's updated time then, and the window reads it again):
    sent pending it was a $0.00 refund, or one of what GraphQL counted so far, and its
    settled copy was rejected as update_changed ("the first copy counts"), GMV never taking
    the money off."""
    if isinstance(transactions, dict):
        listed: object = transactions.get("nodes")
    else:
        listed = transactions
    if not isinstance(listed, list):
        return False
    return any(
        str(fields_of(transaction).get("kind", "")).lower() == "refund"
        and str(fields_of(transaction).get("status", "")).lower()
        in ("pending", "awaiting_response")
        for transaction in listed
    )


def read_order(source: str, node: object) -> tuple[list[FeedItem], int]:
    """One order, read whole (every line), as items: the order and its updates, or what of
    it is rejected, with how many items are rejected."""
    try:
        order = order_of(source, readable(node))  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
        # Kept as rejected, with why (the hub logs it once, the report lists it), as
        # the other feeds do: never silently dropped.
        return [rejected(source, node, error, "order")], 1
    items: list[FeedItem] = [order]
    try:
        items.extend(updates_of(source, node, order))  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
        # The order's cancellation and refunds as one rejected item (its refunds not a
        # list); the sale itself is still kept. One unreadable refund (an amount of
        # 1e999999999, a quantity of "1") made the whole order rejected: a paid sale not
        # counted. Such a refund is rejected alone (refunds_read).
        return [*items, rejected(source, node, error, "order_update")], 1
    return items, sum(isinstance(item, RejectedItem) for item in items)


def has_next_page(connection: object) -> bool:
    page_info = connection.get("pageInfo") if isinstance(connection, dict) else None
    return isinstance(page_info, dict) and page_info.get("hasNextPage") is True


def read_in_part(node: object, sizes: PageSizes) -> str:
    """Why the orders query read ``node`` in part (more lines, refunds or a refund's lines
    than it asks), or "" when it read all of it."""
    if not isinstance(node, dict):
        return ""
    if has_next_page(node.get("lineItems")):
        return f"more than {sizes.line_items} lines"
    refunds = node.get("refunds")
    if isinstance(refunds, list) and refunds and len(refunds) >= sizes.refunds:
        return f"{len(refunds)} refunds or more"
    if isinstance(refunds, list) and any(
        isinstance(refund, dict) and has_next_page(refund.get("refundLineItems"))
        for refund in refunds
    ):
        return f"a refund of more than {sizes.refund_lines} lines"
    return ""


def end_cursor(page_info: Mapping[str, Any]) -> str:
    """``pageInfo.endCursor`` when it is one (a GraphQL ``String``), else "" (none): an object
    there was sent back as its Python text, ``"{'a': 1}"``, a cursor the shop never gave."""
    end = page_info.get("endCursor")
    return end if isinstance(end, str) else ""


def too_large_alone(even: str = "") -> ValueError:
    """Why an order past the size cap alone is kept as rejected (the REST adapter's words
    too); ``even``: how little was asked of it."""
    return ValueError(
        f"the order alone is larger than the {MAX_RESPONSE_BYTES // 2**20} MB a feed's answer "
        f"may have{even}: not read"
    )


def error_codes(errors: object) -> dict[str, Mapping[str, Any]]:
    """GraphQL ``errors`` by their ``extensions.code``: the first error's extensions of each
    code (an error whose extensions are no object has none: a list there escaped as
    AttributeError, said "unexpected error" instead of the shop's words)."""
    codes: dict[str, Mapping[str, Any]] = {}
    for error in errors if isinstance(errors, list) else []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict):
            codes.setdefault(as_text(extensions.get("code")), extensions)
    return codes


def nodes_named(errors: object) -> set[int] | None:
    """The places in the page's ``data.orders`` (its nodes or edges) GraphQL ``errors`` are
    about (each one's ``path``: ``["orders", "nodes", 3, "refunds"]``), or None when one is
    about no order of the page (a refusal of the whole call)."""
    if not isinstance(errors, list) or not errors:
        return None
    named = set()
    for error in errors:
        path = error.get("path") if isinstance(error, dict) else None
        if not (
            isinstance(path, list)
            and len(path) >= 3
            and path[0] == "orders"
            and path[1] in ("nodes", "edges")
            and type(path[2]) is int
        ):
            return None
        named.add(path[2])
    return named


def errors_said(errors: object, secrets: tuple[str, ...] = ()) -> str:
    """GraphQL ``errors`` as the feed's status says them: their messages (a shop's words,
    in its language), on one line, control characters escaped, cut to 200 characters.
    As ``json.dumps`` wrote them, a Chinese shop's message read "\\u65e0\\u6548…".

    Masked by the one rule (``secrets``: the access token's, core/redact): they are also an
    order's reason to be rejected, kept in the session and printed by the report, which mask
    nothing. A shop (a proxy) quoting the request, "access token shpat_… may not read
    https://…?access_token=shpat_…", put the token there as it was."""
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
    return shop_words(said, secrets)


#: The most characters of a shop's own words quoted in a reason or a status.
SHOP_WORDS_SAID = 200


def shop_words(said: str, secrets: tuple[str, ...] = ()) -> str:
    """A shop's own words as a reason or a status quotes them (both Shopify APIs): on one line,
    masked by the one rule (``secrets`` too) before they are cut, control characters escaped,
    cut to :data:`SHOP_WORDS_SAID` characters."""
    masked = mask_text(mask_secrets(" ".join(said.split()), secrets))
    return escape_controls(masked)[:SHOP_WORDS_SAID]
