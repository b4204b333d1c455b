"""The one money formatter: what a viewer, an operator and a report reader see, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anchordesk.core.money import amount_text, currency_digits, format_money

NBSP = "\u00a0"  # CLDR puts a no-break space between a letter symbol (KWD, 元) and the digits

# (currency, amount): each at its own number of digits, above 100,000 to show the grouping.
AMOUNTS = {
    "CNY": "123456.78",
    "USD": "123456.78",
    "JPY": "123456",
    "KWD": "123456.789",
    "EUR": "123456.78",
}

EXPECTED = {
    "en": {
        "CNY": "CN¥123,456.78",
        "USD": "$123,456.78",
        "JPY": "¥123,456",
        "KWD": f"KWD{NBSP}123,456.789",
        "EUR": "€123,456.78",
    },
    "zh_CN": {
        "CNY": "¥123,456.78",
        "USD": "US$123,456.78",
        "JPY": "JP¥123,456",
        "KWD": f"KWD{NBSP}123,456.789",
        "EUR": "€123,456.78",
    },
    "ja": {
        "CNY": f"元{NBSP}123,456.78",
        "USD": "$123,456.78",
        "JPY": "￥123,456",
        "KWD": f"KWD{NBSP}123,456.789",
        "EUR": "€123,456.78",
    },
}


@pytest.mark.parametrize("locale", ["en", "zh_CN", "ja"])
@pytest.mark.parametrize("currency", ["CNY", "USD", "JPY", "KWD", "EUR"])
def test_each_currency_reads_as_each_language_writes_it(locale: str, currency: str) -> None:
    assert format_money(Decimal(AMOUNTS[currency]), currency, locale) == EXPECTED[locale][currency]


@pytest.mark.parametrize(
    ("currency", "digits", "whole"),
    [("CNY", 2, "¥12.00"), ("USD", 2, "US$12.00"), ("JPY", 0, "JP¥12"),
     ("KWD", 3, f"KWD{NBSP}12.000"), ("EUR", 2, "€12.00")],
)  # fmt: skip
def test_a_whole_amount_gets_the_currency_s_own_digits(
    currency: str, digits: int, whole: str
) -> None:
    assert currency_digits(currency) == digits
    assert format_money(Decimal(12), currency, "zh_CN") == whole


def test_a_price_is_never_rounded_to_fit_the_currency() -> None:
    # A KWD price keeps its third digit (the overlay used to show 12.35 to viewers), and a
    # digit beyond the currency's is shown, not rounded away: the show validator reports it.
    assert format_money(Decimal("12.345"), "KWD", "en") == f"KWD{NBSP}12.345"
    assert format_money(Decimal("0.125"), "USD", "en") == "$0.125"
    assert format_money(Decimal("12800.4"), "JPY", "ja") == "￥12,800.4"
    # Zeros beyond the currency's digits are not digits a price has.
    assert format_money(Decimal("19.9000"), "USD", "en") == "$19.90"


def test_exact_decimal_arithmetic_shows_exactly() -> None:
    assert format_money(Decimal("0.1") + Decimal("0.2"), "USD", "en") == "$0.30"


def test_refunds_are_negative_amounts() -> None:
    assert format_money(Decimal("-12.5"), "USD", "en") == "-$12.50"
    assert format_money(Decimal("-1980"), "JPY", "ja") == "-￥1,980"


def test_without_symbol_only_the_number_with_the_currency_s_digits() -> None:
    assert format_money(Decimal("1234.5"), "KWD", "en", symbol=False) == "1,234.500"
    assert format_money(Decimal("1234"), "JPY", "ja", symbol=False) == "1,234"
    assert format_money(Decimal("1234"), "CNY", "zh_CN", symbol=False) == "1,234.00"


def test_a_card_drops_the_zeros_of_a_whole_price_only() -> None:
    assert format_money(Decimal("129.00"), "CNY", "zh_CN", drop_zero_fraction=True) == "¥129"
    assert format_money(Decimal("129.9"), "CNY", "zh_CN", drop_zero_fraction=True) == "¥129.90"
    assert format_money(Decimal("5"), "KWD", "en", drop_zero_fraction=True) == f"KWD{NBSP}5"


@pytest.mark.parametrize("locale", ["zh-CN", "ja_JP", "en_US.UTF-8", "", "C", "system", "xx"])
def test_locale_names_as_they_come_from_settings_and_the_environment(locale: str) -> None:
    expected = {"zh-CN": "¥", "ja_JP": "元"}.get(locale, "CN¥")
    assert format_money(Decimal(1), "CNY", locale).startswith(expected)


def test_an_unknown_currency_shows_its_code() -> None:
    assert format_money(Decimal("5"), "chf", "en") == f"CHF{NBSP}5.00"
    assert format_money(Decimal("5"), "", "en") == "5.00"


@pytest.mark.parametrize("amount", [0.1, 1.5, True, "12.00", None])
def test_only_exact_amounts_come_in(amount: object) -> None:
    with pytest.raises(TypeError):
        format_money(amount, "USD")  # type: ignore[arg-type]


def test_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError):
        format_money(Decimal("NaN"), "USD")


def test_amount_text_has_the_currencys_digits_and_never_rounds() -> None:
    assert amount_text(Decimal("129.0"), "CNY") == "129.00"
    assert amount_text(Decimal("129"), "USD") == "129.00"
    assert amount_text(Decimal("1280"), "JPY") == "1280"
    assert amount_text(Decimal("12.3"), "KWD") == "12.300"
    assert amount_text(Decimal("1.005"), "USD") == "1.005"  # kept, not rounded away
