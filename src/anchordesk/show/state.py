"""The state of a running show: run sheet, product on screen, flash deals and stock.

Pure: every change is a function ``(state, ..., now_s) -> Transition(state, events)``; the state
is immutable, so the overlay renderer can hold one snapshot while the feeds compute the next,
and the app layer only needs a lock around "replace the current state". There is no clock here:
`now_s` is whatever monotonic show clock the caller uses (media time, a test's fake clock).
A `now_s` earlier than one already seen is treated as the latest time seen, so commands from
different threads arriving slightly out of order never move the show backwards.

A flash deal goes scheduled -> live -> ended | sold_out. Deals planned in the rundown are
scheduled from the start; a segment's deal starts when its segment starts (when
`auto_start_deals` is on) or when the operator starts it. A live deal keeps counting down its
own seconds even after the run sheet moves on; at most one deal per product is live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType

from anchordesk.core.money import currency_digits
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.events import (
    DealEnded,
    DealEndReason,
    DealStarted,
    ProductShown,
    ProductSoldOut,
    SegmentEnded,
    SegmentStarted,
    ShowEvent,
    ShowFinished,
    ShowStarted,
    StockChanged,
)
from anchordesk.show.model import Product, Segment, Show
from anchordesk.show.validate import deal_value_problems


class ShowCommandError(ValueError):
    """A command that cannot apply (no such segment, price not below list price...).

    The message is one line for the operator (``words``, which the window translates;
    ``str()`` is its English); the state is left unchanged.
    """

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


NO_SEGMENTS = Words(QT_TRANSLATE_NOOP("LiveShow", "the show has no segments in its rundown"))
NO_PRODUCT_ON_SCREEN = Words(
    QT_TRANSLATE_NOOP("LiveShow", "no product on screen to start a deal on")
)
SESSION_ENDED = Words(
    QT_TRANSLATE_NOOP("LiveShow", "the session has ended: rehearse again or go live")
)


def no_segment(index: int, count: int) -> Words:
    """``goto_segment`` with an index the rundown has not, named as the caller gave it (the
    remote API and ``anchordesk control`` count from 0: ``-1`` is not "segment 0")."""
    if count == 0:
        return NO_SEGMENTS
    return Words(
        QT_TRANSLATE_NOOP(
            "LiveShow", "no segment at index {index}: the rundown's segments are 0 to {last}"
        ),
        index=index,
        last=count - 1,
    )


def no_live_deal(sku: str | None) -> Words:
    if sku:
        # Quoted as every refusal quotes text from outside: a SKU "IMG\nSEP" was cut at
        # its newline (the API keeps a reason's first line): "no live deal on IMG".
        return Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal on {sku}"), sku=repr(sku))
    return Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal to stop"))


class DealStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"  # ran out of time or was stopped (see `end_reason`)
    SOLD_OUT = "sold_out"


@dataclass(frozen=True, slots=True)
class DealState:
    deal_id: str  # "segment-3" for the plan of rundown[3], "deal-1", "deal-2"... by hand
    sku: str
    price: Decimal
    list_price: Decimal
    seconds: int
    stock: int | None  # quota; None: only the product's stock limits the deal
    segment_index: int | None
    status: DealStatus = DealStatus.SCHEDULED
    started_at_s: float | None = None
    ended_at_s: float | None = None
    end_reason: DealEndReason | None = None
    units_sold: int = 0

    @property
    def is_live(self) -> bool:
        return self.status is DealStatus.LIVE

    @property
    def ends_at_s(self) -> float | None:
        """When the deal runs out of time (planned), once started."""
        if self.started_at_s is None:
            return None
        return self.started_at_s + self.seconds

    @property
    def stock_left(self) -> int | None:
        if self.stock is None:
            return None
        return max(0, self.stock - self.units_sold)

    def remaining_s(self, now_s: float) -> float:
        """Seconds left on the countdown: the full length before it starts, 0 once over."""
        if self.status is DealStatus.SCHEDULED or self.started_at_s is None:
            return float(self.seconds)
        if self.status is not DealStatus.LIVE:
            return 0.0
        return max(0.0, self.started_at_s + self.seconds - now_s)


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """What one order line did to the show's stock and deals.

    The caller (the live show) stores, flags and logs an oversold line once, from here: the
    state itself never shows stock below zero.
    """

    sku: str
    requested_units: int
    accepted_units: int  # units taken from stock: fewer than requested when stock ran out
    known_sku: bool  # False: the sku is not in the show; nothing was taken
    deal_id: str | None  # the live deal the line counts in (a deal line), else None
    unit_price: Decimal | None  # the line's price as sent; the list price when it sent none
    deal_units: int = 0  # units counted in the deal (all of a deal line's units, else 0)
    over_deal_quota_units: int = 0  # deal units beyond what the deal's quota had left

    @property
    def is_deal_line(self) -> bool:
        return self.deal_id is not None

    @property
    def oversold_units(self) -> int:
        """Units the platform sold beyond the product's stock (0 for an unknown sku)."""
        return self.requested_units - self.accepted_units if self.known_sku else 0


