"""Round twenty of issue 10, inputs: show files, CSV, feeds, report (hunt20in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchordesk.showfile.csv_import import parse_products_csv
from anchordesk.showfile.files import read_show_file
from anchordesk.showfile.samples import sample_show_path


def _sample(tmp_path: Path, where: str, literal: str) -> Path:
    sample = sample_show_path("en")
    assert sample is not None
    data = json.loads(sample.read_text(encoding="utf-8"))
    segment = next(s for s in data["rundown"] if s.get("deal"))
    holder = {
        "stock": data["products"][0],
        "seconds": data["rundown"][0],
        "deal.seconds": segment["deal"],
        "deal.stock": segment["deal"],
    }[where]
    holder[where.rsplit(".", 1)[-1]] = "__NUMBER__"
    path = tmp_path / "show.json"
    path.write_text(
        json.dumps(data)
        .replace('"__NUMBER__"', literal)
        .replace('"images/', f'"{sample.parent}/images/')
        .replace('"logo.png"', f'"{sample.parent}/logo.png"'),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("where", "literal", "message"),
    [
        ("stock", "1e40", "stock 1e40 is out of range: a whole number from 0 to 1,000,000,000"),
        ("stock", "1E+41", "stock 1E+41 is out of range: a whole number from 0 to 1,000,000,000"),
        ("stock", "-1e40", "stock must not be negative (got -1e40)"),
        ("seconds", "1e40", "1e40 s is longer than a day"),
        ("seconds", "1E+41", "1E+41 s is longer than a day"),
        ("seconds", "0e999999", "must be above zero (got 0e999999)"),
        ("deal.seconds", "1e40", "1e40 s is longer than a day"),
        (
            "deal.stock",
            "1e40",
            "deal stock 1e40 is out of range: a whole number from 1 to 1,000,000,000",
        ),
        (
            "deal.stock",
            "1E+41",
            "deal stock 1E+41 is out of range: a whole number from 1 to 1,000,000,000",
        ),
        ("deal.stock", "-1E+41", "must be above zero (got -1E+41)"),
    ],
)
def test_a_whole_number_out_of_range_is_said_one_way_and_as_written(
    tmp_path: Path, where: str, literal: str, message: str
) -> None:
    # Before: a file's stock, seconds or deal stock of 1e40 was quoted by its 41 digits (cut:
    # "10000000000000000000000000000000000000..."), its 1E+41 in the reader's own words ("a
    # whole number from 1 to 86,400" for seconds, "stock" for a deal's stock).
    report = read_show_file(_sample(tmp_path, where, literal))
    assert [problem.message for problem in report.errors] == [message]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1e40", "stock 1e40 is out of range: a whole number from 0 to 1,000,000,000"),
        ("1E+41", "stock 1E+41 is out of range: a whole number from 0 to 1,000,000,000"),
        ("-1e40", "stock must not be negative (got -1e40)"),
        ("NaN", "not a whole number: 'NaN'"),
    ],
)
def test_a_csv_stock_out_of_range_is_said_in_a_show_files_words_as_written(
    cell: str, message: str
) -> None:
    # Before: 1e40 was quoted by its digits, 1E+41 in the CSV's own words ("… is out of range:
    # stock is a whole number from …"), NaN "out of range" rather than no number.
    imported = parse_products_csv(f"sku,title,price,stock\nMUG,Mug,24,{cell}\n")
    assert [(p.path, p.message) for p in imported.errors] == [("row 2, column stock", message)]
