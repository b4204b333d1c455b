"""Shopify ids a session keeps, read by the one id rule of both Shopify APIs
(``show/feed_items.shopify_number``: a whole number, written without padding).

Why: behind a proxy that pads ids, an older version kept what GraphQL sent as it was: an
order's ``legacyResourceId`` "05001" before round 32, a refund's ``gid://shopify/Refund/0900``
as refund "0900" before round 33. This version reads them "5001" and "900", as REST does:
a session of that version continued by this one counted that order (that refund) a second
time under its new key. A session opened to write has such keys renamed
(:func:`padded_ids_renamed`: the order, its cancellations and refunds, their rejected
copies), so the copies sent now find the ones kept; the readers read every kept id by the
rule (:func:`order_read`, :func:`update_read`), so a file kept under both keys (counted twice
by an earlier run) counts the item once. Shopify's feeds only: another feed's id "0900" is
its own.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace

from anchordesk.show.feed_items import Order, OrderUpdate, shopify_number

# A Shopify feed's name in a session: its kind, or its kind and "#2"… (store/session_feeds.py).
_SHOPIFY_KIND = "shopify-orders"
# Where an update's key ends its order id (feed_items.OrderUpdate.id escapes any other).
_KEY_TAIL = re.compile(r":(?=refund(?:[:=]|$)|cancelled$)")


def _shopify(source: object) -> bool:
    return isinstance(source, str) and source.partition("#")[0] == _SHOPIFY_KIND


def id_read(source: str, kept: str) -> str:
    """``kept``, an id of ``source``'s order or refund, by the one id rule ("0900" is "900")."""
    if not _shopify(source):
        return kept
    return shopify_number(kept) or kept


def order_read(order: Order) -> Order:
    """A kept order, its id by the rule."""
    number = id_read(order.source, order.id)
    return order if number == order.id else replace(order, id=number)


def update_read(update: OrderUpdate) -> OrderUpdate:
    """A kept cancellation or refund, its order's id and its refund id by the rule."""
    order_id = id_read(update.source, update.order_id)
    refund_id = (
        id_read(update.source, update.refund_id)
        if update.status == "refunded"
        else update.refund_id
    )
    if (order_id, refund_id) == (update.order_id, update.refund_id):
        return update
    return replace(update, order_id=order_id, refund_id=refund_id)


def key_read(source: str, key: str) -> str:
    """An update's key (``05001:refund:0900``) with its order's and refund's ids by the rule;
    a key an older version wrote in another form keeps that form."""
    cut = _KEY_TAIL.search(key)
    if cut is None:
        return key
    order, tail = key[: cut.start()], key[cut.start() :]
    if tail.startswith(":refund:"):
        tail = ":refund:" + id_read(source, tail.removeprefix(":refund:"))
    return id_read(source, order) + tail


# Ids a Shopify feed keeps that may be padded (a number written with a leading 0 or space):
# the others are read as they are. SQLite's GLOB, by the (source, id) index's source range.
_MAYBE_PADDED = "(({0} GLOB '0*') OR ({0} GLOB '*[^0-9]*'))"


def padded_ids_renamed(db: sqlite3.Connection) -> None:
    """Every padded Shopify id of the session under the rule's: orders, cancellations and
    refunds (their order's id, their refund id, their key), and rejected copies of either. A
    key taken already (the item kept under both) is left: the readers count it once."""
    shops = (_SHOPIFY_KIND, _SHOPIFY_KIND + "$")
    rows = db.execute(
        f"SELECT source, id FROM orders WHERE source >= ? AND source < ? AND "
        f"{_MAYBE_PADDED.format('id')}",
        shops,
    ).fetchall()
    for source, key in rows:
        if _shopify(source) and isinstance(key, str) and id_read(source, key) != key:
            db.execute(
                "UPDATE OR IGNORE orders SET id = ? WHERE source = ? AND id = ?",
                (id_read(source, key), source, key),
            )
    rows = db.execute(
        "SELECT source, id, order_id, status, refund_id FROM order_updates WHERE source >= ?"
        f" AND source < ? AND ({_MAYBE_PADDED.format('order_id')} OR (status = 'refunded'"
        f" AND {_MAYBE_PADDED.format('refund_id')}))",
        shops,
    ).fetchall()
    for source, key, order_id, status, refund_id in rows:
        if not _shopify(source) or not all(
            isinstance(text, str) for text in (key, order_id, status, refund_id)
        ):
            continue
        kept = OrderUpdate(source, order_id, status, refund_id=refund_id)
        read = update_read(kept)
        if read != kept:
            db.execute(
                "UPDATE OR IGNORE order_updates SET id = ?, order_id = ?, refund_id = ?"
                " WHERE source = ? AND id = ?",
                (key_read(source, key), read.order_id, read.refund_id, source, key),
            )
    rows = db.execute(
        "SELECT source, id, kind, item_id FROM rejected_items WHERE source >= ? AND source < ?"
        f" AND kind IN ('order', 'order_update') AND {_MAYBE_PADDED.format('item_id')}",
        shops,
    ).fetchall()
    for source, key, kind, item_id in rows:
        if not _shopify(source) or not all(isinstance(t, str) for t in (key, kind, item_id)):
            continue
        head = f"{kind}:{item_id}:"  # a rejected item's key: kind, id, digest (RejectedItem.id)
        named = id_read(source, item_id) if kind == "order" else key_read(source, item_id)
        if named != item_id and key.startswith(head):
            db.execute(
                "UPDATE OR IGNORE rejected_items SET id = ?, item_id = ?"
                " WHERE source = ? AND id = ?",
                (f"{kind}:{named}:{key.removeprefix(head)}", named, source, key),
            )
