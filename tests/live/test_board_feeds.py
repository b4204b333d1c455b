"""Conversion and the per-segment figures equal what a feed served: a local server speaking the
generic JSON protocol (viewers, orders with their customers, a cancellation, an order in
another currency) feeds a session over HTTP, the wall clock injected; the board, then the
report of the file, show exactly the served numbers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.live.options import FeedSpec
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.board import BoardFigures
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report

T0 = 1_800_000_000.0
SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 100),),
    rundown=(Segment("Hello", 100), Segment("Mug", 300, "MUG")),
)


def order(server: JsonFeedServer, order_id: str, customer: str, currency: str = "USD") -> None:
    price = "24.00" if currency == "USD" else "30.00"
    server.add_raw(
        {
            "type": "order",
            "id": order_id,
            "currency": currency,
            "total": price,
            "customer": customer,
            "lines": [{"sku": "MUG", "quantity": 1, "price": price}],
        }
    )


def viewers(server: JsonFeedServer, sample_id: str, online: int) -> None:
    server.add_raw({"type": "viewers", "id": sample_id, "online": online})


def test_conversion_and_segment_figures_equal_what_the_feed_served(tmp_path: Path) -> None:
    clock = [T0]
    server = JsonFeedServer(poll_ms=20)
    server.start()
    runtime = ShowRuntime(SHOW, 0.0)
    path = tmp_path / "fed.adsession"
    session = ShowSession(
        mode=SessionMode.LIVE,
        runtime=runtime,
        writer=StoreWriter(path),
        feeds=[FeedSpec("json", server.url)],
        simulated=False,
        wall_clock=lambda: clock[0],
    )

    async def until(done: Callable[[], bool]) -> None:
        for _ in range(500):
            if done():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the feed did not deliver")

    async def scenario() -> None:
        assert session.hub is not None
        stop = asyncio.Event()
        task = asyncio.create_task(session.hub.run(stop))
        clock[0] = T0 + 10
        viewers(server, "v1", 100)
        order(server, "a", "ann")
        order(server, "b", "bob")
        server.add_comment("ann", "Is it dishwasher safe?")
        server.add_comment("bob", "hello")
        await until(lambda: session.ledger.orders == 2 and session.comment_count == 2)
        clock[0] = T0 + 50
        viewers(server, "v2", 160)
        await until(lambda: len(session.board.audience.times) == 2)
        clock[0] = T0 + 100
        runtime.next_segment(100.0)
        clock[0] = T0 + 110
        viewers(server, "v3", 90)
        order(server, "c", "ann")
        order(server, "d", "cat")
        order(server, "e", "dan", "EUR")
        server.add_comment("cat", "nice")
        await until(lambda: session.ledger.orders == 5 and session.comment_count == 3)
        clock[0] = T0 + 150
        viewers(server, "v4", 120)
        server.add_update("d", "cancelled")
        await until(lambda: len(session.ledger.updates) == 1)
        clock[0] = T0 + 200
        session.end_show(200.0)
        stop.set()
        await task

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    board = session.read_ledger(
        lambda ledger: session.board.figures(
            ledger,
            T0 + 200,
            stock_left={"MUG": runtime.snapshot().state.stock_left("MUG") or 0},
            on_sale=(),
            currency_of={"MUG": "USD"},
        )
    )
    session.close_store()
    assert isinstance(board, BoardFigures)

    hello, mug = board.segments
    assert (hello.viewers_start, hello.viewers_end, hello.viewers_peak) == (100, 160, 160)
    assert (hello.comments, hello.orders, hello.buyers) == (2, 2, 2)
    assert hello.conversion == pytest.approx(2 / 160)
    assert hello.gmv_by_currency == (("USD", Decimal("48.00")),)
    # The mug's segment starts with the 160 watching when it began, then 90, then 120.
    assert (mug.viewers_start, mug.viewers_end, mug.viewers_peak) == (160, 120, 160)
    assert (mug.comments, mug.orders, mug.buyers) == (1, 3, 2)  # cat cancelled: not a buyer
    assert mug.conversion == pytest.approx(2 / 160)
    assert mug.gmv_by_currency == (("EUR", Decimal("30.00")), ("USD", Decimal("24.00")))
    assert (board.viewers_now, board.viewers_peak, board.buyers) == (120, 160, 3)
    assert board.conversion == pytest.approx(3 / 160)
    assert board.gmv_by_currency == (("EUR", Decimal("30.00")), ("USD", Decimal("72.00")))
    assert board.average_order_value == (("EUR", Decimal("30.00")), ("USD", Decimal("24.00")))

    report = build_report(path)
    assert report.board is not None
    assert report.board.figures.segments == board.segments
    assert report.board.figures.conversion == board.conversion
    assert report.board.audience == (
        (T0 + 10, 100),
        (T0 + 50, 160),
        (T0 + 110, 90),
        (T0 + 150, 120),
    )
    audience = report.to_json()["audience"]
    assert audience["peak_viewers"] == 160 and audience["buyers"] == 3  # type: ignore[index]
    assert audience["segments"][1]["gmv_by_currency"] == {"EUR": "30.00", "USD": "24.00"}  # type: ignore[index]


def test_a_continued_session_file_keeps_its_prompts_fired_and_dismissed(tmp_path: Path) -> None:
    from anchordesk.show.prompts import PromptInputs

    path = tmp_path / "again.adsession"
    # A situation that outlives a run: the mug on screen sold out. (A deal's prompt ends
    # with its run, whose deals a restart ends: tests/faults/seams/test_round_14_seam.py.)
    inputs = PromptInputs(
        T0 + 5,
        on_screen_sku="MUG",
        on_screen_title="Mug",
        on_screen_stock_left=0,
        questions=(),
    )

    def open_session() -> ShowSession:
        return ShowSession(
            mode=SessionMode.LIVE,
            runtime=ShowRuntime(SHOW, 0.0),
            writer=StoreWriter(path),
            feeds=[],
            simulated=False,
            wall_clock=lambda: T0,
        )

    first = open_session()
    (fired,) = first.board.prompt_now(inputs)
    assert first.board.dismiss(fired.key, T0 + 6)
    first.close_store()
    again = open_session()
    assert again.board.prompt_now(inputs) == ()  # fired once, and dismissed, in this file
    assert fired.key in again.board.prompts.fired
    again.close_store()
    report = build_report(path)
    assert report.board is not None
    assert [p.key for p in report.board.prompts] == [fired.key]
    assert report.board.dismissed == {fired.key: T0 + 6}
