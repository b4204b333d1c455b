"""Round four, feed inputs against the poller on a loopback server (issue 10: "a new round
of the same kinds of input finds nothing new").

Found: a server answering ``more: true`` while alternating between two cursors (A, B, A, B…)
with no item was asked again at once, forever: each page "moved" the cursor. A cursor already
passed since the last new item is no progress now. Time is injected: the waits are asserted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from feed_servers import Fault, JsonFeedServer
from platform_servers import TwitchServer, wait_until
from test_poller import Collector
from test_twitch import feed_for, run_with

from anchordesk.core.errors import UserError
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.poller import Page, Poller
from anchordesk.feeds.spec import parse_feed
from anchordesk.feeds.twitch import SUBSCRIPTIONS, TwitchChatFeed
from anchordesk.show.feed_items import Comment

from ..network.test_round_03_http import poll_shopify_linking_to
from .test_feed_limits import FakeTime, Sink, poller

pytestmark = pytest.mark.integration


def _delays(pages: list[bytes]) -> list[float]:
    server = JsonFeedServer(poll_ms=1000)
    sink, fake = Sink(), FakeTime()
    with server:
        server.inject(*[Fault("malformed", body=page) for page in pages])

        async def scenario() -> list[float]:
            async with httpx.AsyncClient() as client:
                feed = poller(server.url, client, sink, fake)
                return [await feed.poll_once() for _ in pages]

        return asyncio.run(scenario())


def test_two_cursors_in_turn_with_more_are_asked_at_the_normal_interval() -> None:
    pages = [
        b'{"items": [], "next": "%s", "more": true}' % b"AB"[i % 2 : i % 2 + 1] for i in range(12)
    ]
    delays = _delays(pages)
    assert delays[:2] == [0.0, 0.0], "A then B are new cursors: asked at once"
    assert delays[2:] == [1.0] * 10, "back at A with nothing new: the normal interval"


def test_a_cycle_of_long_cursors_is_remembered_and_not_hammered() -> None:
    long = [b"X" * 5_000, b"Y" * 5_000]
    pages = [b'{"items": [], "next": "%s", "more": true}' % long[i % 2] for i in range(4)]
    assert _delays(pages) == [0.0, 0.0, 1.0, 1.0]


def test_a_megabyte_cursor_is_refused_not_stored_and_the_feed_goes_on() -> None:
    """Before: httpx.InvalidURL (not an httpx.HTTPError) escaped the poller at the next call:
    the feed's task died for the session, and the stored cursor killed it again on restart."""
    huge = b"Z" * 1_000_000
    page = b'{"items": [{"type": "comment", "id": "c1", "text": "hi"}], "next": "%s"}' % huge
    server = JsonFeedServer(poll_ms=1000)
    sink, fake = Sink(), FakeTime()
    with server:
        server.inject(Fault("malformed", body=page), Fault("malformed", body=page))

        async def scenario() -> list[float]:
            async with httpx.AsyncClient() as client:
                feed = poller(server.url, client, sink, fake)
                delays = [await feed.poll_once() for _ in range(2)]
                assert feed.cursor is None, "the cursor that cannot be sent is not kept"
                assert feed.health.last_error == (
                    "malformed response: its next cursor (1,000,000 characters) is too long "
                    "to send back"
                )
                return delays

        delays = asyncio.run(scenario())
    assert delays[0] > 0 and delays[1] > delays[0], "asked again after the backoff"
    assert sink.items == [], "the page is asked again, not half stored"


def test_a_session_that_already_holds_a_megabyte_cursor_does_not_end_the_feed() -> None:
    server = JsonFeedServer(poll_ms=1000)
    with server:

        async def scenario() -> tuple[float, str | None]:
            async with httpx.AsyncClient() as client:
                feed = poller(server.url, client, Sink(), FakeTime())
                feed.cursor = "Z" * 1_000_000  # as a session of an older version stored it
                return await feed.poll_once(), feed.health.last_error

        delay, error = asyncio.run(scenario())
    assert delay > 0
    assert error is not None and error.startswith("the request cannot be sent (")


def test_a_new_item_makes_a_cursor_seen_before_progress_again() -> None:
    empty = b'{"items": [], "next": "%s", "more": true}'
    item = b'{"items": [{"type": "comment", "id": "c1", "text": "hi"}], "next": "A", "more": true}'
    pages = [empty % b"A", empty % b"B", item, empty % b"B"]
    assert _delays(pages) == [0.0, 0.0, 0.0, 0.0], "a real catch-up is never slowed"


