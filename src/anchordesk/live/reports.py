"""A closed session's summary for the window: plan against actual per segment, the report's
totals and its page — all read back from the session file by the same code as
``anchordesk report``, so the window's report is the board's numbers and the command's report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from anchordesk.core.files import write_text_atomically
from anchordesk.show.timing import SegmentTiming

log = logging.getLogger(__name__)

__all__ = ["SegmentTiming", "SessionSummary", "session_summary"]


@dataclass(frozen=True)
class SessionSummary:
    timings: tuple[SegmentTiming, ...]
    session_lines: tuple[str, ...]  # the report's totals, one line each
    files: tuple[Path, ...] = ()
    mode: str = "rehearsal"
    report_text: str = ""
    html_path: Path | None = None
    gmv_text: str = ""  # the show currency's GMV as the report prints it


def session_summary(path: Path, mode: str, language: str = "en") -> SessionSummary:
    """Read the closed session ``path`` (blocking: call it off the Qt thread) and write its page
    next to it, in ``language``."""
    from anchordesk.core.money import format_money
    from anchordesk.store.report import build_report, report_text
    from anchordesk.store.report_board import board_summary_line
    from anchordesk.store.report_html import report_html
    from anchordesk.store.report_i18n import text as report_words

    report = build_report(path)
    text = report_text(report, language)
    # Everything the report prints before its timing table (the table is the dialog's left
    # side): the totals, every product, every segment and every deal. The first ten lines alone
    # cut the products table after its first row, and a show that sold only its second product
    # read "MUG-350 0 $0.00" under "GMV $544.92".
    timing_heading = f"  {report_words(language, 'timing')}"
    head = text.splitlines()
    if timing_heading in head:
        head = head[: head.index(timing_heading)]
    lines = tuple(line for line in head if line.strip())
    audience = board_summary_line(report, language)
    if audience:
        lines += (f"  {audience}",)  # the data board's figures, as the report has them
    html_path: Path | None = path.with_suffix(".html")
    try:
        assert html_path is not None
        # Whole or not at all: written in place, a disk that filled (as shows fill disks) left
        # a page cut mid-tag, and a FIFO at its name held the report for ever.
        write_text_atomically(html_path, report_html(report, language))
    except OSError as error:
        log.warning(
            "the report page %s cannot be written (%s); the session is kept",
            html_path,
            error.strerror or error,
        )
        html_path = None
    files = (path, html_path) if html_path is not None else (path,)
    gmv = report.ledger.gmv_by_currency.get(report.currency)
    return SessionSummary(
        timings=tuple(report.timings),
        session_lines=lines,
        files=files,
        mode=mode,
        report_text=text,
        html_path=html_path,
        gmv_text=format_money(gmv, report.currency, language) if gmv is not None else "",
    )
