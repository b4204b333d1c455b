"""The rules a show must follow, checked on the model, each problem named by its JSON path.

The same paths are used whether the problem was found while reading a file (`files.py`) or in
a show being edited in memory, so the editor can put each message next to the field at fault:
``$.products[2].price``, ``$.rundown[4].deal.stock``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import partial

from anchordesk.core.money import currency_digits, is_known_currency, is_known_language
from anchordesk.core.printable import escape_controls
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

CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")
COLOUR_PATTERN = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")

# C0/C1 controls and DEL cannot be drawn on the picture (a font has no glyph for ESC or NUL);
# a multi-line text (script, notes) may hold line breaks and tabs.
_ONE_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_MULTI_LINE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SHOWN_CHARS = 40


class Severity(StrEnum):
    ERROR = "error"  # the show cannot be used as it is
    WARNING = "warning"  # usable, but probably not what the user meant (or a compliance hit)


@dataclass(frozen=True, slots=True)
class Problem:
    path: str  # JSON path ("$.products[0].price"), "$" for the whole file
    message: str
    severity: Severity = Severity.ERROR
    line: int | None = None  # for invalid JSON: where the parser stopped (1-based)
    column: int | None = None
    # What the path belongs to, in words a user finds it by: "product SERUM-30, Hydra Serum".
    subject: str = ""

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}, column {self.column}: {self.message}"
        if self.subject:
            return f"{self.path} ({self.subject}): {self.message}"
        return f"{self.path}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.is_error]


def shown(value: object) -> str:
    """A value as a message quotes it: control characters escaped, one line, at most ~40 chars.

    Texts are quoted (``'abc'``), numbers not; a 2 MB title or a 4,000-digit number is cut.
    """
    return shown_literal(repr(value) if isinstance(value, str) else str(value))


def shown_literal(text: str) -> str:
    """`text` as written in the file (a number literal, a path), escaped and cut, unquoted."""
    text = escape_controls(text)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _label(text: str) -> str:
    text = escape_controls(" ".join(text.split()))
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def product_subject(sku: object, title: object) -> str:
    """How a message names a product: "product SERUM-30, Hydra Serum 30 ml"."""
    parts = [_label(part) for part in (sku, title) if isinstance(part, str) and part.strip()]
    return "product " + ", ".join(parts) if parts else "product"


def segment_subject(index: int, title: object) -> str:
    """How a message names a segment: by its number on the run sheet and its title."""
    name = _label(title) if isinstance(title, str) and title.strip() else ""
    return f"segment {index + 1}" + (f", {name}" if name else "")


def _unknown_currency(code: str) -> str:
    # A warning, not an error: the code is well formed and a custom feed may use it, but a
    # typo ("USB") would otherwise pass silently and be shown with two decimals.
    return (
        f"{shown(code)} is not an ISO 4217 currency: its prices are shown as "
        f"{code} 1.00 with two decimals; check the code"
    )


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
    """An amount as people write it: 199, 199.5, 0.99 (no exponent, no trailing zeros)."""
    if not amount.is_finite() or abs(amount.adjusted()) > 40:
        return shown(str(amount))  # never expand a huge exponent into its digits
    text = format(amount.normalize(), "f")
    return text


class _Checker:
    def __init__(self, skip: Callable[[str], bool]) -> None:
        self.problems: list[Problem] = []
        self._skip = skip
        # What the next problems belong to; named only when there is a problem (a show of
        # 100,000 products would otherwise spend a second naming products that are fine).
        self.subject: Callable[[], str] = str

    def error(self, path: str, message: str, *related: str) -> None:
        if not any(self._skip(p) for p in (path, *related)):
            self.problems.append(Problem(path, message, Severity.ERROR, subject=self.subject()))

    def warning(self, path: str, message: str, *related: str) -> None:
        if not any(self._skip(p) for p in (path, *related)):
            self.problems.append(Problem(path, message, Severity.WARNING, subject=self.subject()))

    def text(self, path: str, text: str, limit: int, what: str, *, multiline: bool = False) -> None:
        """The length limit and the control characters of a text that goes on air."""
        if len(text) > limit:
            self.error(path, f"the {what} is {len(text):,} characters long; at most {limit:,}")
            return
        controls = _MULTI_LINE_CONTROLS if multiline else _ONE_LINE_CONTROLS
        found = controls.search(text)
        if found is not None:
            self.error(
                path,
                f"the {what} {shown(text)} holds the control character "
                f"{escape_controls(found.group())} at character {found.start()}: the picture "
                "cannot show it",
            )


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
        check.error("$.format", f"unknown format version {show.format}: this program reads 1")
    if not show.title.strip():
        check.error("$.title", "the show needs a title")
    else:
        check.text("$.title", show.title, MAX_TITLE_CHARS, "title")
    if not CURRENCY_PATTERN.fullmatch(show.currency):
        check.error(
            "$.currency", f"{shown(show.currency)} is not an ISO 4217 code such as CNY, USD or JPY"
        )
    elif not is_known_currency(show.currency):
        check.warning("$.currency", _unknown_currency(show.currency))
    if not LANGUAGE_PATTERN.fullmatch(show.language):
        check.error(
            "$.language", f"{shown(show.language)} is not a language tag such as zh_CN or en"
        )
    elif not is_known_language(show.language):
        check.warning(
            "$.language",
            f"{shown(show.language)} is no language this program knows: prices and times are "
            "written as in English, and the rehearsal audience speaks English",
        )

    theme = show.theme
    if not COLOUR_PATTERN.fullmatch(theme.accent):
        check.error("$.theme.accent", f"{shown(theme.accent)} is not a colour such as #ff3355")
    if theme.look not in THEME_LOOKS:
        check.error("$.theme.look", f"{shown(theme.look)} is not one of: {', '.join(THEME_LOOKS)}")
    if theme.logo:
        check.text("$.theme.logo", theme.logo, MAX_PATH_CHARS, "logo path")

    if len(show.banned_words) > MAX_BANNED_WORDS:
        check.error(
            "$.banned_words",
            f"{len(show.banned_words):,} banned words; at most {MAX_BANNED_WORDS:,}",
        )
    for index, word in enumerate(show.banned_words):
        if not word.strip():
            check.warning(f"$.banned_words[{index}]", "empty word (ignored)")
        else:
            check.text(f"$.banned_words[{index}]", word, MAX_BANNED_WORD_CHARS, "banned word")
    if len(show.ticker) > MAX_TICKER_LINES:
        check.error("$.ticker", f"{len(show.ticker):,} announcements; at most {MAX_TICKER_LINES}")
    for index, line in enumerate(show.ticker):
        if not line.strip():
            check.warning(f"$.ticker[{index}]", "empty announcement (ignored)")
        else:
            check.text(f"$.ticker[{index}]", line, MAX_TICKER_CHARS, "announcement")

    check.problems += product_problems(show.products, show.currency, skip=skip)
    index_of_sku: dict[str, int] = {}
    for index, product in enumerate(show.products):
        index_of_sku.setdefault(product.sku, index)  # the first wins, as Show.product does

    if not show.rundown:
        check.error("$.rundown", "the rundown needs at least one segment")
    deal_units_by_sku: dict[str, int] = {}
    for index, segment in enumerate(show.rundown):
        path = f"$.rundown[{index}]"
        check.subject = partial(segment_subject, index, segment.title)
        if not segment.title.strip():
            check.error(f"{path}.title", "the segment needs a title")
        else:
            check.text(f"{path}.title", segment.title, MAX_TITLE_CHARS, "title")
        check.text(f"{path}.script", segment.script, MAX_SCRIPT_CHARS, "script", multiline=True)
        if len(segment.notes) > MAX_NOTES_CHARS:
            check.error(
                f"{path}.notes",
                f"the notes are {len(segment.notes):,} characters long; at most "
                f"{MAX_NOTES_CHARS:,}",
            )
        if segment.seconds <= 0:
            check.error(f"{path}.seconds", f"must be above zero (got {shown(segment.seconds)})")
        elif segment.seconds > MAX_SEGMENT_SECONDS:
            check.error(f"{path}.seconds", f"{shown(segment.seconds)} s is longer than a day")
        target_index = index_of_sku.get(segment.sku) if segment.sku is not None else None
        target = show.products[target_index] if target_index is not None else None
        if segment.sku is not None and target is None:
            check.error(f"{path}.sku", f"unknown sku {shown(segment.sku)}: no product has it")
        if segment.deal is not None:
            product_path = f"$.products[{target_index}]" if target_index is not None else ""
            _check_deal(check, show, segment, target, path, product_path, deal_units_by_sku)
    return check.problems


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
            check.error(f"{path}.sku", "the sku is empty")
        elif len(product.sku) > MAX_SKU_CHARS or _ONE_LINE_CONTROLS.search(product.sku):
            check.text(f"{path}.sku", product.sku, MAX_SKU_CHARS, "sku")
        elif product.sku != product.sku.strip():
            check.error(f"{path}.sku", f"the sku {shown(product.sku)} has spaces at its ends")
        elif product.sku in first_index_of_sku:
            first = first_index_of_sku[product.sku]
            check.error(
                f"{path}.sku", f"duplicate sku {shown(product.sku)} (also in $.products[{first}])"
            )
        else:
            first_index_of_sku[product.sku] = index
        if not product.title.strip():
            check.error(f"{path}.title", "the product needs a title")
        else:
            check.text(f"{path}.title", product.title, MAX_TITLE_CHARS, "title")
        currency = product.currency or show_currency
        if product.currency is not None and not CURRENCY_PATTERN.fullmatch(product.currency):
            check.error(
                f"{path}.currency",
                f"{shown(product.currency)} is not an ISO 4217 code such as CNY",
            )
        elif product.currency is not None and not is_known_currency(product.currency):
            check.warning(f"{path}.currency", _unknown_currency(product.currency))
        _check_amount(check, f"{path}.price", product.price, currency, "price")
        if product.stock < 0:
            check.error(f"{path}.stock", f"stock must not be negative (got {product.stock})")
        elif product.stock > MAX_STOCK:
            check.error(
                f"{path}.stock",
                f"stock {shown(product.stock)} is out of range: a whole number from 0 to "
                f"{MAX_STOCK:,}",
            )
        if len(product.points) > MAX_POINTS:
            check.error(
                f"{path}.points", f"{len(product.points)} talking points; at most {MAX_POINTS}"
            )
        for point_index, point in enumerate(product.points):
            if not point.strip():
                check.warning(f"{path}.points[{point_index}]", "empty talking point")
            else:
                check.text(f"{path}.points[{point_index}]", point, MAX_POINT_CHARS, "talking point")
        if product.image:
            check.text(f"{path}.image", product.image, MAX_PATH_CHARS, "image path")
    return check.problems


def _check_deal(
    check: _Checker,
    show: Show,
    segment: Segment,
    target: Product | None,
    path: str,
    product_path: str,
    deal_units_by_sku: dict[str, int],
) -> None:
    deal = segment.deal
    assert deal is not None
    deal_path = f"{path}.deal"
    if segment.sku is None:
        check.error(deal_path, "a deal needs the segment's product: set the segment's sku")
    currency = show.currency_of(target) if target else show.currency
    _check_amount(check, f"{deal_path}.price", deal.price, currency, "deal price")
    if target is not None and deal.price.is_finite() and deal.price >= target.price:
        check.error(
            f"{deal_path}.price",
            f"deal price {format_amount(deal.price)} is not below the list price "
            f"{format_amount(target.price)} of {escape_controls(target.sku)}",
            f"{product_path}.price",
        )
    if deal.seconds <= 0:
        check.error(f"{deal_path}.seconds", f"must be above zero (got {shown(deal.seconds)})")
    elif deal.seconds > MAX_SEGMENT_SECONDS:
        check.error(f"{deal_path}.seconds", f"{shown(deal.seconds)} s is longer than a day")
    elif segment.seconds > 0 and deal.seconds > segment.seconds:
        check.warning(
            f"{deal_path}.seconds",
            f"the deal ({deal.seconds} s) outlasts its segment ({segment.seconds} s): it "
            "keeps counting down during the next segment",
            f"{path}.seconds",
        )
    if deal.stock is None:
        return
    if deal.stock <= 0:
        check.error(f"{deal_path}.stock", f"must be above zero (got {shown(deal.stock)})")
    elif deal.stock > MAX_STOCK:
        check.error(
            f"{deal_path}.stock",
            f"deal stock {shown(deal.stock)} is out of range: a whole number from 1 to "
            f"{MAX_STOCK:,}",
        )
    elif target is not None and deal.stock > target.stock:
        check.error(
            f"{deal_path}.stock",
            f"deal stock {deal.stock} is above the stock {target.stock} of "
            f"{escape_controls(target.sku)}",
            f"{product_path}.stock",
        )
    elif target is not None:
        planned = deal_units_by_sku.get(target.sku, 0) + deal.stock
        deal_units_by_sku[target.sku] = planned
        if planned > target.stock:
            check.warning(
                f"{deal_path}.stock",
                f"the deals on {escape_controls(target.sku)} plan {planned} units in all, more "
                f"than its stock {target.stock}",
                f"{product_path}.stock",
            )


def _check_amount(
    check: _Checker, path: str, amount: Decimal, currency: str | None, what: str
) -> None:
    if not amount.is_finite():
        check.error(path, f"the {what} is not a finite number")
    elif amount < 0:
        check.error(path, f"the {what} must not be negative (got {format_amount(amount)})")
    elif amount > MAX_AMOUNT:
        check.error(
            path,
            f"the {what} {format_amount(amount)} is out of range: at most {MAX_AMOUNT:,}",
        )
    elif (
        currency is not None
        and CURRENCY_PATTERN.fullmatch(currency)
        and decimals_of(amount) > currency_digits(currency)
    ):
        # A price the platform cannot charge; the ledger would add up fractions of a cent.
        allowed = currency_digits(currency)
        check.error(
            path,
            f"{format_amount(amount)} has more decimals than {currency} uses ({allowed})",
        )
