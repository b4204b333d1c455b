"""The data board's figures: the audience, the rates, conversion and the sell-out forecasts.

Computed once, here, from what the session keeps (the ledger, the viewer samples, the comments'
times) and a time passed in: the live snapshot (``live/``), the window's board, the remote API
and the report all read these values, so they cannot disagree. Pure: no clock, no I/O.

Definitions:
- the audience at a moment is the sum of each source's latest count (each platform counts its
  own viewers); "peak viewers" the highest such sum;
- a buyer is a customer (by feed and customer name; an order without one is its own buyer) with
  at least one order not wholly cancelled or refunded;
- conversion is buyers ÷ peak viewers (overall, and per segment with the segment's own buyers
  and peak); None when no feed counts viewers;
- average order value is, per currency, the GMV ÷ the orders that still count, rounded to the
  currency's smallest unit;
- the sell-out forecast divides a product's stock left by its units sold per second over the
  last ``FORECAST_WINDOW_S`` (or since the session began, when that is shorter, but never a
  span under ``FORECAST_MIN_SPAN_S``: two quick orders are not a rate).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from anchordesk.core.money import currency_digits
from anchordesk.show.feed_items import Order
from anchordesk.show.ledger import KeptOrder, Ledger, SegmentSales

COMMENT_RATE_WINDOW_S = 60.0
FORECAST_WINDOW_S = 120.0
FORECAST_MIN_SPAN_S = 30.0
HISTORY_S = 600.0  # the sparkline: the last ten minutes
HISTORY_POINTS = 240


class AudienceCurve:
    """The audience's size over time, one point per sample kept: (when, sum of each source's
    latest count). Fed in the order the store kept the samples (live, and replayed)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.totals: list[int] = []
        self._latest: dict[str, int] = {}
        self.peak: int | None = None

    def add(self, at: float, source: str, online: int) -> None:
        self._latest[source] = max(0, online)
        total = sum(self._latest.values())
        if self.times and at < self.times[-1]:
            at = self.times[-1]  # kept in store order: the time line never runs backwards
        self.times.append(at)
        self.totals.append(total)
        self.peak = total if self.peak is None else max(self.peak, total)

    @property
    def now(self) -> int | None:
        return self.totals[-1] if self.totals else None

    def at(self, moment: float) -> int | None:
        """The audience at ``moment``: the last point at or before it (None before any)."""
        index = bisect.bisect_right(self.times, moment)
        return self.totals[index - 1] if index else None

    def between(self, start: float, end: float) -> list[tuple[float, int]]:
        """Points in [start, end], preceded by the audience at ``start`` when known."""
        first = bisect.bisect_left(self.times, start)
        last = bisect.bisect_right(self.times, end)
        points = list(zip(self.times[first:last], self.totals[first:last], strict=True))
        before = self.at(start)
        if before is not None and (not points or points[0][0] > start):
            points.insert(0, (start, before))
        return points


@dataclass(frozen=True)
class ProductFigures:
    sku: str
    title: str
    currency: str
    units: int
    gmv: Decimal
    stock_left: int | None  # None: not tracked (not in the show)
    units_per_minute: float  # over the forecast's window
    sells_out_in_s: float | None  # None: not selling now, or nothing left to sell
    on_sale: bool  # on screen or in a live deal
    # What it sold in other currencies than ``currency``: apart, never added in (the report's
    # "¥0 + US$5.00"); without them a product sold only in dollars in a yen show read "3, ¥0".
    other_gmv: tuple[tuple[str, Decimal], ...] = ()

    @property
    def sold_out(self) -> bool:
        return self.stock_left == 0


@dataclass(frozen=True)
class DealFigures:
    deal_id: str
    sku: str
    units_sold: int
    units_total: int | None  # the deal's quota, else what it sold plus the stock left
    end_reason: str

    @property
    def sell_through(self) -> float | None:
        if not self.units_total:
            return None
        return self.units_sold / self.units_total


@dataclass(frozen=True)
class SegmentFigures:
    index: int
    title: str
    sku: str | None
    started_at: float
    ended_at: float | None
    viewers_start: int | None
    viewers_end: int | None
    viewers_peak: int | None
    comments: int
    orders: int
    buyers: int
    units: int
    gmv_by_currency: tuple[tuple[str, Decimal], ...]
    deals: tuple[DealFigures, ...]

    @property
    def conversion(self) -> float | None:
        return conversion(self.buyers, self.viewers_peak)


