"""Hostile round twenty, the Shopify GraphQL orders feed (hunt20shop): round nineteen's left
items and its code attacked with the shop's hostile answers, a real session store and real
restarts (a new FeedHub and StoreWriter on the same session, as a relaunched app). The test
server (tests/feeds/platform_servers.py) answers as Shopify documents. Each test failed on the
code before its fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import Reply
from platform_servers import ShopifyGraphQLServer, _json

from anchordesk.store import SessionStore
from anchordesk.store.report import build_report

from ..feed_parts import shopify_until

_PAST_CAP = 9 * 1024 * 1024  # one line's SKU: the order alone is past the 8 MB cap


def _run_once(server: ShopifyGraphQLServer, session: Path, done: Callable[[], bool]) -> None:
    """The app's feeds on ``session`` (a new hub and writer, as a relaunch) until ``done``."""
    shopify_until(server.shop_url, server.static_token, session, done)


def _stored_orders(session: Path) -> int:
    store = SessionStore(session)
    try:
        return store.count("orders")
    finally:
        store.close()


# -- F1: an order past the size cap in a crash loop --------------------------------------------


@pytest.mark.parametrize("big", [0, 10])
def test_an_order_past_the_size_cap_is_passed_by_an_app_restarting_every_seven_calls(
    tmp_path: Path, big: int
) -> None:
    """40 orders, the first (or the 11th) of one 9 MB line; the app restarts after every 7
    calls to the shop (a crash loop every 14 s). Before: finding that order past the cap alone
    took 7 calls (25, 12, 5, 2 and 1 orders, its id, the order alone) and each restart learnt
    it again: 0 (10) of 39 orders after 20 restarts, and the order never kept as rejected. Now
    the feed's memory (the order past the cap, the smaller pages) is kept in the session beside
    its cursor: every order counted, that one kept as rejected once."""
    session = tmp_path / "s.adsession"
    with ShopifyGraphQLServer() as server:
        for n in range(40):
            if n == big:
                server.add_order([("X" * _PAST_CAP, 1, "1.00")])
            else:
                server.add_order([(f"S{n}-{line}", 1, "2.00") for line in range(1 + n % 3)])
        for _ in range(20):
            start = len(server.queries)
            _run_once(server, session, lambda start=start: len(server.queries) >= start + 7)
            if _stored_orders(session) == 39:
                break
    report = build_report(session)
    assert report.orders == 39
    # Orders of 1, 2, 3 lines in turn (40 of them: 79 lines at 2.00), but that one.
    assert report.ledger.gmv_by_currency == {"USD": Decimal(158 - 2 * (1 + big % 3))}
    assert [(r.item_id, "8 MB" in r.detail) for r in report.rejected] == [(str(5001 + big), True)]


# -- F2: the cursors of an order's lines in a loop ---------------------------------------------


class _LinesCursorLoop(ShopifyGraphQLServer):
    """The rest of an order's lines (``order(id:)`` after a cursor) always says more lines
    follow, at two cursors in turn: "line-50" -> "line-60" -> "line-50"…"""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        asked = json.loads(body) if path.endswith("graphql.json") else {}
        after = (asked.get("variables") or {}).get("linesAfter")
        answer = json.loads(reply.body) if after and "order" in reply.body.decode() else None
        node = (answer or {}).get("data", {}).get("order")
        if not isinstance(node, dict):
            return reply
        node["lineItems"]["pageInfo"] = {
            "hasNextPage": True,
            "endCursor": "line-60" if after == "line-50" else "line-50",
        }
        return _json(answer)


def test_an_orders_lines_at_two_cursors_in_turn_are_kept_as_rejected_at_once(
    tmp_path: Path,
) -> None:
    """4 orders of 250 lines whose rest of lines loops between two cursors, 4 of one line; the
    app restarts after every 7 calls. Before: the loop was read 100 lines a call up to 10,000
    lines (a hundred calls an order), and each restart began it again: none of the 4 was ever
    kept as rejected. Now a cursor or a line given again is a loop: each kept as
    rejected, with why, and the others counted."""
    session = tmp_path / "s.adsession"
    with _LinesCursorLoop() as server:
        for n in range(8):
            lines = 250 if n % 2 == 0 else 1
            server.add_order([(f"S{n}-{line}", 1, "2.00") for line in range(lines)])
        for _ in range(15):
            start = len(server.queries)
            _run_once(server, session, lambda start=start: len(server.queries) >= start + 7)
            if _stored_orders(session) == 4 and len(build_report(session).rejected) == 4:
                break
    report = build_report(session)
    assert report.orders == 4
    assert report.ledger.gmv_by_currency == {"USD": Decimal("8.00")}
    assert sorted(r.item_id for r in report.rejected) == ["5001", "5003", "5005", "5007"]
    assert all("given twice" in r.detail for r in report.rejected)


# -- F3: an order kept as rejected read again on every poll -------------------------------------


class _LinesCursorSame(ShopifyGraphQLServer):
    """The rest of an order's lines (``order(id:)`` after a cursor) says more lines follow at
    the cursor it was asked from: no progress, the order kept as rejected."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        asked = json.loads(body) if path.endswith("graphql.json") else {}
        after = (asked.get("variables") or {}).get("linesAfter")
        answer = json.loads(reply.body) if after and "order" in reply.body.decode() else None
        node = (answer or {}).get("data", {}).get("order")
        if not isinstance(node, dict):
            return reply
        node["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": after}
        return _json(answer)


def test_an_order_kept_as_rejected_is_not_read_again_nor_counted_later(tmp_path: Path) -> None:
    """Orders of 1, 12 and 60 lines; the newest one's rest of lines (after the 50 read with the
    12-line one) makes no progress: kept as rejected. Before: the window's newest order comes
    again on every poll (the cursor is inclusive) and that version was read again, alone from
    its first line, and counted while kept as rejected ("not counted" in the report). Now that
    version is not asked for again (a change of it is)."""
    session = tmp_path / "s.adsession"
    with _LinesCursorSame() as server:
        for n, lines in enumerate((1, 12, 60)):
            server.add_order([(f"S{n}-{line}", 1, "2.00") for line in range(lines)])
        _run_once(server, session, lambda: len(server.queries) >= 10)
        alone = [q for q in server.queries if "AnchorDeskOrder(" in json.dumps(q)]
    report = build_report(session)
    assert [r.item_id for r in report.rejected] == ["5003"]
    assert report.orders == 2
    assert report.ledger.gmv_by_currency == {"USD": Decimal("26.00")}
    assert len(alone) == 1


def test_an_order_kept_as_rejected_is_not_counted_after_a_restart(tmp_path: Path) -> None:
    """F3's shop, the app restarted once the order is kept as rejected. Before: the restart
    forgot that version was handled; read again alone from its first line, it was counted
    while the report listed it rejected. Now the feed's memory keeps it."""
    session = tmp_path / "s.adsession"
    with _LinesCursorSame() as server:
        for n, lines in enumerate((1, 12, 60)):
            server.add_order([(f"S{n}-{line}", 1, "2.00") for line in range(lines)])
        _run_once(server, session, lambda: len(build_report(session).rejected) == 1)
        _run_once(server, session, lambda: len(server.queries) >= 12)
    report = build_report(session)
    assert [r.item_id for r in report.rejected] == ["5003"]
    assert report.orders == 2
    assert report.ledger.gmv_by_currency == {"USD": Decimal("26.00")}
