"""Hostile round fourteen, the feeds: the code round thirteen wrote (the poller's "no progress"
rule, Shopify's windows, …) against real servers on loopback (tests/feeds, subclassed per
try) and the real poller on a fake clock. Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from feed_servers import _SHOP_EPOCH, Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer, TwitchServer, wait_until
from test_poller import Collector, FakeTime, make_poller
from test_twitch import run_with

from anchordesk.feeds import hub
from anchordesk.feeds.hub import _new_http_client
from anchordesk.feeds.poller import FeedAdapter
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.feeds.twitch import TwitchChatFeed
from anchordesk.feeds.youtube import YouTubeChatAdapter
from anchordesk.show.feed_items import Comment, OrderUpdate

from .test_round_13_pages import _CountlessVideo, _polled, _skus


def _caught_up(
    adapter: FeedAdapter, change: Callable[[], object], sku: str, polls: int = 400
) -> tuple[Collector, float]:
    """Polls ``adapter`` until it has read every order, runs ``change``, then polls until
    an order of ``sku`` is read: what was kept, and the seconds (fake clock) that took."""
    sink, fake = Collector(), FakeTime()

    async def run() -> float:
        async with httpx.AsyncClient() as client:
            poller = make_poller(adapter, client, sink, fake)
            for _ in range(polls):
                if await poller.poll_once() > 0 and poller.health.state == "ok":
                    break
            for _ in range(3):  # the other kind of call of the window, if any
                fake.now_s += await poller.poll_once()
            change()
            started = fake.now_s
            for _ in range(polls):
                fake.now_s += await poller.poll_once()
                if sku in _skus(sink):
                    return fake.now_s - started
            raise AssertionError(f"{sku} never read")

    return sink, asyncio.run(run())


class _BulkEditedShop(ShopifyGraphQLServer):
    """A shop whose orders are all edited at once (a fulfilment app marking them fulfilled):
    each order's ``updatedAt`` moves, nothing the show counts changes. Then a new order."""

    def fulfil_all_then_sell(self) -> None:
        with self.lock:
            for order in self.orders:
                order.updated = self._tick()
        self.add_order([("NEW", 1, "9.00")])


def test_a_shopify_graphql_window_of_orders_edited_in_bulk_does_not_hold_the_new_orders() -> None:
    # Pages of 2: 120 orders edited are 60 pages of orders already kept (10,000 orders are 100
    # pages of Shopify's), then the new order.
    with _BulkEditedShop(page_size=2) as server:
        for number in range(120):
            server.add_order([(f"S{number}", 1, "5.00")])
        adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
        sink, seconds = _caught_up(adapter, server.fulfil_all_then_sell, "NEW")
    # The window read again at once (pages of orders it had not read are progress), the new
    # order in it; every order kept once.
    assert seconds <= adapter.default_interval_s
    assert sorted(_skus(sink)) == sorted([f"S{n}" for n in range(120)] + ["NEW"])


class _SmallPagesShop(ShopifyOrdersServer):
    """Shopify REST handing out its updated orders 2 a page (as 250 a page for 15,000), an
    order placed while the window of updated orders is being read."""

    edited = False

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()  # the order is placed while a page is answered

    def _updated_page(
        self,
        updated_min: datetime,
        offset: int,
        limit: int,
        headers: dict[str, str],
        query: dict[str, str] | None = None,
    ) -> Reply:
        if offset == 4 and self.edited:
            self.edited = False
            self.add_order([("NEW", 1, "9.00")])
        return super()._updated_page(updated_min, offset, 2, headers, query)

    def fulfil_all(self) -> None:
        with self.lock:
            for order in self.orders:
                order["updated_at"] = self._now()
        self.edited = True


def test_a_shopify_rest_window_of_orders_edited_in_bulk_does_not_hold_the_new_orders() -> None:
    with _SmallPagesShop() as server:
        for number in range(120):
            server.add_order([(f"S{number}", 1, "5.00")])
        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, seconds = _caught_up(adapter, server.fulfil_all, "NEW")
    # The updates window (60 pages of orders it had not read, no item among them) at once,
    # then the new orders' turn.
    assert seconds <= 3 * adapter.default_interval_s
    assert sorted(_skus(sink)) == sorted([f"S{n}" for n in range(120)] + ["NEW"])


