"""The parts of a ``LiveSnapshot`` that are made again only where their inputs changed.

A snapshot is taken at every command (each deal started, each product shown) and every poll of
the window and the remote. Made whole each time, its products (one view per product of the
show) and its deals (one per deal of the session) made the start of a deal cost as much as the
show is big: with 500 products each in a deal, starting them took 114 s, and each start more
than the one before. Here each product's view is made again only when its stock, its sales,
its live deal or the show changed, and each deal's view only when the deal, its product's
stock, its units or (while it runs) its clock changed; the other views are the same objects as
in the snapshot before, so the readers after (``ui/snapshots.py``) can tell what changed by
identity. The figures are the same as made whole: a test compares both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from anchordesk.live.snapshot import DealPlanView, DealView, ProductView
from anchordesk.show.ledger import Ledger
from anchordesk.show.model import Show
from anchordesk.show.state import DealState, DealStatus, ShowState


@dataclass(frozen=True)
class LedgerFigures:
    """The ledger's figures copied under the session's lock (the ledger itself is mutable)."""

    units: dict[str, int]
    product_gmv: dict[str, Decimal]
    deal_units: dict[str, int]
    gmv_by_currency: dict[str, Decimal]
    orders: int
    total_units: int

    @classmethod
    def of(cls, ledger: Ledger) -> LedgerFigures:
        return cls(
            units={sku: sales.units for sku, sales in ledger.products.items()},
            product_gmv={sku: sales.gmv for sku, sales in ledger.products.items()},
            deal_units={deal.deal_id: deal.units for deal in ledger.deals},
            gmv_by_currency=dict(ledger.gmv_by_currency),
            orders=ledger.orders,
            total_units=ledger.units,
        )


def ledger_key(ledger: Ledger) -> tuple[int, ...]:
    """What changes whenever a figure of ``LedgerFigures`` may: an order counted, an update
    applied (a cancellation, a refund), a deal started."""
    return (
        ledger.orders,
        ledger.units,
        ledger.cancelled_orders,
        len(ledger.updates),
        len(ledger.deals),
        len(ledger.gmv_changes),
    )


def _plan(show: Show) -> dict[str, DealPlanView]:
    """Each product's first planned deal in the run sheet (what "start deal" prefills)."""
    plans: dict[str, DealPlanView] = {}
    for segment in show.rundown:
        if segment.sku and segment.deal and segment.sku not in plans:
            plans[segment.sku] = DealPlanView(
                segment.deal.price, segment.deal.seconds, segment.deal.stock
            )
    return plans


def live_deal_prices(state: ShowState) -> dict[str, Decimal]:
    """Each product's live deal price (the first live deal of it)."""
    prices: dict[str, Decimal] = {}
    for deal in state.deals:
        if deal.status is DealStatus.LIVE:
            prices.setdefault(deal.sku, deal.price)
    return prices


@dataclass(frozen=True)
class ProductTable:
    """The products of a snapshot as the data board reads them, by SKU: made again when the
    stock moved or the show changed, not at each snapshot (each poll and each command)."""

    stock_left: Mapping[str, int]
    currency_of: Mapping[str, str]
    views: tuple[ProductView, ...]
    first_of: Mapping[str, int]  # a SKU's first place in ``views``

    def product(self, sku: str | None) -> ProductView | None:
        place = self.first_of.get(sku) if sku is not None else None
        return None if place is None else self.views[place]


