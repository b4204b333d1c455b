"""Rehearsal timing: what each segment actually took, next to its plan.

The controller records every segment change with the monotonic time it happened
(:class:`SegmentClock`); at the end of a rehearsal :func:`segment_timings` folds those changes
into one row per segment (a segment visited twice adds both visits up). No Qt here: the
report's numbers are tested without a window.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from anchordesk.live.reports import SegmentTiming


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


def segment_timings(
    plan: Sequence[tuple[str, float]],
    changes: Sequence[tuple[int, float]],
    ended_at_s: float,
) -> list[SegmentTiming]:
    """One row per planned segment: ``plan`` is (title, planned seconds) in rundown order,
    ``changes`` the (segment index, time entered) in the order they happened."""
    actual = [0.0] * len(plan)
    for position, (index, entered_s) in enumerate(changes):
        left_s = changes[position + 1][1] if position + 1 < len(changes) else ended_at_s
        if 0 <= index < len(plan):
            actual[index] += max(0.0, left_s - entered_s)
    return [
        SegmentTiming(index=i, title=title, planned_s=planned_s, actual_s=actual[i])
        for i, (title, planned_s) in enumerate(plan)
    ]


def format_duration(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    return f"{sign}{whole // 60}:{whole % 60:02d}"


def format_difference(seconds: float) -> str:
    return ("+" if seconds >= 0.5 else "") + format_duration(seconds)


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
