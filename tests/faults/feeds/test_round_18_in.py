"""Round eighteen of issue 10 (hunt18in): data from outside — proxies the environment names,
show files, CSV imports, feeds, the report (R18hunt18in.md)."""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import sqlite3
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer, Reply, ShopifyOrdersServer

from anchordesk.cli.main import main as cli_main
from anchordesk.feeds.hub import feed_setup_problem
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.spec import FeedSpec
from anchordesk.show.feed_items import Order
from anchordesk.store.report import build_report

from ..feed_parts import ingest_until
from .test_round_13_pages import _polled


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("All_Proxy", "socks5://127.0.0.1:1080", "the proxy All_Proxy names"),
        ("HTTPS_proxy", "http://proxy:8o80", "the proxy HTTPS_proxy names"),
        ("No_Proxy", "[::1]", "No_Proxy holds an entry that is no host name or address ([::1])"),
    ],
    ids=["socks-mixed-case", "bad-port-mixed-case", "no-proxy-mixed-case"],
)
def test_a_proxy_variable_written_in_mixed_case_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    """F1: httpx reads the proxy variables in any case (urllib's ``getproxies``), and so does
    ``anchordesk live --feed``'s check; the variable it could not use was looked up in upper and
    lower case only, and ``All_Proxy=socks5://…`` was said as httpx's own "pip install
    httpx[socks] (ImportError)", naming nothing to fix."""
    for variable in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv(name, value)
    problem = feed_setup_problem([FeedSpec("json", "http://192.0.2.9/feed")], show=None)
    assert problem is not None and said in problem, problem
    assert "pip install" not in problem and "(InvalidURL)" not in problem


class _ShopDeletingAnOrder(ShopifyOrdersServer):
    """Shopify REST whose answers holding one of ``huge`` are past the 8 MB cap (an app's
    thousands of note attributes), and whose new order ``deleted_when_asked_by_id`` is deleted
    (a merchant deleting a test order) just as its id alone is asked for."""

    huge: set[int]
    deleted_when_asked_by_id = 0

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if (
            self.deleted_when_asked_by_id
            and query.get("fields") == "id"
            and "updated_at_min" not in query
            and "page_info" not in query
        ):
            self.orders = [o for o in self.orders if o["id"] != self.deleted_when_asked_by_id]
            self.deleted_when_asked_by_id = 0
        reply = super().respond(query, headers)
        if any(re.search(rf'"id": {order}[,}}]'.encode(), reply.body) for order in self.huge):
            return Reply(
                200,
                gzip.compress(b" " * 9_000_000),
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
        return reply


def test_an_updates_page_past_the_cap_after_an_order_deleted_does_not_hold_the_feed() -> None:
    """F2: an order edited past the cap on the second page of a window of updated orders, and a
    new order past the cap deleted before its id alone could be read: the updates page was
    asked at once for ever (read as the search for a new order's id, from the since_id of the
    ids-only call before it), and no later order of the show was read."""
    with _ShopDeletingAnOrder() as server:
        server.huge = set()
        first = [server.add_order([("MUG", 1, "5.00")]) for _ in range(4)]

        def edit_and_cancel() -> None:
            server.cancel(first[0])
            server.cancel(first[1])
            server.huge.add(first[1])  # edited past the cap: its answers cannot be read
            server.cancel(first[3])

        def add_deleted() -> None:
            deleted = server.add_order([("BIG", 1, "5.00")])
            server.huge.add(deleted)
            server.deleted_when_asked_by_id = deleted

        sink, _, _ = _polled(
            ShopifyOrdersAdapter(server.url, server.token),
            [
                (3, lambda: None),
                (30, edit_and_cancel),
                (12, add_deleted),
                (40, lambda: server.add_order([("LATE", 1, "5.00")])),
            ],
        )
    skus = [line.sku for item in sink.items if isinstance(item, Order) for line in item.lines]
    assert skus.count("LATE") == 1 and skus.count("MUG") == 4, skus


def test_bad_items_alike_in_their_first_two_thousand_characters_are_each_kept(
    tmp_path: Path,
) -> None:
    """F3: three refunds of one order with a status of 200,000 characters, each its own
    ``refund_id`` (after the status), three comments without an id pasting the same long text
    by three authors, and three comments whose 3,000-character ids differ at the end: one of
    each three was kept and the report counted 3 rejected items of 9, the others dropped
    unsaid. The store tells bad items apart by a digest of the part it keeps (2,000
    characters)."""
    session = tmp_path / "s.adsession"
    feed = JsonFeedServer(poll_ms=10)
    with feed:
        feed.add_order("MUG", 1, "10.00")
        order_id = feed.items[0]["id"]
        for n in range(3):
            feed.add_raw(
                {
                    "type": "order_update",
                    "id": order_id,
                    "status": "S" * 200_000,
                    "refund": "1.00",
                    "refund_id": f"r{n}",
                }
            )
        for author in ("ann", "bob", "cy"):
            feed.add_raw({"type": "comment", "text": "spam " * 1_000, "author": author})
        for n in range(3):
            feed.add_raw(
                {"type": "comment", "id": "c" * 3_000 + str(n), "author": "a", "text": "x"}
            )
        ingest_until(
            FeedSpec("json", feed.url),
            session,
            lambda hub: hub.pollers[0].cursor == str(len(feed.items)),
        )
    report = build_report(session)
    assert len(report.rejected) == 9, report.rejected


def test_a_session_whose_feed_status_is_nested_too_deep_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F4: a session file whose kept feeds' status is 200,000 brackets deep (a damaged or
    crafted file): ``report`` ended in a traceback (RecursionError), text, --json and --html
    alike; every other meta value nested so is read as damaged."""
    session = tmp_path / "s.adsession"
    feed = JsonFeedServer(poll_ms=10)
    with feed:
        feed.add_order("MUG", 2, "10.00")
        ingest_until(
            FeedSpec("json", feed.url),
            session,
            lambda hub: hub.pollers[0].cursor == str(len(feed.items)),
        )
    with contextlib.closing(sqlite3.connect(session)) as connection, connection:
        connection.execute(
            "UPDATE meta SET value = ? WHERE key = 'feed_status'", ("[" * 200_000 + "]" * 200_000,)
        )
    for form in ([], ["--json"], ["--html", str(tmp_path / "r.html")]):
        assert cli_main(["report", str(session), "--lang", "en", *form]) == 0
    out = capsys.readouterr().out
    assert "20.00" in out
