"""Plan against actual: how long each segment of the run sheet really took.

Pure: fed the rundown's plan and the segment changes as they happened (the window's own clock
during a rehearsal, or the ``segment_started`` events a session file kept), it folds them into
one row per planned segment; a segment visited twice adds both visits up. The rehearsal
dialog and the session report (``anchordesk report`` too) show the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentTiming:
    index: int
    title: str
    planned_s: float
    actual_s: float
    visited: bool = True  # False: the show never reached it (actual 0 means "skipped")

    @property
    def difference_s(self) -> float:
        return self.actual_s - self.planned_s


def segment_timings(
    plan: Sequence[tuple[str, float]],
    changes: Sequence[tuple[int, float]],
    ended_at_s: float,
) -> list[SegmentTiming]:
    """One row per planned segment: ``plan`` is (title, planned seconds) in rundown order,
    ``changes`` the (segment index, time entered) in the order they happened, on one clock;
    ``ended_at_s`` is when the last one was left (the end of the show), on the same clock."""
    actual = [0.0] * len(plan)
    visited = [False] * len(plan)
    for position, (index, entered_s) in enumerate(changes):
        left_s = changes[position + 1][1] if position + 1 < len(changes) else ended_at_s
        if 0 <= index < len(plan):
            actual[index] += max(0.0, left_s - entered_s)
            visited[index] = True
    return [
        SegmentTiming(
            index=i, title=title, planned_s=planned_s, actual_s=actual[i], visited=visited[i]
        )
        for i, (title, planned_s) in enumerate(plan)
    ]


def segments_total(timings: Sequence[SegmentTiming], title: str = "") -> SegmentTiming:
    """The run sheet's total row: the plan and the actual times added up (the text report, its
    page and the window's report dialog print this one row)."""
    return SegmentTiming(
        index=-1,
        title=title,
        planned_s=sum(t.planned_s for t in timings),
        actual_s=sum(t.actual_s for t in timings),
    )


def format_duration(seconds: float) -> str:
    """``75`` -> ``1:15``, ``-15`` -> ``-0:15``; minutes go on past an hour (``62:05``), as a
    stopwatch counts."""
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    return f"{sign}{whole // 60}:{whole % 60:02d}"


def stopwatch_text(seconds: float) -> str:
    """Time spent so far (a segment's elapsed time) as a stopwatch shows it: the whole seconds
    gone by (``59.6`` -> ``0:59``), never rounded up to a second not yet reached. The window's
    status bar and run sheet rounded ("1:00" at 59.6 s, and half-way seconds to even: 2.5 s was
    "0:02", 3.5 s "0:04") while the phone, counting on its own, read "0:59"."""
    return format_duration(math.floor(max(0.0, seconds)))


def time_left_text(planned_s: float, elapsed_s: float) -> str:
    """A running segment's time left (``-0:15`` once over its plan): the plan less the
    :func:`stopwatch_text` beside it, so the two always add up to the plan. Rounded on its own,
    59.6 s into a 2:00 segment the teleprompter said "1:00" left beside "0:59" gone by."""
    return format_duration(planned_s - math.floor(max(0.0, elapsed_s)))


def format_difference(seconds: float) -> str:
    """Over the plan with a plus sign (``+0:30``), under it with a minus (``-0:15``)."""
    if abs(seconds) < 0.5:
        return "0:00"  # on time: neither "+0:00" nor "-0:00"
    return ("+" if seconds > 0 else "") + format_duration(seconds)
