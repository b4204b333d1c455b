"""Absurd amounts from a real local feed server: kept as rejected with their reason, counted in
every report, never summed (issue 10: "1e309", "1e26" and negative totals)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer, ShopifyOrdersServer

from anchordesk.cli import main as cli_main
from anchordesk.core import logs
from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.show.feed_rules import MAX_AMOUNT, MAX_QUANTITY
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report

from ..feed_parts import ingest

pytestmark = pytest.mark.integration


def _order(item_id: str, total: object, *, quantity: object = 1, price: object = "10.00") -> dict:
    return {
        "type": "order",
        "id": item_id,
        "currency": "CNY",
        "total": total,
        "lines": [{"sku": "SERUM-30", "quantity": quantity, "price": price}],
    }


def test_absurd_and_negative_totals_are_rejected_and_counted_not_summed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_order("SERUM-30", 2, "129.00")  # o1: 258.00, the one real order
        for item in (
            _order("o-inf", "1e309"),
            _order("o-huge", 1e26),  # a JSON number: read as Decimal 1E+26
            _order("o-neg", "-999.99"),
            _order("o-fine", "10.005"),  # finer than CNY's 2 digits
            _order("o-qty", "10.00", quantity=MAX_QUANTITY + 1),
            _order("o-zero", "10.00", quantity=0),
            _order("o-nan", "NaN"),
            _order("o-ceiling", str(MAX_AMOUNT), price=str(MAX_AMOUNT)),  # the most allowed
        ):
            server.add_raw(item)
        hub = ingest(server, tmp_path / "s.adsession")
    health = hub.health()[0]
    assert health.rejected == 7 and health.items == 9

    report = build_report(tmp_path / "s.adsession")
    assert report.orders == 2
    assert report.ledger.gmv_by_currency == {"CNY": Decimal("258.00") + MAX_AMOUNT}
    assert {r.item_id for r in report.rejected} == {
        "o-inf", "o-huge", "o-neg", "o-fine", "o-qty", "o-zero", "o-nan",
    }  # fmt: skip
    assert report.rejected_by_reason == {
        "amount_too_large": 2,
        "quantity_invalid": 2,
        "amount_negative": 1,
        "amount_too_precise": 1,
        "unreadable": 1,  # "NaN" is no amount at all: the adapter could not read the order
    }

    # Every form of the report survives and says the same.
    html = tmp_path / "r.html"
    assert cli_main(["report", str(tmp_path / "s.adsession"), "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert "7 items rejected, not counted: 2 amounts above the ceiling" in out
    assert "order o-neg (json): total -999.99" in out
    assert "o-inf" in html.read_text(encoding="utf-8")
    assert cli_main(["report", str(tmp_path / "s.adsession"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["gmv"] == str(Decimal("258.00") + MAX_AMOUNT)
    assert data["orders"] == 2 and data["rejected_items"] == 7


def test_a_rejected_order_sent_again_is_kept_once(tmp_path: Path) -> None:
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order("o-neg", "-5.00"))
        server.add_raw(_order("o-neg", "-5.00"))  # the same page twice (a replaying server)
        ingest(server, tmp_path / "s.adsession")
        # A restarted program whose server replays everything (as if the cursor were unknown).
        with sqlite3.connect(tmp_path / "s.adsession") as db:
            db.execute("DELETE FROM cursors")
        ingest(server, tmp_path / "s.adsession")
    assert len(build_report(tmp_path / "s.adsession").rejected) == 1


def test_a_newline_in_an_order_id_cannot_forge_a_log_line(tmp_path: Path) -> None:
    forged = "o1\n12:00:00 ERROR anchordesk: \x1b[2Jstream key leaked"
    server = JsonFeedServer(poll_ms=10)
    log_dir = tmp_path / "log"
    logs.setup_logging(stderr=None, log_dir=log_dir, native_crashes=False)
    try:
        with server:
            server.add_raw(_order(forged, "-5.00"))  # rejected: the hub logs it with its id
            ingest(server, tmp_path / "s.adsession")
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
    lines = (log_dir / logs.LOG_FILE_NAME).read_text(encoding="utf-8").splitlines()
    (rejected,) = [line for line in lines if "rejected" in line]
    assert "order o1\\n12:00:00 ERROR anchordesk: \\x1b[2Jstream key leaked" in rejected
    assert not any(line.startswith("12:00:00") for line in lines)
    assert not any("\x1b" in line for line in lines)


def test_shopify_orders_against_the_rule_are_kept_as_rejected_too(tmp_path: Path) -> None:
    server = ShopifyOrdersServer()
    with server:
        server.add_order([("SERUM-30", 1, "19.99")])
        absurd = server.add_order([("SERUM-30", 1, "19.99")])
        unreadable = server.add_order([("SERUM-30", 1, "19.99")])
        with server.lock:
            server._order(absurd)["total_price"] = "1e309"
            server._order(unreadable)["total_price"] = {"amount": "19.99"}
        writer = StoreWriter(tmp_path / "s.adsession")
        hub = FeedHub(
            [FeedSpec("shopify-orders", server.url)],
            writer,
            # The static token only (no client credentials in the keyring).
            token_lookup=lambda kind: server.token if kind == "shopify-orders" else None,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        )

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            for _ in range(400):
                await asyncio.sleep(0.01)
                if hub.pollers and hub.pollers[0].cursor == str(unreadable):
                    break
            stop.set()
            await task

        try:
            asyncio.run(run())
        finally:
            writer.close()
    report = build_report(tmp_path / "s.adsession")
    assert report.orders == 1 and report.ledger.gmv_by_currency == {"USD": Decimal("19.99")}
    assert report.rejected_by_reason == {"amount_too_large": 1, "unreadable": 1}
    assert {r.item_id for r in report.rejected} == {str(absurd), str(unreadable)}
