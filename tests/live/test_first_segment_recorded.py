"""The session file of a show whose recorder opened after the picture began (as the window's
does) holds the first segment, and the report lists it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from anchordesk.feeds.hub import FeedHub
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store import SessionStore, StoreWriter
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_html import report_html

SHOW = Show(
    title="秋季护肤夜",
    currency="CNY",
    language="zh_CN",
    products=(Product("SERUM-30", "水润精华液 30ml", Decimal("199"), stock=50),),
    rundown=(Segment("开场", 5), Segment("精华液", 10, sku="SERUM-30"), Segment("晚霜", 5)),
)


def test_the_first_segment_reaches_the_session_and_the_report(tmp_path: Path) -> None:
    show = SHOW
    runtime = ShowRuntime(show, 0.0)
    runtime.tick(0.5)  # the picture runs before the store is open
    path = tmp_path / "rehearsal.adsession"
    writer = StoreWriter(path)
    clock = iter(float(1_800_000_000 + n) for n in range(100))
    hub = FeedHub([], writer, show=show, wall_clock=lambda: next(clock))
    hub.record_show(show)
    runtime.add_listener(hub.record_show_event, from_start=True)
    runtime.next_segment(3.0)
    runtime.next_segment(9.0)
    writer.close()

    store = SessionStore(path, read_only=True)
    try:
        kept = [(e.kind, e.data.get("index")) for e in store.show_events()]
    finally:
        store.close()
    assert kept[:2] == [("show_started", None), ("segment_started", 0)], "kept, not restored"

    report = build_report(path)
    assert [(s.index, s.title) for s in report.ledger.segments] == [
        (0, "开场"),
        (1, "精华液"),
        (2, "晚霜"),
    ]
    assert "开场" in report_text(report, "zh_CN")
    assert "<td>开场</td>" in report_html(report, "en")
    # Plan against actual, on the show clock: the first segment ran 3 s of its planned 5.
    first = report.timings[0]
    assert (first.title, first.planned_s, first.actual_s) == ("开场", 5.0, 3.0)


def test_a_resumed_session_keeps_the_new_run_s_first_segment(tmp_path: Path) -> None:
    # `anchordesk live --session FILE` with orders already kept: restoring their stock runs
    # the new run sheet before the session's recorder is attached.
    path = tmp_path / "resumed.adsession"
    store = SessionStore(path)
    line = OrderLine("SERUM-30", 2, Decimal("199"))
    store.write_batch("json", [Order("json", "o1", "CNY", line.amount, (line,))], "1", 1.8e9)
    store.close()
    runtime = ShowRuntime(SHOW, 0.0)
    session = ShowSession(
        mode=SessionMode.REHEARSAL, runtime=runtime, writer=StoreWriter(path), feeds=[],
        simulated=True,
    )  # fmt: skip
    runtime.tick(1.0)
    session.close_store()
    assert runtime.snapshot().state.stock_left("SERUM-30") == 48, "the kept order's stock"
    store = SessionStore(path, read_only=True)
    try:
        kept = [(e.kind, e.data.get("index")) for e in store.show_events()]
    finally:
        store.close()
    assert ("segment_started", 0) in kept
    assert [s.index for s in session.ledger.segments] == [0]


def test_the_start_events_are_kept_at_the_moment_they_name_so_duration_and_timing_agree(
    tmp_path: Path,
) -> None:
    """The show's start events wait for the first picture after the store opened and the images
    were decoded; kept with the wall time of that delivery, the first segment began 0.25 s
    after the moment its show clock names. The window's report then said "Duration 0:46" over
    a timing total of "0:47", and an order in the very first poll fell before the first
    segment. Both clocks now name the same moments."""
    from anchordesk.show.timing import segments_total

    wall = [1_800_000_000.0]
    runtime = ShowRuntime(SHOW, 10.0)  # the session starts at show time 10.0
    path = tmp_path / "rehearsal.adsession"
    session = ShowSession(
        mode=SessionMode.REHEARSAL, runtime=runtime, writer=StoreWriter(path), feeds=[],
        simulated=True, wall_clock=lambda: wall[0],
    )  # fmt: skip
    wall[0] += 0.25
    runtime.tick(10.25)  # the first picture with the show on it: the start events go out now
    line = OrderLine("SERUM-30", 1, Decimal("199"))
    session.ingest([Order("json", "first-poll", "CNY", line.amount, (line,))])
    for show_s in (13.0, 23.0, 28.0):  # the three segments run 3, 10 and 5 s
        wall[0] = 1_800_000_000.0 + show_s - 10.0
        if show_s < 28.0:
            runtime.next_segment(show_s)
        else:
            runtime.end(show_s)
    session.close_store()

    store = SessionStore(path, read_only=True)
    try:
        started = [e.at for e in store.show_events() if e.kind == "show_started"]
    finally:
        store.close()
    assert started == [1_800_000_000.0]
    report = build_report(path)
    assert report.relative_s(report.ended_at) == segments_total(report.timings).actual_s == 18.0
    assert report.ledger.segments[0].orders == 1  # the first poll's order, in the first segment
