"""Reading and writing show files (JSON, ``"format": 1``; see docs/show-format.md).

Reading never raises on bad content: every problem is collected with its JSON path, so a user
sees them all at once instead of fixing one per run. `load_show` is the strict entry point for
the rest of the program: it returns a valid show or raises `ShowError` carrying the problems.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, cast

from anchordesk.core.errors import UserError
from anchordesk.core.files import write_text_atomically
from anchordesk.core.json_kinds import json_kind
from anchordesk.core.printable import LONE_SURROGATE, escape_controls, masked_cut
from anchordesk.core.unicode_text import decoded, encoding_name
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.model import (
    SHOW_FORMAT_VERSION,
    THEME_LOOKS,
    DealPlan,
    Product,
    Segment,
    Show,
    Theme,
    ThemeLook,
)
from anchordesk.show.validate import (
    DEAL_PRICE,
    MAX_AMOUNT,
    MAX_PRODUCTS,
    MAX_SEGMENTS,
    MAX_STOCK,
    PRICE,
    Problem,
    Severity,
    amount_negative,
    amount_not_finite,
    amount_too_large,
    currency_code,
    errors_of,
    grouped,
    not_one_of,
    product_subject,
    segment_subject,
    shown,
    shown_literal,
    skip_under,
    too_many_products,
    too_many_segments,
    validate_show,
    whole_problem,
)
from anchordesk.showfile.images import (
    A_FOLDER,
    cannot_read,
    image_problems,
    no_such_file,
    not_a_file_of_its_kind,
    not_a_regular_file,
    read_regular_file,
)
from anchordesk.showfile.numbers import (
    MAX_NUMBER_CHARS,
    BadNumber,
    bounded_decimal,
    json_float,
    json_int,
)

MAX_SHOW_FILE_BYTES = 20 * 1024 * 1024
SHOW_FILE = Words(QT_TRANSLATE_NOOP("ShowProblems", "a show file"))


class ShowError(UserError):
    """A show file that cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, path: Path | None, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        self.words = _show_error_words(path, problems)
        # Printed to a terminal by every front end: nothing from the file may act on it.
        super().__init__(escape_controls(str(self.words)))


def _show_error_words(path: Path | None, problems: list[Problem]) -> Words:
    """The one line of a refused show file, in words: "show.json: $.title: the show needs a
    title (and 2 more problems)"."""
    errors = errors_of(problems) or problems
    first: Words = (
        errors[0].located() if errors else Words(QT_TRANSLATE_NOOP("ShowProblems", "unusable show"))
    )
    if len(errors) > 1:
        first = Words(
            QT_TRANSLATE_NOOP("ShowProblems", "{problem} (and {count} more problems)"),
            problem=first,
            count=len(errors) - 1,
        )
    if path is None:
        return first
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{file}: {problem}"), file=str(path), problem=first
    )