@dataclass(frozen=True, slots=True)
class RestockOutcome:
    """What a cancelled or refunded line gave back."""

    sku: str
    requested_units: int
    returned_units: int  # back into the product's stock (never above its starting stock)
    known_sku: bool
    deal_units_returned: int = 0  # back into a still-live deal's quota


def is_deal_line(
    unit_price: Decimal | None, line_currency: str, deal_price: Decimal, price_currency: str
) -> bool:
    """The deal-line rule, for the show's state and the ledger alike: a line during a live deal
    counts in it when it is in the product's currency (``price_currency``) and at the deal
    price (19.00 EUR is not a deal priced 19.00 USD, whatever its number)."""
    return line_currency == price_currency and is_deal_price(unit_price, deal_price, price_currency)


def is_deal_price(unit_price: Decimal | None, deal_price: Decimal, currency: str) -> bool:
    """Whether a line's unit price is the deal price to the currency's smallest unit (the cent;
    the yen for JPY, the fils for KWD). An unknown price (None, NaN) is never the deal price:
    a feed that sends no price must not silently eat a deal's units."""
    if unit_price is None or not unit_price.is_finite():
        return False
    unit = Decimal(1).scaleb(-currency_digits(currency))
    try:
        return unit_price.quantize(unit, ROUND_HALF_UP) == deal_price.quantize(unit, ROUND_HALF_UP)
    except InvalidOperation:  # an absurdly large amount cannot be a deal price
        return False


@dataclass(frozen=True, slots=True)
class ShowState:
    show: Show
    started_at_s: float
    clock_s: float  # the latest time seen
    segment_index: int
    segment_started_at_s: float
    on_screen_sku: str | None
    on_screen_by_operator: bool
    stock_by_sku: Mapping[str, int]
    deals: tuple[DealState, ...]
    auto_start_deals: bool
    finished: bool = False
    hand_deals_started: int = 0
    ended_at_s: float | None = None  # the session ended (End rehearsal, the stream stopped)
    # Studio mode: a segment change moves the run sheet (title, timer, script) but leaves the
    # card and the deals as they are on air; the operator stages them and takes them on air.
    hold_picture: bool = False

    # -- run sheet -------------------------------------------------------------------------

    @property
    def segment(self) -> Segment:
        return self.show.rundown[self.segment_index]

    @property
    def next_segment(self) -> Segment | None:
        following = self.segment_index + 1
        return self.show.rundown[following] if following < len(self.show.rundown) else None

    def segment_elapsed_s(self, now_s: float) -> float:
        return max(0.0, max(now_s, self.clock_s) - self.segment_started_at_s)

    def segment_remaining_s(self, now_s: float) -> float:
        """Planned seconds left in the segment; negative once it over-runs."""
        return self.segment.seconds - self.segment_elapsed_s(now_s)

    def segment_overrun_s(self, now_s: float) -> float:
        return max(0.0, -self.segment_remaining_s(now_s))

    def show_elapsed_s(self, now_s: float) -> float:
        return max(0.0, max(now_s, self.clock_s) - self.started_at_s)

    def behind_schedule_s(self, now_s: float) -> float:
        """How late the show runs against the rundown (negative: ahead of it)."""
        started_late_s = (
            self.segment_started_at_s - self.started_at_s
        ) - self.show.segment_start_s(self.segment_index)
        return started_late_s + self.segment_overrun_s(now_s)

    # -- products and deals ----------------------------------------------------------------

    @property
    def product_on_screen(self) -> Product | None:
        return self.show.product(self.on_screen_sku)

    def stock_left(self, sku: str) -> int | None:
        """Units left of a product, None for a sku that is not in the show."""
        return self.stock_by_sku.get(sku)

    def is_sold_out(self, sku: str) -> bool:
        return self.stock_by_sku.get(sku) == 0

    def live_deal(self, sku: str | None) -> DealState | None:
        if sku is None:
            return None
        for deal in self.deals:
            if deal.sku == sku and deal.status is DealStatus.LIVE:
                return deal
        return None

    @property
    def live_deals(self) -> tuple[DealState, ...]:
        return tuple(deal for deal in self.deals if deal.status is DealStatus.LIVE)

    def latest_deal(self, sku: str | None) -> DealState | None:
        """The live deal of a product, else the one that started last (for a "sold out" card)."""
        if sku is None:
            return None
        live = self.live_deal(sku)
        if live is not None:
            return live
        started = [d for d in self.deals if d.sku == sku and d.started_at_s is not None]
        return max(started, key=lambda d: d.started_at_s or 0.0, default=None)

    def deal(self, deal_id: str) -> DealState | None:
        for deal in self.deals:
            if deal.deal_id == deal_id:
                return deal
        return None

    def price_now(self, sku: str) -> Decimal | None:
        """The price a buyer pays now: the live deal's, else the list price."""
        deal = self.live_deal(sku)
        if deal is not None:
            return deal.price
        product = self.show.product(sku)
        return product.price if product is not None else None


