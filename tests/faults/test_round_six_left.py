"""What round six left (issue 10; /work/hunt/R6net.md and R6in.md, "Left"): each test failed
on the code before its fix."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.showfile.csv_import import parse_products_csv
from anchordesk.showfile.files import load_show, parse_show
from anchordesk.store import StoreWriter

from .show_inputs import valid_show, with_raw_number, write_show


def _csv_problems(price: str, stock: str = "5") -> list[str]:
    result = parse_products_csv(f"sku,title,price,stock\nMUG,Mug,{price},{stock}\n")
    return [str(problem) for problem in result.problems]


def test_a_csv_price_finer_than_any_price_is_said_to_have_too_many_decimals() -> None:
    """Before: "1e-400 is out of range: a price is a number from 0 to 1,000,000,000", which
    it is inside of."""
    [problem] = _csv_problems("1e-400")
    assert problem == "row 2, column price: 1e-400 has too many decimals for a price"
    [problem] = _csv_problems("10", stock="1e-400")
    assert problem == "row 2, column stock: not a whole number: '1e-400'"


def test_a_zero_written_with_a_huge_exponent_is_a_zero() -> None:
    """Before: "0E-999999999 is out of range"; it is 0 (kept as a plain 0: its exponent would
    make every formatted price a billion characters long)."""
    result = parse_products_csv("sku,title,price,stock\nMUG,Mug,0E-999999999,5\n")
    assert result.problems == []
    [product] = result.products
    assert product.price == 0 and product.price.as_tuple().exponent == 0


def test_a_show_files_price_finer_than_any_price_is_said_to_have_too_many_decimals(
    tmp_path: Path,
) -> None:
    data = valid_show()
    data["products"][0]["price"] = "PRICE"
    report = parse_show(with_raw_number(data, "PRICE", "1e-400"), tmp_path)
    assert [str(p) for p in report.problems] == [
        "$.products[0].price (product MUG, Travel mug): the price 1e-400 has too many decimals"
    ]


def test_report_json_writes_a_deal_price_with_its_currencys_decimals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deal price written ``18.0`` in the show file. Before: ``report --json`` wrote
    "18.0" where every other amount has the currency's two decimals ("18.00")."""
    data = valid_show()
    data["rundown"][1]["deal"]["price"] = "DEAL"
    show = load_show(write_show(tmp_path, with_raw_number(data, "DEAL", "18.0")))
    runtime = ShowRuntime(show, 0.0)
    session = ShowSession(
        mode=SessionMode.LIVE,
        runtime=runtime,
        writer=StoreWriter(tmp_path / "live.adsession"),
        feeds=[],
        simulated=False,
    )
    runtime.next_segment(1.0)  # the mug's deal goes live
    line = OrderLine("MUG", 2, Decimal("18.00"), "Mug")
    try:
        session.ingest([Order("json", "A", "USD", line.amount, (line,))])
    finally:
        session.close_store()
    assert cli_main(["report", "--json", str(tmp_path / "live.adsession")]) == 0
    [deal] = json.loads(capsys.readouterr().out)["deals"]
    assert (deal["price"], deal["gmv"], deal["units"]) == ("18.00", "36.00", 2)
