"""Saying a lower layer's message (`anchordesk.core.words.Words`) in the window's language.

The one place the window turns a show problem, a CSV problem or a refused command into text:
the template is translated in its own context, then its values are filled in — values that
are messages themselves are said the same way, counts with the language's grouping, values
from outside (SKUs, titles, paths)
stay exactly as they are. The result is plain text, shown as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from anchordesk.core.money import format_number
from anchordesk.core.words import QT_TRANSLATE_NOOP, Count, Words, field_names, fill
from anchordesk.show.validate import Problem
from anchordesk.ui import i18n


def say(words: Words | str) -> str:
    """``words`` in the installed language (English when no translation is installed)."""
    if isinstance(words, str):
        return words
    values = {name: _value(value) for name, value in words.params.items()}
    return fill(_template(words), values)


def _value(value: object) -> str:
    if isinstance(value, Words):
        return say(value)
    if isinstance(value, Count):  # 3,000 as the window's language groups it
        return format_number(int(value), i18n.current_language())
    return str(value)


def _template(words: Words) -> str:
    """The translated template; the English one when the translation lost or added a field
    (a message with a value missing would mislead more than one in English)."""
    translated = QCoreApplication.translate(words.context, words.template)
    if translated == words.template:
        return translated
    try:
        if field_names(translated) == field_names(words.template):
            return translated
    except ValueError:
        pass
    return words.template


def refusal_text(words: Words | str) -> str:
    """A refused command as one sentence for the status bar, in the window's language: in
    English begun with a capital ("No question to pin yet."), in Chinese and Japanese ended
    with "。" as the window's other messages are.

    Only the template's own first letter is made a capital, never a value from outside
    ("iPhone-15 is sold out…" keeps its SKU as written).
    """
    text = say(words)
    template = _template(words) if isinstance(words, Words) else words
    if text and template[:1].isascii() and template[:1].islower():
        text = text[0].upper() + text[1:]
    if not text or text[-1] in ".!?。！？…":
        return text
    return say(Words(QT_TRANSLATE_NOOP("LiveShow", "{refusal}."), refusal=text))


def say_problem(problem: Problem) -> str:
    """A problem with where it is (``$.products[2].price (product …): …``), translated."""
    return say(problem.located())