@dataclass(frozen=True, slots=True)
class Transition:
    state: ShowState
    events: tuple[ShowEvent, ...] = ()
    order: OrderOutcome | None = None  # set by `apply_order`
    restock: RestockOutcome | None = None  # set by `restock`


# -- building blocks -----------------------------------------------------------------------------


class _Changes:
    """Collects a new state and its events inside one command."""

    def __init__(self, state: ShowState) -> None:
        self.state = state
        self.events: list[ShowEvent] = []

    def done(
        self, order: OrderOutcome | None = None, restock: RestockOutcome | None = None
    ) -> Transition:
        return Transition(self.state, tuple(self.events), order, restock)

    def set_deal(self, deal: DealState) -> None:
        self.state = replace(
            self.state,
            deals=tuple(deal if d.deal_id == deal.deal_id else d for d in self.state.deals),
        )

    def add_deal(self, deal: DealState) -> None:
        self.state = replace(self.state, deals=(*self.state.deals, deal))

    def end_deal(self, deal: DealState, at_s: float, reason: DealEndReason) -> None:
        status = DealStatus.SOLD_OUT if reason is DealEndReason.SOLD_OUT else DealStatus.ENDED
        ended = replace(deal, status=status, ended_at_s=at_s, end_reason=reason)
        self.set_deal(ended)
        self.events.append(
            DealEnded(at_s, deal.deal_id, deal.sku, reason, ended.units_sold, ended.stock_left)
        )

    def start_deal(self, deal: DealState, at_s: float) -> None:
        current = self.state.live_deal(deal.sku)
        if current is not None:
            self.end_deal(current, at_s, DealEndReason.STOPPED)
        started = replace(deal, status=DealStatus.LIVE, started_at_s=at_s)
        if self.state.deal(deal.deal_id) is None:
            self.add_deal(started)
        else:
            self.set_deal(started)
        self.events.append(
            DealStarted(
                at_s,
                started.deal_id,
                started.sku,
                started.price,
                started.list_price,
                started.seconds,
                started.stock,
                started.segment_index,
            )
        )
        # A deal on a product with nothing left is over the moment it starts.
        quota_empty = started.stock_left == 0
        if self.state.is_sold_out(deal.sku) or quota_empty:
            self.end_deal(started, at_s, DealEndReason.SOLD_OUT)

    def show_product(self, sku: str | None, at_s: float, by_operator: bool) -> None:
        state = self.state
        if sku == state.on_screen_sku and by_operator == state.on_screen_by_operator:
            return
        self.state = replace(state, on_screen_sku=sku, on_screen_by_operator=by_operator)
        if sku != state.on_screen_sku:
            self.events.append(ProductShown(at_s, sku, by_operator))

    def expire_deals(self, until_s: float) -> None:
        """End, at their planned end, the live deals whose seconds ran out by `until_s`."""
        expired = [
            d
            for d in self.state.deals
            if d.status is DealStatus.LIVE and d.ends_at_s is not None and d.ends_at_s <= until_s
        ]
        for deal in sorted(expired, key=lambda d: (d.ends_at_s or 0.0, d.deal_id)):
            self.end_deal(deal, deal.ends_at_s or until_s, DealEndReason.ENDED)

    def advance_clock(self, now_s: float) -> float:
        at_s = max(now_s, self.state.clock_s)
        self.expire_deals(at_s)
        if at_s != self.state.clock_s:
            self.state = replace(self.state, clock_s=at_s)
        return at_s

    def enter_segment(self, index: int, at_s: float) -> None:
        state = self.state
        old = state.segment
        self.events.append(
            SegmentEnded(
                at_s,
                state.segment_index,
                old.title,
                at_s - state.segment_started_at_s,
                old.seconds,
            )
        )
        self.state = replace(state, segment_index=index, segment_started_at_s=at_s)
        self._begin_segment(at_s)

    def _begin_segment(self, at_s: float) -> None:
        state = self.state
        segment = state.segment
        self.events.append(
            SegmentStarted(at_s, state.segment_index, segment.title, segment.sku, segment.seconds)
        )
        if state.hold_picture:
            return
        # The card follows the run sheet again whatever the operator put up before.
        self.show_product(segment.sku, at_s, by_operator=False)
        if state.auto_start_deals:
            planned = state.deal(_segment_deal_id(state.segment_index))
            if planned is not None and planned.status is DealStatus.SCHEDULED:
                self.start_deal(planned, at_s)