@dataclass(frozen=True)
class ShowReport:
    """The outcome of reading a show file: the show when it has no errors, and every problem.

    `read` is the show as far as it could be read even when it has errors (bad fields hold
    defaults): enough to check its texts for compliance, never to run.
    """

    show: Show | None
    problems: list[Problem] = field(default_factory=list)
    read: Show | None = None

    @property
    def errors(self) -> list[Problem]:
        return errors_of(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


# -- reading -----------------------------------------------------------------------------------


class _NonFinite:
    """Python's json accepts NaN and Infinity, which are not JSON; kept to be reported."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Written(Decimal):
    """A JSON number read as a Decimal that keeps the literal the file wrote, for a message to
    quote it as written (``1e40``, not its 41 digits). Arithmetic on it gives plain Decimals."""

    text: str


def _json_float(text: str) -> Decimal | BadNumber:
    number = json_float(text)
    if not isinstance(number, Decimal):
        return number
    written = _Written(number)
    written.text = text
    return written


class _Object(dict[str, Any]):
    """A JSON object that remembers keys written twice (the last one wins in json.loads)."""

    duplicate_keys: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    result.duplicate_keys = []
    for key, value in pairs:
        if key in result:
            result.duplicate_keys.append(key)
        result[key] = value
    return result


def _type_name(value: object) -> Words | str:
    """What a JSON value is, for "expected a text, found a number"."""
    return json_kind(value, also_numbers=(_NonFinite, BadNumber))


def _expected(what: Words, found: object) -> Words:
    """A value of the wrong kind: "expected a text, found a number" (``found``: a kind, or
    the value as written)."""
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "expected {what}, found {found}"), what=what, found=found
    )


A_TEXT = Words(QT_TRANSLATE_NOOP("ShowProblems", "a text"))
A_TEXT_OR_NULL = Words(QT_TRANSLATE_NOOP("ShowProblems", "a text or null"))
A_WHOLE_NUMBER = Words(QT_TRANSLATE_NOOP("ShowProblems", "a whole number"))
A_PRICE = Words(QT_TRANSLATE_NOOP("ShowProblems", "a price (a number)"))
A_LIST_OF_TEXTS = Words(QT_TRANSLATE_NOOP("ShowProblems", "a list of texts"))
A_LIST = Words(QT_TRANSLATE_NOOP("ShowProblems", "a list [...]"))
AN_OBJECT = Words(QT_TRANSLATE_NOOP("ShowProblems", "an object {{...}}"))
A_SKU_OR_NULL = Words(QT_TRANSLATE_NOOP("ShowProblems", "a sku (a text) or null"))


# The top-level fields of a show file, in the order they are written.
SHOW_KEYS = (
    "format",
    "title",
    "currency",
    "language",
    "theme",
    "banned_words",
    "ticker",
    "products",
    "rundown",
)
_THEME_KEYS = ("accent", "logo", "look")
_PRODUCT_KEYS = ("sku", "title", "price", "currency", "stock", "image", "points")
_SEGMENT_KEYS = ("title", "sku", "seconds", "script", "notes", "deal")
_DEAL_KEYS = ("price", "seconds", "stock")

# The first unknown fields are each said on a line of their own, with a "did you mean"; the
# rest in one line (`more_unknown_fields`). Each said: a file of 200,000 of them printed
# 200,000 warnings; each with a hint: difflib took 15 s for 100,000 of them (1.5 MB).
_MOST_HINTS = 20
_UNSAID_FIELDS_NAMED = 3


class _Reader:
    """Walks the parsed JSON, converting it to the model and noting every problem on the way."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.bad_paths: set[str] = set()
        # The product or segment being read, named only for a message (see validate._Checker).
        self.subject: Callable[[], Words | None] = _nobody
        # Unknown fields still given a "did you mean" and a line of their own (see obj).
        self.hints_left = _MOST_HINTS
        # The unknown fields after those: counted, the first few named (see `unsaid_fields`).
        self.unsaid_fields: list[str] = []
        self.unsaid_count = 0
        # Keys written twice likewise: each said once, the first `_MOST_HINTS` on a line of
        # their own, the rest counted (see `more_duplicate_keys`).
        self.duplicates_left = _MOST_HINTS
        self.unsaid_duplicates: list[str] = []
        self.unsaid_duplicate_count = 0

    def error(self, path: str, message: Words) -> None:
        self.problems.append(Problem(path, message, subject=self.subject()))
        self.bad_paths.add(path)

    def warning(self, path: str, message: Words) -> None:
        self.problems.append(Problem(path, message, Severity.WARNING, subject=self.subject()))

    def obj(self, value: object, path: str, known: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, _expected(AN_OBJECT, _type_name(value)))
            return None
        # Once per key (a title written 200,000 times was said 200,000 times, 21 MB of
        # `show check`), and past the first few counted in one line.
        for key in dict.fromkeys(getattr(value, "duplicate_keys", ())):
            if self.duplicates_left <= 0:
                self.unsaid_duplicate_count += 1
                if len(self.unsaid_duplicates) < _UNSAID_FIELDS_NAMED:
                    self.unsaid_duplicates.append(f"{path}.{_key_shown(key)}")
                continue
            self.duplicates_left -= 1
            self.warning(
                f"{path}.{_key_shown(key)}",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems", "{key} is written twice; the last one is used"
                    ),
                    key=shown(key),
                ),
            )
        for key in value:
            if key not in known and self.hints_left <= 0:
                self.unsaid_count += 1
                if len(self.unsaid_fields) < _UNSAID_FIELDS_NAMED:
                    self.unsaid_fields.append(f"{path}.{_key_shown(key)}")
            elif key not in known:
                hint = _closest(key, known)
                self.hints_left -= 1
                self.warning(
                    f"{path}.{_key_shown(key)}",
                    Words(
                        QT_TRANSLATE_NOOP(
                            "ShowProblems", "unknown field {key} (ignored); did you mean {hint}?"
                        ),
                        key=shown(key),
                        hint=repr(hint),
                    )
                    if hint
                    else Words(
                        QT_TRANSLATE_NOOP("ShowProblems", "unknown field {key} (ignored)"),
                        key=shown(key),
                    ),
                )
        return value

    def more_unknown_fields(self) -> list[Problem]:
        """The unknown fields past the first `_MOST_HINTS`, in one line: their count and the
        first few. A file of 200,000 of them printed 200,000 warnings (each field is ignored;
        no show is written so by hand)."""
        if not self.unsaid_count:
            return []
        names = ", ".join(self.unsaid_fields)
        more = ", …" if self.unsaid_count > len(self.unsaid_fields) else ""
        return [
            Problem(
                "$",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems", "{count} more unknown fields (ignored): {names}{more}"
                    ),
                    count=grouped(self.unsaid_count),
                    names=names,
                    more=more,
                ),
                Severity.WARNING,
            )
        ]

    def more_duplicate_keys(self) -> list[Problem]:
        """The keys written twice past the first `_MOST_HINTS`, in one line: their count and
        the first few."""
        if not self.unsaid_duplicate_count:
            return []
        more = ", …" if self.unsaid_duplicate_count > len(self.unsaid_duplicates) else ""
        return [
            Problem(
                "$",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems",
                        "{count} more fields written twice (the last one of each is used): "
                        "{names}{more}",
                    ),
                    count=grouped(self.unsaid_duplicate_count),
                    names=", ".join(self.unsaid_duplicates),
                    more=more,
                ),
                Severity.WARNING,
            )
        ]

    def required(self, data: dict[str, Any], key: str, path: str) -> object:
        if key not in data:
            self.error(
                f"{path}.{key}",
                Words(QT_TRANSLATE_NOOP("ShowProblems", "required field is missing")),
            )
            return _MISSING
        return data[key]

    def text(
        self, data: dict[str, Any], key: str, path: str, *, required: bool, default: str = ""
    ) -> str:
        value = self.required(data, key, path) if required else data.get(key, default)
        if value is _MISSING:
            return default
        if value is None and not required:
            return default
        if not isinstance(value, str):
            self.error(f"{path}.{key}", _expected(A_TEXT, _type_name(value)))
            return default
        return value

    def optional_text(self, data: dict[str, Any], key: str, path: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(f"{path}.{key}", _expected(A_TEXT_OR_NULL, _type_name(value)))
            return None
        return value if value.strip() else None

    def whole(
        self, data: dict[str, Any], key: str, path: str, *, required: bool, field: str | None = None
    ) -> int | None:
        """A whole number; its range said here in `validate.whole_problem`'s words for
        ``field`` (``deal stock``…), quoted as the file writes it (`validate_show` has only the
        int: a file's ``1e40`` was said by its 41 digits, its ``1E+41`` in other words)."""
        field = field or key
        value = self.required(data, key, path) if required else data.get(key)
        if value is _MISSING or (value is None and not required):
            return None
        where = f"{path}.{key}"
        if isinstance(value, _NonFinite) or (
            isinstance(value, BadNumber) and value.reason == "too many decimals"
        ):
            self.error(where, _expected(A_WHOLE_NUMBER, value.text))
            return None
        if isinstance(value, BadNumber) and value.reason == "too long":
            self.error(where, _too_long(key, value))
            return None
        if isinstance(value, BadNumber):
            # Past the bounds of numbers.py: a value further than any range, on its side.
            beyond = -10 * MAX_STOCK if value.text.lstrip().startswith("-") else 10 * MAX_STOCK
            problem = whole_problem(field, beyond, value.text)
            if problem is not None:  # always: no range reaches so far
                self.error(where, problem)
            return None
        written = getattr(value, "text", None)  # a JSON number's literal (`_Written`)
        # Decimals are bounded (numbers.py), so int() of an integral one is small.
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)  # 60.0 is a whole number written with a point
        if isinstance(value, bool) or not isinstance(value, int):
            found = _shown(value) if isinstance(value, str | Decimal) else _type_name(value)
            self.error(where, _expected(A_WHOLE_NUMBER, found))
            return None
        problem = whole_problem(field, value, written)
        if problem is not None:
            self.error(where, problem)
            return None
        return value

    def money(self, data: dict[str, Any], key: str, path: str, what: Words) -> Decimal | None:
        """A price as a Decimal; its range and finiteness said here, quoted as the file writes
        it (`validate_show` has only the Decimal: a file's ``1e40`` was said by its 41 digits),
        in `validate`'s words for every price wherever it is written."""
        value = self.required(data, key, path)
        if value is _MISSING:
            return None
        where = f"{path}.{key}"
        if isinstance(value, bool) or value is None:
            self.error(where, _expected(A_PRICE, _type_name(value)))
            return None
        written = getattr(value, "text", None)  # a JSON number's literal (`_Written`)
        if isinstance(value, str):
            # Spreadsheets and hand-written files sometimes quote prices; accept "199.00".
            written = value.strip()
            amount = bounded_decimal(value)
            if amount is None:
                self.error(where, not_a_number(shown(value)))
                return None
            value = amount
        if isinstance(value, _NonFinite) or (
            isinstance(value, BadNumber) and value.reason == "not finite"
        ):
            self.error(where, amount_not_finite(what, shown_literal(value.text)))
            return None
        if isinstance(value, BadNumber) and value.reason == "too many decimals":
            self.error(
                where,
                Words(
                    QT_TRANSLATE_NOOP("ShowProblems", "the {field} {value} has too many decimals"),
                    field=key,
                    value=shown_literal(value.text),
                ),
            )
            return None
        if isinstance(value, BadNumber) and value.reason == "too long":
            self.error(where, _too_long(key, value))
            return None
        if isinstance(value, BadNumber):
            self.error(where, amount_too_large(what, shown_literal(value.text)))
            return None
        if isinstance(value, int | Decimal):
            amount = Decimal(value)
            literal = shown_literal(written or str(value))
            if amount < 0:
                self.error(where, amount_negative(what, literal))
                return None
            if amount > MAX_AMOUNT:
                self.error(where, amount_too_large(what, literal))
                return None
            return amount
        self.error(where, _expected(A_PRICE, _type_name(value)))
        return None

    def text_list(self, data: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(f"{path}.{key}", _expected(A_LIST_OF_TEXTS, _type_name(value)))
            return ()
        texts: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                texts.append(item)
            else:
                self.error(f"{path}.{key}[{index}]", _expected(A_TEXT, _type_name(item)))
                texts.append("")
        return tuple(texts)

    def items(self, data: dict[str, Any], key: str, path: str) -> list[object]:
        value = self.required(data, key, path)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.error(f"{path}.{key}", _expected(A_LIST, _type_name(value)))
            return []
        return value

    # -- the parts of a show -------------------------------------------------------------------

    def theme(self, value: object, path: str) -> Theme:
        if value is None:
            return Theme()
        data = self.obj(value, path, _THEME_KEYS)
        if data is None:
            return Theme()
        look = self.text(data, "look", path, required=False, default="dark")
        if look not in THEME_LOOKS:
            self.error(f"{path}.look", not_one_of(repr(look), THEME_LOOKS))
            look = "dark"
        return Theme(
            accent=self.text(data, "accent", path, required=False, default=_DEFAULT_ACCENT),
            logo=self.optional_text(data, "logo", path),
            look=cast(ThemeLook, look),
        )

    def product(self, value: object, path: str) -> Product:
        self.subject = _nobody
        data = self.obj(value, path, _PRODUCT_KEYS)
        if data is None:
            return Product(sku="", title="", price=Decimal(0), stock=0)
        self.subject = partial(product_subject, data.get("sku"), data.get("title"))
        price = self.money(data, "price", path, PRICE)
        stock = self.whole(data, "stock", path, required=True)
        return Product(
            sku=self.text(data, "sku", path, required=True),
            title=self.text(data, "title", path, required=True),
            price=price if price is not None else Decimal(0),
            stock=stock if stock is not None else 0,
            image=self.optional_text(data, "image", path),
            points=self.text_list(data, "points", path),
            currency=_currency(self.optional_text(data, "currency", path)),
        )

    def deal(self, value: object, path: str) -> DealPlan | None:
        if value is None:
            return None
        data = self.obj(value, path, _DEAL_KEYS)
        if data is None:
            return None
        price = self.money(data, "price", path, DEAL_PRICE)
        seconds = self.whole(data, "seconds", path, required=True, field="deal seconds")
        return DealPlan(
            price=price if price is not None else Decimal(0),
            seconds=seconds if seconds is not None else 1,
            stock=self.whole(data, "stock", path, required=False, field="deal stock"),
        )

    def segment(self, value: object, path: str, index: int) -> Segment:
        self.subject = _nobody
        data = self.obj(value, path, _SEGMENT_KEYS)
        if data is None:
            return Segment(title="", seconds=1)
        self.subject = partial(segment_subject, index, data.get("title"))
        seconds = self.whole(data, "seconds", path, required=True)
        sku = data.get("sku")
        if sku is not None and not isinstance(sku, str):
            self.error(f"{path}.sku", _expected(A_SKU_OR_NULL, _type_name(sku)))
            sku = None
        return Segment(
            title=self.text(data, "title", path, required=True),
            seconds=seconds if seconds is not None else 1,
            sku=sku if sku else None,
            script=self.text(data, "script", path, required=False),
            notes=self.text(data, "notes", path, required=False),
            deal=self.deal(data.get("deal"), f"{path}.deal"),
        )

    def show(self, value: object, base_dir: Path | None) -> Show | None:
        # "$schema" lets editors such as VS Code complete and check the file.
        data = self.obj(value, "$", (*SHOW_KEYS, "$schema"))
        if data is None:
            return None
        version = self.required(data, "format", "$")
        if version is _MISSING:
            return None
        written = getattr(version, "text", None)  # a JSON number's literal (`_Written`)
        if isinstance(version, Decimal) and version == version.to_integral_value():
            version = int(version)
        if version != SHOW_FORMAT_VERSION or isinstance(version, bool):
            # A number too long or too large to read is still quoted as written ("1e400"), not
            # named by its kind ("unknown format version a number"); so is 0e999 (not "0").
            if isinstance(version, _NonFinite):
                version_shown: str | None = shown_literal(version.text)
            elif written is not None:
                version_shown = shown_literal(written)
            elif isinstance(version, int | str | Decimal | BadNumber):
                version_shown = _shown(version)
            else:
                version_shown = None
            self.error(
                "$.format",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems",
                        "unknown format version {version}: this program reads format {format} "
                        "(a newer AnchorDesk may read it)",
                    ),
                    version=version_shown or _type_name(version),
                    format=SHOW_FORMAT_VERSION,
                )
                # Only a later version: "format 0 (a newer AnchorDesk may read it)" was a lie.
                if isinstance(version, int)
                and not isinstance(version, bool)
                and version > SHOW_FORMAT_VERSION
                else Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems",
                        "unknown format version {version}: this program reads format {format}",
                    ),
                    version=version_shown or _type_name(version),
                    format=SHOW_FORMAT_VERSION,
                ),
            )
            # The rest of a file of another version would only produce misleading problems.
            return None
        too_long = False
        for key, limit, too_many in (
            ("products", MAX_PRODUCTS, too_many_products),
            ("rundown", MAX_SEGMENTS, too_many_segments),
        ):
            items = data.get(key)
            if isinstance(items, list) and len(items) > limit:
                self.error(f"$.{key}", too_many(len(items)))
                too_long = True
        if too_long:
            # Said before a part is read: reading 800,000 segments to refuse them took 11 s
            # and 766 MB, and every one of them would add its own problems to the one said.
            return None
        products = tuple(
            self.product(item, f"$.products[{index}]")
            for index, item in enumerate(self.items(data, "products", "$"))
        )
        rundown = tuple(
            self.segment(item, f"$.rundown[{index}]", index)
            for index, item in enumerate(self.items(data, "rundown", "$"))
        )
        self.subject = _nobody
        return Show(
            format=SHOW_FORMAT_VERSION,
            title=self.text(data, "title", "$", required=True),
            currency=_currency(self.text(data, "currency", "$", required=True)) or "",
            language=self.text(data, "language", "$", required=True),
            theme=self.theme(data.get("theme"), "$.theme"),
            banned_words=self.text_list(data, "banned_words", "$"),
            ticker=self.text_list(data, "ticker", "$"),
            products=products,
            rundown=rundown,
            base_dir=base_dir,
        )


