"""The rules a show must follow, checked on the model, each problem named by its JSON path.

The same paths are used whether the problem was found while reading a file (`files.py`) or in
a show being edited in memory, so the editor can put each message next to the field at fault:
``$.products[2].price``, ``$.rundown[4].deal.stock``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from functools import partial

from anchordesk.core.money import (
    WrittenAmount,
    currency_digits,
    is_known_currency,
    is_known_language,
)
from anchordesk.core.printable import escape_controls, masked_cut, shows_as_nothing
from anchordesk.core.words import QT_TRANSLATE_NOOP, Amount, Count, Words
from anchordesk.show.model import (
    SHOW_FORMAT_VERSION,
    THEME_LOOKS,
    Product,
    Segment,
    Show,
)

# The documented limits of a show (docs/show-format.md, "Limits"). Numbers beyond them are
# typos or attacks, and texts beyond them would hold up the first frame while they are laid out.
MAX_AMOUNT = Decimal(1_000_000_000)  # beyond any live-commerce price; catches "1e12" typos
MAX_STOCK = 1_000_000_000
MAX_SEGMENT_SECONDS = 24 * 3600

MAX_SKU_CHARS = 64
MAX_TITLE_CHARS = 200  # the show's, a product's and a segment's title: one line on the picture
MAX_POINT_CHARS = 200  # one talking point (a line of the card)
MAX_POINTS = 20
MAX_TICKER_CHARS = 300
MAX_TICKER_LINES = 100
MAX_SCRIPT_CHARS = 20_000  # teleprompter text: long, but read by a person in one segment
MAX_NOTES_CHARS = 20_000
MAX_BANNED_WORD_CHARS = 100
MAX_BANNED_WORDS = 2_000
MAX_PATH_CHARS = 1_024
# A show is run by people from one sheet: ten thousand products is past any show's catalogue,
# and a CSV of a million short rows (14 MB) took 43 s and 3.1 GB before its show was refused.
MAX_PRODUCTS = 10_000
# A run sheet is read by people; twice the products leaves room for a segment per product (as
# a CSV import makes them) and more. A 20 MB file of 806,581 one-second segments took 11 s to
# check, and a run of it 21 s to stop.
MAX_SEGMENTS = 2 * MAX_PRODUCTS

CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")
COLOUR_PATTERN = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


def is_iso_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 code (CLDR's list, core/money ``is_known_currency``):
    the one rule for a show's, a product's, a CSV row's and a feed's currency. Three capital
    letters alone were taken by the feeds ("RMB", "ABC": counted as their own currency, "GMV
    in RMB") while the docs and the report's reason said "not an ISO 4217 code"."""
    return CURRENCY_PATTERN.fullmatch(code) is not None and is_known_currency(code)


def currency_code(text: str) -> str:
    """A currency as a feed or a shop wrote it, read by the one rule (docs/feed-protocol.md,
    "Amounts"): upper-cased when that makes an ISO 4217 code (``"usd"`` is USD), else as
    written, for the check against :data:`CURRENCY_PATTERN` to reject, quoting it. Upper-cased
    whatever it was, ``"uß"`` became ``"USS"`` and ``"ıls"`` the shekel's ``"ILS"`` (codes
    nobody wrote, counted so), and ``"\\x1b[31m"`` was quoted ``"\\x1b[31M"``. The white
    space around it is not part of it, as around an id, a SKU or an amount: a bridge that padded
    its cells (``" USD "``) had every order rejected as of no currency."""
    written = text.strip()
    code = written.upper()
    return code if written.isascii() and CURRENCY_PATTERN.fullmatch(code) else text


# C0/C1 controls and DEL cannot be drawn on the picture (a font has no glyph for ESC or NUL);
# a multi-line text (script, notes) may hold line breaks and tabs.
#
# The bidi embeddings, overrides and isolates turn the text around on air: segment
# "Wel\u202ecome" went on air as "Welemoc", and a banned word written backwards after one
# (banned "cure", a title "\u202eeruc") went on air as "cure" while the compliance check found
# nothing. The line and paragraph separators break a one-line text (a title, a talking point)
# in two on the picture and in the window. Both are refused, as the controls are; the bidi
# marks (LRM, RLM, ALM) stay: they only move the neutral characters around them.
_REORDERING = "\u202a-\u202e\u2066-\u2069"
_LAYOUT_CHARACTERS = re.compile(f"[{_REORDERING}\u2028\u2029]")
_ONE_LINE_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_REORDERING}]")
_MULTI_LINE_CONTROLS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_REORDERING}]")
_SHOWN_CHARS = 40


