"""Hostile pages, round thirteen: the page tokens, cursors and links of the platforms' answers
(a cursor the server itself refuses, links RFC 8288 allows, "more" with no end). Real servers
on loopback (tests/feeds), the real poller on a fake clock; each test failed on the code before
its fix."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
from feed_servers import JsonFeedServer, Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer, YouTubeLiveServer, _json
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.poller import FeedAdapter, Poller
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.feeds.youtube import YouTubeChatAdapter
from anchordesk.show.feed_items import Comment, Order, OrderUpdate, RejectedItem


def _polled(
    adapter: FeedAdapter,
    steps: list[tuple[int, Callable[[], object]]],
    fake: FakeTime | None = None,
) -> tuple[Collector, Poller, FakeTime]:
    """Polls ``adapter`` (the fake clock moved by each wait): for each step, its action, then
    that many polls."""
    sink, fake = Collector(), fake or FakeTime()
    poller: Poller | None = None

    async def run() -> None:
        nonlocal poller
        async with httpx.AsyncClient() as client:
            poller = make_poller(adapter, client, sink, fake)
            for polls, action in steps:
                action()
                for _ in range(polls):
                    fake.now_s += await poller.poll_once()

    asyncio.run(run())
    assert poller is not None
    return sink, poller, fake


def _skus(sink: Collector) -> list[str]:
    return [line.sku for item in sink.items if isinstance(item, Order) for line in item.lines]


class _RefusedCursorShop(ShopifyGraphQLServer):
    """Shopify's GraphQL Admin API refusing the ``endCursor`` it handed out (its answer to a
    cursor it no longer knows: HTTP 200 with ``errors``)."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if path.endswith("/graphql.json") and json.loads(body or b"{}").get("variables", {}).get(
            "after"
        ):
            error = {"message": "Invalid cursor for current pagination query.", "path": ["orders"]}
            return _json({"errors": [error]})
        return super().handle(method, path, query, headers, body)


def test_a_shopify_graphql_cursor_the_server_refuses_does_not_stop_the_orders() -> None:
    with _RefusedCursorShop(page_size=2) as server:
        for sku in ("A", "B", "C"):
            server.add_order([(sku, 1, "12.00")])
        adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
        sink, poller, _ = _polled(
            adapter, [(4, lambda: None), (8, lambda: server.add_order([("NEW", 1, "99.00")]))]
        )
    # The order after the refused page and the one placed later are both counted, once each.
    assert sorted(_skus(sink)) == ["A", "B", "C", "NEW"]
    assert poller.health.state == "ok"


class _RefusedPageInfoShop(ShopifyOrdersServer):
    """Shopify REST answering the ``page_info`` link it handed out with a 400 ("Invalid value":
    an expired page), or handing out a link that is no page of the shop."""

    def __init__(self, link: str = "") -> None:
        super().__init__()
        self.link = link

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if "page_info" in query:
            return Reply(400, b'{"errors": {"page_info": "Invalid value."}}')
        reply = super().respond(query, headers)
        if self.link and "Link" in reply.headers:
            reply.headers["Link"] = self.link
        return reply


@pytest.mark.parametrize(
    "link",
    [
        "",
        '<https://[::1/orders.json?page_info=x>; rel="next"',
        '<http://evil.example/x>; rel="next"',
    ],
)
def test_a_shopify_rest_page_that_cannot_be_read_does_not_stop_the_new_orders(link: str) -> None:
    with _RefusedPageInfoShop(link) as server:
        ids = [server.add_order([("MUG", 1, "12.00")]) for _ in range(260)]

        def cancel_all() -> None:  # the updated orders fill more than one page
            for order_id in ids:
                server.cancel(order_id)

        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, poller, _ = _polled(
            adapter,
            [(3, lambda: None), (4, cancel_all), (6, lambda: server.add_order([("NEW", 1, "9")]))],
        )
        new_orders = [query for _, query, _ in server.requests if query.get("since_id")]
    assert _skus(sink).count("NEW") == 1
    assert len(new_orders) >= 3  # asked for new orders between the failing pages
    assert poller.health.consecutive_errors <= 1


