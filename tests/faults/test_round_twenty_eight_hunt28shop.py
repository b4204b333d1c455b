"""Hostile round twenty-eight, the Shopify feeds and the session store (hunt28shop): against
the real local test shops (tests/feeds), a real FeedHub and StoreWriter, and the report read
from the session file. Each behaviour test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import Reply
from platform_servers import ShopifyGraphQLServer
from servers import wait_until

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store import SessionStore, ShowEventRecord, StoreWriter
from anchordesk.store.report import build_report, report_text

from .test_round_twenty_four_shop import _run_until, _stored, _updates
from .test_round_twenty_six_hunt26shop import _RefundsWithoutId

_INTERNAL = "Internal error. Looks like something went wrong on our end."


class _AnotherOrdersIdUnchecked(ShopifyGraphQLServer):
    """The orders page labels node ``labelled`` (read in part) with the id of node ``named``
    and sends it without its creation time nor its lines' ids (``blanked``: GraphQL's partial
    answer, an error about it); asked by its id, every order is itself."""

    def __init__(self, labelled: int, named: int, blanked: tuple[str, ...]) -> None:
        super().__init__()
        self.labelled, self.named, self.blanked = labelled, named, blanked

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        orders = (answer.get("data") or {}).get("orders") if isinstance(answer, dict) else None
        if not isinstance(orders, dict) or "refunds" not in json.loads(body)["query"]:
            return reply
        nodes = orders["nodes"]
        if len(nodes) > max(self.labelled, self.named):
            node, other = nodes[self.labelled], nodes[self.named]
            node["id"], node["legacyResourceId"] = other["id"], other["legacyResourceId"]
            if "createdAt" in self.blanked:
                node["createdAt"] = None
            if "lineItems" in self.blanked:
                node["lineItems"] = None
            if "line ids" in self.blanked:
                for line in node["lineItems"]["nodes"]:
                    line["id"] = None
            answer["errors"] = [
                {
                    "message": _INTERNAL,
                    "path": ["orders", "nodes", self.labelled, "createdAt"],
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            ]
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


@pytest.mark.parametrize(
    ("labelled", "named", "blanked", "counted", "its_sku"),
    [
        # Order 5002 (6 lines) under 5003's id, its lines without ids.
        (1, 2, ("createdAt", "line ids"), ["5001", "5003"], "LAMP-0"),
        # Order 5001 under 5002's id, its lines null (an error about them).
        (0, 1, ("createdAt", "lineItems"), ["5002", "5003"], '"2.00"'),
    ],
)
def test_an_order_read_in_part_with_nothing_to_check_it_by_is_kept_as_rejected(
    tmp_path: Path,
    labelled: int,
    named: int,
    blanked: tuple[str, ...],
    counted: list[str],
    its_sku: str,
) -> None:
    """Leftover (A, rejected items): a node read in part was checked against the order of its
    id by its creation time and its lines' ids (R26hunt26shop F1). One that carried neither (a
    partial answer: both null) could not be checked and was passed as that order: its own
    order, money and units, dropped without a word (2 orders, nothing rejected, for 3). Now it
    is kept as rejected, with why; the order of its id is counted by its id."""
    session = tmp_path / "s.adsession"
    with _AnotherOrdersIdUnchecked(labelled, named, blanked) as shop:
        shop.add_order([("MUG", 1, "2.00")])
        shop.add_order([(f"LAMP-{n}", 1, "10.00") for n in range(6)])
        shop.add_order([("PEN", 2, "2.00")])
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _stored(session) >= 3 or len(shop.queries) >= 30,
        )
    report = build_report(session)
    truth = {"5001": Decimal("2.00"), "5002": Decimal("60.00"), "5003": Decimal("4.00")}
    assert report.orders == 2
    assert report.ledger.gmv_by_currency == {"USD": sum(truth[n] for n in counted)}
    [rejected] = report.rejected
    assert rejected.item_id == f"500{named + 1}"
    assert "cannot be told" in rejected.detail
    store = SessionStore(session)
    try:
        [kept] = store.rejected_items()
    finally:
        store.close()
    assert its_sku in kept.item.raw  # what the page read of it, as the shop sent it


@pytest.mark.parametrize(
    ("change", "now"),
    [({"amount": "6.00"}, "refunded 6.00 USD"), ({"lines": [("MUG", 2)]}, "2 units back")],
)
def test_a_refund_changed_since_a_session_keyed_by_amount_is_counted_once(
    tmp_path: Path, change: dict[str, object], now: str
) -> None:
    """Leftover (A, wrong number): a Shopify refund without an id was kept under its amount
    (``5001:refund=5``) by the code before 30 Nov, under its place (``5001:refund:#1``) since;
    a session of before, continued, gives the kept row the new key when the refund comes again
    the same (R26hunt26shop F3). One the shop changed since (its amount, its units) missed that
    match and was counted under both keys: a $15 order refunded $5, then $6 for that one
    refund, read GMV $6.00 ($7.00 for its units), for $12.00 with the first copy counted.
    The session is one the old code wrote (its key put back to that form, as that code kept
    it; the probe /work/hunt/hunt28shop/runchg.sh checked it with the old code itself). Now the
    kept row is that refund by its creation time: counted once, the changed copy listed."""
    session = tmp_path / "s.adsession"
    with _RefundsWithoutId() as shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "5.00", [("MUG", 1)])
        shop.add_order([("PEN", 1, "2.00")])
        _run_until(shop.shop_url, shop.static_token, session, lambda: _updates(session) >= 1)
        with sqlite3.connect(session) as db:
            db.execute(
                "UPDATE order_updates SET id = '5001:refund=5', refund_id = '' "
                "WHERE id = '5001:refund:#1'"
            )
        db.close()
        with shop.lock:
            shop.orders[0].refunds[0].update(change)
            shop.orders[0].updated = shop._tick()
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _stored(session) >= 3 or len(shop.queries) >= 30,
        )
    report = build_report(session)
    assert report.ledger.gmv_by_currency == {"USD": Decimal("12.00")}
    assert _updates(session) == 1
    [rejected] = report.rejected
    assert rejected.reason == "update_changed"
    assert now in rejected.detail


def test_a_json_feeds_own_refund_id_shaped_as_a_place_is_a_refund_of_its_own(
    tmp_path: Path,
) -> None:
    """Rejected items (A, wrong number; R27hunt27in's note): the rename of an amount-keyed
    refund to its place key ran for every feed. A JSON bridge's refund of $5.00 without an id,
    then its refund "#1" of $5.00 at the same time (two refunds, as the protocol keys them),
    read as one: the first renamed to the second's key, the second "sent again", GMV $10.00
    for $5.00. Now only the Shopify feed's keys (its refunds' places) are renamed."""
    session = tmp_path / "s.adsession"
    line = OrderLine("MUG", 3, Decimal("5.00"), "Mug")
    at = "2026-11-30T10:00:00Z"
    refund = OrderUpdate("json", "o1", "refunded", Decimal("5.00"), "USD", at=at)
    store = SessionStore(session)
    try:
        store.write_batch("json", [Order("json", "o1", "USD", Decimal("15.00"), (line,))], "1")
        store.write_batch("json", [refund], "2")
        store.write_batch("json", [dataclasses.replace(refund, refund_id="#1")], "3")
    finally:
        store.close()
    assert _updates(session) == 2
    assert build_report(session).ledger.gmv_by_currency == {"USD": Decimal("5.00")}


_SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM")),
)


@pytest.mark.parametrize("language", ["ja", "zh_CN"])
def test_the_report_says_why_a_stream_never_went_live_in_its_language(
    tmp_path: Path, language: str
) -> None:
    """Wording (B): the stream line of a Japanese or Chinese report kept the network child's
    English reason ("…一度も配信されませんでした：nothing is listening at 127.0.0.1:…"), which
    the window says in the language (the same words, core/words). The session kept it only as
    English. Now it keeps the words too (context, template, values) and the report says them
    in its language, from the program's own catalogue, as the window does."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = LiveOptions(
        camera="test", microphone="test", canvas_width=320, canvas_height=180,
        video_kbps=300, record=False, destinations=[f"rtmp://127.0.0.1:{port}/live/r28-key"],
    )  # fmt: skip
    plan = LiveShowPlan(show=_SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[])
    live = build_live_show(options, plan)
    live.media.start()
    paths: list[Path | None] = []

    def failed() -> bool:
        (status,) = live.media.network_statuses()
        return status.fault is not None

    async def run() -> None:
        live.begin_session(SessionMode.LIVE)
        await asyncio.to_thread(wait_until, failed, 30.0)
        paths.append(await live.end_session())
        await asyncio.to_thread(live.media.stop, 3.0)

    try:
        asyncio.run(run())
    finally:
        live.shutdown()
    (path,) = paths
    assert path is not None
    report = build_report(path)
    (entry,) = report.streams
    assert str(port) in entry.last_error  # the English, as the run said it (JSON, logs)
    (line,) = [line for line in report_text(report, language).splitlines() if "rtmp://" in line]
    said = line.split("****", 1)[1]
    assert str(port) in said
    # Nothing English left in it but the address.
    assert not re.search(r"[A-Za-z]", said.replace(f"127.0.0.1:{port}", "")), line


