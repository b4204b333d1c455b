"""Hostile servers, round twelve: the values a platform's answers carry (numbers past a
float's range, answers nested past the parser's depth, words of any size). Real servers on
loopback (tests/feeds); each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from feed_servers import Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer, TwitchServer, _json, wait_until
from test_poller import Collector, FakeTime, make_poller
from test_shopify_graphql import adapter_for as graphql_adapter_for
from test_twitch import run_with

from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.twitch import KEEPALIVE_RANGE_S, TwitchChatFeed
from anchordesk.show.feed_items import Comment, Order, ViewerStats

# JSON allows an integer of any length; Python's float() cannot take one above ~1.8e308.
HUGE = 10**400


class _HugeNumberShop(ShopifyGraphQLServer):
    """Shopify's GraphQL Admin API whose answers carry a 401-digit integer: in the token
    answer's ``expires_in``, or in the cost's ``maximumAvailable`` of every page."""

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        if self.where == "expires_in" and path.endswith("/access_token"):
            answer["expires_in"] = HUGE
        elif self.where == "cost" and isinstance(answer.get("extensions"), dict):
            answer["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] = HUGE
        else:
            return reply
        return _json(answer)


def _orders_polled(adapter: Any, polls: int) -> tuple[list[Any], list[str]]:
    sink, fake, errors = Collector(), FakeTime(), []

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            poller = make_poller(adapter, client, sink, fake)
            for _ in range(polls):
                fake.now_s += await poller.poll_once()
                errors.append(poller.health.last_error)

    asyncio.run(run())
    return [item for item in sink.items if isinstance(item, Order)], errors


@pytest.mark.parametrize("where", ["expires_in", "cost"])
def test_a_401_digit_integer_in_shopifys_graphql_answers_is_read_as_a_number(where: str) -> None:
    """A real Shopify GraphQL server sends a 401-digit integer as the token's ``expires_in``,
    then as the cost bucket's ``maximumAvailable`` of every page. Before: float() of it
    raised OverflowError out of the answer's reading: the token was fetched again and again
    and never used, or every page failed, the feed's status "unexpected error
    (OverflowError)", the shop's orders never counted. Now the token does not expire (as
    1e999 already read) and a bucket no shop has is an unreadable cost: the usual interval."""
    server = _HugeNumberShop(where)
    with server:
        server.add_order([("MUG-01", 2, "12.50")])
        orders, errors = _orders_polled(graphql_adapter_for(server, FakeTime()), 3)
    assert [order.lines[0].sku for order in orders] == ["MUG-01"], errors
    assert not any("OverflowError" in error for error in errors), errors


def test_a_401_digit_shopify_call_limit_is_read_as_no_limit() -> None:
    """A real Shopify REST server whose ``X-Shopify-Shop-Api-Call-Limit`` says a 401-digit
    count of calls used. Before: ``used - limit / 2`` raised OverflowError out of the page's
    reading, every page failed ("unexpected error (OverflowError)") and no order was counted
    while the header said so. Now a count no bucket holds is unreadable: the usual interval."""
    with ShopifyOrdersServer() as server:
        server.add_order([("MUG-01", 1, "12.00")])
        server.call_limit_used = "9" * 401  # type: ignore[assignment]
        adapter = ShopifyOrdersAdapter(server.url, server.token, clock=FakeTime().clock)
        orders, errors = _orders_polled(adapter, 2)
    assert [order.lines[0].sku for order in orders] == ["MUG-01"], errors
    assert not any(errors), errors


def test_a_twitch_welcome_keepalive_of_401_digits_is_held_to_twitchs_range() -> None:
    """A real EventSub server welcomes with a 401-digit ``keepalive_timeout_seconds``.
    Before (round eleven's bound): float() of it raised OverflowError, so every connection
    ended "unexpected error (OverflowError)" before subscribing: the chat was never read. Now
    it is held to Twitch's ceiling (600 s) like Infinity, and the chat is read."""
    server, sink = TwitchServer(), Collector()
    server.keepalive_s = HUGE
    waited_for: list[float] = []

    def timeout_for(keepalive_s: float) -> float:
        waited_for.append(keepalive_s)
        return 30.0  # no real wait: the test is over long before

    async def script(_feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await server.chat("msg-1", "42", "Amy", "How much is the mug?")
        await wait_until(lambda: any(isinstance(item, Comment) for item in sink.items))()

    feed = run_with(
        server,
        lambda: TwitchChatFeed(server.feed_url(), server.token, timeout_for=timeout_for),
        sink,
        script,
    )
    assert set(waited_for) == {KEEPALIVE_RANGE_S[1]}
    assert feed.health.errors == 0 and len(server.connections) == 1


class _DeepHelix(TwitchServer):
    """Helix answering the first viewer count with JSON nested 100,000 lists deep (160 kB,
    under every size cap), then as Twitch does."""

    deep = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    def __init__(self) -> None:
        super().__init__()
        self.counts_asked = 0

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "GET" and path == "/helix/streams":
            self.counts_asked += 1
            if self.counts_asked == 1:
                return Reply(200, self.deep)
        return super().handle(method, path, query, headers, body)


def test_a_helix_viewer_count_nested_past_the_parsers_depth_does_not_end_the_counts() -> None:
    """A real Helix server answers one viewer count with JSON nested 100,000 deep. Before:
    the RecursionError was none the count's loop expected, so it ended that loop for the
    rest of the show without a word: no viewer count again (the chat went on). Now it is a
    malformed answer, and the next count is taken."""
    server, sink = _DeepHelix(), Collector()

    async def next_turn(_delay_s: float) -> None:
        await asyncio.sleep(0)  # the next count at once: no real wait in the test

    async def script(_feed: TwitchChatFeed) -> None:
        await wait_until(lambda: any(isinstance(i, ViewerStats) for i in sink.items))()

    run_with(
        server,
        lambda: TwitchChatFeed(server.feed_url(), server.token, sleep=next_turn),
        sink,
        script,
    )
    counts = [item.online for item in sink.items if isinstance(item, ViewerStats)]
    assert counts and counts[0] == 321 and server.counts_asked >= 2


async def _welcome(server: TwitchServer, connection: Any, session_id: str) -> None:
    """An EventSub welcome of ``session_id`` on ``connection`` (the server's own, inline)."""
    server.connections.append(connection)
    server.sessions[connection] = session_id
    welcome = {"id": session_id, "status": "connected", "keepalive_timeout_seconds": 10}
    await connection.send(
        json.dumps(
            {"metadata": server._metadata("session_welcome"), "payload": {"session": welcome}}
        )
    )


class _WordyTwitch(TwitchServer):
    """EventSub welcoming with a 900 kB session id, Helix refusing the chat subscription
    (403) with a 2 MB ``message``; both holding an ESC sequence and a line break."""

    words = "\x1b[2J\nforged line " + "x" * 2_000_000

    async def _serve_ws(self, connection: Any) -> None:
        await _welcome(self, connection, "S" * 900_000 + "\n\x1b]0;owned\x07")
        await connection.wait_closed()

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and path == "/helix/eventsub/subscriptions":
            refusal = {"error": "Forbidden", "status": 403, "message": self.words}
            return Reply(403, json.dumps(refusal).encode())
        return super().handle(method, path, query, headers, body)


def test_a_twitch_servers_words_are_said_in_one_short_line() -> None:
    """A real Twitch server's words reach the feed's status: the welcome's session id (the
    note) and Helix's refusal (why the feed ended). Before: as sent, a 2 MB line with ESC
    sequences and line breaks in the window, on the phone (every snapshot) and in the
    report's feed status. Now one line of at most 200 characters of theirs, escaped."""
    server, sink = _WordyTwitch(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await wait_until(lambda: feed.health.state == "ended")()

    feed = run_with(server, lambda: TwitchChatFeed(server.feed_url(), server.token), sink, script)
    health = feed.health
    assert health.last_error.startswith("Twitch: the token may not read this chat (\\x1b[2J\\n")
    for shown in (health.last_error, health.note):
        assert len(shown) < 400 and "\n" not in shown and "\x1b" not in shown, shown[:100]


class _BouncingTwitch(TwitchServer):
    """EventSub asking, right after each welcome, to move to a new connection: itself."""

    async def _serve_ws(self, connection: Any) -> None:
        await _welcome(self, connection, f"session-{len(self.connections) + 1}")
        session = {"id": "x", "status": "reconnecting", "reconnect_url": self.ws_url}
        await self.send(
            {"metadata": self._metadata("session_reconnect"), "payload": {"session": session}},
            self.connections.index(connection),
        )
        await connection.wait_closed()


def test_a_twitch_server_asking_to_move_again_and_again_is_followed_with_waits() -> None:
    """A real EventSub server asks, on every welcome, to move to a new connection. Before:
    each ``session_reconnect`` was followed at once: 691 connections in 2 s (~350 a second
    for the whole show), the status "ok". Now a move soon after the one before waits 1, 2,
    4… up to 60 s, and said so once: here two connections, then the feed waits."""
    server, sink = _BouncingTwitch(), Collector()
    waits: list[float] = []
    released = asyncio.Event()

    async def sleep(delay_s: float) -> None:  # no real wait: held until the test is done
        waits.append(delay_s)
        await (asyncio.Event() if delay_s == 3600.0 else released).wait()  # (viewers: never)

    async def script(_feed: TwitchChatFeed) -> None:
        try:
            await wait_until(lambda: 1.0 in waits)()
            assert len(server.connections) == 2
        finally:
            released.set()

    run_with(
        server,
        lambda: TwitchChatFeed(
            server.feed_url(), server.token, sleep=sleep, viewers_every_s=3600.0
        ),
        sink,
        script,
    )
    assert sorted(waits) == [1.0, 3600.0]


class _LineBreakTokenShop(ShopifyGraphQLServer):
    """Shopify's token endpoint handing out, the first time, a token ending in a line break."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        if not path.endswith("/access_token") or len(self.issued) > 1:
            return reply
        answer = json.loads(reply.body)
        answer["access_token"] += "\n"
        return _json(answer)


def test_a_shopify_token_http_cannot_carry_is_asked_for_again() -> None:
    """A real Shopify token endpoint answers the client-credentials grant with a token that
    ends in a line break. Before: it was used, every call failed "the request cannot be
    sent: its token … holds a character HTTP cannot carry …; set it again" (a token the user
    never set) until it expired 24 h later, no order counted. Now it is a malformed answer
    and the token is asked for again: the shop's order is counted."""
    server = _LineBreakTokenShop()
    with server:
        server.add_order([("MUG-01", 1, "12.50")])
        orders, errors = _orders_polled(graphql_adapter_for(server, FakeTime()), 4)
    assert [order.lines[0].sku for order in orders] == ["MUG-01"], errors
    assert len(server.issued) == 2
    assert "cannot carry" in errors[0] and "set it again" not in errors[0]


class _LineBreakRefresh(TwitchServer):
    """Twitch's token endpoint refreshing to an access token holding a line break."""

    def _token_grant(self, body: bytes) -> Reply:
        reply = super()._token_grant(body)
        answer = json.loads(reply.body)
        answer["access_token"] = "new-token\r\nX-Evil: 1"
        return _json(answer)


def test_a_refreshed_twitch_token_http_cannot_carry_is_neither_used_nor_kept() -> None:
    """Helix refuses the expired token (401) and the real token endpoint refreshes it to one
    holding a line break. Before: it was used and kept in the keyring, so every Helix call
    failed, this run and the next ("the token holds a character HTTP cannot carry … set it
    again"). Now the refresh is a failed one: nothing kept, the next call asks again."""
    server, kept = _LineBreakRefresh(), []
    server.expire_token()
    with server:

        async def count() -> int | None:
            feed = TwitchChatFeed(
                server.feed_url(),
                "old-token",
                refresh_token=server.refresh_token,
                client_secret=server.client_secret,
                keep_tokens=lambda access, refresh: kept.append(access),
            )
            async with httpx.AsyncClient() as client:
                counted = await feed.count_viewers(client, Collector())
                assert feed.secrets()[0] == "old-token"
                return counted

        assert asyncio.run(count()) is None
    assert kept == [] and len(server.refreshes) == 1


def test_twitch_revoking_again_and_again_is_listed_once() -> None:
    """A real EventSub server revokes the deletions' subscription 1,000 times (new message
    ids), then one type the feed never asked for. Before: each was appended to the feed's
    note, which grew without end (3,000: 87 kB in every snapshot). Now each subscription of
    the feed's own is listed once."""
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        for _ in range(1000):
            await server.revoke("channel.chat.message_delete", "moderator_removed")
        await server.revoke("x" * 1000, "user_removed")
        await server.chat("msg-1", "42", "Amy", "after the revocations")
        await wait_until(lambda: any(isinstance(item, Comment) for item in sink.items))()

    feed = run_with(server, lambda: TwitchChatFeed(server.feed_url(), server.token), sink, script)
    assert feed.revoked == ["channel.chat.message_delete"]
    assert feed.health.note.endswith("; revoked: channel.chat.message_delete")


class _ListSessionTwitch(TwitchServer):
    """EventSub welcoming with a session that is a list, not an object."""

    async def _serve_ws(self, connection: Any) -> None:
        self.connections.append(connection)
        welcome = {"metadata": self._metadata("session_welcome"), "payload": {"session": []}}
        await connection.send(json.dumps(welcome))
        await connection.wait_closed()
        self.closed.append(connection)


def test_a_twitch_welcome_that_cannot_be_read_closes_its_connection() -> None:
    """A real EventSub server welcomes with ``"session": []``. Before: the session id was read
    after the welcome's guard, so each such connection was left open, one more at every
    reconnect. Now each is closed before the next is opened."""
    server, sink = _ListSessionTwitch(), Collector()

    async def next_turn(delay_s: float) -> None:
        # The next connection at once, no real wait; the viewer count's wait never ends.
        await (asyncio.Event().wait() if delay_s == 3600.0 else asyncio.sleep(0))

    async def script(_feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(3)
        await wait_until(lambda: len(server.closed) >= 2)()

    feed = run_with(
        server,
        lambda: TwitchChatFeed(
            server.feed_url(), server.token, sleep=next_turn, viewers_every_s=3600.0
        ),
        sink,
        script,
    )
    assert feed.health.errors >= 2
    # Said in words since round thirteen: "unexpected error (AttributeError)" before.
    assert feed.health.last_error == (
        "EventSub: the first message is not a welcome as Twitch documents it"
    )
    assert feed.health.malformed_responses >= 2


class _SubscribeThenCloseTwitch(TwitchServer):
    """EventSub that welcomes, takes the feed's subscriptions, then closes the connection."""

    async def _serve_ws(self, connection: Any) -> None:
        taken = len(self.subscriptions)
        await _welcome(self, connection, f"session-{len(self.connections) + 1}")
        await wait_until(lambda: len(self.subscriptions) >= taken + 3)()
        await connection.close()


def test_a_twitch_server_closing_each_connection_after_its_subscriptions_is_paced() -> None:
    """Found after round twelve (the lead's leftover): a real EventSub server welcomes, takes
    the three subscriptions, then closes. Before: taking the subscriptions reset the error
    count, so every connection was followed 1 s later by the next, with three Helix
    subscriptions each, for the whole show. Now a connection lost within 30 s of opening
    counts against the next wait: 1, 2, 4, 8… up to 60 s."""
    server, sink = _SubscribeThenCloseTwitch(), Collector()
    waits: list[float] = []

    async def sleep(delay_s: float) -> None:  # no real wait; the viewer count's never ends
        if delay_s == 3600.0:
            await asyncio.Event().wait()
        waits.append(delay_s)

    async def script(_feed: TwitchChatFeed) -> None:
        await wait_until(lambda: len(waits) >= 5)()

    run_with(
        server,
        lambda: TwitchChatFeed(
            server.feed_url(),
            server.token,
            sleep=sleep,
            viewers_every_s=3600.0,
            clock=lambda: 100.0,  # every connection is lost at once
        ),
        sink,
        script,
    )
    assert waits[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
