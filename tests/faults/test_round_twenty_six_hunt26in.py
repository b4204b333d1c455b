"""Round twenty-six, inputs (R26hunt26in): the fixes of its findings and leftovers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

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
