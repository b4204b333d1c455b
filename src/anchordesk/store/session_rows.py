"""Items into rows of a session file, and rows back into items, trusting nothing in them.

A session file is a file: it can be damaged, edited by hand, or written by an older version
before a rule existed. Each row is read on its own; a row that cannot be read raises
``UnreadableRowError`` naming what is wrong (the reader skips it and counts it, with its table
and row number), and an order or update that breaks today's amount rule comes back as a
``RejectedItem`` (the report lists it as rejected, the ledger never sums it).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from anchordesk.core.money import DECIMAL_TEXT
from anchordesk.core.printable import masked_cut
from anchordesk.show.feed_items import (
    COMMENT_REMOVAL_REASONS,
    Comment,
    CommentRemoval,
    FeedItem,
    Order,
    OrderLine,
    OrderUpdate,
    RefundLine,
    RejectedItem,
    ViewerStats,
    rejected_as_kept,
)
from anchordesk.show.feed_rules import Problem, terms_key


class UnreadableRowError(ValueError):
    """A row whose fields are not what the session format says (one line: which field)."""


@dataclass(frozen=True)
class UnreadableRow:
    """A row the report skipped: ``table`` and ``row`` (its ``seq``) find it in the file."""

    table: str
    row: int
    problem: str


def text_field(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise UnreadableRowError(f"{name} is not text")
    return value


def count_field(value: object, name: str, *, optional: bool = False) -> int | None:
    """A whole number >= 0 the writer stored (a viewer count); None when absent and allowed."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnreadableRowError(f"{name} is not a count")
    return value


def time_field(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnreadableRowError(f"{name} is not a time")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise UnreadableRowError(f"{name} is not a time")
    return number


def decimal_field(value: object, name: str, *, optional: bool = False) -> Decimal | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise UnreadableRowError(f"{name} is not a decimal text")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    # A finite amount by the one rule of the feeds and show files (DECIMAL_TEXT): Decimal()
    # alone read a hand-edited "１２" as 12 and "1_000" as 1000 and counted them. NaN and the
    # infinities are read on: the amount rule lists them as rejected, by name.
    if number is None or (number.is_finite() and not DECIMAL_TEXT.fullmatch(value.strip())):
        raise UnreadableRowError(f"{name} {masked_cut(value, 40, mark='')!r} is not a number")
    return number


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400: the writer never stores one; a hand edit did
        raise ValueError(f"{masked_cut(text, 40, mark='')} (not a finite number)")
    return number


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} (not a number)")


def json_field(value: object, name: str) -> Any:
    """JSON the writer stored; NaN, Infinity and numbers too large for a float are not JSON
    it writes, and would reach the report's sums and clocks as infinities (a traceback)."""
    if not isinstance(value, str):
        raise UnreadableRowError(f"{name} is not JSON text")
    try:
        return json.loads(value, parse_float=_finite, parse_constant=_no_constant)
    except ValueError as error:
        if str(error).endswith(("(not a finite number)", "(not a number)")):
            raise UnreadableRowError(f"{name} holds {error}") from None
        raise UnreadableRowError(f"{name} is not valid JSON") from None
    except RecursionError:  # not a ValueError: a damaged row of "[[[[…" past Python's limit
        raise UnreadableRowError(f"{name} is nested too deep to read") from None


def comment_from_row(row: Sequence[object]) -> tuple[Comment, float]:
    """``source, id, received_at, published_at, author, text, is_moderator, is_owner,
    paid_amount, paid_currency, flagged_terms, is_question, author_id``."""
    terms = json_field(row[10], "flagged_terms")
    if not isinstance(terms, list) or not all(isinstance(term, str) for term in terms):
        raise UnreadableRowError("flagged_terms is not a list of words")
    paid = decimal_field(row[8], "paid_amount", optional=True)
    comment = Comment(
        source=text_field(row[0], "source"),
        id=text_field(row[1], "id"),
        published_at=text_field(row[3], "published_at"),
        author=text_field(row[4], "author"),
        text=text_field(row[5], "text"),
        is_moderator=bool(row[6]),
        is_owner=bool(row[7]),
        paid_amount=paid if paid is not None and paid.is_finite() else None,
        paid_currency=text_field(row[9], "paid_currency"),
        flagged_terms=tuple(terms),
        is_question=bool(row[11]),
        author_id=text_field(row[12], "author_id"),
    )
    return comment, time_field(row[2], "received_at")