@dataclass(frozen=True)
class BoardFigures:
    at: float  # the wall-clock moment these figures are for
    viewers_now: int | None
    viewers_peak: int | None
    viewer_history: tuple[tuple[float, int], ...]  # (seconds before ``at``, ≤ 0; audience)
    comments_per_minute: float
    orders_per_minute: float
    orders: int
    buyers: int
    units: int
    gmv_by_currency: tuple[tuple[str, Decimal], ...]
    average_order_value: tuple[tuple[str, Decimal], ...]
    products: tuple[ProductFigures, ...]
    segments: tuple[SegmentFigures, ...]  # one per segment of the run sheet that ran
    visit_started_at: float | None = None  # when the segment running now was entered

    @property
    def conversion(self) -> float | None:
        return conversion(self.buyers, self.viewers_peak)

    def product(self, sku: str | None) -> ProductFigures | None:
        return next((p for p in self.products if p.sku == sku), None)


def conversion(buyers: int, peak_viewers: int | None) -> float | None:
    if not peak_viewers:
        return None
    return buyers / peak_viewers


def buyer_key(kept: KeptOrder) -> tuple[str, str]:
    order = kept.order
    return (order.source, order.customer) if order.customer else (order.source, "#" + order.id)


def _to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """An average rounded to the currency's smallest unit (half up, as a price is)."""
    return amount.quantize(Decimal(1).scaleb(-currency_digits(currency)), ROUND_HALF_UP)


def _count_between(times: Sequence[float], start: float, end: float) -> int:
    """Times in [start, end) — a comment at a segment's change belongs to the new segment."""
    return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)


@dataclass(frozen=True)
class OrderFigures:
    """What the orders alone decide (buyers, GMV per segment and currency, average order):
    it changes only when an order or an update arrives, so a live board keeps it between
    arrivals (``order_figures`` reads every order)."""

    buyers: int
    average_order_value: tuple[tuple[str, Decimal], ...]
    # By the segment's row (``row_key``: its visits together): (buyers, GMV per currency).
    segments: Mapping[RowKey, tuple[int, tuple[tuple[str, Decimal], ...]]]


class RunSheet:
    """A run sheet's segment titles, in order: which row a segment's visit belongs to
    (``row``), the first row of each title found at once (a show at the limits has 20,000)."""

    def __init__(self, titles: Iterable[str]) -> None:
        self.titles = tuple(titles)
        self._first: dict[str, int] = {}
        for row, title in enumerate(self.titles):
            self._first.setdefault(title, row)

    def row(self, index: int, title: object) -> int | None:
        """The row a visit of segment ``index`` titled ``title`` belongs to: its index when
        the segment there has that title (or the visit names none: an older file), else the
        first segment of that title, else none. A session continued after its run sheet was
        reordered merged the visits by position alone: the second run's cup in the first run's
        mug row ("Mug 2 orders"), and the report's timing "Cup 1:30" with the mug's minute."""
        if not isinstance(title, str) or not title:
            return index
        if 0 <= index < len(self.titles) and self.titles[index] == title:
            return index
        return self._first.get(title)


#: A board row: the run sheet's index of the segment, or (index, title) of one no longer in
#: the run sheet (a session continued after the segment was taken out of it).
RowKey = int | tuple[int, str]


def row_key(rundown: RunSheet | None, segment: SegmentSales) -> RowKey:
    """The board row of a visit of ``segment``: its run-sheet row (by index without a run
    sheet), or a row of its own."""
    row = segment.index if rundown is None else rundown.row(segment.index, segment.title)
    return (segment.index, segment.title) if row is None else row


def _row_order(key: RowKey) -> tuple[int, int, str]:
    """The run sheet's rows in order, then those no longer in it."""
    return (0, key, "") if isinstance(key, int) else (1, key[0], key[1])


def order_figures(ledger: Ledger, rundown: RunSheet | None = None) -> OrderFigures:
    """One pass over the orders (each order's ``left`` is worked out once)."""
    return OrderTally(rundown).figures(ledger)


