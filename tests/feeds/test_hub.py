"""The hub's set-up: feed names, tokens, and the Shopify window across restarts; big pages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.core.errors import UserError
from anchordesk.feeds.hub import FeedHub, FeedSetupError
from anchordesk.feeds.spec import parse_feed
from anchordesk.live.options import FeedSpec
from anchordesk.show.feed_items import Comment, Order, OrderUpdate
from anchordesk.store import SessionStore, StoreWriter


def hub_names(path: Path, feeds: Sequence[FeedSpec]) -> list[str]:
    writer = StoreWriter(path)
    try:
        return [
            adapter.source for adapter in FeedHub(feeds, writer, token_lookup=no_token).adapters
        ]
    finally:
        writer.close()


def no_token(_name: str) -> None:
    return None


def test_each_feed_keeps_its_own_name_in_a_session_whatever_its_place(tmp_path: Path) -> None:
    path = tmp_path / "s.adsession"
    one = FeedSpec("json", "http://127.0.0.1:8001/feed?token=abc")
    other = FeedSpec("json", "http://127.0.0.1:8002/feed")
    chat = FeedSpec(
        "youtube-chat", "https://www.googleapis.com/youtube/v3/liveChat/messages?liveChatId=A1"
    )
    assert hub_names(path, [one, chat, other]) == ["json", "youtube-chat", "json#2"]
    # The same feeds in another order, or one of them alone: each gets its own name back.
    assert hub_names(path, [other, one]) == ["json#2", "json"]
    assert hub_names(path, [other]) == ["json#2"]
    # A rotated token is the same feed; another live chat is another feed.
    rotated = FeedSpec("json", "http://127.0.0.1:8001/feed?token=new")
    another_chat = FeedSpec("youtube-chat", chat.url.replace("A1", "B2"))
    assert hub_names(path, [rotated, another_chat]) == ["json", "youtube-chat#2"]


def test_shopify_only_asks_for_orders_since_the_session_began_even_after_a_restart(
    tmp_path: Path,
) -> None:
    writer = StoreWriter(tmp_path / "s.adsession")
    try:
        writer.call(lambda store: store.set_meta("created_at", "1714564800.0")).result(5)
        hub = FeedHub(
            [FeedSpec("shopify-orders", "https://shop.example/admin/api/2024-07/orders.json")],
            writer,
            # The static token only (no client credentials in the keyring).
            token_lookup=lambda kind: "shpat_secret" if kind == "shopify-orders" else None,
        )
        request = hub.adapters[0].request(None)
        assert request.params["created_at_min"] == "2024-05-01T12:00:00+00:00"
        assert request.headers["X-Shopify-Access-Token"] == "shpat_secret"
        assert "shpat_secret" not in request.url
    finally:
        writer.close()


def test_a_feed_set_in_the_window_sends_its_own_token(tmp_path: Path) -> None:
    """Settings → Feeds keeps each feed's token under ``feed/<id>/token``: that is the token
    sent, before the one for the feed's kind (``anchordesk live --feed``'s)."""
    from anchordesk.live.settings import FeedSettings, Settings, feed_specs

    settings = Settings(
        feeds=[FeedSettings("shop-a", "shopify-orders", "https://a.example/admin/orders.json")]
    )
    keyring = {"feed/shop-a/token": "shpat_own", "shopify-orders": "shpat_by_kind"}
    writer = StoreWriter(tmp_path / "s.adsession")
    try:
        hub = FeedHub(feed_specs(settings), writer, token_lookup=keyring.get)
        assert hub.adapters[0].request(None).headers["X-Shopify-Access-Token"] == "shpat_own"
        del keyring["feed/shop-a/token"]
        hub = FeedHub(feed_specs(settings), writer, token_lookup=keyring.get)
        assert hub.adapters[0].request(None).headers["X-Shopify-Access-Token"] == "shpat_by_kind"
    finally:
        writer.close()


def test_feeds_that_cannot_work_are_one_line_errors(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "s.adsession")
    try:
        with pytest.raises(FeedSetupError, match="liveChatId"):
            FeedHub([FeedSpec("youtube-chat", "https://www.googleapis.com/youtube/v3/x")], writer)
        with pytest.raises(FeedSetupError, match="needs a show"):
            FeedHub([FeedSpec("rehearsal", "")], writer)
        # A shop's address means the GraphQL Admin API, which needs a token or the app's
        # client credentials; the legacy REST endpoint must still name orders.json.
        with pytest.raises(FeedSetupError, match=r"access token .* client id and secret"):
            FeedHub([FeedSpec("shopify-orders", "https://shop.example/admin")], writer)
        with pytest.raises(FeedSetupError, match="twitch-chat needs the channel's user id"):
            FeedHub([FeedSpec("twitch-chat", "wss://eventsub.example/ws")], writer)
    finally:
        writer.close()


def test_a_big_catch_up_page_lets_the_loop_run_and_is_stored_once_before_it_is_shown(
    tmp_path: Path,
) -> None:
    # After an outage the platform answers with a page of 2000 comments. Preparing them (plain
    # text, compliance, questions) must not hold the loop (the Qt thread) for the whole page.
    server = JsonFeedServer(poll_ms=1000, page_size=2000)
    path = tmp_path / "s.adsession"
    writer = StoreWriter(path)
    loop_turns = 0
    turns_seen_by_matcher: list[int] = []
    shown: list[Comment] = []
    stored_when_shown: list[int] = []

    def flag_terms(text: str) -> list[str]:
        turns_seen_by_matcher.append(loop_turns)
        return []

    def on_comments(comments: Sequence[Comment]) -> None:
        stored_when_shown.append(writer.call(lambda store: store.count("comments")).result(5))
        shown.extend(comments)
        stop.set()

    async def other_work() -> None:
        nonlocal loop_turns
        while not stop.is_set():
            loop_turns += 1
            await asyncio.sleep(0)

    async def scenario() -> None:
        hub = FeedHub(
            [FeedSpec("json", server.url)], writer, on_comments=on_comments, flag_terms=flag_terms
        )
        await asyncio.wait_for(asyncio.gather(hub.run(stop), other_work()), 30)

    with server:
        for n in range(2000):
            server.add_comment(f"观众{n}", f"这个能用吗？第{n}条")
        stop = asyncio.Event()
        try:
            asyncio.run(scenario())
        finally:
            writer.close()
    turns_seen = turns_seen_by_matcher[1:]  # [0]: the matcher built at construction
    assert len(turns_seen) == 2000
    assert turns_seen[-1] > turns_seen[0], "the loop never ran while the page was prepared"
    assert [comment.id for comment in shown] == [f"c{n}" for n in range(1, 2001)]
    assert stored_when_shown == [2000]
    store = SessionStore(path, read_only=True)
    try:
        assert store.count("comments") == 2000
        assert store.cursor("json") == "2000"
    finally:
        store.close()


def test_json_order_updates_go_through_the_hub_into_the_store_once_even_after_a_restart(
    tmp_path: Path,
) -> None:
    server = JsonFeedServer(poll_ms=200)
    path = tmp_path / "s.adsession"
    delivered_orders: list[Order] = []
    delivered_updates: list[OrderUpdate] = []

    def run_until(expected_updates: int) -> None:
        writer = StoreWriter(path)
        stop = asyncio.Event()

        def on_updates(updates: Sequence[OrderUpdate]) -> None:
            delivered_updates.extend(updates)
            if len(delivered_updates) >= expected_updates:
                stop.set()

        async def scenario() -> None:
            hub = FeedHub(
                [FeedSpec("json", server.url)],
                writer,
                on_orders=delivered_orders.extend,
                on_order_updates=on_updates,
            )
            await asyncio.wait_for(hub.run(stop), 20)

        try:
            asyncio.run(scenario())
        finally:
            writer.close()

    with server:
        server.add_order("SERUM-30", 2, "129.00")  # o1
        server.add_order("MASK-5", 1, "10.00")  # o2
        server.add_update("o1", "cancelled")
        server.add_update("o2", "refunded", "2.50")
        server.add_update("o2", "refunded", "2.5")  # the same refund, re-sent
        server.add_update("o1", "cancelled")  # the same cancellation, re-sent
        run_until(2)
        # Restarted, and the bridge no longer knows the stored cursor: it replays everything
        # from the start (docs/feed-protocol.md), and one new refund follows.
        store = SessionStore(path)
        store.write_batch("json", [], "forgotten")
        store.close()
        server.add_update("o1", "cancelled")
        server.add_update("o2", "refunded", "7.50", refund_id="r-2")
        run_until(3)
    assert [order.id for order in delivered_orders] == ["o1", "o2"]
    assert [update.id for update in delivered_updates] == [
        "o1:cancelled",
        "o2:refund=2.5",
        "o2:refund:r-2",
    ]
    store = SessionStore(path, read_only=True)
    try:
        stored = [kept.update for kept in store.order_updates()]
        assert stored == delivered_updates
        assert stored[1].refund == Decimal("2.50")
    finally:
        store.close()


def test_a_push_feed_is_named_by_its_websocket_address() -> None:
    spec = parse_feed("twitch-chat=wss://eventsub.wss.twitch.tv/ws?broadcaster_user_id=1")
    assert spec.kind == "twitch-chat" and spec.url.startswith("wss://")
    with pytest.raises(UserError, match="must start with wss://"):
        parse_feed("twitch-chat=https://api.twitch.tv/helix")
    with pytest.raises(UserError, match="http:// or https://"):
        parse_feed("youtube-chat=wss://example.invalid/ws")
