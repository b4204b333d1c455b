"""The third round of hostile inputs, feeds (issue 10): one item nested too deep for Python's
JSON reader refused the whole page (asked again and refused again, forever), on every platform.
Now that item alone is kept as rejected, with its reason, and the rest of the page is read.

Real parts: each platform's local server (its documented JSON), with one item's field swapped
for 5,000 levels of brackets on the wire; the store and the report for the generic feed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from feed_servers import JsonFeedServer, Reply, ShopifyOrdersServer, YouTubeChatServer
from platform_servers import ShopifyGraphQLServer

from anchordesk.cli import main as cli_main
from anchordesk.feeds.adapters import JsonFeedAdapter, ShopifyOrdersAdapter, YouTubeChatAdapter
from anchordesk.feeds.poller import FeedAdapter, Poller
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.show.feed_items import Comment, Order, RejectedItem
from anchordesk.store.report import build_report

from ..feed_parts import ingest
from .test_feed_limits import FakeTime, Sink

pytestmark = pytest.mark.integration

MARK = "@@deep@@"
DEEP = b"[" * 5000 + b"]" * 5000


def _deepen(reply: Reply) -> Reply:
    reply.body = reply.body.replace(f'"{MARK}"'.encode(), DEEP)
    return reply


class DeepJsonServer(JsonFeedServer):
    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        return _deepen(super().respond(query, headers))


class DeepYouTubeServer(YouTubeChatServer):
    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        return _deepen(super().respond(query, headers))


class DeepShopifyServer(ShopifyOrdersServer):
    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        return _deepen(super().respond(query, headers))


class DeepGraphQLServer(ShopifyGraphQLServer):
    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        return _deepen(super().handle(method, path, query, headers, body))


def test_one_item_nested_too_deep_is_rejected_and_the_page_kept_in_store_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = DeepJsonServer(poll_ms=10)
    with server:
        server.add_comment("ann", "before")
        server.add_raw({"type": "comment", "id": "c-deep", "author": "x", "text": MARK})
        server.add_order("SERUM-30", 1, "129.00")
        hub = ingest(server, tmp_path / "s.adsession")
    health = hub.health()[0]
    assert health.rejected == 1 and health.malformed_responses == 0

    report = build_report(tmp_path / "s.adsession")
    assert report.comments == 1 and report.orders == 1
    [rejected] = report.rejected
    assert (rejected.kind, rejected.item_id, rejected.reason) == ("comment", "c-deep", "unreadable")
    assert rejected.detail == "nested too deep to read"
    with sqlite3.connect(tmp_path / "s.adsession") as db:
        [(raw,)] = db.execute("SELECT raw FROM rejected_items").fetchall()
    assert raw.startswith('{"type": "comment", "id": "c-deep"') and len(raw) <= 2000

    assert cli_main(["report", str(tmp_path / "s.adsession")]) == 0
    assert "1 item rejected, not counted" in capsys.readouterr().out


def _poll(adapter: FeedAdapter, rounds: int) -> tuple[Sink, Poller]:
    sink, fake = Sink(), FakeTime()

    async def scenario() -> Poller:
        async with httpx.AsyncClient() as client:
            poller = Poller(
                adapter, client, sink, clock=fake.clock, sleep=fake.sleep, unit_random=lambda: 0.0
            )
            for _ in range(rounds):
                fake.now_s += await poller.poll_once()
            return poller

    return sink, asyncio.run(scenario())


def _split(sink: Sink) -> tuple[list[object], list[RejectedItem]]:
    kept = [item for item in sink.items if not isinstance(item, RejectedItem)]
    return kept, [item for item in sink.items if isinstance(item, RejectedItem)]


def test_youtube_a_message_nested_too_deep_is_rejected_the_others_kept() -> None:
    with DeepYouTubeServer() as server:
        server.add_text("ann", "first")
        deep_id = server.add_text("bob", MARK)
        server.add_text("cy", "third")
        sink, poller = _poll(YouTubeChatAdapter(server.feed_url, server.api_key), 1)
    kept, rejected = _split(sink)
    assert [c.text for c in kept if isinstance(c, Comment)] == ["first", "third"]
    assert [(r.item_id, r.kind, r.detail) for r in rejected] == [
        (deep_id, "comment", "nested too deep to read")
    ]
    assert poller.cursor == "tok3", "the page was read: its token moves on"


def test_shopify_rest_an_order_nested_too_deep_is_rejected_and_since_id_moves_on() -> None:
    with DeepShopifyServer() as server:
        first = server.add_order([("SERUM-30", 1, "10.00")])
        deep = server.add_order([("SERUM-30", 1, "10.00")])
        server.orders[-1]["note_attributes"] = MARK
        last = server.add_order([("SERUM-30", 2, "10.00")])
        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, poller = _poll(adapter, 1)
    kept, rejected = _split(sink)
    assert [o.id for o in kept if isinstance(o, Order)] == [str(first), str(last)]
    assert [(r.item_id, r.kind) for r in rejected] == [(str(deep), "order")]
    assert poller.cursor is not None and str(last) in poller.cursor


def test_shopify_graphql_an_order_nested_too_deep_is_rejected_not_the_page() -> None:
    with DeepGraphQLServer() as server:
        server.add_order([("SERUM-30", 1, "10.00")])
        server.add_order([("SERUM-30", 1, "10.00")])
        server.add_order([("SERUM-30", 3, "10.00")])
        server.orders[1].currency = MARK
        adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
        sink, poller = _poll(adapter, 1)
    kept, rejected = _split(sink)
    assert [o.id for o in kept if isinstance(o, Order)] == ["5001", "5003"]
    assert len(rejected) == 1 and rejected[0].kind == "order"
    assert rejected[0].item_id.endswith("5002") and poller.health.malformed_responses == 0


def test_depth_beside_the_item_list_still_refuses_the_page() -> None:
    # Not the platform's JSON: nothing to keep apart, the page is asked for again.
    server = DeepJsonServer(poll_ms=10)
    with server:
        server.add_comment("ann", "kept later")
        page = server.respond({}, {})
        page.body = page.body[:-1] + b', "extra": ' + DEEP + b"}"
        server.respond = lambda query, headers: page  # type: ignore[method-assign]
        sink, poller = _poll(JsonFeedAdapter(server.url, None), 1)
    assert sink.items == []
    assert poller.health.last_error == "malformed response: nested too deep (RecursionError)"


class RawPageServer(JsonFeedServer):
    """Serves the page's JSON with one item's text swapped, byte for byte, for ``raw``."""

    def __init__(self, raw: bytes, content_type: str = "application/json") -> None:
        super().__init__(poll_ms=10)
        self.raw, self.content_type = raw, content_type

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        reply.body = reply.body.replace(f'"{MARK}"'.encode(), self.raw)
        reply.headers["Content-Type"] = self.content_type
        return reply


def test_a_lone_surrogate_spoils_one_character_not_the_feed(tmp_path: Path) -> None:
    # JSON's grammar allows "\ud800" (half an emoji, cut by a server); Python's reader kept it,
    # and the session file (UTF-8) could not store the page: "could not store the page
    # ('utf-8' codec can't encode ...)", asked again forever, nothing after it ever arrived.
    page_item = (
        b'{"type": "order", "id": "o1", "currency": "CNY", "total": "10.00",'
        b' "customer": "\\udfff", "lines": [{"sku": "S\\ud800", "quantity": 1, "price": "10.00"}]}'
    )
    server = RawPageServer(page_item)
    with server:
        server.add_raw({"type": "x", "id": "placeholder"})
        server.items[-1] = MARK  # type: ignore[call-overload]
        server.add_raw({"type": "comment", "id": "c-emoji", "author": "\U0001f600", "text": "ok"})
        server.add_comment("ann", "after")
        hub = ingest(server, tmp_path / "s.adsession")
    assert hub.health()[0].errors == 0
    report = build_report(tmp_path / "s.adsession")
    assert report.orders == 1 and report.comments == 2
    with sqlite3.connect(tmp_path / "s.adsession") as db:
        # (In an id a lone half tells two ids apart: such an item is rejected, R25in F7.)
        assert db.execute("SELECT customer FROM orders").fetchall() == [("\ufffd",)]
        authors = {row[0] for row in db.execute("SELECT author FROM comments")}
    assert "\U0001f600" in authors


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        # A bridge that sends Latin-1 and says so: read in its charset.
        ('"caf\xe9"'.encode("latin-1"), "application/json; charset=iso-8859-1", "café"),
        # One byte that is not UTF-8 and no charset: that character is lost, not the page.
        (b'"caf\xe9 au lait"', "application/json", "caf\ufffd au lait"),
        # UTF-16 with its BOM, as JSON's reader detects it.
        (None, "application/json", "été"),
    ],
)
def test_a_body_in_another_charset_is_read_not_refused_forever(
    raw: bytes | None, content_type: str, expected: str
) -> None:
    page = {"items": [{"type": "comment", "id": "c1", "author": "ann", "text": expected}]}
    server = RawPageServer(raw or b"", content_type)
    with server:
        if raw is None:
            utf16 = json.dumps(page, ensure_ascii=False).encode("utf-16")
            server.respond = lambda query, headers: Reply(200, utf16)  # type: ignore[method-assign]
        else:
            server.add_raw({"type": "comment", "id": "c1", "author": "ann", "text": MARK})
        sink, poller = _poll(JsonFeedAdapter(server.url, None), 1)
    assert poller.health.errors == 0, poller.health.last_error
    assert [item.text for item in sink.items if isinstance(item, Comment)] == [expected]


def test_a_megabyte_id_is_rejected_and_not_remembered_whole(tmp_path: Path) -> None:
    # A 1 MB id was stored whole and kept in the poller's 20,000 recent ids: a hostile feed
    # could grow the program's memory by its page size every poll (20 GB at the end).
    huge = "A" * 1_000_000
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_comment("ann", "kept")
        for n in range(5):
            server.add_raw({"type": "comment", "id": f"{n}{huge}", "author": "x", "text": "t"})
        hub = ingest(server, tmp_path / "s.adsession")
    assert hub.health()[0].rejected == 5
    remembered = hub.pollers[0]._recent_ids  # what the poller holds
    assert len(remembered) == 6 and sum(len(item_id) for _, item_id in remembered) < 1_000
    report = build_report(tmp_path / "s.adsession")
    assert report.comments == 1
    assert {r.detail for r in report.rejected} == {"an id of 1,000,001 characters (more than 512)"}
    assert (tmp_path / "s.adsession").stat().st_size < 1_000_000


@pytest.mark.parametrize(
    ("online", "detail"),
    [
        (b"1e30", "online 1E+30 is not a count"),  # was "online Decimal('1E+30') is not a count"
        (b"12.5", "online 12.5 is not a count"),
        (b"-5", "online -5 is not a count"),
        (b'"NaN"', 'online "NaN" is not a count'),  # as JSON spells it (R21hunt21in F1)
    ],
)
def test_an_absurd_viewer_count_is_rejected_in_the_feed_s_words(online: bytes, detail: str) -> None:
    server = RawPageServer(b'{"type": "viewers", "online": ' + online + b', "at": "2026-11-28"}')
    with server:
        server.add_raw({"type": "comment", "id": "c1", "author": "ann", "text": MARK})
        server.items[-1] = MARK  # type: ignore[call-overload]
        sink, _ = _poll(JsonFeedAdapter(server.url, None), 1)
    [rejected] = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected.detail == detail


def test_an_id_padded_with_white_space_is_the_same_item_not_a_second_order(
    tmp_path: Path,
) -> None:
    # A bridge fed by a spreadsheet sent the same order as "o-77" and " o-77\n": two orders,
    # the GMV counted twice; a refund naming "o-77 " missed it.
    server = JsonFeedServer(poll_ms=10)
    with server:
        for padded in ("o-77", " o-77\n", "o-77\t"):
            server.add_raw(
                {
                    "type": "order", "id": padded, "currency": "CNY", "total": "258.00",
                    "lines": [{"sku": "SERUM-30", "quantity": 2, "price": "129.00"}],
                }
            )  # fmt: skip
        server.add_update("o-77 ", "refunded", "58.00", refund_id=" r1 ")
        server.add_update("o-77", "refunded", "58.00", refund_id="r1")  # the same refund again
        ingest(server, tmp_path / "s.adsession")
    report = build_report(tmp_path / "s.adsession")
    assert report.orders == 1
    assert report.ledger.gmv_by_currency == {"CNY": Decimal("200.00")}