class SnapshotParts:
    """The views of the last snapshot, and what each was made from."""

    def __init__(self) -> None:
        self._ledger: Ledger | None = None
        self._ledger_key: tuple[int, ...] | None = None
        self._ledger_figures: LedgerFigures | None = None
        self._show: Show | None = None
        self._plans: dict[str, DealPlanView] = {}
        self._positions: dict[str, list[int]] = {}
        self._stock: Mapping[str, int] = {}
        self._figures: LedgerFigures | None = None
        self._deals_of: tuple[DealState, ...] | None = None
        self._live_prices: dict[str, Decimal] = {}
        self._product_views: list[ProductView] = []
        self._products: tuple[ProductView, ...] = ()
        self._table: ProductTable | None = None
        self._table_show: Show | None = None
        self._stock_left: dict[str, int] | None = None
        self._stock_left_of: Mapping[str, int] | None = None
        self._deal_views: dict[str, tuple[DealState, int, int, float | None, DealView]] = {}
        self._deals_key: tuple[object, ...] | None = None
        self._deals: tuple[DealView, ...] = ()

    def ledger_figures(self, ledger: Ledger) -> LedgerFigures:
        """Copied again only when the ledger changed (call it under the session's lock)."""
        key = ledger_key(ledger)
        if self._ledger_figures is None or ledger is not self._ledger or key != self._ledger_key:
            self._ledger_figures = LedgerFigures.of(ledger)
            self._ledger, self._ledger_key = ledger, key
        return self._ledger_figures

    def products(self, state: ShowState, figures: LedgerFigures) -> tuple[ProductView, ...]:
        show = state.show
        if show is not self._show:
            self._show = show
            self._plans = _plan(show)
            self._positions = {}
            for index, product in enumerate(show.products):
                self._positions.setdefault(product.sku, []).append(index)
            self._stock = state.stock_by_sku
            self._figures = figures
            self._deals_of = state.deals
            self._live_prices = live_deal_prices(state)
            self._product_views = [self._product_view(i) for i in range(len(show.products))]
            self._products = tuple(self._product_views)
            return self._products
        changed: set[str] = set()
        if state.stock_by_sku is not self._stock:
            was = self._stock
            changed.update(sku for sku, left in state.stock_by_sku.items() if was.get(sku) != left)
            self._stock = state.stock_by_sku
        if figures is not self._figures:
            was_figures = self._figures
            assert was_figures is not None
            for sku in self._positions:
                if figures.units.get(sku) != was_figures.units.get(sku) or figures.product_gmv.get(
                    sku
                ) != was_figures.product_gmv.get(sku):
                    changed.add(sku)
            self._figures = figures
        if state.deals is not self._deals_of:
            prices = live_deal_prices(state)
            was_prices = self._live_prices
            changed.update(
                sku
                for sku in prices.keys() | was_prices.keys()
                if prices.get(sku) != was_prices.get(sku)
            )
            self._live_prices = prices
            self._deals_of = state.deals
        remade = False
        for sku in changed:
            for index in self._positions.get(sku, ()):
                self._product_views[index] = self._product_view(index)
                remade = True
        if remade:
            self._products = tuple(self._product_views)
        return self._products

    def table(self) -> ProductTable:
        """The last ``products`` by SKU (call it after ``products``)."""
        table = self._table
        if table is not None and table.views is self._products:
            return table
        show_changed = table is None or self._table_show is not self._show
        if self._stock_left is None or show_changed or self._stock_left_of is not self._stock:
            self._stock_left = {p.sku: p.stock_left for p in self._products}
            self._stock_left_of = self._stock
        if table is None or show_changed:
            currency_of: Mapping[str, str] = {p.sku: p.currency for p in self._products}
            first_of: Mapping[str, int] = {sku: at[0] for sku, at in self._positions.items()}
            self._table_show = self._show
        else:
            currency_of, first_of = table.currency_of, table.first_of
        self._table = ProductTable(self._stock_left, currency_of, self._products, first_of)
        return self._table

    def _product_view(self, index: int) -> ProductView:
        show = self._show
        figures = self._figures
        assert show is not None and figures is not None
        p = show.products[index]
        return ProductView(
            sku=p.sku,
            title=p.title,
            price=p.price,
            currency=show.currency_of(p),
            stock_left=max(0, self._stock.get(p.sku) or 0),
            units_sold=figures.units.get(p.sku, 0),
            gmv=figures.product_gmv.get(p.sku, Decimal(0)),
            image_path=show.image_path(p),
            deal=self._plans.get(p.sku),
            live_deal_price=self._live_prices.get(p.sku),
        )

    def deals(self, state: ShowState, figures: LedgerFigures, now_s: float) -> tuple[DealView, ...]:
        """Every deal that has started, in the order of the state. A deal's view is made again
        when the deal, its product's stock or its units changed, and while it is live when the
        clock moved (its seconds left)."""
        show = state.show
        was = self._deals_key
        if (
            was is not None
            and was[0] is show
            and was[1] is state.deals
            and was[2] is state.stock_by_sku
            and was[3] is figures
            and was[4] == now_s
        ):
            return self._deals
        cache = self._deal_views if was is not None and was[0] is show else {}
        views: list[DealView] = []
        kept: dict[str, tuple[DealState, int, int, float | None, DealView]] = {}
        for deal in state.deals:
            if deal.started_at_s is None:
                continue
            stock = max(0, state.stock_left(deal.sku) or 0)
            units = figures.deal_units.get(deal.deal_id, 0)
            clock = now_s if deal.status is DealStatus.LIVE else None
            cached = cache.get(deal.deal_id)
            if (
                cached is not None
                and cached[0] is deal
                and cached[1] == stock
                and cached[2] == units
                and cached[3] == clock
            ):
                view = cached[4]
            else:
                view = _deal_view(show, deal, stock, units, now_s)
            kept[deal.deal_id] = (deal, stock, units, clock, view)
            views.append(view)
        self._deal_views = kept
        self._deals_key = (show, state.deals, state.stock_by_sku, figures, now_s)
        self._deals = tuple(views)
        return self._deals


def _deal_view(show: Show, deal: DealState, stock: int, units_sold: int, now_s: float) -> DealView:
    product = show.product(deal.sku)
    quota_left = deal.stock_left
    units_left = stock if quota_left is None else min(stock, quota_left)
    return DealView(
        deal_id=deal.deal_id,
        sku=deal.sku,
        title=product.title if product else deal.sku,
        state=str(deal.status),
        price=deal.price,
        list_price=deal.list_price,
        currency=show.currency_of(product) if product else show.currency,
        seconds=deal.seconds,
        remaining_s=deal.remaining_s(now_s),
        units_left=0 if deal.status is DealStatus.SOLD_OUT else units_left,
        units_total=(deal.stock if deal.stock is not None else units_left + deal.units_sold),
        units_sold=units_sold,
        end_reason=str(deal.end_reason) if deal.end_reason else None,
    )
