"""Products from spreadsheet exports: BOM or not, bad rows named by row and column."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.core.paths import resources_dir
from anchordesk.showfile.csv_import import parse_products_csv, read_products_csv


def test_sample_csv_with_and_without_bom(tmp_path: Path) -> None:
    sample = resources_dir() / "shows" / "zh" / "products.csv"
    plain = read_products_csv(sample)
    assert plain.problems == []
    with_bom = tmp_path / "bom.csv"
    shutil.copytree(sample.parent / "images", tmp_path / "images")
    with_bom.write_bytes(b"\xef\xbb\xbf" + sample.read_bytes())
    from_bom = read_products_csv(with_bom)
    assert from_bom.problems == []
    assert from_bom.products[0].sku == "SERUM-30"  # not "\ufeffSERUM-30"
    assert [p.title for p in from_bom.products] == [p.title for p in plain.products]
    imported = read_products_csv(sample, show_dir=tmp_path)
    serum = imported.products[0]
    assert serum.title == "玻尿酸保湿精华液 30ml"
    assert serum.price == Decimal("199.00")
    assert serum.stock == 500
    assert serum.points == ("三重分子玻尿酸，上脸不黏腻", "适合干皮和混干皮", "早晚各用两三滴")
    # Image paths are rewritten relative to the show's folder, still pointing at the same file.
    assert serum.image is not None
    assert (tmp_path / serum.image).resolve() == (sample.parent / "images/serum.png").resolve()


def test_bad_rows_are_named_by_row_and_column() -> None:
    text = (
        "SKU,Title,Price,Stock,Image,Points,Colour\n"
        "A,Alpha,10.50,5,,one|two,red\n"
        "\n"
        "B,,abc,-2,,,\n"
        "A,Again,1,1.5,,,\n"
        ",Nameless,1,1,,,\n"
    )
    imported = parse_products_csv(text)
    assert [str(p) for p in imported.problems] == [
        "row 1, column Colour: unknown column 'Colour' (ignored); the columns are sku, title, "
        "price, stock, image, points, currency",
        "row 4, column title: the product needs a title",
        "row 4, column price: not a number: 'abc'",
        "row 4, column stock: stock must not be negative (got -2)",
        "row 5, column sku: duplicate sku 'A' (also in row 2)",
        "row 5, column stock: not a whole number: '1.5'",
        "row 6, column sku: the sku is empty",
    ]
    assert [p.sku for p in imported.products] == ["A"]
    assert imported.products[0].points == ("one", "two")


def test_missing_columns_and_other_separators() -> None:
    missing = parse_products_csv("sku,title\nA,a\n")
    assert [str(p) for p in missing.errors] == [
        "row 1: the header lacks the columns price, stock (found: sku, title)"
    ]
    semicolons = parse_products_csv('sku;title;price;stock\nA;"a; b";"1,299.00";"1,000"\n')
    assert semicolons.problems == []
    assert semicolons.products[0].title == "a; b"
    assert semicolons.products[0].price == Decimal("1299.00")
    assert semicolons.products[0].stock == 1000
    chinese_headers = parse_products_csv("货号,商品名称,价格,库存\nA,精华,¥99,3\n")
    assert chinese_headers.products[0].price == Decimal("99")


@pytest.mark.parametrize(
    ("separator", "price", "stock", "expected"),
    [
        (";", "12,50", "1.000", (Decimal("12.50"), 1000)),  # Excel in Germany, France, Italy...
        (";", "1.299,00", "5", (Decimal("1299.00"), 5)),
        (";", "1.299", "5", (Decimal("1299"), 5)),  # both ways: the ";" file's decimal comma
        (";", '"1,299.00"', '"1,000"', (Decimal("1299.00"), 1000)),  # one reading only
        (",", '"12,50"', "3", (Decimal("12.50"), 3)),  # one reading only
        (",", '"1,299"', '"1.000"', (Decimal("1299"), 1000)),  # both ways: a "," file's point
        ("\t", "12.5", "7", (Decimal("12.5"), 7)),
    ],
)
def test_prices_and_stock_are_read_in_either_decimal_convention(
    separator: str, price: str, stock: str, expected: tuple[Decimal, int]
) -> None:
    """R8in N5: a ";"-separated export (Excel where the decimal mark is the comma) had its
    "12,50" refused as not a number and its stock "1.000" read as one unit."""
    text = separator.join(["sku", "title", "price", "stock"]) + "\n"
    text += separator.join(["A", "Tasse", price, stock]) + "\n"
    imported = parse_products_csv(text)
    assert imported.problems == []
    [product] = imported.products
    assert (product.price, product.stock) == expected


def test_a_price_that_reads_as_three_decimals_in_its_files_locale_is_refused_not_guessed() -> None:
    imported = parse_products_csv("sku;title;price;stock;currency\nA;Tasse;1,299;5;EUR\n")
    assert [str(problem) for problem in imported.errors] == [
        "row 2, column price: 1.299 has more decimals than EUR uses (2)"
    ]


def test_gb18030_export_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("sku,title,price,stock\nA,精华液,99,3\n".encode("gb18030"))
    imported = read_products_csv(path)
    assert imported.encoding == "gb18030"
    assert imported.products[0].title == "精华液"
    assert not imported.errors and len(imported.problems) == 1


def test_cells_past_the_headers_last_column_are_said_not_dropped_unseen() -> None:
    """R8in N6: a talking point with an unquoted comma ("For tea, coffee") split the row; its
    end was dropped without a word. A trailing separator (an empty cell) is no such loss."""
    text = "sku,title,price,stock,points\nA,Mug,12.50,5,Light|For tea, coffee\nB,Cup,3,4,ok,\n"
    imported = parse_products_csv(text)
    assert [str(problem) for problem in imported.problems] == [
        "row 2: 6 cells, but the header names 5 columns: the cells after the last one are not "
        "read (is a separator inside a cell that is not in quotes?)"
    ]
    assert not imported.errors and len(imported.products) == 2
    many = "sku,title,price,stock\n" + "".join(f"S{n},T,1,1,x\n" for n in range(8))
    said = [str(problem) for problem in parse_products_csv(many).problems]
    assert (
        len(said) == 6 and said[0] == "file: 3 more rows with cells past the header's last column"
    )
