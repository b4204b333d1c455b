"""Round thirty-six, inputs (R36in36): prices and stock as a spreadsheet in a European locale
writes them (the sign after the number, thousands grouped by spaces)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ..show_inputs import anchordesk, assert_clean_output


@pytest.mark.parametrize(
    ("price", "stock", "separator"),
    [
        ("12,50 €", "5", ";"),  # German/French Excel: the sign after the number
        ("1 299,00 €", "1 000", ";"),  # French: thousands grouped by a space
        ("1\u00a0299,00 €", "1\u00a0000", ";"),  # Excel's no-break space
        ("1\u202f299,00 €", "1\u202f000", ";"),  # newer Excel's narrow no-break space
        ("1 299.00€", "1 000", ","),
    ],
)
def test_a_price_written_as_a_european_spreadsheet_writes_it_is_read(
    tmp_path: Path, price: str, stock: str, separator: str
) -> None:
    csv = tmp_path / "products.csv"
    csv.write_text(
        f"sku{separator}title{separator}price{separator}stock\n"
        f'MUG{separator}Travel mug{separator}"{price}"{separator}"{stock}"\n',
        encoding="utf-8",
    )
    output = tmp_path / "show.json"
    result = anchordesk("show", "import-csv", csv, "-o", output)
    assert_clean_output(result)
    assert result.returncode == 0, result.stdout + result.stderr
    show = json.loads(output.read_text(encoding="utf-8"))
    assert show["currency"] == "EUR"
    (product,) = show["products"]
    expected_price = Decimal("12.50") if price.startswith("12,50") else Decimal("1299.00")
    assert Decimal(str(product["price"])) == expected_price
    assert product["stock"] == (5 if stock == "5" else 1000)


def test_a_sign_after_the_price_of_another_currency_is_refused_not_dropped(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "products.csv"
    csv.write_text("sku,title,price,stock,currency\nMUG,Travel mug,12.50 €,5,USD\n", "utf-8")
    result = anchordesk("show", "import-csv", csv, "-o", tmp_path / "show.json")
    assert result.returncode == 2
    assert (
        "row 2, column price: '12.50 €' is written with €, which is not a sign of USD"
        in result.stdout
    )
