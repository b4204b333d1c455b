"""Round nineteen of issue 10 (hunt19in): data from outside — show files, CSV imports, feeds,
the report (R19hunt19in.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .show_inputs import anchordesk, valid_show, with_raw_number, write_show


@pytest.mark.parametrize(
    ("literal", "said"),
    [
        ("Infinity", "the price Infinity is not a number"),
        ("-Infinity", "the price -Infinity is not a number"),
        ('"Infinity"', "the price Infinity is not a number"),
        ("1e40", "the price 1e40 is out of range: a number from 0 to 1,000,000,000"),
        ("1E+41", "the price 1E+41 is out of range: a number from 0 to 1,000,000,000"),
        ("10e39", "the price 10e39 is out of range: a number from 0 to 1,000,000,000"),
        ("-1e40", "the price must not be negative (got -1e40)"),
    ],
)
def test_a_price_out_of_range_is_said_one_way_and_as_written(
    tmp_path: Path, literal: str, said: str
) -> None:
    """F1: the same kind of number was said two ways, and some not as written: a show file's
    ``Infinity`` "is not a price" but a CSV's "is out of range"; a file's ``1e40`` was quoted by
    its 41 digits with "at most", its ``1E+41`` as written with "a number from 0 to"."""
    data = valid_show()
    data["products"][0]["price"] = "PRICE"
    show = write_show(tmp_path, with_raw_number(data, "PRICE", literal))
    checked = anchordesk("show", "check", show)
    assert checked.returncode == 2
    assert f"$.products[0].price (product MUG, Travel mug): {said}" in checked.stdout + (
        checked.stderr
    ), checked.stdout + checked.stderr
    assert "0000000000" not in checked.stdout + checked.stderr

    data = valid_show()
    data["rundown"][1]["deal"]["price"] = "PRICE"
    show = write_show(tmp_path, with_raw_number(data, "PRICE", literal))
    checked = anchordesk("show", "check", show)
    assert said.replace("the price", "the deal price") in checked.stdout + checked.stderr
    assert "0000000000" not in checked.stdout + checked.stderr

    sheet = tmp_path / "products.csv"
    cell = literal.strip('"')
    sheet.write_text(f"sku,title,price,stock\nMUG,Travel mug,{cell},5\n")
    imported = anchordesk("show", "import-csv", sheet, "-o", tmp_path / "out.json")
    assert imported.returncode == 2
    assert f"row 2, column price: {said}" in imported.stderr + imported.stdout, (
        imported.stderr + imported.stdout
    )
