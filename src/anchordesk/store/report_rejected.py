"""What a session kept but the report does not count: items rejected by the amount rule or
unreadable when they arrived, and rows of the file that could not be read."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from anchordesk.core.redact import mask_urls
from anchordesk.show.feed_items import RejectedItem, update_key_shown
from anchordesk.show.feed_rules import ORDER_CHANGED, UPDATE_CHANGED
from anchordesk.show.ledger import Ledger
from anchordesk.store.report_i18n import MESSAGES
from anchordesk.store.session import StoredOrder, StoredOrderUpdate, StoredRejected

if TYPE_CHECKING:
    from anchordesk.store.report import SessionReport

#: Rejected items listed one by one in the text report (all are counted, and all are in JSON).
REJECTED_LISTED = 20
#: The same in the page: a feed sending junk all show (200,000 bad items) made a page of 23 MB,
#: every one a row; the page lists these, then how many more (all are in ``--json``).
REJECTED_LISTED_ON_PAGE = 1_000


@dataclass(frozen=True)
class RejectedEntry:
    """An item of the session that is not counted (docs/feed-protocol.md, "Amounts")."""

    source: str
    kind: str
    item_id: str
    reason: str  # one of show.feed_rules.REASONS
    detail: str
    received_at: float | None
    # A later copy under its id is counted (the platform sent it again corrected): this copy
    # is still listed, and said so. Listed as rejected only, a refund counted since read as
    # one never taken off.
    corrected_since: bool = False


def _named_by(item: RejectedItem) -> str:
    """The id a person knows a rejected item by. A cancellation or refund is kept under its
    update's key, the order id escaped (``x\\;refund:cancelled``): named with the order id as
    the item spelled it (read from the item as kept), then what the update is."""
    if item.kind != "order_update":
        return item.item_id
    try:
        raw = json.loads(item.raw)
    except (ValueError, RecursionError):  # cut at 2,000 characters, or not read at all
        return item.item_id
    order_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(order_id, str):
        return item.item_id
    return update_key_shown(item.item_id, order_id)


#: Copies rejected because an earlier copy under their id is the one counted: never a copy
#: corrected since (the counted one came first).
_SENT_AGAIN_CHANGED = frozenset({ORDER_CHANGED, UPDATE_CHANGED})


def counted_copies(
    orders: Sequence[StoredOrder], updates: Sequence[StoredOrderUpdate], ledger: Ledger
) -> dict[tuple[str, str, str], float]:
    """When each order and cancellation or refund the ledger counts was received, by (kind,
    source, id): whether a rejected copy under that id was corrected since."""
    counted_orders = {(kept.order.source, kept.order.id) for kept in ledger.kept_orders()}
    applied = {(outcome.update.source, outcome.update.id) for outcome in ledger.updates}
    copies = {
        ("order", kept.order.source, kept.order.id): kept.received_at
        for kept in orders
        if (kept.order.source, kept.order.id) in counted_orders
    }
    copies.update(
        {
            ("order_update", kept.update.source, kept.update.id): kept.received_at
            for kept in updates
            if (kept.update.source, kept.update.id) in applied
        }
    )
    return copies


def _corrected_since(
    kind: str,
    source: str,
    item_id: str,
    reason: str,
    received_at: float | None,
    counted: Mapping[tuple[str, str, str], float],
) -> bool:
    """Whether a copy of this id received after this rejected one is counted."""
    if reason in _SENT_AGAIN_CHANGED:
        return False
    counted_at = counted.get((kind, source, item_id))
    return counted_at is not None and (received_at is None or counted_at >= received_at)


def rejected_entries(
    stored: list[StoredRejected],
    ledger: Ledger,
    counted: Mapping[tuple[str, str, str], float] | None = None,
) -> list[RejectedEntry]:
    """Every item not counted, the store's then the ledger's; ``counted``
    (:func:`counted_copies`) says which was corrected since."""
    counted = counted or {}
    entries = [
        RejectedEntry(
            kept.item.source,
            kept.item.kind,
            _named_by(kept.item),
            kept.item.reason,
            kept.item.detail,
            kept.received_at,
            _corrected_since(
                kept.item.kind,
                kept.item.source,
                kept.item.item_id,
                kept.item.reason,
                kept.received_at,
                counted,
            ),
        )
        for kept in stored
    ]
    # Orders, cancellations and refunds the store let through but the ledger does not count
    # (the amount rule with the report's currency decided, another currency than the order's,
    # an order never counted): docs/feed-protocol.md promised them listed, never left unsaid.
    # The ledger's one rule, which the live count reads too (ShowSession.rejected_items).
    entries += [
        RejectedEntry(
            item.source,
            item.kind,
            item.item_id,
            item.reason,
            item.detail,
            item.at,
            _corrected_since(item.kind, item.source, item.item_id, item.reason, item.at, counted),
        )
        for item in ledger.not_counted()
    ]
    # Every text of the session the report prints, masked by the one rule (core/redact): a
    # session of an older version, or someone else's, kept a feed's password or token, a
    # stream key, whole in a rejected item's source, reason or detail.
    return [
        replace(
            entry,
            source=_masked(entry.source),
            item_id=_masked(entry.item_id),
            reason=_masked(entry.reason),
            detail=_masked(entry.detail),
        )
        for entry in entries
    ]


def _masked(text: str) -> str:
    """``text`` masked by :func:`mask_urls`; a text without a colon holds no URL (the test
    first: a feed sending junk all show left 200,000 rejected items to read)."""
    return mask_urls(text) if ":" in text else text


def rejected_lines(
    report: SessionReport, t: Callable[..., str], count: Callable[[int], str]
) -> list[str]:
    """The text report's lines on what was not counted and what could not be read."""
    lines: list[str] = []
    if report.rejected:
        reasons = ", ".join(
            f"{count(n)} {reason_text(reason, t, n)}"
            for reason, n in report.rejected_by_reason.items()
        )
        rejected = len(report.rejected)
        lines += [
            "",
            f"  {t('rejected_items', rejected, count=count(rejected), reasons=reasons)}",
        ]
        for entry in report.rejected[:REJECTED_LISTED]:
            lines.append(
                f"    {entry.kind or '?'} {entry.item_id or '-'} ({entry.source}): {entry.detail}"
                f" — {reason_words(entry, t)}"
            )
        if len(report.rejected) > REJECTED_LISTED:
            more = len(report.rejected) - REJECTED_LISTED
            lines.append(f"    {t('and_more', count=count(more))}")
    if report.unreadable_rows:
        lines += [
            "",
            "  "
            + t(
                "unreadable_rows",
                len(report.unreadable_rows),
                count=count(len(report.unreadable_rows)),
                path=str(report.path),
            ),
        ]
        for row in report.unreadable_rows[:REJECTED_LISTED]:
            where = t("row_of", table=row.table, row=row.row) if row.row >= 0 else row.table
            lines.append(f"    {where}: {row.problem}")
    return lines


def reason_words(entry: RejectedEntry, t: Callable[..., str]) -> str:
    """Why ``entry`` is not counted, and that a later copy of it is when it was corrected
    since: listed as rejected only, a refund the platform sent again corrected (and counted)
    read as one never taken off."""
    words = reason_text(entry.reason, t)
    return f"{words}; {t('corrected_since')}" if entry.corrected_since else words


def reason_text(reason: str, t: Callable[..., str], items: int = 1) -> str:
    """A rejection reason in the report's words, of ``items`` items (a code from a newer
    version reads as is)."""
    message = f"reason_{reason}"
    return t(message, items) if message in MESSAGES else reason.replace("_", " ")
