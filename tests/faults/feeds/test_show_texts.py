"""Texts of a show: bounded in length (a 2 MB title delayed the first frame by 7 s), free of
control characters (the picture cannot show them), never printed raw, and compliance hits
reported together with the errors."""

from __future__ import annotations

import io
from pathlib import Path

from anchordesk.cli.show import run_check
from anchordesk.showfile.files import read_show_file

from ..show_inputs import anchordesk, assert_clean_output, valid_show, write_show


def test_two_megabyte_texts_are_refused_at_load(tmp_path: Path) -> None:
    data = valid_show()
    data["products"][0]["title"] = "A" * 2_000_000
    data["products"][1]["points"] = ["B" * 5_000]
    data["rundown"][0]["script"] = "C" * 2_000_000
    data["ticker"] = ["D" * 1_000]
    report = read_show_file(write_show(tmp_path, data))
    assert report.show is None
    assert [str(p) for p in report.errors] == [
        "$.ticker[0]: the announcement is 1,000 characters long; at most 300",
        "$.products[0].title (product MUG, AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…): the title "
        "is 2,000,000 characters long; at most 200",
        "$.products[1].points[0] (product KETTLE, Gooseneck kettle): the talking point is 5,000 "
        "characters long; at most 200",
        "$.rundown[0].script (segment 1, Opening): the script is 2,000,000 characters long; at "
        "most 20,000",
    ]


def test_a_long_multi_line_script_within_the_limit_is_fine(tmp_path: Path) -> None:
    data = valid_show()
    data["rundown"][1]["script"] = "A line the anchor reads.\r\n\tIndented.\n" * 400
    assert read_show_file(write_show(tmp_path, data)).errors == []


def test_control_characters_in_on_air_texts_are_errors(tmp_path: Path) -> None:
    data = valid_show()
    data["title"] = "Night\x1b]0;owned\x07"
    data["products"][0]["sku"] = "MUG\x00"
    data["rundown"][1]["title"] = "Line\nbreak"
    report = read_show_file(write_show(tmp_path, data))
    assert [str(p) for p in report.errors] == [
        "$.title: the title 'Night\\x1b]0;owned\\x07' holds the control character \\x1b at "
        "character 5: the picture cannot show it",
        "$.products[0].sku (product MUG\\x00, Travel mug): the sku 'MUG\\x00' holds the control "
        "character \\x00 at character 3: the picture cannot show it",
        "$.rundown[1].title (segment 2, Line break): the title 'Line\\nbreak' holds the control "
        "character \\n at character 4: the picture cannot show it",
        "$.rundown[1].sku (segment 2, Line break): unknown sku 'MUG': no product has it",
    ]


def test_show_check_never_prints_escape_sequences(tmp_path: Path) -> None:
    data = valid_show()
    data["title"] = "\x1b]0;pwned\x07\x1b[2J\x00"
    data["products"][0]["points"] = ["ok", "\x9b31m"]
    data["products"][1]["\x1b[2Jcolour"] = "red"  # an unknown field: a warning naming it
    path = write_show(tmp_path, data)
    result = anchordesk("show", "check", path)
    assert result.returncode == 2
    assert_clean_output(result)
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x00" in result.stdout
    assert "unknown field '\\x1b[2Jcolour' (ignored)" in result.stdout

    # A valid show prints its titles in the summary: escaped there too (a bidi mark, which
    # the picture does show, would move the terminal line's neutral characters around).
    data = valid_show()
    data["title"] = "Night \u200f(evil)"
    result = anchordesk("show", "check", write_show(tmp_path, data))
    assert result.returncode == 0, result.stdout
    assert "Night \\u200f(evil)" in result.stdout and "\u200f" not in result.stdout
    # A bidi override turns the title around on air: refused (R24hunt24in2 F2), escaped too.
    data["title"] = "Night \u202eevil"
    result = anchordesk("show", "check", write_show(tmp_path, data))
    assert result.returncode == 2, result.stdout
    assert "'Night \\u202eevil' holds the character \\u202e" in result.stdout
    assert "\u202e" not in result.stdout


def test_show_check_reports_compliance_hits_along_with_errors(tmp_path: Path) -> None:
    data = valid_show()
    data["products"][1]["price"] = -5
    data["rundown"][1]["script"] = "The best mug, guaranteed."
    path = write_show(tmp_path, data)
    result = anchordesk("show", "check", path)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{path}: error: $.products[1].price (product KETTLE, Gooseneck kettle): the price must "
        "not be negative (got -5)",
        f"{path}: warning: $.rundown[1].script: absolute term 'best' at character 4",
        f"{path}: warning: $.rundown[1].script: absolute term 'guaranteed' at character 14",
        f"{path}: 1 error, 0 warnings, 2 compliance hits: the show cannot be used as it is",
    ]


def test_show_check_output_stays_bounded_for_a_script_full_of_hits(tmp_path: Path) -> None:
    data = valid_show()
    data["rundown"][1]["script"] = "best " * 5_000  # 25,000 characters: also too long
    out = io.StringIO()
    assert run_check(write_show(tmp_path, data), out) == 2
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + 200 + 1 + 1  # the error, 200 hits, "… and N more", the total
    assert lines[-2].endswith("warning: … and 4,800 more compliance hits")
    assert lines[-1].endswith(
        "1 error, 0 warnings, 5,000 compliance hits: the show cannot be used as it is"
    )
