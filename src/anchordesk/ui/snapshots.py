"""The LiveShow's snapshot in the window's vocabulary (``ui/state.py``), field by field.

No figure is computed here: every number comes from ``live.LiveSnapshot`` as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import compress
from operator import is_not
from typing import Generic, TypeVar

from anchordesk.core.printable import bidi_isolated, escape_controls
from anchordesk.live.snapshot import (
    DealPlanView,
    DealView,
    LiveSnapshot,
    ProductView,
    SegmentView,
)
from anchordesk.show.model import Product
from anchordesk.ui.state import (
    CommentRow,
    DealPlan,
    DealRow,
    ProductRow,
    SalesState,
    SegmentRow,
    ShowState,
)

V = TypeVar("V")
R = TypeVar("R")


def _plan(view: DealPlanView | None) -> DealPlan | None:
    return None if view is None else DealPlan(view.price, view.seconds, view.stock or 0)


def segment_row(s: SegmentView) -> SegmentRow:
    return SegmentRow(
        index=s.index,
        title=bidi_isolated(s.title),
        planned_s=s.planned_s,
        elapsed_s=s.elapsed_s,
        sku=s.sku,
        script=s.script,
        deal=_plan(s.deal),
        is_current=s.is_current,
        is_done=s.is_done,
    )


def product_row(p: ProductView) -> ProductRow:
    return ProductRow(
        sku=p.sku,
        title=bidi_isolated(p.title),
        price=p.price,
        stock_left=p.stock_left,
        units_sold=p.units_sold,
        image_path=p.image_path,
        deal=_plan(p.deal),
        currency=p.currency,
    )


def deal_row(d: DealView) -> DealRow:
    return DealRow(
        sku=d.sku,
        state=d.state,
        price=d.price,
        seconds_left=d.remaining_s,
        seconds_total=float(d.seconds),
        stock_left=d.units_left,
        stock_total=d.units_total,
        title=bidi_isolated(d.title),
        units_sold=d.units_sold,
        currency=d.currency,
        deal_id=d.deal_id,
    )


class _Rows(Generic[V, R]):
    """The rows of the last snapshot by the view each was made from: a view that is the same
    object as before (``live/snapshot_parts.py`` keeps the ones whose figures did not change)
    keeps its row, so a refresh makes rows only for what changed. The views are compared at
    their places (in C: ``map(is_not, ...)``), a show at the limits has 10,000 products and
    20,000 segments."""

    def __init__(self, make: Callable[[V], R]) -> None:
        self._make = make
        self._views: tuple[V, ...] = ()
        self._rows: tuple[R, ...] = ()

    def of(self, views: tuple[V, ...]) -> tuple[R, ...]:
        was_views, was_rows = self._views, self._rows
        if views is was_views:
            return was_rows
        same = min(len(views), len(was_views))
        rows = list(was_rows[:same])
        moved = compress(range(same), map(is_not, views[:same], was_views[:same]))
        shifted = len(views) != len(was_views)
        by_view: dict[int, tuple[V, R]] | None = None
        for place in moved:
            view = views[place]
            kept = None
            if shifted:
                # A view may have moved (a deal that started between two others): its row is
                # found by the view, not made again.
                if by_view is None:
                    by_view = {id(v): (v, r) for v, r in zip(was_views, was_rows, strict=True)}
                found = by_view.get(id(view))
                kept = found[1] if found is not None and found[0] is view else None
            rows[place] = kept if kept is not None else self._make(view)
        rows.extend(self._make(view) for view in views[same:])
        self._views, self._rows = views, tuple(rows)
        return self._rows


class SnapshotReader:
    """The window's state and sales from each snapshot, in turn (the controller keeps one).
    Rows are made only for the views that changed since the snapshot before: made whole at
    each refresh (every command and every poll) they made a deal's start cost as much as the
    show is big. The figures are the snapshot's, as they are; ``show_state_of`` reads one
    snapshot alone and gives the same state."""

    def __init__(self) -> None:
        self._segments = _Rows(segment_row)
        self._products = _Rows(product_row)
        self._deals = _Rows(deal_row)
        self._sales_of: tuple[ProductView, ...] | None = None
        self._units_by_product: tuple[tuple[str, int], ...] = ()

    def show_state(self, snapshot: LiveSnapshot) -> ShowState:
        """The window's rows. A show's titles are bidi-isolated (core.printable.bidi_isolated):
        a right-to-left override its author left open (valid in a show) turned the window's
        own text after it around, in the products panel ('$24.00 · sold out' read
        '00.42$ …') and in the status bar's segment clock ('0:08 / 1:00' read '00:1 /
        80:0')."""
        deals = self._deals.of(snapshot.deals)
        on_screen = snapshot.deal_for(snapshot.on_screen_sku)
        row_of_deal = None
        if on_screen is not None:
            row_of_deal = next((row for row in deals if row.deal_id == on_screen.deal_id), None)
        pinned = None
        if snapshot.pinned is not None:
            pinned = CommentRow(
                key=snapshot.pinned.key or "pinned",
                author=snapshot.pinned.author,
                text=snapshot.pinned.text,
                at_s=0.0,
            )
        return ShowState(
            title=bidi_isolated(snapshot.title),
            currency=snapshot.currency,
            language=snapshot.language,
            segments=self._segments.of(snapshot.segments),
            current_index=snapshot.current_index,
            products=self._products.of(snapshot.products),
            on_screen_sku=snapshot.on_screen_sku,
            staged_sku=snapshot.staged_sku,
            deal=row_of_deal,
            deals=tuple(row for row in deals if row.is_live),
            pinned=pinned,
            mode=str(snapshot.mode),
            simulated=snapshot.simulated,
            session_path=snapshot.session_path,
        )

    def sales_state(self, snapshot: LiveSnapshot) -> SalesState:
        products = snapshot.products
        if products is not self._sales_of:
            was = self._sales_of
            if (
                was is None
                or len(was) != len(products)
                or any(
                    (products[at].sku, products[at].title, products[at].units_sold)
                    != (was[at].sku, was[at].title, was[at].units_sold)
                    for at in compress(range(len(products)), map(is_not, products, was))
                )
            ):
                self._units_by_product = _units_by_product(products)
            self._sales_of = products
        return SalesState(
            gmv=snapshot.sales.gmv,
            currency=snapshot.sales.currency,
            orders=snapshot.sales.orders,
            orders_per_minute=snapshot.sales.orders_per_minute,
            units_by_product=self._units_by_product,
            gmv_by_currency=snapshot.sales.gmv_by_currency,
            simulated=snapshot.simulated,
            rejected_items=snapshot.sales.rejected_items,
        )


def _units_by_product(products: tuple[ProductView, ...]) -> tuple[tuple[str, int], ...]:
    titles = {p.sku: bidi_isolated(p.title) for p in products}
    return tuple((titles.get(p.sku, p.sku), p.units_sold) for p in products if p.units_sold)


def show_state_of(snapshot: LiveSnapshot) -> ShowState:
    """The window's rows of one snapshot alone (``SnapshotReader.show_state``)."""
    return SnapshotReader().show_state(snapshot)


def sales_state_of(snapshot: LiveSnapshot) -> SalesState:
    return SnapshotReader().sales_state(snapshot)


def order_line_title(title: str | None, sku: str, product: Product | None) -> str:
    """What the orders panel calls an order's line: the feed's own title for it, else the show's
    product, else the SKU. A feed's text has its control characters written as escapes, as the
    report writes them: a SKU "MUG\\x1b]0;pwned\\x07\\u202e-350" read "MUG]0;pwned053-" in its
    cell (boxes for the controls, the digits turned around by the override) beside the report's
    escaped one."""
    if title:
        return escape_controls(title)
    if product is not None:
        return bidi_isolated(product.title)
    return escape_controls(sku)
