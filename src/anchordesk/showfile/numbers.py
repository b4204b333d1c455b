"""Numbers read from show files and CSVs, bounded before any arithmetic is done on them.

Python turns ``1e999999999`` into a `Decimal` at once, but the first ``int()`` of it builds a
billion-digit integer (minutes at 100 % CPU, hundreds of MB), a 4,301-digit literal makes
``int()`` raise, and ``Decimal("1e9999999").normalize()`` overflows the decimal context. No
price, stock or duration needs any of that, so every number is refused here — by the length of
its literal and by its exponent — before anything computes with it. The field that holds it
then says what it accepts (see `anchordesk.show.validate` for the ranges of each field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from anchordesk.core.money import DECIMAL_TEXT
from anchordesk.show.validate import shown_literal

MAX_NUMBER_CHARS = 40
"""The longest number literal read: more digits than any price or count has."""

MAX_EXPONENT = 40
"""|exponent| of the decimal value: beyond 10**40 or finer than 10**-40 nothing is a price."""


@dataclass(frozen=True, slots=True)
class BadNumber:
    """A number literal that was not converted: too long, out of range (too large), too many
    decimals (finer than 10**-40, which no price or count is), or not finite."""

    text: str
    reason: str  # "too long", "out of range", "too many decimals", "not finite"

    def __str__(self) -> str:
        return shown_literal(self.text)


def bounded_decimal(text: str) -> Decimal | BadNumber | None:
    """`text` as a bounded Decimal; BadNumber when too long, too large or too fine; None when no
    number."""
    literal = text.strip()
    if len(literal) > MAX_NUMBER_CHARS:
        return _too_long(literal) if _looks_numeric(literal) else None
    if not DECIMAL_TEXT.fullmatch(literal):
        # "NaN" and "Infinity" are numbers to Decimal() but no price: said as not finite.
        if literal.lstrip("+-").lower() in {"nan", "snan", "inf", "infinity"}:
            return BadNumber(literal, "not finite")
        return None
    try:
        number = Decimal(literal)
    except InvalidOperation:
        # An exponent past Decimal's own (``1e999999999999999999999``): None here was "no
        # number", a traceback in `show check` (json_float) and "not a number" in a CSV.
        return _past_decimal(literal)
    if not number.is_finite():
        return BadNumber(literal, "not finite")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if number.is_zero():
        # "-0.0" is the zero (kept signed, a price of it was shown as "-¥0.00"), and so is
        # "0E-999999999" (its exponent kept, a formatted price would be a billion characters).
        return Decimal(0) if abs(exponent) > MAX_EXPONENT else number.copy_abs()
    if number.adjusted() > MAX_EXPONENT:
        return BadNumber(literal, "out of range")
    if exponent < -MAX_EXPONENT:
        # "1e-400" is inside any range; what it has too much of is decimals.
        return BadNumber(literal, "too many decimals")
    return number


_PARTS = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")


def _too_long(literal: str) -> BadNumber:
    """A literal longer than any number should be written, by what is wrong with its value
    when that is also wrong: a number past the range ("1" and 45 zeros) is out of range, one
    finer than 10**-40 has too many decimals; one of a sane value written long ("100." and 40
    zeros) is only too long. All were "out of range: a number from 0 to 1,000,000,000",
    which 100 is. Read from its text (a literal may be megabytes long): no Decimal is made."""
    parts = _PARTS.fullmatch(literal)
    if parts is None or not (parts[1] or parts[2]):
        return BadNumber(literal, "too long")
    whole, fraction, exponent_text = parts[1], parts[2] or "", parts[3] or "0"
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return BadNumber(literal, "too long")  # a zero
    if len(exponent_text.lstrip("+-0")) > 18:  # past any size a number literal has
        return BadNumber(
            literal, "out of range" if exponent_text[0] != "-" else "too many decimals"
        )
    exponent = int(exponent_text) - len(fraction)  # of the last digit written
    adjusted = exponent + len(digits) - 1  # of the first digit that is not 0
    last = exponent + len(digits) - len(digits.rstrip("0"))  # of the last that is not 0
    if adjusted > MAX_EXPONENT:
        return BadNumber(literal, "out of range")
    if last < -MAX_EXPONENT:
        return BadNumber(literal, "too many decimals")
    return BadNumber(literal, "too long")


def _past_decimal(literal: str) -> Decimal | BadNumber:
    """A number literal whose exponent no Decimal holds, by its text: the zero it is, or out of
    range (a positive exponent) or too many decimals (a negative one)."""
    parts = _PARTS.fullmatch(literal)
    if parts is None or not (parts[1] or parts[2]).strip("0."):
        return Decimal(0)
    negative = (parts[3] or "").startswith("-")
    return BadNumber(literal, "too many decimals" if negative else "out of range")


def json_int(text: str) -> int | BadNumber:
    """`parse_int` for json.loads: a long literal never reaches int()."""
    if len(text) > MAX_NUMBER_CHARS:
        return _too_long(text)
    return int(text)


def json_float(text: str) -> Decimal | BadNumber:
    """`parse_float` for json.loads: exact decimals, bounded (see `bounded_decimal`)."""
    number = bounded_decimal(text)
    assert number is not None  # the JSON scanner only passes number literals
    return number


_NUMERIC = re.compile(r"[+-]?[\d.,]*(?:[eE][+-]?\d*)?")


def _looks_numeric(text: str) -> bool:
    return bool(text) and _NUMERIC.fullmatch(text) is not None
