"""Hostile inputs, round eleven: what a platform's answers say about themselves (a Twitch
welcome's keepalive, the size of a Helix answer), and kinds of input no round sent. Each test
failed on the code before its fix."""

from __future__ import annotations

import math

import pytest
from platform_servers import TwitchServer, wait_until
from test_poller import Collector
from test_twitch import run_with

from anchordesk.feeds.twitch import KEEPALIVE_RANGE_S, TwitchChatFeed
from anchordesk.show.feed_items import Comment


@pytest.mark.parametrize(
    ("sent", "used"), [(-1, 10.0), (math.nan, 10.0), (math.inf, 600.0), ("abc", 10.0)]
)
def test_a_twitch_welcome_keepalive_out_of_twitchs_range_is_held_to_it(
    sent: object, used: float
) -> None:
    """A real EventSub WebSocket server welcomes with ``keepalive_timeout_seconds`` -1, NaN,
    Infinity (Python's JSON writes and reads them) or a word. Before: taken as sent, -1 made
    the silence "past the keepalive" at once, so the feed opened a new connection and posted
    three subscriptions again ~90 times a second (175 connections and 525 Helix calls in 2 s,
    the status "ok"); NaN and Infinity let a dead line go unnoticed for the show; a word was
    "unexpected error (ValueError)" on every connection. Now Twitch's range (10-600 s) holds:
    the silence the feed waits for is the bounded keepalive's, and one connection serves."""
    server, sink = TwitchServer(), Collector()
    server.keepalive_s = sent  # type: ignore[assignment]
    waited_for: list[float] = []

    def timeout_for(keepalive_s: float) -> float:
        waited_for.append(keepalive_s)
        return 30.0  # no real wait: the test is over long before

    async def no_wait(_delay_s: float) -> None:
        await wait_until(lambda: False)()

    def feed() -> TwitchChatFeed:
        return TwitchChatFeed(
            server.feed_url(), server.token, timeout_for=timeout_for, sleep=no_wait
        )

    async def script(_feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await server.chat("msg-1", "42", "Amy", "How much is the mug?")
        await wait_until(lambda: any(isinstance(item, Comment) for item in sink.items))()

    run_with(server, feed, sink, script)
    assert waited_for and set(waited_for) == {used}
    assert KEEPALIVE_RANGE_S[0] <= used <= KEEPALIVE_RANGE_S[1]
    assert len(server.connections) == 1 and len(server.subscriptions) == 3
