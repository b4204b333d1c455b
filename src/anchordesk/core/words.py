"""A message for a person, kept as its English template and its values until it is shown.

The layers below the window (show rules, show files, CSV imports, the live show's refusals)
say what is wrong without knowing the language it will be read in: the command line, the
remote API and the logs print it in English (``str(words)``), the window translates the
template and fills in the same values (``anchordesk.ui.words.say``). One wording, said once,
where the rule is; the window never re-says a lower layer's words.

Templates are literals inside ``QT_TRANSLATE_NOOP("Context", "...")`` so that Qt's lupdate
extracts them into ``translations/*.ts``; this module defines that name itself, so nothing
here imports Qt. Values are named fields (``{sku}``): a translation may move them but must
keep the same names (a test checks every translation). Values from outside (a SKU, a title,
a path) are never translated; a value that is itself ``Words`` is said in the same language; a
:class:`Count` is written with the language's grouping (``3,000``), an :class:`Amount` as the
language writes money (``¥1,234.50``).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import NamedTuple


class Template(NamedTuple):
    """An English template and the translation context it is looked up in."""

    context: str
    text: str


def QT_TRANSLATE_NOOP(context: str, text: str) -> Template:  # the name lupdate looks for
    """Marks ``text`` for lupdate (the name and its two literal arguments are what it reads)."""
    return Template(context, text)


class Count(int):
    """A count or a limit in a message (units, characters, a stock): ``str()`` writes it with
    English grouping (``3,000``, by ``core.money.format_number``, the one number formatter);
    the window writes it with its language's (``anchordesk.ui.words.say``). Line numbers,
    ids and versions stay plain ``int``."""

    __slots__ = ()

    def __str__(self) -> str:
        from anchordesk.core.money import format_number  # Babel, only when a message is said

        return format_number(int(self))


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """A count and what it counts, in English (the command line's and the log's lines):
    ``"1 unit"``, ``"3,313 units"`` — grouped as :class:`Count`, the noun in the plural
    unless CLDR's English rule says "one". The lines said "oversold by 1 units", "continuing:
    1 orders and 1 comments"; only `anchordesk show` had its own rule."""
    many = plural if plural is not None else noun + "s"
    return f"{Count(number)} {noun if number == 1 else many}"


class Amount(NamedTuple):
    """An amount of money in a message (a price, a list price): ``str()`` writes it as the
    English window does (``$1,234,567.50``, by ``core.money.format_money``, the one money
    formatter); a message said in a language writes it as that language does (``¥1,234,567.50``).
    A refused deal said "deal price 1234567.5 is not below the list price 99999", without
    grouping or currency, where every other surface wrote the same price with both."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return self.written("en")

    def written(self, language: str) -> str:
        from anchordesk.core.money import format_money  # Babel, only when a message is said

        try:
            return format_money(self.amount, self.currency, language)
        except (TypeError, ValueError, ArithmeticError):  # never a message lost to its value
            return str(self.amount)


class Words:
    """An immutable message: a marked template and the values of its fields.

    ``str()`` is the English text (as printed by the command line, the remote API, logs).
    Comparison is by context, template and values.
    """

    __slots__ = ("_params", "context", "template")

    context: str
    template: str
    _params: tuple[tuple[str, object], ...]

    def __init__(self, template: Template, /, **params: object) -> None:
        object.__setattr__(self, "context", template.context)
        object.__setattr__(self, "template", template.text)
        object.__setattr__(self, "_params", tuple(params.items()))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Words is immutable: cannot set {name}")

    @property
    def params(self) -> Mapping[str, object]:
        return dict(self._params)

    def replaced(self, **params: object) -> Words:
        """The same message with some of its values replaced."""
        return Words(Template(self.context, self.template), **{**self.params, **params})

    def __str__(self) -> str:
        return fill(self.template, {name: str(value) for name, value in self._params})

    def __repr__(self) -> str:
        return f"Words({self.template!r}, {dict(self._params)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Made again through __init__: copy's and pickle's default sets the slots one by one,
        # which an immutable Words refuses. A settings file with a problem (a feed URL holding
        # a control character) made the window's Settings end in a traceback at its deep copy
        # of the settings, so the URL it asked to correct there could never be corrected.
        return (_words_again, (self.context, self.template, self._params))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Words):
            return NotImplemented
        return (self.context, self.template, self._params) == (
            other.context,
            other.template,
            other._params,
        )

    def __hash__(self) -> int:
        return hash((self.context, self.template, self._params))


def _words_again(context: str, template: str, params: tuple[tuple[str, object], ...]) -> Words:
    return Words(Template(context, template), **dict(params))


def field_names(template: str) -> set[str]:
    """The named fields of a template (``{sku}`` -> ``{"sku"}``); ValueError when malformed."""
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its fields replaced; a field without a value stays as written.

    Never raises: a message must reach the person even when a template is broken.
    """
    try:
        return template.format_map(_Defaulting(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


class _Defaulting(Mapping[str, str]):
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        return self._values.get(key, "{" + key + "}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)