class Severity(StrEnum):
    ERROR = "error"  # the show cannot be used as it is
    WARNING = "warning"  # usable, but probably not what the user meant (or a compliance hit)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, where it is and why, in words the window translates (`Words`).

    ``message`` and ``str()`` are the English text the command line prints.
    """

    path: str  # JSON path ("$.products[0].price"), "$" for the whole file
    words: Words
    severity: Severity = Severity.ERROR
    line: int | None = None  # for invalid JSON: where the parser stopped (1-based)
    column: int | None = None
    # What the path belongs to, in words a user finds it by: "product SERUM-30, Hydra Serum".
    subject: Words | None = None
    # Where it is in words, when the path is not a JSON path (a CSV's "row 3, column price").
    where: Words | None = None

    @property
    def message(self) -> str:
        return str(self.words)

    def located(self) -> Words:
        """The problem with where it is: what ``str()`` prints and the window translates."""
        if self.line is not None:
            return Words(
                QT_TRANSLATE_NOOP("ShowProblems", "line {line}, column {column}: {message}"),
                line=self.line,
                column=self.column,
                message=self.words,
            )
        where: Words | str = self.where or self.path
        if self.subject is not None:
            return Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{where} ({subject}): {message}"),
                where=where,
                subject=self.subject,
                message=self.words,
            )
        return Words(
            QT_TRANSLATE_NOOP("ShowProblems", "{where}: {message}"), where=where, message=self.words
        )

    def __str__(self) -> str:
        return str(self.located())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.is_error]


def shown(value: object) -> str:
    """A value as a message quotes it: control characters escaped, one line, at most ~40 chars.

    Texts are quoted (``'abc'``), numbers not; a 2 MB title or a 4,000-digit number is cut.
    ``true``, ``false`` and ``null`` as the file writes them (Python's ``True`` was said).
    """
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return shown_literal(repr(value) if isinstance(value, str) else str(value))


def shown_literal(text: str) -> str:
    """`text` as written in the file (a number literal, a path), escaped and cut, unquoted."""
    return masked_cut(escape_controls(text), _SHOWN_CHARS, mark="...")


def _label(text: str) -> str:
    return masked_cut(escape_controls(" ".join(text.split())), _SHOWN_CHARS)


def product_subject(sku: object, title: object) -> Words:
    """How a message names a product: "product SERUM-30, Hydra Serum 30 ml"."""
    parts = [_label(part) for part in (sku, title) if isinstance(part, str) and part.strip()]
    if len(parts) == 2:
        return Words(
            QT_TRANSLATE_NOOP("ShowProblems", "product {sku}, {title}"),
            sku=parts[0],
            title=parts[1],
        )
    if parts:
        return Words(QT_TRANSLATE_NOOP("ShowProblems", "product {name}"), name=parts[0])
    return Words(QT_TRANSLATE_NOOP("ShowProblems", "product"))


def segment_subject(index: int, title: object) -> Words:
    """How a message names a segment: by its number on the run sheet and its title."""
    if isinstance(title, str) and title.strip():
        return Words(
            QT_TRANSLATE_NOOP("ShowProblems", "segment {number}, {title}"),
            number=index + 1,
            title=_label(title),
        )
    return Words(QT_TRANSLATE_NOOP("ShowProblems", "segment {number}"), number=index + 1)


def grouped(number: int) -> Count:
    """A count or limit as messages write it: 1,000,000,000 (in the reader's language)."""
    return Count(number)


def decimals_of(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int):
        return 0
    if exponent >= 0:
        return 0
    # Trailing zeros do not count (199.00 CNY has no cents); strip them without normalize(),
    # which overflows on exponents beyond the decimal context.
    written = "".join(map(str, amount.as_tuple().digits))
    if not written.strip("0"):
        return 0  # 0.00
    trailing = len(written) - len(written.rstrip("0"))
    return max(0, -exponent - trailing)


def format_amount(amount: Decimal) -> str:
    """An amount as people write it: 199, 199.5, 0.99 (no exponent, no trailing zeros), with
    every digit the file holds: ``normalize()`` rounds to 28 digits, so a price of
    1234567890123456789012345678901 was said as "1234567890123456789012345679000"."""
    if not amount.is_finite() or abs(amount.adjusted()) > 40:
        return shown(str(amount))  # never expand a huge exponent into its digits
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_value(amount: Decimal, currency: str) -> Amount | str:
    """A price a message compares (a deal's with its list price) as a value of the message: an
    :class:`Amount`, written with its currency and grouping in the reader's language, when it is
    a price at all (finite, from 0 to ``MAX_AMOUNT``, in a currency the show can name); else as
    written (:func:`format_amount`), as the problem that says what is wrong with it quotes it."""
    if (
        amount.is_finite()
        and 0 <= amount <= MAX_AMOUNT
        and CURRENCY_PATTERN.fullmatch(currency or "")
    ):
        return Amount(amount, currency)
    return format_amount(amount)


class _Checker:
    def __init__(self, skip: Callable[[str], bool]) -> None:
        self.problems: list[Problem] = []
        self._skip = skip
        # What the next problems belong to; named only when there is a problem (a show of
        # 100,000 products would otherwise spend a second naming products that are fine).
        self.subject: Callable[[], Words | None] = _nothing

    def error(self, path: str, message: Words, *related: str) -> None:
        if not any(self._skip(p) for p in (path, *related)):
            self.problems.append(Problem(path, message, Severity.ERROR, subject=self.subject()))

    def warning(self, path: str, message: Words, *related: str) -> None:
        if not any(self._skip(p) for p in (path, *related)):
            self.problems.append(Problem(path, message, Severity.WARNING, subject=self.subject()))

    def text(
        self,
        path: str,
        text: str,
        limit: int,
        what: Words,
        *,
        multiline: bool = False,
        written: str = "",
    ) -> None:
        """The length limit and the control characters of a text that goes on air. `written`:
        the text as its file wrote it, when the text is kept normalised (a SKU, NFKC): its
        length is said with the count as kept, which is the one limited."""
        if len(text) > limit and written and written != text:
            self.error(
                path,
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems",
                        "the {what} {written} is {written_length} characters long as written "
                        "and {length} once normalised (Unicode NFKC, as it is kept and "
                        "compared); at most {limit}",
                    ),
                    what=what,
                    written=shown(written),
                    written_length=grouped(len(written)),
                    length=grouped(len(text)),
                    limit=grouped(limit),
                ),
            )
            return
        if len(text) > limit:
            self.error(
                path,
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems", "the {what} is {length} characters long; at most {limit}"
                    ),
                    what=what,
                    length=grouped(len(text)),
                    limit=grouped(limit),
                ),
            )
            return
        controls = _MULTI_LINE_CONTROLS if multiline else _ONE_LINE_CONTROLS
        found = controls.search(text)
        if found is not None:
            if _LAYOUT_CHARACTERS.fullmatch(found.group()):
                template = QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "the {what} {text} holds the character {control} at character {position}: "
                    "on air it would turn the text around or break its line",
                )
            else:
                template = QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "the {what} {text} holds the control character {control} at character "
                    "{position}: the picture cannot show it",
                )
            self.error(
                path,
                Words(
                    template,
                    what=what,
                    text=shown(text),
                    control=escape_controls(found.group()),
                    position=found.start(),
                ),
            )


