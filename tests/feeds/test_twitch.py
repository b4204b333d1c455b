"""Twitch chat against a local EventSub WebSocket server and a local Helix: welcome then
subscribe with the session id, notifications as comments (once by message_id), deletions,
keepalive silence -> a new connection and new subscriptions, session_reconnect -> the new URL
first and no new subscriptions, revocation ends the feed; viewers from Helix streams."""

from __future__ import annotations

import asyncio
import contextlib
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


def refreshing_feed(
    server: TwitchServer, kept: list[tuple[str, str]], silence_s: float = 5.0
) -> TwitchChatFeed:
    return TwitchChatFeed(
        server.feed_url(),
        server.token,
        timeout_for=lambda _keepalive_s: silence_s,
        sleep=no_wait,
        refresh_token=server.refresh_token,
        client_secret=server.client_secret,
        keep_tokens=lambda access, refresh: kept.append((access, refresh)),
    )


def test_an_expired_token_is_refreshed_and_the_chat_goes_on() -> None:
    # The token expires mid-show; the line then goes silent, so the feed reconnects and its
    # new subscriptions meet a 401: one refresh, then the chat goes on over the new session.
    server, sink = TwitchServer(), Collector()
    kept: list[tuple[str, str]] = []
    first_token = server.token

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        server.expire_token()
        await server.wait_for_connections(2, subscriptions=6)  # silence: a new session
        await server.chat("msg-9", "42", "Amy", "still here?")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    feed = run_with(server, lambda: refreshing_feed(server, kept, silence_s=0.3), sink, script)
    assert feed.health.state == "stopped" and feed.token_refreshes == 1
    assert [form["grant_type"] for form in server.refreshes] == ["refresh_token"]
    assert server.refreshes[0]["refresh_token"] == "twitch-refresh-1"
    # The new pair is kept for the next run; no token is in what the feed shows.
    assert kept == [(server.token, server.refresh_token)] and server.token != first_token
    assert "token refreshed 1x" in feed.health.note
    assert [c.id for c in sink.items if isinstance(c, Comment)] == ["msg-9"]
    shown = f"{feed.health.note} {feed.health.last_error}"
    assert not any(secret in shown for secret in feed.secrets())


def test_a_token_expired_before_the_start_is_refreshed_once() -> None:
    server, sink = TwitchServer(), Collector()
    kept: list[tuple[str, str]] = []
    stale = server.token
    server.expire_token()

    def make_feed() -> TwitchChatFeed:
        feed = refreshing_feed(server, kept)
        feed._token = stale  # what the keyring still held
        return feed

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await wait_until(lambda: any(isinstance(i, ViewerStats) for i in sink.items))()

    feed = run_with(server, make_feed, sink, script)
    # The subscriptions and the viewer count both met the 401: one refresh between them.
    assert feed.token_refreshes == 1 and len(server.refreshes) == 1
    assert feed.health.state == "stopped"


def test_a_refused_refresh_token_ends_the_feed_with_what_to_do() -> None:
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        server.refresh_token = "the user disconnected the app"
        # Twitch revokes the chat subscription: a refresh is tried, and refused.
        await server.revoke("channel.chat.message", "authorization_revoked")
        await wait_until(lambda: feed.health.state == "ended")()

    feed = run_with(server, lambda: refreshing_feed(server, []), sink, script)
    assert len(server.refreshes) == 1
    error = feed.health.last_error
    assert "revoked the chat subscription (authorization_revoked)" in error
    assert "refused the refresh token (Invalid refresh token): authorize AnchorDesk again" in error
    assert "twitch-refresh-1" not in error and server.client_secret not in error


def test_an_expired_token_without_a_refresh_token_ends_the_feed_saying_why() -> None:
    server, sink = TwitchServer(), Collector()
    stale = server.token
    server.expire_token()

    async def script(feed: TwitchChatFeed) -> None:
        await wait_until(lambda: feed.health.state == "ended")()

    feed = run_with(
        server,
        lambda: TwitchChatFeed(server.feed_url(), stale, sleep=no_wait),
        sink,
        script,
    )
    assert "Twitch refused the token (Invalid OAuth token)" in feed.health.last_error
    assert server.refreshes == []


def test_the_hub_gives_the_feed_its_refresh_secrets_and_keeps_the_new_pair(
    memory_keyring: object,
) -> None:
    from anchordesk.core import secrets
    from anchordesk.feeds.hub import PUSH_FEED_FACTORIES
    from anchordesk.feeds.spec import FeedSpec
    from anchordesk.feeds.tokens import feed_token, keep_refreshed_tokens, token_env_name

    assert token_env_name("twitch-chat-refresh-token") == "ANCHORDESK_TWITCH_CHAT_REFRESH_TOKEN"
    looked_up: list[str] = []

    def lookup(name: str) -> str:
        looked_up.append(name)
        return f"secret-of-{name}"

    url = "wss://eventsub.wss.twitch.tv/ws?broadcaster_user_id=1001&client_id=app"
    feed = PUSH_FEED_FACTORIES["twitch-chat"](FeedSpec("twitch-chat", url), "twitch-chat", lookup)
    assert isinstance(feed, TwitchChatFeed) and feed.can_refresh
    assert {"twitch-chat", "twitch-chat-refresh-token", "twitch-chat-client-secret"} <= set(
        looked_up
    )
    keep_refreshed_tokens("twitch-chat", "new-access", "new-refresh")
    assert secrets.get_secret("twitch-chat") == "new-access"
    assert feed_token("twitch-chat-refresh-token", {}) == "new-refresh"


