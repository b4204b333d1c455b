"""Hostile round twenty-nine, the Shopify feeds and the session store (hunt29shop): against the
real local test shops (tests/feeds), a real FeedHub and StoreWriter, and the report read from
the session file. Each behaviour test failed on the code before its fix."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from feed_servers import ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer

from anchordesk.store import SessionStore
from anchordesk.store.report import build_report, report_text

from ..feed_parts import shopify_until
from ..shop_parts import (
    GraphQLRefundsWithoutId,
    RestRefundsWithoutId,
    first_order_updated,
    kept_as_before,
    polled_quickly,
)

# Every key form a Shopify refund without an id was kept under before its place (#1), by the
# API whose code wrote it (store/session.py _old_keys; each checked against a session the old
# code itself wrote: /work/hunt/hunt29shop/oldrows.sh, cont.sh): key and refund id, for the
# refund of $5.00 and the one of $3.00; None: that version kept no second refund of an order.
_FORMS = {
    # REST until 29 Nov 22:20 (252b386): a null id read as "None"; a second refund merged.
    "rest None": ("rest", ("{o}:refund:None", "None"), None),
    # REST until 30 Nov 05:00 (de02aca).
    "rest colon": ("rest", ("{o}:refund:5", ""), ("{o}:refund:3", "")),
    # GraphQL from its first answered query (29 Nov 22:14) until 30 Nov 05:55 (164549d).
    "graphql colon": ("graphql", ("{o}:refund:5", ""), ("{o}:refund:3", "")),
    # GraphQL until 30 Nov 08:11 (074e754).
    "graphql equals": ("graphql", ("{o}:refund=5", ""), ("{o}:refund=3", "")),
}


def _counted(session: Path) -> tuple[int, int, list[str]]:
    """Orders and rejected items held, and the keys of the order updates."""
    if not session.exists():
        return 0, 0, []
    store = SessionStore(session)
    try:
        keys = [kept.update.id for kept in store.order_updates()]
        return store.count("orders"), store.count("rejected_items"), keys
    finally:
        store.close()


def _change(shop: ShopifyGraphQLServer | ShopifyOrdersServer, order: int, what: str) -> None:
    """What the shop does to the order's refunds between the two runs, its order updated."""
    if isinstance(shop, ShopifyOrdersServer):
        if what == "added":
            shop.refund(order, "3.00", [(0, 1)])
            return
        with shop.lock:
            kept = shop.orders[0]
            if what in ("changed", "same second"):
                kept["refunds"][0]["transactions"][0]["amount"] = "6.00"
            elif what == "deleted":
                kept["refunds"].pop(0)
            kept["updated_at"] = shop._now()
        return
    if what == "added":
        shop.refund(order, "3.00", [("MUG", 1)])
        return
    with shop.lock:
        if what in ("changed", "same second"):
            shop.orders[0].refunds[0].update({"amount": "6.00"})
        elif what == "deleted":
            shop.orders[0].refunds.pop(0)
        shop.orders[0].updated = shop._tick()


@pytest.mark.parametrize(
    ("what", "gmv", "updates", "rejected"),
    [
        ("again", "12.00", 1, 0),  # read again as it was
        ("changed", "12.00", 1, 1),  # $5 -> $6: the first copy counts, the change listed
        ("added", "9.00", 2, 0),  # a second refund of $3
        ("deleted", "9.00", 2, 0),  # $5 and $3 kept; the shop now lists the $3 one alone (#1)
        # $5 and $3 made in one second, the $5 one changed to $6 (a leftover of R28).
        ("same second", "9.00", 2, 1),
    ],
)
@pytest.mark.parametrize("form", list(_FORMS))
def test_a_session_of_each_old_refund_key_continued_counts_each_refund_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    form: str,
    what: str,
    gmv: str,
    updates: int,
    rejected: int,
) -> None:
    """Old sessions (A, wrong number; R29hunt29shop F1): a Shopify refund without an id is kept
    under its place (``O:refund:#1``); older versions kept it under one of four other keys
    (store/session.py ``_old_keys``), and a session of theirs continued renames the kept row
    when that refund comes again. REST's oldest form, ``O:refund:None`` with the refund id
    "None" (a null id read as the word, until 29 Nov 22:20), was not among them: continued,
    the refund was counted twice even unchanged (GMV $7.00 for $12.00). Each form here, with
    the shop reading the order again, changing its refund, adding one, or listing one less:
    the report's GMV and units are the shop's, each refund kept once (one changed copy listed,
    not counted)."""
    polled_quickly(monkeypatch)
    api, first, second = _FORMS[form]
    session = tmp_path / "s.adsession"
    shop: Any = RestRefundsWithoutId() if api == "rest" else GraphQLRefundsWithoutId()
    rest = api == "rest"
    with shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "5.00", [(0, 1)] if rest else [("MUG", 1)])
        if what in ("deleted", "same second"):
            shop.refund(order, "3.00", [(0, 1)] if rest else [("MUG", 1)])
        if what == "same second":
            earlier, made = shop.orders[0]["refunds"] if rest else shop.orders[0].refunds
            for field in ("created_at", "processed_at") if rest else ("at",):
                made[field] = earlier[field]
        shop.add_order([("PEN", 1, "2.00")])
        url = shop.url if rest else shop.shop_url
        token = shop.token if rest else shop.static_token
        kept = 2 if what in ("deleted", "same second") else 1
        shopify_until(url, token, session, lambda: len(_counted(session)[2]) >= kept)
        old = {f"{order}:refund:#1": (first[0].format(o=order), first[1])}
        if what in ("deleted", "same second"):
            old[f"{order}:refund:#2"] = (
                None if second is None else (second[0].format(o=order), second[1])
            )
        kept_as_before(session, old)
        _change(shop, order, what)
        # The order read again past its change, and once more.
        asked = len(shop.requests)
        shopify_until(
            url,
            token,
            session,
            lambda: (
                len(_counted(session)[2]) >= updates
                and _counted(session)[1] >= rejected
                and len(shop.requests) >= asked + 3
            ),
        )
        # Answered once more, the same: nothing counted again.
        first_order_updated(shop)
        done = len(shop.requests)
        shopify_until(url, token, session, lambda: len(shop.requests) >= done + 3)
    report = build_report(session)
    as_json = report.to_json()
    assert as_json["gmv_by_currency"] == {"USD": gmv}
    assert as_json["orders"] == 2
    assert as_json["units"] == 4 - updates
    assert f"${gmv}" in next(
        line for line in report_text(report, "en").splitlines() if "GMV" in line
    )
    orders, kept_rejected, keys = _counted(session)
    assert (orders, kept_rejected) == (2, rejected)
    assert len(keys) == len(set(keys)) == updates
    assert [item["reason"] for item in as_json["rejected"]] == ["update_changed"] * rejected
    assert json.dumps(as_json)  # the JSON report is written whole