def _segment_deal_id(index: int) -> str:
    return f"segment-{index}"


def _scheduled_deals(show: Show) -> tuple[DealState, ...]:
    deals: list[DealState] = []
    for index, segment in enumerate(show.rundown):
        product = show.product(segment.sku)
        if segment.deal is None or product is None:
            continue
        deals.append(
            DealState(
                deal_id=_segment_deal_id(index),
                sku=product.sku,
                price=segment.deal.price,
                list_price=product.price,
                seconds=segment.deal.seconds,
                stock=segment.deal.stock,
                segment_index=index,
            )
        )
    return tuple(deals)


# -- commands ------------------------------------------------------------------------------------


def start_show(
    show: Show, now_s: float, *, auto_start_deals: bool = True, autoplay: bool = False
) -> Transition:
    """The first segment starts at `now_s`, its card shows and (if enabled) its deal starts."""
    if not show.rundown:
        raise ShowCommandError(NO_SEGMENTS)
    state = ShowState(
        show=show,
        started_at_s=now_s,
        clock_s=now_s,
        segment_index=0,
        segment_started_at_s=now_s,
        on_screen_sku=None,
        on_screen_by_operator=False,
        stock_by_sku=MappingProxyType({p.sku: p.stock for p in reversed(show.products)}),
        deals=_scheduled_deals(show),
        auto_start_deals=auto_start_deals,
    )
    changes = _Changes(state)
    changes.events.append(
        ShowStarted(now_s, show.title, len(show.rundown), show.planned_seconds, autoplay)
    )
    changes._begin_segment(now_s)
    return changes.done()


def tick(state: ShowState, now_s: float) -> Transition:
    """Let time pass: deals whose seconds ran out end (at their planned end time)."""
    changes = _Changes(state)
    changes.advance_clock(now_s)
    return changes.done()


def jump_to_segment(state: ShowState, index: int, now_s: float) -> Transition:
    count = len(state.show.rundown)
    if not 0 <= index < count:
        raise ShowCommandError(no_segment(index, count))
    changes = _Changes(state)
    at_s = changes.advance_clock(now_s)
    if index != state.segment_index:
        changes.enter_segment(index, at_s)
    return changes.done()


def next_segment(state: ShowState, now_s: float) -> Transition:
    """Move to the following segment; on the last one nothing changes."""
    if state.segment_index + 1 >= len(state.show.rundown):
        return tick(state, now_s)
    return jump_to_segment(state, state.segment_index + 1, now_s)


def previous_segment(state: ShowState, now_s: float) -> Transition:
    if state.segment_index == 0:
        return tick(state, now_s)
    return jump_to_segment(state, state.segment_index - 1, now_s)


def hold_picture(state: ShowState, on: bool, now_s: float) -> Transition:
    """Studio mode on or off: whether a segment change leaves the card and deals alone."""
    changes = _Changes(state)
    changes.advance_clock(now_s)
    changes.state = replace(changes.state, hold_picture=on)
    return changes.done()


