"""Twitch chat against a local EventSub WebSocket server and a local Helix: welcome then
subscribe with the session id, notifications as comments (once by message_id), deletions,
keepalive silence -> a new connection and new subscriptions, session_reconnect -> the new URL
first and no new subscriptions, revocation ends the feed; viewers from Helix streams."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

import httpx
from platform_servers import TwitchServer, wait_until
from test_poller import Collector

from anchordesk.feeds.twitch import SUBSCRIPTIONS, TwitchChatFeed
from anchordesk.show.feed_items import Comment, CommentRemoval, ViewerStats


async def no_wait(_delay_s: float) -> None:
    await asyncio.sleep(3600)  # viewer counts: only the first, in these tests


def feed_for(server: TwitchServer, silence_s: float = 5.0) -> TwitchChatFeed:
    return TwitchChatFeed(
        server.feed_url(),
        server.token,
        timeout_for=lambda _keepalive_s: silence_s,
        sleep=no_wait,
    )


def run_with(
    server: TwitchServer,
    make_feed: Callable[[], TwitchChatFeed],
    sink: Collector,
    script: Callable[[TwitchChatFeed], Awaitable[None]],
) -> TwitchChatFeed:
    feeds: list[TwitchChatFeed] = []

    async def scenario() -> None:
        await server.start_ws()
        feed = make_feed()  # the WebSocket's port is known now
        feeds.append(feed)
        stop = asyncio.Event()
        try:
            async with httpx.AsyncClient() as client:
                task = asyncio.create_task(feed.run(client, sink, stop))
                await script(feed)
                stop.set()
                await asyncio.wait_for(task, 10)
        finally:
            await server.stop_ws()

    with server:
        asyncio.run(scenario())
    return feeds[0]


def test_welcome_subscribe_notifications_deletions_and_viewers() -> None:
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        sent = await server.chat(
            "msg-1", "42", "Amy", "How much is the mug?", badges=("moderator",)
        )
        await server.chat("msg-1", "42", "Amy", "again", metadata_id=sent)  # resent by Twitch
        await server.chat("msg-2", "77", "Troll", "spam", bits=100)
        await server.keepalive()
        await server.delete("msg-2", "77")
        await wait_until(lambda: len(sink.items) >= 4)()

    feed = run_with(server, lambda: feed_for(server), sink, script)
    assert [s["type"] for s in server.subscriptions] == list(SUBSCRIPTIONS)
    assert {s["transport"]["session_id"] for s in server.subscriptions} == {"session-1"}
    assert server.subscriptions[0]["condition"] == {
        "broadcaster_user_id": "1001",
        "user_id": "1001",
    }
    comments = [item for item in sink.items if isinstance(item, Comment)]
    assert [c.id for c in comments] == ["msg-1", "msg-2"]
    assert comments[0].is_moderator and comments[0].author_id == "42"
    assert comments[1].paid_amount == Decimal(100) and comments[1].paid_currency == "BITS"
    (removal,) = [item for item in sink.items if isinstance(item, CommentRemoval)]
    assert (removal.reason, removal.comment_id, removal.author_id) == ("deleted", "msg-2", "77")
    (viewers,) = [item for item in sink.items if isinstance(item, ViewerStats)]
    assert viewers.online == 321
    assert feed.health.duplicates == 1 and feed.health.state == "stopped"
    assert server.token not in repr(feed.health)


def test_silence_past_the_keepalive_means_a_new_connection_and_new_subscriptions() -> None:
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        # No message for longer than the keepalive timeout: the feed opens a new connection.
        await server.wait_for_connections(2, subscriptions=6)
        await server.chat("msg-9", "42", "Amy", "back")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    feed = run_with(server, lambda: feed_for(server, silence_s=0.2), sink, script)
    sessions = [s["transport"]["session_id"] for s in server.subscriptions]
    assert sessions[:6] == ["session-1"] * 3 + ["session-2"] * 3
    assert feed.reconnects >= 1


def test_session_reconnect_opens_the_new_url_first_and_keeps_the_subscriptions() -> None:
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await server.reconnect_to(server.ws_url + "?reconnect=1")
        await server.wait_for_connections(2)
        await wait_until(lambda: len(server.closed) >= 1)()
        # The old connection closed only after the new one was welcomed.
        assert server.closed[0] is server.connections[0]
        await server.chat("msg-5", "42", "Amy", "still here")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    run_with(server, lambda: feed_for(server), sink, script)
    assert len(server.subscriptions) == 3  # the subscriptions moved with the session
    assert [c.id for c in sink.items if isinstance(c, Comment)] == ["msg-5"]


def test_revoking_the_chat_subscription_ends_the_feed_with_the_reason() -> None:
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await server.revoke("channel.chat.message")
        await wait_until(lambda: feed.health.state == "ended")()

    feed = run_with(server, lambda: feed_for(server), sink, script)
    assert "revoked the chat subscription (authorization_revoked)" in feed.health.last_error
    assert len(server.connections) == 1  # no reconnect loop


def test_a_refused_token_ends_the_feed_without_showing_the_token() -> None:
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await wait_until(lambda: feed.health.state == "ended")()

    feed = run_with(
        server,
        lambda: TwitchChatFeed(server.feed_url(), "wrong-token", sleep=no_wait),
        sink,
        script,
    )
    assert "Twitch refused the token (Invalid OAuth token)" in feed.health.last_error
    assert "wrong-token" not in feed.health.last_error


def test_a_frame_that_is_not_json_or_nested_too_deep_is_skipped_not_the_session() -> None:
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        await server.connections[-1].send("{not json")
        await server.connections[-1].send("[" * 100_000)  # past the JSON parser's depth
        await server.chat("msg-3", "42", "Amy", "still here?")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    feed = run_with(server, lambda: feed_for(server), sink, script)
    assert feed.health.malformed_responses == 2
    assert feed.reconnects == 0 and len(server.subscriptions) == len(SUBSCRIPTIONS)
