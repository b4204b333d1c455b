"""The generic protocol's ``viewers`` and ``comment_removed`` items, read from a local server
speaking it: counts kept once by id (or by time), unreadable counts skipped and counted with
their neighbours kept, removals naming a comment or an author."""

from __future__ import annotations

import asyncio

import httpx
from feed_servers import JsonFeedServer
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.show.feed_items import Comment, CommentRemoval, ViewerStats


def test_viewer_counts_and_removals_from_the_generic_feed() -> None:
    server = JsonFeedServer()
    with server:
        for raw in (
            {"type": "viewers", "at": "2026-11-28T20:03:15+08:00", "online": 1834,
             "entered": 5210, "likes": 18022, "follows": 96},
            {"type": "viewers", "at": "2026-11-28T20:03:20+08:00", "online": "1840"},
            {"type": "viewers", "at": "2026-11-28T20:03:25+08:00", "online": -3},
            {"type": "viewers", "online": 12},  # neither at nor id
            {"type": "viewers", "id": 7, "online": 1850, "likes": 1.5},
            {"type": "comment", "id": "c-1", "text": "spam", "author_id": "u-9"},
            {"type": "comment_removed", "id": "rm-1", "comment_id": "c-1"},
            {"type": "comment_removed", "id": "rm-2", "author_id": "u-9", "author": "x"},
            {"type": "comment_removed", "id": "rm-3"},  # names nothing
        ):  # fmt: skip
            server.add_raw(raw)
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, fake)
                await poller.poll_once()
                assert poller.health.malformed_items == 4

        asyncio.run(scenario())
    samples = [item for item in sink.items if isinstance(item, ViewerStats)]
    assert [(s.id, s.online) for s in samples] == [
        ("at:2026-11-28T20:03:15+08:00", 1834),
        ("at:2026-11-28T20:03:20+08:00", 1840),
    ]
    assert (samples[0].entered, samples[0].likes, samples[0].follows) == (5210, 18022, 96)
    assert samples[1].entered is None
    (comment,) = [item for item in sink.items if isinstance(item, Comment)]
    assert comment.author_id == "u-9"
    removals = [item for item in sink.items if isinstance(item, CommentRemoval)]
    assert [(r.reason, r.comment_id, r.author_id) for r in removals] == [
        ("deleted", "c-1", ""),
        ("banned", "", "u-9"),
    ]
