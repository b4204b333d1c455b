"""Round twelve of issue 10, the resume: ``anchordesk live --session FILE`` after a kill -9
continues the file with the same figures the report reads (R12resume.md).

Real parts: the session's SQLite file written by the real store writer and read back by the
report; the show's runtime whose scene the picture draws. A kill -9 is a run whose store is
closed without ending the show (what was committed stays), as round eleven's seams do.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from tests.faults.seams.test_round_11_seams import order, run

import anchordesk.store.session as session_store
from anchordesk.core.errors import UserError
from anchordesk.live.factory import plan_from_options
from anchordesk.live.options import LiveOptions
from anchordesk.live.show_session import RECENT_COMMENTS
from anchordesk.show.feed_items import Comment
from anchordesk.store.report import build_report


def question(comment_id: str, text: str = "is it microwave safe?") -> Comment:
    return Comment("json", comment_id, "ann", text, is_question=True)


def test_a_question_nobody_answered_before_a_restart_still_waits_on_the_board(
    tmp_path: Path,
) -> None:
    """R12resume F1: a question asked just before a kill -9 was the phone's to pin after the
    same command (round eleven's F4), but no longer on the board's waiting questions, and its
    "a question has waited" prompt never came."""
    path = tmp_path / "show.adsession"
    first, _ = run(path)
    first.ingest([question("q1"), question("q2"), question("q3")])
    # Pinned from the phone (answered on air), as LiveShow.pin_comment keeps it.
    first.record_command("pin_comment", {"id": "json:q2"}, "remote")
    first.board.answered("json:q2")
    first.hide_comment("json:q3", first.comments["json:q3"])
    assert list(first.board.questions) == ["json:q1"]
    first.close_store()  # killed

    again, _ = run(path)
    again.close_store()
    assert list(again.board.questions) == ["json:q1"]


def keep_comments(path: Path, count: int) -> None:
    """``count`` comments kept by a run that was then killed (written as one page)."""
    first, _ = run(path)
    first.ingest([Comment("json", f"c{n}", "bo", f"hello {n}") for n in range(count)])
    first.close_store()


def test_a_continued_session_reads_only_its_newest_comments_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R12resume F2: the resume read every kept comment whole to keep the newest 5,000: a
    session of a million comments (a long show's chat) took 16 s and 1 GB before the show went
    on, on the event loop, and a SIGTERM sent meanwhile stopped the run 15.7 s later
    (benchmarks/session_resume.py prints the time). The count and the rates still count all."""
    path = tmp_path / "show.adsession"
    keep_comments(path, RECENT_COMMENTS + 700)
    built: list[int] = []
    real = session_store.comment_from_row

    def counted(row: Sequence[object]) -> tuple[Comment, float]:
        built.append(1)
        return real(row)

    monkeypatch.setattr(session_store, "comment_from_row", counted)
    again, _ = run(path)
    again.close_store()
    assert len(built) == RECENT_COMMENTS
    assert again.comment_count == len(again.board.comment_times) == RECENT_COMMENTS + 700
    assert next(iter(again.comments)) == "json:c700"  # the newest 5,000, in their order
    assert build_report(path).comments == RECENT_COMMENTS + 700


def test_a_comment_kept_at_no_time_is_skipped_and_listed_at_the_resume(tmp_path: Path) -> None:
    """R12resume F2: the comments' times are read without the comments; a row damaged in its
    time or elsewhere (its flagged words, its paid amount) is still skipped and listed, and
    the board counts the comments the report counts."""
    path = tmp_path / "show.adsession"
    keep_comments(path, 5)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE comments SET received_at = 'soon' WHERE id = 'c1'")
        db.execute("UPDATE comments SET flagged_terms = '{}' WHERE id = 'c2'")
        db.execute("UPDATE comments SET paid_amount = 'lots' WHERE id = 'c3'")
        db.execute(
            "UPDATE comments SET paid_amount = '5.00', paid_currency = 'USD' WHERE id = 'c4'"
        )
    db.close()
    again, _ = run(path)
    again.close_store()
    report = build_report(path)
    assert again.comment_count == len(again.board.comment_times) == report.comments == 2
    assert [(row.table, row.row) for row in report.unreadable_rows] == [
        ("comments", 2),
        ("comments", 3),
        ("comments", 4),
    ]


def test_a_session_another_program_locks_is_refused_before_the_recording_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R12resume F3: after a kill -9, the same command while a database browser (or a backup
    tool) held the session file's write lock: the file's check only read it (a reader never
    waits in SQLite's write-ahead mode), so the recording began, and the session's open said
    the lock 5 s later (exit 2), leaving a stray 274 kB recording (the next run's numbered
    on). The lock is now said before anything starts; the recording file is never made."""
    path = tmp_path / "show.adsession"
    keep_comments(path, 1)
    monkeypatch.setattr(session_store, "LOCK_WAIT_S", 0.02)  # SQLite's busy wait, shortened
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    record = tmp_path / "show.mkv"
    options = LiveOptions(record_path=record, session_path=path, camera="test")
    try:
        with pytest.raises(UserError, match="another program holds this file locked"):
            plan_from_options(options)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not record.exists()
    plan_from_options(options)  # let go: the same command goes on


def test_a_row_kept_in_the_future_does_not_end_a_cut_off_deal_there(tmp_path: Path) -> None:
    """R12resume F4: a deal cut off by a kill -9 ends when the killed run was last heard of
    (round eleven's F2): a damaged row (a hand edit) kept in the year 2150 made that 2150 in
    the continuing run (the board: a deal of 124 years), while the report, reading its rows
    in time order, had the deal stopped by the next run's start. What was heard is before now."""
    path = tmp_path / "show.adsession"
    first, runtime = run(path)
    runtime.start_deal(sku="MUG", price=Decimal("20.00"), seconds=600)  # "deal-1"
    first.ingest([order("A", 1, "20.00"), order("B", 1, "24.00")])
    first.close_store()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET received_at = 5.6e9 WHERE id = 'B'")  # year 2147
    db.close()

    again, _ = run(path)
    started = time.time()
    kept = [(deal.deal_id, deal.end_reason, deal.ended_at) for deal in again.ledger.deals]
    again.close_store()
    report = build_report(path)
    assert [(deal.deal_id, deal.end_reason, deal.ended_at) for deal in report.ledger.deals] == kept
    cut = [ended for deal_id, reason, ended in kept if deal_id == "deal-1"]
    assert cut and cut[0] is not None and cut[0] <= started
    assert [reason for deal_id, reason, _ in kept if deal_id == "deal-1"] == ["interrupted"]
