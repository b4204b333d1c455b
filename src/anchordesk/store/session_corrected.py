"""Which copy of a cancellation or refund counts when the first one kept cannot: the one rule
of the store's writer (an order arriving, a file opened to write) and of its readers (a file
opened to read).

Why: a copy sent again under a kept update's key with other terms is kept as rejected,
``update_changed`` ("the first copy counts"). When that first copy came before its order the
store could not judge it at the door; when the order comes, it may break the rule against
it (a refund in EUR of an order in USD: ``feed_rules.update_counted_problem``) and is set
aside as rejected. Its corrected copy sent before the order (the same refund in USD) stayed
rejected as changed: nothing counted the refund, GMV $20.00 for $15.00 in the window, the
remote and the report, until the platform sent it a third time (Shopify does at the order's
next change; a JSON feed may never). A session an older version wrote holds the same: the
first copy kept where the counted ones are, or set aside by round 34 when its order came,
and the corrected one listed as changed.

The rule: for an update key of an order the session keeps, when the copy kept under it breaks
the rule against that order (or none is kept: set aside already), the newest copy rejected as
changed that does not break it is the one counted. Every other copy stays listed as it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from anchordesk.show.feed_items import OrderUpdate, RefundLine, RejectedItem
from anchordesk.show.feed_rules import (
    UPDATE_CHANGED,
    Problem,
    changed_update_problem,
    terms_key,
    update_counted_problem,
)
from anchordesk.store.session_ids import key_read, update_read

__all__ = [
    "ChangedCopy",
    "ReadAsCounted",
    "changed_copies",
    "copy_counted",
    "order_keys_prefix",
    "others_changed",
    "read_as_counted",
]


@dataclass(frozen=True)
class ChangedCopy:
    """A cancellation or refund kept as rejected because it was sent again changed: its row
    in ``rejected_items`` (``seq``, its key ``row_id``), the update as it was sent, and when
    it came."""

    seq: int
    row_id: str
    update: OrderUpdate
    received_at: float


def order_keys_prefix(source: str, order_id: str) -> str:
    """What every update key of ``order_id`` starts with (its escaped order id and ":")."""
    return OrderUpdate(source, order_id, "cancelled").id.removesuffix("cancelled")


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _update_sent(source: str, raw: object) -> OrderUpdate:
    """The update a rejected copy was, from its ``raw`` text as the store wrote it
    (session_rows.rejected_update); TypeError/ValueError when it is not one."""
    sent = json.loads(_text(raw))
    if not isinstance(sent, dict) or sent.get("type") != "order_update":
        raise ValueError("not an order update")
    refund = sent.get("refund")
    lines = sent.get("lines")
    if not isinstance(lines, list):
        raise TypeError(lines)
    refund_lines = []
    for line in lines:
        if not isinstance(line, dict):
            raise TypeError(line)
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError(quantity)
        refund_lines.append(RefundLine(_text(line.get("sku")), quantity))
    return OrderUpdate(
        source,
        _text(sent.get("id")),
        _text(sent.get("status")),
        None if refund is None else Decimal(_text(refund)),
        _text(sent.get("currency")),
        _text(sent.get("refund_id")),
        tuple(refund_lines),
        _text(sent.get("at")),
    )


def changed_copies(
    db: sqlite3.Connection, source: str | None = None, order_id: str = ""
) -> dict[tuple[str, str], list[ChangedCopy]]:
    """The copies kept as rejected because they were sent again changed, by (source, update
    key), oldest first: all of the file's, or ``order_id``'s of ``source`` (by the
    (source, id) index: a rejected update's id starts with its kind and key). A copy whose
    text was cut or masked when kept (it no longer gives the update it was) is left as it is:
    listed, never counted."""
    columns = "seq, source, id, item_id, received_at, raw"
    where = "kind = 'order_update' AND reason = ?"
    if source is None:
        rows = db.execute(
            f"SELECT {columns} FROM rejected_items WHERE {where} ORDER BY seq", (UPDATE_CHANGED,)
        ).fetchall()
    else:
        prefix = "order_update:" + order_keys_prefix(source, order_id)
        rows = db.execute(
            f"SELECT {columns} FROM rejected_items WHERE source = ? AND id >= ? AND id < ?"
            f" AND {where} ORDER BY seq",
            (source, prefix, prefix[:-1] + ";", UPDATE_CHANGED),
        ).fetchall()
    copies: dict[tuple[str, str], list[ChangedCopy]] = {}
    for seq, kept_source, row_id, item_id, received_at, raw in rows:
        try:
            sent = _update_sent(_text(kept_source), raw)
            at = float(received_at)
            # Its ids by the one id rule, as the counted copies are read (session_ids: a
            # Shopify refund "0900" kept by an older version is 900, its row renamed so).
            update = update_read(sent)
            key = key_read(sent.source, _text(item_id))
            # As it was sent: its key and its terms (a rejected copy's id ends with them,
            # RejectedItem.id) the ones it was kept under, not a text cut or masked since; or,
            # kept before the terms were its key (29 Nov 2026, 09:25 to 12:49), its text's.
            as_kept = RejectedItem(sent.source, "order_update", key, UPDATE_CHANGED, "", raw)
            tail = _text(row_id).rpartition(":")[2]
            if update.id != key or tail not in (terms_key(sent), as_kept.id.rpartition(":")[2]):
                continue
        except (TypeError, ValueError, InvalidOperation, RecursionError):
            continue
        if (source is not None and update.order_id != order_id) or not isinstance(seq, int):
            continue
        copies.setdefault((update.source, update.id), []).append(
            ChangedCopy(seq, row_id, update, at)
        )
    return copies


def copy_counted(
    kept: OrderUpdate | None,
    copies: Sequence[ChangedCopy],
    order_currency: str,
    show_currency: str,
) -> ChangedCopy | None:
    """The copy of ``copies`` (oldest first) counted in place of ``kept`` (the copy kept
    under their key, None: none is), of an order counted in ``order_currency``: the newest
    that does not break the rule, when ``kept`` does (or is none). None: ``kept`` counts (or
    no copy may)."""
    if kept is not None and update_counted_problem(kept, order_currency, show_currency) is None:
        return None
    for copy in reversed(copies):
        if update_counted_problem(copy.update, order_currency, show_currency) is None:
            return copy
    return None


def others_changed(
    counted: ChangedCopy, copies: Sequence[ChangedCopy]
) -> list[tuple[ChangedCopy, Problem]]:
    """The other ``copies`` of ``counted``'s key, each with why it is not counted now: changed
    from ``counted``. Their words named the first copy as the one that counts ("the first
    copy counts: refunded 5.00 EUR"), which no longer counts (listed so itself)."""
    others = []
    for copy in copies:
        problem = None if copy is counted else changed_update_problem(counted.update, copy.update)
        if problem is not None:
            others.append((copy, problem))
    return others


Counted = tuple[int, OrderUpdate, float]  # a counted row as a reader reads it: seq, update, time


@dataclass
class ReadAsCounted:
    """What :func:`read_as_counted` decided for a reader: the updates to count (``counted``,
    each kept one's place taken by the copy that counts instead), the kept ones that copy
    replaced with why (``set_aside``, listed as rejected), the ``rejected_items`` rows that
    count now (by seq) and the words of the other copies of their keys (by seq)."""

    counted: list[Counted]
    set_aside: list[tuple[Counted, Problem]] = field(default_factory=list)
    counted_rows: set[int] = field(default_factory=set)
    changed_words: dict[int, str] = field(default_factory=dict)


def read_as_counted(
    counted: Sequence[Counted],
    copies: Mapping[tuple[str, str], Sequence[ChangedCopy]],
    currencies: Mapping[tuple[str, str], str],
    show_currency: str,
) -> ReadAsCounted:
    """The reader's side of the rule (a file opened to read, which no one may change):
    ``counted`` (the kept updates the reader counts) with the copies of ``copies`` that count
    in place of them, by ``currencies`` (each kept order's currency, by (source, id), as the
    reader reads it)."""
    result = ReadAsCounted(list(counted))
    where = {(update.source, update.id): index for index, (_, update, _) in enumerate(counted)}
    for key, group in copies.items():
        update = group[-1].update
        currency = currencies.get((update.source, update.order_id))
        if currency is None:
            continue  # its order not come (yet)
        index = where.get(key)
        kept = None if index is None else result.counted[index]
        chosen = copy_counted(None if kept is None else kept[1], group, currency, show_currency)
        if chosen is None:
            continue
        result.counted_rows.add(chosen.seq)
        for other, changed in others_changed(chosen, group):
            result.changed_words[other.seq] = changed.detail
        counted_copy = (chosen.seq, chosen.update, chosen.received_at)
        if index is None or kept is None:
            result.counted.append(counted_copy)
            continue
        problem = update_counted_problem(kept[1], currency, show_currency)
        if problem is not None:
            result.set_aside.append((kept, problem))
        result.counted[index] = counted_copy
    return result
