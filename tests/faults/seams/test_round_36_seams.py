"""Round thirty-six of issue 10, the seams (seams36): the picture, the window's panels, the
remote, the session file and the report give the same figures. Real parts: a rehearsing
LiveShow continuing a session file (``--session``), its remote's state, and the report read back
from the file."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from anchordesk.control.state import state_json
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate, RefundLine
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.store.report import build_report, report_text

MUG = Product("MUG", "Mug", Decimal("24.00"), 5)
CUP = Product("CUP", "Cup", Decimal("10.00"), 9)
FIRST = Show(
    "Night",
    "USD",
    "en",
    (MUG, CUP),
    (
        Segment("Mug", 600, "MUG", deal=DealPlan(Decimal("18.00"), 300, 3)),
        Segment("Cup", 600, "CUP"),
    ),
)


async def _run(show: Show, path: Path, items: list[Any]) -> tuple[Any, dict[str, Any]]:
    """One run of the show continuing ``path`` (``anchordesk live --session PATH``): the items
    kept, then what the window's board and the remote read."""
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    plan = LiveShowPlan(show=show, sessions_dir=path.parent, first_session_path=path)
    live = build_live_show(options, plan, switched=True)
    try:
        live.begin_session(SessionMode.REHEARSAL)
        assert live.session is not None
        for item in items:
            live.session.ingest([item])
        snapshot = live.snapshot()
        return snapshot.board, state_json(snapshot)
    finally:
        await live.close()


def _one_run(show: Show, path: Path, wall: list[float]) -> tuple[Any, Any]:
    """One run of ``anchordesk live --session path`` on ``show``, its first picture made: the
    session and its runtime, the wall clock read from ``wall``."""
    from anchordesk.live.runtime import ShowRuntime
    from anchordesk.live.show_session import ShowSession
    from anchordesk.store import StoreWriter

    runtime = ShowRuntime(show, 0.0)
    session = ShowSession(
        mode=SessionMode.LIVE,
        runtime=runtime,
        writer=StoreWriter(path),
        feeds=[],
        simulated=False,
        wall_clock=lambda: wall[0],
    )
    runtime.tick(0.0)  # the first picture
    return session, runtime


def test_a_product_taken_out_of_the_show_file_between_two_runs_is_still_the_shows(
    tmp_path: Path,
) -> None:
    """The first run sold two cups (the show's CUP, "Cup", 9 in stock); the show file was then
    edited (the cup taken out, the mug renamed) and the session continued; one cup came back.
    Before: the window's board and the remote listed CUP as a product with no stock count and
    no name, and the report wrote "CUP … (not in the show)" with a blank name and "Orders for
    SKUs not in the show: CUP" — a product that was in the show when it sold; its 8 cups left
    were nowhere."""
    path = tmp_path / "night.adsession"
    cups = Order("json", "A", "USD", Decimal("20.00"), (OrderLine("CUP", 2, Decimal("10.00")),))
    mug = Order("json", "B", "USD", Decimal("18.00"), (OrderLine("MUG", 1, Decimal("18.00")),))
    asyncio.run(_run(FIRST, path, [cups, mug]))
    second = Show(
        "Night",
        "USD",
        "en",
        (Product("MUG", "Big mug", Decimal("24.00"), 5),),
        (Segment("Mug", 600, "MUG", deal=DealPlan(Decimal("18.00"), 300, 3)),),
    )
    back = OrderUpdate(
        "json", "A", "refunded", Decimal("10.00"), refund_id="r-1", lines=(RefundLine("CUP", 1),)
    )
    board, state = asyncio.run(_run(second, path, [back]))

    report = build_report(path)
    text = report_text(report, "en")
    assert "not in the show" not in text, text
    cup = report.ledger.products["CUP"]
    assert (cup.title, cup.units, cup.gmv, report.ledger.stock_left("CUP")) == (
        "Cup",
        1,
        Decimal("10.00"),
        8,
    )
    assert report.board is not None
    kept = {p.sku: (p.title, p.units, p.gmv, p.stock_left) for p in report.board.figures.products}
    live = {p.sku: (p.title, p.units, p.gmv, p.stock_left) for p in board.products}
    assert (
        live
        == kept
        == {
            "MUG": ("Big mug", 1, Decimal("18.00"), 4),
            "CUP": ("Cup", 1, Decimal("10.00"), 8),
        }
    )
    remote = {p["sku"]: (p["units"], p["gmv"], p["stock_left"]) for p in state["board"]["products"]}
    assert remote == {"MUG": (1, "18.00", 4), "CUP": (1, "10.00", 8)}


