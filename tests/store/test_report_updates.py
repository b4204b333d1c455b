"""The report replays the stored cancellations and refunds: its figures are the board's."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate, RefundLine
from anchordesk.show.ledger import show_snapshot
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.store import SessionStore, ShowEventRecord
from anchordesk.store.report import build_report

T0 = 1_700_000_000.0
SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 10),),
    rundown=(Segment("Mug", 300, "MUG", deal=DealPlan(Decimal("18.00"), 120, 5)),),
)


def order(order_id: str, qty: int, price: str, currency: str = "USD") -> Order:
    line = OrderLine("MUG", qty, Decimal(price))
    return Order("json", order_id, currency, line.amount, (line,))


def test_cancellations_and_refunds_sent_twice_come_out_of_the_report_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "night.adsession"
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(SHOW)))
    store.record_show_events(
        [
            ShowEventRecord(
                "e1", "segment_started", T0, {"index": 0, "title": "Mug", "sku": "MUG"}
            ),
            ShowEventRecord(
                "e2", "deal_started", T0, {"deal_id": "segment-0", "sku": "MUG", "price": "18.00"}
            ),
            ShowEventRecord(
                "e3", "deal_ended", T0 + 120, {"deal_id": "segment-0", "reason": "ended"}
            ),
        ]
    )
    store.write_batch("json", [order("o1", 2, "18.00")], "1", T0 + 10)  # deal line
    store.write_batch("json", [order("o2", 1, "24.00")], "2", T0 + 20)  # list price in the deal
    store.write_batch("json", [order("o3", 3, "170.00", "CNY")], "3", T0 + 30)
    cancel = OrderUpdate("json", "o1", "cancelled")
    refund = OrderUpdate("json", "o2", "refunded", Decimal("4.00"))
    cny_refund = OrderUpdate(
        "json", "o3", "refunded", Decimal("170"), lines=(RefundLine("MUG", 1),)
    )
    for received in (T0 + 40, T0 + 50):  # everything sent twice
        store.write_batch("json", [cancel, refund, cny_refund], None, received)
    store.close()

    report = build_report(path)
    ledger = report.ledger
    assert ledger.gmv_by_currency == {"USD": Decimal("20.00"), "CNY": Decimal("340.00")}
    assert report.gmv == Decimal("20.00")
    assert report.gmv_over_time[-1][1] == report.gmv, "the curve ends at the GMV"
    (deal,) = ledger.deals
    assert (deal.units, deal.gmv) == (0, Decimal("0.00")), "the cancelled deal line is gone"
    mug = ledger.products["MUG"]
    assert (mug.units, mug.deal_units, mug.returned) == (3, 0, 3)
    assert ledger.cancelled_orders == 1 and len(ledger.updates) == 3
    data = report.to_json()
    assert data["gmv"] == "20.00" and data["units_by_sku"] == {"MUG": 3}
