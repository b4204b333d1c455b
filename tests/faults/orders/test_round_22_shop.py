"""Hostile round twenty-two, the Shopify GraphQL orders feed (hunt22shop): the feed's memory
kept in the session (round twenty) is a hint, never proof. A session file whose memory names
orders it does not hold (hand-edited, copied from another shop's session) is read with the real
test server, a real session store and real restarts. Each test failed on the code before its
fix (R21hunt21shop F1, F2)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from platform_servers import ShopifyGraphQLServer, _iso

from anchordesk.store import SessionStore
from anchordesk.store.report import build_report

from ..feed_parts import shopify_until

_MEMORY = "feed_memory:shopify-orders"


def _run_once(server: ShopifyGraphQLServer, session: Path, done: Callable[[], bool]) -> None:
    """The app's feeds on ``session`` (a new hub and writer, as a relaunch) until ``done``."""
    shopify_until(server.shop_url, server.static_token, session, done)


def _stored_orders(session: Path) -> int:
    store = SessionStore(session)
    try:
        return store.count("orders")
    finally:
        store.close()


def _gid(number: int) -> str:
    return f"gid://shopify/Order/{number}"


def _overwrite_memory(session: Path, memory: str) -> None:
    db = sqlite3.connect(session)
    try:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (_MEMORY, memory))
        db.commit()
    finally:
        db.close()


def _two_read_two_new(tmp_path: Path, server: ShopifyGraphQLServer) -> Path:
    """Orders 5001 (1 line) and 5002 (60 lines, read in part then again) read and stored, the
    app stopped, orders 5003 (2 lines) and 5004 (60 lines) added meanwhile."""
    session = tmp_path / "s.adsession"
    server.add_order([("S0-0", 1, "2.00")])
    server.add_order([(f"S1-{k}", 1, "2.00") for k in range(60)])
    start = len(server.queries)
    _run_once(
        server, session, lambda: _stored_orders(session) >= 2 and len(server.queries) >= start + 4
    )
    assert _stored_orders(session) == 2
    server.add_order([(f"S2-{k}", 1, "2.00") for k in range(2)])
    server.add_order([(f"S3-{k}", 1, "2.00") for k in range(60)])
    return session


def _restart_twice(server: ShopifyGraphQLServer, session: Path) -> None:
    for _ in range(2):
        start = len(server.queries)
        _run_once(
            server,
            session,
            lambda start=start: _stored_orders(session) >= 4 or len(server.queries) >= start + 10,
        )


def _updated(server: ShopifyGraphQLServer, number: int) -> str:
    return _iso(server.orders[number - 5001].updated)


def test_a_memory_naming_a_new_order_as_rejected_does_not_lose_that_order(tmp_path: Path) -> None:
    """The memory's "rejected" names order 5004 (new, 60 lines, never read) at its very
    version. Before: it was taken as read whole and stored, so the order read in part was
    passed over: neither counted nor kept as rejected, nothing said (3 orders, $126.00). Now
    the memory is checked against the session: 4 orders, $246.00, nothing rejected."""
    with ShopifyGraphQLServer() as server:
        session = _two_read_two_new(tmp_path, server)
        _overwrite_memory(session, json.dumps({"rejected": [[_gid(5004), _updated(server, 5004)]]}))
        _restart_twice(server, session)
    report = build_report(session)
    assert report.orders == 4
    assert report.ledger.gmv_by_currency == {"USD": Decimal("246.00")}
    assert report.rejected == []


def test_a_memory_naming_a_counted_order_past_the_cap_does_not_list_it_rejected(
    tmp_path: Path,
) -> None:
    """The memory's "too_large" names order 5002 (60 small lines, already counted, its
    updatedAt the stored cursor). Before: the window at the cursor asked ids only and the order
    was kept as rejected without being read, "larger than 8 MB": counted AND listed rejected.
    Now only an order the session keeps as rejected at that version is passed over so."""
    with ShopifyGraphQLServer() as server:
        session = _two_read_two_new(tmp_path, server)
        _overwrite_memory(
            session, json.dumps({"too_large": [[_gid(5002), _updated(server, 5002)]]})
        )
        _restart_twice(server, session)
    report = build_report(session)
    assert report.rejected == []
    assert report.orders == 4
    assert report.ledger.gmv_by_currency == {"USD": Decimal("246.00")}
