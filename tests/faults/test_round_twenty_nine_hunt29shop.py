"""Hostile round twenty-nine, the Shopify feeds and the session store (hunt29shop): against the
real local test shops (tests/feeds), a real FeedHub and StoreWriter, and the report read from
the session file. Each behaviour test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

from feed_servers import ShopifyOrdersServer

from anchordesk.store import SessionStore
from anchordesk.store.report import build_report

from .feed_parts import shopify_until


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