_MISSING: Any = object()


def _nobody() -> Words | None:
    return None


def not_a_number(value: str) -> Words:
    return Words(QT_TRANSLATE_NOOP("ShowProblems", "not a number: {value}"), value=value)


_DEFAULT_ACCENT = Theme().accent


def _shown(value: object) -> str:
    return shown(value)


def _key_shown(key: str) -> str:
    """A field name as a path shows it: a hostile 2 MB key is cut and escaped there too."""
    return shown_literal(key)


def _closest(key: str, known: tuple[str, ...]) -> str | None:
    import difflib

    if len(key) > 40:  # no field name is that long; difflib would index a 2 MB key for nothing
        return None

    matches = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.75)
    return matches[0] if matches else None


def _decode_json(text: str) -> Any:
    """JSON with every number bounded before it is converted (see `numbers.py`)."""
    return json.loads(
        text,
        parse_int=json_int,
        parse_float=_json_float,
        parse_constant=_NonFinite,
        object_pairs_hook=_object_pairs,
    )


def _number_or_literal(text: str) -> int | float | str:
    number = bounded_decimal(text)
    if not isinstance(number, Decimal):
        return text
    if number == number.to_integral_value() and "." not in text and "e" not in text.lower():
        return int(number)
    return float(number)


def decode_show_data(text: str) -> Any:
    """A show's JSON as plain data for an editor (ints, floats, texts): never a huge number.

    A number beyond the bounds of `numbers.py`, or NaN/Infinity, is kept as the text it was
    written as: the editor shows it in its cell, and the reader (`parse_show`) names it.
    Raises `json.JSONDecodeError` for text that is not JSON.
    """
    return json.loads(
        text, parse_int=_number_or_literal, parse_float=_number_or_literal, parse_constant=str
    )


