"""Round five L3: the wall clock set mid-session (an NTP step, the user fixing the clock).

Before: a 60 s show whose machine clock jumped +1 h at 25 s was reported "Duration 60:58";
with -1 h, "Duration 59:..." and the later segments "Start 59:48". Durations, segment starts
and minutes now come from the show clock the run sheet's events carry (``at_s``); the wall
clock only names when the show started. The same session without the step is the reference:
the text, JSON and HTML reports and the window's summary must match it exactly.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.live.reports import session_summary
from anchordesk.show.events import (
    DealEnded,
    DealEndReason,
    DealStarted,
    SegmentEnded,
    SegmentStarted,
    ShowEvent,
    ShowFinished,
    ShowStarted,
    event_record,
)
from anchordesk.show.feed_items import Comment, Order, OrderLine
from anchordesk.show.ledger import show_snapshot
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.store import SessionStore, ShowEventRecord
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_html import report_html

T0 = 1_800_000_000.0
STEP_AT_S = 25.0  # the show clock when the machine's clock was set

SHOW = Show(
    "Mug night",
    "USD",
    "en",
    (Product("MUG", "Mug", Decimal("12.50"), 100), Product("CAP", "Cap", Decimal("8.00"), 50)),
    (
        Segment("Opening", 20, "MUG"),
        Segment("Cap deal", 20, "CAP", deal=DealPlan(Decimal("6.00"), 15, 20)),
        Segment("Thanks", 20, "MUG"),
    ),
)


def write_session(path: Path, step_s: float) -> None:
    """The show as a live run keeps it, in the order it happens: events, orders and comments
    stamped with a wall clock that moves by ``step_s`` at show second 25."""
    happenings: list[tuple[float, ShowEvent | Order | Comment]] = [
        (0.0, ShowStarted(0.0, SHOW.title, 3, 60, True)),
        (0.0, SegmentStarted(0.0, 0, "Opening", "MUG", 20)),
        (20.0, SegmentEnded(20.0, 0, "Opening", 20.0, 20)),
        (20.0, SegmentStarted(20.0, 1, "Cap deal", "CAP", 20)),
        (22.0, DealStarted(22.0, "d1", "CAP", Decimal("6.00"), Decimal("8.00"), 15, 20, 1)),
        (37.0, DealEnded(37.0, "d1", "CAP", DealEndReason.ENDED, 3, 17)),
        (40.0, SegmentEnded(40.0, 1, "Cap deal", 20.0, 20)),
        (40.0, SegmentStarted(40.0, 2, "Thanks", "MUG", 20)),
        (60.0, ShowFinished(60.0, 60.0)),
    ]
    for number, (at_s, sku, quantity, price) in enumerate(
        [(5, "MUG", 1, "12.50"), (15, "MUG", 2, "12.50"), (24, "CAP", 1, "6.00"),
         (30, "CAP", 2, "6.00"), (45, "MUG", 1, "12.50"), (58, "MUG", 3, "12.50")],
        start=1,
    ):  # fmt: skip
        line = OrderLine(sku, quantity, Decimal(price), sku)
        order = Order("json", f"o{number}", "USD", line.amount, (line,))
        happenings.append((at_s + 0.5, order))
        comment = Comment("json", f"c{number}", f"viewer{number}", "how much?", is_question=True)
        happenings.append((at_s + 0.7, comment))
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(SHOW), ensure_ascii=False))
    for number, (at_s, what) in enumerate(sorted(happenings, key=lambda h: h[0]), start=1):
        wall = T0 + at_s + (step_s if at_s >= STEP_AT_S else 0.0)
        if isinstance(what, Order | Comment):
            store.write_batch("json", [what], str(number), wall)
        else:
            record = ShowEventRecord(f"run-{number}", what.kind, wall, event_record(what))
            store.record_show_events([record])
    store.close()


def reports(path: Path) -> tuple[str, dict[str, object], str, tuple[object, ...]]:
    report = build_report(path)
    summary = session_summary(path, "live", "en")
    window = (summary.timings, summary.session_lines, summary.gmv_text)
    unnamed = str(path)
    text = report_text(report, "en").replace(unnamed, "SESSION")
    page = report_html(report, "en").replace(unnamed, "SESSION")
    as_json = report.to_json()
    as_json["session"] = "SESSION"
    lines = tuple(line.replace(unnamed, "SESSION") for line in summary.session_lines)
    return text, as_json, page, (summary.timings, lines, summary.gmv_text, window[2])


@pytest.mark.parametrize("step_s", [3600.0, -3600.0, 90.0, -45.0])
def test_a_wall_clock_step_mid_show_leaves_every_duration_on_the_show_clock(
    tmp_path: Path, step_s: float
) -> None:
    steady, stepped = tmp_path / "steady.adsession", tmp_path / "stepped.adsession"
    write_session(steady, 0.0)
    write_session(stepped, step_s)
    text, as_json, page, window = reports(stepped)

    # The figures themselves, read on the show clock.
    assert as_json["duration_s"] == 60.0
    segments = as_json["segments"]
    assert isinstance(segments, list)
    assert [s["start_s"] for s in segments] == [0.0, 20.0, 40.0]
    assert as_json["orders_per_minute"] == [6, 0] and as_json["comments_per_minute"] == [6, 0]
    assert as_json["orders"] == 6 and as_json["gmv"] == "105.50"
    assert re.search(r"Duration\s+1:00\b", text), text
    assert "59:" not in text and "60:" not in text

    # And the same as the session without the step, in every form, the window's included.
    assert (text, as_json, page, window) == reports(steady)


def test_a_session_continued_by_a_second_run_is_not_taken_for_a_clock_step(tmp_path: Path) -> None:
    """A second run (``live --session S`` again) starts its show clock at 0 ten minutes
    later: the time between the runs is wall time, kept as it was."""
    path = tmp_path / "s.adsession"
    write_session(path, 0.0)
    store = SessionStore(path)
    later = T0 + 600.0
    store.record_show_events(
        [ShowEventRecord("run2-1", "segment_started", later, event_record(
            SegmentStarted(0.0, 2, "Thanks", "MUG", 20)))]
    )  # fmt: skip
    line = OrderLine("MUG", 1, Decimal("12.50"), "MUG")
    store.write_batch("json", [Order("json", "o9", "USD", line.amount, (line,))], "9", later + 5)
    store.close()
    as_json = build_report(path).to_json()
    assert as_json["duration_s"] == 605.0
    assert as_json["orders_per_minute"][-1] == 1


@pytest.mark.parametrize("language", ["en", "zh_CN", "ja"])
def test_the_windows_summary_lists_every_product_and_deal_of_the_report(
    tmp_path: Path, language: str
) -> None:
    # Before: the report dialog's summary was the report's first ten lines, which cut the
    # products table after its first row (a show that sold only its second product showed
    # "MUG 0 $0.00" under its GMV) and never reached the deals.
    path = tmp_path / "show.adsession"
    write_session(path, 0.0)
    summary = session_summary(path, "live", language)
    text = report_text(build_report(path), language).splitlines()
    shown = "\n".join(summary.session_lines)
    for sku, count in (("MUG", 1), ("CAP", 2)):  # each product's row, and CAP's deal row
        rows = [line for line in text if line.strip().startswith(sku + " ")]
        assert len(rows) == count, text
        assert all(row in summary.session_lines for row in rows), (sku, shown)
    # The timing table is the dialog's own left side, not repeated in the summary.
    assert not any(line.strip().startswith("1. Opening") for line in summary.session_lines)
