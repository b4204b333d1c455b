"""The report's time line without the wall clock's steps.

Every row of a session keeps the wall clock of when it was kept; an NTP step or a user fixing
the clock mid-show moves that clock by minutes or hours, and a report that takes durations
from it said "Duration 60:20" for a 20 s show, or put the first segment at "Start 59:48".
The run sheet's show events also carry the show clock (``at_s``: monotonic seconds of
the show), which no step moves. Between two such events in the order they were kept, the
difference of the two clocks stays put, save for a step: there, the wall clock moved and
the show clock did not. Each step is taken back from every time kept after it, so durations,
minutes and segment starts are the show's; the first wall time is still when it started.

A row with no show clock of its own (a comment, an order) is placed by its wall time in the
order its table kept it: past the step once its time only fits after it (a forward step
leaves a gap no row falls in; a backward one makes times fall back), before it otherwise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from anchordesk.store.session import ShowEventRecord

# A change of the clocks' difference below this is not taken for a step: the two clocks'
# jitter (an event kept a few frames after the moment it names, a stalled picture), or a
# session whose first events were kept late. A step that matters to a report of minutes (an
# NTP step at boot, a clock set by hand, a time zone set as UTC) is larger.
STEP_S = 30.0
# The events whose show clock is the moment they were kept: the run sheet's own changes. An
# event an order caused (stock_changed, a deal sold out) carries the show time of the last
# frame before it, which lags when the show clock is driven by hand, so it names no moment.
_CLOCKED_KINDS = frozenset({"show_started", "segment_started", "segment_ended", "show_finished"})
# A run's heartbeat (kept by the run continuing the file, or read by the report): its wall
# and show clocks read together, but up to a beat behind the run's last change, so never a
# new run of its own.
_HEARD_KIND = "run_last_heard"
# The show clock restarts at 0 when a session is continued by a new run: not a step.
_RESTART_S = 1.0
# How far after the run before's last moment a run set back between runs is read to start.
_AFTER_S = 0.001
# The wall times this program's era writes (1970: a clock never set; 2200-01-01). A time
# outside (a hand edit, a damaged page) is no clock of the show: taken for a step it moved
# every later time by 1e308 s, to infinity, and the report ended in "cannot convert float NaN
# to integer". Such a row still counts, with the time it has.
EARLIEST_TIME_S = 0.0
LATEST_TIME_S = 7_258_118_400.0


def in_era(wall: float) -> bool:
    """A wall time a clock of this program's era can have written (False for NaN too)."""
    return EARLIEST_TIME_S <= wall <= LATEST_TIME_S


T = TypeVar("T")


@dataclass
class _Epoch:
    correction_s: float  # taken from a wall time of this stretch
    offset_s: float  # wall minus show clock in this stretch
    first_show_s: float  # the show clock of its first event
    last_show_s: float  # and of its last


