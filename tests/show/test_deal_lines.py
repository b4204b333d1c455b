"""The deal-line rule: only a line at the deal price, while the deal is live, counts in it;
every line takes stock; oversold units are reported, never shown; returns put units back."""

from __future__ import annotations

from decimal import Decimal

from anchordesk.show import state as rules
from anchordesk.show.controller import ShowController
from anchordesk.show.events import DealEnded, DealEndReason, ProductSoldOut, StockChanged
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.state import DealStatus, is_deal_price

DEAL = Decimal("129.00")
LIST = Decimal("199.00")


def make_show(serum_stock: int = 500, quota: int | None = 100) -> Show:
    return Show(
        title="Night",
        currency="USD",
        language="en",
        products=(
            Product("SERUM", "Serum", LIST, serum_stock),
            Product("TEA", "Tea", Decimal("1980"), 20, currency="JPY"),
        ),
        rundown=(
            Segment("Opening", 60),
            Segment("Serum", 300, "SERUM", deal=DealPlan(DEAL, 120, quota)),
            Segment("Tea", 300, "TEA", deal=DealPlan(Decimal("1480"), 120, None)),
        ),
    )


def serum_deal_live(show: Show | None = None) -> ShowController:
    controller = ShowController(show or make_show(), 0.0)
    controller.next_segment(60.0)
    assert controller.state.live_deal("SERUM") is not None
    return controller


def test_list_price_orders_during_a_deal_do_not_count_as_deal_units() -> None:
    controller = serum_deal_live()
    outcome = controller.apply_order("SERUM", 5, 61.0, LIST)
    assert outcome.deal_id is None and outcome.deal_units == 0
    deal = controller.state.live_deal("SERUM")
    assert deal is not None and deal.units_sold == 0 and deal.stock_left == 100
    assert controller.state.stock_left("SERUM") == 495, "every line takes the product's stock"


def test_a_line_without_a_price_is_a_list_price_sale_not_a_deal_line() -> None:
    controller = serum_deal_live()
    outcome = controller.apply_order("SERUM", 3, 61.0)
    assert outcome.deal_id is None and outcome.unit_price == LIST
    assert controller.state.live_deal("SERUM").units_sold == 0  # type: ignore[union-attr]


def test_deal_units_fall_only_for_deal_lines() -> None:
    controller = serum_deal_live()
    controller.apply_order("SERUM", 2, 61.0, LIST)
    deal_line = controller.apply_order("SERUM", 3, 62.0, Decimal("129"))
    assert deal_line.deal_id == "segment-1" and deal_line.deal_units == 3
    controller.apply_order("SERUM", 4, 63.0, Decimal("130.00"))
    deal = controller.state.live_deal("SERUM")
    assert deal is not None and deal.units_sold == 3 and deal.stock_left == 97
    assert controller.state.stock_left("SERUM") == 491


def test_the_deal_price_is_matched_to_the_currencys_smallest_unit() -> None:
    assert is_deal_price(Decimal("129.004"), DEAL, "USD")
    assert not is_deal_price(Decimal("129.01"), DEAL, "USD")
    assert is_deal_price(Decimal("1480.2"), Decimal("1480"), "JPY")
    assert not is_deal_price(Decimal("1481"), Decimal("1480"), "JPY")
    assert not is_deal_price(Decimal("0.1295"), Decimal("0.129"), "KWD")
    assert not is_deal_price(None, DEAL, "USD")
    assert not is_deal_price(Decimal("NaN"), DEAL, "USD")
    assert not is_deal_price(Decimal("1e309"), DEAL, "USD")


def test_a_line_after_the_deal_ended_is_a_list_price_sale_even_at_the_deal_price() -> None:
    controller = serum_deal_live()
    controller.tick(200.0)  # the deal's 120 s are over at 180
    outcome = controller.apply_order("SERUM", 2, 201.0, DEAL)
    assert outcome.deal_id is None
    assert controller.state.deal("segment-1").units_sold == 0  # type: ignore[union-attr]


