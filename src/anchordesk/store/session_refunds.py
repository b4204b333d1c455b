"""How a Shopify refund is matched with the copy a session kept of it, whatever key either
copy came under (store/session.py's writer): with its id or without one (keyed by its place in
its order's refunds, ``5001:refund:#2``), or under a key an older version wrote (its amount, or
REST's "None"). Without these rules one refund was counted under two keys (a proxy that drops
refund ids put in front of the shop or taken away, a session of an older version continued).
Moved out of session.py as it was (no change of behaviour); ``RefundMatching`` is a part of
``SessionStore``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from anchordesk.show.feed_items import FeedItem, Order, OrderUpdate, RejectedItem
from anchordesk.show.feed_rules import update_problem
from anchordesk.store.session_rows import UnreadableRowError, update_from_row, update_row_values

# The key of a refund without an id: its place among its order's refunds (feeds/shopify*).
_PLACE_KEY = re.compile(r"#[1-9][0-9]*")
# The feed kind whose refunds were kept under their amount before their place (a feed's name
# in the session is its kind, or its kind and "#2"…: store/session_feeds.py).
_SHOPIFY_KIND = "shopify-orders"


def refund_places(items: Sequence[FeedItem]) -> dict[int, int]:
    """The place (from 1) of each refund of ``items`` (by its index) among its order's
    refunds as the batch lists them: Shopify lists an order's refunds oldest first after
    the order, and a refund without an id is keyed by that place (``5001:refund:#2``)."""
    places: dict[int, int] = {}
    counted: dict[str, int] = {}
    for index, item in enumerate(items):
        if isinstance(item, Order):
            counted.pop(item.id, None)  # the order read again: its refunds from the first
        elif isinstance(item, OrderUpdate) and item.status == "refunded":
            counted[item.order_id] = places[index] = counted.get(item.order_id, 0) + 1
    return places


def _same_refund(row: Sequence[Any], terms: tuple[object, ...]) -> bool:
    """Whether the kept refund ``row`` at a refund's place is that refund changed since: made
    when it was (``at``: its amount or units changed), or the same but for its time."""
    at, refund, lines, currency = terms
    return (bool(at) and row[4] == at) or (row[6], row[9], row[7]) == (refund, lines, currency)


def _old_keys(update: OrderUpdate) -> list[tuple[str, str]]:
    """Every (key, refund id) a Shopify refund without an id was kept under before its place
    (``5001:refund:#1``), newest first. These are all the forms the code ever wrote (git log
    of show/feed_items.py and feeds/shopify*.py): ``5001:refund=5`` (GraphQL from 30 Nov 05:55
    to 08:11, R21hunt21in F5); ``5001:refund:5`` (GraphQL until 05:55; REST from 29 Nov 22:20
    to 30 Nov 05:00, R19); ``5001:refund:None`` with the refund id "None" (REST until 29 Nov
    22:20: a null id read as the text "None")."""
    by_amount = replace(update, refund_id="")
    amount = "all" if update.refund is None else format(update.refund.normalize(), "f")
    colon = replace(update, refund_id=amount).id
    return [(by_amount.id, ""), (colon, ""), (replace(update, refund_id="None").id, "None")]


def _without_refund_id(raw: object) -> dict[str, object] | None:
    """A rejected update as kept (its JSON), but its refund id; None when it is none."""
    try:
        kept = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(kept, dict):
        return None
    kept.pop("refund_id", None)
    return kept


class RefundMatching:
    """The refund-matching part of ``SessionStore`` (it has the file's connection and the
    show's currency)."""

    _db: sqlite3.Connection

    def show_currency(self) -> str:
        raise NotImplementedError

    def _amount_key_renamed(self, update: OrderUpdate, *, by_time: bool) -> None:
        """A Shopify refund without an id is keyed by its place in its order's refunds
        (``5001:refund:#1``); a session written before 30 Nov 2026 (REST until R19, GraphQL
        until R24) kept it under another key (:func:`_old_keys`: its amount in two forms, or
        REST's "None"). Continued, that refund came again under its new key and was counted a
        second time ($10 of refunds counted $15). The first time it comes, the row kept under
        an old key (any form) takes the new key when it is that very refund (its time,
        amount, currency and units), or else the one such row of its order created at its time
        (changed by the shop since: :meth:`_changed_since`): counted once; a later refund of
        that amount comes at another place, and is new. Shopify's feed only: another feed's
        own refund id "#1" is an id, not a place. ``by_time``: the creation-time match too
        (the batch's exact matches are made first)."""
        if update.status != "refunded" or update_problem(update, self.show_currency()) is not None:
            return
        if not _PLACE_KEY.fullmatch(update.refund_id) or (
            update.source.partition("#")[0] != _SHOPIFY_KIND
        ):
            return
        try:
            for old_id, old_refund_id in _old_keys(update):
                row = self._db.execute(
                    "SELECT source, id, order_id, received_at, at, status, refund, currency,"
                    " refund_id, lines FROM order_updates WHERE source = ? AND id = ?"
                    " AND refund_id = ?",
                    (update.source, old_id, old_refund_id),
                ).fetchone()
                if row is not None and (
                    replace(update_from_row(row)[0], refund_id=update.refund_id) == update
                ):
                    break
            else:
                if (
                    not by_time
                    or self._db.execute(
                        "SELECT 1 FROM order_updates WHERE source = ? AND id = ?",
                        (update.source, update.id),
                    ).fetchone()
                ):
                    return  # kept under its place already: renamed as it was, or since
                old_id = self._changed_since(update)
                if not old_id:
                    return
        except (UnreadableRowError, ArithmeticError, TypeError):
            return  # a damaged kept row: the report lists it as unreadable already
        self._db.execute(
            "UPDATE OR IGNORE order_updates SET id = ?, refund_id = ? WHERE source = ? AND id = ?",
            (update.id, update.refund_id, update.source, old_id),
        )

    def _kept_with_or_without_id(
        self,
        update: OrderUpdate,
        kept_with_id: dict[tuple[str, str], tuple[list[tuple[Any, ...]], set[str]]],
        place: int,
    ) -> OrderUpdate:
        """A Shopify refund kept with its id and sent without one (keyed by its place,
        ``5001:refund:#1``), or the other way round: a proxy or app that drops refund ids, put
        in front of the shop or taken away between two runs (or within one). The same refund
        was counted under both keys ($5.00 of refunds counted $10.00). Now one kept under
        its place (or under an older key of a refund without one, :func:`_old_keys`) takes its
        id when that very refund (its time, amount, currency and units) comes with one; one
        kept with its id is the refund that comes the same without one
        (``kept_with_id``: the batch's rows of an order's refunds kept with an id, read once
        an order, each matched once). By the (source, id) index and the terms: a shop's
        thousands of refunds of an order in one second stay a page's work."""
        if update.status != "refunded" or update.source.partition("#")[0] != _SHOPIFY_KIND:
            return update
        if not update.refund_id or update.refund_id == "None":
            return update
        if self._db.execute(
            "SELECT 1 FROM order_updates WHERE source = ? AND id = ?", (update.source, update.id)
        ).fetchone():
            return update  # kept under this key already
        prefix = update.id.removesuffix(update.refund_id)
        terms = (update.at, *update_row_values(update), update.currency)
        columns = (
            "source, id, order_id, received_at, at, status, refund, currency, refund_id, lines"
        )
        try:
            if _PLACE_KEY.fullmatch(update.refund_id):
                # The order's refunds ("...:refund:" up to "...:refund;") kept with an id: not
                # under a place ("...:refund:#" up to "...:refund:$") nor an older key.
                cached = kept_with_id.get((update.source, prefix))
                if cached is None:
                    cached = kept_with_id[(update.source, prefix)] = (
                        self._db.execute(
                            f"SELECT {columns} FROM order_updates WHERE source = ? AND id > ?"
                            " AND id < ? AND NOT (id > ? AND id < ?) AND status = 'refunded'"
                            " AND refund_id NOT IN ('', 'None') ORDER BY seq",
                            (update.source, prefix, prefix[:-1] + ";", prefix + "#", prefix + "$"),
                        ).fetchall(),
                        set(),
                    )
                rows, matched = cached
                row = next(
                    (r for r in rows if r[1] not in matched and (r[4], r[6], r[9], r[7]) == terms),
                    None,
                )
                if row is not None:
                    kept = update_from_row(row)[0]
                    if replace(kept, refund_id=update.refund_id) != update:
                        return update
                else:
                    # Changed since it was kept with its id (its amount, its units): the one
                    # at its place in the order's refunds (kept in the shop's order), made
                    # when it was or of the same terms but its time (the shop corrected it).
                    # Kept under its place it was a second refund, counted twice.
                    number = int(update.refund_id[1:])
                    row = rows[number - 1] if number <= len(rows) else None
                    if row is None or row[1] in matched or not _same_refund(row, terms):
                        return update
                    kept = update_from_row(row)[0]
                matched.add(row[1])
                # Under the key it was kept with: a changed copy is listed, never counted.
                return replace(update, refund_id=kept.refund_id)
            row = self._db.execute(
                f"SELECT {columns} FROM order_updates WHERE source = ?"
                " AND ((id > ? AND id < ?) OR (id IN (?, ?, ?) AND refund_id IN ('', 'None')))"
                " AND status = 'refunded' AND at = ? AND refund IS ? AND lines = ?"
                " AND currency = ? LIMIT 1",
                (
                    update.source,
                    prefix + "#",
                    prefix + "$",
                    *(key for key, _ in _old_keys(update)),
                    *terms,
                ),
            ).fetchone()
            if row is None and place:
                # Changed since it was kept under its place: the one at that place, made when
                # it was or of the same terms but its time. With its id it was a new refund.
                row = self._db.execute(
                    f"SELECT {columns} FROM order_updates WHERE source = ? AND id = ?"
                    " AND status = 'refunded'",
                    (update.source, f"{prefix}#{place}"),
                ).fetchone()
                if row is None or not _same_refund(row, terms):
                    return update
                self._db.execute(
                    "UPDATE OR IGNORE order_updates SET id = ?, refund_id = ?"
                    " WHERE source = ? AND id = ?",
                    (update.id, update.refund_id, update.source, row[1]),
                )
                return update
            if row is None:
                return update
            kept = update_from_row(row)[0]
        except (UnreadableRowError, ArithmeticError, TypeError):
            return update  # a damaged kept row: the report lists it as unreadable already
        if replace(kept, refund_id=update.refund_id) == update:
            self._db.execute(
                "UPDATE OR IGNORE order_updates SET id = ?, refund_id = ?"
                " WHERE source = ? AND id = ?",
                (update.id, update.refund_id, update.source, kept.id),
            )
        return update

    def _rejected_key_renamed(self, item: RejectedItem) -> None:
        """A Shopify refund without an id rejected (its currency, its amount), kept so under an
        old key (:func:`_old_keys`) by an older version and rejected again under its place:
        the report listed that one refund twice ("2 items rejected"). The kept row the same
        but for its key and refund id takes the new one: listed once."""
        order, _, place = item.item_id.rpartition(":refund:")
        if (
            item.kind != "order_update"
            or not _PLACE_KEY.fullmatch(place)
            or item.source.partition("#")[0] != _SHOPIFY_KIND
        ):
            return
        # By the (source, id) index: a rejected item's id starts with its kind and item id.
        key = f"{item.kind}:{order}:refund"
        rows = self._db.execute(
            "SELECT id, raw FROM rejected_items WHERE source = ? AND kind = 'order_update'"
            " AND ((id >= ? AND id < ?) OR (id >= ? AND id < ?)) AND item_id NOT LIKE ?",
            (item.source, f"{key}=", f"{key}>", f"{key}:", f"{key};", f"{order}:refund:#%"),
        ).fetchall()
        for kept_id, raw in rows:
            if _without_refund_id(raw) == _without_refund_id(item.raw) is not None:
                self._db.execute(
                    "UPDATE OR IGNORE rejected_items SET id = ?, item_id = ?"
                    " WHERE source = ? AND id = ?",
                    (item.id, item.item_id, item.source, kept_id),
                )
                return

    def _changed_since(self, update: OrderUpdate) -> str:
        """The key of the one row kept under an old key of ``update``'s order (any form of
        :func:`_old_keys`, of any amount) created when ``update`` was (its ``at``), else the
        one at its place among them when it is that refund changed (two of one second, or its
        time corrected by the shop), or "" (which is this refund cannot be told). A refund the
        shop changed since (its amount, its units) missed the exact match and was counted
        under both keys ($5.00 and $6.00 for one refund); renamed, the new copy is the changed
        one the store lists, not counted."""
        # The order's old keys, by the (source, id) index: "...:refund=" up to "...:refund>",
        # "...:refund:" up to "...:refund;" (its refunds with an id there too: not without one),
        # and "...:refund:None" (_old_keys).
        equals, colon, null = (key for key, _ in _old_keys(replace(update, refund=None)))
        equals, colon = equals.removesuffix("all"), colon.removesuffix("all")
        rows = self._db.execute(
            "SELECT source, id, order_id, received_at, at, status, refund, currency, refund_id,"
            " lines FROM order_updates WHERE source = ? AND status = 'refunded'"
            " AND ((refund_id = '' AND ((id >= ? AND id < ?) OR (id >= ? AND id < ?)))"
            " OR (refund_id = 'None' AND id = ?)) ORDER BY seq",
            (update.source, equals, equals[:-1] + ">", colon, colon[:-1] + ";", null),
        ).fetchall()
        same_time = [row[1] for row in rows if update.at and row[4] == update.at]
        if len(same_time) == 1 and isinstance(same_time[0], str):
            return same_time[0]
        # Two of one second (both changed), or its creation time corrected by the shop: the
        # one at its place in its order's refunds (kept in the shop's order, each without an
        # id), when it is that refund changed (_same_refund). Counted under both keys.
        base = update.id[: update.id.index(":refund") + len(":refund")]
        every = self._db.execute(
            "SELECT source, id, order_id, received_at, at, status, refund, currency, refund_id,"
            " lines FROM order_updates WHERE source = ? AND id > ? AND id < ?"
            " AND status = 'refunded' ORDER BY seq",
            (update.source, base, base[:-1] + "e"),
        ).fetchall()
        place = int(update.refund_id[1:])
        if place > len(every) or any(
            row[8] not in ("", "None") and not _PLACE_KEY.fullmatch(str(row[8])) for row in every
        ):
            return ""
        row = every[place - 1]
        terms = (update.at, *update_row_values(update), update.currency)
        if row[8] in ("", "None") and isinstance(row[1], str) and _same_refund(row, terms):
            return row[1]
        return ""