def test_twitch_on_this_machine_is_not_asked_through_a_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTPS_PROXY set, as offices do (here a proxy that is gone), and Twitch's EventSub on
    127.0.0.1 (Twitch CLI's mock server). Round thirteen kept loopback off the proxy for the
    HTTP client only: websockets took the proxy for ws://127.0.0.1 ("Connect call failed" to
    the proxy's port, "Twitch closes each connection soon after it opens"), no comment read."""
    with socket.create_server(("127.0.0.1", 0)) as gone:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{gone.getsockname()[1]}")
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=1)
        await server.chat("msg-1", "42", "Amy", "does it come in blue?")
        await wait_until(lambda: any(isinstance(item, Comment) for item in sink.items))()

    feed = run_with(server, lambda: TwitchChatFeed(server.feed_url(), server.token), sink, script)
    assert [item.text for item in sink.items if isinstance(item, Comment)] == [
        "does it come in blue?"
    ]
    assert feed.health.errors == 0


# 9 MB of JSON's worth as gzip (9 kB sent): refused at the 8 MB cap, as a page of 250 big
# Shopify orders, or a viewer count a broken proxy pads, would be.
_TOO_LARGE = Reply(
    200,
    gzip.compress(b" " * 9_000_000),
    {"Content-Type": "application/json", "Content-Encoding": "gzip"},
)


def test_a_youtube_viewer_count_past_the_size_cap_does_not_hold_the_chat() -> None:
    """Round thirteen handed the chat its turn back when a viewer count failed with an HTTP
    answer; one with no answer to read (past the cap, no answer in time, a redirect) kept the
    turn: the count asked again on every poll, no comment read for the rest of the show."""
    with _CountlessVideo(_TOO_LARGE) as server:
        server.add_text("amy", "hello")
        fake = FakeTime()
        adapter = YouTubeChatAdapter(
            server.video_url, server.api_key, clock=fake.clock, wall_clock=fake.clock
        )

        def stop_counting() -> None:
            server.counting = False

        sink, _, _ = _polled(
            adapter,
            [(3, lambda: None), (60, stop_counting), (60, lambda: server.add_text("bob", "hi?"))],
            fake,
        )
    assert [item.text for item in sink.items if isinstance(item, Comment)] == ["hello", "hi?"]
    counts = sum(1 for path, _, _ in server.requests if path == server.videos_path)
    assert counts <= 3 + (fake.now_s - 100.0) / 60  # a look-up a minute, not one a poll


class _BigUpdatesShop(ShopifyOrdersServer):
    """Shopify REST whose page of updated orders is past the 8 MB cap (250 orders of many
    lines each), once ``big`` is set."""

    big = False

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if self.big and ("updated_at_min" in query or "page_info" in query):
            return _TOO_LARGE
        return super().respond(query, headers)


def test_a_shopify_rest_updates_page_past_the_size_cap_does_not_stop_the_new_orders() -> None:
    with _BigUpdatesShop() as server:
        server.add_order([("MUG", 1, "12.00")])

        def grow() -> None:
            server.big = True

        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, poller, _ = _polled(
            adapter,
            [(4, lambda: None), (6, grow), (6, lambda: server.add_order([("NEW", 1, "9")]))],
        )
    assert _skus(sink) == ["MUG", "NEW"]
    assert poller.health.last_error.startswith("response larger than the 8 MB limit")


@pytest.mark.parametrize(
    ("value", "entry"),
    [("localhost,[::1]", "[::1]"), (".corp,büro.example", "büro.example")],
    ids=["ipv6-in-brackets", "unicode-name"],
)
def test_a_no_proxy_entry_the_feeds_cannot_read_is_named(
    monkeypatch: pytest.MonkeyPatch, value: str, entry: str
) -> None:
    """NO_PROXY with an entry httpx cannot read, proxy or not (httpx reads the list as the
    client is built). Round thirteen named the *_PROXY variables only: every feed ended with
    "error: --feed: Invalid port: ':1]' (InvalidURL)", neither the variable nor the entry
    said. Now both, in the window's and the report's words (translated)."""
    monkeypatch.setenv("NO_PROXY", value)
    with pytest.raises(httpx.InvalidURL) as raised:
        _new_http_client(2.0, httpx.Limits())
    words = hub._why_stopped(raised.value)
    assert words.template.format(**words.params) == (
        f"NO_PROXY holds an entry that is no host name or address ({entry}): fix or remove it"
    )


