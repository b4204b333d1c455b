"""One SQLite file per show session: every comment, order and show event, each written once.

Why this shape:
- ``UNIQUE(source, id)`` with ``INSERT OR IGNORE`` makes a page read twice, a server that
  replays, or a program restarted mid-show harmless: the second copy is simply not new.
- A feed's cursor is written in the same transaction as the items it acknowledges, so after a
  kill -9 the stored cursor never points past an item that is not stored (no gap) and an item
  that is stored is never counted again (no duplicate).
- Order updates (cancellations, refunds) have a table of their own, keyed like the rest by
  ``(source, id)`` where the id names the order, the status and the refund: a re-sent update
  is not new. A file written before the table existed gets it when opened for writing; read
  only, it simply has no updates.
- WAL with ``synchronous=FULL``: a commit survives the process being killed and the machine
  losing power; readers (the report, the UI) never block the writer.

The class is synchronous and single-threaded (SQLite connections are); the feeds use it through
``StoreWriter`` (store/writer.py), which owns it on a thread of its own.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from anchordesk.show.feed_items import (
    Comment,
    CommentRemoval,
    FeedItem,
    Order,
    OrderLine,
    OrderUpdate,
    RefundLine,
    ViewerStats,
)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS comments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    published_at TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    is_moderator INTEGER NOT NULL,
    is_owner INTEGER NOT NULL,
    paid_amount TEXT,
    paid_currency TEXT NOT NULL,
    flagged_terms TEXT NOT NULL,
    is_question INTEGER NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    created_at TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_price TEXT NOT NULL,
    customer TEXT NOT NULL,
    lines TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS order_updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    refund TEXT,
    currency TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    lines TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS show_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS viewer_samples (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    at TEXT NOT NULL,
    online INTEGER NOT NULL,
    entered INTEGER,
    likes INTEGER,
    follows INTEGER,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS comment_removals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at REAL NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author TEXT NOT NULL,
    UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


# json.dumps(..., ensure_ascii=False) builds a new encoder on every call (~6 µs): one encoder for
# every row keeps a 2000-item page's commit shorter (the writer thread holds the GIL meanwhile).
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _terms_json(terms: Sequence[str]) -> str:
    return _encode_json(list(terms)) if terms else "[]"


class StoreError(Exception):
    """The session file cannot be opened or written (its message names the file)."""


@dataclass(frozen=True)
class StoredComment:
    comment: Comment
    received_at: float  # wall clock, seconds since the epoch


@dataclass(frozen=True)
class StoredOrder:
    order: Order
    received_at: float


@dataclass(frozen=True)
class StoredOrderUpdate:
    update: OrderUpdate
    received_at: float


@dataclass(frozen=True)
class StoredViewerSample:
    """A viewer count as kept: ``received_at`` is when the store kept it (wall clock), the
    time line the report and the board draw it on (the platform's ``at`` may be absent)."""

    sample: ViewerStats
    received_at: float


@dataclass(frozen=True)
class StoredCommentRemoval:
    removal: CommentRemoval
    received_at: float


@dataclass(frozen=True)
class ShowEventRecord:
    """A change of the show (segment started, card shown, deal live/ended/sold out, stream
    state), as stored. ``id`` is unique within ``source`` so a replay is harmless."""

    id: str
    kind: str
    at: float  # wall clock, seconds since the epoch
    data: dict[str, Any]
    source: str = "show"


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _parse_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


class SessionStore:
    """The session file. Open it with ``SessionStore(path)``; close it with ``close()``."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        try:
            if read_only:
                if not self.path.is_file():
                    raise StoreError(f"{self.path}: no such session file")
                uri = f"file:{self.path.resolve()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            if not read_only:
                self._db.executescript(_SCHEMA)
                self._init_meta()
            else:
                self._check_is_session()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: not a usable session file ({error})") from None

    # -- setup -----------------------------------------------------------------------------

    def _init_meta(self) -> None:
        existing = self.meta("schema_version")
        if existing is None:
            with self._transaction():
                self._set_meta("schema_version", str(SCHEMA_VERSION))
                self._set_meta("created_at", repr(time.time()))
        elif existing != str(SCHEMA_VERSION):
            raise StoreError(
                f"{self.path}: session format {existing} is not supported "
                f"(this version reads format {SCHEMA_VERSION})"
            )

    def _check_is_session(self) -> None:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        if not {"meta", "comments", "orders", "show_events", "cursors"} <= tables:
            raise StoreError(f"{self.path}: not an AnchorDesk session file")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # -- meta ------------------------------------------------------------------------------

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._set_meta(key, value)

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- writing ---------------------------------------------------------------------------

    def write_batch(
        self,
        source: str,
        items: Sequence[FeedItem],
        cursor: str | None,
        received_at: float | None = None,
    ) -> list[FeedItem]:
        """Store ``items`` and the feed's new ``cursor`` atomically; return the items that were
        not stored before (in the order given)."""
        with self._transaction():
            return self._write_batch(source, items, cursor, received_at)

    def write_batches(
        self, batches: Iterable[tuple[str, Sequence[FeedItem], str | None, float | None]]
    ) -> list[list[FeedItem]]:
        """Several batches in one transaction (the writer thread's group commit)."""
        with self._transaction():
            return [self._write_batch(*batch) for batch in batches]

    def _write_batch(
        self,
        source: str,
        items: Sequence[FeedItem],
        cursor: str | None,
        received_at: float | None,
    ) -> list[FeedItem]:
        now = time.time() if received_at is None else received_at
        new: list[FeedItem] = []
        for item in items:
            if item.source != source:
                raise ValueError(f"item from {item.source!r} in a batch of {source!r}")
            if isinstance(item, Comment):
                cursor_obj = self._db.execute(
                    "INSERT OR IGNORE INTO comments(source, id, received_at, published_at, author,"
                    " text, is_moderator, is_owner, paid_amount, paid_currency, flagged_terms,"
                    " is_question) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    ),
                )
            elif isinstance(item, OrderUpdate):
                cursor_obj = self._db.execute(
                    "INSERT OR IGNORE INTO order_updates(source, id, order_id, received_at, at,"
                    " status, refund, currency, refund_id, lines) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        item.source,
                        item.id,
                        item.order_id,
                        now,
                        item.at,
                        item.status,
                        _decimal_text(item.refund),
                        item.currency,
                        item.refund_id,
                        _encode_json([[line.sku, line.quantity] for line in item.lines]),
                    ),
                )
            elif isinstance(item, ViewerStats):
                cursor_obj = self._db.execute(
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
                cursor_obj = self._db.execute(
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
                cursor_obj = self._db.execute(
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
            if cursor_obj.rowcount == 1:
                new.append(item)
        if cursor is not None:
            self._db.execute(
                "INSERT INTO cursors(source, cursor, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, "
                "updated_at = excluded.updated_at",
                (source, cursor, now),
            )
        return new

    def record_show_events(self, events: Sequence[ShowEventRecord]) -> int:
        """Store show events; return how many were new."""
        with self._transaction():
            return self._record_show_events(events)

    def _record_show_events(self, events: Sequence[ShowEventRecord]) -> int:
        added = 0
        for event in events:
            result = self._db.execute(
                "INSERT OR IGNORE INTO show_events(source, id, at, kind, data) VALUES (?,?,?,?,?)",
                (
                    event.source,
                    event.id,
                    event.at,
                    event.kind,
                    json.dumps(event.data, ensure_ascii=False, default=str),
                ),
            )
            added += result.rowcount
        return added

    # -- reading ---------------------------------------------------------------------------

    def cursor(self, source: str) -> str | None:
        row = self._db.execute("SELECT cursor FROM cursors WHERE source = ?", (source,)).fetchone()
        return None if row is None else str(row[0])

    def cursors(self) -> dict[str, str]:
        return {str(s): str(c) for s, c in self._db.execute("SELECT source, cursor FROM cursors")}

    def count(self, table: str) -> int:
        if table not in (
            "comments",
            "orders",
            "order_updates",
            "show_events",
            "viewer_samples",
            "comment_removals",
        ):
            raise ValueError(table)
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def comments(self) -> list[StoredComment]:
        rows = self._db.execute(
            "SELECT source, id, received_at, published_at, author, text, is_moderator, is_owner,"
            " paid_amount, paid_currency, flagged_terms, is_question FROM comments ORDER BY seq"
        )
        result = []
        for row in rows:
            comment = Comment(
                source=row[0],
                id=row[1],
                published_at=row[3],
                author=row[4],
                text=row[5],
                is_moderator=bool(row[6]),
                is_owner=bool(row[7]),
                paid_amount=_parse_decimal(row[8]),
                paid_currency=row[9],
                flagged_terms=tuple(json.loads(row[10])),
                is_question=bool(row[11]),
            )
            result.append(StoredComment(comment, float(row[2])))
        return result

    def orders(self) -> list[StoredOrder]:
        rows = self._db.execute(
            "SELECT source, id, received_at, created_at, currency, total_price, customer, lines"
            " FROM orders ORDER BY seq"
        )
        result = []
        for row in rows:
            lines = tuple(
                OrderLine(
                    sku=str(line["sku"]),
                    quantity=int(line["quantity"]),
                    unit_price=Decimal(line["unit_price"]),
                    title=str(line.get("title", "")),
                )
                for line in json.loads(row[7])
            )
            order = Order(
                source=row[0],
                id=row[1],
                created_at=row[3],
                currency=row[4],
                total_price=Decimal(row[5]),
                customer=row[6],
                lines=lines,
            )
            result.append(StoredOrder(order, float(row[2])))
        return result

    def order_updates(self) -> list[StoredOrderUpdate]:
        """Cancellations and refunds, in the order they were stored."""
        try:
            rows = self._db.execute(
                "SELECT source, id, order_id, received_at, at, status, refund, currency,"
                " refund_id, lines FROM order_updates ORDER BY seq"
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a session written before order updates existed, opened read-only
        result = []
        for row in rows:
            update = OrderUpdate(
                source=row[0],
                order_id=row[2],
                at=row[4],
                status=row[5],
                refund=_parse_decimal(row[6]),
                currency=row[7],
                refund_id=row[8],
                lines=tuple(RefundLine(str(sku), int(qty)) for sku, qty in json.loads(row[9])),
            )
            result.append(StoredOrderUpdate(update, float(row[3])))
        return result

    def viewer_samples(self) -> list[StoredViewerSample]:
        """Every viewer count, in the order kept (all sources; a file from before viewer counts
        opened read-only has none)."""
        try:
            rows = self._db.execute(
                "SELECT source, id, received_at, at, online, entered, likes, follows"
                " FROM viewer_samples ORDER BY seq"
            ).fetchall()
        except sqlite3.OperationalError:
            return []
        return [
            StoredViewerSample(
                ViewerStats(
                    source=row[0],
                    id=row[1],
                    at=row[3],
                    online=int(row[4]),
                    entered=None if row[5] is None else int(row[5]),
                    likes=None if row[6] is None else int(row[6]),
                    follows=None if row[7] is None else int(row[7]),
                ),
                float(row[2]),
            )
            for row in rows
        ]

    def comment_removals(self) -> list[StoredCommentRemoval]:
        """Deletions and bans the platforms sent, in the order kept."""
        try:
            rows = self._db.execute(
                "SELECT source, id, received_at, at, reason, comment_id, author_id, author"
                " FROM comment_removals ORDER BY seq"
            ).fetchall()
        except sqlite3.OperationalError:
            return []
        return [
            StoredCommentRemoval(
                CommentRemoval(
                    source=row[0],
                    id=row[1],
                    at=row[3],
                    reason=row[4],
                    comment_id=row[5],
                    author_id=row[6],
                    author=row[7],
                ),
                float(row[2]),
            )
            for row in rows
        ]

    def show_events(self) -> list[ShowEventRecord]:
        rows = self._db.execute(
            "SELECT source, id, at, kind, data FROM show_events ORDER BY seq"
        ).fetchall()
        return [
            ShowEventRecord(
                id=row[1], kind=row[3], at=float(row[2]), data=json.loads(row[4]), source=row[0]
            )
            for row in rows
        ]
