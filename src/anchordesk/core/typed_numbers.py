"""The one reading of a number a person types on the command line (``--port``, ``--seconds``,
``--canvas``, ``anchordesk control … index=``): ASCII digits ``0``-``9``, as the docs and
``--help`` write them, and as feeds and show files read theirs.

Python's own readers take more: ``int("１２")`` is 12 (full-width digits, any script's
digits), ``int("1_000")`` is 1000 (a code literal's underscore), ``float("nan")`` and
``float("infinity")`` are numbers, and a regular expression's ``\\d`` matches every script's
digits. So ``--port １２`` listened on port 12 and ``--seconds 1_000`` ran 1000 s, while a
show file or a feed refused the same text."""

from __future__ import annotations

import re

_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
#: Longer than any figure typed here (a port, a bit rate, a year of seconds, a seed); int() of
#: 4,300 digits or more raises ValueError of its own.
MAX_WHOLE_DIGITS = 18


def whole_number(text: str) -> int | None:
    """``text`` (white space around it dropped) as a whole number written with ASCII digits
    and an optional sign, or None (another script's digits, ``_``, a fraction, a word, or more
    than :data:`MAX_WHOLE_DIGITS` digits)."""
    written = text.strip()
    if not _WHOLE.fullmatch(written) or len(written.lstrip("+-")) > MAX_WHOLE_DIGITS:
        return None
    return int(written)


def decimal_number(text: str) -> float | None:
    """``text`` as a number written with ASCII digits (an optional sign, point and exponent:
    ``2``, ``0.5``, ``1e3``), or None (``nan``, ``inf``, ``1_000``, ``１２``)."""
    written = text.strip()
    return float(written) if _DECIMAL.fullmatch(written) else None


def digits_of_another_kind(text: str) -> bool:
    """Whether ``text`` holds digits that are no ASCII ones, or an underscore between digits:
    the words refusing it say to write it with 0-9."""
    return "_" in text or any(not c.isascii() and c.isdigit() for c in text)
