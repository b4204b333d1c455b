"""The sales ledger: orders matched to products by SKU, with units and GMV per product, per
segment and per deal, in exact decimal money.

Pure: it is fed the show's catalogue, the show's events (segment started, deal started/ended,
as the session store kept them with their wall-clock time) and the orders with the time they
were received, and it only adds up. The live show's stock is moved by the show controller
(``apply_order``); this ledger is what the report and the window's sales panel read.

Definitions (what the report shows and what its tests check):
- GMV is the sum of the orders' ``total_price`` as the platform charged it, per currency;
- a product's GMV is the sum of its lines' ``unit_price × quantity``;
- an order belongs to the segment that was running when it was received; an order line belongs
  to the deal the live show sold it in (recorded as an ``order_applied`` event), or, for orders
  the show never saw, to the deal that was live for its SKU at that time (deal windows include
  their end instant, so the order that sold a deal out counts in it);
- a line whose SKU is not in the show is kept under ``unknown_skus``, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from anchordesk.show.feed_items import Order
from anchordesk.show.model import DealPlan, Product, Segment, Show


@dataclass
class ProductSales:
    sku: str
    title: str
    known: bool
    units: int = 0
    orders: int = 0
    gmv: Decimal = field(default_factory=lambda: Decimal(0))


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


@dataclass(frozen=True)
class TimedOrder:
    order: Order
    at: float  # when it was received (wall clock, seconds since the epoch)


class Ledger:
    """Add orders and show events in time order; read the totals at any point."""

    def __init__(self, products: Iterable[Product] = (), currency: str = "") -> None:
        self.currency = currency
        self.products: dict[str, ProductSales] = {
            product.sku: ProductSales(product.sku, product.title, True) for product in products
        }
        self.unknown_skus: dict[str, ProductSales] = {}
        self.segments: list[SegmentSales] = []
        self.deals: list[DealSales] = []
        self._live_deals: dict[str, DealSales] = {}  # sku -> live deal
        self._deals_by_id: dict[str, DealSales] = {}
        self.gmv_by_currency: dict[str, Decimal] = {}
        self.orders = 0
        self.units = 0
        self.timeline: list[TimedOrder] = []

    # -- show events -----------------------------------------------------------------------

    def segment_started(self, index: int, title: str, sku: str | None, at: float) -> None:
        self._close_segment(at)
        self.segments.append(SegmentSales(index, title, sku, at))

    def show_finished(self, at: float) -> None:
        self._close_segment(at)

    def _close_segment(self, at: float) -> None:
        if self.segments and self.segments[-1].ended_at is None:
            self.segments[-1].ended_at = at

    def deal_started(self, deal_id: str, sku: str, price: Decimal, at: float) -> None:
        previous = self._live_deals.get(sku)
        if previous is not None:
            previous.ended_at = at
            previous.end_reason = previous.end_reason or "stopped"
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
        self, order: Order, at: float, deal_by_sku: Mapping[str, str | None] | None = None
    ) -> None:
        """Count ``order`` received at ``at``. ``deal_by_sku`` is what the live show decided
        for each line (the deal it was sold in, or None); without it the deal live for the SKU
        at ``at`` is assumed."""
        self.orders += 1
        self.timeline.append(TimedOrder(order, at))
        currency = order.currency or self.currency
        self.gmv_by_currency[currency] = (
            self.gmv_by_currency.get(currency, Decimal(0)) + order.total_price
        )
        segment = (
            self.segments[-1] if self.segments and self.segments[-1].ended_at is None else None
        )
        if segment is not None:
            segment.orders += 1
            segment.gmv += order.total_price
        deals_counted: set[str] = set()
        for line in order.lines:
            self.units += line.quantity
            product = self.products.get(line.sku)
            if product is None:
                product = self.unknown_skus.setdefault(
                    line.sku, ProductSales(line.sku, line.title, False)
                )
            product.units += line.quantity
            product.orders += 1
            product.gmv += line.amount
            if segment is not None:
                segment.units += line.quantity
            if deal_by_sku is not None and line.sku in deal_by_sku:
                deal_id = deal_by_sku[line.sku]
                deal = self._deals_by_id.get(deal_id) if deal_id else None
            else:
                deal = self._live_deals.get(line.sku)
            if deal is not None:
                deal.units += line.quantity
                deal.gmv += line.amount
                if deal.deal_id not in deals_counted:
                    deal.orders += 1
                    deals_counted.add(deal.deal_id)

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


_END_KINDS = frozenset({"deal_ended", "segment_ended", "show_finished"})


def replay(
    products: Sequence[Product],
    currency: str,
    events: Iterable[tuple[float, str, Mapping[str, Any]]],
    orders: Iterable[TimedOrder],
    applied: Mapping[tuple[str, str], Mapping[str, str | None]] | None = None,
) -> Ledger:
    """Build a ledger from stored events and orders, merged in time order.

    On a tie, starts come before orders and ends after them: an order received the instant a
    deal started counts in the deal, and so does the order that sold it out (the sold-out event
    is recorded right after it). ``applied`` holds, by (source, order id), the deal each line
    was sold in as the live show decided it (``order_applied`` events): exact even when one page
    held the order that sold a deal out and orders after it."""
    ledger = Ledger(products, currency)
    merged: list[tuple[float, int, int, object]] = []
    for position, (at, kind, data) in enumerate(events):
        rank = 2 if kind in _END_KINDS else 0
        merged.append((at, rank, position, (kind, data)))
    for position, timed in enumerate(orders):
        merged.append((timed.at, 1, position, timed))
    merged.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
    for at, rank, _, payload in merged:
        if rank == 1:
            assert isinstance(payload, TimedOrder)
            key = (payload.order.source, payload.order.id)
            ledger.add_order(payload.order, at, applied.get(key) if applied else None)
        else:
            kind, data = payload  # type: ignore[misc]
            ledger.apply_event(kind, data, at)
    return ledger


# -- the show as the session keeps it (so a report needs only the session file) ---------------


def show_snapshot(show: Show) -> dict[str, Any]:
    """The parts of a show the report needs, JSON-ready, money as strings."""
    return {
        "title": show.title,
        "currency": show.currency,
        "language": show.language,
        "products": [
            {
                "sku": product.sku,
                "title": product.title,
                "price": str(product.price),
                "stock": product.stock,
                "currency": product.currency,
            }
            for product in show.products
        ],
        "rundown": [
            {
                "title": segment.title,
                "sku": segment.sku,
                "seconds": segment.seconds,
                "deal": None
                if segment.deal is None
                else {
                    "price": str(segment.deal.price),
                    "seconds": segment.deal.seconds,
                    "stock": segment.deal.stock,
                },
            }
            for segment in show.rundown
        ],
    }


def show_from_snapshot(data: Mapping[str, Any]) -> Show:
    return Show(
        title=str(data.get("title", "")),
        currency=str(data.get("currency", "")),
        language=str(data.get("language", "en")),
        products=tuple(
            Product(
                sku=str(p["sku"]),
                title=str(p.get("title", "")),
                price=Decimal(str(p.get("price", "0"))),
                stock=int(p.get("stock", 0)),
                currency=p.get("currency"),
            )
            for p in data.get("products", [])
        ),
        rundown=tuple(
            Segment(
                title=str(s.get("title", "")),
                seconds=int(s.get("seconds", 0)),
                sku=s.get("sku"),
                deal=None
                if not s.get("deal")
                else DealPlan(
                    price=Decimal(str(s["deal"]["price"])),
                    seconds=int(s["deal"]["seconds"]),
                    stock=s["deal"].get("stock"),
                ),
            )
            for s in data.get("rundown", [])
        ),
    )