class _RefusesTheCredentialsAtLength(ShopifyGraphQLServer):
    """The token endpoint refuses the app's client credentials with an error code of 300,000
    characters that quotes the client secret."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if path == "/admin/oauth/access_token":
            said = f"invalid_client {self.client_secret} " + "x" * 300_000
            return Reply(401, json.dumps({"error": said}).encode())
        return super().handle(method, path, query, headers, body)


def test_a_token_refusal_of_300000_characters_is_said_in_a_line(tmp_path: Path) -> None:
    """Response size (B): the token endpoint's error code was quoted whole in the reason the
    feed ended with: a status of 300,057 characters for the window and every phone, and kept
    so in the session's feed status. Now the shop's words there are masked, escaped and cut
    as its GraphQL errors are (200 characters)."""
    session = tmp_path / "s.adsession"
    with _RefusesTheCredentialsAtLength() as shop:
        keys = {
            "shopify-orders-client-id": shop.client_id,
            "shopify-orders-client-secret": shop.client_secret,
        }
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("shopify-orders", shop.shop_url)],
            writer,
            token_lookup=keys.get,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
            shopify_created_at_min=datetime(2000, 1, 1, tzinfo=UTC),
        )

        async def run() -> str:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            for _ in range(3000):
                await asyncio.sleep(0.01)
                if hub.pollers and hub.pollers[0].health.state == "ended":
                    break
            stop.set()
            await task
            return str(hub.pollers[0].health.last_error)

        try:
            said = asyncio.run(run())
        finally:
            writer.close()
        secret = shop.client_secret
    assert said.startswith("Shopify refused the app's client credentials (HTTP 401: invalid_client")
    assert len(said) < 300
    assert secret not in said
    assert secret.encode() not in session.read_bytes()
    store = SessionStore(session)
    try:
        assert len(store.meta("feed_status") or "") < 2_000
    finally:
        store.close()


class _AllUnderOneIdPastThePage(ShopifyGraphQLServer):
    """The orders page answers every order of the shop, past the ``first`` it was asked for,
    each labelled with order 5001's id and with an error about it (read in part)."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        orders = (answer.get("data") or {}).get("orders") if isinstance(answer, dict) else None
        if not isinstance(orders, dict) or "refunds" not in json.loads(body)["query"]:
            return reply
        if not orders["nodes"]:
            return reply
        nodes = [order.node() for order in self.orders]
        for node in nodes:
            node["id"], node["legacyResourceId"] = "gid://shopify/Order/5001", "5001"
        orders["nodes"] = nodes
        orders["pageInfo"] = {"hasNextPage": False, "endCursor": "end"}
        answer["errors"] = [
            {
                "message": _INTERNAL,
                "path": ["orders", "nodes", n, "refunds"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
            for n in range(len(nodes))
        ]
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


def test_more_nodes_under_one_id_than_a_page_asks_are_each_kept_as_rejected(
    tmp_path: Path,
) -> None:
    """Rejected items (A, silent drop): the nodes read in part under one order's id were kept
    to be checked up to 25 (a page's size). A shop answering all its 30 orders in one page
    (past ``first``), each under order 5001's id, had 26 of 30 accounted for: 4 orders' money
    dropped without a word. Now each node is checked and the others' kept as rejected."""
    session = tmp_path / "s.adsession"
    with _AllUnderOneIdPastThePage() as shop:
        for n in range(30):
            shop.add_order([(f"SKU-{n}", 1, f"{n + 1}.00")])
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: _stored(session) >= 30 or len(shop.queries) >= 40,
        )
    report = build_report(session)
    assert report.orders == 1
    assert report.ledger.gmv_by_currency == {"USD": Decimal("1.00")}
    assert len(report.rejected) == 29
    store = SessionStore(session)
    try:
        raws = " ".join(kept.item.raw for kept in store.rejected_items())
    finally:
        store.close()
    assert all(f'"SKU-{n}"' in raws for n in range(1, 30))


@pytest.mark.parametrize("change", [{}, {"amount": "6.00"}])
def test_a_session_keyed_by_amount_before_r21_continued_counts_its_refund_once(
    tmp_path: Path, change: dict[str, object]
) -> None:
    """Rejected items / old sessions (A, wrong number): before 30 Nov 05:55 (R21hunt21in F5) a
    refund without an id was kept under ``5001:refund:5``, not ``5001:refund=5``; the rename
    to its place key (R26hunt26shop F3) looked for the second form only. A session the code of
    then wrote (5a15a29, GraphQL; checked with that code itself, runchg.sh), continued, counted
    its refund twice even unchanged: GMV $7.00 for $12.00. The session here has its key put
    back to that form, as that code kept it. Now either form is that refund's."""
    session = tmp_path / "s.adsession"
    with _RefundsWithoutId() as shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "5.00", [("MUG", 1)])
        shop.add_order([("PEN", 1, "2.00")])
        _run_until(shop.shop_url, shop.static_token, session, lambda: _updates(session) >= 1)
        with sqlite3.connect(session) as db:
            db.execute(
                "UPDATE order_updates SET id = '5001:refund:5', refund_id = '' "
                "WHERE id = '5001:refund:#1'"
            )
        db.close()
        with shop.lock:
            shop.orders[0].refunds[0].update(change)
            shop.orders[0].updated = shop._tick()
            asked = len(shop.queries)
        # Its order read again (the page from the stored cursor, then it by its id) and past.
        _run_until(
            shop.shop_url,
            shop.static_token,
            session,
            lambda: len(shop.queries) >= asked + 4,
        )
    report = build_report(session)
    assert report.ledger.gmv_by_currency == {"USD": Decimal("12.00")}
    assert _updates(session) == 1
    assert len(report.rejected) == len(change)  # the changed copy listed, not counted


