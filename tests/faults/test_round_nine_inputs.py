"""Hostile inputs, round nine: kinds of input no earlier round sent (a refund in another
currency than its order, ...). Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.cli import main as cli_main

from .test_round_eight_inputs import _report_after_polls


def _order(order_id: str, total: str, currency: str = "USD") -> dict[str, object]:
    line = {"sku": "MUG", "quantity": 1, "price": total}
    return {"type": "order", "id": order_id, "currency": currency, "total": total, "lines": [line]}


def _refund(order_id: str, refund_id: str, amount: str, currency: str) -> dict[str, object]:
    return {
        "type": "order_update",
        "id": order_id,
        "status": "refunded",
        "refund": amount,
        "refund_id": refund_id,
        "currency": currency,
    }


def test_a_refund_in_another_currency_than_its_order_is_listed_as_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real JSON feed serves a $24.00 order and a €10.00 refund of it (and a €5.00 refund of
    an order that comes after it). The ledger rightly takes no euros out of dollars, but before,
    the report said nothing at all: no rejected item, GMV $24.00 as if no refund had come —
    against the rule that an item not counted is listed with its reason and counted."""
    server = JsonFeedServer(poll_ms=1000).start()
    report = _report_after_polls(
        tmp_path,
        capsys,
        server,
        lambda: server.add_raw(_order("o1", "24.00")),
        lambda: server.add_raw(_refund("o1", "r1", "10.00", "EUR")),
        lambda: server.add_raw(_refund("o2", "r2", "5.00", "EUR")),  # before its order
        lambda: server.add_raw(_order("o2", "30.00")),
    )
    assert report["gmv_by_currency"] == {"USD": "54.00"}
    assert report["rejected_by_reason"] == {"update_currency_differs": 2}
    assert sorted(entry["id"] for entry in report["rejected"]) == ["o1:refund:r1", "o2:refund:r2"]
    assert "refunded in EUR for an order in USD" in report["rejected"][0]["detail"]
    session = str(tmp_path / "s.adsession")
    assert cli_main(["report", session]) == 0
    text = capsys.readouterr().out
    assert "2 items rejected, not counted" in text
    assert "cancellation or refund in another currency than its order" in text
    html = tmp_path / "r.html"
    assert cli_main(["report", "--html", str(html), session]) == 0
    assert "o1:refund:r1" in html.read_text(encoding="utf-8")
