"""Round fifteen of issue 10, the remote control: the remote on the largest show the validator
accepts, with real servers on loopback."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import aiohttp

from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.validate import MAX_PRODUCTS, MAX_SEGMENTS, errors_of, validate_show

from .remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _show_at_the_limits() -> Show:
    """As many products and segments as a show may have, each segment with its deal."""
    products = tuple(
        Product(f"P-{number:05d}", f"Product {number}", Decimal("19.99"), 1000)
        for number in range(MAX_PRODUCTS)
    )
    rundown = tuple(
        Segment(
            f"Segment {number}",
            60,
            f"P-{number % MAX_PRODUCTS:05d}",
            deal=DealPlan(Decimal("9.99"), 120, 50),
        )
        for number in range(MAX_SEGMENTS)
    )
    return Show("Limits", "USD", "en", products, rundown)


async def _state_of_the_largest_show(folder: Path) -> tuple[float, int]:
    async with (
        rehearsing(_show_at_the_limits(), folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession() as phone,
    ):
        began = time.perf_counter()
        async with phone.get(f"{server.url}api/v1/state", headers=AUTH) as answer:
            state = await answer.json()
        return time.perf_counter() - began, len(state["products"])


def test_the_largest_show_answers_the_phone_within_a_second_or_two(tmp_path: Path) -> None:
    """Before: every snapshot of a show at the limits (10,000 products, 20,000 segments each
    with its deal; `anchordesk show check` takes it) asked each product's live deal by walking
    every deal of the session, 200 million steps: 9 s of the event loop for each snapshot. The
    phone's state took 8-24 s, the headless run's board (a snapshot a second) left the loop
    free a moment in nine, its --stats lines came 8 s apart, and SIGTERM ended the run after
    6.9 s instead of 2."""
    assert errors_of(validate_show(_show_at_the_limits())) == []  # a show the validator takes
    took_s, products = asyncio.run(_state_of_the_largest_show(tmp_path))
    assert products == MAX_PRODUCTS
    assert took_s < 3.0