def _nothing() -> Words | None:
    return None


# The names of the texts a message is about ("the title is 300 characters long").
TITLE = Words(QT_TRANSLATE_NOOP("ShowProblems", "title"))
SKU = Words(QT_TRANSLATE_NOOP("ShowProblems", "sku"))
PRICE = Words(QT_TRANSLATE_NOOP("ShowProblems", "price"))
DEAL_PRICE = Words(QT_TRANSLATE_NOOP("ShowProblems", "deal price"))
DEAL_SECONDS = Words(QT_TRANSLATE_NOOP("ShowProblems", "deal seconds"))
DEAL_STOCK = Words(QT_TRANSLATE_NOOP("ShowProblems", "deal stock"))
LOGO_PATH = Words(QT_TRANSLATE_NOOP("ShowProblems", "logo path"))
IMAGE_PATH = Words(QT_TRANSLATE_NOOP("ShowProblems", "image path"))
BANNED_WORD = Words(QT_TRANSLATE_NOOP("ShowProblems", "banned word"))
ANNOUNCEMENT = Words(QT_TRANSLATE_NOOP("ShowProblems", "announcement"))
SCRIPT = Words(QT_TRANSLATE_NOOP("ShowProblems", "script"))
TALKING_POINT = Words(QT_TRANSLATE_NOOP("ShowProblems", "talking point"))