class SteadyClock:
    """Wall times of one session with the steps taken out (``times``)."""

    def __init__(self, events: Sequence[ShowEventRecord]) -> None:
        self._epochs: list[_Epoch] = []
        self._event_epoch: dict[str, int] = {}
        previous: tuple[float, float] | None = None  # (show clock, offset)
        correction = 0.0
        latest = -math.inf  # the run's latest row so far, steadied (a deal its end cut off)
        for event in events:
            at_s = show_clock_s(event.data.get("at_s"))
            if event.kind == _HEARD_KIND and at_s is not None and in_era(event.at):
                if self._epochs and abs(event.at - at_s - self._epochs[-1].offset_s) <= STEP_S:
                    # The run was alive then: its stretch lasts until there.
                    before = self._epochs[-1]
                    before.last_show_s = max(before.last_show_s, at_s)
                    latest = max(latest, event.at - correction)
                    if previous is not None and at_s > previous[0]:
                        previous = (at_s, previous[1])
                continue
            if event.kind not in _CLOCKED_KINDS or at_s is None or not in_era(event.at):
                if self._epochs and in_era(event.at):
                    before = self._epochs[-1]
                    # Near the run's clocked span only: a damaged row in 2150 is no moment.
                    if event.at - before.offset_s <= before.last_show_s + STEP_S:
                        latest = max(latest, event.at - correction)
                continue
            offset = event.at - at_s
            restart = event.kind == "show_started" and previous is not None
            if previous is None or restart or at_s < previous[0] - _RESTART_S:
                # The first, or a new run of the session: a new show clock, the wall clock
                # as it now is (the time between two runs is wall time). A run that starts
                # before the one before it was last heard of had its wall clock set back in
                # between (a clock that ran ahead, fixed): its rows read before the other
                # run's, the report replayed them first, and the killed run's deal cut off
                # was "stopped by the operator" by its own start an hour later. That run
                # starts just after the one before ended (the time between them is unknown).
                if self._epochs:
                    before = self._epochs[-1]
                    ended = before.offset_s + before.last_show_s - before.correction_s
                    ended = max(ended, latest)
                    if event.at - correction <= ended:
                        # Just after: a tie put this run's deal start before the end of the
                        # deal of the same id the run before kept (starts go first).
                        correction = event.at - ended - _AFTER_S
                latest = -math.inf
                self._epochs.append(_Epoch(correction, offset, at_s, at_s))
            elif abs(offset - previous[1]) > STEP_S:
                correction += offset - previous[1]
                self._epochs.append(_Epoch(correction, offset, at_s, at_s))
            epoch = self._epochs[-1]
            epoch.last_show_s = max(epoch.last_show_s, at_s)
            self._event_epoch[event.id] = len(self._epochs) - 1
            previous = (at_s, offset)

    @property
    def steps(self) -> int:
        """How many times the wall clock was set during the session."""
        return sum(
            1
            for before, after in zip(self._epochs, self._epochs[1:], strict=False)
            if after.correction_s != before.correction_s
        )

    def _distance(self, index: int, wall: float) -> float:
        """How far ``wall``, read in stretch ``index``, falls from that stretch's show time."""
        epoch = self._epochs[index]
        show_s = wall - epoch.offset_s
        end = epoch.last_show_s
        if index + 1 < len(self._epochs):
            end = max(end, self._epochs[index + 1].first_show_s)
        return max(0.0, epoch.first_show_s - show_s, show_s - end)

    def times(self, walls: Sequence[float], known: Sequence[int | None] = ()) -> list[float]:
        """Each wall time (of one table, in the order it was kept) without the steps.
        ``known``: the stretch a row belongs to when it says so itself (a show event).

        A row belongs to the stretch where its time reads closest to that stretch's show
        time, never to one before the stretch of a row its table kept earlier, nor where it
        would read earlier than that row."""
        if self.steps == 0:
            return list(walls)
        steady: list[float] = []
        epoch = 0
        last_s = -math.inf  # the show time of the row before
        for index, wall in enumerate(walls):
            if not in_era(wall):
                steady.append(wall)
                continue
            own = known[index] if index < len(known) else None
            epoch = max(epoch, own) if own is not None else self._stretch_of(wall, epoch, last_s)
            last_s = wall - self._epochs[epoch].offset_s
            steady.append(wall - self._epochs[epoch].correction_s)
        return steady

    def _stretch_of(self, wall: float, epoch: int, last_s: float) -> int:
        """The stretch, from ``epoch`` on, where ``wall`` reads closest to its show time (the
        first such), preferring one where it does not read earlier than the row before
        (``last_s``): a time that falls back behind that row (a backward step between two
        events far apart) reads in a later stretch, where it fits.

        The scan stops at the first stretch the time falls inside (distance 0: none later can
        be closer), which for almost every row is the stretch of the row before: a report of
        a session with many steps took rows x steps (a fuzzed session: minutes)."""
        best: tuple[float, int] | None = None
        for k in range(epoch, len(self._epochs)):
            if wall - self._epochs[k].offset_s < last_s - STEP_S:
                continue
            distance = self._distance(k, wall)
            if distance == 0.0:
                return k
            if best is None or distance < best[0]:
                best = (distance, k)
        if best is not None:
            return best[1]
        return min(range(epoch, len(self._epochs)), key=lambda k: self._distance(k, wall))

    def events(self, events: Sequence[ShowEventRecord]) -> list[ShowEventRecord]:
        walls = [event.at for event in events]
        known = [self._event_epoch.get(event.id) for event in events]
        return [
            event if at == event.at else replace(event, at=at)
            for event, at in zip(events, self.times(walls, known), strict=True)
        ]

    def rows(self, rows: Sequence[T], wall: Callable[[T], float]) -> list[T]:
        """Kept rows (``received_at``) with their times steadied."""
        steady = self.times([wall(row) for row in rows])
        return [
            row if at == wall(row) else replace(row, received_at=at)  # type: ignore[type-var]
            for row, at in zip(rows, steady, strict=True)
        ]


def json_object(kept: str | None) -> dict[str, Any] | None:
    """A meta value kept as a JSON object (the heartbeat, the feeds' stop reason); None when
    absent, not JSON or not an object (a damaged page, a hand edit)."""
    try:
        value = json.loads(kept) if kept else None
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


# A moment on the show clock beyond this (115 days) is a damaged file, not a show: read as no
# show-clock time, never as a 300-digit duration in the report.
MAX_SHOW_CLOCK_S = 1e7


def show_clock_s(value: object) -> float | None:
    """A show-clock moment JSON kept (``at_s``), or None past ``MAX_SHOW_CLOCK_S`` either way
    or when it is no number."""
    number = json_number(value)
    return number if number is not None and abs(number) <= MAX_SHOW_CLOCK_S else None


def json_number(value: object) -> float | None:
    """A number JSON kept (a show event's data, a meta value) as a finite float; None for
    anything else. JSON's integers have no bound: a 401-digit one (a hand edit, a damaged
    page) ended the report and the resume in "OverflowError: int too large to convert"."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
