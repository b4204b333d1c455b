"""The run sheet, product on screen, flash deals and stock, with the time passed in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anchordesk.show import state as rules
from anchordesk.show.controller import ShowController
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
    event_from_record,
    event_record,
)
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.state import DealStatus, ShowCommandError, autoplay_position


def make_show() -> Show:
    return Show(
        title="Night",
        currency="CNY",
        language="zh_CN",
        products=(
            Product("SERUM", "Serum", Decimal("199.00"), 500),
            Product("CREAM", "Cream", Decimal("259.00"), 10),
        ),
        rundown=(
            Segment("Opening", 60),
            Segment("Serum", 300, "SERUM", deal=DealPlan(Decimal("129.00"), 120, 100)),
            Segment("Cream", 240, "CREAM", deal=DealPlan(Decimal("199.00"), 90, None)),
            Segment("Goodbye", 60),
        ),
    )


def kinds(events: tuple[ShowEvent, ...]) -> list[str]:
    return [event.kind for event in events]


def test_start_shows_first_segment_and_waits() -> None:
    controller = ShowController(make_show(), 1000.0)
    assert kinds(controller.initial_events) == ["show_started", "segment_started"]
    assert controller.state.segment_index == 0
    assert controller.state.product_on_screen is None
    # Without autoplay, time passing does not move the run sheet; the segment over-runs.
    controller.tick(1090.0)
    state = controller.state
    assert state.segment_index == 0
    assert state.segment_elapsed_s(1090.0) == 90.0
    assert state.segment_remaining_s(1090.0) == -30.0
    assert state.segment_overrun_s(1090.0) == 30.0
    assert state.behind_schedule_s(1090.0) == 30.0


def test_next_segment_shows_its_card_and_starts_its_deal() -> None:
    controller = ShowController(make_show(), 0.0)
    events = controller.next_segment(75.0)
    assert events[0] == SegmentEnded(75.0, 0, "Opening", 75.0, 60)
    assert events[1] == SegmentStarted(75.0, 1, "Serum", "SERUM", 300)
    assert events[2] == ProductShown(75.0, "SERUM", by_operator=False)
    assert isinstance(events[3], DealStarted)
    assert events[3].price == Decimal("129.00") and events[3].stock == 100
    state = controller.state
    deal = state.live_deal("SERUM")
    assert deal is not None and deal.remaining_s(100.0) == 95.0
    assert state.price_now("SERUM") == Decimal("129.00")
    assert state.behind_schedule_s(75.0) == 15.0


def test_operator_puts_another_product_on_screen_until_the_segment_changes() -> None:
    controller = ShowController(make_show(), 0.0)
    controller.next_segment(60.0)
    assert controller.show_product("CREAM", 70.0) == (ProductShown(70.0, "CREAM", True),)
    assert controller.state.product_on_screen is not None
    assert controller.state.on_screen_sku == "CREAM"
    controller.show_product(None, 71.0)
    assert controller.state.product_on_screen is None
    controller.next_segment(80.0)
    assert controller.state.on_screen_sku == "CREAM"
    assert not controller.state.on_screen_by_operator
    with pytest.raises(ShowCommandError, match="no product with SKU 'NOPE'"):
        controller.show_product("NOPE", 81.0)


def test_deal_ends_at_its_planned_time_even_when_noticed_late() -> None:
    controller = ShowController(make_show(), 0.0)
    controller.next_segment(60.0)
    events = controller.tick(500.0)
    assert events == (DealEnded(180.0, "segment-1", "SERUM", DealEndReason.ENDED, 0, 100),)
    deal = controller.state.deal("segment-1")
    assert deal is not None and deal.status is DealStatus.ENDED
    assert controller.state.price_now("SERUM") == Decimal("199.00")


def test_orders_take_stock_and_deal_sells_out_at_once() -> None:
    controller = ShowController(make_show(), 0.0)
    controller.next_segment(60.0)
    seen: list[ShowEvent] = []
    controller.add_listener(seen.append)
    deal_price = Decimal("129.00")
    outcome = controller.apply_order("SERUM", 60, 61.0, deal_price)
    assert outcome.accepted_units == 60 and outcome.deal_id == "segment-1"
    assert outcome.unit_price == deal_price and outcome.deal_units == 60
    assert seen == [StockChanged(61.0, "SERUM", 440, -60, "segment-1", 40)]
    outcome = controller.apply_order("SERUM", 40, 62.0, deal_price)
    assert outcome.accepted_units == 40 and outcome.over_deal_quota_units == 0
    assert kinds(tuple(seen[1:])) == ["stock_changed", "deal_ended"]
    ended = seen[2]
    assert isinstance(ended, DealEnded) and ended.reason is DealEndReason.SOLD_OUT
    assert ended.at_s == 62.0 and ended.units_sold == 100 and ended.stock_left == 0
    assert controller.state.deal("segment-1").status is DealStatus.SOLD_OUT  # type: ignore[union-attr]
    # After the deal, orders are at list price and take the product's stock.
    outcome = controller.apply_order("SERUM", 3, 63.0, Decimal("199.00"))
    assert outcome.deal_id is None and outcome.unit_price == Decimal("199.00")
    assert controller.state.stock_left("SERUM") == 397


def test_product_sold_out_ends_a_deal_without_quota() -> None:
    controller = ShowController(make_show(), 0.0)
    controller.jump_to_segment(2, 10.0)
    deal = controller.state.live_deal("CREAM")
    assert deal is not None and deal.stock is None
    outcome = controller.apply_order("CREAM", 25, 11.0, Decimal("199.00"))
    assert outcome.accepted_units == 10 and outcome.oversold_units == 15
    events = controller.apply_order("CREAM", 1, 12.0)
    assert events.accepted_units == 0
    assert controller.state.is_sold_out("CREAM")
    deal = controller.state.deal("segment-2")
    assert deal is not None and deal.status is DealStatus.SOLD_OUT


def test_sold_out_product_event_and_unknown_sku() -> None:
    show = make_show()
    transition = rules.start_show(show, 0.0)
    transition = rules.apply_order(transition.state, "CREAM", 10, 5.0)
    assert kinds(transition.events) == ["stock_changed", "product_sold_out"]
    assert transition.events[-1] == ProductSoldOut(5.0, "CREAM")
    unknown = rules.apply_order(transition.state, "GHOST", 2, 6.0)
    assert unknown.order is not None
    assert not unknown.order.known_sku and unknown.order.accepted_units == 0
    assert unknown.events == ()


def test_start_and_stop_deal_by_hand_with_prefilled_plan() -> None:
    controller = ShowController(make_show(), 0.0, auto_start_deals=False)
    controller.next_segment(60.0)
    assert controller.state.live_deals == ()
    defaults = rules.deal_defaults(controller.state)
    assert defaults is not None and defaults.price == Decimal("129.00") and defaults.stock == 100
    events = controller.start_deal(70.0)
    started = events[-1]
    assert isinstance(started, DealStarted) and started.deal_id == "segment-1"
    assert started.segment_index == 1
    events = controller.stop_deal(80.0)
    assert events == (DealEnded(80.0, "segment-1", "SERUM", DealEndReason.STOPPED, 0, 100),)
    # A second deal on the same product is a new deal of its own.
    events = controller.start_deal(90.0, price=Decimal("150"), seconds=30)
    started = events[-1]
    assert isinstance(started, DealStarted) and started.deal_id == "deal-1"
    assert started.stock is None
    # Starting another deal on the product stops the live one first.
    events = controller.start_deal(95.0, price=Decimal("140"), seconds=30, stock=5)
    assert kinds(events) == ["deal_ended", "deal_started"]
    assert isinstance(events[0], DealEnded) and events[0].reason is DealEndReason.STOPPED


def test_invalid_deal_commands_leave_the_state_unchanged() -> None:
    controller = ShowController(make_show(), 0.0)
    before = controller.state
    with pytest.raises(ShowCommandError, match="no product on screen"):
        controller.start_deal(1.0)
    controller.show_product("SERUM", 2.0)
    before = controller.state
    with pytest.raises(ShowCommandError, match=r"is not below the list price CN¥199.00 of SERUM"):
        controller.start_deal(3.0, price=Decimal("199.00"), seconds=10)
    with pytest.raises(ShowCommandError, match=r"deal seconds: must be above zero \(got 0\)"):
        controller.start_deal(3.0, price=Decimal("100"), seconds=0)
    with pytest.raises(ShowCommandError, match="no live deal"):
        controller.stop_deal(3.0)
    with pytest.raises(ShowCommandError, match="no segment at index 8"):
        controller.jump_to_segment(8, 3.0)
    assert controller.state.deals == before.deals


def test_previous_and_next_stop_at_the_ends() -> None:
    controller = ShowController(make_show(), 0.0)
    assert controller.previous_segment(1.0) == ()
    controller.jump_to_segment(3, 2.0)
    assert controller.next_segment(3.0) == ()
    controller.previous_segment(4.0)
    assert controller.state.segment_index == 2


def test_time_never_goes_backwards() -> None:
    controller = ShowController(make_show(), 0.0)
    controller.next_segment(60.0)
    controller.apply_order("SERUM", 1, 50.0)  # a late-arriving command from another thread
    assert controller.state.clock_s == 60.0
    assert controller.state.segment_elapsed_s(10.0) == 0.0


def test_autoplay_position_follows_the_rundown_seconds() -> None:
    show = make_show()
    assert autoplay_position(show, 100.0, 100.0) == rules.AutoplayPosition(0, 0.0, False)
    assert autoplay_position(show, 100.0, 159.5) == rules.AutoplayPosition(0, 59.5, False)
    assert autoplay_position(show, 100.0, 160.0) == rules.AutoplayPosition(1, 0.0, False)
    assert autoplay_position(show, 100.0, 700.0) == rules.AutoplayPosition(3, 0.0, False)
    assert autoplay_position(show, 100.0, 800.0) == rules.AutoplayPosition(3, 100.0, True)


def test_autoplay_crosses_every_boundary_at_its_planned_time() -> None:
    controller = ShowController(make_show(), 10.0, autoplay=True)
    events = controller.tick(10_000.0)  # one coarse tick over the whole show
    starts = [(e.at_s, e.index) for e in events if isinstance(e, SegmentStarted)]
    assert starts == [(70.0, 1), (370.0, 2), (610.0, 3)]
    deals = [(e.at_s, e.deal_id, e.reason) for e in events if isinstance(e, DealEnded)]
    assert deals == [
        (190.0, "segment-1", DealEndReason.ENDED),
        (460.0, "segment-2", DealEndReason.ENDED),
    ]
    assert isinstance(events[-1], ShowFinished) and events[-1].at_s == 670.0
    assert controller.state.finished


def test_autoplay_deal_counts_down_each_second() -> None:
    controller = ShowController(make_show(), 0.0, autoplay=True)
    controller.tick(60.0)
    remaining = []
    for second in range(0, 125, 1):
        controller.tick(60.0 + second)
        deal = controller.state.latest_deal("SERUM")
        assert deal is not None
        remaining.append(deal.remaining_s(60.0 + second))
    assert remaining[:3] == [120.0, 119.0, 118.0]
    assert remaining[120:] == [0.0] * 5


def test_manual_navigation_turns_autoplay_off() -> None:
    controller = ShowController(make_show(), 0.0, autoplay=True)
    controller.next_segment(5.0)
    assert not controller.autoplay
    controller.tick(1000.0)
    assert controller.state.segment_index == 1


def test_events_round_trip_through_records() -> None:
    controller = ShowController(make_show(), 0.0, autoplay=True)
    events = list(controller.initial_events) + list(controller.tick(400.0))
    events.append(StockChanged(1.0, "SERUM", 3, -1, None, None))
    for event in events:
        record = event_record(event)
        assert "kind" in record
        assert event_from_record(record) == event
    started = next(e for e in events if isinstance(e, DealStarted))
    assert event_record(started)["price"] == "129.00"
    assert isinstance(events[0], ShowStarted) and events[0].autoplay