@pytest.mark.parametrize(
    "kept",
    [
        {"context": "Network", "template": "stalled: no progress for {seconds} s", "params": {
            "seconds": 10**400}},
        {"context": "Network", "template": "{a.__class__}", "params": {"a": "x"}},
        {"context": "Network", "template": "({why})", "params": {"why": "rtmp://h/app/KEY123"}},
        {"context": "Network", "template": "x", "params": []},
        "junk",
    ],
)  # fmt: skip
def test_a_stream_reason_kept_as_words_a_hand_edit_made_unreadable_says_the_english(
    tmp_path: Path, kept: object
) -> None:
    """Malformed files: the reason's words a session keeps (F4) from a damaged or hand-edited
    file: a count of 400 digits, a field reading an attribute, a template this version does
    not have, a shape not its own. The report says the kept English, never a traceback."""
    path = tmp_path / "s.adsession"
    data = {
        "kind": "stream_ended",
        "destination": "rtmp://127.0.0.1/live/****",
        "live_s": 0,
        "last_error": "stalled",
        "last_error_words": kept,
    }
    store = SessionStore(path)
    try:
        store.record_show_events(
            [ShowEventRecord(id="stream:1:0", kind="stream_ended", at=1e9, data=data)]
        )
    finally:
        store.close()
    report = build_report(path)
    (line,) = [line for line in report_text(report, "ja").splitlines() if "rtmp://" in line]
    assert line.endswith("：stalled")