class OrderTally:
    """``order_figures`` of a ledger that grows: each call reads only the orders counted since
    the one before (a live board read all 100,000 every refresh while a big page came in: a
    third of a second of the loop each time), and all again when an update (a cancellation,
    a refund: an order's ``left``) or a new segment came, or the ledger is another one."""

    def __init__(self, rundown: RunSheet | None = None) -> None:
        self.rundown = rundown  # the segments' rows (``row_key``); None: by index
        self._reset(None, (0, 0))

    def _reset(self, ledger: Ledger | None, key: tuple[int, int]) -> None:
        self._ledger, self._key, self._read = ledger, key, 0
        segments = ledger.segments if ledger is not None else []
        self._index_of = {id(segment): row_key(self.rundown, segment) for segment in segments}
        self._buyers: set[tuple[str, str]] = set()
        self._gmv: dict[str, Decimal] = {}
        self._counting: dict[str, int] = {}
        self._segment_buyers: dict[RowKey, set[tuple[str, str]]] = {}
        self._segment_gmv: dict[RowKey, dict[str, Decimal]] = {}

    def figures(self, ledger: Ledger) -> OrderFigures:
        kept_orders = ledger.kept_orders()
        key = (len(ledger.updates), len(ledger.segments))
        if ledger is not self._ledger or key != self._key or len(kept_orders) < self._read:
            self._reset(ledger, key)  # all again
        for kept in kept_orders[self._read :]:
            self._add(kept)
        self._read = len(kept_orders)
        average = {
            currency: _to_minor_unit(self._gmv[currency] / self._counting[currency], currency)
            for currency in self._gmv
            if self._counting.get(currency)
        }
        return OrderFigures(
            buyers=len(self._buyers),
            average_order_value=tuple(sorted(average.items())),
            segments={
                index: (len(self._segment_buyers.get(index, ())), tuple(sorted(totals.items())))
                for index, totals in self._segment_gmv.items()
            },
        )

    def _add(self, kept: KeptOrder) -> None:
        left = kept.left
        currency = kept.currency
        self._gmv[currency] = self._gmv.get(currency, Decimal(0)) + left
        index = self._index_of.get(id(kept.segment)) if kept.segment is not None else None
        if index is not None:
            totals = self._segment_gmv.setdefault(index, {})
            totals[currency] = totals.get(currency, Decimal(0)) + left
        if left > 0:
            key = buyer_key(kept)
            self._buyers.add(key)
            self._counting[currency] = self._counting.get(currency, 0) + 1
            if index is not None:
                self._segment_buyers.setdefault(index, set()).add(key)


def units_per_second(ledger: Ledger, now: float, started_at: float | None) -> dict[str, float]:
    """Each product's recent sales rate: units ordered in the forecast window up to ``now``,
    per second (products that sold nothing in it are absent)."""
    span = FORECAST_WINDOW_S
    if started_at is not None:
        span = min(span, max(FORECAST_MIN_SPAN_S, now - started_at))
    since = now - span
    units: dict[str, int] = {}
    for timed in reversed(ledger.timeline):
        if timed.at <= since:
            break
        if timed.at > now:
            continue
        for line in timed.order.lines:
            units[line.sku] = units.get(line.sku, 0) + max(0, line.quantity)
    return {sku: count / span for sku, count in units.items()}


class UnitsRate:
    """``units_per_second`` of a ledger that grows, as a window sliding over its timeline: each
    call reads only the orders that came into the window or left it since the one before (a
    live board read every order of the last two minutes twice a second: 100,000 of them after
    a big page, a sixth of a second of the loop each time). Orders received out of time order
    (a clock set back), time going back, or another ledger: read whole, as before."""

    def __init__(self) -> None:
        self._reset(None)

    def _reset(self, ledger: Ledger | None) -> None:
        self._ledger = ledger
        self._start = self._end = 0  # the window: timeline[start:end]
        self._now = self._since = float("-inf")
        self._units: dict[str, int] = {}
        self._lines: dict[str, int] = {}  # a SKU sold 0 units in the window is in it, at 0
        self._in_order = True

    def per_second(self, ledger: Ledger, now: float, started_at: float | None) -> dict[str, float]:
        span = FORECAST_WINDOW_S
        if started_at is not None:
            span = min(span, max(FORECAST_MIN_SPAN_S, now - started_at))
        since = now - span
        timeline = ledger.timeline
        if ledger is not self._ledger or now < self._now or since < self._since:
            self._reset(ledger)
        last = timeline[self._end - 1].at if self._end else float("-inf")
        while self._in_order and self._end < len(timeline) and timeline[self._end].at <= now:
            timed = timeline[self._end]
            if timed.at < last:
                self._in_order = False
                break
            last = timed.at
            self._count(timed.order, 1)
            self._end += 1
        if not self._in_order:
            return units_per_second(ledger, now, started_at)
        while self._start < self._end and timeline[self._start].at <= since:
            self._count(timeline[self._start].order, -1)
            self._start += 1
        self._now, self._since = now, since
        return {sku: count / span for sku, count in self._units.items() if self._lines[sku]}

    def _count(self, order: Order, sign: int) -> None:
        for line in order.lines:
            self._units[line.sku] = self._units.get(line.sku, 0) + sign * max(0, line.quantity)
            self._lines[line.sku] = self._lines.get(line.sku, 0) + sign


