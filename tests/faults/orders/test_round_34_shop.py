"""Hostile round thirty-four, the Shopify feeds, the session store's refund rules, the ledger
and the report (shop34 fixes): against real local shops (tests/feeds; one answering both
APIs, shop_parts.BothApis), a real FeedHub and StoreWriter, a real rehearsing LiveShow and
its remote, session files, and the report read from them. Each behaviour test failed on the
code before its fix."""

from __future__ import annotations

import asyncio
import html
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from anchordesk.show.feed_items import FeedItem, Order, OrderLine, OrderUpdate
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_html import report_html
from anchordesk.store.session import SessionStore

from ..feed_parts import shopify_until
from ..remote_parts import TOKEN, rehearsing, serving
from ..shop_parts import BothApis, first_order_updated

_SHOP = "shopify-orders"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

MUG_SHOW = Show(
    "Mugs",
    "USD",
    "en",
    (Product("MUG", "Mug", Decimal("10.00"), 50),),
    (Segment("Mug", 120, "MUG"),),
)


def _report(session: Path) -> dict[str, Any]:
    return build_report(session).to_json()


def _order(number: str = "5001", currency: str = "USD") -> Order:
    return Order(
        _SHOP, number, currency, Decimal("20.00"), (OrderLine("MUG", 2, Decimal("10.00")),)
    )


def _refund(amount: str, currency: str, refund_id: str = "900") -> OrderUpdate:
    return OrderUpdate(_SHOP, "5001", "refunded", Decimal(amount), currency, refund_id=refund_id)