def _looks_like_a_product_csv(text: str) -> bool:
    """A spreadsheet's export given where a show was expected (``show check products.csv``):
    its first line names a SKU column among others, as ``show import-csv`` reads it."""
    from anchordesk.showfile.csv_import import COLUMN_ALIASES

    first = text.lstrip().partition("\n")[0][:4096]
    for separator in (",", "\t", ";"):
        cells = [cell.strip().strip('"').strip().lower() for cell in first.split(separator)]
        if len(cells) >= 2 and any(cell in COLUMN_ALIASES["sku"] for cell in cells):
            return True
    return False


def _currency(text: str | None) -> str | None:
    """A show's or a product's currency by the one reading of a currency (show/validate
    ``currency_code``, as feeds and CSV rows read theirs): ``"usd"`` is USD. It was an error
    in a show file while the same ``"usd"`` in a feed or a CSV row was USD."""
    return None if text is None else currency_code(text)


def parse_show(text: str | bytes, base_dir: Path | None = None) -> ShowReport:
    """Read a show from its JSON text; never raises on bad content.

    Paths inside are resolved against `base_dir` (the show file's folder).
    """
    if isinstance(text, bytes):
        try:
            # UTF-16/32 by its mark too, and a bad byte named where it is (core/unicode_text).
            text = decoded(text)
        except UnicodeDecodeError as error:
            return ShowReport(
                None,
                [
                    Problem(
                        "$",
                        Words(
                            QT_TRANSLATE_NOOP(
                                "ShowProblems",
                                "not {encoding} text: byte {byte} at offset {offset}; save the "
                                "file as UTF-8",
                            ),
                            encoding=encoding_name(error.encoding),
                            byte=f"0x{text[error.start]:02x}",
                            offset=error.start,
                        ),
                    )
                ],
            )
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return ShowReport(
            None, [Problem("$", Words(QT_TRANSLATE_NOOP("ShowProblems", "the file is empty")))]
        )
    try:
        data = _decode_json(text)
    except json.JSONDecodeError as error:
        return ShowReport(
            None,
            [
                Problem(
                    "$",
                    # json's own reason ("Expecting ',' delimiter") has no translation.
                    Words(
                        QT_TRANSLATE_NOOP(
                            "ShowProblems",
                            "invalid JSON: {reason} (this is a product list in CSV: make a "
                            "show of it with anchordesk show import-csv)",
                        ),
                        reason=error.msg,
                    )
                    if _looks_like_a_product_csv(text)
                    else Words(
                        QT_TRANSLATE_NOOP("ShowProblems", "invalid JSON: {reason}"),
                        reason=error.msg,
                    ),
                    line=error.lineno,
                    column=error.colno,
                )
            ],
        )
    except RecursionError:
        return ShowReport(
            None,
            [
                Problem(
                    "$",
                    Words(
                        QT_TRANSLATE_NOOP(
                            "ShowProblems", "invalid show: the JSON is nested too deeply"
                        )
                    ),
                )
            ],
        )
    broken = _lone_surrogates(data)
    if broken:
        return ShowReport(None, broken)
    reader = _Reader()
    show = reader.show(data, base_dir)
    problems = list(reader.problems) + reader.more_unknown_fields() + reader.more_duplicate_keys()
    if show is not None:
        skip = skip_under(reader.bad_paths)
        problems += validate_show(show, skip=skip)
        problems += [p for p in image_problems(show) if not skip(p.path)]
    if errors_of(problems):
        return ShowReport(None, _in_file_order(problems), show)
    return ShowReport(show, _in_file_order(problems), show)


