"""Round sixteen of issue 10 (hunt16in): data from outside — show files, CSV imports, feeds,
the report, secrets in URLs (R16in.md)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import socket
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from feed_servers import JsonFeedServer, Reply, ShopifyOrdersServer, YouTubeChatServer
from platform_servers import TwitchServer, wait_until
from test_poller import Collector
from test_twitch import feed_for

from anchordesk.cli.main import main as cli_main
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.hub import _new_http_client
from anchordesk.feeds.poller import Poller, on_loopback
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.youtube import YouTubeChatAdapter
from anchordesk.show.feed_items import Comment, FeedItem, Order, OrderUpdate, RejectedItem
from anchordesk.store import SessionStore

from .test_round_13_pages import _polled


class _GrowingOrderShop(ShopifyOrdersServer):
    """Shopify REST whose ``Link`` repeats the page's ``fields`` (Shopify's pagination guide:
    the link's URL "can include" page_info, limit and fields), with one order that grows past
    the 8 MB cap alone after it was read (an app writing thousands of note attributes)."""

    huge_id = 0

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        fields = query.get("fields")
        if self.huge_id and not fields and f'"id": {self.huge_id},'.encode() in reply.body:
            return Reply(
                200,
                gzip.compress(b" " * 9_000_000),
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
        if fields and "Link" in reply.headers:
            link = reply.headers["Link"]
            reply.headers["Link"] = link.replace("?limit=", f"?fields={fields}&limit=", 1)
        return reply


def test_a_window_of_updated_orders_past_one_too_large_order_still_sees_the_cancellations() -> None:
    """F1: a bulk edit touched every order of the show (260, two pages of updated orders) and
    one of them had grown past the cap alone. Its page was asked again smaller, the order kept
    as rejected with its id only, but the next page's link repeated that call's
    ``fields=id,updated_at&limit=1``: the rest of the window was read one order a call with
    ids only, a cancellation on it never seen (GMV too high by its amount), and no new order
    read meanwhile. The link's page_info is followed, the size and fields are the feed's."""
    with _GrowingOrderShop() as server:
        for number in range(260):
            server.add_order([(f"S{number}", 1, "5.00")])
        ids = [order["id"] for order in server.orders]

        def bulk_edit() -> None:
            server.huge_id = ids[254]
            for order in server.orders:
                order["updated_at"] = server._now()
            server.cancel(ids[257])
            server.cancel(ids[258])
            server.add_order([("LATE", 1, "5.00")])

        sink, poller, _ = _polled(
            ShopifyOrdersAdapter(server.url, server.token), [(6, lambda: None), (40, bulk_edit)]
        )
    cancelled = {item.order_id for item in sink.items if isinstance(item, OrderUpdate)}
    assert cancelled == {str(ids[257]), str(ids[258])}
    rejected = [(item.kind, item.item_id) for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected == [("order_update", str(ids[254]))]
    assert sum(isinstance(item, Order) for item in sink.items) == 261
    assert poller.health.state == "ok", poller.health


class _Kept:
    async def __call__(self, source: str, items: list[FeedItem], cursor: str | None) -> list:
        return list(items)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "[::ffff:127.0.0.1]", "2130706433", "127.1", "0x7f.0.0.1"]
)
def test_a_feed_on_this_machine_however_its_address_is_written_is_not_asked_through_a_proxy(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F2: HTTP_PROXY set, as offices do, and the feed given as a local server prints where it
    listens ("Running on http://0.0.0.0:8000"), or as an IPv4-mapped or numeric spelling of
    127.0.0.1 (which browsers read as 127.0.0.1): asked through the proxy, which cannot reach
    this machine, "network error" on every poll and no comment in the whole rehearsal."""
    with socket.create_server(("127.0.0.1", 0)) as gone:
        proxy = f"http://127.0.0.1:{gone.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("ALL_PROXY", proxy)
    server = JsonFeedServer(poll_ms=100)
    server.host = "0.0.0.0"
    server.add_comment("mei", "does it come in blue?")

    async def poll_through_the_hubs_client(url: str) -> Poller:
        async with _new_http_client(2.0, httpx.Limits(), [url]) as client:
            poller = Poller(JsonFeedAdapter(url, None), client, _Kept(), timeout_s=2.0)
            await poller.poll_once()
            return poller

    with server:
        poller = asyncio.run(poll_through_the_hubs_client(f"http://{host}:{server.port}/feed"))
    assert (poller.health.items, poller.health.last_error) == (1, "")


def test_names_that_only_look_like_this_machine_still_go_through_the_proxy() -> None:
    others = [
        "http://[::ffff:8.8.8.8]/f",
        "http://1e100.net/f",
        "http://128.1/f",
        "http://0x80.1/f",
    ]
    assert [on_loopback(url) for url in others] == [False] * len(others)


