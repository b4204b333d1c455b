"""Rehearsal timing: what each segment actually took, next to its plan.

The controller records every segment change with the monotonic time it happened
(:class:`SegmentClock`); at the end of a rehearsal ``show.timing.segment_timings`` folds those
changes into one row per segment (a segment visited twice adds both visits up). No Qt here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

# The computation lives below ui/ so the session report (and `anchordesk report`) shares it.
from anchordesk.show.timing import (
    SegmentTiming,
    format_difference,
    format_duration,
    segment_timings,
)

__all__ = [
    "SegmentClock",
    "SegmentTiming",
    "format_difference",
    "format_duration",
    "segment_timings",
    "timings_html",
]


class SegmentClock:
    """Remembers when the show entered each segment (monotonic seconds)."""

    def __init__(self) -> None:
        self._changes: list[tuple[int, float]] = []
        self._ended_at_s: float | None = None

    def enter(self, index: int, now_s: float) -> None:
        if self._changes and self._changes[-1][0] == index:
            return
        self._changes.append((index, now_s))
        self._ended_at_s = None

    def end(self, now_s: float) -> None:
        self._ended_at_s = now_s

    @property
    def started(self) -> bool:
        return bool(self._changes)

    def changes(self) -> list[tuple[int, float]]:
        return list(self._changes)

    def ended_at_s(self, now_s: float) -> float:
        return self._ended_at_s if self._ended_at_s is not None else now_s


def timings_html(
    title: str, timings: Sequence[SegmentTiming], headers: tuple[str, str, str, str]
) -> str:
    """A self-contained page (saved next to the session report). ``headers`` come translated."""
    rows = []
    for timing in timings:
        colour = "#c62828" if timing.difference_s > 0.5 else "#2e7d32"
        rows.append(
            f"<tr><td>{html.escape(timing.title)}</td>"
            f"<td>{format_duration(timing.planned_s)}</td>"
            f"<td>{format_duration(timing.actual_s)}</td>"
            f"<td style='color:{colour}'>{format_difference(timing.difference_s)}</td></tr>"
        )
    total_plan = sum(t.planned_s for t in timings)
    total_actual = sum(t.actual_s for t in timings)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    return (
        "<!doctype html><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:4px 12px;text-align:left}</style>"
        f"<h1>{html.escape(title)}</h1><table><tr>{head}</tr>{''.join(rows)}"
        f"<tr><th></th><th>{format_duration(total_plan)}</th>"
        f"<th>{format_duration(total_actual)}</th>"
        f"<th>{format_difference(total_actual - total_plan)}</th></tr></table>"
    )
