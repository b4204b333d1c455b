"""The sales ledger: orders matched to products by SKU, with units and GMV per product, per
segment and per deal, in exact decimal money; cancellations and refunds taken back out, once.

Pure: it is fed the show's catalogue, the show's events (segment started, deal started/ended,
as the session store kept them with their wall-clock time), the orders and the order updates
with the time they were received, and it only adds up. The live show's stock is moved by the
show controller (``apply_order``/``restock``); this ledger is what the board, the report and
the window's sales panel read, and it says what a cancellation gives back to the stock.

Definitions (what the report shows and what its tests check):
- GMV is the sum of the orders' ``total_price`` as the platform charged it, per currency (an
  order in another currency is counted apart, never added into the show's), less what
  cancellations and refunds gave back in that currency;
- a product's GMV is the sum of its lines' ``unit_price × quantity``; ``units`` what the
  platform sold; ``oversold`` the units sold beyond the product's stock;
- an order belongs to the segment that was running when it was received; an order line belongs
  to the deal the live show sold it in (recorded as an ``order_applied`` event), or, for orders
  the show never saw, by the same deal-line rule as the show: the deal live for its SKU at that
  time (deal windows include their end instant, so the order that sold a deal out counts in
  it) *and* a unit price equal to the deal price to the currency's smallest unit;
- a line whose SKU is not in the show is kept under ``unknown_skus``, never dropped;
- an order that breaks the amount rule (``show/feed_rules.py``: an absurd, negative or
  too-precise amount, a quantity out of range) is never summed: it is listed in
  ``rejected_orders`` with its problem (the store already keeps such orders apart; a session
  file written before the rule may still hold them).

Order updates (see ``apply_update``):
- the key of an update is (source, ``OrderUpdate.id``): order, status and refund id (or
  amount); the same update sent again changes nothing;
- a cancellation takes back what is left of the order (money, and every line's units); a
  refund takes back its amount, never more than is left of the order; a refund with no amount
  is the whole order; a refund that names lines gives their units back too, one without lines
  is money only (product and deal units and line GMV stay, the order-level GMV falls);
- a deal line given back leaves the deal's units and GMV too;
- an update for an order not seen yet is kept and applied when the order arrives (feeds do
  not promise the order first); those still waiting at the end are ``orphan_updates``;
- an update in another currency than its order's is rejected (``rejected_updates``): a
  refund in CNY is never taken out of a USD order; so is one against the amount rule.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from anchordesk.show.feed_items import Order, OrderUpdate
from anchordesk.show.feed_rules import (
    UPDATE_ORDER_NOT_COUNTED,
    Problem,
    allowed_digits,
    order_problem,
    update_counted_problem,
)
from anchordesk.show.model import Product
from anchordesk.show.snapshot import show_from_snapshot as show_from_snapshot
from anchordesk.show.snapshot import show_snapshot as show_snapshot
from anchordesk.show.state import is_deal_line

log = logging.getLogger(__name__)


@dataclass
class ProductSales:
    sku: str
    title: str
    known: bool
    units: int = 0
    orders: int = 0
    gmv: Decimal = field(default_factory=lambda: Decimal(0))
    # Money of orders in another currency than this one's: counted apart, never added in.
    other_gmv: dict[str, Decimal] = field(default_factory=dict)
    deal_units: int = 0  # of `units`, those sold in a deal
    oversold: int = 0  # units sold beyond the product's stock
    returned: int = 0  # units given back by cancellations and refunds (already out of `units`)


@dataclass
class SegmentSales:
    index: int
    title: str
    sku: str | None
    started_at: float
    ended_at: float | None = None
    orders: int = 0
    units: int = 0
    gmv: Decimal = field(default_factory=lambda: Decimal(0))
    # Money of orders in another currency than this one's: counted apart, never added in.
    other_gmv: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class DealSales:
    deal_id: str
    sku: str
    price: Decimal
    started_at: float
    ended_at: float | None = None
    end_reason: str = ""
    orders: int = 0
    units: int = 0
    gmv: Decimal = field(default_factory=lambda: Decimal(0))
    # Money of orders in another currency than this one's: counted apart, never added in.
    other_gmv: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class TimedOrder:
    order: Order
    at: float  # when it was received (wall clock, seconds since the epoch)


@dataclass(frozen=True)
class TimedUpdate:
    update: OrderUpdate
    at: float  # when it was received


@dataclass(frozen=True)
class NotCounted:
    """An order or update the ledger does not count, and why (``reason`` is one of
    ``show.feed_rules.REASONS``; ``at`` when it was received, if the ledger knows)."""

    kind: Literal["order", "order_update"]
    source: str
    item_id: str
    reason: str
    detail: str
    at: float | None


class KeptOrder(Protocol):
    """An order as the ledger counts it now: ``left`` is its total less what was given back,
    ``segment`` the segment it arrived in."""

    @property
    def order(self) -> Order: ...

    @property
    def currency(self) -> str: ...

    @property
    def segment(self) -> SegmentSales | None: ...

    @property
    def left(self) -> Decimal: ...


@dataclass(frozen=True)
class Restock:
    """Units a cancellation or refund gives back to the show's stock (what the order took)."""

    sku: str
    units: int
    deal_id: str | None  # the deal the line was sold in (its quota is refilled while live)