def viewers_from_row(row: Sequence[object]) -> tuple[ViewerStats, float]:
    """``source, id, received_at, at, online, entered, likes, follows``."""
    online = count_field(row[4], "online")
    assert online is not None
    sample = ViewerStats(
        source=text_field(row[0], "source"),
        id=text_field(row[1], "id"),
        at=text_field(row[3], "at"),
        online=online,
        entered=count_field(row[5], "entered", optional=True),
        likes=count_field(row[6], "likes", optional=True),
        follows=count_field(row[7], "follows", optional=True),
    )
    return sample, time_field(row[2], "received_at")


def removal_from_row(row: Sequence[object]) -> tuple[CommentRemoval, float]:
    """``source, id, received_at, at, reason, comment_id, author_id, author``."""
    reason = text_field(row[4], "reason")
    if reason not in COMMENT_REMOVAL_REASONS:
        raise UnreadableRowError(
            f"reason {masked_cut(reason, 40, mark='')!r} is not one of deleted, banned"
        )
    removal = CommentRemoval(
        source=text_field(row[0], "source"),
        id=text_field(row[1], "id"),
        at=text_field(row[3], "at"),
        reason=reason,
        comment_id=text_field(row[5], "comment_id"),
        author_id=text_field(row[6], "author_id"),
        author=text_field(row[7], "author"),
    )
    return removal, time_field(row[2], "received_at")


def order_from_row(row: Sequence[object]) -> tuple[Order, float]:
    """``source, id, received_at, created_at, currency, total_price, customer, lines``."""
    raw_lines = json_field(row[7], "lines")
    if not isinstance(raw_lines, list):
        raise UnreadableRowError("lines is not a list")
    lines = []
    for line in raw_lines:
        if not isinstance(line, dict):
            raise UnreadableRowError("an order line is not an object")
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise UnreadableRowError("an order line's quantity is not a whole number")
        price = decimal_field(line.get("unit_price"), "an order line's unit_price")
        assert price is not None
        title = line.get("title", "")
        lines.append(
            OrderLine(
                sku=text_field(line.get("sku"), "an order line's sku"),
                quantity=quantity,
                unit_price=price,
                title=title if isinstance(title, str) else "",
            )
        )
    total = decimal_field(row[5], "total_price")
    assert total is not None
    order = Order(
        source=text_field(row[0], "source"),
        id=text_field(row[1], "id"),
        created_at=text_field(row[3], "created_at"),
        currency=text_field(row[4], "currency"),
        total_price=total,
        customer=text_field(row[6], "customer"),
        lines=tuple(lines),
    )
    return order, time_field(row[2], "received_at")


def update_from_row(row: Sequence[object]) -> tuple[OrderUpdate, float]:
    """``source, id, order_id, received_at, at, status, refund, currency, refund_id, lines``."""
    raw_lines = json_field(row[9], "lines")
    if not isinstance(raw_lines, list):
        raise UnreadableRowError("lines is not a list")
    lines = []
    for pair in raw_lines:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or isinstance(pair[1], bool)
            or not isinstance(pair[1], int)
        ):
            raise UnreadableRowError("a refund line is not [sku, quantity]")
        lines.append(RefundLine(text_field(pair[0], "a refund line's sku"), pair[1]))
    update = OrderUpdate(
        source=text_field(row[0], "source"),
        order_id=text_field(row[2], "order_id"),
        at=text_field(row[4], "at"),
        status=text_field(row[5], "status"),
        refund=decimal_field(row[6], "refund", optional=True),
        currency=text_field(row[7], "currency"),
        refund_id=text_field(row[8], "refund_id"),
        lines=tuple(lines),
    )
    return update, time_field(row[3], "received_at")


def rejected_from_row(row: Sequence[object]) -> tuple[RejectedItem, float]:
    """``source, kind, item_id, received_at, reason, detail, raw``; at the sizes the store
    writes (a damaged or hand-edited session's 1,000,000-character detail was printed whole
    in the report, a 1 MB line)."""
    item = RejectedItem(
        source=text_field(row[0], "source"),
        kind=text_field(row[1], "kind"),
        item_id=text_field(row[2], "item_id"),
        reason=text_field(row[4], "reason"),
        detail=text_field(row[5], "detail"),
        raw=text_field(row[6], "raw"),
    )
    return rejected_as_kept(item), time_field(row[3], "received_at")


def rejected_order(order: Order, problem: Problem) -> RejectedItem:
    """An order that breaks the amount rule, as the session keeps it (every field as sent)."""
    raw = {
        "type": "order",
        "id": order.id,
        "currency": order.currency,
        "total": str(order.total_price),
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "price": str(line.unit_price),
                "title": line.title,
            }
            for line in order.lines
        ],
        "at": order.created_at,
    }
    return RejectedItem(
        order.source,
        "order",
        order.id,
        problem.reason,
        problem.detail,
        json.dumps(raw, ensure_ascii=False),  # cut once masked (feed_items.rejected_as_kept)
        # Kept by its terms, not its text: a renamed title or a cut raw tells no change.
        key=terms_key(order),
    )