def test_a_rest_session_resumed_before_its_first_updates_window_reads_the_changes_since(
    tmp_path: Path,
) -> None:
    """Rejected items / silent drop (A; R29hunt29shop F2): a REST session whose run stopped
    after its first page of orders, before its first window of updated orders ended, keeps
    a cursor without the updates' part. Resumed, the feed asked updated orders from the
    newest order on its first page, which held new orders only: none, so none were asked;
    a new order, and they were asked from its time. A refund made between the two runs was
    never read: GMV $21.00 for $16.00, in 8 calls. The "resumed without updates" flag that
    makes them asked from the session's start was never set. Now it is, at the first call."""
    session = tmp_path / "s.adsession"
    with ShopifyOrdersServer() as shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.add_order([("PEN", 1, "2.00")])
        shopify_until(shop.url, shop.token, session, lambda: _counted(session)[0] >= 2)
        shop.refund(order, "5.00", [(0, 1)])  # while the show was closed
        shop.add_order([("CAP", 1, "4.00")])
        asked = len(shop.requests)
        shopify_until(
            shop.url,
            shop.token,
            session,
            lambda: _counted(session)[2] != [] or len(shop.requests) >= asked + 8,
        )
    report = build_report(session).to_json()
    assert report["gmv_by_currency"] == {"USD": "16.00"}
    assert report["orders"] == 3
    assert _counted(session)[2] == [f"{order}:refund:{order * 100 + 1}"]


def test_a_line_of_a_200000_character_sku_and_title_is_a_report_line_of_a_few_hundred(
    tmp_path: Path,
) -> None:
    """Response size (B; R29hunt29shop F3): a Shopify line whose SKU and title are 200,000
    characters each made the text report's "Orders for SKUs not in the show" line and its
    product row as long (200,045 characters each); the SKU column was cut already. Now
    both are cut as a show's own SKU and title are limited, with an ellipsis; the order counted."""
    session = tmp_path / "s.adsession"
    with ShopifyOrdersServer() as shop:
        shop.add_order([("S" * 200_000, 2, "2.00")])
        shop.orders[0]["line_items"][0]["title"] = "T" * 200_000
        shopify_until(shop.url, shop.token, session, lambda: _counted(session)[0] >= 1)
    report = build_report(session)
    assert report.to_json()["gmv_by_currency"] == {"USD": "4.00"}
    lines = report_text(report, "en").splitlines()
    assert max(len(line) for line in lines) < 400
    assert any("S" * 60 + "…" in line for line in lines)  # the SKU not in the show, cut
    assert any("T" * 190 + "…" in line for line in lines)  # its title, cut


@pytest.mark.parametrize("form", ["rest None", "rest colon"])
def test_a_refund_rejected_in_an_old_session_is_listed_once_when_continued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """Rejected items (A, wrong number; R29hunt29shop F5): a Shopify refund without an id in a
    currency that is no ISO code is kept as rejected. An older version kept it so under its old
    key (``O:refund:None``, ``O:refund:5``); continued, the same refund was rejected again under
    its place (``O:refund:#1``): "2 items rejected, not counted" for one (shown with the old
    code itself: cont.sh rest old-s2 / old3 badcur). The kept row is built here as that code
    wrote it: its key, its refund id in the kept JSON. Now it takes the new key: listed once."""
    polled_quickly(monkeypatch)
    _, (old_key, old_refund_id), _ = _FORMS[form]
    session = tmp_path / "s.adsession"
    with RestRefundsWithoutId() as shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "5.00", [(0, 1)])
        shop.orders[0]["refunds"][0]["transactions"][0]["currency"] = "X1"
        shop.add_order([("PEN", 1, "2.00")])
        shopify_until(shop.url, shop.token, session, lambda: _counted(session)[1] >= 1)
        key = old_key.format(o=order)
        with sqlite3.connect(session) as db:
            [(kept_id, raw)] = db.execute("SELECT id, raw FROM rejected_items").fetchall()
            as_kept = json.dumps({**json.loads(raw), "refund_id": old_refund_id})
            db.execute(
                "UPDATE rejected_items SET id = ?, item_id = ?, raw = ?",
                (kept_id.replace(f"{order}:refund:#1", key), key, as_kept),
            )
        db.close()
        first_order_updated(shop)
        asked = len(shop.requests)
        shopify_until(shop.url, shop.token, session, lambda: len(shop.requests) >= asked + 3)
    report = build_report(session)
    assert report.to_json()["gmv_by_currency"] == {"USD": "17.00"}
    assert [item["reason"] for item in report.to_json()["rejected"]] == ["currency_invalid"]
    assert "1 item rejected" in report_text(report, "en")
