"""A closed session's summary for the window: plan against actual per segment, the report's
totals and its HTML page — all read back from the session file, so they equal the board."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentTiming:
    index: int
    title: str
    planned_s: float
    actual_s: float

    @property
    def difference_s(self) -> float:
        return self.actual_s - self.planned_s


@dataclass(frozen=True)
class SessionSummary:
    timings: tuple[SegmentTiming, ...]
    session_lines: tuple[str, ...]  # the report's totals, one line each
    files: tuple[Path, ...] = ()
    mode: str = "rehearsal"
    report_text: str = ""
    html_path: Path | None = None


def session_summary(path: Path, mode: str, language: str = "en") -> SessionSummary:
    """The closed session's report: plan against actual per segment, and the totals."""
    from anchordesk.store.report import build_report, report_text

    report = build_report(path)
    from anchordesk.show.ledger import show_from_snapshot
    from anchordesk.store.session import SessionStore

    store = SessionStore(path, read_only=True)
    try:
        show_json = store.meta("show")
        events = store.show_events()
    finally:
        store.close()
    # Each visit's time as the run sheet measured it (segment_ended events, media time): the
    # same seconds the run sheet dock showed while the session ran.
    spent: dict[int, float] = {}
    for event in events:
        if event.kind == "segment_ended":
            index = int(event.data.get("index", -1))
            spent[index] = spent.get(index, 0.0) + float(event.data.get("elapsed_s", 0.0))
    timings: list[SegmentTiming] = []
    if show_json:
        show = show_from_snapshot(json.loads(show_json))
        for index, segment in enumerate(show.rundown):
            timings.append(
                SegmentTiming(index, segment.title, float(segment.seconds), spent.get(index, 0.0))
            )
    text = report_text(report)
    lines = tuple(line for line in text.splitlines()[:8] if line.strip())
    html_path = path.with_suffix(".html")
    try:
        from anchordesk.store.report_html import report_html

        html_path.write_text(report_html(report), encoding="utf-8")
    except OSError:
        log.exception("cannot write %s", html_path)
        html_path = None  # type: ignore[assignment]
    files = (path, html_path) if html_path is not None else (path,)
    return SessionSummary(tuple(timings), lines, files, mode, text, html_path)
