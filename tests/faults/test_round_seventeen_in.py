"""Round seventeen of issue 10 (hunt17in): data from outside — show files, CSV imports, feeds,
the report, secrets in URLs (R17hunt17in.md)."""

from __future__ import annotations

import asyncio
import socket

import feed_servers
import httpx
import pytest
from feed_servers import JsonFeedServer

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.hub import _new_http_client, unusable_proxy
from anchordesk.feeds.poller import Poller, goes_direct
from anchordesk.show.feed_items import FeedItem


class _Kept:
    async def __call__(self, source: str, items: list[FeedItem], cursor: str | None) -> list:
        return list(items)


def _own_address(family: socket.AddressFamily, far: str) -> str | None:
    """An address of this machine that is not loopback (the one its route out leaves from)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((far, 9))  # UDP: nothing is sent
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith(("127.", "::1")) else address


@pytest.mark.parametrize(
    ("family", "far", "no_proxy"),
    [
        (socket.AF_INET, "198.51.100.1", "{net4},.internal"),
        (socket.AF_INET6, "2001:db8::1", "localhost,{net6}"),
    ],
    ids=["ipv4-range", "ipv6-range"],
)
def test_a_feed_inside_an_address_range_no_proxy_names_is_not_asked_through_the_proxy(
    family: socket.AddressFamily, far: str, no_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F2 (task): an office's HTTP_PROXY with ``NO_PROXY=10.0.0.0/8,.internal``, as curl reads
    it, and the shop's bridge on the office network: httpx exempted only the one address
    10.0.0.0, so every poll went to the proxy ("network error", no order read all show); an
    IPv6 range stopped every feed ("NO_PROXY holds an entry that is no host name")."""
    address = _own_address(family, far)
    if address is None:
        pytest.skip("this machine has no address of that family besides loopback")
    with socket.create_server(("127.0.0.1", 0)) as gone:
        proxy = f"http://127.0.0.1:{gone.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    if family == socket.AF_INET:
        range_ = ".".join(address.split(".")[:2]) + ".0.0/16"
    else:
        range_ = address.split(":")[0] + "::/16"
    monkeypatch.setenv("NO_PROXY", no_proxy.format(net4=range_, net6=range_))
    monkeypatch.setattr(feed_servers.ThreadingHTTPServer, "address_family", family)
    server = JsonFeedServer(poll_ms=100)
    server.host = address
    server.add_comment("mei", "does it come in blue?")
    host = f"[{address}]" if ":" in address else address

    async def poll_through_the_hubs_client(url: str) -> Poller:
        async with _new_http_client(2.0, httpx.Limits(), [url]) as client:
            poller = Poller(JsonFeedAdapter(url, None), client, _Kept(), timeout_s=2.0)
            await poller.poll_once()
            return poller

    assert unusable_proxy() is None
    with server:
        poller = asyncio.run(poll_through_the_hubs_client(f"http://{host}:{server.port}/feed"))
    assert (poller.health.items, poller.health.last_error) == (1, "")


def test_twitchs_websocket_reads_the_same_ranges() -> None:
    """The EventSub WebSocket (websockets reads NO_PROXY through urllib, without ranges) goes
    direct to an address inside a range, and only to an address: a name is not resolved."""
    no_proxy = "10.0.0.0/8, fd00::/8 ,.internal"
    inside = ["wss://10.1.2.3/ws", "ws://[fd00::5]:8080/ws", "wss://[::ffff:10.0.0.9]/ws"]
    outside = ["wss://11.0.0.1/ws", "wss://[fe80::1]/ws", "wss://10.example/ws", "wss://ten/"]
    assert [goes_direct(url, no_proxy) for url in inside] == [True] * len(inside)
    assert [goes_direct(url, no_proxy) for url in outside] == [False] * len(outside)
