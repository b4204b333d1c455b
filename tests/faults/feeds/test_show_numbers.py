"""Numbers in show files that used to hang or crash the check: each is refused by its field,
with one line naming the file, the product or segment, the JSON path and the value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchordesk.showfile.files import ShowError, load_show, read_show_file

from ..show_inputs import anchordesk, assert_clean_output, valid_show, with_raw_number, write_show


def test_stock_1e999999999_is_refused_at_once_by_show_check(tmp_path: Path) -> None:
    # 197 bytes that kept `show check` at 100 % CPU and 430 MB for minutes (int() of 10**1e9).
    data = valid_show()
    data["products"][0]["stock"] = "STOCK"
    path = write_show(tmp_path, with_raw_number(data, "STOCK", "1e999999999"))
    result = anchordesk("show", "check", path)  # killed, and failing, at the deadline
    assert result.returncode == 2
    assert_clean_output(result)
    assert result.stdout.splitlines()[0] == (
        f"{path}: error: $.products[0].stock (product MUG, Travel mug): stock 1e999999999 is "
        "out of range: a whole number from 0 to 1,000,000,000"
    )


@pytest.mark.parametrize(
    ("field", "literal", "message"),
    [
        # 4,301 digits: int() refuses to parse it (ValueError traceback before).
        (
            "stock",
            "9" * 4301,
            "stock 9999999999999999999999999999999999999... is out of range: a whole number "
            "from 0 to 1,000,000,000",
        ),
        # 1e5000 became a 5,001-digit int that could not be printed (ValueError traceback).
        ("stock", "1e5000", "stock 1e5000 is out of range: a whole number from 0 to 1,000,000,000"),
        # decimal.Overflow traceback from normalize().
        (
            "price",
            "1e9999999",
            "the price 1e9999999 is out of range: a number from 0 to 1,000,000,000",
        ),
        (
            "price",
            "-1e999999999",
            "the price -1e999999999 is out of range: a number from 0 to 1,000,000,000",
        ),
        (
            "price",
            "1e-999999999",
            "the price 1e-999999999 has too many decimals",
        ),
        ("price", "24.001", "24.001 has more decimals than USD uses (2)"),
    ],
)
def test_absurd_product_numbers_name_product_path_and_value(
    tmp_path: Path, field: str, literal: str, message: str
) -> None:
    data = valid_show()
    data["products"][0][field] = "NUMBER"
    path = write_show(tmp_path, with_raw_number(data, "NUMBER", literal))
    report = read_show_file(path)
    assert report.show is None
    assert [str(p) for p in report.errors] == [
        f"$.products[0].{field} (product MUG, Travel mug): {message}"
    ]
    with pytest.raises(ShowError) as raised:
        load_show(path)  # what `live --show` and the window call
    assert str(raised.value).startswith(f"{path}: $.products[0].{field} (product MUG, ")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("where", "literal", "message"),
    [
        (
            "seconds",
            "1e400",
            "1e400 s is longer than a day",
        ),
        (
            "seconds",
            "9" * 5000,
            "9999999999999999999999999999999999999... s is longer than a day",
        ),
        (
            "deal.stock",
            "-1e400",
            "must be above zero (got -1e400)",
        ),
        ("deal.seconds", "100000", "100000 s is longer than a day"),
        (
            "deal.price",
            '"1e9999999"',
            "the deal price 1e9999999 is out of range: a number from 0 to 1,000,000,000",
        ),
    ],
)
def test_absurd_segment_numbers_name_segment_path_and_value(
    tmp_path: Path, where: str, literal: str, message: str
) -> None:
    data = valid_show()
    segment = data["rundown"][1]
    if where.startswith("deal."):
        segment["deal"][where.removeprefix("deal.")] = "NUMBER"
    else:
        segment[where] = "NUMBER"
    path = write_show(tmp_path, with_raw_number(data, "NUMBER", literal))
    errors = [str(p) for p in read_show_file(path).errors]
    assert errors[0] == f"$.rundown[1].{where} (segment 2, The mug): {message}", errors


def test_quoted_price_strings_are_bounded_too(tmp_path: Path) -> None:
    data = valid_show()
    data["products"][1]["price"] = "9" * 100_000
    report = read_show_file(write_show(tmp_path, data))
    assert [str(p) for p in report.errors] == [
        "$.products[1].price (product KETTLE, Gooseneck kettle): the price "
        "9999999999999999999999999999999999999... is out of range: a number from 0 to "
        "1,000,000,000"
    ]


def test_live_refuses_the_hostile_show_with_one_line(tmp_path: Path) -> None:
    data = valid_show()
    data["products"][0]["stock"] = "STOCK"
    path = write_show(tmp_path, with_raw_number(data, "STOCK", "1e999999999"))
    result = anchordesk("live", "--show", path, "--seconds", "1")
    assert result.returncode == 2
    assert_clean_output(result)
    assert "$.products[0].stock (product MUG, Travel mug): stock 1e999999999 is out of range" in (
        result.stderr + result.stdout
    )


@pytest.mark.parametrize("literal", ["0.00", "24.10", "1000000000", "2.4e1", "24.000000"])
def test_ordinary_prices_written_in_any_way_pass(tmp_path: Path, literal: str) -> None:
    data = valid_show()
    data["products"][0]["price"] = "NUMBER"
    data["rundown"][1].pop("deal")  # a deal must stay below the list price
    path = write_show(tmp_path, with_raw_number(data, "NUMBER", literal))
    assert read_show_file(path).problems == []


@pytest.mark.parametrize(("literal", "say"), [("1_000", "'1_000'"), ("１２", "'１２'")])
def test_a_quoted_price_is_read_by_the_feeds_rule_not_by_decimal(
    tmp_path: Path, literal: str, say: str
) -> None:
    # Decimal() reads "1_000" as a thousand and "１２" as twelve; the feeds already refuse both
    # (round two). A show file and a CSV follow the same rule (core.money.DECIMAL_TEXT).
    data = valid_show()
    data["products"][1]["price"] = literal
    report = read_show_file(write_show(tmp_path, data))
    assert [str(p) for p in report.errors] == [
        f"$.products[1].price (product KETTLE, Gooseneck kettle): not a number: {say}"
    ]


def test_a_lone_surrogate_escape_is_named_not_a_traceback(tmp_path: Path) -> None:
    # "\ud800" is valid JSON but no Unicode text: printing the title raised
    # UnicodeEncodeError (exit 1, a traceback); storing it would have failed the same way.
    data = valid_show()
    data["ticker"] = ["PAIR", "LONE"]
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace('"PAIR"', r'"ok \ud83d\ude00"').replace('"LONE"', r'"x\udc00y"')
    path = write_show(tmp_path, text)
    result = anchordesk("show", "check", path)
    assert result.returncode == 2
    assert_clean_output(result)
    assert result.stdout.splitlines()[0] == (
        f"{path}: error: $.ticker[1]: the text 'x\\udc00y' holds a lone surrogate \\udc00 at "
        "character 1 (a broken \\u escape): it is not Unicode text"
    )
    assert "ticker[0]" not in result.stdout  # a pair (an emoji) is one character: fine
