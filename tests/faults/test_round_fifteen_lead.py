"""Round fifteen of issue 10, the lead's own: leftovers of round fourteen."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from feed_servers import JsonFeedServer

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.hub import _new_http_client
from anchordesk.feeds.poller import Poller, on_loopback
from anchordesk.show.feed_items import FeedItem


class _Kept:
    async def __call__(self, source: str, items: list[FeedItem], cursor: str | None) -> list:
        return list(items)


@pytest.mark.parametrize("host", ["127.0.0.2", "127.1.2.3"])
def test_a_feed_on_any_loopback_address_is_not_asked_through_a_proxy(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R14feeds: HTTP_PROXY set, as offices do, and a mock server on 127.0.0.2 (a second
    local server beside the first): only 127.0.0.1, localhost and ::1 were kept off the proxy,
    which cannot reach this machine's loopback ("network error" on every poll)."""
    with socket.create_server(("127.0.0.1", 0)) as gone:
        proxy = f"http://127.0.0.1:{gone.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("ALL_PROXY", proxy)
    server = JsonFeedServer(poll_ms=100)
    server.host = host
    server.add_comment("mei", "does it come in blue?")

    async def poll_through_the_hubs_client() -> Poller:
        async with _new_http_client(2.0, httpx.Limits(), [server.url]) as client:
            poller = Poller(JsonFeedAdapter(server.url, None), client, _Kept(), timeout_s=2.0)
            await poller.poll_once()
            return poller

    with server:
        poller = asyncio.run(poll_through_the_hubs_client())
    assert (poller.health.items, poller.health.last_error) == (1, "")


def test_this_machine_s_names_are_all_loopback() -> None:
    """The names a user writes for this machine, and names that only look like it."""
    mine = [
        "http://localhost./f",
        "http://LOCALHOST/f",
        "http://shop.localhost:8/f",
        "http://127.0.0.2/f",
        "http://[::1]:9/f",
        "ws://127.255.255.254/",
    ]
    others = [
        "http://localhost.example.com/f",
        "http://128.0.0.1/f",
        "http://[::2]/f",
        "http://mylocalhost/f",
        "http://[::ffff:8.8.8.8]/f",
    ]
    assert [on_loopback(url) for url in mine] == [True] * len(mine)
    assert [on_loopback(url) for url in others] == [False] * len(others)
