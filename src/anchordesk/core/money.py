"""The one money (and number) formatter of the program: CLDR rules (through Babel) for every
price shown, and for the counts in messages (:func:`format_number`).

The card in the picture, the docks, the show summary and the reports all call
:func:`format_money`, so a price reads the same everywhere and per the locale's own conventions:
the currency's symbol as that language writes it (a Chinese show writes yuan as ``¥`` and yen
as ``JP¥``; a Japanese one writes yen as ``￥`` and yuan as ``元``), the currency's own number of
digits (JPY none, KWD three, CNY/USD/EUR two) and the locale's grouping.

Two rules on top of CLDR's:

- an amount is never rounded to fit the currency: a KWD price of 12.345 shows all three digits,
  and a USD amount of 0.125 (a data error the show validator reports) shows as ``$0.125``
  rather than a price the shop does not charge;
- only exact amounts come in: ``Decimal`` (or ``int``), never a ``float``, which cannot hold
  0.10 and would turn a price into 0.1000000000000000055.

It formats one amount in one currency; adding amounts up (never across currencies) is the
ledger's job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Context, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_currency_symbol,
    is_currency,
)

DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""An amount written as text: JSON's number syntax, ASCII digits. ``Decimal()`` alone also
takes "1_000", full-width "１２" and "Infinity", none of which a price list or a feed means as
a number (one rule for show files, CSVs, the editor and the feeds)."""


class WrittenAmount(Decimal):
    """An amount that keeps the text it was read from (``text``), so that a problem with it
    quotes what its sender wrote (``1e309``, ``0.000…1``), not Decimal's spelling of it
    (``1E+309``, ``1E-101``). It is the Decimal in every other way; arithmetic on it gives a
    plain Decimal."""

    text: str

    def __new__(cls, text: str) -> WrittenAmount:
        amount = super().__new__(cls, text.strip())
        amount.text = text
        return amount


DEFAULT_LOCALE = "en"

# CLDR's currencySpacing (the same in every locale we ship): a symbol that ends (or starts)
# with a letter, such as "KWD" or "元", gets a no-break space before the digits. Babel does not
# apply it ("KWD12.000"); ICU and the platforms' own apps do ("KWD 12.000").
_CURRENCY_SPACE = "\u00a0"


@lru_cache(maxsize=256)
def currency_digits(currency: str) -> int:
    """Digits after the decimal point in this currency's prices: JPY 0, CNY 2, KWD 3 (CLDR).

    Kept per currency: every line of every order asks (the amount rule, the ledger), and
    Babel's lookup each time was a second of the loop for a page of 100,000 lines."""
    return int(get_currency_precision(_code(currency)))


@lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    """A Babel locale for a language as the program names it ("zh_CN", "ja", "ja-JP", "en").

    Anything Babel does not know (empty, "system", "C", "xx") formats as English.
    """
    name = (language or "").strip().replace("-", "_").split(".")[0]
    if not name or name.upper() in ("C", "POSIX"):
        name = DEFAULT_LOCALE
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