class _LinkSpelledShop(ShopifyOrdersServer):
    """Shopify REST whose ``Link`` is written another way RFC 8288 allows, or whose next URL
    keeps a ``fields=`` list (commas)."""

    def __init__(self, rel: str, fields: str = "") -> None:
        super().__init__()
        self.rel, self.fields = rel, fields

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        query = {key: value for key, value in query.items() if key != "fields"}
        reply = super().respond(query, headers)
        if "Link" in reply.headers:
            link = reply.headers["Link"].replace('rel="next"', self.rel)
            if self.fields:
                link = link.replace("?limit=", f"?fields={self.fields}&limit=")
            reply.headers["Link"] = f'<{self.url}?limit=250&page_info=p0>; rel="previous", {link}'
        return reply


@pytest.mark.parametrize(
    ("rel", "fields"),
    [
        ("rel=next", ""),
        ('REL="Next"', ""),
        ('rel="next last"', ""),
        ('rel="next"', "id,updated_at,cancelled_at,refunds,line_items,currency,total_price"),
    ],
)
def test_every_page_of_a_shopify_rest_link_rfc_8288_allows_is_read(rel: str, fields: str) -> None:
    with _LinkSpelledShop(rel, fields) as server:
        ids = [server.add_order([("MUG", 1, "12.00")]) for _ in range(300)]

        def cancel() -> None:
            # Newest change first in the list: the first page holds the window's newest time.
            for order_id in reversed(ids[:260]):
                server.cancel(order_id)

        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, poller, _ = _polled(adapter, [(3, lambda: None), (8, cancel)])
    cancelled = {item.order_id for item in sink.items if isinstance(item, OrderUpdate)}
    assert cancelled == set(map(str, ids[:260]))
    assert poller.health.errors == 0


class _FreshCursorFeed(JsonFeedServer):
    """A JSON feed that says "more" on every page, with a cursor never given before and no
    item (a bridge whose cursor is its clock)."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        return _json({"items": [], "next": f"t{len(self.requests)}", "poll_ms": 0, "more": True})


class _TwoCursorShop(ShopifyGraphQLServer):
    """Shopify's GraphQL Admin API answering every page with ``hasNextPage`` and the same
    orders, its ``endCursor`` going A, B, A, B…"""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if not path.endswith("/graphql.json"):
            return super().handle(method, path, query, headers, body)
        request = json.loads(body)
        request["variables"]["after"] = None
        answer = json.loads(
            super().handle(method, path, query, headers, json.dumps(request).encode()).body
        )
        cursor = "AB"[len(self.queries) % 2]
        answer["data"]["orders"]["pageInfo"] = {"hasNextPage": True, "endCursor": cursor}
        return _json(answer)


def test_more_with_a_new_cursor_but_never_an_item_is_asked_at_the_normal_interval() -> None:
    with _FreshCursorFeed() as server:
        _, poller, fake = _polled(JsonFeedAdapter(server.url, None), [(300, lambda: None)])
    assert len(server.requests) == 300
    assert fake.now_s - 100.0 >= 200 * 0.2  # the floor between calls, after a first run
    assert poller.health.state == "ok"


def test_a_shopify_graphql_window_cycling_through_two_cursors_is_asked_at_the_normal_interval() -> (
    None
):
    with _TwoCursorShop() as server:
        server.add_order([("MUG", 1, "12.00")])
        adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
        sink, _, fake = _polled(adapter, [(200, lambda: None)])
    assert fake.now_s - 100.0 >= 100 * adapter.default_interval_s
    assert _skus(sink) == ["MUG"]


class _CountlessVideo(YouTubeLiveServer):
    """YouTube whose ``videos.list`` (the viewer count) fails once the chat is open: a 500, an
    HTML page, a 404 while the chat still answers."""

    def __init__(self, answer: Reply) -> None:
        super().__init__(interval_ms=1000)
        self.answer = answer
        self.counting = True

    def _handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        if path == self.videos_path and not self.counting:
            with self.lock:
                self.requests.append((path, query, headers))
            return self.answer
        return super()._handle(path, query, headers)


@pytest.mark.parametrize(
    "answer",
    [
        Reply(500, b'{"error": {"code": 500, "errors": [{"reason": "backendError"}]}}'),
        Reply(200, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"}),
        Reply(404, b'{"error": {"code": 404, "errors": [{"reason": "notFound"}]}}'),
    ],
    ids=["500", "html", "404"],
)
def test_a_youtube_viewer_count_that_fails_for_good_does_not_hold_the_chat(answer: Reply) -> None:
    with _CountlessVideo(answer) as server:
        server.add_text("amy", "hello")
        fake = FakeTime()
        adapter = YouTubeChatAdapter(
            server.video_url, server.api_key, clock=fake.clock, wall_clock=fake.clock
        )

        def stop_counting() -> None:
            server.counting = False

        # The chat found and read, then the count fails for good; a comment comes later.
        sink, poller, _ = _polled(
            adapter,
            [(3, lambda: None), (60, stop_counting), (60, lambda: server.add_text("bob", "hi?"))],
            fake,
        )
    comments = [item.text for item in sink.items if isinstance(item, Comment)]
    assert comments == ["hello", "hi?"]
    assert poller.health.state == "ok"
    counts = sum(1 for path, _, _ in server.requests if path == server.videos_path)
    assert counts <= 3 + (fake.now_s - 100.0) / 60  # a look-up a minute, not one a poll


class _CharsetFeed(JsonFeedServer):
    """A JSON feed whose page holds one byte that is no UTF-8 (a Latin-1 name) and whose
    ``Content-Type`` names a codec of Python's that is no charset of the web."""

    def __init__(self, charset: str) -> None:
        super().__init__(poll_ms=100)
        self.charset = charset

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        body = reply.body.replace("José".encode(), b"Jos\xe9")
        return Reply(200, body, {"Content-Type": f"application/json; charset={self.charset}"})