def sells_out_in_s(stock_left: int | None, rate_per_s: float) -> float | None:
    """Seconds until ``stock_left`` is gone at ``rate_per_s``; None when nothing sells or
    nothing is left."""
    if stock_left is None or stock_left <= 0 or rate_per_s <= 0:
        return None
    return stock_left / rate_per_s


def segment_figures(
    ledger: Ledger,
    orders: OrderFigures,
    audience: AudienceCurve,
    comment_times: Sequence[float],
    end: float,
    deal_totals: Mapping[str, int | None],
    rundown: RunSheet | None = None,
) -> tuple[SegmentFigures, ...]:
    """Each segment of the run sheet that ran, in run-sheet order, its visits together (a
    segment gone back to is one row, not one more: a stream deck's buttons pressed back and
    forth grew the list, sent to each phone every second, without bound); ``end`` closes the
    visit still running."""
    # (visit, when it stopped, its comments from, until): a comment kept between two visits
    # counts in the one before, but one kept before the first frame or between two runs of the
    # session (the show stopped, then continued) in the next run's first, as an order is (the
    # ledger): the feeds' first poll comes a moment before the first frame.
    visits: dict[RowKey, list[tuple[SegmentSales, float, float, float]]] = {}
    # Before the session's first visit, or a finished run's end: the next visit's comments
    # are counted from there.
    gap_from: float | None = -math.inf
    for number, segment in enumerate(ledger.segments):
        stop = segment.ended_at if segment.ended_at is not None else end
        nxt = ledger.segments[number + 1].started_at if number + 1 < len(ledger.segments) else None
        since = segment.started_at if gap_from is None else min(gap_from, segment.started_at)
        gap_from = None
        if nxt is not None and ledger.ends_a_run(number):
            until = gap_from = stop
        else:
            until = nxt if nxt is not None else max(stop, end)
        visits.setdefault(row_key(rundown, segment), []).append((segment, stop, since, until))
    result = []
    for key in sorted(visits, key=_row_order):
        runs = visits[key]
        first, last = runs[0][0], runs[-1][0]
        each = [audience.between(visit.started_at, stop) for visit, stop, _, _ in runs]
        buyers, gmv = orders.segments.get(key, (0, ()))
        title = first.title
        if isinstance(key, int) and rundown is not None and 0 <= key < len(rundown.titles):
            title = rundown.titles[key]  # the run sheet's (an older file's visit names none)
        result.append(
            SegmentFigures(
                index=key if isinstance(key, int) else key[0],
                title=title,
                sku=first.sku,
                started_at=first.started_at,
                ended_at=last.ended_at,
                viewers_start=each[0][0][1] if each[0] else None,
                viewers_end=audience.at(runs[-1][1]),
                viewers_peak=max((total for points in each for _, total in points), default=None),
                comments=sum(
                    _count_between(comment_times, since, until) for _, _, since, until in runs
                ),
                orders=sum(visit.orders for visit, _, _, _ in runs),
                buyers=buyers,
                units=sum(visit.units for visit, _, _, _ in runs),
                gmv_by_currency=gmv,
                deals=tuple(
                    deal
                    for visit, stop, _, _ in runs
                    for deal in _deals_in(ledger, visit, stop, deal_totals)
                ),
            )
        )
    return tuple(result)


def _deals_in(
    ledger: Ledger, segment: SegmentSales, stop: float, deal_totals: Mapping[str, int | None]
) -> tuple[DealFigures, ...]:
    return tuple(
        deal_figures(deal.deal_id, deal.sku, deal.units, deal.end_reason, deal_totals)
        for deal in ledger.deals
        if segment.started_at <= deal.started_at and (deal.started_at < stop)
    )


def deal_figures(
    deal_id: str, sku: str, units: int, end_reason: str, deal_totals: Mapping[str, int | None]
) -> DealFigures:
    return DealFigures(deal_id, sku, units, deal_totals.get(deal_id), end_reason)


