"""The post-show report from a session file: text, JSON contract and a self-contained page."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main
from anchordesk.show.feed_items import Comment, Order, OrderLine
from anchordesk.show.ledger import show_snapshot
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.store import SessionStore, ShowEventRecord

T0 = 1_700_000_000.0
SHOW = Show(
    title="<script>alert(1)</script> Night",
    currency="CNY",
    language="zh_CN",
    products=(Product("SERUM-30", "精华", Decimal("199.00"), 500),),
    rundown=(
        Segment("开场", 60),
        Segment("精华", 300, "SERUM-30", deal=DealPlan(Decimal("129.00"), 120, 100)),
    ),
)


def order(n: int, sku: str, qty: int, price: str) -> Order:
    line = OrderLine(sku, qty, Decimal(price))
    return Order("json", f"o{n}", "CNY", line.amount, (line,))


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "night.adsession"
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(SHOW), ensure_ascii=False))
    store.record_show_events(
        [
            ShowEventRecord(
                "e1", "segment_started", T0, {"index": 0, "title": "开场", "sku": None}
            ),
            ShowEventRecord(
                "e2", "segment_started", T0 + 60, {"index": 1, "title": "精华", "sku": "SERUM-30"}
            ),
            ShowEventRecord(
                "e3",
                "deal_started",
                T0 + 60,
                {"deal_id": "segment-1", "sku": "SERUM-30", "price": "129.00"},
            ),
            ShowEventRecord(
                "e4", "deal_ended", T0 + 180, {"deal_id": "segment-1", "reason": "ended"}
            ),
        ]
    )
    store.write_batch(
        "json", [Comment("json", "c1", "a", "多少钱？", is_question=True)], "1", T0 + 10
    )
    store.write_batch("json", [order(2, "SERUM-30", 1, "199.00")], "2", T0 + 30)
    store.write_batch("json", [order(3, "SERUM-30", 2, "129.00")], "3", T0 + 90)
    store.write_batch("json", [order(4, "<img src=x>", 1, "9.90")], "4", T0 + 200)
    store.close()
    return path


def test_json_report_has_the_contract_keys_and_exact_totals(
    session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["report", str(session), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"comments", "orders", "units_by_sku", "gmv", "currency", "segments"} <= set(report)
    assert report["comments"] == 1 and report["questions"] == 1
    assert report["orders"] == 3
    assert report["gmv"] == "466.90" and report["currency"] == "CNY"
    assert report["units_by_sku"] == {"SERUM-30": 3, "<img src=x>": 1}
    assert report["unknown_skus"] == ["<img src=x>"]
    assert [(s["title"], s["orders"], s["gmv"]) for s in report["segments"]] == [
        ("开场", 1, "199.00"),
        ("精华", 2, "267.90"),
    ]
    (deal,) = report["deals"]
    assert (deal["units"], deal["gmv"]) == (2, "258.00")
    assert report["orders_per_minute"] == [1, 1, 0, 1]


def test_text_report_names_unknown_skus(session: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["report", str(session), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "CN¥466.90" in out
    assert "not in the show" in out


def test_html_page_is_self_contained_escaped_and_has_the_three_charts(
    session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    assert cli_main(["report", str(session), "--html", str(page), "--lang", "en"]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 4  # GMV, orders/min, comments/min, units per product
    for label in ("GMV over time", "Orders per minute", "Units per product"):
        assert f'aria-label="{label}"' in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert not re.search(r"(src|href)=\"?https?://", html), "nothing loaded from the network"
    assert "segment-1 SERUM-30 at CN¥129.00: 2 units, time ran out" in html  # the deal band


def test_a_missing_or_foreign_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["report", str(tmp_path / "nope.adsession")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "nope.adsession" in err and len(err.splitlines()) == 1
    junk = tmp_path / "junk.adsession"
    junk.write_bytes(b"\x00garbage" * 200)
    assert cli_main(["report", str(junk)]) == 2
    assert "Traceback" not in capsys.readouterr().err
