"""The rules a show must follow, checked on the model, each problem named by its JSON path.

The same paths are used whether the problem was found while reading a file (`files.py`) or in
a show being edited in memory, so the editor can put each message next to the field at fault:
``$.products[2].price``, ``$.rundown[4].deal.stock``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from anchordesk.core.money import currency_digits
from anchordesk.show.model import (
    SHOW_FORMAT_VERSION,
    THEME_LOOKS,
    Product,
    Segment,
    Show,
)

MAX_AMOUNT = Decimal(1_000_000_000)  # beyond any live-commerce price; catches "1e12" typos
MAX_STOCK = 1_000_000_000
MAX_SEGMENT_SECONDS = 24 * 3600

CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")
COLOUR_PATTERN = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


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

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}, column {self.column}: {self.message}"
        return f"{self.path}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.is_error]


def decimals_of(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_amount(amount: Decimal) -> str:
    """An amount as people write it: 199, 199.5, 0.99 (no exponent, no trailing zeros)."""
    text = format(amount.normalize(), "f")
    return text


class _Checker:
    def __init__(self, skip: Callable[[str], bool]) -> None:
        self.problems: list[Problem] = []
        self._skip = skip

    def error(self, path: str, message: str, *related: str) -> None:
        if not any(self._skip(p) for p in (path, *related)):
            self.problems.append(Problem(path, message, Severity.ERROR))

    def warning(self, path: str, message: str, *related: str) -> None:
        if not any(self._skip(p) for p in (path, *related)):
            self.problems.append(Problem(path, message, Severity.WARNING))


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
    check_files: bool = True,
    skip: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Every rule the show breaks, errors and warnings, in file order.

    `check_files` looks for the images and the logo next to the show (`show.base_dir`); the
    editor can turn it off while the user types a path. Compliance (banned and absolute words)
    is separate: see `anchordesk.show.compliance.check_show`.
    """
    check = _Checker(skip or (lambda _path: False))

    if show.format != SHOW_FORMAT_VERSION:
        check.error("$.format", f"unknown format version {show.format}: this program reads 1")
    if not show.title.strip():
        check.error("$.title", "the show needs a title")
    if not CURRENCY_PATTERN.fullmatch(show.currency):
        check.error(
            "$.currency", f"{show.currency!r} is not an ISO 4217 code such as CNY, USD or JPY"
        )
    if not LANGUAGE_PATTERN.fullmatch(show.language):
        check.error("$.language", f"{show.language!r} is not a language tag such as zh_CN or en")

    theme = show.theme
    if not COLOUR_PATTERN.fullmatch(theme.accent):
        check.error("$.theme.accent", f"{theme.accent!r} is not a colour such as #ff3355")
    if theme.look not in THEME_LOOKS:
        check.error("$.theme.look", f"{theme.look!r} is not one of: {', '.join(THEME_LOOKS)}")
    if check_files and theme.logo:
        _check_image(check, show, theme.logo, "$.theme.logo", "logo")

    for index, word in enumerate(show.banned_words):
        if not word.strip():
            check.warning(f"$.banned_words[{index}]", "empty word (ignored)")
    for index, line in enumerate(show.ticker):
        if not line.strip():
            check.warning(f"$.ticker[{index}]", "empty announcement (ignored)")

    first_index_of_sku: dict[str, int] = {}
    for index, product in enumerate(show.products):
        path = f"$.products[{index}]"
        if not product.sku.strip():
            check.error(f"{path}.sku", "the sku is empty")
        elif product.sku != product.sku.strip():
            check.error(f"{path}.sku", f"the sku {product.sku!r} has spaces at its ends")
        elif product.sku in first_index_of_sku:
            first = first_index_of_sku[product.sku]
            check.error(
                f"{path}.sku", f"duplicate sku {product.sku!r} (also in $.products[{first}])"
            )
        else:
            first_index_of_sku[product.sku] = index
        if not product.title.strip():
            check.error(f"{path}.title", "the product needs a title")
        currency = show.currency_of(product)
        if product.currency is not None and not CURRENCY_PATTERN.fullmatch(product.currency):
            check.error(
                f"{path}.currency", f"{product.currency!r} is not an ISO 4217 code such as CNY"
            )
        _check_amount(check, f"{path}.price", product.price, currency, "price")
        if product.stock < 0:
            check.error(f"{path}.stock", f"stock must not be negative (got {product.stock})")
        elif product.stock > MAX_STOCK:
            check.error(f"{path}.stock", f"stock {product.stock} is too large")
        for point_index, point in enumerate(product.points):
            if not point.strip():
                check.warning(f"{path}.points[{point_index}]", "empty talking point")
        if check_files and product.image:
            _check_image(check, show, product.image, f"{path}.image", "image")

    if not show.rundown:
        check.error("$.rundown", "the rundown needs at least one segment")
    deal_units_by_sku: dict[str, int] = {}
    for index, segment in enumerate(show.rundown):
        path = f"$.rundown[{index}]"
        if not segment.title.strip():
            check.error(f"{path}.title", "the segment needs a title")
        if segment.seconds <= 0:
            check.error(f"{path}.seconds", f"must be above zero (got {segment.seconds})")
        elif segment.seconds > MAX_SEGMENT_SECONDS:
            check.error(f"{path}.seconds", f"{segment.seconds} s is longer than a day")
        target = show.product(segment.sku)
        if segment.sku is not None and target is None:
            check.error(f"{path}.sku", f"unknown sku {segment.sku!r}: no product has it")
        if segment.deal is not None:
            _check_deal(check, show, segment, target, path, deal_units_by_sku)
    return check.problems