def whole_problem(field: str, value: int, written: str | None = None) -> Words | None:
    """What is wrong with a whole number of the show (``stock``, ``seconds``, ``deal seconds``,
    ``deal stock``), None when nothing; in one wording wherever it was written, quoted as
    ``written`` (the file reader gives a JSON number's literal: its ``1e40`` was said by its
    41 digits, its ``1E+41`` in the reader's own words)."""
    value_shown = shown_literal(written) if written is not None else shown(value)
    if field in ("seconds", "deal seconds"):
        if value <= 0:
            return _above_zero(value_shown)
        if value > MAX_SEGMENT_SECONDS:
            return Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{seconds} s is longer than a day"),
                seconds=value_shown,
            )
        return None
    if field == "stock" and value < 0:
        return Words(
            QT_TRANSLATE_NOOP("ShowProblems", "stock must not be negative (got {value})"),
            value=value_shown,
        )
    if field == "deal stock" and value <= 0:
        return _above_zero(value_shown)
    if value > MAX_STOCK:
        if field == "deal stock":
            template = QT_TRANSLATE_NOOP(
                "ShowProblems",
                "deal stock {value} is out of range: a whole number from 1 to {limit}",
            )
        else:
            template = QT_TRANSLATE_NOOP(
                "ShowProblems",
                "stock {value} is out of range: a whole number from 0 to {limit}",
            )
        return Words(template, value=value_shown, limit=grouped(MAX_STOCK))
    return None


def _above_zero(value: str) -> Words:
    return Words(QT_TRANSLATE_NOOP("ShowProblems", "must be above zero (got {value})"), value=value)


def _has_no_glyph(char: str) -> bool:
    """A character that shows as nothing (core/printable.shows_as_nothing): a format character
    (zero width spaces and joiners, soft hyphens, bidi marks, a BOM), any other of Unicode's
    default-ignorable ones (the Hangul fillers, the combining grapheme joiner, the variation
    selectors), the Braille blank. By the format characters alone, "MUG" + U+3164 passed
    `show check` beside "MUG", listed as two products that look the same, and a card titled
    U+3164 was not blank."""
    return shows_as_nothing(char)


def _invisible_at(text: str) -> int | None:
    """Where `text` holds a character that shows as nothing, or None."""
    return next((i for i, char in enumerate(text) if _has_no_glyph(char)), None)


def _blank(text: str) -> bool:
    """Whether `text` shows as nothing: only white space (any script's, U+3000 too) and
    characters that have no glyph: a card titled so is empty."""
    return all(char.isspace() or _has_no_glyph(char) for char in text)


def skip_under(bad_paths: Iterable[str]) -> Callable[[str], bool]:
    """A skip function: True for a path equal to or inside one of `bad_paths`.

    When a field could not even be read (wrong type), the rules that use it would only repeat
    the problem in other words; they are skipped.
    """
    bad = frozenset(bad_paths)
    if not bad:
        return lambda _path: False

    def skip(path: str) -> bool:
        candidate = path
        while True:
            if candidate in bad:
                return True
            cut = max(candidate.rfind("."), candidate.rfind("["))
            if cut <= 0:
                return False
            candidate = candidate[:cut]

    return skip


