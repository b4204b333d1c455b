"""Hostile round thirty-five, the order in which a refund, its corrected copy and their order
arrive, and sessions older versions wrote (shop35 fixes): a real local JSON feed (the
documented protocol, tests/feeds) polled by a real rehearsing LiveShow with its remote on
loopback, session files, and the report read from them. Each behaviour test failed on the
code before its fix."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from feed_servers import JsonFeedServer

from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store.report import build_report, report_text
from anchordesk.store.session import SessionStore

from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}

MUG_SHOW = Show(
    "Mugs",
    "USD",
    "en",
    (Product("MUG", "Mug", Decimal("10.00"), 50),),
    (Segment("Mug", 120, "MUG"),),
)


def _refund_item(currency: str, amount: str = "5.00") -> dict[str, Any]:
    return {
        "type": "order_update",
        "id": "o-1",
        "status": "refunded",
        "refund": amount,
        "currency": currency,
        "refund_id": "r1",
    }


_ORDER_ITEM = {
    "type": "order",
    "id": "o-1",
    "currency": "USD",
    "total": "20.00",
    "lines": [{"sku": "MUG", "quantity": 2, "price": "10.00"}],
}


async def _live_on_feed(feed: JsonFeedServer, folder: Path) -> dict[str, Any]:
    """A rehearsal polling ``feed`` until all of it is in (its last item a comment): the
    window's figures, the remote's and the session file."""
    async with (
        rehearsing(MUG_SHOW, folder, [FeedSpec("json", feed.url)]) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        session = live.session
        assert session is not None
        while session.comment_count < 1:  # the feed's last item: every page is in
            await asyncio.sleep(0.02)  # a poll for the feed's pages, not a timing
        async with deck.get(f"{server.url}api/v1/state") as answer:
            state = await answer.json()
        sales = live.snapshot().sales
        return {
            "window": (sales.gmv, sales.rejected_items),
            "remote": (state["sales"]["gmv"], state["sales"]["rejected_items"]),
            "path": session.path,
        }


def _figures(session: Path) -> tuple[dict[str, str], list[tuple[str, bool]]]:
    figures = build_report(session).to_json()
    listed = [(r["reason"], r["corrected_since"]) for r in figures["rejected"]]
    return figures["gmv_by_currency"], listed


@pytest.mark.parametrize("page_size", [1, 100], ids=["a-page-each", "one-page"])
def test_a_refund_and_its_corrected_copy_both_before_their_order_count_once_everywhere(
    tmp_path: Path, feed: JsonFeedServer, page_size: int
) -> None:
    """1 (A): a JSON feed sends a refund in EUR of a USD order, then the same refund (its
    ``refund_id``) again in USD, then the order. The store could not judge either copy at
    the door (no order yet): it kept the EUR one and rejected the USD one as update_changed.
    When the order came, the EUR copy was set aside as rejected, but nothing took its place:
    GMV $20.00 for $15.00 in the window, the remote and the report, 2 not counted, until the
    feed sent the refund a third time (a JSON feed may never). Now the order's arrival takes
    the newest passing changed copy of each of its refunds: counted once, and the live count
    loses the rejection no longer so."""
    feed.page_size = page_size
    feed.add_raw(_refund_item("EUR"))
    feed.add_raw(_refund_item("USD"))
    feed.add_raw(dict(_ORDER_ITEM))
    feed.add_comment("viewer", "done")
    seen = asyncio.run(_live_on_feed(feed, tmp_path))
    assert _figures(seen["path"]) == (
        {"USD": "15.00"},
        [("update_currency_differs", True)],
    )
    assert seen["window"] == (Decimal("15.00"), 1)
    assert seen["remote"] == ("15.00", 1)
    text = report_text(build_report(seen["path"]), "en")
    assert "refunded in EUR for an order in USD" in text and "corrected since" in text
    with sqlite3.connect(seen["path"]) as db:
        kept = db.execute("SELECT currency FROM order_updates").fetchall()
        rejected = db.execute("SELECT reason FROM rejected_items").fetchall()
    db.close()
    assert (kept, rejected) == ([("USD",)], [("update_currency_differs",)])


def test_of_the_corrected_copies_before_their_order_the_newest_that_passes_counts(
    tmp_path: Path, feed: JsonFeedServer
) -> None:
    """1 (A), several copies: the refund in EUR, then in USD for 5.00, then for 6.00, then
    in JPY (the feed's last word, but in another currency than the order's), then the USD
    order. The 6.00 USD copy counts (the newest the rule lets count); the others stay
    listed, the EUR one as corrected since; the window, the remote and the report agree."""
    feed.page_size = 1
    feed.add_raw(_refund_item("EUR"))
    feed.add_raw(_refund_item("USD"))
    feed.add_raw(_refund_item("USD", "6.00"))
    feed.add_raw(_refund_item("JPY", "5"))
    feed.add_raw(dict(_ORDER_ITEM))
    feed.add_comment("viewer", "done")
    seen = asyncio.run(_live_on_feed(feed, tmp_path))
    gmv, listed = _figures(seen["path"])
    assert gmv == {"USD": "14.00"}
    assert sorted(listed) == [
        ("update_changed", False),
        ("update_changed", False),
        ("update_currency_differs", True),
    ]
    assert seen["window"] == (Decimal("14.00"), 3)
    assert seen["remote"] == ("14.00", 3)
    with sqlite3.connect(seen["path"]) as db:
        kept = db.execute("SELECT refund, currency FROM order_updates").fetchall()
    db.close()
    assert kept == [("6.00", "USD")]


_SHOP = "shopify-orders"


def _order(number: str = "5001") -> Order:
    return Order(_SHOP, number, "USD", Decimal("20.00"), (OrderLine("MUG", 2, Decimal("10.00")),))


def _refund(
    currency: str, number: str = "5001", refund_id: str = "900", amount: str = "5.00"
) -> OrderUpdate:
    return OrderUpdate(_SHOP, number, "refunded", Decimal(amount), currency, refund_id=refund_id)


def _older_session(
    session: Path,
    *,
    format_2: bool,
    set_aside: bool,
    padded: bool = False,
    corrected: tuple[str, ...] = ("5.00",),
    text_keyed: bool = False,
) -> None:
    """The file an older version wrote for a refund in EUR, the same refund in USD, then
    their USD order: the EUR copy kept where the counted ones are (before round 33), or set
    aside as rejected when the order came (round 34: ``set_aside``), and the USD copy
    rejected as changed. Each row as a store writes it (a scratch file gives the order's and
    the set-aside copy's), in a file of format 2 (no feeds table) when ``format_2``; its
    Shopify ids padded ("05001", "0900") as a version before round 32 kept them behind a
    proxy padding ids when ``padded``. ``corrected``: the amounts of the USD copies.
    ``text_keyed``: a changed copy keyed by a digest of its text, as the versions of 29 Nov
    2026 from 09:25 to 12:49 kept it (before feed_rules.terms_key)."""
    ids = ("05001", "0900") if padded else ("5001", "900")
    store = SessionStore(session)
    store.write_batch(_SHOP, [_refund("EUR", *ids)], None, 1.0)
    for at, amount in enumerate(corrected, start=2):  # no order: rejected, changed
        store.write_batch(_SHOP, [_refund("USD", *ids, amount=amount)], None, float(at))
    store.close()
    scratch = session.with_name("scratch.adsession")
    store = SessionStore(scratch)
    store.write_batch(_SHOP, [_order(ids[0])], None, 10.0)
    store.write_batch(_SHOP, [_refund("EUR", *ids)], None, 1.0)  # the order's: currency differs
    store.close()
    db = sqlite3.connect(session, isolation_level=None)
    db.execute("ATTACH ? AS scratch", (str(scratch),))
    db.execute(
        "INSERT INTO orders(source, id, received_at, created_at, currency, total_price,"
        " customer, lines) SELECT source, id, received_at, created_at, currency, total_price,"
        " customer, lines FROM scratch.orders"
    )
    if set_aside:
        db.execute("DELETE FROM order_updates")
        db.execute(
            "INSERT INTO rejected_items(source, id, kind, item_id, received_at, reason, detail,"
            " raw) SELECT source, id, kind, item_id, received_at, reason, detail, raw"
            " FROM scratch.rejected_items"
        )
    if text_keyed:
        for row_id, item_id, raw in db.execute(
            "SELECT id, item_id, raw FROM rejected_items WHERE reason = 'update_changed'"
        ).fetchall():
            digest = hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:16]
            db.execute(
                "UPDATE rejected_items SET id = ? WHERE id = ?",
                (f"order_update:{item_id}:{digest}", row_id),
            )
    if format_2:
        db.execute("DROP TABLE feeds")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.execute("DETACH scratch")
    db.close()
    scratch.unlink()


@contextlib.asynccontextmanager
async def _continued(session: Path, folder: Path) -> AsyncIterator[LiveShow]:
    """A rehearsal continuing ``session`` (``anchordesk live --session``), no feed."""
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    plan = LiveShowPlan(
        show=MUG_SHOW, sessions_dir=folder, first_session_path=session, rehearsal_feeds=[]
    )
    live = build_live_show(options, plan, switched=True)
    try:
        live.begin_session(SessionMode.REHEARSAL)
        yield live
    finally:
        await live.close()


async def _continued_figures(session: Path, folder: Path) -> dict[str, Any]:
    async with (
        _continued(session, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        assert live.session is not None and live.session.path == session
        async with deck.get(f"{server.url}api/v1/state") as answer:
            state = await answer.json()
        sales = live.snapshot().sales
        return {
            "window": (sales.gmv, sales.rejected_items),
            "remote": (state["sales"]["gmv"], state["sales"]["rejected_items"]),
        }


@pytest.mark.parametrize(
    ("format_2", "set_aside", "padded", "text_keyed"),
    [
        (True, False, False, False),
        (False, False, False, False),
        (False, True, False, False),
        (False, False, True, False),
        (False, False, False, True),
    ],
    ids=["format-2-kept", "before-round-33-kept", "round-34-set-aside", "padded-ids", "text-keyed"],
)
def test_an_older_session_holding_the_corrected_refund_as_changed_counts_it(
    tmp_path: Path, format_2: bool, set_aside: bool, padded: bool, text_keyed: bool
) -> None:
    """2 (A): a session an older version wrote holds a refund's EUR copy (kept where the
    counted ones are, or set aside by round 34) and its USD copy rejected as changed, and
    their USD order. The report said GMV $20.00 for $15.00 and 2 not counted, and so did a
    run continuing the file, until the shop sent the refund again. Now the report reads the
    file by the one rule of session_corrected, and a run continuing it counts the USD copy
    in its place (the file opened to write), in the window, the remote and the report."""
    session = tmp_path / "old.adsession"
    _older_session(
        session, format_2=format_2, set_aside=set_aside, padded=padded, text_keyed=text_keyed
    )
    expected = ({"USD": "15.00"}, [("update_currency_differs", True)])
    assert _figures(session) == expected  # read only: the file as it was
    text = report_text(build_report(session), "en")
    assert "refunded in EUR for an order in USD" in text and "corrected since" in text
    seen = asyncio.run(_continued_figures(session, tmp_path / "sessions"))
    assert seen == {"window": (Decimal("15.00"), 1), "remote": ("15.00", 1)}
    assert _figures(session) == expected
    with sqlite3.connect(session) as db:
        kept = db.execute("SELECT currency FROM order_updates").fetchall()
        rejected = db.execute("SELECT reason FROM rejected_items").fetchall()
    db.close()
    assert (kept, rejected) == ([("USD",)], [("update_currency_differs",)])


def test_the_copies_left_changed_name_the_copy_counted_not_the_first(tmp_path: Path) -> None:
    """B, beside 1 and 2: of a refund sent in EUR, then in USD for 5.00 and for 6.00, before
    its order, the 6.00 USD copy counts; the 5.00 one was listed "the first copy counts:
    refunded 5.00 EUR", a copy listed itself as not counted. Now it names the copy counted,
    in a file written by this version and in one an older version wrote (read only, then
    continued)."""
    written = tmp_path / "written.adsession"
    store = SessionStore(written)
    for at, refund in enumerate(
        [_refund("EUR"), _refund("USD"), _refund("USD", amount="6.00"), _order()], start=1
    ):
        store.write_batch(_SHOP, [refund], None, float(at))
    store.close()
    older = tmp_path / "older.adsession"
    _older_session(older, format_2=False, set_aside=False, corrected=("5.00", "6.00"))
    checked: list[Path] = []
    for session in (written, older, older):
        if session is older and len(checked) == 2:
            SessionStore(older).close()  # the older file continued: read the second time
        checked.append(session)
        report = build_report(session)
        assert report.to_json()["gmv_by_currency"] == {"USD": "14.00"}
        (changed,) = [r for r in report.to_json()["rejected"] if r["reason"] == "update_changed"]
        assert changed["detail"] == (
            "sent again as refunded 5.00 USD with 0 units back; the first copy counts:"
            " refunded 6.00 USD with 0 units back"
        )
