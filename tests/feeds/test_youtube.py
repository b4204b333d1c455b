"""YouTube against a local server speaking the Data API's JSON: quota units counted and within
the budget (the one-hour figure), quotaExceeded ends the feed at once, the chat id found from a
video, viewer counts once a minute, deletions, bans and Super Stickers.

Time is injected (the poller's fake clock drives the adapter's), so an hour of show runs in
about a second of loopback requests.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
from platform_servers import YouTubeLiveServer
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.youtube import (
    CHAT_LIST_UNITS,
    DEFAULT_UNITS_PER_HOUR,
    VIDEOS_LIST_UNITS,
    YouTubeChatAdapter,
    chat_interval_floor_s,
    hourly_units,
)
from anchordesk.show.feed_items import Comment, CommentRemoval, ViewerStats


def test_a_one_hour_show_spends_what_the_budget_says_and_fits_the_daily_quota() -> None:
    # The server asks for 1 s (a busy chat); the budget decides instead.
    server = YouTubeLiveServer(interval_ms=1000, units_per_hour=None)
    with server:
        server.add_text("amy", "hello")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> YouTubeChatAdapter:
            async with httpx.AsyncClient() as client:
                adapter = YouTubeChatAdapter(
                    server.video_url, server.api_key, clock=fake.clock, wall_clock=fake.clock
                )
                poller = make_poller(adapter, client, sink, fake)
                started = fake.now_s
                while fake.now_s - started < 3600.0:
                    fake.now_s += await poller.poll_once()
                return adapter

        adapter = asyncio.run(scenario())
    floor = chat_interval_floor_s(DEFAULT_UNITS_PER_HOUR, with_viewers=True)
    assert round(floor, 2) == 4.05
    # What the server counted is what the adapter counted (and shows in the feed's status).
    assert adapter.quota_units == server.units
    assert server.units == adapter.chat_calls * CHAT_LIST_UNITS + adapter.videos_calls
    assert server.units <= DEFAULT_UNITS_PER_HOUR + CHAT_LIST_UNITS + VIDEOS_LIST_UNITS
    assert server.units < 10_000 / 2  # two one-hour shows a day fit the default quota
    assert 60 <= adapter.videos_calls <= 62  # one look-up for the chat id, then once a minute
    assert round(hourly_units(floor, with_viewers=True)) == DEFAULT_UNITS_PER_HOUR
    status = adapter.status()
    assert status.quota_units == server.units and f"{server.units:,} quota units" in status.note
    samples = [item for item in sink.items if isinstance(item, ViewerStats)]
    assert len(samples) == adapter.videos_calls - 1 and samples[0].online == 120
    print(f"one-hour show: {server.units} units ({adapter.chat_calls} chat reads)")


def test_quota_exceeded_ends_the_feed_with_a_clear_message_and_no_retry() -> None:
    server = YouTubeLiveServer(daily_quota=12)  # two chat reads, then quotaExceeded
    with server:
        server.add_text("amy", "hi")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                adapter = YouTubeChatAdapter(server.feed_url, server.api_key)
                poller = make_poller(adapter, client, sink, fake)
                health = await poller.run(asyncio.Event())
                assert health.state == "ended"
                assert "quota exceeded" in health.last_error
                assert "15 units" in health.last_error  # the refused call is counted too
                assert server.api_key not in health.last_error

        asyncio.run(scenario())
    assert len(server.requests) == 3  # no retry loop after quotaExceeded


def test_the_chat_id_comes_from_the_video_once_the_chat_opens() -> None:
    server = YouTubeLiveServer()
    server.chat_open = False  # scheduled: no activeLiveChatId yet
    with server:
        server.add_text("amy", "first!")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                adapter = YouTubeChatAdapter(server.video_url, server.api_key, clock=fake.clock)
                poller = make_poller(adapter, client, sink, fake)
                assert await poller.poll_once() == 30.0  # waiting, sparingly
                assert "waiting for the live chat" in adapter.status().note
                server.chat_open = True
                assert await poller.poll_once() == 0.0  # found: read the chat at once
                await poller.poll_once()
                assert adapter.live_chat_id == server.live_chat_id

        asyncio.run(scenario())
    paths = [path for path, _, _ in server.requests]
    assert paths == [server.videos_path, server.videos_path, server.path]
    assert [item.id for item in sink.items if isinstance(item, Comment)] == ["LCC.000001"]


def test_an_ended_broadcast_or_unknown_video_ends_the_feed() -> None:
    server = YouTubeLiveServer()
    server.ended = True
    with server:
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                for url, reason in (
                    (server.video_url, "has ended"),
                    (server.url + "?videoId=nope", "no video"),
                ):
                    poller = make_poller(
                        YouTubeChatAdapter(url, server.api_key), client, sink, fake
                    )
                    health = await poller.run(asyncio.Event())
                    assert health.state == "ended" and reason in health.last_error

        asyncio.run(scenario())


def test_deletions_bans_and_paid_messages_are_read_as_documented() -> None:
    server = YouTubeLiveServer(page_size=20)
    with server:
        keep = server.add_text("amy", "love it")
        spam = server.add_text("troll", "buy followers")
        server.add_text("troll", "more spam")
        server.delete(spam)
        server.ban("troll")
        server.add_super_sticker("ken", 5_000_000, "jpy")
        server.add_super_chat("li", "for the mug", 19_990_000, "USD")
        sink, fake = Collector(), FakeTime()

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                adapter = YouTubeChatAdapter(server.feed_url, server.api_key)
                await make_poller(adapter, client, sink, fake).poll_once()

        asyncio.run(scenario())
    comments = [item for item in sink.items if isinstance(item, Comment)]
    removals = [item for item in sink.items if isinstance(item, CommentRemoval)]
    assert [c.id for c in comments][:3] == [keep, spam, "LCC.000003"]
    assert comments[1].author_id == "UCtroll"
    deleted, banned = removals
    assert (deleted.reason, deleted.comment_id) == ("deleted", spam)
    assert (banned.reason, banned.author_id, banned.author) == ("banned", "UCtroll", "troll")
    sticker, paid = comments[3], comments[4]
    assert sticker.paid_amount == Decimal(5) and sticker.paid_currency == "JPY"
    assert sticker.text == "Thank you!"  # the sticker's alt text stands for the message
    assert paid.paid_amount == Decimal("19.99") and paid.paid_currency == "USD"
