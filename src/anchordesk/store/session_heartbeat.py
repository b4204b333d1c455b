"""A running show's heartbeat (meta ``heard``), read by the run continuing the file and by the
report: the moment the show was last known alive, even when nothing was kept for a while.
Without it a quiet stretch (no order, comment or viewer count) before a kill -9 was lost:
"Plan and actual" and a cut-off deal ended at the killed run's last row (R12resume F5).

The show rewrites ``{"run", "at" (wall time), "at_s" (show clock)}`` every few seconds of its
clock (live/show_session.py). What is kept there is trusted only as a moment of the run whose
rows the file holds last, read on that run's clocks:

- A run of an older AnchorDesk (no heartbeat) continuing the file leaves the heartbeat of the
  run before it. Taken for its own, it laid the older run's clock from the other run's wall
  time: "Plan and actual" gave the mug 2:20 for 0:50 of show.
- Its wall time is that run's wall clock: a heartbeat whose wall and show clocks do not keep
  that run's distance (a hand edit, a damaged page) is no moment. One that does is the run's
  own even when later than the clock that reads it (the wall clock set back between runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from anchordesk.store.report_clock import STEP_S, in_era, json_number, json_object, show_clock_s
from anchordesk.store.session import ShowEventRecord

#: The session's meta key a running show rewrites with its heartbeat.
HEARTBEAT_META = "heard"
#: The show event keeping the moment a killed run was last heard of (data: {"run", "at_s"}),
#: kept by the run continuing the file; the report lays the runs' show clocks from it.
RUN_LAST_HEARD = "run_last_heard"
#: How often (seconds of show clock) a running show rewrites it.
HEARTBEAT_EVERY_S = 5.0
# The run sheet's own changes: their show clock is the moment they were kept.
_CLOCKED_KINDS = frozenset({"show_started", "segment_started", "segment_ended", "show_finished"})


@dataclass(frozen=True)
class Heartbeat:
    run: str  # the run's id (the prefix of its show events' ids)
    at: float  # its wall clock then
    at_s: float  # its show clock then


def read_heartbeat(kept: str | None) -> Heartbeat | None:
    """The kept heartbeat as it reads; None when absent or damaged (not JSON, a time outside
    the era, a show clock past 115 days)."""
    beat = json_object(kept)
    if beat is None:
        return None
    run = beat.get("run")
    wall, show_s = json_number(beat.get("at")), show_clock_s(beat.get("at_s"))
    if not isinstance(run, str) or not run or wall is None or show_s is None:
        return None
    if not (in_era(wall) and show_s >= 0.0):
        return None
    return Heartbeat(run[:64], wall, show_s)


def event_run(event: ShowEventRecord) -> str | None:
    """The run that kept a show event of the run sheet (its id is ``RUN-SEQUENCE``)."""
    run, dash, sequence = event.id.rpartition("-")
    return run if dash and run and sequence.isdecimal() else None


def last_heartbeat(
    kept: str | None, events: Sequence[ShowEventRecord], now: float | None = None
) -> Heartbeat | None:
    """The kept heartbeat when it is a moment of the last run the file holds (``events`` in the
    order kept), read on that run's clocks; else None. With ``now`` (the wall clock reading
    it), a heartbeat off that run's clocks (its wall clock set mid-run, a suspended machine)
    still counts when it is not later than now."""
    beat = read_heartbeat(kept)
    if beat is None:
        return None
    last_run: str | None = None
    offset: float | None = None  # wall minus show clock at the last run's latest change
    for event in events:
        at_s = json_number(event.data.get("at_s"))
        if event.kind not in _CLOCKED_KINDS or at_s is None or not in_era(event.at):
            continue
        run = event_run(event)
        if event.kind == "show_started":
            last_run, offset = run, None
        if run is not None and run == last_run:
            offset = event.at - at_s
    if last_run != beat.run or offset is None:
        return None
    if abs((beat.at - beat.at_s) - offset) <= STEP_S or (now is not None and beat.at <= now):
        return beat
    return None
