"""Round three, HTTP edge cases against the poller, each from a raw server on loopback.

Found: a redirect (to another host, with the token in its query) was not followed — right,
the token must not travel — but the feed's status said "not JSON", and an HTML error page
served with 200 said only "not JSON (JSONDecodeError)". Held already (kept as evidence): a
body at 1 byte a tick, a chunked body that never ends and headers that never end all stop at
the response deadline (three request timeouts); 401/403/404/451/500 are retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from feed_servers import Reply, ShopifyOrdersServer

from anchordesk.feeds.adapters import JsonFeedAdapter, ShopifyOrdersAdapter
from anchordesk.feeds.poller import Poller
from anchordesk.feeds.tokens import feed_token

from ..feeds.test_feed_limits import Sink

pytestmark = pytest.mark.integration

TOKEN = "SECRETTOKEN123456"

Handler = Callable[[socket.socket], None]


@contextlib.contextmanager
def raw_server(handler: Handler) -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_answer, args=(handler, connection), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        stop.set()
        listener.close()


def _answer(handler: Handler, connection: socket.socket) -> None:
    with connection, contextlib.suppress(OSError):
        connection.recv(65536)
        handler(connection)


def poll(url: str, timeout_s: float = 1.0) -> tuple[float, float, Poller]:
    async def scenario() -> tuple[float, float, Poller]:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            poller = Poller(
                JsonFeedAdapter(url, TOKEN), client, Sink(), timeout_s=timeout_s,
                unit_random=lambda: 0.0,
            )  # fmt: skip
            started = time.monotonic()
            delay = await poller.poll_once()
            return time.monotonic() - started, delay, poller

    return asyncio.run(scenario())


def test_a_redirect_is_not_followed_and_is_said_as_a_redirect() -> None:
    def redirect(connection: socket.socket) -> None:
        connection.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/steal?token="
            + TOKEN.encode()
            + b"\r\nContent-Length: 0\r\n\r\n"
        )

    with raw_server(redirect) as url:
        _, delay, poller = poll(url)
    assert poller.health.last_error == (
        "the server redirects (HTTP 302), not followed: give the feed's new address; "
        "it points to http://elsewhere.example/steal?token=****"
    )
    assert delay == 0.5 and poller.health.state == "retrying"


def test_an_html_page_served_as_200_is_named() -> None:
    def html(connection: socket.socket) -> None:
        body = b"<html><body>Bad gateway</body></html>"
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )

    with raw_server(html) as url:
        _, _, poller = poll(url)
    assert poller.health.last_error == "malformed response: not JSON: the server sent text/html"


def _trickle(head: bytes, piece: bytes) -> Handler:
    def handler(connection: socket.socket) -> None:
        connection.sendall(head)
        for _ in range(200):  # 40 s at most: far past the deadline
            connection.sendall(piece)
            time.sleep(0.2)

    return handler


@pytest.mark.parametrize(
    "handler",
    [
        _trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b" "),
        _trickle(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\n \r\n"),
        _trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"),
    ],
    ids=["body-1-byte-a-tick", "chunked-never-ends", "headers-never-end"],
)
def test_a_response_that_never_ends_stops_at_the_deadline(handler: Handler) -> None:
    with raw_server(handler) as url:
        took_s, _, poller = poll(url, timeout_s=1.0)
    # Said with the time it was given (R19hunt19in F3: "no answer within 1 s", after 3 s).
    assert poller.health.last_error == (
        "the answer was still coming after 3 s: the server sends it too slowly"
    )
    assert took_s < 10, "it ends (at three request timeouts), whatever the server trickles"


@pytest.mark.parametrize("status", [401, 403, 404, 451, 500])
def test_refusals_are_retried_with_backoff_and_name_the_status(status: int) -> None:
    def refuse(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 %d No\r\nContent-Length: 2\r\n\r\n{}" % status)

    with raw_server(refuse) as url:
        _, delay, poller = poll(url)
    assert poller.health.last_error == f"HTTP {status}" and delay == 0.5


def poll_shopify_linking_to(link: str) -> Poller:
    """Four polls of a Shopify shop whose pages of updated orders say `Link: <link>; next`."""

    class LinkingServer(ShopifyOrdersServer):
        def _updated_page(self, *args: Any, **kwargs: Any) -> Reply:
            reply = super()._updated_page(*args, **kwargs)
            reply.headers["Link"] = f'<{link}>; rel="next"'
            return reply

    with LinkingServer() as shop:
        shop.add_order([("SERUM-30", 1, "10.00")])

        async def scenario() -> Poller:
            async with httpx.AsyncClient() as client:
                poller = Poller(
                    ShopifyOrdersAdapter(shop.url, shop.token), client, Sink(),
                    unit_random=lambda: 0.0,
                )  # fmt: skip
                for _ in range(4):
                    await poller.poll_once()
                return poller

        return asyncio.run(scenario())


def test_shopify_never_follows_a_next_page_link_to_another_host_with_the_token() -> None:
    # Shopify pages updated orders with `Link: <…>; rel="next"`, and the adapter asked that
    # URL as given, with X-Shopify-Access-Token: a hostile server (or a proxy) could point it
    # at any host and collect the shop's token.
    received: list[bytes] = []

    def collect(connection: socket.socket) -> None:
        received.append(b"asked")
        connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{"orders": []}')

    with raw_server(collect) as elsewhere:
        poller = poll_shopify_linking_to(f"{elsewhere}?page_info=p1")
    assert received == []
    assert poller.health.last_error == (
        f"malformed response: the next page's link points to {elsewhere}?page_info=****, not "
        "to the shop: not followed (it would carry the access token there)"
    )


@pytest.mark.parametrize("token", ["tok\u200bSECRET123", "tokén-SECRET123", "tok\nSECRET123"])
def test_a_token_http_cannot_carry_is_one_line_not_a_dead_feed(token: str) -> None:
    # A token pasted with a zero-width space or an accented letter: UnicodeEncodeError escaped
    # the poller (the feed's task ended with a traceback); one with a line break was quoted,
    # token and all, in the feed's status and the log.
    def answer(connection: socket.socket) -> None:
        connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{"items": []}')

    with raw_server(answer) as url:

        async def scenario() -> Poller:
            async with httpx.AsyncClient() as client:
                poller = Poller(JsonFeedAdapter(url, token), client, Sink())
                await poller.poll_once()
                return poller

        poller = asyncio.run(scenario())
    assert poller.health.state == "retrying"
    assert poller.health.last_error.startswith("the request cannot be sent: its token or address")
    assert "SECRET123" not in poller.health.last_error


@pytest.mark.parametrize(
    "pasted", ["\u200btok-123\u200b", "\ufefftok-123", "\xa0tok-123\n", "tok-123\u2060"]
)
def test_a_token_pasted_with_invisible_characters_around_it_is_the_token(
    pasted: str,
) -> None:
    assert feed_token("json", {"ANCHORDESK_JSON_TOKEN": pasted}) == "tok-123"
