"""The post-show report of a session file: what was said, what sold, when.

Everything comes from the session file alone (the show's catalogue and rundown are kept in it
when the show starts), so a report can be made on another machine, long after the show.
Money stays ``Decimal`` end to end; JSON carries it as strings ("1234.50").
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from babel.dates import format_datetime

from anchordesk.core.money import (
    amount_text,
    babel_locale,
    format_money,
    format_number,
    listed_amounts,
)
from anchordesk.core.printable import display_width, escape_controls
from anchordesk.core.redact import mask_urls
from anchordesk.show.ledger import Ledger, TimedOrder, TimedUpdate, replay, show_from_snapshot
from anchordesk.show.model import Product, Show
from anchordesk.show.timing import (
    SegmentTiming,
    format_difference,
    format_duration,
    segments_total,
)
from anchordesk.show.validate import MAX_SKU_CHARS, MAX_TITLE_CHARS
from anchordesk.store.report_board import ReportBoard, board_json, board_text_lines, session_board
from anchordesk.store.report_clock import SteadyClock, in_era, json_object
from anchordesk.store.report_events import restore_missing_segment_starts, session_timings
from anchordesk.store.report_i18n import (
    end_reason_text,
    report_language,
    stop_reason_text,
    text,
)
from anchordesk.store.report_rejected import (
    RejectedEntry,
    counted_copies,
    rejected_entries,
    rejected_lines,
)
from anchordesk.store.report_streams import StreamEntry, stream_entries, stream_text
from anchordesk.store.session import (
    SessionStore,
    ShowEventRecord,
    StoredOrder,
    StoredOrderUpdate,
    StoreError,
    UnreadableRow,
)
from anchordesk.store.session_heartbeat import (
    HEARTBEAT_META,
    RUN_LAST_HEARD,
    Heartbeat,
    last_heartbeat,
)
from anchordesk.store.session_ids import id_read

# A show event the feeds record once the live show took an order: which deal each line was sold
# in. ``data``: {"source", "order_id", "line_deals": {line index: deal_id} (the lines sold in a
# deal; the others in none), "deals": {sku: deal_id or null}, "accepted": {sku: n}}. "deals" is
# by SKU, its last line's deal: a session written before round 27 holds it alone.
ORDER_APPLIED = "order_applied"
#: The operator hid a comment in the control room (data: source, comment_id, author, text).
COMMENT_HIDDEN = "comment_hidden"

log = logging.getLogger(__name__)


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
    show: Show | None = None  # the catalogue and rundown as the session kept them
    timings: list[SegmentTiming] = field(default_factory=list)  # plan against actual
    rejected: list[RejectedEntry] = field(default_factory=list)  # kept, never counted
    unreadable_rows: list[UnreadableRow] = field(default_factory=list)  # skipped
    # Why the feeds stopped when an error no rule foresaw ended them all (the session's
    # ``feed_status``); "" when they ran as they should. Without it a report of such a show
    # read as a quiet audience: 0 comments, 0 orders.
    feeds_stopped: str = ""
    # The same reason as the feeds' hub worded it (its English template and values), for the
    # text and page in the report's language; None in a session of an older version.
    feeds_stopped_words: tuple[str, dict[str, str]] | None = None
    # How each stream destination went (store/report_streams.py); empty for a rehearsal, a
    # run killed before its end, or a session of an older version.
    streams: list[StreamEntry] = field(default_factory=list)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        return dict(Counter(entry.reason for entry in self.rejected).most_common())

    board: ReportBoard | None = None  # viewers, conversion, per segment, prompts (the board's)

    @property
    def language(self) -> str:
        """The report's language when none is asked for: the show's (the report reads the
        show's own titles, so its words match them)."""
        return report_language(self.show.language if self.show else None)

    def currency_of(self, sku: str) -> str:
        """The currency a product is priced in (its own, or the show's)."""
        product = self.show.product(sku) if self.show else None
        return self.show.currency_of(product) if self.show and product else self.currency

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
            "gmv": amount_text(self.gmv, self.currency),
            "gmv_by_currency": {
                c: amount_text(v, c) for c, v in sorted(ledger.gmv_by_currency.items())
            },
            "products": [
                {
                    "sku": p.sku,
                    "title": p.title,
                    "known": p.known,
                    "units": p.units,
                    "orders": p.orders,
                    "gmv": amount_text(p.gmv, ledger.currency_of_sku(p.sku)),
                    "gmv_in_other_currencies": _amounts(p.other_gmv),
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
                    "gmv": amount_text(s.gmv, self.currency),
                    "gmv_in_other_currencies": _amounts(s.other_gmv),
                }
                for s in ledger.segments
            ],
            "deals": [
                {
                    "deal_id": d.deal_id,
                    "sku": d.sku,
                    "price": amount_text(d.price, ledger.currency_of_sku(d.sku)),
                    "start_s": self.relative_s(d.started_at),
                    "end_s": self.relative_s(d.ended_at),
                    "end_reason": d.end_reason,
                    "orders": d.orders,
                    "units": d.units,
                    "gmv": amount_text(d.gmv, ledger.currency_of_sku(d.sku)),
                    "gmv_in_other_currencies": _amounts(d.other_gmv),
                }
                for d in ledger.deals
            ],
            "timing": [
                {
                    "index": t.index,
                    "title": t.title,
                    "planned_s": t.planned_s,
                    "actual_s": round(t.actual_s, 3),
                    "visited": t.visited,
                }
                for t in self.timings
            ],
            "comments_per_minute": self.comments_per_minute,
            "orders_per_minute": self.orders_per_minute,
            "comments_by_source": self.comments_by_source,
            "orders_by_source": self.orders_by_source,
            "duration_s": self.relative_s(self.ended_at),
            "feeds_stopped": self.feeds_stopped,
            "streams": [stream.to_json() for stream in self.streams],
            "rejected_items": len(self.rejected),
            "rejected_by_reason": self.rejected_by_reason,
            "rejected": [
                {
                    "source": r.source,
                    "kind": r.kind,
                    "id": r.item_id,
                    "reason": r.reason,
                    "detail": r.detail,
                    "corrected_since": r.corrected_since,
                }
                for r in self.rejected
            ],
            "unreadable_rows": [
                {"table": u.table, "row": u.row, "problem": u.problem} for u in self.unreadable_rows
            ],
            "audience": board_json(self),
        }


