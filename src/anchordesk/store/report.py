"""The post-show report of a session file: what was said, what sold, when.

Everything comes from the session file alone (the show's catalogue and rundown are kept in it
when the show starts), so a report can be made on another machine, long after the show.
Money stays ``Decimal`` end to end; JSON carries it as strings ("1234.50").
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from anchordesk.show.ledger import Ledger, TimedOrder, TimedUpdate, replay, show_from_snapshot
from anchordesk.show.model import Show
from anchordesk.store.session import SessionStore

# A show event the feeds record once the live show took an order: which deal each line was sold
# in. ``data``: {"source", "order_id", "deals": {sku: deal_id or null}, "accepted": {sku: n}}.
ORDER_APPLIED = "order_applied"
#: The operator hid a comment in the control room (data: source, comment_id, author, text).
COMMENT_HIDDEN = "comment_hidden"


@dataclass
class SessionReport:
    path: Path
    title: str
    currency: str
    started_at: float | None  # wall clock of the first thing recorded
    ended_at: float | None
    comments: int
    questions: int
    flagged: int
    orders: int
    ledger: Ledger
    comments_per_minute: list[int] = field(default_factory=list)
    orders_per_minute: list[int] = field(default_factory=list)
    gmv_over_time: list[tuple[float, Decimal]] = field(default_factory=list)  # (s, cumulative)
    comments_by_source: dict[str, int] = field(default_factory=dict)
    orders_by_source: dict[str, int] = field(default_factory=dict)
    hidden: int = 0  # comments the operator hid (they stay counted in ``comments``)

    @property
    def gmv(self) -> Decimal:
        return self.ledger.gmv

    @property
    def units_by_sku(self) -> dict[str, int]:
        return {sku: units for sku, units in self.ledger.units_by_sku.items() if units}

    def relative_s(self, at: float | None) -> float | None:
        if at is None or self.started_at is None:
            return None
        return round(at - self.started_at, 3)

    def to_json(self) -> dict[str, Any]:
        ledger = self.ledger
        return {
            "session": str(self.path),
            "title": self.title,
            "currency": self.currency,
            "comments": self.comments,
            "questions": self.questions,
            "flagged_comments": self.flagged,
            "hidden_comments": self.hidden,
            "orders": self.orders,
            "units": ledger.units,
            "units_by_sku": self.units_by_sku,
            "unknown_skus": sorted(ledger.unknown_skus),
            "gmv": str(self.gmv),
            "gmv_by_currency": {c: str(v) for c, v in sorted(ledger.gmv_by_currency.items())},
            "products": [
                {
                    "sku": p.sku,
                    "title": p.title,
                    "known": p.known,
                    "units": p.units,
                    "orders": p.orders,
                    "gmv": str(p.gmv),
                }
                for p in [*ledger.products.values(), *ledger.unknown_skus.values()]
            ],
            "segments": [
                {
                    "index": s.index,
                    "title": s.title,
                    "sku": s.sku,
                    "start_s": self.relative_s(s.started_at),
                    "end_s": self.relative_s(s.ended_at),
                    "orders": s.orders,
                    "units": s.units,
                    "gmv": str(s.gmv),
                }
                for s in ledger.segments
            ],
            "deals": [
                {
                    "deal_id": d.deal_id,
                    "sku": d.sku,
                    "price": str(d.price),
                    "start_s": self.relative_s(d.started_at),
                    "end_s": self.relative_s(d.ended_at),
                    "end_reason": d.end_reason,
                    "orders": d.orders,
                    "units": d.units,
                    "gmv": str(d.gmv),
                }
                for d in ledger.deals
            ],
            "comments_per_minute": self.comments_per_minute,
            "orders_per_minute": self.orders_per_minute,
            "comments_by_source": self.comments_by_source,
            "orders_by_source": self.orders_by_source,
            "duration_s": self.relative_s(self.ended_at),
        }


def _per_minute(times: list[float], start: float, minutes: int) -> list[int]:
    counts = [0] * minutes
    for at in times:
        index = min(minutes - 1, max(0, int((at - start) // 60)))
        counts[index] += 1
    return counts


def build_report(path: Path) -> SessionReport:
    """Read a session file (read-only) and add everything up. Raises ``StoreError``."""
    store = SessionStore(path, read_only=True)
    try:
        show_json = store.meta("show")
        comments = store.comments()
        orders = store.orders()
        updates = store.order_updates()
        events = store.show_events()
    finally:
        store.close()
    show: Show | None = show_from_snapshot(json.loads(show_json)) if show_json else None
    order_currencies = Counter(o.order.currency for o in orders if o.order.currency)
    currency = (
        show.currency
        if show
        else (order_currencies.most_common(1)[0][0] if order_currencies else "")
    )
    applied: dict[tuple[str, str], dict[str, str | None]] = {}
    accepted: dict[tuple[str, str], dict[str, int]] = {}
    for event in events:
        if event.kind == ORDER_APPLIED:
            key = (str(event.data.get("source")), str(event.data.get("order_id")))
            applied[key] = {str(sku): deal for sku, deal in event.data.get("deals", {}).items()}
            taken = event.data.get("accepted")
            if isinstance(taken, dict):
                accepted[key] = {str(sku): int(units) for sku, units in taken.items()}
    # Cancellations and refunds are replayed with the orders, so the report's GMV, units and
    # deal figures are the board's: each update once, in the order it was received.
    ledger = replay(
        show.products if show else (),
        currency,
        [(event.at, event.kind, event.data) for event in events if event.kind != ORDER_APPLIED],
        [TimedOrder(stored.order, stored.received_at) for stored in orders],
        applied,
        [TimedUpdate(stored.update, stored.received_at) for stored in updates],
        accepted,
    )
    times = (
        [c.received_at for c in comments]
        + [o.received_at for o in orders]
        + [u.received_at for u in updates]
        + [e.at for e in events]
    )
    started = min(times) if times else None
    ended = max(times) if times else None
    minutes = 1 if started is None or ended is None else int((ended - started) // 60) + 1
    report = SessionReport(
        path=path,
        title=show.title if show else "",
        currency=currency,
        started_at=started,
        ended_at=ended,
        comments=len(comments),
        questions=sum(1 for c in comments if c.comment.is_question),
        flagged=sum(1 for c in comments if c.comment.flagged),
        orders=len(orders),
        ledger=ledger,
        comments_by_source=dict(Counter(c.comment.source for c in comments)),
        orders_by_source=dict(Counter(o.order.source for o in orders)),
        hidden=len(
            {
                (str(e.data.get("source")), str(e.data.get("comment_id")))
                for e in events
                if e.kind == COMMENT_HIDDEN
            }
        ),
    )
    if started is not None:
        report.comments_per_minute = _per_minute(
            [c.received_at for c in comments], started, minutes
        )
        report.orders_per_minute = _per_minute([o.received_at for o in orders], started, minutes)
        running = Decimal(0)
        # Orders add, cancellations and refunds take away: the curve ends at the GMV.
        for at, change_currency, change in sorted(ledger.gmv_changes, key=lambda c: c[0]):
            if change_currency == currency:
                running += change
                report.gmv_over_time.append((at - started, running))
    return report


def format_money(amount: Decimal, currency: str) -> str:
    return (
        f"{amount:,.2f} {currency}".strip()
        if amount == amount.quantize(Decimal("0.01"))
        else f"{amount:,} {currency}".strip()
    )


def report_text(report: SessionReport) -> str:
    """The report as a terminal screen."""
    ledger = report.ledger
    lines = []
    title = report.title or report.path.name
    lines.append(f"Session report: {title}")
    if report.started_at is not None and report.ended_at is not None:
        minutes = (report.ended_at - report.started_at) / 60
        lines.append(f"  duration        {minutes:.1f} min")
    lines.append(
        f"  comments        {report.comments} ({report.questions} questions, "
        f"{report.flagged} flagged, {report.hidden} hidden)"
    )
    lines.append(f"  orders          {report.orders} ({ledger.units} units)")
    lines.append(f"  GMV             {format_money(report.gmv, report.currency)}")
    for other, amount in sorted(ledger.gmv_by_currency.items()):
        if other != report.currency:
            lines.append(f"                  + {format_money(amount, other)}")
    if ledger.products or ledger.unknown_skus:
        lines.append("")
        lines.append("  Products")
        for product in [*ledger.products.values(), *ledger.unknown_skus.values()]:
            mark = "" if product.known else "  (not in the show)"
            sku = product.sku or "(no SKU)"
            lines.append(
                f"    {sku:<16} {product.units:>6} units  "
                f"{format_money(product.gmv, report.currency):>16}  {product.title}{mark}"
            )
    if ledger.segments:
        lines.append("")
        lines.append("  Segments")
        for segment in ledger.segments:
            start = report.relative_s(segment.started_at) or 0.0
            lines.append(
                f"    {int(start // 60):02d}:{int(start % 60):02d}  {segment.title:<24.24} "
                f"{segment.orders:>5} orders {segment.units:>6} units  "
                f"{format_money(segment.gmv, report.currency):>16}"
            )
    if ledger.deals:
        lines.append("")
        lines.append("  Deals")
        for deal in ledger.deals:
            lines.append(
                f"    {deal.deal_id:<12} {deal.sku:<14} "
                f"at {format_money(deal.price, report.currency):>10}  {deal.units:>6} units  "
                f"{format_money(deal.gmv, report.currency):>16}  {deal.end_reason or 'live'}"
            )
    if report.comments_per_minute:
        lines.append("")
        lines.append("  Per minute     comments   orders")
        for minute, (comments, orders) in enumerate(
            zip(report.comments_per_minute, report.orders_per_minute, strict=True), start=1
        ):
            lines.append(f"    {minute:>4}       {comments:>8} {orders:>8}")
    if ledger.unknown_skus:
        lines.append("")
        lines.append(
            "  Orders for SKUs not in the show: "
            + ", ".join(sku or "(no SKU)" for sku in sorted(ledger.unknown_skus))
        )
    return "\n".join(lines)
