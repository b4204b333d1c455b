"""Saying a message in a language without a window: what the remote control does for each
phone's page, from the window's own catalogues (never a second translation)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from anchordesk.core.languages import from_accept_language, say
from anchordesk.core.words import QT_TRANSLATE_NOOP, Count, Words

NO_DEAL = Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal on {sku}"), sku="MUG-350")


def test_a_refusal_is_said_in_chinese_japanese_and_english_without_an_application() -> None:
    """No QCoreApplication, no GUI module: ``anchordesk live --control`` can say it."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from anchordesk.core.languages import say\n"
        "from anchordesk.core.words import QT_TRANSLATE_NOOP, Words\n"
        "words = Words(QT_TRANSLATE_NOOP('LiveShow', 'no live deal on {sku}'), sku='MUG-350')\n"
        "for language in ('zh_CN', 'ja', 'en', 'fr'):\n"
        "    print(say(words, language))\n"
        "assert QCoreApplication.instance() is None\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6.QtGui', "
        "'PySide6.QtWidgets'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == [
        "MUG-350 没有进行中的秒杀",
        "MUG-350 に実施中のタイムセールはありません",
        "no live deal on MUG-350",
        "no live deal on MUG-350",
        "[]",
    ]


def test_values_from_outside_stay_as_written_and_inner_words_are_said_too() -> None:
    title = "{sku} <b>no live deal on</b>"  # looks like a template and like HTML: it is text
    words = Words(
        QT_TRANSLATE_NOOP("LiveShow", "{refusal}."),
        refusal=Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal on {sku}"), sku=title),
    )
    assert say(words, "zh_CN") == f"{title} 没有进行中的秒杀。"
    assert say(words, "en") == f"no live deal on {title}."


def test_counts_are_grouped_as_the_language_writes_them() -> None:
    words = Words(QT_TRANSLATE_NOOP("LiveShow", "{refusal}."), refusal=Count(3000))
    assert say(words, "ja") == "3,000。"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN", "zh_CN"),
        ("zh-TW,zh;q=0.9", "zh_CN"),  # the one Chinese catalogue
        ("ja", "ja"),
        ("ja-JP,ja;q=0.9,en-US;q=0.8", "ja"),
        ("en-GB", "en"),
        ("fr-FR,fr;q=0.9", "en"),  # any other language: English
        ("fr-FR, ja;q=0.5, en;q=0.4", "ja"),  # the best of the three asked for
        ("en;q=0.5, zh;q=0.8", "zh_CN"),  # by weight, not by place
        ("zh;q=0, ja", "ja"),  # q=0 means "not this one"
        ("jam, zhx", "en"),  # other languages that only begin alike
        ("", "en"),
        (None, "en"),
        ("*", "en"),
        ("zh;q=nan, ja;q=abc", "en"),  # malformed weights are ignored, never an error
        (";;,,=", "en"),
    ],
)
def test_the_language_asked_for_over_http(header: str | None, language: str) -> None:
    assert from_accept_language(header) == language