def test_an_order_kept_between_two_runs_of_a_session_counts_in_the_same_segment_everywhere(
    tmp_path: Path,
) -> None:
    """A show ended (Stop), then continued with ``--session`` (a show in two parts); the orders
    placed in the break come with the feeds' first poll, kept a moment before the second run's
    first frame. Before: the window's board and the remote counted them in the first run's
    segment ("Cup 1 order, 3 units") — the visit that had ended before they came — while the
    report put them in no segment ("Cup 0 orders", its segments table too): the same file, two
    answers. The second run's first segment is where they count."""
    path = tmp_path / "night.adsession"
    cup_show = Show("Night", "USD", "en", (MUG, CUP), (Segment("Cup", 600, "CUP"),))
    asyncio.run(_run(cup_show, path, []))
    cups = Order(
        "json",
        "A",
        "USD",
        Decimal("30.00"),
        (OrderLine("CUP", 3, Decimal("10.00")),),
        customer="amy",
    )
    board, state = asyncio.run(_run(cup_show, path, [cups]))

    report = build_report(path)
    assert report.board is not None

    def rows(segments: Any) -> list[tuple[str, int, int, int]]:
        return [(s.title, s.orders, s.units, s.buyers) for s in segments]

    assert rows(report.board.figures.segments) == [("Cup", 1, 3, 1)]
    assert rows(board.segments) == rows(report.board.figures.segments)
    remote = [(s["title"], s["orders"], s["gmv"]) for s in state["board"]["segments"]]
    assert remote == [("Cup", 1, {"USD": "30.00"})]
    # The report's segments table: the second run's visit of the cup holds them.
    assert [(s.orders, s.gmv) for s in report.ledger.segments] == [
        (0, Decimal(0)),
        (1, Decimal("30.00")),
    ]


def test_the_run_sheet_of_a_continued_session_counts_the_time_the_report_counts(
    tmp_path: Path,
) -> None:
    """A show of two segments: the mug 1:00, the cup 4:00, then the program killed; the same
    command again (``--session``) opens on the mug for 0:30 more, then Stop. Before: the
    window's run sheet (and the remote's segment clock) counted this run's time only — "Mug
    0:30", the cup "not reached" — while the report's timing table on the same file said
    "Mug 1:30", "Cup 4:00"."""
    from anchordesk.live.runtime import ShowRuntime
    from anchordesk.live.show_session import ShowSession
    from anchordesk.show.timing import format_duration

    show = Show(
        "Night",
        "USD",
        "en",
        (MUG, CUP),
        (Segment("Mug", 600, "MUG"), Segment("Cup", 300, "CUP")),
    )
    wall = [1_800_000_000.0]
    path = tmp_path / "night.adsession"

    def run() -> tuple[ShowSession, ShowRuntime]:
        return _one_run(show, path, wall)

    first, runtime = run()
    wall[0] += 60.0
    runtime.tick(60.0)
    runtime.next_segment()
    wall[0] += 240.0
    runtime.tick(300.0)
    first.ingest([Order("json", "A", "USD", Decimal("10.00"), (OrderLine("CUP", 1, CUP.price),))])
    first.close_store()  # killed: its last row is the cup's order, at 5:00

    wall[0] += 120.0  # the break counts in no segment
    again, runtime = run()
    wall[0] += 30.0
    runtime.tick(30.0)
    again.end_show()
    again.close_store()

    report = build_report(path)
    kept = [(t.title, format_duration(t.actual_s)) for t in report.timings]
    assert kept == [("Mug", "1:30"), ("Cup", "4:00")]
    # What the run sheet shows of each segment (LiveShow._segment_views reads these).
    window = [
        (segment.title, format_duration(again.segment_seconds.get(index, 0.0)))
        for index, segment in enumerate(show.rundown)
    ]
    assert window == kept