def _lone_surrogates(data: Any) -> list[Problem]:
    """Texts that hold half of a UTF-16 pair: JSON's ``"\\ud800"`` escape decodes to a string
    no file, database, terminal or picture can hold (printing it raised, storing it would).
    A pair (an emoji written as two escapes) is one character by then and passes."""
    problems: list[Problem] = []
    stack: list[tuple[str, Any]] = [("$", data)]
    while stack and len(problems) < 20:
        path, value = stack.pop()
        texts = [value] if isinstance(value, str) else []
        if isinstance(value, dict):
            texts = [key for key in value if isinstance(key, str)]  # a key is text too
            stack.extend(
                (f"{path}.{escape_controls(str(k))}", v) for k, v in reversed(value.items())
            )
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))
        for text in texts:
            found = None if text.isascii() else LONE_SURROGATE.search(text)
            if found is not None:
                problems.append(
                    Problem(
                        path,
                        Words(
                            QT_TRANSLATE_NOOP(
                                "ShowProblems",
                                "the text {text} holds a lone surrogate {surrogate} at character "
                                "{position} (a broken \\u escape): it is not Unicode text",
                            ),
                            text=f"'{escape_controls(masked_cut(text, 40, mark=''))}'",
                            surrogate=escape_controls(found.group()),
                            position=found.start(),
                        ),
                    )
                )
    return problems