#: ISO 4217 codes that name no money a shop sells in: "no currency" (XXX), the testing code
#: (XTS), precious metals by the troy ounce, bond-market and fund units. CLDR lists them, so
#: a feed's order in "XXX" was counted as GMV in a currency of its own.
NOT_MONEY = frozenset(
    {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA"}
)


def is_known_currency(code: str) -> bool:
    """An ISO 4217 code CLDR knows ("CNY", "USD") that is money; not "BTC", nor a made-up
    three letters, nor ISO's codes for no currency, tests, metals and units (:data:`NOT_MONEY`).
    The CFA and CFP francs and the East Caribbean dollar (XAF, XOF, XPF, XCD) are money."""
    return code not in NOT_MONEY and is_currency(code)


def is_known_language(language: str) -> bool:
    """A language Babel has data for (money and dates in its words), as the program names it."""
    name = (language or "").strip().replace("-", "_").split(".")[0]
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def format_money(
    amount: Decimal | int,
    currency: str,
    locale: str = DEFAULT_LOCALE,
    *,
    symbol: bool = True,
    drop_zero_fraction: bool = False,
) -> str:
    """``Decimal("1234.5"), "CNY", "zh_CN"`` -> ``"¥1,234.50"``.

    ``symbol`` False gives the number alone, with the currency's digits (for a column whose
    header names the currency). ``drop_zero_fraction`` writes a whole amount without its zeros
    (``¥129`` rather than ``¥129.00``), as a product card in the picture does; an amount with
    cents keeps all its digits (``¥129.90``).
    """
    exact = _exact(amount)
    code = _code(currency)
    where = babel_locale(locale)
    pattern = where.currency_formats["standard"].pattern.split(";")[0]
    if not symbol or not code:
        # The same pattern without its symbol: "#,##0.00" in all three languages.
        pattern = pattern.replace("\u00a4", "").strip(" \u00a0")
    whole = drop_zero_fraction and exact == exact.to_integral_value()
    if whole:
        pattern = re.sub(r"\.[0#]+", "", pattern)
        exact = exact.quantize(Decimal(1))
    text = format_currency(
        exact,
        code or "XXX",
        format=pattern,
        locale=where,
        # The currency's own digits, padded (12 -> 12.000 KWD), but a digit the amount has
        # beyond them is kept (decimal_quantization False), never rounded away.
        currency_digits=not whole and bool(code),
        decimal_quantization=False,
    )
    if symbol and code:
        text = _space_symbol(text, get_currency_symbol(code, where))
    return text


def amount_text(amount: Decimal | int, currency: str) -> str:
    """An amount as machine-readable decimal text with the currency's digits: ``"129.00"``,
    JPY ``"1280"``, KWD ``"12.000"`` (for JSON: the remote API, ``report --json``). Like
    :func:`format_money`, a digit beyond the currency's is kept, never rounded away."""
    exact = _exact(amount)
    digits = currency_digits(currency) if _code(currency) else 2
    if exact.as_tuple().exponent == -digits:  # written with the currency's digits already
        return str(exact)  # (plain: Decimal writes an exponent only past six zeros)
    # Wide enough that neither step below rounds a digit of any amount away.
    wide = Context(prec=len(exact.as_tuple().digits) + max(0, exact.adjusted()) + digits + 2)
    # Zeros past the currency's digits are not digits of the amount: a yen price written
    # 3900.0 (a JSON number, a spreadsheet's export) was "3900.0" in the API and the report's
    # JSON, where the contract gives the currency's digits ("3900").
    exponent = exact.normalize(wide).as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= digits:
        return f"{exact.quantize(Decimal(1).scaleb(-digits), context=wide):f}"
    return f"{exact.normalize(wide):f}"  # a digit beyond the currency's, kept (never "5E-10")


def listed_amounts(
    amounts: Iterable[tuple[str, Decimal]], currency: str, *, with_own: bool = True
) -> list[tuple[str, Decimal]]:
    """The amounts a figure in several currencies lists, in the order and the choice every
    surface writes them (the window's panels, the phone, the report's three forms): the show's
    ``currency`` first, then the others by their code, each apart (never added up); another
    currency at zero (its one order wholly refunded) is left out. ``with_own``: the show's
    currency at zero when it has no amount (a total: GMV), not for an average (none there).

    Each surface had its rule: the window's board wrote "CN¥99.50 + €0.00" for a GMV its
    orders panel and the phone wrote "$0.00 + CN¥99.50", and the report's average order put
    "CN¥99.50" before the show's "¥4,480"."""
    own: Decimal | None = None
    others: dict[str, Decimal] = {}
    for code, amount in amounts:
        if code == currency:
            own = amount
        elif amount:
            others[code] = amount
    if own is None and with_own and currency:
        own = Decimal(0)
    head = [(currency, own)] if own is not None else []
    return [*head, *sorted(others.items())]


def format_number(number: int, locale: str = DEFAULT_LOCALE) -> str:
    """A count as the locale writes it, with its grouping (CLDR): ``3000`` -> ``"3,000"`` in
    English, Chinese and Japanese (``"3.000"`` in German). The numbers in messages (a deal's
    planned units, a limit) go through it, as prices go through :func:`format_money`."""
    return format_decimal(number, locale=babel_locale(locale))


def format_rate(value: float, locale: str = DEFAULT_LOCALE) -> str:
    """A rate (orders or comments a minute) as every surface writes it: one decimal at most,
    with the locale's grouping: ``1234.56`` -> ``"1,234.6"``, ``2.0`` -> ``"2"``. The window's
    Orders panel wrote "1234.6" (and "2.0") and the phone "1234.6" beside the board's
    "1,234.6"."""
    return format_decimal(round(value, 1), "#,##0.#", locale=babel_locale(locale))


def format_share(value: float | None, locale: str = DEFAULT_LOCALE) -> str:
    """A fraction (a conversion, a sell-through) as a percentage with one decimal, as the
    locale writes it: ``0.1234`` -> ``"12.3%"``; None (not known) -> ``"—"``."""
    if value is None:
        return "\u2014"
    return format_percent(value, "#,##0.0%", locale=babel_locale(locale))


def format_frame_rate(fps: float) -> str:
    """Frames a second as the window's Stream health, the terminal's line and the phone write
    them: one decimal (``29.97`` -> ``"30.0"``), by Python's rounding of the measured value."""
    return f"{fps:.1f}"


def format_cpu(percent: float) -> str:
    """The program's CPU as every surface writes it: a whole percentage (``34.46`` -> ``"34%"``).
    The phone rounded it itself from the API's ``34.5``: "35%" beside the window's "34%"."""
    return f"{percent:.0f}%"


def _exact(amount: Decimal | int) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}: {amount!r}")
    exact = Decimal(amount)
    if not exact.is_finite():
        raise ValueError(f"not an amount of money: {amount}")
    if exact.is_zero():
        # "-0.00" is the zero (a sign Decimal keeps, no amount has), and so is 0E+999999999:
        # its exponent, which a zero keeps too, made amount_text's precision past any a
        # Decimal may have (ValueError), and a deal started at that price from the remote
        # broke every state after it. The window's Orders listed a "-0" order as "-$0.00".
        exact = Decimal(0)
    return exact


def _code(currency: str) -> str:
    return (currency or "").strip().upper()


def _space_symbol(text: str, mark: str) -> str:
    """Apply CLDR's currencySpacing between a letter-like symbol and the digits."""
    if not mark:
        return text
    at = text.find(mark)
    if at < 0:
        return text
    after = at + len(mark)
    if after < len(text) and text[after].isdigit() and not _is_symbol_or_space(mark[-1]):
        return text[:after] + _CURRENCY_SPACE + text[after:]
    if at > 0 and text[at - 1].isdigit() and not _is_symbol_or_space(mark[0]):
        return text[:at] + _CURRENCY_SPACE + text[at:]
    return text


def _is_symbol_or_space(char: str) -> bool:
    return unicodedata.category(char)[0] in ("S", "Z")