class _RacingShop(ShopifyOrdersServer):
    """Shopify REST, updated orders 2 a page (ordered by id), its ``Date`` its own clock.
    While the window's second page is asked, an order of the first page (read already) is
    cancelled, then one of the third."""

    racing = False

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()  # orders change while a page is answered
        self.ids: list[int] = []

    def date(self, timestamp: float | None = None) -> str:
        """The shop's clock, as its ``Date`` header says it: its last change."""
        del timestamp
        now = _SHOP_EPOCH + timedelta(seconds=self._seconds)
        return email.utils.format_datetime(now.astimezone(UTC), usegmt=True)

    def _updated_page(
        self,
        updated_min: datetime,
        offset: int,
        limit: int,
        headers: dict[str, str],
        query: dict[str, str] | None = None,
    ) -> Reply:
        if self.racing and offset == 2:
            self.racing = False
            self.cancel(self.ids[0])
            self.cancel(self.ids[5])
        return super()._updated_page(updated_min, offset, 2, headers, query)

    def edit_all(self) -> None:
        with self.lock:
            for order in self.orders:
                order["updated_at"] = self._now()
            self.racing = True


def test_a_shopify_rest_cancellation_on_a_page_read_while_its_window_is_read_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: the next window started at the newest change the window's pages held (order
    5's cancellation), later than order 0's, made on page 1 after it was read: order 0's
    cancellation was never read, the cancelled order counted as a sale for the show."""
    with _RacingShop() as server:
        monkeypatch.setattr(
            BaseHTTPRequestHandler, "date_time_string", lambda _, ts=None: server.date(ts)
        )
        server.ids = [server.add_order([(f"S{n}", 1, "5.00")]) for n in range(6)]
        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, _, _ = _polled(adapter, [(6, lambda: None), (20, server.edit_all)])
    cancelled = {item.order_id for item in sink.items if isinstance(item, OrderUpdate)}
    assert cancelled == {str(server.ids[0]), str(server.ids[5])}


class _BigOrdersShop(ShopifyOrdersServer):
    """Shopify REST whose orders are big (many lines each): a page of more than 60 is past
    the 8 MB cap."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if int(query.get("limit", "50")) > 60 and len(self.orders) > 60:
            return _TOO_LARGE
        return super().respond(query, headers)


def test_a_shopify_rest_page_of_big_orders_past_the_size_cap_is_asked_in_smaller_pages() -> None:
    """Before: the page of 250 orders was refused at the cap on every poll, since_id never
    moved, and no order of the shop was read for the rest of the show."""
    with _BigOrdersShop() as server:
        for number in range(130):
            server.add_order([(f"S{number}", 1, "5.00")])
        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, poller, _ = _polled(adapter, [(20, lambda: None)])
    assert sorted(_skus(sink)) == sorted(f"S{number}" for number in range(130))
    assert poller.health.state == "ok"


def test_twitch_out_of_reach_is_not_said_to_close_its_connections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """EventSub cannot be reached at all (the venue's network down; here a port nobody
    listens on). Before: after three tries the log said "Twitch closes each connection soon
    after it opens; waiting longer…": round thirteen's pacing counted connections that never
    opened. Now only welcomed ones count; the tries are still paced by the error count."""
    server, sink = TwitchServer(), Collector()
    waits: list[float] = []
    with socket.create_server(("127.0.0.1", 0)) as gone:
        nobody = f"ws://127.0.0.1:{gone.getsockname()[1]}/ws"

    async def sleep(delay_s: float) -> None:  # no real wait; the viewer count's never ends
        if delay_s == 3600.0:
            await asyncio.Event().wait()
        waits.append(delay_s)

    async def script(_feed: TwitchChatFeed) -> None:
        await wait_until(lambda: len(waits) >= 5)()

    feed = run_with(
        server,
        lambda: TwitchChatFeed(
            server.feed_url().replace(server.ws_url, nobody),
            server.token,
            sleep=sleep,
            viewers_every_s=3600.0,
        ),
        sink,
        script,
    )
    assert waits[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert feed.health.last_error.startswith("WebSocket: ConnectionRefusedError")
    assert "closes each connection" not in caplog.text
