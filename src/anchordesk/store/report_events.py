"""The show events a session kept, read for the report: segment starts put back where a file
lost them, and each segment's actual time against its plan."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from anchordesk.show.board import RunSheet
from anchordesk.show.model import Show
from anchordesk.show.timing import SegmentTiming, segment_timings
from anchordesk.store.report_clock import in_era, show_clock_s
from anchordesk.store.session import ShowEventRecord


def restore_missing_segment_starts(
    events: list[ShowEventRecord], show: Show | None
) -> list[ShowEventRecord]:
    """Put back the start of a segment the session file lost.

    The window used to attach its session recorder after the picture had already started the
    show, so the show's start events (the first segment's ``segment_started`` among them)
    never reached files it wrote. A segment that ended without having started is put back at
    its end minus its elapsed time (``segment_ended`` carries both); when no segment start
    was kept at all, the show started on its first segment at the first event kept. Files
    written since the fix hold every start and pass through unchanged.
    """
    if show is None or not show.rundown:
        return events
    restored: list[ShowEventRecord] = []
    open_index: int | None = None
    for event in events:
        if event.kind == "segment_started":
            open_index = _int(event.data.get("index"))
        elif event.kind == "segment_ended":
            index = _int(event.data.get("index"))
            if index is not None and index != open_index and 0 <= index < len(show.rundown):
                elapsed_s = show_clock_s(event.data.get("elapsed_s")) or 0.0
                restored.append(_segment_start(show, index, event, elapsed_s))
            open_index = None
        restored.append(event)
    if restored and not any(e.kind == "segment_started" for e in restored):
        first = min(restored, key=lambda e: e.at)
        restored.insert(0, _segment_start(show, 0, first, 0.0))
    return restored


def _segment_start(
    show: Show, index: int, anchor: ShowEventRecord, before_s: float
) -> ShowEventRecord:
    segment = show.rundown[index]
    data: dict[str, Any] = {
        "index": index,
        "title": segment.title,
        "sku": segment.sku,
        "planned_s": segment.seconds,
    }
    at_s = show_clock_s(anchor.data.get("at_s"))
    if at_s is not None:
        data["at_s"] = at_s - before_s
    return ShowEventRecord(
        f"restored:{anchor.id}", "segment_started", anchor.at - before_s, data, anchor.source
    )


def session_timings(
    show: Show | None, events: list[ShowEventRecord], ended_at: float | None
) -> list[SegmentTiming]:
    """Each planned segment's actual time, from the segment starts the session kept.

    Times are read on the show clock (``at_s``: when a change took effect, e.g. a segment's
    planned start under autoplay) when every start carries it, else on the wall clock. The
    last segment runs until autoplay finished the show, or else until the last thing the
    session recorded.
    """
    if show is None or not show.rundown:
        return []
    # An event kept at a wall time no clock writes (a damaged page, a hand edit: 1.8e308) is
    # no moment of the show: a segment then "lasted" for ever and the report ended in
    # "OverflowError: cannot convert float infinity to integer".
    events = _one_show_clock([e for e in events if in_era(e.at)])
    starts = sorted(
        (
            e
            for e in events
            if e.kind == "segment_started" and _int(e.data.get("index")) is not None
        ),
        key=lambda e: e.at,
    )
    if not starts:
        return []
    on_show_clock = all(show_clock_s(e.data.get("at_s")) is not None for e in starts)

    def moment(event: ShowEventRecord) -> float:
        at_s = show_clock_s(event.data.get("at_s"))
        return at_s if on_show_clock and at_s is not None else event.at

    # Each start counts for the row of the run sheet it was a visit of (``RunSheet.row``): a
    # session continued after its run sheet was reordered read the times by position alone,
    # "1. Cup 1:30" with the mug's minute in it and "2. Mug 4:00" with the cup's four.
    rows = RunSheet(segment.title for segment in show.rundown)

    def row(start: ShowEventRecord) -> int:
        found = rows.row(_int(start.data.get("index")) or 0, start.data.get("title"))
        return -1 if found is None else found

    changes = sorted(((row(e), moment(e)) for e in starts), key=lambda c: c[1])
    if on_show_clock:
        clocked = [(e.at, show_clock_s(e.data.get("at_s"))) for e in events]
        known = [(wall, at_s) for wall, at_s in clocked if at_s is not None]
        end = max(at_s for _, at_s in known)
        if ended_at is not None:
            # The wall clock's last moment, carried onto the show clock by the latest event.
            latest_wall, latest_s = max(known)
            end = max(end, latest_s + (ended_at - latest_wall))
    else:
        end = ended_at if ended_at is not None else changes[-1][1]
    # The show finished by the run of the last segment start (kept after it): a run before
    # it that finished (a session stopped, then continued) ended nothing of the last run. Laid
    # on the one show clock, its finish is at the very moment the next run began, and the
    # last run's time was all lost ("Mug 1:00" for a killed second run of four minutes).
    last_kept = max(e.at for e in starts)
    finished = [moment(e) for e in events if e.kind == "show_finished" and e.at >= last_kept]
    last_start = changes[-1][1]
    if finished and max(finished) >= last_start:
        end = max(finished)
    return segment_timings(
        [(segment.title, float(segment.seconds)) for segment in show.rundown], changes, end
    )


def _one_show_clock(events: list[ShowEventRecord]) -> list[ShowEventRecord]:
    """A session continued by a new run (``live --session`` after a kill -9) holds one show
    clock per run, each from 0: laid end to end here, each run from where the one before was
    last heard of (its last row), so the time between two runs counts in no segment. Read
    as one clock, both runs' first segment started at 0 and the second run's time was all the
    report gave it (0:11 of the 24 s the segment ran)."""
    shift = 0.0
    last_s: float | None = None  # the latest moment of the run so far, on the one clock
    offset: float | None = None  # wall time minus the one clock, in this run
    shifts: dict[int, float] = {}
    for event in events:  # in the order kept: a run's rows all come after the run before's
        at_s = show_clock_s(event.data.get("at_s"))
        if at_s is not None and event.kind == "show_started" and last_s is not None:
            shift = last_s - at_s
        if at_s is not None:
            last_s = at_s + shift if last_s is None else max(last_s, at_s + shift)
            offset = event.at - (at_s + shift)
        elif offset is not None and last_s is not None:
            last_s = max(last_s, event.at - offset)  # a row of the run with no show time
        shifts[id(event)] = shift
    return [
        replace(event, data={**event.data, "at_s": at_s + shifts[id(event)]})
        if shifts[id(event)] and (at_s := show_clock_s(event.data.get("at_s"))) is not None
        else event
        for event in events
    ]


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError, OverflowError):
        return None
