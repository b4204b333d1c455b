"""Hostile inputs, round ten: round nine's new rules at their edges (the one digest of what
makes an order the same, the show's bounds) and kinds of input no round sent. Each test failed
on the code before its fix."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from feed_servers import JsonFeedServer

from .test_round_eight_inputs import _report_after_polls


def _order(
    order_id: str, total: str, price: str | None = None, *more: dict[str, Any]
) -> dict[str, Any]:
    line = {"sku": "MUG", "quantity": 1, "price": total if price is None else price}
    return {
        "type": "order",
        "id": order_id,
        "currency": "USD",
        "total": total,
        "lines": [line, *more],
    }


def test_an_order_total_with_a_huge_exponent_is_rejected_without_writing_it_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real JSON feed serves totals "1e999999999999999999" (30 bytes) and "1e99999999", then
    a good $24.00 order. Before, the poller's key of "the same order" (round nine's
    ``terms_key``) wrote each amount out in full: the first was a MemoryError on every poll (the
    feed said 'unexpected error' for the rest of the show and the good order after it was never
    read), "1e999999999" took 25 s and 3 GB, "1e99999999" 100 MB. Now both are rejected as too
    large, the good order counts, and keying them costs nothing."""
    server = JsonFeedServer(poll_ms=1000).start()
    tracemalloc.start()
    try:
        report = _report_after_polls(
            tmp_path,
            capsys,
            server,
            lambda: server.add_raw(_order("o1", "1e999999999999999999")),
            lambda: server.add_raw(_order("o2", "24.00", price="1e99999999")),
            lambda: server.add_raw(_order("o3", "24.00")),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report["gmv_by_currency"] == {"USD": "24.00"}
    assert report["rejected_by_reason"] == {"amount_too_large": 2}
    assert peak < 40_000_000, f"peak {peak / 1e6:.0f} MB"


def test_an_order_sent_again_with_minus_zero_for_zero_is_the_same_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real JSON feed serves o1 ($24.00 with a free gift line at 0.00), then the same order
    with the gift at "-0.00" (a platform's rounding), and o2 ($0.00) again as "-0.00". Before,
    round nine's terms_key spelled -0 apart from 0 (Decimal compares them equal; the rule said
    "by value"), so each copy was listed 'order_changed' in the same words twice ('sent again
    as 24.00 USD for 2 units; the first copy counts: 24.00 USD for 2 units')."""
    gift = {"sku": "GIFT", "quantity": 1, "price": "0.00"}
    first = _order("o1", "24.00", None, gift)
    again = _order("o1", "24.00", None, dict(gift, price="-0.00"))
    server = JsonFeedServer(poll_ms=1000).start()
    report = _report_after_polls(
        tmp_path,
        capsys,
        server,
        lambda: server.add_raw(first),
        lambda: server.add_raw(again),
        lambda: server.add_raw(_order("o2", "0.00")),
        lambda: server.add_raw(_order("o2", "-0.00")),
    )
    assert report["gmv_by_currency"] == {"USD": "24.00"}
    assert report["rejected_by_reason"] == {}