def test_a_run_killed_after_a_run_that_ended_keeps_its_time_in_the_report(
    tmp_path: Path,
) -> None:
    """A show stopped after a minute on the mug, continued with ``--session``, and this second
    run killed four minutes in (a mug sold at its end). Before: the report's timing table said
    "Mug 1:00" — the second run's four minutes gone: the first run's finish, laid on the one
    show clock at the very moment the second run began, was taken for the end of the show.
    The run continuing the file (its run sheet) read it the same."""
    from anchordesk.live.runtime import ShowRuntime
    from anchordesk.live.show_session import ShowSession
    from anchordesk.show.timing import format_duration

    show = Show(
        "Night", "USD", "en", (MUG,), (Segment("Mug", 600, "MUG"), Segment("Cup", 300, "MUG"))
    )
    wall = [1_800_000_000.0]
    path = tmp_path / "night.adsession"

    def run() -> tuple[ShowSession, ShowRuntime]:
        return _one_run(show, path, wall)

    first, runtime = run()
    wall[0] += 60.0
    runtime.tick(60.0)
    first.end_show()
    first.close_store()
    wall[0] += 100.0
    second, runtime = run()
    wall[0] += 240.0
    runtime.tick(240.0)
    second.ingest([Order("json", "A", "USD", MUG.price, (OrderLine("MUG", 1, MUG.price),))])
    second.close_store()  # killed

    timings = [
        (t.title, format_duration(t.actual_s), t.visited) for t in build_report(path).timings
    ]
    assert timings == [("Mug", "5:00", True), ("Cup", "0:00", False)]
    third, _ = run()
    third.close_store()
    assert format_duration(third.segment_seconds[0]) == "5:00"


def test_a_run_sheet_reordered_between_two_runs_keeps_each_segments_own_time(
    tmp_path: Path,
) -> None:
    """The mug 1:00 and the cup 4:00, Stop; the run sheet then reordered (the cup first) and
    the session continued for 0:30 on the cup. Before: the report's timing table and the run
    sheet continuing the file read the times by position alone — "1. Cup 1:30" (the mug's
    minute in it) and "2. Mug 4:00" (the cup's four)."""
    from anchordesk.live.runtime import ShowRuntime
    from anchordesk.live.show_session import ShowSession
    from anchordesk.show.timing import format_duration
    from anchordesk.store import StoreWriter

    mug_first = Show(
        "Night", "USD", "en", (MUG, CUP), (Segment("Mug", 600, "MUG"), Segment("Cup", 300, "CUP"))
    )
    cup_first = Show(
        "Night", "USD", "en", (MUG, CUP), (Segment("Cup", 300, "CUP"), Segment("Mug", 600, "MUG"))
    )
    wall = [1_800_000_000.0]
    path = tmp_path / "night.adsession"

    def run(show: Show) -> tuple[ShowSession, ShowRuntime]:
        runtime = ShowRuntime(show, 0.0)
        session = ShowSession(
            mode=SessionMode.LIVE,
            runtime=runtime,
            writer=StoreWriter(path),
            feeds=[],
            simulated=False,
            wall_clock=lambda: wall[0],
        )
        runtime.tick(0.0)
        return session, runtime

    first, runtime = run(mug_first)
    wall[0] += 60.0
    runtime.tick(60.0)
    runtime.next_segment()
    wall[0] += 240.0
    runtime.tick(300.0)
    first.end_show()
    first.close_store()
    wall[0] += 100.0
    second, runtime = run(cup_first)
    restored = {i: format_duration(s) for i, s in second.segment_seconds.items()}
    wall[0] += 30.0
    runtime.tick(30.0)
    second.end_show()
    second.close_store()

    timings = [(t.title, format_duration(t.actual_s)) for t in build_report(path).timings]
    assert timings == [("Cup", "4:30"), ("Mug", "1:00")]
    assert restored == {0: "4:00", 1: "1:00"}


