"""Round twelve of issue 10, the resume: ``anchordesk live --session FILE`` after a kill -9
continues the file with the same figures the report reads (R12resume.md).

Real parts: the session's SQLite file written by the real store writer and read back by the
report; the show's runtime whose scene the picture draws. A kill -9 is a run whose store is
closed without ending the show (what was committed stays), as round eleven's seams do.
"""

from __future__ import annotations

from pathlib import Path

from tests.faults.test_round_eleven_seams import run

from anchordesk.show.feed_items import Comment


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
