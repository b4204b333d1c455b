"""The poller against hostile servers on loopback: a page too big to read, Retry-After values
that would make it hammer, "more" without progress, a wait of 1e12 ms, and an order that
shares its id with a comment (issue 10). Time is injected: the waits chosen are asserted, not
slept."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import threading
from collections.abc import Iterator, Sequence

import httpx
import pytest
from feed_servers import Fault, JsonFeedServer

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.poller import MAX_RESPONSE_BYTES, BackoffPolicy, Poller
from anchordesk.show.feed_items import Comment, FeedItem, Order

pytestmark = pytest.mark.integration


class FakeTime:
    def __init__(self) -> None:
        self.now_s = 100.0

    def clock(self) -> float:
        return self.now_s

    async def sleep(self, delay_s: float) -> None:
        self.now_s += delay_s
        await asyncio.sleep(0)


class Sink:
    def __init__(self) -> None:
        self.items: list[FeedItem] = []

    async def __call__(
        self, source: str, items: Sequence[FeedItem], cursor: str | None
    ) -> Sequence[FeedItem]:
        self.items.extend(items)
        return items


def poller(url: str, client: httpx.AsyncClient, sink: Sink, fake: FakeTime) -> Poller:
    return Poller(
        JsonFeedAdapter(url, None),
        client,
        sink,
        clock=fake.clock,
        sleep=fake.sleep,
        unit_random=lambda: 0.0,
        backoff=BackoffPolicy(first_delay_s=1.0, max_delay_s=30.0),
    )


class HugeBodyServer:
    """An HTTP server whose page is ``total_bytes`` of JSON, sent in chunks as long as the
    client reads; it counts what it could send before the client hung up."""

    def __init__(self, total_bytes: int, *, announce_length: bool) -> None:
        self.total_bytes = total_bytes
        self.announce_length = announce_length
        self.sent = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/feed"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                length = f"Content-Length: {self.total_bytes}\r\n" if self.announce_length else ""
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}"
                if not self.announce_length:
                    head += "Connection: close\r\n"
                connection.sendall((head + "\r\n").encode())
                chunk = b'{"items": [], "pad": "' + b"x" * 65_000
                with contextlib.suppress(OSError):
                    while self.sent < self.total_bytes:
                        connection.sendall(chunk)
                        self.sent += len(chunk)

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def huge_server(request: pytest.FixtureRequest) -> Iterator[HugeBodyServer]:
    server = HugeBodyServer(150 * 1024 * 1024, announce_length=request.param)
    yield server
    server.close()


@pytest.mark.parametrize("huge_server", [False, True], indirect=True, ids=["chunked", "length"])
def test_a_150_mb_page_is_refused_at_the_cap_and_the_feed_goes_on(
    huge_server: HugeBodyServer,
) -> None:
    sink, fake = Sink(), FakeTime()
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    async def scenario() -> float:
        async with httpx.AsyncClient() as client:
            return await poller(huge_server.url, client, sink, fake).poll_once()

    delay = asyncio.run(scenario())
    assert delay == 0.5, "an error: the backoff's first step (no jitter here), then again"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb) / 1024
    assert grown_mb < 60, f"the body was not held whole ({grown_mb:.0f} MB more)"
    assert huge_server.sent < 3 * MAX_RESPONSE_BYTES + 16 * 1024 * 1024, "the read stopped"


def test_the_too_large_error_is_one_line_in_the_feed_status() -> None:
    server = HugeBodyServer(20 * 1024 * 1024, announce_length=False)
    sink, fake = Sink(), FakeTime()

    async def scenario() -> Poller:
        async with httpx.AsyncClient() as client:
            feed = poller(server.url, client, sink, fake)
            await feed.poll_once()
            return feed

    try:
        feed = asyncio.run(scenario())
    finally:
        server.close()
    assert feed.health.state == "retrying"
    assert feed.health.last_error == (
        "response larger than the 8 MB limit (more was sent): not read"
    )


@pytest.mark.parametrize("value", ["0", "-30", "nan", "soon"])
def test_retry_after_never_makes_the_poller_hammer(value: str) -> None:
    server = JsonFeedServer(poll_ms=1000)
    sink, fake = Sink(), FakeTime()
    with server:
        server.inject(*[Fault("status", 429, {"Retry-After": value})] * 5)

        async def scenario() -> list[float]:
            async with httpx.AsyncClient() as client:
                feed = poller(server.url, client, sink, fake)
                return [await feed.poll_once() for _ in range(5)]

        delays = asyncio.run(scenario())
    # 10 s of a server answering 429 with this header: a handful of requests, not 215. An
    # unreadable value is no header: the backoff (0.5 s at the least with this jitter).
    assert all(delay >= 0.5 for delay in delays), delays
    assert max(delays) <= 600.0
    requests_in_10_s = 0
    elapsed = 0.0
    for delay in delays:
        if elapsed >= 10:
            break
        requests_in_10_s += 1
        elapsed += delay
    assert requests_in_10_s <= 10


def test_more_without_progress_is_asked_at_the_normal_interval_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = JsonFeedServer(poll_ms=1000)
    sink, fake = Sink(), FakeTime()
    stuck = b'{"items": [], "next": "5", "more": true}'
    with server:
        server.inject(*[Fault("malformed", body=stuck)] * 20)

        async def scenario() -> list[float]:
            async with httpx.AsyncClient() as client:
                feed = poller(server.url, client, sink, fake)
                return [await feed.poll_once() for _ in range(20)]

        with caplog.at_level("WARNING"):
            delays = asyncio.run(scenario())
    assert delays[0] == 0.0, "the first page moved the cursor to 5: more, at once"
    assert delays[1:] == [1.0] * 19, "no new cursor, no new item: not 'more' any longer"
    assert sum("sent nothing new" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize(("poll_ms", "expected_s"), [("1e12", 60.0), ("-5", 0.2), ("0", 0.2)])
def test_poll_ms_is_kept_within_bounds(poll_ms: str, expected_s: float) -> None:
    server = JsonFeedServer()
    sink, fake = Sink(), FakeTime()
    body = b'{"items": [], "next": "0", "poll_ms": ' + poll_ms.encode() + b"}"
    with server:
        server.inject(Fault("malformed", body=body))

        async def scenario() -> float:
            async with httpx.AsyncClient() as client:
                return await poller(server.url, client, sink, fake).poll_once()

        assert asyncio.run(scenario()) == expected_s


def test_an_order_with_the_id_of_a_comment_is_kept() -> None:
    server = JsonFeedServer()
    sink, fake = Sink(), FakeTime()
    with server:
        server.add_raw({"type": "comment", "id": "1001", "text": "hi"})
        server.add_raw(
            {
                "type": "order",
                "id": "1001",
                "total": "9.90",
                "lines": [{"sku": "A", "quantity": 1, "price": "9.90"}],
            }
        )

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                await poller(server.url, client, sink, fake).poll_once()

        asyncio.run(scenario())
    assert [type(item) for item in sink.items] == [Comment, Order]