def test_a_run_sheet_reordered_between_two_runs_keeps_each_segments_own_orders_on_the_board(
    tmp_path: Path,
) -> None:
    """A mug sold while the mug was on, two cups while the cup was on; the run sheet then
    reordered (the cup first) and the session continued: one more cup. Before: the window's
    data board, the remote and the report's audience table merged the visits by position —
    "Mug 2 orders" (the second run's cup in the mug's row) and "Cup 1 order"."""
    mug_first = Show(
        "Night", "USD", "en", (MUG, CUP), (Segment("Mug", 600, "MUG"), Segment("Cup", 300, "CUP"))
    )
    cup_first = Show(
        "Night", "USD", "en", (MUG, CUP), (Segment("Cup", 300, "CUP"), Segment("Mug", 600, "MUG"))
    )

    def order(order_id: str, product: Product, units: int) -> Order:
        line = OrderLine(product.sku, units, product.price)
        return Order("json", order_id, "USD", line.amount, (line,), customer=order_id)

    async def first_run() -> None:
        options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
        plan = LiveShowPlan(show=mug_first, sessions_dir=tmp_path, first_session_path=path)
        live = build_live_show(options, plan, switched=True)
        try:
            live.begin_session(SessionMode.REHEARSAL)
            assert live.session is not None and live.session.runtime is not None
            live.session.ingest([order("A", MUG, 1)])
            live.session.runtime.next_segment()
            live.session.ingest([order("B", CUP, 2)])
        finally:
            await live.close()

    path = tmp_path / "night.adsession"
    asyncio.run(first_run())
    board, state = asyncio.run(_run(cup_first, path, [order("C", CUP, 1)]))

    report = build_report(path)
    assert report.board is not None

    def rows(segments: Any) -> list[tuple[int, str, int, int]]:
        return [(s.index, s.title, s.orders, s.units) for s in segments]

    assert rows(report.board.figures.segments) == [(0, "Cup", 2, 3), (1, "Mug", 1, 1)]
    assert rows(board.segments) == rows(report.board.figures.segments)
    remote = [(s["index"], s["title"], s["orders"]) for s in state["board"]["segments"]]
    assert remote == [(0, "Cup", 2), (1, "Mug", 1)]


def test_a_segment_taken_out_of_the_run_sheet_keeps_its_row_on_the_board(tmp_path: Path) -> None:
    """(A guard of the rule above, not a finding.) The cup's segment sold two cups, then was
    taken out of the run sheet before the session continued: its row stays on the board, live
    and in the report, under its own title, after the run sheet's rows."""
    first_show = Show(
        "Night", "USD", "en", (MUG, CUP), (Segment("Mug", 600, "MUG"), Segment("Cup", 300, "CUP"))
    )
    cups = Order("json", "B", "USD", Decimal("20.00"), (OrderLine("CUP", 2, CUP.price),))

    async def first_run() -> None:
        options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
        plan = LiveShowPlan(show=first_show, sessions_dir=tmp_path, first_session_path=path)
        live = build_live_show(options, plan, switched=True)
        try:
            live.begin_session(SessionMode.REHEARSAL)
            assert live.session is not None and live.session.runtime is not None
            live.session.runtime.next_segment()
            live.session.ingest([cups])
        finally:
            await live.close()

    path = tmp_path / "night.adsession"
    asyncio.run(first_run())
    mug_only = Show("Night", "USD", "en", (MUG, CUP), (Segment("Mug", 600, "MUG"),))
    board, state = asyncio.run(_run(mug_only, path, []))
    report = build_report(path)
    assert report.board is not None
    rows = [(s.index, s.title, s.orders, s.units) for s in report.board.figures.segments]
    assert rows == [(0, "Mug", 0, 0), (1, "Cup", 1, 2)]
    assert [(s.index, s.title, s.orders, s.units) for s in board.segments] == rows
    assert [(s["index"], s["title"]) for s in state["board"]["segments"]] == [
        (0, "Mug"),
        (1, "Cup"),
    ]


