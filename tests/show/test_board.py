"""The data board's figures (show/board.py) with the time passed in: the audience, rates,
conversion, average order value, per segment figures and the sell-out forecast."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anchordesk.show.board import (
    FORECAST_MIN_SPAN_S,
    FORECAST_WINDOW_S,
    AudienceCurve,
    board_figures,
    format_forecast_minutes,
)
from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate
from anchordesk.show.ledger import Ledger
from anchordesk.show.model import Product

T0 = 1_800_000_000.0
PRODUCTS = (
    Product("SERUM", "Serum", Decimal("20.00"), 100),
    Product("MASK", "Mask", Decimal("5.00"), 50),
)


def order(n: int, sku: str, quantity: int, price: str, customer: str = "", currency: str = "USD"):
    line = OrderLine(sku, quantity, Decimal(price))
    return Order("json", f"o{n}", currency, line.amount, (line,), customer=customer)


def stock(ledger: Ledger) -> dict[str, int]:
    return {p.sku: ledger.stock_left(p.sku) or 0 for p in PRODUCTS}


def test_the_audience_is_the_sum_of_each_platforms_latest_count() -> None:
    curve = AudienceCurve()
    curve.add(T0, "youtube-chat", 100)
    curve.add(T0 + 10, "twitch-chat", 40)
    curve.add(T0 + 20, "youtube-chat", 70)
    assert curve.totals == [100, 140, 110]
    assert curve.at(T0 + 15) == 140
    assert curve.at(T0 - 1) is None
    assert curve.peak == 140
    assert curve.between(T0 + 5, T0 + 20) == [(T0 + 5, 100), (T0 + 10, 140), (T0 + 20, 110)]


def test_conversion_is_buyers_over_peak_viewers_and_a_cancelled_buyer_does_not_count() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.segment_started(0, "Opening", None, T0)
    ledger.segment_started(1, "Serum", "SERUM", T0 + 100)
    ledger.add_order(order(1, "SERUM", 1, "20.00", "ann"), T0 + 110)
    ledger.add_order(order(2, "SERUM", 2, "20.00", "ann"), T0 + 120)  # the same buyer again
    ledger.add_order(order(3, "MASK", 1, "5.00", "bob"), T0 + 130)
    ledger.add_order(order(4, "MASK", 1, "5.00", "cat"), T0 + 30)  # in the opening
    ledger.apply_update(OrderUpdate("json", "o3", "cancelled"), T0 + 140)
    curve = AudienceCurve()
    for at, online in ((T0, 50), (T0 + 90, 200), (T0 + 100, 150), (T0 + 150, 100)):
        curve.add(at, "json", online)
    comments = [T0 + 5, T0 + 99.9, T0 + 100, T0 + 160]
    board = board_figures(
        ledger, curve, comments, T0 + 170, started_at=T0, stock_left=stock(ledger)
    )
    assert board.viewers_now == 100
    assert board.viewers_peak == 200
    assert board.buyers == 2  # ann and cat; bob's only order was cancelled
    assert board.conversion == pytest.approx(2 / 200)
    assert board.gmv_by_currency == (("USD", Decimal("65.00")),)
    # The average order: GMV over the orders that still count (3 of 4), to the cent.
    assert board.average_order_value == (("USD", Decimal("21.67")),)
    opening, serum = board.segments
    assert (opening.viewers_start, opening.viewers_end, opening.viewers_peak) == (50, 150, 200)
    assert (opening.comments, opening.orders, opening.buyers) == (2, 1, 1)
    assert opening.conversion == pytest.approx(1 / 200)
    assert (serum.viewers_start, serum.viewers_end, serum.viewers_peak) == (150, 100, 150)
    assert (serum.comments, serum.orders, serum.buyers) == (2, 3, 1)
    assert serum.gmv_by_currency == (("USD", Decimal("60.00")),)
    assert serum.conversion == pytest.approx(1 / 150)


def test_no_viewer_feed_means_no_conversion_rather_than_zero() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order(1, "MASK", 1, "5.00"), T0)
    board = board_figures(ledger, AudienceCurve(), [], T0 + 1, started_at=T0, stock_left={})
    assert board.viewers_now is None and board.conversion is None
    assert board.buyers == 1  # an order without a customer is its own buyer


def test_gmv_and_average_order_stay_per_currency() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order(1, "MASK", 2, "5.00"), T0)
    ledger.add_order(order(2, "MASK", 1, "40.00", currency="CNY"), T0 + 1)
    board = board_figures(ledger, AudienceCurve(), [], T0 + 2, started_at=T0, stock_left={})
    assert board.gmv_by_currency == (("CNY", Decimal("40.00")), ("USD", Decimal("10.00")))
    assert board.average_order_value == (("CNY", Decimal("40.00")), ("USD", Decimal("10.00")))


def test_rates_per_minute_count_the_last_minute() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    for n in range(6):
        ledger.add_order(order(n, "MASK", 1, "5.00"), T0 + n * 20)  # 0, 20, ... 100 s
    comments = [T0 + s for s in range(0, 120, 4)]  # one every 4 s
    board = board_figures(ledger, AudienceCurve(), comments, T0 + 119, started_at=T0, stock_left={})
    assert board.orders_per_minute == 3.0  # at 60, 80, 100
    assert board.comments_per_minute == 15.0


def test_the_forecast_divides_stock_left_by_the_recent_rate() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    # Ten units of serum a minute for the last two minutes: 80 left sells out in ~8 min.
    for n in range(20):
        ledger.add_order(order(n, "SERUM", 1, "20.00"), T0 + 600 + (n + 1) * 6)
    now = T0 + 600 + FORECAST_WINDOW_S
    board = board_figures(
        ledger, AudienceCurve(), [], now, started_at=T0, stock_left=stock(ledger), on_sale={"SERUM"}
    )
    serum = board.product("SERUM")
    assert serum is not None and serum.on_sale and serum.stock_left == 80
    assert serum.units_per_minute == pytest.approx(10.0)
    assert serum.sells_out_in_s == pytest.approx(480.0)
    assert format_forecast_minutes(serum.sells_out_in_s) == 8
    mask = board.product("MASK")
    assert mask is not None and mask.sells_out_in_s is None  # not selling: no forecast
    # Ten minutes later nothing has sold since: the forecast is gone, not frozen.
    later = board_figures(ledger, AudienceCurve(), [], now + 600, started_at=T0, stock_left={})
    assert later.product("SERUM").sells_out_in_s is None  # type: ignore[union-attr]


def test_a_young_session_rates_over_its_own_age_but_never_under_the_minimum_span() -> None:
    ledger = Ledger(PRODUCTS, "USD")
    ledger.add_order(order(1, "SERUM", 3, "20.00"), T0 + 1)
    board = board_figures(
        ledger, AudienceCurve(), [], T0 + 2, started_at=T0, stock_left=stock(ledger)
    )
    serum = board.product("SERUM")
    assert serum is not None
    assert serum.units_per_minute == pytest.approx(3 * 60 / FORECAST_MIN_SPAN_S)


def test_the_sparkline_holds_the_last_ten_minutes_relative_to_now() -> None:
    curve = AudienceCurve()
    for minute in range(20):
        curve.add(T0 + minute * 60, "json", 100 + minute)
    board = board_figures(Ledger(), curve, [], T0 + 19 * 60, started_at=T0, stock_left={})
    assert board.viewer_history[0] == (-600.0, 109)
    assert board.viewer_history[-1] == (0.0, 119)
