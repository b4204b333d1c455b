"""Hostile round thirty-one, the Shopify feeds and the session store (shop31): against real
local shops (tests/feeds; one answering both APIs, shop_parts.BothApis), a real FeedHub and
StoreWriter, and the report read from the session file. Each behaviour test failed on the
code before its fix."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from anchordesk.store import SessionStore
from anchordesk.store.report import build_report, report_text

from ..feed_parts import shopify_until
from ..shop_parts import BothApis, polled_quickly


def _report(session: Path) -> dict[str, object]:
    return build_report(session).to_json()


def _names(session: Path) -> list[str]:
    store = SessionStore(session)
    try:
        return [feed.source for feed in store.feeds()]
    finally:
        store.close()


@pytest.mark.parametrize("kept", ["as now", "identity of before"])
@pytest.mark.parametrize("first", ["rest", "graphql"])
def test_a_session_read_through_one_api_and_continued_through_the_other_counts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, kept: str
) -> None:
    """Wrong number (A; redone from R31's lost work): a session read from a shop through REST
    (``…/admin/api/2024-07/orders.json``) and continued through GraphQL (the shop's address),
    or the other way round, named a second feed ``shopify-orders#2`` with no cursor: every
    order of the show read and counted again (2 orders for 1, $25.00 for $12.50, the refund
    taken off twice). Both APIs read the same orders under the same ids: the shop is one
    feed, its name and its orders go on, whichever API reads it; each adapter reads the
    other's cursor. ``identity of before``: the session's feed kept under the identity the
    version before this one gave it (REST and GraphQL told apart): found by its shop."""
    polled_quickly(monkeypatch)
    session = tmp_path / "s.adsession"
    with BothApis() as shop:
        order = shop.add_order([("MUG", 3, "5.00")])
        shop.refund(order, "2.50", [("MUG", 1)])
        urls = [shop.rest_url, shop.shop_url]
        if first == "graphql":
            urls.reverse()
        token = shop.static_token
        shopify_until(urls[0], token, session, lambda: len(shop.requests) >= 4)
        assert _report(session)["orders"] == 1
        if kept == "identity of before":
            with sqlite3.connect(session) as db:
                db.execute("UPDATE feeds SET identity = 'sha256:' || hex(randomblob(32))")
            db.close()
        second = shop.add_order([("CAP", 1, "7.50")])
        asked = len(shop.requests)
        shopify_until(urls[1], token, session, lambda: len(shop.requests) >= asked + 6)
        # A refund made while the other API reads: counted once.
        shop.refund(second, "1.00", [])
        asked = len(shop.requests)
        shopify_until(urls[1], token, session, lambda: len(shop.requests) >= asked + 6)
    report = build_report(session)
    figures = report.to_json()
    assert figures["orders"] == 2
    assert figures["gmv_by_currency"] == {"USD": "19.00"}
    assert figures["units"] == 3
    assert figures["rejected"] == []
    assert "$19.00" in next(
        line for line in report_text(report, "en").splitlines() if "GMV" in line
    )
    assert _names(session) == ["shopify-orders"]