def test_a_revoked_authorization_that_twitch_still_refreshes_subscribes_again() -> None:
    # The token behind the chat subscription was revoked, but the grant still stands: a new
    # token, the chat subscribed again on the same session, and the chat goes on.
    server, sink = TwitchServer(), Collector()
    kept: list[tuple[str, str]] = []

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        server.expire_token()
        await server.revoke("channel.chat.message", "authorization_revoked")
        await wait_until(lambda: len(server.subscriptions) == 4)()
        await server.chat("msg-7", "42", "Amy", "back?")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    feed = run_with(server, lambda: refreshing_feed(server, kept), sink, script)
    assert feed.health.state == "stopped" and feed.token_refreshes == 1
    assert server.subscriptions[-1]["type"] == "channel.chat.message"
    assert server.subscriptions[-1]["transport"]["session_id"] == "session-1"
    assert len(server.connections) == 1 and feed.revoked == []
    assert kept == [(server.token, server.refresh_token)]


def test_a_feed_with_its_own_token_keeps_the_refreshed_one_under_its_name(
    memory_keyring: object,
) -> None:
    from anchordesk.core import secrets
    from anchordesk.feeds.hub import PUSH_FEED_FACTORIES
    from anchordesk.feeds.spec import FeedSpec

    secrets.set_secret("feed/studio/token", "own-access")
    url = "wss://eventsub.wss.twitch.tv/ws?broadcaster_user_id=1001&client_id=app"
    spec = FeedSpec("twitch-chat", url, token_name="feed/studio/token")
    feed = PUSH_FEED_FACTORIES["twitch-chat"](spec, "twitch-chat", secrets.get_secret)
    assert isinstance(feed, TwitchChatFeed) and "own-access" in feed.secrets()
    assert feed._keep_tokens is not None
    feed._keep_tokens("new-access", "new-refresh")
    assert secrets.get_secret("feed/studio/token") == "new-access"
    assert secrets.get_secret("twitch-chat") is None  # the kind's entry is not touched
    assert secrets.get_secret("twitch-chat-refresh-token") == "new-refresh"


def test_half_a_surrogate_pair_in_a_chat_message_reads_as_the_replacement_character() -> None:
    # "\ud800" escaped in a frame: the comment could not be stored (UTF-8), feeds/parsing.py.
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        await server.chat("msg-1", "42", "Amy\ud800", "cut \udc00 emoji")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    run_with(server, lambda: feed_for(server), sink, script)
    [comment] = [item for item in sink.items if isinstance(item, Comment)]
    assert (comment.author, comment.text) == ("Amy\ufffd", "cut \ufffd emoji")


def test_a_frame_past_the_size_limit_means_a_new_connection_not_a_dead_chat() -> None:
    # A 16 MB frame (a hostile or broken server): the library's 1 MiB limit closes the line
    # (1009) before it is read into memory; the feed connects again and the chat goes on.
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        with contextlib.suppress(Exception):
            await server.connections[-1].send("x" * (16 * 1024 * 1024))
        await server.wait_for_connections(2, subscriptions=2 * len(SUBSCRIPTIONS))
        await server.chat("msg-9", "42", "Amy", "back")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    async def short_wait(_delay_s: float) -> None:  # the backoff, shortened for the test
        await asyncio.sleep(0.05)

    def make() -> TwitchChatFeed:
        return TwitchChatFeed(
            server.feed_url(), server.token, timeout_for=lambda _s: 5.0, sleep=short_wait
        )

    feed = run_with(server, make, sink, script)
    assert feed.reconnects >= 1 and "1009" in feed.health.last_error


def test_a_token_http_cannot_carry_ends_the_feed_in_one_line_not_a_traceback() -> None:
    # "tokéSECRET": UnicodeEncodeError escaped the feed's run (its task died with it).
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await wait_until(lambda: feed.health.state == "ended")()

    def make() -> TwitchChatFeed:
        return TwitchChatFeed(server.feed_url(), "tok\xe9SECRET", timeout_for=lambda _s: 5.0)

    feed = run_with(server, make, sink, script)
    assert feed.health.last_error.startswith("the token holds a character HTTP cannot carry")
    assert "SECRET" not in feed.health.last_error