def deal_totals_of(
    quotas: Mapping[str, tuple[str, int | None]], ledger: Ledger, stock_left: Mapping[str, int]
) -> dict[str, int | None]:
    """Each deal's units on offer: its quota (``quotas``: deal id -> (sku, quota or None)),
    else what it sold plus the product's stock left."""
    sold = {deal.deal_id: deal.units for deal in ledger.deals}
    totals: dict[str, int | None] = {}
    for deal_id, (sku, quota) in quotas.items():
        if quota is not None:
            totals[deal_id] = quota
        elif sku in stock_left:
            totals[deal_id] = sold.get(deal_id, 0) + max(0, stock_left[sku])
        else:
            totals[deal_id] = None
    return totals


def board_figures(
    ledger: Ledger,
    audience: AudienceCurve,
    comment_times: Sequence[float],
    now: float,
    *,
    started_at: float | None,
    stock_left: Mapping[str, int],
    on_sale: Iterable[str] = (),
    deal_quotas: Mapping[str, tuple[str, int | None]] | None = None,
    currency_of: Mapping[str, str] | None = None,
    orders: OrderFigures | None = None,
    rates: Mapping[str, float] | None = None,
    products: tuple[ProductFigures, ...] | None = None,
    rundown: RunSheet | None = None,
) -> BoardFigures:
    """Every figure of the board at ``now`` (wall clock), from the session's data (``orders``:
    the ledger's ``order_figures`` when the caller kept them since the last arrival; ``rates``:
    ``units_per_second``, kept as a ``UnitsRate``; ``products``: ``product_figures`` when the
    caller kept them)."""
    if orders is None:
        orders = order_figures(ledger, rundown)
    if rates is None:
        rates = units_per_second(ledger, now, started_at)
    if products is None:
        products = product_figures(ledger, stock_left, on_sale, currency_of or {}, rates)
    start = bisect.bisect_left(audience.times, now - HISTORY_S)
    stop = bisect.bisect_right(audience.times, now)
    history = [
        (round(at - now, 3), total)
        for at, total in zip(audience.times[start:stop], audience.totals[start:stop], strict=True)
    ][-HISTORY_POINTS:]
    totals = deal_totals_of(deal_quotas or {}, ledger, stock_left)
    return BoardFigures(
        at=now,
        viewers_now=audience.at(now),
        viewers_peak=audience.peak,
        viewer_history=tuple(history),
        comments_per_minute=_count_between(comment_times, now - COMMENT_RATE_WINDOW_S, now + 1e-9)
        * 60.0
        / COMMENT_RATE_WINDOW_S,
        orders_per_minute=ledger.orders_per_minute(now),
        orders=ledger.orders,
        buyers=orders.buyers,
        units=ledger.units,
        gmv_by_currency=tuple(sorted(ledger.gmv_by_currency.items())),
        average_order_value=orders.average_order_value,
        products=products,
        segments=segment_figures(ledger, orders, audience, comment_times, now, totals, rundown),
        visit_started_at=ledger.segments[-1].started_at if ledger.segments else None,
    )


def product_figures(
    ledger: Ledger,
    stock_left: Mapping[str, int],
    on_sale: Iterable[str],
    currency_of: Mapping[str, str],
    rates: Mapping[str, float],
) -> tuple[ProductFigures, ...]:
    """The board's row of each product the ledger knows (the show's, then unknown SKUs)."""
    selling = set(on_sale)
    products = []
    for sales in [*ledger.products.values(), *ledger.unknown_skus.values()]:
        # The stock on screen; a product of the session not on screen (sold by an earlier run
        # of the session file, out of this run's show file) by the ledger's count, as the report.
        left = stock_left.get(sales.sku, ledger.stock_left(sales.sku)) if sales.known else None
        rate = rates.get(sales.sku, 0.0)
        products.append(
            ProductFigures(
                sku=sales.sku,
                title=sales.title,
                currency=currency_of.get(sales.sku, ledger.currency_of_sku(sales.sku)),
                units=sales.units,
                gmv=sales.gmv,
                stock_left=left,
                units_per_minute=rate * 60.0,
                sells_out_in_s=sells_out_in_s(left, rate),
                on_sale=sales.sku in selling,
                other_gmv=tuple(sorted((code, v) for code, v in sales.other_gmv.items() if v)),
            )
        )
    return tuple(products)


def format_forecast_minutes(seconds: float) -> int:
    """The forecast as the board says it: whole minutes, at least one ("~1 min")."""
    return max(1, round(seconds / 60.0))
