"""Round four, show files (issue 10: "a new round of the same kinds of input finds nothing
new").

Found: a title made only of characters that show as nothing — zero-width spaces, a bidi mark,
with or without no-break/em spaces — passed `show check` as a title: the product's card went on
air empty. U+3000 and other white space were already refused; now both are one rule.
Found: a deal price of minus zero was shown as "-$0.00" (see its test).
Held (kept as evidence): 20 segments all on one product with overlapping deals, emoji titles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchordesk.control.commands import parse_command
from anchordesk.showfile.files import read_show_file

from ..show_inputs import anchordesk, assert_clean_output, valid_show, write_show


@pytest.mark.parametrize(
    "title", ["\u200b\u200b", "\u00a0\u2003\u200b", "\u200e", "\ufeff\u3000", "\u3000\u3000"]
)
def test_a_title_that_shows_as_nothing_is_no_title(tmp_path: Path, title: str) -> None:
    data = valid_show()
    data["title"] = title
    data["products"][0]["title"] = title
    data["rundown"][0]["title"] = title
    report = read_show_file(write_show(tmp_path, data))
    messages = [str(problem) for problem in report.errors]
    assert report.show is None
    assert any(m.startswith("$.title") and "the show needs a title" in m for m in messages)
    assert any(m.startswith("$.products[0].title") and "needs a title" in m for m in messages)
    assert any(m.startswith("$.rundown[0].title") and "needs a title" in m for m in messages)


@pytest.mark.parametrize("title", ["😀🎉🔥", "👩\u200d👩\u200d👧", "ア"])
def test_emoji_and_joined_emoji_are_titles(tmp_path: Path, title: str) -> None:
    data = valid_show()
    data["products"][0]["title"] = title
    assert read_show_file(write_show(tmp_path, data)).show is not None


def test_twenty_segments_on_one_product_with_overlapping_deals_are_checked(tmp_path: Path) -> None:
    data = valid_show()
    data["rundown"] = [
        {
            "title": f"Mug {index}",
            "sku": "MUG",
            "seconds": 30,
            "deal": {"price": 10 + index / 2, "seconds": 600, "stock": 150},
        }
        for index in range(20)
    ]
    result = anchordesk("show", "check", write_show(tmp_path, data))
    assert_clean_output(result)
    assert result.returncode == 0
    # One line for the product, with all its deals' units, at the deal that first goes past
    # its stock (the second: 300 > 200). Round eight (R8in N1): one line per deal, so 150,000
    # deals on one SKU printed 150,000 warnings.
    planned = [line for line in result.stdout.splitlines() if "plan " in line]
    assert len(planned) == 1, planned
    assert "show.json: warning: $.rundown[1].deal.stock (segment 2, Mug 1)" in planned[0]
    assert "the deals on MUG plan 3,000 units in all, more than its stock 200" in planned[0]
    assert "outlasts its segment" in result.stdout


@pytest.mark.parametrize("price", ["-0.0", "-0.00e3"])
def test_a_deal_price_of_minus_zero_is_the_zero_not_minus_zero(tmp_path: Path, price: str) -> None:
    """Found: a deal price `-0.0` (a show file) or `"-0"` (the remote) passed — not negative —
    and was shown as "deal -$0.00" by `show check`, "-0.00" in the remote's state and
    "-¥0.00" by the one money formatter (the picture's card)."""
    data = valid_show()
    text = json.dumps(data).replace('"price": 19.0', f'"price": {price}')
    result = anchordesk("show", "check", write_show(tmp_path, text))
    assert_clean_output(result)
    assert "deal $0.00 for 02:00" in result.stdout and "-$" not in result.stdout


@pytest.mark.parametrize("price", ["-0", "-0.00", -0.0])
def test_a_remote_deal_price_of_minus_zero_is_the_zero(price: object) -> None:
    _, arguments = parse_command({"command": "start_deal", "sku": "MUG", "price": price})
    assert arguments["price"] == 0 and not arguments["price"].is_signed()
