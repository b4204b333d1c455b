"""Round twenty-six, inputs (R26hunt26in): the fixes of its findings and leftovers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer, YouTubeChatServer

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report, report_text

TOKEN = "SECRETTOKEN0123456789ABCDEFGHIJ"


def _ingest_with_token(server: JsonFeedServer, session: Path) -> None:
    writer = StoreWriter(session)
    hub = FeedHub(
        [FeedSpec("json", server.url)],
        writer,
        token_lookup=lambda kind: TOKEN,
        backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
    )

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        for _ in range(400):
            await asyncio.sleep(0.01)
            if hub.pollers and hub.pollers[0].cursor == str(len(server.items)):
                break
        stop.set()
        await task

    try:
        asyncio.run(run())
    finally:
        writer.close()


def _longest_part_of_token(text: str) -> int:
    return max((n for n in range(1, len(TOKEN) + 1) if TOKEN[:n] in text), default=0)


def test_a_feed_token_cut_in_two_by_a_rejected_items_size_is_masked_not_shown_in_part(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The hub masked the feed's token in a rejected item after the item was cut to the sizes
    # kept (raw 2,000, id 200): a token the cut fell inside was kept, logged and reported in
    # part ("…SECRETTOK…"); an id over 512 characters skipped the mask altogether.
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw({"type": "order", "id": "o1", "note": "x" * 1950 + TOKEN})
        server.add_raw({"type": "order", "id": "y" * 190 + TOKEN})
        server.add_raw({"type": "comment", "id": TOKEN + "z" * 600, "author": "a", "text": "hi"})
        with caplog.at_level(logging.WARNING):
            _ingest_with_token(server, tmp_path / "s.sqlite")
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        rows = db.execute("SELECT item_id, detail, raw FROM rejected_items").fetchall()
    assert len(rows) == 3
    for row in rows:
        for text in row:
            assert _longest_part_of_token(text) < 4, text[-80:]
    assert _longest_part_of_token(caplog.text) < 4
    report = build_report(tmp_path / "s.sqlite")
    assert len(report.rejected) == 3
    assert _longest_part_of_token(report_text(report)) < 4


def test_a_super_chat_with_an_absurd_amount_is_shown_as_a_comment_and_its_amount_rejected(
    tmp_path: Path,
) -> None:
    # A Super Chat whose amount broke the rule was rejected whole (amountMicros "NaN": its
    # text never shown) or kept as paid with the absurd amount (5,000 digits, negative, a
    # currency with a control character). The comment is kept; its amount rejected, counted.
    server = YouTubeChatServer(interval_ms=10, page_size=20)
    with server:
        sent = {
            "1" + "0" * 5000: "amount_too_large",
            "-5000000": "amount_negative",
            "NaN": "amount_not_a_number",
            "12.5": "amount_too_precise",  # 0.0000125 USD
        }
        for micros in sent:
            server.add_super_chat("bob", f"paid {micros[:6]}", 1, "USD")
            server.messages[-1]["snippet"]["superChatDetails"]["amountMicros"] = micros
        server.add_super_chat("cat", "odd currency", 5_000_000, "US\u0000D")
        server.add_super_chat("dan", "fine", 5_000_000, "USD")
        session = tmp_path / "s.sqlite"
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("youtube-chat", server.feed_url)],
            writer,
            token_lookup=lambda kind: server.api_key,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        )

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            for _ in range(500):
                await asyncio.sleep(0.01)
                with sqlite3.connect(session) as db:
                    if db.execute("SELECT count(*) FROM comments").fetchone()[0] >= 6:
                        break
            stop.set()
            await task

        try:
            asyncio.run(run())
        finally:
            writer.close()
    with sqlite3.connect(session) as db:
        comments = db.execute("SELECT author, text, paid_amount, paid_currency FROM comments")
        rows = sorted(comments.fetchall())
    assert len(rows) == 6
    assert [row[2:] for row in rows if row[0] != "dan"] == [(None, "")] * 5
    assert ("dan", "fine", "5", "USD") in rows
    report = build_report(session)
    reasons = sorted(item.reason for item in report.rejected)
    assert reasons == sorted([*sent.values(), "currency_invalid"])
    assert all("Super Chat" in item.detail for item in report.rejected)