async def _live_figures(folder: Path, pages: list[list[FeedItem]]) -> tuple[Any, Any, Path]:
    """``pages`` ingested in turn by a rehearsing show: its sales panel, the remote's state
    and the session file."""
    async with (
        rehearsing(MUG_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        assert live.session is not None
        for page in pages:
            live.session.ingest(page)
        async with deck.get(f"{server.url}api/v1/state") as answer:
            state = await answer.json()
        return live.snapshot().sales, state, live.session.path


def test_a_refund_in_the_wrong_currency_before_its_order_is_counted_once_sent_again_corrected(
    tmp_path: Path,
) -> None:
    """1 (A): a refund in EUR arrives before its USD order, then again under its id in USD.
    The store could not decide at the door (no order yet) and kept the EUR copy as the
    counted one; the ledger refused it when the order came and kept its key: the corrected
    copy was rejected as update_changed, GMV $20.00 for $15.00 in the window, the remote and
    the report. Now the order's arrival moves its kept updates that break the update rule
    into the rejected items, and the ledger frees the key of an update it refuses."""
    pages: list[list[FeedItem]] = [[_refund("5.00", "EUR")], [_order()], [_refund("5.00", "USD")]]
    sales, state, session = asyncio.run(_live_figures(tmp_path, pages))
    report = build_report(session)
    figures = report.to_json()
    assert figures["gmv_by_currency"] == {"USD": "15.00"}
    assert figures["units"] == 2  # a refund of money only: the units stay
    listed = [(r["reason"], r["corrected_since"]) for r in figures["rejected"]]
    assert listed == [("update_currency_differs", True)]
    assert (sales.gmv, sales.rejected_items) == (Decimal("15.00"), 1)
    assert (state["sales"]["gmv"], state["sales"]["rejected_items"]) == ("15.00", 1)
    text = report_text(report, "en")
    assert "refunded in EUR for an order in USD" in text and "corrected since" in text
    assert html.unescape(report_html(report, "en")).count("corrected since") == 1
    # Kept as rejected with its reason, the corrected copy the one counted.
    with sqlite3.connect(session) as db:
        kept = db.execute("SELECT currency FROM order_updates").fetchall()
        rejected = db.execute("SELECT reason FROM rejected_items").fetchall()
    db.close()
    assert (kept, rejected) == ([("USD",)], [("update_currency_differs",)])


def test_a_refund_in_the_wrong_currency_before_its_order_stays_rejected_sent_again_as_it_was(
    tmp_path: Path,
) -> None:
    """1 (A), its other side: the EUR refund sent again as it was after its order, and
    again after a restart, is the one rejected copy: listed once, never counted, and the
    window, the remote and the report say the same."""
    pages: list[list[FeedItem]] = [
        [_refund("5.00", "EUR")],
        [_order()],
        [_refund("5.00", "EUR")],
    ]
    sales, state, session = asyncio.run(_live_figures(tmp_path, pages))
    figures = _report(session)
    assert figures["gmv_by_currency"] == {"USD": "20.00"}
    assert [r["reason"] for r in figures["rejected"]] == ["update_currency_differs"]
    assert (sales.gmv, sales.rejected_items) == (Decimal("20.00"), 1)
    assert state["sales"]["rejected_items"] == 1
    store = SessionStore(session)
    again = store.write_batch(_SHOP, [_refund("5.00", "EUR")], None)
    store.close()
    assert again == []
    assert [r["reason"] for r in _report(session)["rejected"]] == ["update_currency_differs"]


def test_a_refund_kept_against_its_order_s_currency_by_an_older_version_is_counted_corrected(
    tmp_path: Path,
) -> None:
    """1 (A), an older session: a version before round 33 kept the EUR refund of a USD order
    where the counted copies are (its ledger refused it). Continued, the refund sent again in
    USD was rejected as update_changed against it. Now the kept copy is set aside as rejected
    when its corrected copy comes, and the corrected one counts."""
    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    store.write_batch(_SHOP, [_order()], None, 1.0)
    store.close()
    with sqlite3.connect(session) as db:
        db.execute(
            "INSERT INTO order_updates(source, id, order_id, received_at, at, status, refund,"
            " currency, refund_id, lines) VALUES (?, ?, '5001', 2.0, '', 'refunded', '5.00',"
            " 'EUR', '900', '[]')",
            (_SHOP, _refund("5.00", "EUR").id),
        )
    db.close()
    assert _report(session)["gmv_by_currency"] == {"USD": "20.00"}
    store = SessionStore(session)
    new = store.write_batch(_SHOP, [_refund("5.00", "USD")], None, 3.0)
    store.close()
    assert [type(item).__name__ for item in new] == ["OrderUpdate"]
    figures = _report(session)
    assert figures["gmv_by_currency"] == {"USD": "15.00"}
    listed = [(r["reason"], r["corrected_since"]) for r in figures["rejected"]]
    assert listed == [("update_currency_differs", True)]


def _padded_refund_session(session: Path, shop: BothApis, url: str) -> str:
    """``shop``'s order of $20.00 with a $5.00 refund read into ``session`` from ``url``, its
    refund then kept under its id padded ("0900"), as a version before round 33 kept
    GraphQL's ``gid://shopify/Refund/0900`` behind a proxy padding ids: the padded key."""
    number = shop.add_order([("MUG", 2, "10.00")])
    shop.refund(number, "5.00", [("MUG", 1)])
    shopify_until(url, shop.static_token, session, lambda: _gmv(session) == {"USD": "15.00"})
    with sqlite3.connect(session) as db:
        ((key, refund_id),) = db.execute("SELECT id, refund_id FROM order_updates").fetchall()
        padded = key.removesuffix(refund_id) + f"0{refund_id}"
        db.execute(
            "UPDATE order_updates SET id = ?, refund_id = ? WHERE id = ?",
            (padded, f"0{refund_id}", key),
        )
    db.close()
    return padded


def _gmv(session: Path) -> dict[str, str] | None:
    return _report(session)["gmv_by_currency"] if session.exists() else None


def test_a_refund_kept_under_a_padded_id_by_an_older_version_is_counted_once_continued(
    tmp_path: Path,
) -> None:
    """2 (A, edge): a session of a version before round 33 behind a proxy padding ids kept
    GraphQL's refund ``gid://shopify/Refund/0900`` as "0900". Continued by this version, the
    same refund is "900" (the one id rule) and was counted a second time: GMV $10.00 for
    $15.00, also through REST. Now the session's older keys are read by the same rule: the
    padded key is renamed when the file is opened to write, and read so by the report."""
    for url_of in (lambda shop: shop.shop_url, lambda shop: shop.rest_url):
        session = tmp_path / f"s{len(list(tmp_path.iterdir()))}.adsession"
        with BothApis() as shop:
            _padded_refund_session(session, shop, shop.shop_url)
            assert _gmv(session) == {"USD": "15.00"}  # read alone: one refund
            first_order_updated(shop.rest)
            first_order_updated(shop)
            asked = len(shop.requests)
            shopify_until(
                url_of(shop),
                shop.static_token,
                session,
                lambda a=asked: len(shop.requests) >= a + 6,  # type: ignore[misc]
            )
        report = _report(session)
        assert report["gmv_by_currency"] == {"USD": "15.00"}
        assert report["units"] == 1
        assert report["rejected"] == []
        with sqlite3.connect(session) as db:
            kept = db.execute("SELECT refund_id FROM order_updates").fetchall()
        db.close()
        assert len(kept) == 1 and not kept[0][0].startswith("0")


def test_a_refund_counted_under_a_padded_id_and_its_number_is_counted_once(
    tmp_path: Path,
) -> None:
    """2 (A, edge), the session already continued by round 33: the refund kept under "0900"
    and under "900" (counted twice, $10.00). The report, and a run continuing it, read the
    padded id by the one rule: one refund, $15.00; a copy under it that differs is listed
    as changed, never counted nor dropped unsaid."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        padded = _padded_refund_session(session, shop, shop.shop_url)
        first_order_updated(shop)
        with sqlite3.connect(session) as db:  # round 33's run: the refund again, as "900"
            db.execute(
                "INSERT INTO order_updates(source, id, order_id, received_at, at, status,"
                " refund, currency, refund_id, lines) SELECT source, ?, order_id, received_at"
                " + 1, at, status, refund, currency, ?, lines FROM order_updates",
                (padded.replace(":refund:0", ":refund:"), padded.split(":refund:0")[1]),
            )
        db.close()
        assert _gmv(session) == {"USD": "15.00"}
        asked = len(shop.requests)
        shopify_until(
            shop.shop_url, shop.static_token, session, lambda: len(shop.requests) >= asked + 6
        )
    report = _report(session)
    assert report["gmv_by_currency"] == {"USD": "15.00"}
    assert report["rejected"] == []
    with sqlite3.connect(session) as db:
        db.execute("UPDATE order_updates SET refund = '6.00' WHERE refund_id NOT GLOB '0*'")
    db.close()
    report = _report(session)
    assert report["gmv_by_currency"] == {"USD": "15.00"}
    assert [r["reason"] for r in report["rejected"]] == ["update_changed"]


def test_a_refund_rejected_under_a_padded_id_by_an_older_version_is_listed_once_continued(
    tmp_path: Path,
) -> None:
    """2 (A, edge), a rejected refund: kept as rejected under "0900" (refunded in EUR for a
    USD order) by an older version, it came again as "900" and was listed twice ("2 items
    rejected" of one refund). Renamed by the one id rule when the file is opened to write."""
    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    store.write_batch(_SHOP, [_order()], None, 1.0)
    store.write_batch(_SHOP, [_refund("5.00", "EUR", "0900")], None, 2.0)
    store.close()
    assert [r["id"] for r in _report(session)["rejected"]] == ["5001:refund:0900"]
    store = SessionStore(session)
    again = store.write_batch(_SHOP, [_refund("5.00", "EUR")], None, 3.0)
    store.close()
    assert again == []
    assert [r["id"] for r in _report(session)["rejected"]] == ["5001:refund:900"]


def test_a_rest_refund_split_over_transactions_in_two_currencies_is_read_in_shop_money(
    tmp_path: Path,
) -> None:
    """Hunt 1 (A): a $5.00 refund of a USD order paid in EUR, returned as $2.00 to a card in
    the shop's currency and EUR 2.76 in the customer's (two transactions), its refund line
    worth $5.00 in shop money. REST refused it as "in EUR, USD at once" (with the order's
    other updates) where GraphQL, the same shop, counted $5.00: GMV $20.00 against $15.00.
    REST now reads a refund in shop money whenever a transaction is in another currency."""
    figures = {}
    for name in ("rest", "graphql"):
        session = tmp_path / f"{name}.adsession"
        with BothApis() as shop:
            number = shop.add_order([("MUG", 2, "10.00")])
            shop.refund(number, "5.00", [("MUG", 1)])
            with shop.rest.lock:
                order = shop.rest._order(number)
                order["presentment_currency"] = "EUR"
                refund = order["refunds"][-1]
                refund["transactions"] = [
                    {"kind": "refund", "status": "success", "amount": "2.00", "currency": "USD"},
                    {"kind": "refund", "status": "success", "amount": "2.76", "currency": "EUR"},
                ]
                refund["refund_line_items"][0]["subtotal_set"] = {
                    "shop_money": {"amount": "5.00", "currency_code": "USD"},
                    "presentment_money": {"amount": "4.60", "currency_code": "EUR"},
                }
            url = shop.rest_url if name == "rest" else shop.shop_url
            shopify_until(url, shop.static_token, session, lambda: len(shop.requests) >= 6)
        report = _report(session)
        figures[name] = (report["gmv_by_currency"], report["units"], report["rejected"])
    assert figures["rest"] == figures["graphql"] == ({"USD": "15.00"}, 1, [])


def test_an_order_kept_under_a_padded_id_by_an_older_version_is_counted_once_continued(
    tmp_path: Path,
) -> None:
    """Hunt 2 (A, edge; item 2's rule for orders): a version before round 32 kept GraphQL's
    ``legacyResourceId`` "05001" (a proxy padding ids) as order "05001", its refund under
    "05001:refund:…". Continued by this version, the order read again is "5001": counted a
    second time (2 orders, GMV $35.00 for $15.00), the refund too. Now its keys are renamed
    by the one id rule when the file is opened to write, and read so by the report."""
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        number = shop.add_order([("MUG", 2, "10.00")])
        shop.refund(number, "5.00", [("MUG", 1)])
        shopify_until(
            shop.shop_url, shop.static_token, session, lambda: _gmv(session) == {"USD": "15.00"}
        )
        with sqlite3.connect(session) as db:  # as a version before round 32 kept them
            db.execute("UPDATE orders SET id = '0' || id")
            db.execute("UPDATE order_updates SET id = '0' || id, order_id = '0' || order_id")
        db.close()
        assert (_report(session)["orders"], _gmv(session)) == (1, {"USD": "15.00"})
        first_order_updated(shop)
        asked = len(shop.requests)
        shopify_until(
            shop.shop_url, shop.static_token, session, lambda: len(shop.requests) >= asked + 6
        )
    report = _report(session)
    assert (report["orders"], report["gmv_by_currency"], report["units"]) == (
        1,
        {"USD": "15.00"},
        1,
    )
    assert report["rejected"] == []
    with sqlite3.connect(session) as db:
        kept = db.execute("SELECT id FROM orders UNION ALL SELECT order_id FROM order_updates")
        assert [key for (key,) in kept] == [str(number), str(number)]
    db.close()


def test_an_unreadable_refund_is_rejected_alone_and_its_order_s_cancellation_counts(
    tmp_path: Path,
) -> None:
    """Hunt 3 (A): an order refunded $5.00, refunded again in a way that cannot be read
    (REST: in USD and EUR at once with no shop money; GraphQL: a refund line's quantity of
    "1"), then cancelled. The order's cancellation and refunds were one rejected item: the
    cancelled order stayed a $20.00 sale (REST, where GraphQL read the other refund in shop
    money and said $0.00). Now a refund that cannot be read is rejected alone, under its key,
    and the cancellation counts."""
    figures = {}
    for name in ("rest", "graphql"):
        session = tmp_path / f"{name}.adsession"
        with BothApis() as shop:
            number = shop.add_order([("MUG", 2, "10.00")])
            shop.refund(number, "5.00", [("MUG", 1)])
            shop.refund(number, "5.00", [("MUG", 1)])
            shop.cancel(number)
            shop.rest.cancel(number)
            with shop.rest.lock:
                shop.rest._order(number)["refunds"][-1]["transactions"] = [
                    {"kind": "refund", "status": "success", "amount": "2.00", "currency": "USD"},
                    {"kind": "refund", "status": "success", "amount": "2.76", "currency": "EUR"},
                ]
            with shop.lock:
                shop.orders[number - 5001].refunds[-1]["lines"] = [("MUG", "1")]
            url = shop.rest_url if name == "rest" else shop.shop_url
            shopify_until(url, shop.static_token, session, lambda: len(shop.requests) >= 6)
        report = _report(session)
        rejected = [(r["id"], r["reason"]) for r in report["rejected"]]
        figures[name] = (report["gmv_by_currency"], report["units"], rejected)
    refund_id = figures["rest"][2][0][0].rpartition(":")[2] if figures["rest"][2] else "?"
    expected = ({"USD": "0.00"}, 0, [(f"{number}:refund:{refund_id}", "unreadable")])
    assert figures["rest"] == figures["graphql"] == expected