@pytest.mark.parametrize("charset", ["undefined", "unicode_escape", "cp037"])
def test_a_charset_that_is_no_charset_of_the_web_does_not_lose_the_page(charset: str) -> None:
    with _CharsetFeed(charset) as server:
        server.add_comment("José", 'line one\\nsame line, "quoted"')
        server.add_order("MUG", 2, "12.00")
        sink, poller, _ = _polled(JsonFeedAdapter(server.url, None), [(2, lambda: None)])
    comments = [item for item in sink.items if isinstance(item, Comment)]
    assert [(c.author, c.text) for c in comments] == [
        ("Jos\ufffd", 'line one\\nsame line, "quoted"')
    ]
    assert _skus(sink) == ["MUG"]
    assert poller.health.errors == 0


@pytest.mark.parametrize("huge", [2**64, 10**400], ids=["2^64", "401 digits"])
def test_a_shopify_rest_order_id_past_64_bits_does_not_skip_the_shops_orders(huge: int) -> None:
    with ShopifyOrdersServer() as server:
        server.add_order([("MUG", 1, "12.00")])
        server.add_order([("ODD", 1, "1.00")])
        server.orders[-1]["id"] = huge

        def next_order() -> None:
            server.add_order([("NEW", 1, "9.00")])

        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, poller, _ = _polled(adapter, [(3, lambda: None), (6, next_order)])
    assert _skus(sink) == ["MUG", "NEW"]
    rejected = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected and {item.detail for item in rejected} == {"id past 64 bits"}  # with why
    assert poller.health.state == "ok"


class _OddTokenChat(YouTubeLiveServer):
    """YouTube (a mirror of its API) whose chat pages after the first carry ``nextPageToken``
    as a number, or none."""

    def __init__(self, token: object) -> None:
        super().__init__(interval_ms=1000, page_size=2)
        self.token = token

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        answer = json.loads(super().respond(query, headers).body)
        if query.get("pageToken") or self.token is None:
            if self.token is None:
                del answer["nextPageToken"]
            else:  # the server's own number, as it reads it back
                answer["nextPageToken"] = int(answer["nextPageToken"].removeprefix("tok"))
        return _json(answer)

    def _handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        token = query.get("pageToken", "")
        if token.isdigit():
            query = {**query, "pageToken": f"tok{token}"}
        return super()._handle(path, query, headers)


def test_a_youtube_page_token_sent_as_a_number_is_followed() -> None:
    with _OddTokenChat(0) as server:
        for n in range(3):
            server.add_text("amy", f"m{n}")

        def more() -> None:
            for n in range(3, 8):
                server.add_text("bob", f"m{n}")

        adapter = YouTubeChatAdapter(server.feed_url, server.api_key)
        sink, _, _ = _polled(adapter, [(4, lambda: None), (8, more)])
    assert [item.text for item in sink.items if isinstance(item, Comment)] == [
        f"m{n}" for n in range(8)
    ]


def test_a_youtube_page_without_a_next_token_is_said() -> None:
    with _OddTokenChat(None) as server:
        server.add_text("amy", "m0")
        adapter = YouTubeChatAdapter(server.feed_url, server.api_key)
        _polled(adapter, [(2, lambda: None)])
    assert "no nextPageToken" in adapter.status().note