def check_show(show: Show) -> list[Problem]:
    """Every problem of a show built in memory (an import, an edit): its rules and its files."""
    return _in_file_order(validate_show(show) + image_problems(show))


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Problems sorted by where they are (products before rundown, [2] before [10])."""
    order = {key: index for index, key in enumerate(SHOW_KEYS)}

    def sort_key(problem: Problem) -> tuple[int, list[int | str]]:
        parts: list[int | str] = []
        for token in problem.path.replace("[", ".[").split(".")[1:]:
            if token.startswith("[") and token.endswith("]") and token[1:-1].isdecimal():
                parts.append(int(token[1:-1]))
            else:
                parts.append(token)
        top = order.get(str(parts[0]), len(order)) if parts else -1
        # Keep the order of discovery inside one field: stable sort, same key.
        return top, [p if isinstance(p, int) else 0 for p in parts[1:2]]

    return sorted(problems, key=sort_key)


def read_show_bytes(path: Path) -> bytes | Words:
    """The bytes of the show file at ``path``, or why they cannot be read, in one line.

    Never waits and never reads past the cap: the show editor read a chosen file whole with
    a blocking read on the window's thread, so a FIFO held the window for good and a 2 GB
    file froze it for 16 s (R13ui F1); the editor and the show's reader share this.
    """
    try:
        size = path.stat().st_size
        if size > MAX_SHOW_FILE_BYTES:
            return Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "the file is {size} MB; a show file is JSON text of at most {limit} MB",
                ),
                size=size // 1_048_576,
                limit=MAX_SHOW_FILE_BYTES // 1_048_576,
            )
        kind = not_a_regular_file(path)
        # A FIFO, /dev/zero: opened without waiting, read no further than the cap.
        raw = read_regular_file(path, MAX_SHOW_FILE_BYTES) if kind is None else None
        if raw is None or len(raw) > MAX_SHOW_FILE_BYTES:
            return not_a_file_of_its_kind(path, kind, SHOW_FILE)
    except FileNotFoundError:
        return no_such_file(path)
    except IsADirectoryError:
        return not_a_file_of_its_kind(path, A_FOLDER, SHOW_FILE)
    except OSError as error:
        return cannot_read(path, error)
    return raw


def read_show_file(path: Path) -> ShowReport:
    """Read and validate a show file; never raises (an unreadable file is a problem too)."""
    raw = read_show_bytes(path)
    if isinstance(raw, Words):
        return ShowReport(None, [Problem("$", raw)])
    return parse_show(raw, base_dir=path.resolve().parent)


def load_show(path: Path) -> Show:
    """A valid show from its file, or `ShowError` (a `UserError`) listing every problem."""
    report = read_show_file(path)
    if report.show is None:
        raise ShowError(path, report.problems)
    return report.show


# -- writing -----------------------------------------------------------------------------------


def _amount_json(amount: Decimal) -> float | str:
    """A price as a JSON number when the number reads back as the same decimal, else a string.

    json cannot write a Decimal; a float's shortest repr ("199.99") reads back as exactly
    Decimal("199.99") with parse_float=Decimal, which is true of every ordinary price.
    """
    as_float = float(amount)
    if Decimal(repr(as_float)) == amount:
        return as_float if amount != amount.to_integral_value() else float(int(amount))
    return format(amount, "f")


def rebased_path(relative: str | None, old_base: Path | None, new_base: Path) -> str | None:
    """A path relative to the old show folder, made relative to the folder it is saved into.

    Worked out from the names alone (the folders are the show files' resolved folders): the
    old folder is not asked. Resolved on its disk, a "Save as" of a show whose network share
    went away, into a good disk, waited on the dead share and was said not to answer."""
    if not relative or old_base is None or Path(relative).is_absolute():
        return relative
    old, new = os.path.abspath(old_base), os.path.abspath(new_base)
    if old == new:
        return relative
    target = os.path.normpath(os.path.join(old, relative))
    try:
        return Path(os.path.relpath(target, new)).as_posix()
    except ValueError:  # another drive on Windows
        return target


def show_to_data(show: Show, base_dir: Path | None = None) -> dict[str, Any]:
    """The show as JSON-ready data, in the file's field order; paths rebased to `base_dir`."""
    target = base_dir or show.base_dir or Path.cwd()

    def path_of(relative: str | None) -> str | None:
        return rebased_path(relative, show.base_dir, target)

    theme: dict[str, Any] = {"accent": show.theme.accent, "logo": path_of(show.theme.logo)}
    if show.theme.look != "dark":
        theme["look"] = show.theme.look
    products: list[dict[str, Any]] = []
    for product in show.products:
        item: dict[str, Any] = {
            "sku": product.sku,
            "title": product.title,
            "price": _amount_json(product.price),
        }
        if product.currency:
            item["currency"] = product.currency
        item["stock"] = product.stock
        item["image"] = path_of(product.image)
        item["points"] = list(product.points)
        products.append(item)
    rundown: list[dict[str, Any]] = []
    for segment in show.rundown:
        entry: dict[str, Any] = {
            "title": segment.title,
            "sku": segment.sku,
            "seconds": segment.seconds,
            "script": segment.script,
        }
        if segment.notes:
            entry["notes"] = segment.notes
        if segment.deal is not None:
            deal: dict[str, Any] = {
                "price": _amount_json(segment.deal.price),
                "seconds": segment.deal.seconds,
            }
            if segment.deal.stock is not None:
                deal["stock"] = segment.deal.stock
            entry["deal"] = deal
        rundown.append(entry)
    return {
        "format": show.format,
        "title": show.title,
        "currency": show.currency,
        "language": show.language,
        "theme": theme,
        "banned_words": list(show.banned_words),
        "ticker": list(show.ticker),
        "products": products,
        "rundown": rundown,
    }


def dump_show_text(show: Show, base_dir: Path | None = None) -> str:
    return json.dumps(show_to_data(show, base_dir), ensure_ascii=False, indent=2) + "\n"


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size < 10 * 1_048_576 else f"{size // 1_048_576} MB"


def write_show_text(path: Path, text: str) -> None:
    """Write a show's JSON atomically, never one larger than a reader accepts: an import of
    200,000 CSV rows wrote a 44 MB show that `show check` and the window then refused.
    Raises OSError (EFBIG) with the sizes in words, as the callers show any failed write."""
    size = len(text.encode("utf-8"))
    if size > MAX_SHOW_FILE_BYTES:
        raise OSError(
            errno.EFBIG,
            f"the show would be {_megabytes(size)} of JSON; a show file is at most "
            f"{_megabytes(MAX_SHOW_FILE_BYTES)} (fewer products, shorter texts)",
        )
    write_text_atomically(path, text)


def dump_show(show: Show, path: Path) -> Show:
    """Write the show to `path` atomically (a crash leaves the old file or the new, never half).

    Image and logo paths are rewritten relative to the new folder when it differs ("save as").
    Returns the show as it now stands on disk (its `base_dir` is the new folder).
    """
    folder = path.resolve().parent
    text = dump_show_text(show, folder)
    write_show_text(path, text)
    # Read back what was written (without validating: the editor saves shows still in the
    # making) so that the caller holds exactly what the file now says.
    written = _Reader().show(_decode_json(text), folder)
    return written if written is not None else show


def _too_long(field: str, value: BadNumber) -> Words:
    """A number of a sane value written with more characters than any number needs: said so,
    not "out of range" (100 written with 40 zeros after the point is in range)."""
    return Words(
        QT_TRANSLATE_NOOP(
            "ShowProblems",
            "the {field} {value} is written with more than {limit} characters: write it shorter",
        ),
        field=field,
        value=shown_literal(value.text),
        limit=MAX_NUMBER_CHARS,
    )