def planned_deal(state: ShowState) -> DealState | None:
    """The current segment's planned deal while it has not started (what a segment change
    starts on its own, and what studio mode's Take starts)."""
    planned = state.deal(_segment_deal_id(state.segment_index))
    if planned is None or planned.status is not DealStatus.SCHEDULED:
        return None
    return planned


def show_product(state: ShowState, sku: str | None, now_s: float) -> Transition:
    """Put a product's card on screen by hand (None hides the card) until the segment changes."""
    if sku is not None and state.show.product(sku) is None:
        raise ShowCommandError(_no_product(sku))
    changes = _Changes(state)
    at_s = changes.advance_clock(now_s)
    changes.show_product(sku, at_s, by_operator=True)
    return changes.done()


def _no_product(sku: str) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("LiveShow", "no product with SKU {sku} in this show"), sku=repr(sku)
    )


def deal_defaults(state: ShowState, sku: str | None = None) -> DealState | None:
    """What "start deal" prefills: the current segment's plan for its product, else None.

    The returned deal is not in the state; read its price, seconds and stock for a form.
    """
    sku = sku or state.on_screen_sku
    segment = state.segment
    plan = segment.deal
    product = state.show.product(sku)
    if product is None:
        return None
    if plan is not None and segment.sku == product.sku:
        return DealState(
            deal_id="",
            sku=product.sku,
            price=plan.price,
            list_price=product.price,
            seconds=plan.seconds,
            stock=plan.stock,
            segment_index=state.segment_index,
        )
    for index, other in enumerate(state.show.rundown):
        if other.sku == product.sku and other.deal is not None:
            return DealState(
                deal_id="",
                sku=product.sku,
                price=other.deal.price,
                list_price=product.price,
                seconds=other.deal.seconds,
                stock=other.deal.stock,
                segment_index=index,
            )
    return None


def start_deal(
    state: ShowState,
    now_s: float,
    *,
    sku: str | None = None,
    price: Decimal | None = None,
    seconds: int | None = None,
    stock: int | None = None,
) -> Transition:
    """Start a flash deal now on `sku` (default: the product on screen).

    Price, seconds and stock not given come from the show's plan for that product
    (`deal_defaults`). When the plan of the current segment is still scheduled, that planned deal
    is the one that starts (so the report attributes it to its segment); otherwise a new deal
    "deal-N" is made. A deal already live on the product is stopped first.
    """
    sku = sku or state.on_screen_sku
    product = state.show.product(sku)
    if product is None:
        if sku is None:
            raise ShowCommandError(NO_PRODUCT_ON_SCREEN)
        raise ShowCommandError(_no_product(sku))
    plan = deal_defaults(state, product.sku)
    price = price if price is not None else (plan.price if plan else None)
    seconds = seconds if seconds is not None else (plan.seconds if plan else None)
    if stock is None and plan is not None and (price == plan.price and seconds == plan.seconds):
        stock = plan.stock
    if price is None or seconds is None:
        raise ShowCommandError(
            Words(
                QT_TRANSLATE_NOOP(
                    "LiveShow", "the show plans no deal for {sku}: give price and seconds"
                ),
                sku=product.sku,
            )
        )
    # The show file's rule for a deal's values (validate.deal_value_problems): a deal started
    # now is held to what a planned one is, whoever starts it.
    problems = deal_value_problems(state.show, product, price=price, seconds=seconds, stock=stock)
    if problems:
        raise ShowCommandError(problems[0])

    changes = _Changes(state)
    at_s = changes.advance_clock(now_s)
    scheduled = changes.state.deal(_segment_deal_id(changes.state.segment_index))
    if (
        scheduled is not None
        and scheduled.status is DealStatus.SCHEDULED
        and scheduled.sku == product.sku
    ):
        deal = replace(scheduled, price=price, seconds=seconds, stock=stock)
    else:
        number = changes.state.hand_deals_started + 1
        changes.state = replace(changes.state, hand_deals_started=number)
        deal = DealState(
            deal_id=f"deal-{number}",
            sku=product.sku,
            price=price,
            list_price=product.price,
            seconds=seconds,
            stock=stock,
            segment_index=None,
        )
    changes.start_deal(deal, at_s)
    return changes.done()


