"""Cancellations and refunds in the ledger: taken back once, per currency, units to stock."""

from __future__ import annotations

from decimal import Decimal

from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate, RefundLine
from anchordesk.show.ledger import Ledger, Restock, TimedOrder, TimedUpdate, replay
from anchordesk.show.model import Product

PRODUCTS = (
    Product("SERUM", "Serum", Decimal("199.00"), 10),
    Product("MASK", "Mask", Decimal("10.00"), 100),
)


def order(order_id: str, *lines: tuple[str, int, str], currency: str = "USD") -> Order:
    items = tuple(OrderLine(sku, qty, Decimal(price)) for sku, qty, price in lines)
    total = sum((line.amount for line in items), Decimal(0))
    return Order("json", order_id, currency, total, items)


def cancel(order_id: str) -> OrderUpdate:
    return OrderUpdate("json", order_id, "cancelled")


def refund(order_id: str, amount: str | None, *lines: tuple[str, int], **kw: str) -> OrderUpdate:
    return OrderUpdate(
        "json",
        order_id,
        "refunded",
        None if amount is None else Decimal(amount),
        lines=tuple(RefundLine(sku, qty) for sku, qty in lines),
        **kw,  # type: ignore[arg-type]
    )


def test_a_cancellation_sent_twice_is_taken_back_once() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order("o1", ("SERUM", 2, "199.00"), ("MASK", 3, "10.00")), 1.0)
    ledger.add_order(order("o2", ("MASK", 1, "10.00")), 2.0)
    first = ledger.apply_update(cancel("o1"), 3.0)
    again = ledger.apply_update(cancel("o1"), 4.0)
    assert first.status == "applied" and again.status == "duplicate"
    assert first.amount_back == Decimal("428.00")
    assert set(first.restocks) == {Restock("SERUM", 2, None), Restock("MASK", 3, None)}
    assert ledger.gmv == Decimal("10.00") and ledger.units == 1
    assert ledger.products["SERUM"].units == 0 and ledger.products["SERUM"].gmv == 0
    assert ledger.stock_left("SERUM") == 10 and ledger.stock_left("MASK") == 99
    assert ledger.cancelled_orders == 1 and ledger.orders == 2


def test_a_refund_sent_twice_is_taken_back_once_and_never_more_than_the_order() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order("o1", ("SERUM", 2, "199.00")), 1.0)
    partial = ledger.apply_update(refund("o1", "12.50"), 2.0)
    assert ledger.apply_update(refund("o1", "12.5"), 3.0).status == "duplicate"
    assert partial.amount_back == Decimal("12.50") and partial.restocks == ()
    assert ledger.gmv == Decimal("385.50")
    # Money only: the units sold stay sold.
    assert ledger.products["SERUM"].units == 2 and ledger.stock_left("SERUM") == 8
    # A second refund of its own (another refund id) takes only what is left.
    rest = ledger.apply_update(refund("o1", "999.00", refund_id="r2"), 4.0)
    assert rest.amount_back == Decimal("385.50") and ledger.gmv == 0
    late_cancel = ledger.apply_update(cancel("o1"), 5.0)
    assert late_cancel.amount_back == 0 and ledger.gmv == 0
    assert ledger.refunded_by_currency == {"USD": Decimal("398.00")}


def test_a_refund_that_names_lines_gives_their_units_back() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order("o1", ("SERUM", 3, "199.00")), 1.0)
    outcome = ledger.apply_update(refund("o1", "199.00", ("SERUM", 1)), 2.0)
    assert outcome.units_back == {"SERUM": 1}
    assert outcome.restocks == (Restock("SERUM", 1, None),)
    assert ledger.products["SERUM"].units == 2 and ledger.products["SERUM"].returned == 1
    assert ledger.products["SERUM"].gmv == Decimal("398.00")
    assert ledger.stock_left("SERUM") == 8


def test_two_currencies_are_never_mixed() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order("usd", ("MASK", 1, "10.00")), 1.0)
    ledger.add_order(order("cny", ("MASK", 2, "70.00"), currency="CNY"), 2.0)
    assert ledger.gmv_by_currency == {"USD": Decimal("10.00"), "CNY": Decimal("140.00")}
    ledger.apply_update(refund("cny", "70.00"), 3.0)
    assert ledger.gmv_by_currency == {"USD": Decimal("10.00"), "CNY": Decimal("70.00")}
    wrong = ledger.apply_update(refund("usd", "5.00", currency="CNY"), 4.0)
    assert wrong.status == "rejected" and "CNY" in wrong.reason
    assert ledger.gmv == Decimal("10.00") and ledger.rejected_updates == [wrong]


