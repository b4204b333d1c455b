"""What a JSON value is, in words: "expected a text, found a number" (show files) and "an item
must be an object, not a list" (feeds) say the same kinds the same way, so the helper lives in
the lowest layer both may import."""

from __future__ import annotations

from decimal import Decimal

from anchordesk.core.words import QT_TRANSLATE_NOOP, Words

AN_OBJECT = Words(QT_TRANSLATE_NOOP("JsonKinds", "an object"))
A_LIST = Words(QT_TRANSLATE_NOOP("JsonKinds", "a list"))
A_TEXT = Words(QT_TRANSLATE_NOOP("JsonKinds", "a text"))
A_NUMBER = Words(QT_TRANSLATE_NOOP("JsonKinds", "a number"))


def json_kind(value: object, *, also_numbers: tuple[type, ...] = ()) -> Words | str:
    """The kind of a decoded JSON value. ``true``, ``false`` and ``null`` are said as written
    (they are their own kind); ``also_numbers`` are a reader's own stand-ins for number literals
    it kept unconverted (too long, not finite). Anything else is named by its Python type, which
    only a programming slip can reach."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return AN_OBJECT
    if isinstance(value, list):
        return A_LIST
    if isinstance(value, str):
        return A_TEXT
    if isinstance(value, (int, float, Decimal, *also_numbers)):
        return A_NUMBER
    return type(value).__name__
