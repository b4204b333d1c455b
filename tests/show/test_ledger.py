"""The sales ledger: exact money per product, segment and deal; unknown SKUs kept."""

from __future__ import annotations

from decimal import Decimal

from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.ledger import Ledger, TimedOrder, replay, show_from_snapshot, show_snapshot
from anchordesk.show.model import DealPlan, Product, Segment, Show

SHOW = Show(
    title="Night",
    currency="CNY",
    language="zh_CN",
    products=(
        Product("SERUM-30", "精华", Decimal("199.00"), 500),
        Product("MASK-10", "面膜", Decimal("0.10"), 1000),
    ),
    rundown=(
        Segment("开场", 60),
        Segment("精华", 300, "SERUM-30", deal=DealPlan(Decimal("129.00"), 120, 100)),
        Segment("面膜", 300, "MASK-10"),
    ),
)


def order(n: int, *lines: tuple[str, int, str]) -> Order:
    items = tuple(OrderLine(sku, qty, Decimal(price)) for sku, qty, price in lines)
    total = sum((line.amount for line in items), Decimal(0))
    return Order("json", f"o{n}", "CNY", total, items)


def test_units_and_gmv_per_product_add_up_to_the_cent() -> None:
    ledger = Ledger(SHOW.products, "CNY")
    for n in range(10):
        ledger.add_order(order(n, ("MASK-10", 3, "0.10")), at=float(n))
    assert ledger.products["MASK-10"].gmv == Decimal("3.00")
    assert ledger.gmv == Decimal("3.00")
    assert ledger.units_by_sku == {"SERUM-30": 0, "MASK-10": 30}


def test_orders_for_skus_not_in_the_show_are_kept_and_reported() -> None:
    ledger = Ledger(SHOW.products, "CNY")
    ledger.add_order(order(1, ("GIFT-CARD", 1, "50.00"), ("", 1, "5.00")), at=1.0)
    assert set(ledger.unknown_skus) == {"GIFT-CARD", ""}
    assert ledger.gmv == Decimal("55.00")
    assert ledger.units == 2


def test_orders_count_in_the_segment_and_the_deal_running_when_they_arrived() -> None:
    events = [
        (0.0, "segment_started", {"index": 0, "title": "开场", "sku": None}),
        (60.0, "segment_started", {"index": 1, "title": "精华", "sku": "SERUM-30"}),
        (60.0, "deal_started", {"deal_id": "segment-1", "sku": "SERUM-30", "price": "129.00"}),
        (90.0, "deal_ended", {"deal_id": "segment-1", "reason": "sold_out"}),
        (360.0, "segment_started", {"index": 2, "title": "面膜", "sku": "MASK-10"}),
    ]
    orders = [
        TimedOrder(order(1, ("SERUM-30", 1, "199.00")), 30.0),  # opening, before the deal
        TimedOrder(order(2, ("SERUM-30", 2, "129.00")), 60.0),  # the instant the deal starts
        TimedOrder(order(3, ("SERUM-30", 1, "129.00")), 90.0),  # the order that sold it out
        TimedOrder(order(4, ("SERUM-30", 1, "199.00")), 100.0),  # after the deal
        TimedOrder(order(5, ("MASK-10", 2, "0.10"), ("SERUM-30", 1, "199.00")), 400.0),
    ]
    ledger = replay(SHOW.products, "CNY", events, orders)
    opening, serum, mask = ledger.segments
    assert (opening.orders, opening.units, opening.gmv) == (1, 1, Decimal("199.00"))
    assert (serum.orders, serum.units, serum.gmv) == (3, 4, Decimal("586.00"))
    assert (mask.orders, mask.units, mask.gmv) == (1, 3, Decimal("199.20"))
    (deal,) = ledger.deals
    assert (deal.units, deal.gmv, deal.orders, deal.end_reason) == (
        3,
        Decimal("387.00"),
        2,
        "sold_out",
    )
    assert ledger.gmv == Decimal("984.20")
    assert opening.ended_at == 60.0 and mask.ended_at is None


def test_the_show_snapshot_round_trips_prices_exactly() -> None:
    again = show_from_snapshot(show_snapshot(SHOW))
    assert again.products == SHOW.products
    assert again.rundown[1].deal == SHOW.rundown[1].deal


def test_an_order_kept_just_before_the_first_segment_started_counts_in_it_live_and_replayed() -> (
    None
):
    """The feeds start with the session and the show's start events are kept at the picture's
    first frame: an order in the very first poll was kept 1 ms before the first segment, and
    counted in no segment row (round seven, L1). The live ledger (order, then the event) and
    the report's replay of the same rows must put it in the first segment alike."""
    from anchordesk.show.feed_items import OrderUpdate, RefundLine
    from anchordesk.show.ledger import TimedUpdate

    first = order(1, ("SERUM-30", 2, "199.00"))
    second = order(2, ("MASK-10", 10, "0.10"))
    refund = OrderUpdate(
        "json", "o2", "refunded", Decimal("0.30"), lines=(RefundLine("MASK-10", 3),)
    )
    start = {"index": 0, "title": "开场", "sku": None}

    live = Ledger(SHOW.products, "CNY")
    live.add_order(first, at=99.999)
    live.add_order(second, at=99.999)
    live.apply_update(refund, at=99.9995)
    live.apply_event("segment_started", start, at=100.0)
    live.add_order(order(3, ("MASK-10", 1, "0.10")), at=100.5)

    replayed = replay(
        SHOW.products,
        "CNY",
        [(100.0, "segment_started", start)],
        [
            TimedOrder(first, 99.999),
            TimedOrder(second, 99.999),
            TimedOrder(order(3, ("MASK-10", 1, "0.10")), 100.5),
        ],
        updates=[TimedUpdate(refund, 99.9995)],
    )
    for ledger in (live, replayed):
        (opening,) = ledger.segments
        assert (opening.orders, opening.units, opening.gmv) == (3, 10, Decimal("398.80"))
        assert ledger.gmv == opening.gmv
