"""Prices as the audience reads them: exact Decimal amounts with the currency's own symbol.

Prices are never floats here: 199.9 must print as 199.90, not 199.89999. Whole amounts drop
their minor units (¥129, not ¥129.00), as live-commerce cards do; others keep all of them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from anchordesk.media.overlays.fonts import normalise_language

# ISO 4217 minor units for the currencies that need other than two.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "IDR": 0, "CLP": 0, "TWD": 2}

# (symbol in its home language, symbol elsewhere, home language). Two currencies share ¥: a
# Chinese show says ¥ for yuan, a Japanese show ¥ for yen, and the other side is spelt out.
_SYMBOLS: dict[str, tuple[str, str, str]] = {
    "CNY": ("¥", "CN¥", "zh_CN"),
    "JPY": ("¥", "JP¥", "ja"),
    "USD": ("$", "US$", "en"),
    "EUR": ("€", "€", ""),
    "GBP": ("£", "£", ""),
    "KRW": ("₩", "₩", ""),
    "HKD": ("HK$", "HK$", ""),
    "TWD": ("NT$", "NT$", ""),
    "SGD": ("S$", "S$", ""),
    "AUD": ("A$", "A$", ""),
    "CAD": ("CA$", "CA$", ""),
}


def currency_symbol(currency: str, language: str) -> str:
    code = currency.upper()
    entry = _SYMBOLS.get(code)
    if entry is None:
        return f"{code} "
    home_symbol, foreign_symbol, home_language = entry
    language = normalise_language(language)
    if home_language == "" or language == home_language:
        return home_symbol
    # Yen in an English show is still written ¥; yuan in a Japanese show is 元-less CN¥.
    if code == "JPY" and language == "en":
        return home_symbol
    if code == "USD" and language != "en":
        return home_symbol
    return foreign_symbol


def format_price(amount: Decimal, currency: str, language: str) -> str:
    """``Decimal("199.9"), "CNY", "zh_CN"`` -> ``¥199.90``; thousands grouped with commas."""
    minor = _MINOR_UNITS.get(currency.upper(), 2)
    quantum = Decimal(1).scaleb(-minor)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        digits = f"{rounded.to_integral_value():,f}"
    else:
        digits = f"{rounded:,.{minor}f}"
    sign = "-" if rounded < 0 else ""
    return f"{sign}{currency_symbol(currency, language)}{digits.lstrip('-')}"