# The per-minute series stop here: no show runs a day, and one row written across a clock jump
# (a machine without a battery clock starts in 1970 until NTP answers) would otherwise make
# the series as long as the jump, one entry per minute (31 years: 16 million entries, 3 GB).
# Later times count in the last minute, as times past the end always did.
MAX_SERIES_MINUTES = 24 * 60


def _series_minutes(span_s: float) -> int:
    if not span_s < MAX_SERIES_MINUTES * 60:  # also NaN
        return MAX_SERIES_MINUTES
    return int(span_s // 60) + 1


def _per_minute(times: list[float], start: float, minutes: int) -> list[int]:
    counts = [0] * minutes
    for at in times:
        index = min(minutes - 1, max(0, int((at - start) // 60)))
        counts[index] += 1
    return counts


def replay_session(
    products: Sequence[Product],
    currency: str,
    events: Sequence[ShowEventRecord],
    orders: Sequence[StoredOrder],
    updates: Sequence[StoredOrderUpdate],
) -> Ledger:
    """The session's ledger from what its file keeps: the report's, and the live show's when it
    continues a session file (``anchordesk live --session``). Each order's lines go to the deal
    the live show decided and take the units it accepted (its ``order_applied`` event)."""
    by_line: dict[tuple[str, str], dict[int, str]] = {}
    by_sku: dict[tuple[str, str], dict[str, str | None]] = {}
    accepted: dict[tuple[str, str], dict[str, int]] = {}
    for event in events:
        if event.kind == ORDER_APPLIED:
            source = str(event.data.get("source"))
            # The order's id as the store reads it (a padded Shopify id kept by an older
            # version: session_ids).
            key = (source, id_read(source, str(event.data.get("order_id"))))
            lines = event.data.get("line_deals")
            deals = event.data.get("deals", {})
            taken = event.data.get("accepted")
            try:
                if isinstance(lines, dict):
                    by_line[key] = {
                        int(index): str(deal) for index, deal in lines.items() if deal is not None
                    }
                elif isinstance(deals, dict):  # a session written before round 27
                    by_sku[key] = {
                        str(sku): None if deal is None else str(deal) for sku, deal in deals.items()
                    }
                if isinstance(taken, dict):
                    accepted[key] = {str(sku): int(units) for sku, units in taken.items()}
            except (TypeError, ValueError, OverflowError):
                log.warning("session event %s cannot be read: skipped", event.id)
    applied: dict[tuple[str, str], dict[int, str | None]] = {}
    for stored in orders:
        key = (stored.order.source, stored.order.id)
        if key in by_line:  # each line's deal; a line not named was sold in none
            sold = by_line[key]
            applied[key] = {index: sold.get(index) for index in range(len(stored.order.lines))}
        elif key in by_sku:  # the SKU's deal to each of its lines, as it was read then
            sku_deals = by_sku[key]
            applied[key] = {
                index: sku_deals[line.sku]
                for index, line in enumerate(stored.order.lines)
                if line.sku in sku_deals
            }
    return replay(
        products,
        currency,
        [(event.at, event.kind, event.data) for event in events if event.kind != ORDER_APPLIED],
        [TimedOrder(stored.order, stored.received_at) for stored in orders],
        applied,
        [TimedUpdate(stored.update, stored.received_at) for stored in updates],
        accepted,
    )


def _alive_at(beat: Heartbeat) -> ShowEventRecord:
    """The heartbeat as the moment its run was last heard of (the event the run continuing
    the file keeps, live/show_session.py)."""
    return ShowEventRecord(
        id=f"heard:{beat.run}",  # not the id of the event a continuing run keeps
        kind=RUN_LAST_HEARD,
        at=beat.at,
        data={"kind": RUN_LAST_HEARD, "run": beat.run, "at_s": beat.at_s},
    )


# How the feeds' hub begins the status of every feed an error no rule foresaw stopped
# (feeds/hub.py ``run``; docs/session-data.md).
FEEDS_STOPPED_PREFIX = "the feeds stopped: "


def _feeds_stopped(feed_status: str | None) -> str:
    """The reason an error stopped the feeds, from the session's ``feed_status`` (a list of
    each feed's last health, kept by the feeds' hub), or "". A damaged value says nothing."""
    try:
        healths = json.loads(feed_status) if feed_status else []
    except (ValueError, RecursionError):  # RecursionError: nested too deep, a traceback
        return ""
    if not isinstance(healths, list):
        return ""
    for health in healths:
        if isinstance(health, dict) and health.get("state") == "stopped":
            reason = health.get("last_error")
            # Only the hub's own reason: a feed keeps its last error after it recovered, and
            # every feed is "stopped" at the end of a show. A 503 answered once, early in a
            # show whose feed then ran well, was said as why the feeds stopped.
            if isinstance(reason, str) and reason.startswith(FEEDS_STOPPED_PREFIX):
                return escape_controls(mask_urls(" ".join(reason.split()))[:500])
    return ""


def _feeds_stopped_words(kept: str | None) -> tuple[str, dict[str, str]] | None:
    """The session's ``feeds_stopped`` meta (the hub's template and values), or None when
    absent or damaged (then the report says the English reason of ``feed_status``)."""
    words = json_object(kept)
    if words is None:
        return None
    template, params = words.get("template"), words.get("params")
    if not isinstance(template, str) or not isinstance(params, dict):
        return None
    return template, {
        str(name): escape_controls(mask_urls(" ".join(str(value).split()))[:500])
        for name, value in params.items()
    }


def build_report(path: Path) -> SessionReport:
    """Read a session file (read-only) and add everything up. Raises ``StoreError``.

    A row that cannot be read is skipped and listed (``unreadable_rows``); an item that breaks
    the amount rule is listed as rejected and never counted."""
    store = SessionStore(path, read_only=True)
    try:
        show_json = store.meta("show")
        feed_status = store.meta("feed_status")
        feeds_stopped_kept = store.meta("feeds_stopped")
        heard = store.meta(HEARTBEAT_META)
        comments = store.comments()
        orders = store.orders()
        updates = store.order_updates()
        events = store.show_events()
        stored_rejected = store.rejected_items()
        samples = store.viewer_samples()
        unreadable = store.unreadable_rows  # after every reader: the rows each one skipped
    except sqlite3.DatabaseError as error:  # a damaged page of the file, not a damaged row
        raise StoreError(f"{path}: cannot be read ({error})") from None
    finally:
        store.close()
    show = kept_show(show_json, unreadable)
    # The last run's heartbeat: the show was alive then, even if nothing was kept for a while
    # (a run killed, or read while it runs). Without it a show killed 22 s in, nothing sold,
    # read "Duration 0:00" and its first segment "0:00" of the 20 s it ran.
    beat = last_heartbeat(heard, events)
    if beat is not None:
        events = [*events, _alive_at(beat)]
    # Durations and minutes on the show's clock: a wall-clock step mid-show taken out.
    clock = SteadyClock(events)
    events = clock.events(events)
    comments = clock.rows(comments, lambda kept: kept.received_at)
    orders = clock.rows(orders, lambda kept: kept.received_at)
    updates = clock.rows(updates, lambda kept: kept.received_at)
    samples = clock.rows(samples, lambda kept: kept.received_at)
    stored_rejected = clock.rows(stored_rejected, lambda kept: kept.received_at)
    events = restore_missing_segment_starts(events, show)
    order_currencies = Counter(o.order.currency for o in orders if o.order.currency)
    currency = (
        show.currency
        if show
        else (order_currencies.most_common(1)[0][0] if order_currencies else "")
    )
    # Cancellations and refunds are replayed with the orders, so the report's GMV, units and
    # deal figures are the board's: each update once, in the order it was received.
    ledger = replay_session(show.products if show else (), currency, events, orders, updates)
    times = (
        [c.received_at for c in comments]
        + [o.received_at for o in orders]
        + [u.received_at for u in updates]
        + [e.at for e in events]
    )
    # A time no clock of this program's era writes (a hand edit, a damaged page) spans nothing:
    # its row still counts, in the first or last minute of the series.
    times = [at for at in times if in_era(at)]
    started = min(times) if times else None
    ended = max(times) if times else None
    minutes = 1 if started is None or ended is None else _series_minutes(ended - started)
    report = SessionReport(
        path=path,
        title=show.title if show else "",
        currency=currency,
        started_at=started,
        ended_at=ended,
        comments=len(comments),
        questions=sum(1 for c in comments if c.comment.is_question),
        flagged=sum(1 for c in comments if c.comment.flagged),
        orders=ledger.orders,
        ledger=ledger,
        # A feed's address as kept (with its token or password whole in a session of an
        # older version, or someone else's) is shown masked by the one rule, as the run
        # writes it; so are the rejected items' texts (report_rejected.rejected_entries).
        comments_by_source=dict(Counter(mask_urls(c.comment.source) for c in comments)),
        orders_by_source=dict(Counter(mask_urls(o.order.source) for o in orders)),
        hidden=len(
            {
                (str(e.data.get("source")), str(e.data.get("comment_id")))
                for e in events
                if e.kind == COMMENT_HIDDEN
            }
        ),
        show=show,
        timings=session_timings(show, events, ended),
        rejected=rejected_entries(stored_rejected, ledger, counted_copies(orders, updates, ledger)),
        unreadable_rows=unreadable,
        feeds_stopped=_feeds_stopped(feed_status),
        feeds_stopped_words=_feeds_stopped_words(feeds_stopped_kept),
        streams=stream_entries(events),
    )
    report.board = session_board(
        show, ledger, samples, [c.received_at for c in comments], events, ended, started
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


def _amounts(by_currency: dict[str, Decimal]) -> dict[str, str]:
    return {
        currency: amount_text(amount, currency)
        for currency, amount in sorted(by_currency.items())
        if amount
    }


def kept_show(show_json: str | None, unreadable: list[UnreadableRow]) -> Show | None:
    if not show_json:
        return None
    try:
        return show_from_snapshot(json.loads(show_json))
    except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation) as error:
        unreadable.append(UnreadableRow("meta", -1, f"the show kept in the session: {error}"))
        return None
    except RecursionError:
        unreadable.append(
            UnreadableRow("meta", -1, "the show kept in the session is nested too deep to read")
        )
        return None


# -- the report as text ------------------------------------------------------------------------


def pad(text_: str, width: int, *, right: bool = False, cut: bool = False) -> str:
    """``text_`` padded to ``width`` terminal columns (cut with an ellipsis when ``cut``),
    its control characters escaped first (a SKU from a feed must not drive the terminal)."""
    text_ = escape_controls(text_)
    if cut and display_width(text_) > width:
        kept = ""
        for char in text_:
            if display_width(kept + char) > width - 1:
                break
            kept += char
        text_ = kept + "…"
    fill = " " * max(0, width - display_width(text_))
    return fill + text_ if right else text_ + fill


def started_text(at: float, language: str) -> str:
    """When the show started, in the local time zone, or in UTC (said) when the zone cannot be
    used: ``TZ=UTC+25`` (an offset of a day or more) made ``astimezone()`` raise, and
    ``TZ=:/etc/passwd`` babel's reading of the zone: a traceback instead of the report."""
    try:
        started = datetime.fromtimestamp(at).astimezone()
        return format_datetime(
            started, "medium", tzinfo=started.tzinfo, locale=babel_locale(language)
        )
    except (ValueError, OSError, LookupError):
        started = datetime.fromtimestamp(at, UTC)
        return (
            format_datetime(started, "medium", tzinfo=UTC, locale=babel_locale(language)) + " UTC"
        )


def money_text(amount: Decimal, currency: str, language: str) -> str:
    """Money as every report writes it (the program's one formatter)."""
    return format_money(amount, currency, language)


def money_with_others(
    amount: Decimal, currency: str, others: dict[str, Decimal], language: str
) -> str:
    """A product's, segment's or deal's sales: in its own currency, then what it sold in
    others, apart ("¥0.00 + US$5.00"). With the others left out, a product sold only in
    dollars in a yuan show read "1 unit, ¥0.00" in the text and the page (only --json had
    them)."""
    listed = listed_amounts([(currency, amount), *others.items()], currency)
    return " + ".join(money_text(value, code, language) for code, value in listed)


def feeds_stopped_text(report: SessionReport, language: str) -> str:
    """Why the feeds stopped, in the report's language when the session kept the reason as
    words; else as the feeds' status kept it (English)."""
    if report.feeds_stopped_words is not None:
        template, values = report.feeds_stopped_words
        said = stop_reason_text(template, values, language)
        if said is not None:
            return said
    return report.feeds_stopped


def report_text(report: SessionReport, language: str | None = None) -> str:
    """The report as a terminal screen, in ``language`` (default: the show's)."""
    lang = report_language(language or report.language)
    ledger = report.ledger

    def t(message: str, plural_of: int | None = None, /, **values: object) -> str:
        return text(lang, message, plural_of, **values)

    def money(amount: Decimal, currency: str | None = None) -> str:
        return money_text(amount, currency or report.currency, lang)

    def sales(amount: Decimal, currency: str, others: dict[str, Decimal]) -> str:
        return money_with_others(amount, currency, others, lang)

    def count(number: int) -> str:
        return format_number(number, lang)

    label_w = 12
    lines = [t("report_title", title=report.title or report.path.name)]
    if report.started_at is not None and report.ended_at is not None:
        lines.append(f"  {pad(t('started'), label_w)}{started_text(report.started_at, lang)}")
        lines.append(
            f"  {pad(t('duration'), label_w)}{format_duration(report.ended_at - report.started_at)}"
        )
    detail = t(
        "comments_detail",
        report.questions,
        questions=count(report.questions),
        flagged=count(report.flagged),
        hidden=count(report.hidden),
    )
    lines.append(f"  {pad(t('comments'), label_w)}{count(report.comments)} ({detail})")
    units = t("orders_detail", ledger.units, units=count(ledger.units))
    lines.append(f"  {pad(t('orders'), label_w)}{count(report.orders)} ({units})")
    lines.append(f"  {pad(t('gmv'), label_w)}{money(report.gmv)}")
    if report.feeds_stopped:
        lines.append(f"  {pad(t('feeds'), label_w)}{feeds_stopped_text(report, lang)}")
    for place, stream in enumerate(report.streams):
        label = pad(t("stream") if place == 0 else "", label_w)
        lines.append(f"  {label}{stream_text(stream, lang)}")
    if report.rejected:
        rejected = t("rejected_short", len(report.rejected), count=count(len(report.rejected)))
        lines.append(f"  {pad(t('rejected'), label_w)}{rejected}")
    others = [
        (c, v)
        for c, v in listed_amounts(ledger.gmv_by_currency.items(), report.currency)
        if c != report.currency
    ]
    for other, amount in others:
        lines.append(f"  {pad(t('gmv_in', currency=other), label_w)}{money(amount, other)}")
    if others:
        lines.append(f"  {t('gmv_apart')}")

    products = [*ledger.products.values(), *ledger.unknown_skus.values()]
    if products:
        lines += ["", f"  {t('products')}"]
        lines.append(
            f"    {pad(t('sku'), 16)} {pad(t('units'), 8, right=True)} "
            f"{pad(t('gmv'), 18, right=True)}  {t('product')}"
        )
        for product in products:
            mark = "" if product.known else f"  ({t('not_in_show')})"
            sold = sales(product.gmv, report.currency_of(product.sku), product.other_gmv)
            lines.append(
                f"    {pad(product.sku or t('no_sku'), 16, cut=True)} "
                f"{pad(count(product.units), 8, right=True)} "
                f"{pad(sold, 18, right=True)}  "
                f"{pad(product.title, MAX_TITLE_CHARS, cut=True).rstrip()}{mark}"
            )
    if ledger.segments:
        lines += ["", f"  {t('segments')}"]
        lines.append(
            f"    {pad('#', 3, right=True)} {pad(t('start'), 6, right=True)}  "
            f"{pad(t('segment'), 24)} {pad(t('orders'), 7, right=True)} "
            f"{pad(t('units'), 7, right=True)} {pad(t('gmv'), 18, right=True)}"
        )
        for segment in ledger.segments:
            start = report.relative_s(segment.started_at) or 0.0
            lines.append(
                f"    {pad(str(segment.index + 1), 3, right=True)} "
                f"{pad(format_duration(start), 6, right=True)}  "
                f"{pad(segment.title, 24, cut=True)} {pad(count(segment.orders), 7, right=True)} "
                f"{pad(count(segment.units), 7, right=True)} "
                f"{pad(sales(segment.gmv, report.currency, segment.other_gmv), 18, right=True)}"
            )
    if ledger.deals:
        lines += ["", f"  {t('deals')}"]
        lines.append(
            f"    {pad(t('sku'), 16)} {pad(t('price'), 14, right=True)} "
            f"{pad(t('units'), 7, right=True)} {pad(t('gmv'), 18, right=True)}  {t('end')}"
        )
        for deal in ledger.deals:
            sold = sales(deal.gmv, report.currency_of(deal.sku), deal.other_gmv)
            lines.append(
                f"    {pad(deal.sku, 16, cut=True)} "
                f"{pad(money(deal.price, report.currency_of(deal.sku)), 14, right=True)} "
                f"{pad(count(deal.units), 7, right=True)} "
                f"{pad(sold, 18, right=True)}  "
                f"{end_reason_text(deal.end_reason, lang)}"
            )
    if report.timings:
        lines += ["", f"  {t('timing')}"]
        lines.append(
            f"    {pad(t('segment'), 28)} {pad(t('plan'), 8, right=True)} "
            f"{pad(t('actual'), 12, right=True)} {pad(t('difference'), 10, right=True)}"
        )
        for timing in [*report.timings, segments_total(report.timings, t("total"))]:
            actual = format_duration(timing.actual_s) if timing.visited else t("not_reached")
            difference = format_difference(timing.difference_s) if timing.visited else ""
            number = f"{timing.index + 1}. " if timing.index >= 0 else ""
            lines.append(
                f"    {pad(number + timing.title, 28, cut=True)} "
                f"{pad(format_duration(timing.planned_s), 8, right=True)} "
                f"{pad(actual, 12, right=True)} {pad(difference, 10, right=True)}"
            )
    if report.comments_per_minute:
        lines += ["", f"  {t('per_minute')}"]
        lines.append(
            f"    {pad(t('minute'), 6, right=True)} {pad(t('comments'), 10, right=True)} "
            f"{pad(t('orders'), 8, right=True)}"
        )
        for minute, (comments, orders) in enumerate(
            zip(report.comments_per_minute, report.orders_per_minute, strict=True), start=1
        ):
            lines.append(
                f"    {pad(str(minute), 6, right=True)} {pad(count(comments), 10, right=True)} "
                f"{pad(count(orders), 8, right=True)}"
            )
    lines += board_text_lines(report, lang)
    if ledger.unknown_skus:
        # A feed's SKUs and titles cut as the show's own are limited (show/validate): a line's
        # title or SKU of 200,000 characters was a report line as long.
        skus = ", ".join(
            pad(sku, MAX_SKU_CHARS, cut=True).rstrip() if sku else t("no_sku")
            for sku in sorted(ledger.unknown_skus)
        )
        lines += ["", f"  {t('unknown_skus', skus=skus)}"]
    lines += rejected_lines(report, t, count)
    # Every line is escaped as a whole too: no value from outside reaches the terminal raw,
    # whichever line it is in (escaping an escaped text changes nothing).
    return "\n".join(escape_controls(line).rstrip() for line in lines)
