"""Hostile inputs, round six: what round five's kinds of input did not try (values at and
past their limits, money in two currencies through one segment, the simulator's own
arguments). Each test failed on the code before its fix."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from report_sessions import T0, write_big_session

from anchordesk.cli import main as cli_main
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.showfile.samples import sample_show_path
from anchordesk.store import SessionStore


@pytest.mark.parametrize(
    ("argument", "value", "words"),
    [
        ("--port", "70000", "from 0 to 65535"),
        ("--port", "-1", "from 0 to 65535"),
        ("--rate", "1e400", "at most 1,000"),
        ("--rate", "inf", "at most 1,000"),
    ],
)
def test_the_audience_refuses_a_port_or_rate_out_of_range_in_one_line(
    capsys: pytest.CaptureFixture[str], argument: str, value: str, words: str
) -> None:
    """Before: ``--port 70000`` ended in an OverflowError traceback out of bind(); ``--rate
    inf`` served a room that never wrote a comment, without a word."""
    show = sample_show_path("en")
    assert show is not None
    assert cli_main(["audience", "--show", str(show), argument, value]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert argument in err and words in err


def test_an_order_in_another_currency_is_never_added_into_a_segments_or_products_gmv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CNY show with one 12.50 USD order for SKU-05. Before: the report's segment table and
    SKU-05's row (and the board's product GMV, from the same ledger) added the 12.50 dollars
    into their yuan: the segments summed to 12.50 more than the show's GMV."""
    path = tmp_path / "show.adsession"
    write_big_session(path)
    assert cli_main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    gmv = Decimal(report["gmv"])
    assert report["gmv_by_currency"]["USD"] == "12.50"
    assert sum(Decimal(p["gmv"]) for p in report["products"]) == gmv
    assert sum(Decimal(s["gmv"]) for s in report["segments"]) == gmv
    [mug] = [p for p in report["products"] if p["sku"] == "SKU-05"]
    assert mug["gmv_in_other_currencies"] == {"USD": "12.50"}
    assert sum(
        Decimal(s["gmv_in_other_currencies"].get("USD", "0")) for s in report["segments"]
    ) == Decimal("12.50")


@pytest.mark.parametrize("zero", ["0E-999999999", "-0E-999999999", "24.000000000000000000000"])
def test_an_amount_written_with_absurd_digits_keeps_the_gmv_in_the_currencys_digits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zero: str
) -> None:
    """A total of ``0E-999999999`` is exact in cents (a zero), so the rule keeps it. Before:
    every sum after it took its exponent, and the GMV read "…131.500000000000000" in
    ``report --json`` and on the remote (the same ledger)."""
    path = tmp_path / "show.adsession"
    write_big_session(path)
    store = SessionStore(path)
    line = OrderLine("SKU-05", 1, Decimal(zero), "Mug")
    store.write_batch("json", [Order("json", "odd", "CNY", Decimal(zero), (line,))], "z", T0 + 9)
    store.close()
    assert cli_main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    for amount in [
        report["gmv"],
        *(p["gmv"] for p in report["products"] if p["gmv"] != "0"),
        *(s["gmv"] for s in report["segments"]),
    ]:
        assert len(amount.partition(".")[2]) == 2, amount