def test_cancelling_a_deal_line_takes_the_deal_units_and_gmv_back() -> None:
    events = [
        (0.0, "deal_started", {"deal_id": "d1", "sku": "SERUM", "price": "129.00"}),
        (100.0, "deal_ended", {"deal_id": "d1", "reason": "ended"}),
    ]
    orders = [
        TimedOrder(order("o1", ("SERUM", 2, "129.00")), 10.0),
        TimedOrder(order("o2", ("SERUM", 1, "199.00")), 20.0),  # list price during the deal
        TimedOrder(order("o3", ("SERUM", 1, "129.00")), 30.0),
    ]
    updates = [TimedUpdate(cancel("o1"), 40.0), TimedUpdate(cancel("o1"), 41.0)]
    ledger = replay(PRODUCTS, "USD", events, orders, updates=updates)
    (deal,) = ledger.deals
    assert (deal.units, deal.gmv) == (1, Decimal("129.00"))
    assert ledger.products["SERUM"].deal_units == 1 and ledger.products["SERUM"].units == 2
    assert [u.restocks for u in ledger.updates] == [(Restock("SERUM", 2, "d1"),)]


def test_an_update_before_its_order_is_kept_and_applied_when_the_order_arrives() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    assert ledger.apply_update(cancel("o1"), 1.0).status == "pending"
    assert ledger.apply_update(cancel("o1"), 1.5).status == "duplicate"
    assert [timed.update.order_id for timed in ledger.orphan_updates] == ["o1"]
    applied = ledger.add_order(order("o1", ("MASK", 4, "10.00")), 2.0)
    assert [outcome.status for outcome in applied] == ["applied"]
    assert applied[0].restocks == (Restock("MASK", 4, None),)
    assert ledger.gmv == 0 and ledger.orphan_updates == []


def test_an_order_counted_twice_is_counted_once() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order("o1", ("MASK", 4, "10.00")), 1.0)
    ledger.add_order(order("o1", ("MASK", 4, "10.00")), 2.0)
    assert ledger.orders == 1 and ledger.gmv == Decimal("40.00")


def test_oversold_units_are_counted_and_only_what_was_taken_goes_back() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order("o1", ("SERUM", 8, "199.00")), 1.0)
    ledger.add_order(order("o2", ("SERUM", 5, "199.00")), 2.0)
    serum = ledger.products["SERUM"]
    assert serum.units == 13 and serum.oversold == 3 and ledger.stock_left("SERUM") == 0
    outcome = ledger.apply_update(cancel("o2"), 3.0)
    assert outcome.restocks == (Restock("SERUM", 2, None),), "the 3 oversold were never taken"
    assert ledger.stock_left("SERUM") == 2


def test_what_the_live_show_took_from_stock_wins_over_the_ledgers_count() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order("o1", ("SERUM", 4, "199.00")), 1.0, {"SERUM": None}, {"SERUM": 1})
    assert ledger.products["SERUM"].oversold == 3
    assert ledger.apply_update(cancel("o1"), 2.0).restocks == (Restock("SERUM", 1, None),)


def test_orders_per_minute_counts_the_last_minute() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    for n, at in enumerate((0.0, 30.0, 61.0, 70.0, 119.0)):
        ledger.add_order(order(f"o{n}", ("MASK", 1, "10.00")), at)
    assert ledger.orders_per_minute(120.0) == 3.0
    assert ledger.orders_per_minute(59.0) == 2.0
    assert ledger.orders_per_minute(60.0) == 1.0, "the order at 0.0 is a minute old"
    assert ledger.orders_per_minute(120.0, window_s=30.0) == 2.0


def test_the_live_count_of_what_is_not_counted_is_the_reports_list() -> None:
    """The window and the remote read ``not_counted_count`` at every refresh; the report lists
    ``not_counted``: after orders against the rule, refused updates and updates waiting for an
    order (some of which then arrive), both say the same number at every step."""
    ledger = Ledger(PRODUCTS, "USD")
    seen: list[tuple[int, int]] = []

    def both() -> None:
        seen.append((ledger.not_counted_count(), len(ledger.not_counted())))

    both()
    ledger.add_order(order("o1", ("SERUM", 1, "199.00")), 1.0)
    ledger.add_order(Order("json", "bad", "USD", Decimal("-5"), ()), 2.0)  # against the rule
    both()
    ledger.apply_update(refund("o1", "5.00", currency="EUR"), 3.0)  # another currency
    ledger.apply_update(cancel("later"), 4.0)  # its order not yet here
    ledger.apply_update(refund("later", "1.00"), 5.0)
    ledger.apply_update(cancel("never"), 6.0)
    both()
    ledger.add_order(order("later", ("MASK", 2, "10.00")), 7.0)  # the two waiting apply
    both()
    assert seen == [(0, 0), (1, 1), (5, 5), (3, 3)]
    kinds = sorted((item.kind, item.item_id) for item in ledger.not_counted())
    assert [kind for kind, _ in kinds] == ["order", "order_update", "order_update"]