@pytest.mark.parametrize(
    ("field", "value"),
    [("live_again", -5), ("live_again", True), ("live_again", 3.7), ("live_s", "600")],
)
def test_a_hand_edited_stream_line_of_a_wrong_type_or_a_negative_count_is_not_said(
    field: str, value: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F3: the report's Stream line of a session file edited by hand said "reconnects: -5"
    (a negative time was refused, a negative count not), and read true as 1 reconnect, 3.7
    as 3, the text "600" as ten minutes live. Such an event is unreadable, as one of a
    negative time: skipped with a warning, the report goes on."""
    session = tmp_path / "s.adsession"
    SessionStore(session).close()
    data = {"kind": "stream_ended", "destination": "rtmp://h/live/****", "live_s": 600.0}
    data.update({"live_again": 1, "down_at_end_s": 0.0, field: value})
    with sqlite3.connect(session) as db:
        db.execute(
            "INSERT INTO show_events(source, id, at, kind, data)"
            " VALUES ('show', 'stream:1:0', 1800000000, 'stream_ended', ?)",
            (json.dumps(data),),
        )
    db.close()
    capsys.readouterr()
    assert cli_main(["report", str(session), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["streams"] == []
    assert cli_main(["report", str(session), "--lang", "en"]) == 0
    assert "Stream" not in capsys.readouterr().out


class _FeedOfHeader(BaseHTTPRequestHandler):
    """A JSON feed (docs/feed-protocol.md) answering with one header of bytes outside ASCII."""

    header: ClassVar[bytes] = b""

    def do_GET(self) -> None:
        item = {"type": "comment", "id": "c1", "author": "mei", "text": "does it come in blue?"}
        data = json.dumps({"items": [item], "cursor": "c1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self._headers_buffer.append(self.header + b"\r\n")  # as the bytes, not Latin-1 text
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    "header",
    [
        "Server: 直播小店".encode(),
        "Date: 周日, 29 11月 2026 22:00:00 GMT".encode(),
        'Content-Disposition: attachment; filename="订单.json"'.encode(),
        "X-Shop: Café".encode("latin-1"),
    ],
)
def test_a_feed_answering_with_a_header_outside_ascii_still_has_its_items_read(
    header: bytes,
) -> None:
    """F4: a feed server whose answer held one header in UTF-8 (a shop's name in ``Server``,
    a Date in the server's language, a file name in Chinese): every page failed, said as "the
    server redirects to an address that is not a valid URL, not followed", and no comment or
    order was read all show. The body, read under the cap, was put in a new response with the
    headers as text, which httpx could not set again outside ASCII."""
    _FeedOfHeader.header = header
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FeedOfHeader)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed"

    async def poll() -> Poller:
        async with _new_http_client(2.0, httpx.Limits(), [url]) as client:
            poller = Poller(JsonFeedAdapter(url, None), client, _Kept(), timeout_s=2.0)
            await poller.poll_once()
            return poller

    try:
        poller = asyncio.run(poll())
    finally:
        server.shutdown()
        server.server_close()
    assert (poller.health.items, poller.health.last_error) == (1, "")


def _twitch_moved_to(moved_to: str) -> str:
    """What the Twitch feed says once its server asked it to move to ``moved_to``, an address
    it cannot open (R26hunt26in F3: not followed, the connection kept, said once in the log;
    it was followed, failed, and said in the feed's status)."""
    server, sink = TwitchServer(), Collector()
    said: list[str] = []

    class _Said(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    handler = _Said(logging.WARNING)
    logging.getLogger("anchordesk.feeds.twitch").addHandler(handler)

    async def scenario() -> str:
        await server.start_ws()
        feed = feed_for(server)
        async with httpx.AsyncClient() as client:
            # The test's sleep waits an hour (viewer counts): the feed is cancelled at the end.
            task = asyncio.create_task(feed.run(client, sink, asyncio.Event()))
            try:
                await server.wait_for_connections(1, subscriptions=3)
                await server.reconnect_to(moved_to)
                await wait_until(lambda: feed.health.malformed_responses == 1)()
                assert (feed.health.last_error, feed.reconnects) == ("", 0)
                return "\n".join(said)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await server.stop_ws()

    try:
        with server:
            return asyncio.run(scenario())
    finally:
        logging.getLogger("anchordesk.feeds.twitch").removeHandler(handler)


def test_a_twitch_move_to_an_address_it_cannot_open_is_said_masked_and_escaped() -> None:
    """F5: a session_reconnect whose reconnect_url is no WebSocket address (a broken mock, a
    hostile server) was said in the feed's status (the window, the remote) as the WebSocket
    library quotes it: its password, its access_token and an ESC that clears a terminal in the
    clear, where every HTTP feed's status masks a URL by the one rule and escapes it."""
    error = _twitch_moved_to("https://user:hunter2@evil.example/\x1b[2J?access_token=tok_SECRET_42")
    assert "evil.example" in error and "staying on this connection" in error
    assert "hunter2" not in error and "tok_SECRET_42" not in error and "\x1b" not in error


@pytest.mark.parametrize(
    ("moved_to", "why"),
    [
        ("wss://127.0.0.1:99999/ws", "Port out of range 0-65535"),
        ("wss://[::1/ws", "Invalid IPv6 URL"),
    ],
)
def test_a_twitch_move_to_an_address_of_a_bad_port_says_what_is_wrong(
    moved_to: str, why: str
) -> None:
    """F7 (B): a reconnect_url with a port past 65535 or broken IPv6 brackets was said
    "unexpected error (ValueError)": now the address is not one, and why."""
    error = _twitch_moved_to(moved_to)
    assert f"which is not an address ({why}); staying on this connection" in error, error


@pytest.mark.parametrize("flag", ["false", "0", 1, {"value": False}])
def test_a_youtube_comment_flagged_moderator_by_anything_but_true_is_no_moderators(
    flag: object,
) -> None:
    """F6 (B): YouTube's ``isChatModerator``/``isChatOwner`` read by truthiness: the text
    "false" (a proxy or a mock that writes its booleans as text) kept the viewer's comment in
    the session as a moderator's and the channel owner's. JSON's true only, as the JSON feed
    reads its ``moderator`` and ``owner``."""
    with YouTubeChatServer() as server:
        server.add_text("amy", "hello")
        author = server.messages[0]["authorDetails"]
        author.update(isChatModerator=flag, isChatOwner=flag)
        sink, _, _ = _polled(
            YouTubeChatAdapter(server.feed_url, server.api_key), [(2, lambda: None)]
        )
    (comment,) = [item for item in sink.items if isinstance(item, Comment)]
    assert (comment.is_moderator, comment.is_owner) == (False, False)
