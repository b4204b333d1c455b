"""Prices on the picture: exact amounts, the currency's own symbol in the show's language."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anchordesk.media.overlays.card import _price_text
from anchordesk.media.overlays.labels import labels_for

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("199", "CNY", "zh_CN", "¥199"),
        ("199.9", "CNY", "zh_CN", "¥199.90"),
        ("129.00", "CNY", "en", "CN¥129"),
        ("12800", "JPY", "ja", "￥12,800"),
        ("12800", "JPY", "zh_CN", "JP¥12,800"),
        ("29.99", "USD", "en", "$29.99"),
        ("29.99", "USD", "zh_CN", "US$29.99"),
        ("1234567.5", "USD", "en", "$1,234,567.50"),
        ("0.10", "EUR", "en", "€0.10"),
        ("12.345", "KWD", "en", f"KWD{NBSP}12.345"),  # three digits, never rounded to 12.35
        ("0.005", "USD", "en", "$0.005"),  # a price the shop does not charge is not hidden
        ("5", "CHF", "en", f"CHF{NBSP}5"),  # no symbol of its own: the ISO code
    ],
)
def test_prices_read_as_the_audience_expects(
    amount: str, currency: str, language: str, expected: str
) -> None:
    assert _price_text(Decimal(amount), currency, language) == expected


def test_a_float_price_never_sneaks_in() -> None:
    # 0.1 + 0.2 as Decimals is exactly 0.3; the card must not show 0.30000000000000004.
    assert _price_text(Decimal("0.1") + Decimal("0.2"), "USD", "en") == "$0.30"


@pytest.mark.parametrize(
    ("language", "left", "sold_out"),
    [("zh_CN", "仅剩 5 件", "已售罄"), ("ja", "残り5点", "完売"), ("en", "5 left", "SOLD OUT"),
     ("ja_JP", "残り5点", "完売"), ("fr", "5 left", "SOLD OUT")],
)  # fmt: skip
def test_labels_are_in_the_show_language(language: str, left: str, sold_out: str) -> None:
    labels = labels_for(language)
    assert labels.left(5) == left
    assert labels.sold_out == sold_out


@pytest.mark.parametrize(
    ("language", "left"),
    [("en", "2,500,000 left"), ("zh_CN", "仅剩 2,500,000 件"), ("ja", "残り2,500,000点")],
)
def test_the_card_groups_its_stock_as_the_window_and_the_report_do(
    language: str, left: str
) -> None:
    """Before: the card on the picture read "2500000 left" beside the window's, the board's
    and the report's 2,500,000 (R28hunt28ui's note)."""
    assert labels_for(language).left(2_500_000) == left
