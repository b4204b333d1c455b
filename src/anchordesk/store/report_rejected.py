"""What a session kept but the report does not count: items rejected by the amount rule or
unreadable when they arrived, and rows of the file that could not be read."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from anchordesk.core.redact import mask_urls
from anchordesk.show.feed_items import RejectedItem, update_key_shown
from anchordesk.show.ledger import Ledger
from anchordesk.store.report_i18n import MESSAGES
from anchordesk.store.session import StoredRejected

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


def rejected_entries(stored: list[StoredRejected], ledger: Ledger) -> list[RejectedEntry]:
    entries = [
        RejectedEntry(
            kept.item.source,
            kept.item.kind,
            _named_by(kept.item),
            kept.item.reason,
            kept.item.detail,
            kept.received_at,
        )
        for kept in stored
    ]
    # Orders, cancellations and refunds the store let through but the ledger does not count
    # (the amount rule with the report's currency decided, another currency than the order's,
    # an order never counted): docs/feed-protocol.md promised them listed, never left unsaid.
    # The ledger's one rule, which the live count reads too (ShowSession.rejected_items).
    entries += [
        RejectedEntry(item.source, item.kind, item.item_id, item.reason, item.detail, item.at)
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
                f" — {reason_text(entry.reason, t)}"
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


def reason_text(reason: str, t: Callable[..., str], items: int = 1) -> str:
    """A rejection reason in the report's words, of ``items`` items (a code from a newer
    version reads as is)."""
    message = f"reason_{reason}"
    return t(message, items) if message in MESSAGES else reason.replace("_", " ")