def validate_show(
    show: Show,
    *,
    skip: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Every rule the show breaks, errors and warnings, in file order; linear in its size.

    The files the show names (images, logo) are checked by the reader of show files
    (`anchordesk.showfile.images`): this layer does no I/O. Compliance (banned and absolute
    words) is separate: see `anchordesk.show.compliance.check_show`.
    """
    check = _Checker(skip or (lambda _path: False))

    if show.format != SHOW_FORMAT_VERSION:
        check.error(
            "$.format",
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "unknown format version {version}: this program reads format {format}",
                ),
                version=show.format,
                format=SHOW_FORMAT_VERSION,
            ),
        )
    if _blank(show.title):
        check.error("$.title", Words(QT_TRANSLATE_NOOP("ShowProblems", "the show needs a title")))
    else:
        check.text("$.title", show.title, MAX_TITLE_CHARS, TITLE)
    if not is_iso_currency(show.currency):
        check.error(
            "$.currency",
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems", "{value} is not an ISO 4217 code such as CNY, USD or JPY"
                ),
                value=shown(show.currency),
            ),
        )
    if not LANGUAGE_PATTERN.fullmatch(show.language):
        check.error(
            "$.language",
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems", "{value} is not a language tag such as zh_CN or en"
                ),
                value=shown(show.language),
            ),
        )
    elif not is_known_language(show.language):
        check.warning(
            "$.language",
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "{value} is no language this program knows: prices and times are written "
                    "as in English, and the rehearsal audience speaks English",
                ),
                value=shown(show.language),
            ),
        )

    theme = show.theme
    if not COLOUR_PATTERN.fullmatch(theme.accent):
        check.error(
            "$.theme.accent",
            Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{value} is not a colour such as #ff3355"),
                value=shown(theme.accent),
            ),
        )
    if theme.look not in THEME_LOOKS:
        check.error("$.theme.look", not_one_of(shown(theme.look), THEME_LOOKS))
    if theme.logo:
        check.text("$.theme.logo", theme.logo, MAX_PATH_CHARS, LOGO_PATH)

    if len(show.banned_words) > MAX_BANNED_WORDS:
        check.error(
            "$.banned_words",
            Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{count} banned words; at most {limit}"),
                count=grouped(len(show.banned_words)),
                limit=grouped(MAX_BANNED_WORDS),
            ),
        )
    for index, word in enumerate(show.banned_words):
        if not word.strip():
            check.warning(
                f"$.banned_words[{index}]",
                Words(QT_TRANSLATE_NOOP("ShowProblems", "empty word (ignored)")),
            )
        else:
            check.text(f"$.banned_words[{index}]", word, MAX_BANNED_WORD_CHARS, BANNED_WORD)
    if len(show.ticker) > MAX_TICKER_LINES:
        check.error(
            "$.ticker",
            Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{count} announcements; at most {limit}"),
                count=grouped(len(show.ticker)),
                limit=grouped(MAX_TICKER_LINES),
            ),
        )
    for index, line in enumerate(show.ticker):
        if not line.strip():
            check.warning(
                f"$.ticker[{index}]",
                Words(QT_TRANSLATE_NOOP("ShowProblems", "empty announcement (ignored)")),
            )
        else:
            check.text(f"$.ticker[{index}]", line, MAX_TICKER_CHARS, ANNOUNCEMENT)

    if len(show.products) > MAX_PRODUCTS:
        check.error("$.products", too_many_products(len(show.products)))
    check.problems += product_problems(show.products, show.currency, skip=skip)
    index_of_sku: dict[str, int] = {}
    for index, product in enumerate(show.products):
        index_of_sku.setdefault(product.sku, index)  # the first wins, as Show.product does

    if len(show.rundown) > MAX_SEGMENTS:
        check.error("$.rundown", too_many_segments(len(show.rundown)))
    if not show.rundown:
        check.error(
            "$.rundown",
            Words(QT_TRANSLATE_NOOP("ShowProblems", "the rundown needs at least one segment")),
        )
    deal_units_by_sku: dict[str, int] = {}
    over_stock: dict[str, int] = {}  # SKU -> the index of its warning in check.problems
    for index, segment in enumerate(show.rundown):
        path = f"$.rundown[{index}]"
        check.subject = partial(segment_subject, index, segment.title)
        if _blank(segment.title):
            check.error(
                f"{path}.title",
                Words(QT_TRANSLATE_NOOP("ShowProblems", "the segment needs a title")),
            )
        else:
            check.text(f"{path}.title", segment.title, MAX_TITLE_CHARS, TITLE)
        check.text(f"{path}.script", segment.script, MAX_SCRIPT_CHARS, SCRIPT, multiline=True)
        if len(segment.notes) > MAX_NOTES_CHARS:
            check.error(
                f"{path}.notes",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems", "the notes are {length} characters long; at most {limit}"
                    ),
                    length=grouped(len(segment.notes)),
                    limit=grouped(MAX_NOTES_CHARS),
                ),
            )
        seconds_problem = whole_problem("seconds", segment.seconds, str(segment.seconds))
        if seconds_problem is not None:
            check.error(f"{path}.seconds", seconds_problem)
        target_index = index_of_sku.get(segment.sku) if segment.sku is not None else None
        target = show.products[target_index] if target_index is not None else None
        if segment.sku is not None and target is None:
            check.error(
                f"{path}.sku",
                Words(
                    QT_TRANSLATE_NOOP("ShowProblems", "unknown sku {sku}: no product has it"),
                    sku=shown(segment.sku),
                ),
            )
        if segment.deal is not None:
            product_path = f"$.products[{target_index}]" if target_index is not None else ""
            _check_deal(
                check, show, segment, target, path, product_path, deal_units_by_sku, over_stock
            )
    return check.problems


def not_one_of(value: str, allowed: Iterable[str]) -> Words:
    """A value outside a fixed set: "'neon' is not one of: dark, light"."""
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{value} is not one of: {allowed}"),
        value=value,
        allowed=", ".join(allowed),
    )


def too_many_products(count: int) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{count} products; a show holds at most {limit}"),
        count=grouped(count),
        limit=grouped(MAX_PRODUCTS),
    )


def too_many_segments(count: int) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{count} segments; a show holds at most {limit}"),
        count=grouped(count),
        limit=grouped(MAX_SEGMENTS),
    )


def product_problems(
    products: Sequence[Product],
    show_currency: str | None,
    *,
    skip: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """The rules of products alone, with paths ``$.products[i].field``.

    Used for a whole show and for a CSV import (whose rows are products), so that a spreadsheet
    and a show file obey the same rules. `show_currency` None: a product without its own
    currency is not checked for its currency's digits.
    """
    check = _Checker(skip or (lambda _path: False))
    first_index_of_sku: dict[str, int] = {}
    for index, product in enumerate(products):
        path = f"$.products[{index}]"
        check.subject = partial(product_subject, product.sku, product.title)
        if not product.sku.strip():
            check.error(f"{path}.sku", Words(QT_TRANSLATE_NOOP("ShowProblems", "the sku is empty")))
        elif len(product.sku) > MAX_SKU_CHARS or _ONE_LINE_CONTROLS.search(product.sku):
            check.text(f"{path}.sku", product.sku, MAX_SKU_CHARS, SKU, written=product.written_sku)
        elif product.sku != product.sku.strip():
            check.error(
                f"{path}.sku",
                Words(
                    QT_TRANSLATE_NOOP("ShowProblems", "the sku {sku} has spaces at its ends"),
                    sku=shown(product.sku),
                ),
            )
        elif (invisible := _invisible_at(product.sku)) is not None:
            # "MU\u200bG" reads as MUG but no platform's order for MUG would ever match it.
            check.error(
                f"{path}.sku",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems",
                        "the sku {sku} holds the invisible character {char} at character "
                        "{index}: orders name their product by the visible characters only",
                    ),
                    sku=shown(product.sku),
                    char=f"U+{ord(product.sku[invisible]):04X}",
                    index=invisible,
                ),
            )
        elif product.sku in first_index_of_sku:
            first = first_index_of_sku[product.sku]
            # ``other`` is a path: a CSV import names it by its row instead (csv_import.py).
            check.error(
                f"{path}.sku",
                Words(
                    QT_TRANSLATE_NOOP("ShowProblems", "duplicate sku {sku} (also in {other})"),
                    sku=shown(product.sku),
                    other=f"$.products[{first}]",
                ),
            )
        else:
            first_index_of_sku[product.sku] = index
        if _blank(product.title):
            check.error(
                f"{path}.title",
                Words(QT_TRANSLATE_NOOP("ShowProblems", "the product needs a title")),
            )
        else:
            check.text(f"{path}.title", product.title, MAX_TITLE_CHARS, TITLE)
        currency = product.currency or show_currency
        if product.currency is not None and not is_iso_currency(product.currency):
            check.error(
                f"{path}.currency",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems", "{value} is not an ISO 4217 code such as CNY"
                    ),
                    value=shown(product.currency),
                ),
            )
        _check_amount(check, f"{path}.price", product.price, currency, PRICE)
        stock_problem = whole_problem("stock", product.stock, str(product.stock))
        if stock_problem is not None:
            check.error(f"{path}.stock", stock_problem)
        if len(product.points) > MAX_POINTS:
            check.error(
                f"{path}.points",
                Words(
                    QT_TRANSLATE_NOOP("ShowProblems", "{count} talking points; at most {limit}"),
                    count=grouped(len(product.points)),
                    limit=grouped(MAX_POINTS),
                ),
            )
        for point_index, point in enumerate(product.points):
            if not point.strip():
                check.warning(
                    f"{path}.points[{point_index}]",
                    Words(QT_TRANSLATE_NOOP("ShowProblems", "empty talking point")),
                )
            else:
                check.text(f"{path}.points[{point_index}]", point, MAX_POINT_CHARS, TALKING_POINT)
        if product.image:
            check.text(f"{path}.image", product.image, MAX_PATH_CHARS, IMAGE_PATH)
    return check.problems


def _check_deal(
    check: _Checker,
    show: Show,
    segment: Segment,
    target: Product | None,
    path: str,
    product_path: str,
    deal_units_by_sku: dict[str, int],
    over_stock: dict[str, int],
) -> None:
    deal = segment.deal
    assert deal is not None
    deal_path = f"{path}.deal"
    if segment.sku is None:
        check.error(
            deal_path,
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems", "a deal needs the segment's product: set the segment's sku"
                )
            ),
        )
    currency = show.currency_of(target) if target else show.currency
    seconds_ok, stock_ok = _check_deal_values(
        check, deal_path, product_path, currency, target, deal.price, deal.seconds, deal.stock
    )
    if seconds_ok and segment.seconds > 0 and deal.seconds > segment.seconds:
        check.warning(
            f"{deal_path}.seconds",
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "the deal ({deal_seconds} s) outlasts its segment ({segment_seconds} s): it "
                    "keeps counting down during the next segment",
                ),
                deal_seconds=deal.seconds,
                segment_seconds=segment.seconds,
            ),
            f"{path}.seconds",
        )
    if stock_ok and target is not None and deal.stock is not None:
        planned = deal_units_by_sku.get(target.sku, 0) + deal.stock
        deal_units_by_sku[target.sku] = planned
        if planned > target.stock:
            words = Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "the deals on {sku} plan {planned} units in all, more than its stock {stock}",
                ),
                sku=escape_controls(target.sku),
                planned=grouped(planned),
                stock=grouped(target.stock),
            )
            # One warning per product, at the deal that first plans past its stock, with the
            # total of all its deals: a show of 150,000 deals on one SKU printed 150,000 lines.
            at = over_stock.get(target.sku)
            if at is not None:
                check.problems[at] = replace(check.problems[at], words=words)
            else:
                count = len(check.problems)
                check.warning(f"{deal_path}.stock", words, f"{product_path}.stock")
                if len(check.problems) > count:
                    over_stock[target.sku] = count


def _check_deal_values(
    check: _Checker,
    deal_path: str,
    product_path: str,
    currency: str,
    target: Product | None,
    price: Decimal | None,
    seconds: int | None,
    stock: int | None,
) -> tuple[bool, bool]:
    """The rule for a flash deal's own values, planned in a show file or started live: its
    price (an amount below the list price), its length and its stock. A value that is None is
    not checked. Returns whether the seconds and the stock passed (the warnings that compare
    them with the segment and the other deals need valid values)."""
    if price is not None:
        _check_amount(check, f"{deal_path}.price", price, currency, DEAL_PRICE)
        if target is not None and price.is_finite() and price >= target.price:
            check.error(
                f"{deal_path}.price",
                Words(
                    QT_TRANSLATE_NOOP(
                        "ShowProblems",
                        "deal price {price} is not below the list price {list_price} of {sku}",
                    ),
                    price=money_value(price, currency),
                    list_price=money_value(target.price, currency),
                    sku=escape_controls(target.sku),
                ),
                f"{product_path}.price",
            )
    seconds_ok = seconds is not None and 0 < seconds <= MAX_SEGMENT_SECONDS
    seconds_problem = None if seconds is None else whole_problem("deal seconds", seconds)
    if seconds_problem is not None:
        check.error(f"{deal_path}.seconds", seconds_problem)
    if stock is None:
        return seconds_ok, False
    stock_problem = whole_problem("deal stock", stock)
    if stock_problem is not None:
        check.error(f"{deal_path}.stock", stock_problem)
    elif target is not None and stock > target.stock:
        check.error(
            f"{deal_path}.stock",
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems", "deal stock {deal_stock} is above the stock {stock} of {sku}"
                ),
                deal_stock=grouped(stock),
                stock=grouped(target.stock),
                sku=escape_controls(target.sku),
            ),
            f"{product_path}.stock",
        )
    else:
        return seconds_ok, True
    return seconds_ok, False


def deal_value_problems(
    show: Show,
    product: Product,
    *,
    price: Decimal | None = None,
    seconds: int | None = None,
    stock: int | None = None,
) -> list[Words]:
    """What is wrong with a deal started live on `product` (the window's deal form, the remote,
    a script), by the rule a deal planned in the show file obeys: a price the currency can
    charge and below the list price, at most a day, a stock from 1 to the product's. Each
    problem names the value it is about. Values not given (taken from the plan) are not
    checked: the show file's check had them."""
    check = _Checker(lambda _path: False)
    _check_deal_values(
        check, "deal", "product", show.currency_of(product), product, price, seconds, stock
    )
    fields = {"deal.price": DEAL_PRICE, "deal.seconds": DEAL_SECONDS, "deal.stock": DEAL_STOCK}
    said: list[Words] = []
    for problem in check.problems:
        if not problem.is_error:
            continue
        words = problem.words
        # In a file the path names the field; here a message that does not name it itself
        # ("must be above zero (got 0)") gets it in front.
        if "deal" not in words.template and DEAL_PRICE not in words.params.values():
            field = fields.get(problem.path, DEAL_PRICE)
            words = Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{field}: {problem}"), field=field, problem=words
            )
        said.append(words)
    return said