@pytest.mark.parametrize("link", ["https://[::1/orders.json", "//[zz/x", "https://["])
def test_a_shopify_next_link_that_is_no_url_is_a_malformed_page_not_a_dead_feed(
    link: str,
) -> None:
    """Before: urljoin/urlsplit raised ValueError ("Invalid IPv6 URL", "Port out of range")
    out of the adapter's parse, past the poller: every feed of the session stopped."""
    poller = poll_shopify_linking_to(link)
    error = poller.health.last_error or ""
    assert error.startswith("malformed response: the next page's link is not a URL"), error


def test_an_error_no_rule_foresaw_retries_that_feed_and_never_ends_the_loop() -> None:
    """The poller promises that nothing but stop or the feed's end stops its loop; one
    exception out of an adapter (findings above: InvalidURL, ValueError) ended the hub's
    gather, every feed with it, without a line in the log."""
    server = JsonFeedServer(poll_ms=1000)
    fake = FakeTime()
    calls: list[int] = []

    class Broken(JsonFeedAdapter):
        def parse(self, response: httpx.Response, cursor: str | None) -> Page:
            calls.append(1)
            if len(calls) < 3:
                raise RuntimeError("a case nobody wrote a rule for")
            return super().parse(response, cursor)

    with server:
        server.add_comment("viewer", "hello")

        async def scenario() -> tuple[Poller, Sink]:
            sink = Sink()
            stop = asyncio.Event()
            async with httpx.AsyncClient() as client:
                feed = Poller(
                    Broken(server.url, None), client, sink, clock=fake.clock, sleep=fake.sleep,
                    unit_random=lambda: 0.0,
                )  # fmt: skip

                async def stop_when_read() -> None:
                    while not sink.items:
                        await asyncio.sleep(0.01)
                    stop.set()

                await asyncio.wait_for(asyncio.gather(feed.run(stop), stop_when_read()), 10)
            return feed, sink

        feed, sink = asyncio.run(scenario())
    assert [item.id for item in sink.items] == ["c1"], "asked again after the error, and read"
    assert feed.health.errors == 2


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("json=http://[::1/feed", "an IPv6 address in a URL is written in [brackets]"),
        ("json=http://127.0.0.1:abc/feed", "the port 'abc' is not a number from 1 to 65535"),
        ("json=http://127.0.0.1:1/f\x01", "the URL holds a control character at character 21"),
        ("twitch-chat=wss://[::1/x", "an IPv6 address in a URL is written in [brackets]"),
    ],
    ids=["bracket", "port", "control", "push"],
)
def test_a_feed_url_no_client_can_ask_is_refused_at_start(url: str, said: str) -> None:
    """Before: `http://[::1/feed` ended `anchordesk live` with a FeedSetupError traceback when
    the session started; a port `abc` or a control character was retried for the whole show."""
    with pytest.raises(UserError) as refused:
        parse_feed(url)
    assert said in str(refused.value) and "127.0.0.1" not in str(refused.value)


def test_a_usable_feed_url_with_a_query_is_taken() -> None:
    assert parse_feed("json=http://127.0.0.1:8/feed?x=1").url == "http://127.0.0.1:8/feed?x=1"


@pytest.mark.parametrize(
    "frame",
    [
        {"metadata": {"message_id": "m1", "message_type": "session_reconnect"}},
        {
            "metadata": {"message_id": "m2", "message_type": "session_reconnect"},
            "payload": {"session": None},
        },
    ],
    ids=["no payload", "null session"],
)
def test_a_twitch_session_reconnect_without_its_url_is_skipped_not_the_end(
    frame: dict[str, Any],
) -> None:
    """Before: KeyError/TypeError out of the message loop ended the Twitch feed's task (and,
    in the hub, every feed); the next chat message never arrived."""
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        await server.connections[-1].send(json.dumps(frame))
        await server.chat("msg-9", "42", "Amy", "still here")
        await asyncio.wait_for(
            wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))(), 5
        )

    feed = run_with(server, lambda: feed_for(server), sink, script)
    assert feed.health.malformed_responses == 1 and feed.reconnects == 0


def test_a_poll_ms_too_large_for_a_float_is_the_longest_wait_not_a_refused_page() -> None:
    """Before: `poll_ms` of 401 digits made float() raise OverflowError out of the page's
    parse: the page (and its comment) was refused for ever (before the guard above: every feed
    ended). Now the wait is clamped to the longest, as `1e12` already was."""
    page = (
        b'{"items": [{"type": "comment", "id": "c1", "text": "hi"}], "next": "1", "poll_ms": 1'
        + b"0" * 400
        + b"}"
    )
    server = JsonFeedServer(poll_ms=1000)
    sink, fake = Sink(), FakeTime()
    with server:
        server.inject(Fault("malformed", body=page))

        async def scenario() -> float:
            async with httpx.AsyncClient() as client:
                return await poller(server.url, client, sink, fake).poll_once()

        assert asyncio.run(scenario()) == 60.0
    assert [item.id for item in sink.items] == ["c1"]
