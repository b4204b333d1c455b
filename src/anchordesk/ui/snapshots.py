"""The LiveShow's snapshot in the window's vocabulary (``ui/state.py``), field by field.

No figure is computed here: every number comes from ``live.LiveSnapshot`` as it is.
"""

from __future__ import annotations

from typing import Any

from anchordesk.core.printable import bidi_isolated, escape_controls
from anchordesk.live.snapshot import LiveSnapshot
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


def show_state_of(snapshot: LiveSnapshot) -> ShowState:
    """The window's rows. A show's titles are bidi-isolated (core.printable.bidi_isolated): a
    right-to-left override its author left open (valid in a show) turned the window's own text
    after it around, in the products panel ('$24.00 · sold out' read '00.42$ …') and in the
    status bar's segment clock ('0:08 / 1:00' read '00:1 / 80:0')."""

    def plan(view: Any) -> DealPlan | None:
        return None if view is None else DealPlan(view.price, view.seconds, view.stock or 0)

    segments = tuple(
        SegmentRow(
            index=s.index,
            title=bidi_isolated(s.title),
            planned_s=s.planned_s,
            elapsed_s=s.elapsed_s,
            sku=s.sku,
            script=s.script,
            deal=plan(s.deal),
            is_current=s.is_current,
            is_done=s.is_done,
        )
        for s in snapshot.segments
    )
    products = tuple(
        ProductRow(
            sku=p.sku,
            title=bidi_isolated(p.title),
            price=p.price,
            stock_left=p.stock_left,
            units_sold=p.units_sold,
            image_path=p.image_path,
            deal=plan(p.deal),
            currency=p.currency,
        )
        for p in snapshot.products
    )
    deals = tuple(
        DealRow(
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
        for d in snapshot.deals
    )
    on_screen = snapshot.deal_for(snapshot.on_screen_sku)
    deal_row = next((row for row in deals if on_screen and row.deal_id == on_screen.deal_id), None)
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
        segments=segments,
        current_index=snapshot.current_index,
        products=products,
        on_screen_sku=snapshot.on_screen_sku,
        staged_sku=snapshot.staged_sku,
        deal=deal_row,
        deals=tuple(row for row in deals if row.is_live),
        pinned=pinned,
        mode=str(snapshot.mode),
        simulated=snapshot.simulated,
        session_path=snapshot.session_path,
    )


def sales_state_of(snapshot: LiveSnapshot) -> SalesState:
    titles = {p.sku: bidi_isolated(p.title) for p in snapshot.products}
    return SalesState(
        gmv=snapshot.sales.gmv,
        currency=snapshot.sales.currency,
        orders=snapshot.sales.orders,
        orders_per_minute=snapshot.sales.orders_per_minute,
        units_by_product=tuple(
            (titles.get(p.sku, p.sku), p.units_sold) for p in snapshot.products if p.units_sold
        ),
        gmv_by_currency=snapshot.sales.gmv_by_currency,
        simulated=snapshot.simulated,
        rejected_items=snapshot.sales.rejected_items,
    )


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
