"""Round five's wording leftovers: what was said was true but sent people looking. A show check
of a product CSV, a format version too large to read, an empty feed answer and a session file
copied without its write-ahead log each say now what they are."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ..feeds.test_round_02_inputs import RawServer, poll_once


def check(path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk", "show", "check", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    return result.stdout + result.stderr


def test_a_product_csv_given_to_show_check_points_to_import_csv(tmp_path: Path) -> None:
    # Before: "invalid JSON: Expecting value", and nothing on what to do with a spreadsheet.
    english = tmp_path / "products.csv"
    english.write_text("sku,title,price,stock\nMUG,Mug,9.90,10\n")
    assert "make a show of it with anchordesk show import-csv" in check(english)
    chinese = tmp_path / "商品.txt"  # the name does not matter: the header does
    chinese.write_text("货号\t商品名称\t价格\t库存\nA\t杯子\t9.90\t10\n")
    assert "show import-csv" in check(chinese)
    prose = tmp_path / "notes.json"
    prose.write_text("price, stock and the rest\n")
    assert "import-csv" not in check(prose)


@pytest.mark.parametrize("written", ["1e400", "NaN", "1" * 30])
def test_a_format_version_too_large_to_read_is_quoted_as_written(
    tmp_path: Path, written: str
) -> None:
    # Before: "unknown format version a number".
    show = tmp_path / "show.json"
    show.write_text(f'{{"format": {written}, "title": "x"}}')
    assert f"unknown format version {written}: this program reads format 1" in check(show)


@pytest.mark.parametrize("status", ["204 No Content", "200 OK"])
def test_an_empty_feed_answer_is_called_empty_not_not_json(status: str) -> None:
    server = RawServer(f"HTTP/1.1 {status}\nContent-Type: application/json\n", b"")
    _delay, sink, error = poll_once(server)
    code = status.split()[0]
    assert error == (
        f"malformed response: an empty answer (HTTP {code}) where a page of JSON was expected"
    )
    assert not sink.items


def test_a_session_copied_without_its_log_names_the_file_it_needs(tmp_path: Path) -> None:
    # A running show's file copied alone: its events are all in show.sqlite-wal.
    copied = tmp_path / "show.sqlite"
    sqlite3.connect(copied).close()
    copied.write_bytes(copied.read_bytes() or b"")
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk", "report", str(copied)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "it needs show.sqlite-wal beside it" in result.stderr
    assert result.stderr.count("\n") == 1