def stop_deal(state: ShowState, now_s: float, *, sku: str | None = None) -> Transition:
    """Stop the live deal on `sku` (default: the product on screen, else the latest live deal)."""
    changes = _Changes(state)
    at_s = changes.advance_clock(now_s)
    current = changes.state
    deal = current.live_deal(sku or current.on_screen_sku)
    if deal is None and sku is None and current.live_deals:
        deal = max(current.live_deals, key=lambda d: d.started_at_s or 0.0)
    if deal is None:
        raise ShowCommandError(no_live_deal(sku))
    changes.end_deal(deal, at_s, DealEndReason.STOPPED)
    return changes.done()


def apply_order(
    state: ShowState,
    sku: str,
    quantity: int,
    now_s: float,
    unit_price: Decimal | None = None,
    currency: str | None = None,
) -> Transition:
    """Take one order line's units from stock.

    The line is a *deal line* only when a deal on its product is live now, the order is in the
    product's currency (`currency`; None: the show's) and `unit_price` is the deal price to the
    cent: only deal lines count towards the deal (`units_sold`, its quota). A line at list price
    during a deal, one with no price (None: the feed did not say), and one in another currency
    (19.00 EUR is not a deal priced 19.00 USD: it is not the deal's price, whatever its number)
    are list-price sales (`is_deal_line`, which the ledger applies too). Every line
    takes the product's stock, which never goes below zero: the units beyond it are reported in
    the outcome (`oversold_units`), not taken.

    Sold out is one state: when the product's stock reaches zero, a live deal on it ends sold
    out; when a deal line takes the deal's quota to zero, the deal ends sold out — in the same
    transition. A deal line beyond the quota's last units still counts whole in the deal (the
    platform sold them at the deal price); `over_deal_quota_units` says how many were over.
    """
    changes = _Changes(state)
    at_s = changes.advance_clock(now_s)
    current = changes.state
    left = current.stock_by_sku.get(sku)
    product = current.show.product(sku)
    if left is None or product is None:
        return changes.done(OrderOutcome(sku, quantity, 0, False, None, unit_price))
    quantity = max(0, quantity)
    deal = current.live_deal(sku)
    price_currency = current.show.currency_of(product)
    if deal is not None and not is_deal_line(
        unit_price, currency or current.show.currency, deal.price, price_currency
    ):
        deal = None  # a list-price sale while the deal runs
    accepted = min(quantity, left)
    deal_units = quantity if deal is not None else 0
    over_quota = 0
    if deal is not None and deal.stock_left is not None:
        over_quota = max(0, deal_units - deal.stock_left)
    outcome = OrderOutcome(
        sku,
        quantity,
        accepted,
        True,
        deal.deal_id if deal is not None else None,
        unit_price if unit_price is not None else product.price,
        deal_units,
        over_quota,
    )
    if accepted == 0 and deal_units == 0:
        return changes.done(outcome)

    stock_left = left - accepted
    if accepted:
        stock = dict(current.stock_by_sku)
        stock[sku] = stock_left
        changes.state = replace(current, stock_by_sku=MappingProxyType(stock))
    if deal is not None:
        deal = replace(deal, units_sold=deal.units_sold + deal_units)
        changes.set_deal(deal)
    changes.events.append(
        StockChanged(
            at_s,
            sku,
            stock_left,
            -accepted,
            deal.deal_id if deal else None,
            deal.stock_left if deal else None,
        )
    )
    # The product running out ends any live deal on it, deal line or not.
    live = changes.state.live_deal(sku)
    if live is not None and (live.stock_left == 0 or stock_left == 0):
        changes.end_deal(live, at_s, DealEndReason.SOLD_OUT)
    if stock_left == 0 and accepted:
        changes.events.append(ProductSoldOut(at_s, sku))
    return changes.done(outcome)


def end_show(state: ShowState, now_s: float) -> Transition:
    """The session ends (End rehearsal, the stream stopped): every live deal stops, the current
    segment ends, and the show is finished. Ending twice changes nothing.

    The segment's end and the show's end are events like any other, so the session store, the
    ledger and the report all close the last segment at the same instant.
    """
    if state.ended_at_s is not None:
        return Transition(state)
    changes = _Changes(state)
    at_s = changes.advance_clock(now_s)
    for deal in changes.state.live_deals:
        changes.end_deal(deal, at_s, DealEndReason.STOPPED)
    current = changes.state
    segment = current.segment
    changes.events.append(
        SegmentEnded(
            at_s,
            current.segment_index,
            segment.title,
            at_s - current.segment_started_at_s,
            segment.seconds,
        )
    )
    if not current.finished:
        changes.events.append(ShowFinished(at_s, at_s - current.started_at_s))
    changes.state = replace(changes.state, finished=True, ended_at_s=at_s)
    return changes.done()