UpdateStatus = Literal["applied", "duplicate", "pending", "rejected"]


@dataclass(frozen=True)
class UpdateOutcome:
    """What an order update did; the caller restocks ``restocks`` and logs ``reason``."""

    update: OrderUpdate
    status: UpdateStatus
    currency: str = ""
    amount_back: Decimal = Decimal(0)  # taken out of GMV in `currency`
    units_back: Mapping[str, int] = field(default_factory=dict)  # by SKU, out of units sold
    restocks: tuple[Restock, ...] = ()
    reason: str = ""  # for "rejected": why, in one line
    problem: Problem | None = None  # for "rejected": its reason code, for the report's list


@dataclass
class _CountedLine:
    sku: str
    quantity: int
    unit_price: Decimal
    product: ProductSales
    deal: DealSales | None
    accepted: int  # units the line took from stock
    returned: int = 0  # units given back so far
    restocked: int = 0  # of the accepted units, those given back to stock so far


@dataclass
class _CountedOrder:
    order: Order
    currency: str
    segment: SegmentSales | None
    lines: list[_CountedLine]
    taken_back: Decimal = field(default_factory=lambda: Decimal(0))

    @property
    def left(self) -> Decimal:
        return max(Decimal(0), self.order.total_price - self.taken_back)


def _add_gmv(
    sales: ProductSales | SegmentSales | DealSales, own: str, currency: str, amount: Decimal
) -> None:
    """``amount`` in ``currency`` into ``sales``, whose own currency is ``own``: an order in
    euros to a show in dollars once added its euros into the segment's and product's dollars."""
    if currency == own:
        sales.gmv += amount
    else:
        sales.other_gmv[currency] = sales.other_gmv.get(currency, Decimal(0)) + amount


