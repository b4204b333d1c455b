"""Plan against actual, one row per planned segment, on any one clock."""

from __future__ import annotations

from anchordesk.show.timing import format_difference, format_duration, segment_timings


def test_revisits_add_up_and_unreached_segments_say_so() -> None:
    plan = [("Opening", 60.0), ("Serum", 300.0), ("Cream", 120.0), ("Goodbye", 60.0)]
    changes = [(0, 10.0), (1, 75.0), (2, 360.0), (1, 400.0)]
    rows = segment_timings(plan, changes, ended_at_s=430.0)
    assert [(r.title, r.actual_s, r.visited) for r in rows] == [
        ("Opening", 65.0, True),
        ("Serum", 315.0, True),  # 285 s, then 30 s more after going back
        ("Cream", 40.0, True),
        ("Goodbye", 0.0, False),
    ]
    assert rows[1].difference_s == 15.0


def test_durations_and_differences_read_like_a_stopwatch() -> None:
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "62:05"
    assert format_difference(85) == "+1:25"
    assert format_difference(-30) == "-0:30"
    assert format_difference(0.3) == format_difference(-0.3) == "0:00"
