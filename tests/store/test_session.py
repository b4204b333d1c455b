"""The session file: each item once, the cursor with its items, exact money, clear errors."""

from __future__ import annotations

import dataclasses
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.show.feed_items import Comment, Order, OrderLine, OrderUpdate, RefundLine
from anchordesk.store import SessionStore, ShowEventRecord, StoreError, StoreWriter
from anchordesk.store.session_check import SCHEMA_VERSION


def comment(n: int, source: str = "json") -> Comment:
    return Comment(source=source, id=f"c{n}", author="小红", text=f"第{n}条？", is_question=True)


def order(n: int, price: str = "19.99", quantity: int = 3, source: str = "json") -> Order:
    line = OrderLine("SERUM-30", quantity, Decimal(price))
    return Order(source, f"o{n}", "CNY", line.amount, (line,))


def test_items_are_stored_once_and_only_new_ones_are_returned(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.adsession")
    first = store.write_batch("json", [comment(1), order(2)], "2")
    again = store.write_batch("json", [comment(1), order(2), comment(3)], "3")
    assert [item.id for item in first] == ["c1", "o2"]
    assert [item.id for item in again] == ["c3"]
    assert store.count("comments") == 2 and store.count("orders") == 1
    assert store.cursor("json") == "3"
    store.close()


def test_the_same_id_from_two_sources_is_two_items(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.adsession")
    store.write_batch("json", [comment(1)], None)
    store.write_batch("youtube-chat", [comment(1, "youtube-chat")], None)
    assert store.count("comments") == 2
    store.close()


def test_a_failed_batch_stores_neither_its_items_nor_its_cursor(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.adsession")
    store.write_batch("json", [comment(1)], "1")
    with pytest.raises(ValueError):
        store.write_batch("json", [comment(2), comment(3, source="other")], "3")
    assert store.cursor("json") == "1"
    assert store.count("comments") == 1
    store.close()


def test_money_and_text_come_back_exactly_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.adsession"
    store = SessionStore(path)
    flagged = dataclasses.replace(comment(3), text="全网最低价", flagged_terms=("最低价", "最"))
    store.write_batch("json", [order(1, "0.10", 3), comment(2), flagged], "3", received_at=1000.5)
    store.close()
    reopened = SessionStore(path, read_only=True)
    (kept,) = reopened.orders()
    assert kept.order.total_price == Decimal("0.30")
    assert kept.order.lines[0].unit_price == Decimal("0.10")
    assert kept.received_at == 1000.5
    assert [said.comment for said in reopened.comments()] == [comment(2), flagged]
    reopened.close()


def test_the_file_uses_write_ahead_logging_while_open_and_is_one_file_when_closed(
    tmp_path: Path,
) -> None:
    """WAL while a run writes (a report read meanwhile does not wait for the writer); a
    plain file once closed, so a read-only reader leaves no ``-wal``/``-shm`` beside it."""
    path = tmp_path / "s.adsession"
    store = SessionStore(path)
    reader = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reader.close()
    store.close()
    reader = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    reader.close()
    assert [p.name for p in tmp_path.iterdir()] == ["s.adsession"]


def test_show_events_are_unique_by_id(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.adsession")
    event = ShowEventRecord("run1-1", "deal_started", 5.0, {"deal_id": "segment-1", "sku": "A"})
    assert store.record_show_events([event, event]) == 1
    assert store.show_events() == [event]
    store.close()


def test_a_file_that_is_not_a_session_is_one_clear_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt"):
        SessionStore(notes, read_only=True)
    with pytest.raises(StoreError, match="no such session file"):
        SessionStore(tmp_path / "missing.adsession", read_only=True)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not an AnchorDesk session"):
        SessionStore(other, read_only=True)


def test_writer_thread_commits_batches_and_events_and_reports_latency(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "s.adsession")
    futures = [writer.submit_batch("json", [comment(n)], str(n)) for n in range(1, 51)]
    event = writer.submit_show_events([ShowEventRecord("e1", "segment_started", 1.0, {})])
    assert all(len(f.result(5)) == 1 for f in futures)
    assert event.result(5) == 1
    assert writer.call(lambda store: store.cursor("json")).result(5) == "50"
    assert writer.write_latencies_ms
    writer.close()
    store = SessionStore(tmp_path / "s.adsession", read_only=True)
    assert store.count("comments") == 50
    store.close()


def test_one_bad_write_in_a_group_does_not_fail_the_others(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "s.adsession")
    # Queue several at once so the writer groups them into one transaction.
    good = writer.submit_batch("json", [comment(1)], "1")
    bad = writer.submit_batch("json", [comment(2, source="elsewhere")], "2")
    later = writer.submit_batch("json", [comment(3)], "3")
    assert len(good.result(5)) == 1 and len(later.result(5)) == 1
    with pytest.raises(ValueError):
        bad.result(5)
    assert writer.call(lambda store: store.count("comments")).result(5) == 2
    writer.close()


def test_an_unwritable_session_path_fails_when_opened(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises((StoreError, OSError)):
        StoreWriter(blocker / "s.adsession")


def test_order_updates_are_kept_once_with_the_cursor_and_come_back_exactly(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.adsession"
    store = SessionStore(path)
    cancel = OrderUpdate("json", "o1", "cancelled", at="2024-05-01T20:03:11+08:00")
    refund = OrderUpdate(
        "json", "o2", "refunded", Decimal("12.50"), "CNY", lines=(RefundLine("SERUM-30", 1),)
    )
    first = store.write_batch("json", [order(1), cancel, refund], "3", received_at=10.0)
    # The same updates again (a re-sent page, a replaying server; "12.5" is "12.50"):
    resent = dataclasses.replace(refund, refund=Decimal("12.5"))
    again = store.write_batch("json", [cancel, resent], "5", received_at=11.0)
    assert [item.id for item in first] == ["o1", "o1:cancelled", "o2:refund=12.5"]
    assert again == []
    assert store.count("order_updates") == 2 and store.cursor("json") == "5"
    store.close()
    reopened = SessionStore(path, read_only=True)
    stored = reopened.order_updates()
    assert [(kept.update, kept.received_at) for kept in stored] == [(cancel, 10.0), (refund, 10.0)]
    reopened.close()


def test_a_session_from_before_order_updates_reads_as_having_none(tmp_path: Path) -> None:
    path = tmp_path / "old.adsession"
    SessionStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE order_updates")
    db.close()
    assert SessionStore(path, read_only=True).order_updates() == []
    store = SessionStore(path)  # opened for writing, it gets the table
    store.write_batch("json", [OrderUpdate("json", "o1", "cancelled")], None)
    assert store.count("order_updates") == 1
    store.close()


def format_1_file(path: Path) -> None:
    """A session as AnchorDesk wrote it before comments kept their author's id (format 1)."""
    store = SessionStore(path)
    store.write_batch("youtube-chat", [comment(1, "youtube-chat")], "p1")
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX comments_by_author")
        db.execute("ALTER TABLE comments DROP COLUMN author_id")
        db.execute("DROP TABLE feeds")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def test_comments_keep_their_author_id_so_a_ban_finds_them_later(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.adsession")
    troll = dataclasses.replace(comment(1, "youtube-chat"), author_id="UCtroll")
    other = dataclasses.replace(comment(2, "youtube-chat"), author_id="UCamy")
    elsewhere = dataclasses.replace(comment(3, "twitch-chat"), author_id="UCtroll")
    store.write_batch("youtube-chat", [troll, other], None)
    store.write_batch("twitch-chat", [elsewhere], None)
    store.close()
    store = SessionStore(tmp_path / "s.adsession", read_only=True)
    try:
        assert [c.comment for c in store.comments()][:2] == [troll, other]
        found = store.comments_of("youtube-chat", author_id="UCtroll")
        assert [c.comment.id for c in found] == ["c1"]  # not the same id on another platform
        assert [c.comment.id for c in store.comments_of("youtube-chat", comment_id="c2")] == ["c2"]
    finally:
        store.close()


def test_a_format_1_session_is_read_as_it_is_and_upgraded_when_written(tmp_path: Path) -> None:
    path = tmp_path / "old.adsession"
    format_1_file(path)
    store = SessionStore(path, read_only=True)  # `anchordesk report`: nothing changes
    try:
        (kept,) = store.comments()
        assert kept.comment.id == "c1" and kept.comment.author_id == ""
        assert store.comments_of("youtube-chat", author_id="UCx") == []
        assert store.meta("schema_version") == "1"
    finally:
        store.close()
    store = SessionStore(path)  # `anchordesk live --session`: brought up to date
    try:
        assert store.meta("schema_version") == str(SCHEMA_VERSION)
        newer = dataclasses.replace(comment(2, "youtube-chat"), author_id="UCx")
        store.write_batch("youtube-chat", [newer], "p2")
        assert [c.comment.author_id for c in store.comments()] == ["", "UCx"]
        assert [c.comment.id for c in store.comments_of("youtube-chat", author_id="UCx")] == ["c2"]
        assert store.cursor("youtube-chat") == "p2"
    finally:
        store.close()