class Ledger:
    """Add orders, updates and show events in time order; read the totals at any point."""

    def __init__(self, products: Iterable[Product] = (), currency: str = "") -> None:
        self.currency = currency
        catalogue = list(products)
        self.products: dict[str, ProductSales] = {
            product.sku: ProductSales(product.sku, product.title, True) for product in catalogue
        }
        self._currency_by_sku = {p.sku: p.currency or currency for p in catalogue}
        self._starting_stock = {p.sku: p.stock for p in catalogue}
        self._stock_left = dict(self._starting_stock)
        self.unknown_skus: dict[str, ProductSales] = {}
        self.segments: list[SegmentSales] = []
        # Positions in ``segments`` of a run's last segment, closed by its show's finish: a
        # session continued with --session starts another run after it.
        self._run_ends: set[int] = set()
        self.deals: list[DealSales] = []
        self._live_deals: dict[str, DealSales] = {}  # sku -> live deal
        self._deals_by_id: dict[str, DealSales] = {}
        self.deal_changes = 0  # deals started and ended so far: what a reader keys on
        self.gmv_by_currency: dict[str, Decimal] = {}
        self.refunded_by_currency: dict[str, Decimal] = {}  # given back, already out of GMV
        self.orders = 0
        self.units = 0
        self.cancelled_orders = 0
        self.timeline: list[TimedOrder] = []
        # Every change of GMV as it happened: (at, currency, + order total | - amount back).
        self.gmv_changes: list[tuple[float, str, Decimal]] = []
        self._order_times: list[float] = []  # sorted, for orders_per_minute
        self._counted: dict[tuple[str, str], _CountedOrder] = {}
        self._update_keys: set[tuple[str, str]] = set()
        self._pending: dict[tuple[str, str], list[TimedUpdate]] = {}
        self._pending_count = 0  # updates in ``_pending`` (``not_counted_count`` reads it often)
        self.updates: list[UpdateOutcome] = []  # every update applied, in order
        self.rejected_updates: list[UpdateOutcome] = []
        self.rejected_orders: list[tuple[Order, Problem]] = []  # against the amount rule

    # -- show events -----------------------------------------------------------------------

    def segment_started(self, index: int, title: str, sku: str | None, at: float) -> None:
        # The first segment of a run: the session's, or the one after a run that finished.
        first = not self.segments or len(self.segments) - 1 in self._run_ends
        self._close_segment(at)
        segment = SegmentSales(index, title, sku, at)
        self.segments.append(segment)
        if first:
            self._adopt_early_orders(segment)

    def _adopt_early_orders(self, first: SegmentSales) -> None:
        """Orders counted before a run's first segment started belong to it.

        So do those kept between two runs of a session (the show stopped, then continued with
        --session): the orders placed in the break come with the next run's first poll, a
        moment before its first frame. They were in no segment in the report's replay, and in
        the finished run's last segment on the live board (``_segment_at``).

        The feeds start with the session, and the show's start events are kept at the
        picture's first frame, a moment later: an order in the very first poll was kept a
        millisecond before the first segment (seen once in three runs), counted in GMV and
        stock, and in no segment row. Live and in the report's replay alike (both run this
        ledger), it now counts in the first segment, with what is left of it after any update
        that came meanwhile."""
        for counted in self._counted.values():
            if counted.segment is not None:
                continue
            counted.segment = first
            first.orders += 1
            total = self._in_digits(counted.order.total_price, counted.currency)
            _add_gmv(first, self.currency, counted.currency, total - counted.taken_back)
            first.units += sum(line.quantity - line.returned for line in counted.lines)

    def show_finished(self, at: float) -> None:
        self._close_segment(at)
        if self.segments:
            self._run_ends.add(len(self.segments) - 1)

    def _segment_at(self, at: float) -> SegmentSales | None:
        """The segment running at ``at``: the latest one started by then, unless the show had
        already finished. By time, not "the current one": an order kept a moment before a
        segment change but added after it (the live show's ledger) lands where the report's
        replay of the file puts it."""
        for position in range(len(self.segments) - 1, -1, -1):
            segment = self.segments[position]
            if segment.started_at <= at:
                if segment.ended_at is not None and at > segment.ended_at:
                    if position == len(self.segments) - 1:
                        return None
                    # After its run finished: the next run's first segment, as
                    # ``_adopt_early_orders`` gives it when the order is counted first.
                    return self.segments[position + 1] if position in self._run_ends else segment
                return segment
        # Kept before the first segment started: it belongs to the first segment, as
        # ``_adopt_early_orders`` gives it when the order is counted first. Counted after
        # (the order's own command started the show, whose start events are stamped a moment
        # after the order's time), it was in no segment on the live board while the report's
        # replay put it in the first: "Mug 0 orders" live, "Mug 5 orders" in the report.
        return self.segments[0] if self.segments else None

    def ends_a_run(self, position: int) -> bool:
        """Whether ``segments[position]`` was the last of a run that finished (a session
        continued with --session starts another run after it)."""
        return position in self._run_ends

    def _close_segment(self, at: float) -> None:
        if self.segments and self.segments[-1].ended_at is None:
            self.segments[-1].ended_at = at

    def deal_started(self, deal_id: str, sku: str, price: Decimal, at: float) -> None:
        previous = self._live_deals.get(sku)
        if previous is not None:
            previous.ended_at = at
            previous.end_reason = previous.end_reason or "stopped"
        self.deal_changes += 1
        deal = DealSales(deal_id, sku, price, at)
        self.deals.append(deal)
        self._deals_by_id[deal_id] = deal
        self._live_deals[sku] = deal

    def deal_ended(self, deal_id: str, reason: str, at: float) -> None:
        for sku, deal in list(self._live_deals.items()):
            if deal.deal_id == deal_id:
                deal.ended_at = at
                deal.end_reason = reason
                del self._live_deals[sku]
                self.deal_changes += 1

    def live_deals(self) -> list[DealSales]:
        """The deals started and not ended (by the events so far), oldest first."""
        return sorted(self._live_deals.values(), key=lambda deal: deal.started_at)

    def apply_event(self, kind: str, data: Mapping[str, Any], at: float) -> None:
        """A show event as the store keeps it (``event_record`` data plus the wall time)."""
        if kind == "segment_started":
            sku = data.get("sku")
            self.segment_started(
                int(data["index"]), str(data.get("title", "")), str(sku) if sku else None, at
            )
        elif kind == "deal_started":
            self.deal_started(
                str(data["deal_id"]), str(data["sku"]), Decimal(str(data["price"])), at
            )
        elif kind == "deal_ended":
            self.deal_ended(str(data["deal_id"]), str(data.get("reason", "ended")), at)
        elif kind == "show_finished":
            self.show_finished(at)

    # -- orders ----------------------------------------------------------------------------

    def add_order(
        self,
        order: Order,
        at: float,
        deal_by_line: Mapping[int, str | None] | None = None,
        accepted_by_sku: Mapping[str, int] | None = None,
    ) -> tuple[UpdateOutcome, ...]:
        """Count ``order`` received at ``at``, once (the same order again changes nothing).

        ``deal_by_line`` is what the live show decided for each line, by its index in
        ``order.lines`` (the deal it was sold in, or None), and ``accepted_by_sku`` the units it
        took from stock; without them (or for a line it does not name) the deal-line rule and
        the ledger's own count of the stock decide the same way. By line, not by SKU: an order
        of two lines of one SKU, one at the deal's price and one at the full price, sold one in
        the deal and one out of it (by SKU the last line's decision went to both).

        Returns the outcomes of updates that were waiting for this order (a cancellation that
        arrived first): the caller restocks them as it would any update.
        """
        key = (order.source, order.id)
        if key in self._counted:
            return ()
        problem = order_problem(order, self.currency)
        if problem is not None:
            log.warning("order %s: %s: not counted", order.id, problem)
            self.rejected_orders.append((order, problem))
            return ()
        self.orders += 1
        self.timeline.append(TimedOrder(order, at))
        bisect.insort(self._order_times, at)
        currency = order.currency or self.currency
        total = self._in_digits(order.total_price, currency)
        self.gmv_by_currency[currency] = self.gmv_by_currency.get(currency, Decimal(0)) + total
        self.gmv_changes.append((at, currency, total))
        segment = self._segment_at(at)
        if segment is not None:
            segment.orders += 1
            _add_gmv(segment, self.currency, currency, total)
        counted = _CountedOrder(order, currency, segment, [])
        accepted_left = dict(accepted_by_sku) if accepted_by_sku is not None else None
        deals_counted: set[str] = set()
        products_counted: set[str] = set()  # an order of two lines of a SKU is one order of it
        for index, line in enumerate(order.lines):
            quantity = max(0, line.quantity)
            self.units += quantity
            product = self.products.get(line.sku)
            if product is None:
                product = self.unknown_skus.setdefault(
                    line.sku, ProductSales(line.sku, line.title, False)
                )
            product.units += quantity
            if line.sku not in products_counted:
                product.orders += 1
                products_counted.add(line.sku)
            amount = self._in_digits(line.amount, currency)
            _add_gmv(product, self.currency_of_sku(line.sku), currency, amount)
            if segment is not None:
                segment.units += quantity
            if deal_by_line is not None and index in deal_by_line:
                deal_id = deal_by_line[index]
                deal = self._deals_by_id.get(deal_id) if deal_id else None
            else:
                deal = self._deal_line(line.sku, line.unit_price, currency)
            if deal is not None:
                deal.units += quantity
                _add_gmv(deal, self.currency_of_sku(line.sku), currency, amount)
                product.deal_units += quantity
                if deal.deal_id not in deals_counted:
                    deal.orders += 1
                    deals_counted.add(deal.deal_id)
            accepted = self._take_stock(line.sku, quantity, accepted_left)
            product.oversold += quantity - accepted if product.known else 0
            counted.lines.append(
                _CountedLine(line.sku, quantity, line.unit_price, product, deal, accepted)
            )
        self._counted[key] = counted
        waiting = self._pending.pop(key, [])
        self._pending_count -= len(waiting)
        return tuple(self._apply(timed.update, counted, at) for timed in waiting)

    def _deal_line(self, sku: str, unit_price: Decimal, currency: str) -> DealSales | None:
        deal = self._live_deals.get(sku)
        if deal is None:
            return None
        return (
            deal
            if is_deal_line(unit_price, currency, deal.price, self.currency_of_sku(sku))
            else None
        )

    def _in_digits(self, amount: Decimal, currency: str) -> Decimal:
        """``amount`` written with its currency's digits (it holds no finer ones: the amount
        rule refused those). A total of ``0E-999999999`` made every sum after it carry 28
        digits ("1131.500000000000000" on the remote and in ``report --json``)."""
        unit = Decimal(1).scaleb(-allowed_digits(currency, self.currency))
        try:
            exact = amount.quantize(unit)
        except InvalidOperation:  # too many digits to write so: a value the rule refuses
            return amount
        return exact if exact == amount else amount

    def currency_of_sku(self, sku: str) -> str:
        """The currency ``sku`` is priced in: its own, or the show's (an unknown SKU's too)."""
        return self._currency_by_sku.get(sku) or self.currency

    def _take_stock(self, sku: str, quantity: int, accepted_left: dict[str, int] | None) -> int:
        """Units a line took from stock: as the live show said, else by the ledger's count."""
        left = self._stock_left.get(sku)
        if left is None:
            return 0  # not in the show: it has no stock to take from
        if accepted_left is not None and sku in accepted_left:
            accepted = max(0, min(quantity, accepted_left[sku]))
            accepted_left[sku] -= accepted
        else:
            accepted = min(quantity, left)
        self._stock_left[sku] = max(0, left - accepted)
        return accepted

    # -- order updates ---------------------------------------------------------------------

    def apply_update(self, update: OrderUpdate, at: float) -> UpdateOutcome:
        """Take a cancellation or refund back out of the figures, once (see the module doc)."""
        update_key = (update.source, update.id)
        if update_key in self._update_keys:
            return UpdateOutcome(update, "duplicate")
        self._update_keys.add(update_key)
        counted = self._counted.get((update.source, update.order_id))
        if counted is None:
            self._pending_count += 1
            self._pending.setdefault((update.source, update.order_id), []).append(
                TimedUpdate(update, at)
            )
            return UpdateOutcome(update, "pending")
        return self._apply(update, counted, at)

    def _apply(self, update: OrderUpdate, counted: _CountedOrder, at: float) -> UpdateOutcome:
        problem = update_counted_problem(update, counted.currency)
        if problem is not None:
            return self._reject(update, problem)
        whole = update.whole_order
        amount = (
            counted.left if whole or update.refund is None else min(update.refund, counted.left)
        )
        if update.status == "cancelled" and counted.left > 0:
            self.cancelled_orders += 1
        currency = counted.currency
        amount = self._in_digits(amount, currency)
        self.gmv_by_currency[currency] = self.gmv_by_currency.get(currency, Decimal(0)) - amount
        self.refunded_by_currency[currency] = (
            self.refunded_by_currency.get(currency, Decimal(0)) + amount
        )
        counted.taken_back += amount
        if amount:
            self.gmv_changes.append((at, currency, -amount))
        if counted.segment is not None:
            _add_gmv(counted.segment, self.currency, currency, -amount)
        units_back: dict[str, int] = {}
        restocks: list[Restock] = []
        returning = self._units_returning(update, counted, whole)
        for line, units in returning:
            if units <= 0:
                continue
            line.returned += units
            self.units -= units
            line.product.units -= units
            line.product.returned += units
            _add_gmv(
                line.product,
                self.currency_of_sku(line.sku),
                currency,
                -self._in_digits(line.unit_price * units, currency),
            )
            if line.deal is not None:
                line.deal.units -= units
                _add_gmv(
                    line.deal,
                    self.currency_of_sku(line.sku),
                    currency,
                    -self._in_digits(line.unit_price * units, currency),
                )
                line.product.deal_units -= units
            if counted.segment is not None:
                counted.segment.units -= units
            units_back[line.sku] = units_back.get(line.sku, 0) + units
            # Stock gets back what the line took, never the oversold part it never took.
            to_stock = min(units, line.accepted - line.restocked)
            if to_stock > 0 and line.product.known:
                line.restocked += to_stock
                start = self._starting_stock.get(line.sku, 0)
                self._stock_left[line.sku] = min(start, self._stock_left[line.sku] + to_stock)
                # A deal of an earlier run of the session (continued with --session) may share
                # its id with one running now ("segment-0", "deal-1"): it is history, and the
                # units go back to the product only, not into the new deal's quota.
                deal = line.deal
                current = deal is not None and self._deals_by_id.get(deal.deal_id) is deal
                restocks.append(
                    Restock(line.sku, to_stock, deal.deal_id if deal and current else None)
                )
        outcome = UpdateOutcome(update, "applied", currency, amount, units_back, tuple(restocks))
        self.updates.append(outcome)
        return outcome

    @staticmethod
    def _units_returning(
        update: OrderUpdate, counted: _CountedOrder, whole: bool
    ) -> list[tuple[_CountedLine, int]]:
        """(line, units) an update gives back: every line's rest for a whole order, the named
        lines' units (never more than they have left) for a refund that names them."""
        if whole:
            return [(line, line.quantity - line.returned) for line in counted.lines]
        wanted: dict[str, int] = {}
        for refund_line in update.lines:
            wanted[refund_line.sku] = wanted.get(refund_line.sku, 0) + max(0, refund_line.quantity)
        result = []
        for line in counted.lines:
            units = min(wanted.get(line.sku, 0), line.quantity - line.returned)
            if units > 0:
                wanted[line.sku] -= units
                result.append((line, units))
        return result

    def _reject(self, update: OrderUpdate, problem: Problem) -> UpdateOutcome:
        """``update`` refused and listed; its key freed: a refused copy counts nothing, so a
        copy under its id corrected since (the store keeps the refused one as rejected: an
        update whose order came after it) is the one counted. Held, the corrected refund was
        a "duplicate" live while the report counted it."""
        self._update_keys.discard((update.source, update.id))
        outcome = UpdateOutcome(update, "rejected", reason=str(problem), problem=problem)
        self.rejected_updates.append(outcome)
        return outcome

    # -- results ---------------------------------------------------------------------------

    @property
    def units_by_sku(self) -> dict[str, int]:
        result = {sku: sales.units for sku, sales in self.products.items()}
        result.update({sku: sales.units for sku, sales in self.unknown_skus.items()})
        return result

    @property
    def gmv(self) -> Decimal:
        """GMV in the show's currency (orders in other currencies are in ``gmv_by_currency``)."""
        return self.gmv_by_currency.get(self.currency, Decimal(0))

    def stock_left(self, sku: str) -> int | None:
        """Units of a product left by the ledger's count (None: not in the show)."""
        return self._stock_left.get(sku)

    @property
    def orphan_updates(self) -> list[TimedUpdate]:
        """Updates whose order never arrived (kept, applied if it still does)."""
        return [timed for waiting in self._pending.values() for timed in waiting]

    def not_counted(self) -> list[NotCounted]:
        """What the ledger was given but does not count, each with its reason (the report lists
        them beside the items the store kept as rejected): orders against the amount rule,
        updates it refused, updates whose order is not counted (yet). One rule for the report's
        list and the live count (``not_counted_count``), so the window, the remote and the
        report give the same number."""
        result = [
            NotCounted("order", order.source, order.id, problem.reason, problem.detail, None)
            for order, problem in self.rejected_orders
        ]
        result += [
            NotCounted(
                "order_update",
                outcome.update.source,
                outcome.update.shown_id,
                outcome.problem.reason,
                outcome.problem.detail,
                None,
            )
            for outcome in self.rejected_updates
            if outcome.problem is not None
        ]
        result += [
            NotCounted(
                "order_update",
                timed.update.source,
                timed.update.shown_id,
                UPDATE_ORDER_NOT_COUNTED,
                f"{timed.update.status}; order {timed.update.order_id} is not counted in the "
                "session",
                timed.at,
            )
            for timed in self.orphan_updates
        ]
        return result

    def not_counted_count(self) -> int:
        """``len(self.not_counted())`` without building the list: the live count is read at
        every refresh of the window and the remote, and a hostile feed's refused items can be
        100,000 (``_reject`` is the only way into ``rejected_updates``, always with a problem;
        a test holds the two equal)."""
        return len(self.rejected_orders) + len(self.rejected_updates) + self._pending_count

    def kept_orders(self) -> list[KeptOrder]:
        """Every order counted, in the order received, with what cancellations and refunds
        left of it: the board's buyers, average order value and GMV per segment and currency."""
        return list(self._counted.values())

    def orders_per_minute(self, now: float, window_s: float = 60.0) -> float:
        """Orders received in the ``window_s`` up to ``now``, as a rate per minute (the board's
        figure: with the default window, the orders of the last minute)."""
        if window_s <= 0:
            raise ValueError("window_s must be above zero")
        first = bisect.bisect_right(self._order_times, now - window_s)
        last = bisect.bisect_right(self._order_times, now)
        return (last - first) * 60.0 / window_s