def rejected_update(update: OrderUpdate, problem: Problem) -> RejectedItem:
    raw = {
        "type": "order_update",
        "id": update.order_id,
        "status": update.status,
        "refund": None if update.refund is None else str(update.refund),
        "currency": update.currency,
        "refund_id": update.refund_id,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in update.lines],
        "at": update.at,
    }
    return RejectedItem(
        update.source,
        "order_update",
        update.id,
        problem.reason,
        problem.detail,
        json.dumps(raw, ensure_ascii=False),  # cut once masked (feed_items.rejected_as_kept)
        # Kept by its terms, not its text: a renamed title or a cut raw tells no change.
        key=terms_key(update),
    )


# json.dumps(..., ensure_ascii=False) builds a new encoder on every call (~6 µs): one encoder for
# every row keeps a 2000-item page's commit shorter (the writer thread holds the GIL meanwhile).
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _terms_json(terms: Sequence[str]) -> str:
    return _encode_json(list(terms)) if terms else "[]"


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def update_row_values(update: OrderUpdate) -> tuple[str | None, str]:
    """The refund and the lines of ``update`` as its row keeps them (a kept row is found by)."""
    return _decimal_text(update.refund), _encode_json(
        [[line.sku, line.quantity] for line in update.lines]
    )


def insert_item(db: sqlite3.Connection, item: FeedItem, now: float) -> bool:
    """Insert ``item`` into its kind's table unless its (source, id) is there; True when new."""
    if isinstance(item, RejectedItem):
        cursor_obj = db.execute(
            "INSERT OR IGNORE INTO rejected_items(source, id, kind, item_id, received_at,"
            " reason, detail, raw) VALUES (?,?,?,?,?,?,?,?)",
            (
                item.source,
                item.id,
                item.kind,
                item.item_id,
                now,
                item.reason,
                item.detail,
                item.raw,
            ),
        )
    elif isinstance(item, Comment):
        cursor_obj = db.execute(
            "INSERT OR IGNORE INTO comments(source, id, received_at, published_at, author,"
            " text, is_moderator, is_owner, paid_amount, paid_currency, flagged_terms,"
            " is_question, author_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                item.source,
                item.id,
                now,
                item.published_at,
                item.author,
                item.text,
                int(item.is_moderator),
                int(item.is_owner),
                _decimal_text(item.paid_amount),
                item.paid_currency,
                _terms_json(item.flagged_terms),
                int(item.is_question),
                item.author_id,
            ),
        )
    elif isinstance(item, ViewerStats):
        cursor_obj = db.execute(
            "INSERT OR IGNORE INTO viewer_samples(source, id, received_at, at, online,"
            " entered, likes, follows) VALUES (?,?,?,?,?,?,?,?)",
            (
                item.source,
                item.id,
                now,
                item.at,
                item.online,
                item.entered,
                item.likes,
                item.follows,
            ),
        )
    elif isinstance(item, CommentRemoval):
        cursor_obj = db.execute(
            "INSERT OR IGNORE INTO comment_removals(source, id, received_at, at, reason,"
            " comment_id, author_id, author) VALUES (?,?,?,?,?,?,?,?)",
            (
                item.source,
                item.id,
                now,
                item.at,
                item.reason,
                item.comment_id,
                item.author_id,
                item.author,
            ),
        )
    elif isinstance(item, OrderUpdate):
        cursor_obj = db.execute(
            "INSERT OR IGNORE INTO order_updates(source, id, order_id, received_at, at,"
            " status, refund, currency, refund_id, lines) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                item.source,
                item.id,
                item.order_id,
                now,
                item.at,
                item.status,
                update_row_values(item)[0],
                item.currency,
                item.refund_id,
                update_row_values(item)[1],
            ),
        )
    else:
        lines = [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "title": line.title,
            }
            for line in item.lines
        ]
        cursor_obj = db.execute(
            "INSERT OR IGNORE INTO orders(source, id, received_at, created_at, currency,"
            " total_price, customer, lines) VALUES (?,?,?,?,?,?,?,?)",
            (
                item.source,
                item.id,
                now,
                item.created_at,
                item.currency,
                str(item.total_price),
                item.customer,
                _encode_json(lines),
            ),
        )
    return cursor_obj.rowcount == 1
