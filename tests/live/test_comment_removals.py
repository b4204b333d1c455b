"""What a platform takes down leaves the show: a deleted comment (or every comment of a banned
author) is hidden the way the operator's hide does it — off the pinned picture at once, never
pinnable again, kept in the session with a ``comment_hidden`` event that says why — and the
viewer counts the feeds send are kept in the session file like everything else."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from anchordesk.live.show import CommandRejected
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Comment, CommentRemoval, ViewerStats
from anchordesk.store import SessionStore

from .test_live_show import small_show


def comment(comment_id: str, author_id: str, text: str) -> Comment:
    return Comment("youtube-chat", comment_id, author_id.title(), text, author_id=author_id)


def test_deleted_and_banned_comments_leave_the_picture_and_the_list(tmp_path: Path) -> None:
    show = small_show(tmp_path)
    session = show.begin_session(SessionMode.LIVE)
    assert session is not None
    session.ingest(
        [
            comment("c1", "amy", "Is the serum vegan?"),
            comment("c2", "troll", "fake product"),
            comment("c3", "troll", "scam"),
        ]
    )
    assert len(session.take_new_comments()) == 3
    show.pin_comment("youtube-chat:c1")
    assert show.snapshot().pinned is not None

    session.ingest([CommentRemoval("youtube-chat", "d1", "deleted", comment_id="c1")])
    assert show.snapshot().pinned is None and show.pinned_key is None
    with pytest.raises(CommandRejected, match="hidden"):
        show.pin_comment("youtube-chat:c1")

    session.ingest([CommentRemoval("youtube-chat", "b1", "banned", author_id="troll")])
    # A later comment of the banned author is hidden as it arrives (it never reaches the list).
    session.ingest([comment("c4", "troll", "back again")])
    assert session.take_new_comments() == []
    removed = session.take_removed_comments()
    assert removed == [f"youtube-chat:c{n}" for n in (1, 2, 3, 4)]
    assert session.hidden >= set(removed)

    session.ingest([ViewerStats("youtube-chat", "v@1", 140, at="2026-11-28T20:01:00Z")])
    session.ingest([ViewerStats("youtube-chat", "v@1", 140, at="2026-11-28T20:01:00Z")])  # again
    assert session.viewers_online() == 140
    assert show.snapshot().viewers_online == 140  # what the window and the remote read
    path = asyncio.run(show.end_session())
    show.media.stop()

    store = SessionStore(path, read_only=True)
    try:
        hidden = [e for e in store.show_events() if e.kind == "comment_hidden"]
        reasons = {e.data["comment_id"]: e.data.get("reason") for e in hidden}
        assert reasons == {"c1": "deleted", "c2": "banned", "c3": "banned", "c4": "banned"}
        assert [r.removal.id for r in store.comment_removals()] == ["d1", "b1"]
        (sample,) = store.viewer_samples()
        assert sample.sample.online == 140 and sample.sample.at == "2026-11-28T20:01:00Z"
    finally:
        store.close()


def test_a_ban_after_a_restart_takes_down_the_comments_kept_before_it(tmp_path: Path) -> None:
    # The first run keeps the troll's comments, then the program stops.
    show = small_show(tmp_path)
    session = show.begin_session(SessionMode.LIVE)
    assert session is not None
    session.ingest([comment("c1", "amy", "hello"), comment("c2", "troll", "fake product")])
    session.ingest([comment("c3", "troll", "scam")])
    session.ingest([CommentRemoval("youtube-chat", "d0", "deleted", comment_id="c1")])
    path = asyncio.run(show.end_session())
    show.media.stop()

    # `anchordesk live --session FILE`: a new program; the newest comments kept are the
    # lists' again (round eleven, R11seam F4), the removal below finds them in the file too.
    again = small_show(tmp_path, first_session_path=path)
    resumed = again.begin_session(SessionMode.LIVE)
    assert resumed is not None and resumed.path == path
    assert list(resumed.comments) == [f"youtube-chat:c{n}" for n in (1, 2, 3)]
    resumed.ingest([comment("c4", "troll", "still here")])
    resumed.ingest([CommentRemoval("youtube-chat", "b1", "banned", author_id="troll")])
    assert sorted(resumed.take_removed_comments()) == [f"youtube-chat:c{n}" for n in (2, 3, 4)]
    # The deletion kept before the restart still holds: c1 is hidden, not hidden twice.
    assert "youtube-chat:c1" in resumed.hidden
    # A comment of the banned author that arrives after the restart never reaches the list.
    resumed.ingest([comment("c5", "troll", "new account, same troll")])
    assert [c.id for c in resumed.take_new_comments()] == ["c4"]
    assert resumed.take_removed_comments() == ["youtube-chat:c5"]
    asyncio.run(again.end_session())
    again.media.stop()

    store = SessionStore(path, read_only=True)
    try:
        hidden = [e for e in store.show_events() if e.kind == "comment_hidden"]
        reasons = {e.data["comment_id"]: e.data.get("reason") for e in hidden}
        assert reasons == {"c1": "deleted", "c2": "banned", "c3": "banned", "c4": "banned",
                           "c5": "banned"}  # fmt: skip
        assert {c.comment.id: c.comment.author_id for c in store.comments()}["c2"] == "troll"
    finally:
        store.close()