def amount_not_finite(what: Words, value: str) -> Words:
    """Infinity or NaN as a price, in one wording wherever it was written (a show file, a
    CSV, the editor): a file's was "Infinity is not a price", a CSV's "Infinity is out of
    range". `value` as written (`shown_literal`)."""
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "the {what} {value} is not a number"),
        what=what,
        value=value,
    )


def amount_negative(what: Words, value: str) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "the {what} must not be negative (got {value})"),
        what=what,
        value=value,
    )


def amount_too_large(what: Words, value: str) -> Words:
    """A price past the ceiling, in one wording wherever it was written, quoted as written:
    a file's ``1e40`` was said by its 41 digits and "at most", its ``1E+41`` as written and
    "a number from 0 to"."""
    return Words(
        QT_TRANSLATE_NOOP(
            "ShowProblems", "the {what} {value} is out of range: a number from 0 to {limit}"
        ),
        what=what,
        value=value,
        limit=grouped(int(MAX_AMOUNT)),
    )


def _check_amount(
    check: _Checker, path: str, amount: Decimal, currency: str | None, what: Words
) -> None:
    # An amount that keeps its sender's text (the remote's price) is quoted as sent.
    value = shown_literal(amount.text) if isinstance(amount, WrittenAmount) else None
    value = value or format_amount(amount)
    if not amount.is_finite():
        check.error(path, amount_not_finite(what, value))
    elif amount < 0:
        check.error(path, amount_negative(what, value))
    elif amount > MAX_AMOUNT:
        check.error(path, amount_too_large(what, value))
    elif (
        currency is not None
        and CURRENCY_PATTERN.fullmatch(currency)
        and decimals_of(amount) > currency_digits(currency)
    ):
        # A price the platform cannot charge; the ledger would add up fractions of a cent.
        check.error(
            path,
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems", "{value} has more decimals than {currency} uses ({allowed})"
                ),
                value=value,
                currency=currency,
                allowed=currency_digits(currency),
            ),
        )