# Ties in `replay`: starts, then orders, then updates, then ends.
_END_KINDS = frozenset({"deal_ended", "segment_ended", "show_finished"})
_RANK_START, _RANK_ORDER, _RANK_UPDATE, _RANK_END = 0, 1, 2, 3


def replay(
    products: Sequence[Product],
    currency: str,
    events: Iterable[tuple[float, str, Mapping[str, Any]]],
    orders: Iterable[TimedOrder],
    applied: Mapping[tuple[str, str], Mapping[int, str | None]] | None = None,
    updates: Iterable[TimedUpdate] = (),
    accepted: Mapping[tuple[str, str], Mapping[str, int]] | None = None,
) -> Ledger:
    """Build a ledger from stored events, orders and order updates, merged in time order.

    On a tie, starts come before orders and ends after them: an order received the instant a
    deal started counts in the deal, and so does the order that sold it out (the sold-out event
    is recorded right after it); an update received with its order comes after it. ``applied``
    holds, by (source, order id), the deal each line was sold in as the live show decided it,
    by the line's index (``order_applied`` events), and ``accepted`` the units it took from
    stock: exact even when one page held the order that sold a deal out and orders after it."""
    ledger = Ledger(products, currency)
    merged: list[tuple[float, int, int, object]] = []
    for position, (at, kind, data) in enumerate(events):
        rank = _RANK_END if kind in _END_KINDS else _RANK_START
        merged.append((at, rank, position, (kind, data)))
    for position, timed in enumerate(orders):
        merged.append((timed.at, _RANK_ORDER, position, timed))
    for position, timed_update in enumerate(updates):
        merged.append((timed_update.at, _RANK_UPDATE, position, timed_update))
    merged.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
    for at, rank, _, payload in merged:
        if rank == _RANK_ORDER:
            assert isinstance(payload, TimedOrder)
            key = (payload.order.source, payload.order.id)
            ledger.add_order(
                payload.order,
                at,
                applied.get(key) if applied else None,
                accepted.get(key) if accepted else None,
            )
        elif rank == _RANK_UPDATE:
            assert isinstance(payload, TimedUpdate)
            ledger.apply_update(payload.update, at)
        else:
            kind, data = payload  # type: ignore[misc]
            try:
                ledger.apply_event(kind, data, at)
            except (KeyError, TypeError, ValueError, ArithmeticError) as error:
                # A damaged event in a session file: the others still add up.
                log.warning("show event %s cannot be read (%r): skipped", kind, error)
    return ledger