def test_comments_of_the_break_between_two_runs_count_where_its_orders_count(
    tmp_path: Path,
) -> None:
    """A show of the cup, then the mug, stopped; the session continued (on the cup again) and
    the feeds' first poll brought what came in the break: a comment and an order. Before: the
    board (live and in the report) counted the order in the second run's cup visit and the
    comment in the first run's mug, which had ended before either came ("Mug: 1 comment, 0
    orders", "Cup: 0 comments, 1 order")."""
    from anchordesk.show.feed_items import Comment

    show = Show(
        "Night", "USD", "en", (MUG, CUP), (Segment("Cup", 300, "CUP"), Segment("Mug", 600, "MUG"))
    )

    async def first_run() -> None:
        options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
        plan = LiveShowPlan(show=show, sessions_dir=tmp_path, first_session_path=path)
        live = build_live_show(options, plan, switched=True)
        try:
            live.begin_session(SessionMode.REHEARSAL)
            assert live.session is not None and live.session.runtime is not None
            live.session.runtime.next_segment()
        finally:
            await live.close()

    path = tmp_path / "night.adsession"
    asyncio.run(first_run())
    cup = Order("json", "A", "USD", CUP.price, (OrderLine("CUP", 1, CUP.price),), customer="amy")
    hello = Comment("json", "c-1", "amy", "is the cup still there?")
    board, _ = asyncio.run(_run(show, path, [hello, cup]))
    report = build_report(path)
    assert report.board is not None
    rows = [(s.title, s.comments, s.orders) for s in report.board.figures.segments]
    assert rows == [("Cup", 1, 1), ("Mug", 0, 0)]
    assert [(s.title, s.comments, s.orders) for s in board.segments] == rows


def test_a_product_carried_over_keeps_the_currency_it_sold_in() -> None:
    """(Part of the rule of the first test.) A cup of a dollar show, the show file then made a
    euro show without it: the cup is carried over still priced in dollars, not read as euros
    (its dollar sales would have been "in another currency" than its own)."""
    from anchordesk.show.snapshot import carried_over

    dollars = Show("Night", "USD", "en", (MUG, CUP), ())
    euros = Show("Night", "EUR", "en", (MUG,), ())
    carried = carried_over(euros, dollars, ["CUP"])
    assert [(p.sku, carried.currency_of(p)) for p in carried.products] == [
        ("MUG", "EUR"),
        ("CUP", "USD"),
    ]
    assert carried_over(euros, dollars, ["MUG"]) is euros


def test_a_comment_kept_before_the_first_frame_counts_in_the_first_segment_as_an_order_does(
    tmp_path: Path,
) -> None:
    """The feeds start with the session: their first poll brought a question and an order a
    moment before the picture's first frame. Before: the board (live and in the report) counted
    the order in the first segment (R33) and the comment in none ("Cup: 0 comments, 1 order",
    with 1 comment in the show)."""
    from anchordesk.show.feed_items import Comment

    show = Show("Night", "USD", "en", (MUG, CUP), (Segment("Cup", 300, "CUP"),))

    async def first_poll() -> Any:
        options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
        plan = LiveShowPlan(show=show, sessions_dir=tmp_path)
        live = build_live_show(options, plan, switched=True)
        try:
            live.begin_session(SessionMode.REHEARSAL)
            assert live.session is not None
            assert not live.session.ledger.segments  # no frame yet
            live.session.ingest(
                [
                    Comment("json", "c-1", "amy", "is the cup dishwasher safe?"),
                    Order("json", "A", "USD", CUP.price, (OrderLine("CUP", 1, CUP.price),)),
                ]
            )
            return live.session.path
        finally:
            await live.close()

    path = asyncio.run(first_poll())
    report = build_report(path)
    assert report.board is not None
    assert [(s.title, s.comments, s.orders) for s in report.board.figures.segments] == [
        ("Cup", 1, 1)
    ]