def test_list_price_orders_that_empty_the_product_end_the_deal_sold_out() -> None:
    controller = serum_deal_live(make_show(serum_stock=10))
    seen: list[object] = []
    controller.add_listener(seen.append)
    outcome = controller.apply_order("SERUM", 10, 61.0, LIST)
    assert outcome.accepted_units == 10
    deal = controller.state.deal("segment-1")
    assert deal is not None and deal.status is DealStatus.SOLD_OUT
    assert controller.state.is_sold_out("SERUM") and controller.state.live_deal("SERUM") is None
    assert [type(event) for event in seen] == [StockChanged, DealEnded, ProductSoldOut]
    ended = seen[1]
    assert isinstance(ended, DealEnded) and ended.reason is DealEndReason.SOLD_OUT


def test_a_deal_line_that_empties_the_quota_ends_the_deal_and_flags_the_excess() -> None:
    controller = serum_deal_live(make_show(quota=5))
    first = controller.apply_order("SERUM", 4, 61.0, DEAL)
    assert first.over_deal_quota_units == 0
    last = controller.apply_order("SERUM", 3, 62.0, DEAL)
    assert last.deal_units == 3 and last.over_deal_quota_units == 2
    deal = controller.state.deal("segment-1")
    assert deal is not None and deal.status is DealStatus.SOLD_OUT and deal.stock_left == 0
    assert controller.state.stock_left("SERUM") == 493


def test_an_oversold_line_is_reported_and_stock_never_shows_below_zero() -> None:
    controller = ShowController(make_show(serum_stock=3), 0.0)
    outcome = controller.apply_order("SERUM", 5, 1.0, LIST)
    assert outcome.accepted_units == 3 and outcome.oversold_units == 2
    again = controller.apply_order("SERUM", 1, 2.0, LIST)
    assert again.accepted_units == 0 and again.oversold_units == 1
    assert controller.state.stock_left("SERUM") == 0
    unknown = controller.apply_order("GHOST", 1, 3.0, LIST)
    assert not unknown.known_sku and unknown.oversold_units == 0


def test_restock_returns_what_an_order_took_never_above_the_starting_stock() -> None:
    controller = ShowController(make_show(serum_stock=10), 0.0)
    controller.apply_order("SERUM", 4, 1.0, LIST)
    seen: list[object] = []
    controller.add_listener(seen.append)
    outcome = controller.restock("SERUM", 4, 2.0)
    assert outcome.returned_units == 4 and controller.state.stock_left("SERUM") == 10
    assert seen == [StockChanged(2.0, "SERUM", 10, 4, None, None)]
    twice = controller.restock("SERUM", 4, 3.0)
    assert twice.returned_units == 0 and controller.state.stock_left("SERUM") == 10
    assert not controller.restock("GHOST", 1, 4.0).known_sku


def test_restock_refills_a_live_deals_quota_but_never_an_ended_deal() -> None:
    controller = serum_deal_live(make_show(quota=5))
    controller.apply_order("SERUM", 3, 61.0, DEAL)
    back = controller.restock("SERUM", 2, 62.0, deal_id="segment-1")
    assert back.deal_units_returned == 2
    assert controller.state.live_deal("SERUM").stock_left == 4  # type: ignore[union-attr]
    controller.apply_order("SERUM", 4, 63.0, DEAL)  # sells the deal out
    assert controller.state.deal("segment-1").status is DealStatus.SOLD_OUT  # type: ignore[union-attr]
    late = controller.restock("SERUM", 4, 64.0, deal_id="segment-1")
    assert late.returned_units == 4 and late.deal_units_returned == 0
    deal = controller.state.deal("segment-1")
    assert deal is not None and deal.status is DealStatus.SOLD_OUT and deal.units_sold == 5


def test_a_sold_out_product_is_on_sale_again_after_a_return() -> None:
    state = rules.start_show(make_show(serum_stock=2), 0.0).state
    state = rules.apply_order(state, "SERUM", 2, 1.0, LIST).state
    assert state.is_sold_out("SERUM")
    state = rules.restock(state, "SERUM", 1, 2.0).state
    assert not state.is_sold_out("SERUM") and state.price_now("SERUM") == LIST