def restock(
    state: ShowState,
    sku: str,
    quantity: int,
    now_s: float,
    *,
    deal_id: str | None = None,
) -> Transition:
    """Put a cancelled or refunded line's units back into the product's stock.

    The caller gives back what the order took (its accepted units), so a cancelled order
    returns what it took; the stock never rises above what the show started with (a second
    return of the same units cannot invent stock). `deal_id` is the deal the line counted in:
    while that deal is still live its quota gets the units back; once it has ended (ran out,
    stopped, sold out) it is history and is neither refilled nor revived. A product that was
    sold out is on sale again at list price.
    """
    changes = _Changes(state)
    at_s = changes.advance_clock(now_s)
    current = changes.state
    left = current.stock_by_sku.get(sku)
    product = current.show.product(sku)
    if left is None or product is None:
        return changes.done(restock=RestockOutcome(sku, quantity, 0, False))
    returned = max(0, min(quantity, product.stock - left))
    deal = current.deal(deal_id) if deal_id is not None else None
    deal_returned = 0
    if deal is not None and deal.is_live and deal.sku == sku:
        deal_returned = max(0, min(quantity, deal.units_sold))
    outcome = RestockOutcome(sku, quantity, returned, True, deal_returned)
    if returned == 0 and deal_returned == 0:
        return changes.done(restock=outcome)
    stock = dict(current.stock_by_sku)
    stock[sku] = left + returned
    changes.state = replace(current, stock_by_sku=MappingProxyType(stock))
    if deal is not None and deal_returned:
        deal = replace(deal, units_sold=deal.units_sold - deal_returned)
        changes.set_deal(deal)
    changes.events.append(
        StockChanged(
            at_s,
            sku,
            left + returned,
            returned,
            deal.deal_id if deal is not None and deal_returned else None,
            deal.stock_left if deal is not None and deal_returned else None,
        )
    )
    return changes.done(restock=outcome)


# -- autoplay ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AutoplayPosition:
    segment_index: int
    segment_elapsed_s: float
    finished: bool  # past the end of the last segment


def autoplay_position(show: Show, start_s: float, now_s: float) -> AutoplayPosition:
    """Where a show that follows its rundown by `seconds` is at `now_s`.

    Segment i runs from the sum of the earlier segments' seconds for its own seconds; after the
    last one the show is finished and stays on the last segment.
    """
    if not show.rundown:
        raise ShowCommandError(NO_SEGMENTS)
    elapsed_s = max(0.0, now_s - start_s)
    segment_start_s = 0.0
    for index, segment in enumerate(show.rundown):
        if elapsed_s < segment_start_s + segment.seconds:
            return AutoplayPosition(index, elapsed_s - segment_start_s, False)
        segment_start_s += segment.seconds
    last = len(show.rundown) - 1
    last_start_s = segment_start_s - show.rundown[last].seconds
    return AutoplayPosition(last, elapsed_s - last_start_s, True)


def autoplay_tick(state: ShowState, now_s: float) -> Transition:
    """Follow the rundown by the clock: every segment boundary passed since the last call is
    crossed at its planned time, so events carry exact times however coarse the ticks are."""
    changes = _Changes(state)
    at_s = max(now_s, state.clock_s)
    rundown = state.show.rundown
    while not changes.state.finished:
        current = changes.state
        boundary_s = (
            current.started_at_s
            + current.show.segment_start_s(current.segment_index)
            + current.segment.seconds
        )
        if boundary_s > at_s:
            break
        changes.advance_clock(boundary_s)
        if current.segment_index + 1 < len(rundown):
            changes.enter_segment(current.segment_index + 1, boundary_s)
        else:
            changes.state = replace(changes.state, finished=True)
            changes.events.append(ShowFinished(boundary_s, boundary_s - current.started_at_s))
    changes.advance_clock(at_s)
    return changes.done()
