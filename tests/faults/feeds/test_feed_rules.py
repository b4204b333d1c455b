"""The amount rule's edges (show/feed_rules.py, docs/feed-protocol.md): what is kept, what is
rejected and why. Pure: no server needed, so it runs in the lowest-versions job too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate, RefundLine
from anchordesk.show.feed_rules import MAX_AMOUNT, MAX_QUANTITY, order_problem, update_problem


def order(total: str, currency: str = "CNY", quantity: int = 1) -> Order:
    return Order("json", "o1", currency, Decimal(total), (OrderLine("A", quantity, Decimal("1")),))


@pytest.mark.parametrize(
    ("total", "currency", "reason"),
    [
        ("19.99", "CNY", None),
        ("19.990", "CNY", None),  # trailing zeros are the same amount
        ("0", "CNY", None),
        (str(MAX_AMOUNT), "CNY", None),
        ("1280", "JPY", None),
        ("12.345", "KWD", None),
        ("12.3456", "", None),  # no currency anywhere: 4 digits
        ("1E+309", "CNY", "amount_too_large"),
        ("1E+26", "CNY", "amount_too_large"),
        (str(MAX_AMOUNT + Decimal("0.01")), "CNY", "amount_too_large"),
        ("-999.99", "CNY", "amount_negative"),
        ("-0.01", "CNY", "amount_negative"),
        ("NaN", "CNY", "amount_not_a_number"),
        ("Infinity", "CNY", "amount_not_a_number"),
        ("0.125", "USD", "amount_too_precise"),
        ("1280.5", "JPY", "amount_too_precise"),
        ("1E-100000", "CNY", "amount_too_precise"),
    ],
)
def test_order_totals(total: str, currency: str, reason: str | None) -> None:
    problem = order_problem(order(total, currency))
    assert (problem.reason if problem else None) == reason


def test_an_order_without_currency_is_checked_in_the_show_s() -> None:
    assert order_problem(order("1280.5", ""), "JPY") is not None
    assert order_problem(order("1280.5", ""), "CNY") is None


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_quantities_out_of_range(quantity: int) -> None:
    problem = order_problem(order("1.00", quantity=quantity))
    assert problem is not None and problem.reason == "quantity_invalid"
    assert order_problem(order("1.00", quantity=MAX_QUANTITY)) is None


def test_refunds_follow_the_same_rule() -> None:
    def refund(amount: str | None, quantity: int = 1) -> OrderUpdate:
        return OrderUpdate(
            "json",
            "o1",
            "refunded",
            None if amount is None else Decimal(amount),
            "USD",
            lines=(RefundLine("A", quantity),),
        )

    assert update_problem(refund("12.50")) is None
    assert update_problem(refund(None)) is None  # the whole order
    assert update_problem(refund("-5")).reason == "amount_negative"  # type: ignore[union-attr]
    assert update_problem(refund("1e309")).reason == "amount_too_large"  # type: ignore[union-attr]
    assert update_problem(refund("1", 0)).reason == "quantity_invalid"  # type: ignore[union-attr]