def _check_deal(
    check: _Checker,
    show: Show,
    segment: Segment,
    target: Product | None,
    path: str,
    deal_units_by_sku: dict[str, int],
) -> None:
    deal = segment.deal
    assert deal is not None
    deal_path = f"{path}.deal"
    if segment.sku is None:
        check.error(deal_path, "a deal needs the segment's product: set the segment's sku")
    currency = show.currency_of(target) if target else show.currency
    _check_amount(check, f"{deal_path}.price", deal.price, currency, "deal price")
    product_path = f"$.products[{show.products.index(target)}]" if target else "$.products"
    if target is not None and deal.price.is_finite() and deal.price >= target.price:
        check.error(
            f"{deal_path}.price",
            f"deal price {format_amount(deal.price)} is not below the list price "
            f"{format_amount(target.price)} of {target.sku}",
            f"{product_path}.price",
        )
    if deal.seconds <= 0:
        check.error(f"{deal_path}.seconds", f"must be above zero (got {deal.seconds})")
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
        check.error(f"{deal_path}.stock", f"must be above zero (got {deal.stock})")
    elif target is not None and deal.stock > target.stock:
        check.error(
            f"{deal_path}.stock",
            f"deal stock {deal.stock} is above the stock {target.stock} of {target.sku}",
            f"{product_path}.stock",
        )
    elif target is not None:
        planned = deal_units_by_sku.get(target.sku, 0) + deal.stock
        deal_units_by_sku[target.sku] = planned
        if planned > target.stock:
            check.warning(
                f"{deal_path}.stock",
                f"the deals on {target.sku} plan {planned} units in all, more than its stock "
                f"{target.stock}",
                f"{product_path}.stock",
            )


def _check_amount(check: _Checker, path: str, amount: Decimal, currency: str, what: str) -> None:
    if not amount.is_finite():
        check.error(path, f"the {what} is not a finite number")
    elif amount < 0:
        check.error(path, f"the {what} must not be negative (got {format_amount(amount)})")
    elif amount > MAX_AMOUNT:
        check.error(path, f"the {what} {format_amount(amount)} is too large")
    elif CURRENCY_PATTERN.fullmatch(currency) and decimals_of(amount) > currency_digits(currency):
        allowed = currency_digits(currency)
        check.warning(
            path,
            f"{format_amount(amount)} has more decimals than {currency} uses ({allowed})",
        )


_MAGIC_NUMBERS: tuple[tuple[bytes, int], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0),
    (b"\xff\xd8\xff", 0),
    (b"WEBP", 8),
    (b"BM", 0),
)


def _check_image(check: _Checker, show: Show, relative: str, path: str, what: str) -> None:
    resolved = show.resolve(relative)
    if resolved is None:
        return
    where = f"{relative} (looked for {resolved})" if show.base_dir else relative
    try:
        with resolved.open("rb") as file:
            head = file.read(16)
    except FileNotFoundError:
        check.error(path, f"{what} file not found: {where}")
        return
    except IsADirectoryError:
        check.error(path, f"{what} is a folder, not an image file: {where}")
        return
    except OSError as error:
        check.error(path, f"{what} file cannot be read: {where}: {error.strerror or error}")
        return
    if not any(head[offset : offset + len(magic)] == magic for magic, offset in _MAGIC_NUMBERS):
        suffix = Path(relative).suffix.lower()
        kind = "an empty file" if not head else f"not a PNG, JPEG, WebP or BMP image ({suffix})"
        check.error(path, f"{what} {relative} is {kind}")
