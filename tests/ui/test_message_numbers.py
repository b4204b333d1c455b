"""Numbers in messages carry the thousands separator of the language they are read in: "plan
3000 units" was printed by ``show check`` and shown in the window; one formatter
(``core.money.format_number``, Babel/CLDR) writes them, in English for the command line and in
the window's language for the window."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QApplication

from anchordesk.core.money import format_number
from anchordesk.core.words import Count
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.validate import validate_show
from anchordesk.ui import i18n
from anchordesk.ui.words import say

SHOW = Show(
    title="Mugs",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("20"), 2500),),
    rundown=tuple(
        Segment(f"Mug {n}", 600, "MUG", deal=DealPlan(Decimal("15"), 600, 1500)) for n in (1, 2)
    ),
)


@pytest.fixture
def language(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.install(qapp, "en")


def overplanned() -> str:
    (words,) = [p.words for p in validate_show(SHOW) if "plan" in p.words.template]
    return words  # type: ignore[return-value]


def test_the_command_line_writes_counts_with_english_grouping() -> None:
    assert (
        str(overplanned()) == "the deals on MUG plan 3,000 units in all, more than its stock 2,500"
    )
    assert str(Count(1234567)) == "1,234,567" and str(Count(999)) == "999"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "the deals on MUG plan 3,000 units in all, more than its stock 2,500"),
        ("zh_CN", "MUG 的各场秒杀共计划 3,000 件，超过其库存 2,500"),
        ("ja", "MUG のタイムセールは合計 3,000 点の予定で、在庫 2,500 を超えています"),
    ],
)
def test_the_window_writes_them_in_its_language(
    qapp: QApplication, language: None, lang: str, said: str
) -> None:
    i18n.install(qapp, lang)
    assert say(overplanned()) == said


def test_the_grouping_is_the_locales_not_a_hard_coded_comma() -> None:
    assert format_number(3000, "de") == "3.000"
    assert format_number(3000, "fr").replace("\u202f", " ") == "3 000"
    assert format_number(3000, "ja_JP.UTF-8") == "3,000"
