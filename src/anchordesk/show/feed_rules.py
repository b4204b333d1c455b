"""The one rule for what an amount of money and a quantity from a feed may be.

A feed is a stranger's JSON: ``"1e309"`` parses as a finite ``Decimal``, ``-999.99`` as a
refund disguised as an order, ``1e26`` as more money than exists. Summed, one of them turns the
show's GMV into nonsense and the report's formatting into an exception. So every order and
order update is checked here once, by the store before it keeps it (a bad one is kept as
*rejected*, with its reason, never summed) and by the ledger before it adds (a session file
written before this rule still holds such values). docs/feed-protocol.md states the same rule.

An amount (order total, line unit price, refund) is valid when it is
- a finite decimal number, not negative;
- at most :data:`MAX_AMOUNT` (10^12 in the currency's units: above any real order, and far below
  where ``Decimal``'s 28 significant digits would start rounding a sum);
- exact in the currency's own digits (CLDR: JPY 0, CNY/USD 2, KWD 3): ``"19.990"`` is 19.99,
  ``"0.125"`` USD is rejected, never rounded into a price the shop did not charge. An order that
  names no currency is checked against the show's; with none known, 4 digits (ISO 4217's most).

A quantity (an order line's, a refund line's units) is a whole number from 1 to
:data:`MAX_QUANTITY`, and so are an order's (a refund's) lines together; an order (a refund)
has at most :data:`MAX_LINES` lines.

A currency (an order's, a refund's) is absent (the show's) or an ISO 4217 code: three letters
A-Z. Anything else (a 1 MB string, escape sequences, ``"12"``) is no currency: summed, it would
open a GMV line of its own under that name in every report and board.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from anchordesk.core.money import currency_digits
from anchordesk.core.printable import masked_cut
from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate, RefundLine
from anchordesk.show.validate import is_iso_currency

MAX_AMOUNT = Decimal(10) ** 12
MAX_QUANTITY = 100_000
# Lines of one order (one refund): the platforms' own order APIs take 499 (Shopify) or 2,500
# (Clover) line items; one order of 100,000 lines is no shop's, and the show applies an order
# whole, in one step of the loop (it held the window and the remote 1.1 s).
MAX_LINES = 10_000
#: Digits allowed when neither the item nor the show names a currency (ISO 4217's largest).
UNKNOWN_CURRENCY_DIGITS = 4

# Why an item is rejected: a code the reports translate, stored with the item.
AMOUNT_NOT_A_NUMBER = "amount_not_a_number"
AMOUNT_NEGATIVE = "amount_negative"
AMOUNT_TOO_LARGE = "amount_too_large"
AMOUNT_TOO_PRECISE = "amount_too_precise"
QUANTITY_INVALID = "quantity_invalid"
CURRENCY_INVALID = "currency_invalid"
UNREADABLE = "unreadable"  # the adapter could not read the item at all
# An order sent again under a kept order's id with another currency, total or lines (an edit
# on the platform): the first copy counts, this one is kept and listed, never silently lost.
ORDER_CHANGED = "order_changed"
# The same for a cancellation or refund (the same refund id with another amount or lines).
UPDATE_CHANGED = "update_changed"
# A cancellation or refund in another currency than its order's (never taken out of it), or
# with a status no platform sends: readable at the door, refused once its order is known.
UPDATE_CURRENCY_DIFFERS = "update_currency_differs"
UPDATE_STATUS_UNKNOWN = "update_status_unknown"
# A cancellation or refund whose order never arrived, or was rejected: nothing to take back,
# kept (applied if its order still arrives) and listed by the report, never left unsaid.
UPDATE_ORDER_NOT_COUNTED = "update_order_not_counted"
REASONS = (
    AMOUNT_NOT_A_NUMBER,
    AMOUNT_NEGATIVE,
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_PRECISE,
    QUANTITY_INVALID,
    CURRENCY_INVALID,
    UNREADABLE,
    ORDER_CHANGED,
    UPDATE_CHANGED,
    UPDATE_CURRENCY_DIFFERS,
    UPDATE_STATUS_UNKNOWN,
    UPDATE_ORDER_NOT_COUNTED,
)


@dataclass(frozen=True)
class Problem:
    """Why an item breaks the rule: ``reason`` is one of :data:`REASONS`, ``detail`` names the
    field and the value as received (for the log and the report)."""

    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.detail}: {self.reason.replace('_', ' ')}"


def allowed_digits(currency: str, default_currency: str = "") -> int:
    code = (currency or default_currency or "").strip()
    return currency_digits(code) if code else UNKNOWN_CURRENCY_DIGITS


#: Digits either side of the point past which an amount is said by its size (`amount_shown`).
_SHOWN_DIGITS = 40


def amount_shown(amount: Decimal | int) -> str:
    """An amount as a rejected item's words name it: written out ("10.001", "-5.00",
    "5000000000000") when it has at most 40 digits either side of the point, else by its
    size ("of 401 digits", "with 400 decimal places, negative"); never in Decimal's exponent form: a
    refund of ``1e400`` was listed in the report as "1.000000000000000000000000000E+400", a
    total as "1E+309", words no feed or person writes (docs/feed-protocol.md, "Amounts")."""
    value = Decimal(amount)
    if not value.is_finite():
        return str(value).lower()  # "nan", "inf", as JSON readers spell them
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    negative = ", negative" if value < 0 else ""
    if value and value.adjusted() >= _SHOWN_DIGITS:
        return f"of {value.adjusted() + 1:,} digits{negative}"
    if exponent < -_SHOWN_DIGITS:
        return f"with {-exponent:,} decimal places{negative}"
    return format(value, "f")


def amount_problem(what: str, amount: object, digits: int) -> Problem | None:
    """None when ``amount`` is a valid amount with at most ``digits`` decimal places."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        return Problem(AMOUNT_NOT_A_NUMBER, f"{what} {amount!r}")
    value = Decimal(amount)
    if not value.is_finite():
        return Problem(AMOUNT_NOT_A_NUMBER, f"{what} {amount_shown(value)}")
    if value < 0:
        return Problem(AMOUNT_NEGATIVE, f"{what} {amount_shown(value)}")
    if value > MAX_AMOUNT:
        return Problem(AMOUNT_TOO_LARGE, f"{what} {amount_shown(value)}")
    # Compare, never quantize: quantizing 1E+300 would raise; the ceiling above keeps this small.
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        return Problem(AMOUNT_TOO_PRECISE, f"{what} {amount_shown(value)}")
    return None


def quantity_problem(what: str, quantity: object) -> Problem | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return Problem(QUANTITY_INVALID, f"{what} {quantity!r}")
    if not 1 <= quantity <= MAX_QUANTITY:
        return Problem(QUANTITY_INVALID, f"{what} {quantity}")
    return None


def currency_problem(what: str, currency: str) -> Problem | None:
    """None when ``currency`` is absent or an ISO 4217 code (show/validate ``is_iso_currency``,
    the one rule: three capital letters alone, "RMB" was counted as its own currency)."""
    if currency == "" or is_iso_currency(currency):
        return None
    return Problem(CURRENCY_INVALID, f"{what} {masked_cut(currency, 21)!r}")


def order_problem(order: Order, default_currency: str = "") -> Problem | None:
    """The first way ``order`` breaks the rule, or None when it may be kept and counted."""
    problem = currency_problem("currency", order.currency)
    if problem is not None:
        return problem
    digits = allowed_digits(order.currency, default_currency)
    problem = amount_problem("total", order.total_price, digits) or _lines_problem(
        "order", order.lines
    )
    if problem is not None:
        return problem
    for line in order.lines:
        name = line.sku or "(no SKU)"
        problem = quantity_problem(f"line {name} quantity", line.quantity) or amount_problem(
            f"line {name} price", line.unit_price, digits
        )
        if problem is not None:
            return problem
    return _units_problem("order", order.lines)


def _lines_problem(what: str, lines: Sequence[OrderLine] | Sequence[RefundLine]) -> Problem | None:
    """Too many lines to be one order (one refund): said before any line is read."""
    if len(lines) > MAX_LINES:
        return Problem(QUANTITY_INVALID, f"{what} of {len(lines):,} lines (at most {MAX_LINES:,})")
    return None


def _units_problem(what: str, lines: Sequence[OrderLine] | Sequence[RefundLine]) -> Problem | None:
    """An order's (a refund's) lines together: each line within the rule, 80,000 lines of
    100,000 units made one $1.00 order of 8 billion mugs (the report's units, the stock on the
    picture), so the whole is held to the same bound as one line."""
    units = sum(line.quantity for line in lines)
    if units > MAX_QUANTITY:
        return Problem(QUANTITY_INVALID, f"{what} units {units:,} in {len(lines):,} lines")
    return None


def update_problem(update: OrderUpdate, default_currency: str = "") -> Problem | None:
    """The first way a cancellation or refund breaks the rule, or None."""
    problem = currency_problem("refund currency", update.currency)
    if problem is not None:
        return problem
    if update.refund is not None:
        digits = allowed_digits(update.currency, default_currency)
        problem = amount_problem("refund", update.refund, digits)
        if problem is not None:
            return problem
    problem = _lines_problem("refund", update.lines)
    if problem is not None:
        return problem
    for line in update.lines:
        problem = quantity_problem(f"refund line {line.sku or '(no SKU)'} quantity", line.quantity)
        if problem is not None:
            return problem
    return _units_problem("refund", update.lines)


def update_order_problem(update: OrderUpdate, order_currency: str | None) -> Problem | None:
    """Why ``update`` cannot be taken off its order (counted in ``order_currency``; None: its
    order not known yet), or None: a status that is neither cancelled nor refunded, or money
    in another currency than the order's. The one rule of the ledger (an update whose order
    came after it) and of the store, which applies it where the update is kept when its
    order is kept: decided in the ledger alone, the refused copy was kept as the counted one,
    and its copy sent again corrected under its id was refused as a changed copy ("the first
    copy counts") while that first copy was listed as not counted."""
    if update.status not in ("cancelled", "refunded"):
        return Problem(UPDATE_STATUS_UNKNOWN, f"unknown status {update.status!r}")
    if order_currency is not None and update.currency and update.currency != order_currency:
        return Problem(
            UPDATE_CURRENCY_DIFFERS,
            f"{update.status} in {update.currency} for an order in {order_currency}",
        )
    return None


def update_counted_problem(
    update: OrderUpdate, order_currency: str | None, default_currency: str = ""
) -> Problem | None:
    """Why ``update`` cannot be taken off its order counted in ``order_currency`` (None: its
    order not known yet, the amount rule then in ``default_currency``), or None. The one rule
    of the ledger (``Ledger._apply``) and of the store, at the door when the order is kept and
    when the order comes after its updates (``SessionStore`` sets those that break it aside
    as rejected): a copy the ledger refused was kept as the counted one, and its copy sent
    again corrected under its id was refused as a changed copy while the first was listed as
    not counted (a refund in EUR before its USD order, then in USD: GMV $20.00 for $15.00)."""
    return update_problem(update, order_currency or default_currency) or update_order_problem(
        update, order_currency
    )


def _amount_words(amount: Decimal) -> str:
    """`amount_shown` where an amount stands alone ("sent again as an amount of 310 digits
    USD"): only an order kept by an older version, before this rule, holds one."""
    shown = amount_shown(amount)
    return f"an amount {shown}" if shown.startswith(("of ", "with ")) else shown


def _order_words(order: Order) -> str:
    units = sum(line.quantity for line in order.lines)
    plural = "" if units == 1 else "s"
    total = _amount_words(order.total_price)
    return f"{total} {order.currency or '(no currency)'} for {units} unit{plural}"


def changed_copy_problem(kept: Order, again: Order) -> Problem | None:
    """None when ``again`` (the same id sent again) is the order ``kept``; otherwise why it is
    another one. Values are compared, not spellings ("24.0" is "24.00"); titles, times and the
    customer may change (a product renamed), the money and the units may not."""
    if terms_key(kept) == terms_key(again):
        return None
    return Problem(
        ORDER_CHANGED,
        f"sent again as {_order_words(again)}; the first copy counts: {_order_words(kept)}",
    )


# Beyond these the value is spelled from its digits: written out in full, a 30-byte total of
# "1e999999999" (rejected as too large, but keyed first) was a 1 GB string, 25 s and 3 GB.
_PLAIN_EXPONENT = 40


def _plain(amount: Decimal | None) -> str:
    """An amount by its value alone: "48.00", "48.0" and "4.8E+1" are all "48"; an amount
    far from any price (only a rejected one) as its digits and exponent ("1E+999999999")."""
    if amount is None:
        return "-"
    if not amount.is_finite():
        return str(amount)
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    if not amount:
        return "0"  # "-0.00" is 0.00 (a free gift's line), as Decimal compares them
    if exponent >= -_PLAIN_EXPONENT and amount.adjusted() <= _PLAIN_EXPONENT:
        text = format(amount, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    figures = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(figures)
    return f"{'-' if sign else ''}{figures or '0'}E{exponent}"


def terms_key(item: Order | OrderUpdate) -> str:
    """What makes a copy of an order the same order, as a digest stable across runs: its
    currency, total and lines (in any order) by value, so "24.0" is "24.00"; titles, times
    and the customer may change. For a cancellation or refund: its kind, money and units back.
    The one rule of the poller's dedupe, the store's changed copies (`changed_copy_problem`)
    and the key a rejected copy is kept under, so the same change sent again after a restart
    (a product renamed in between, or lines past the 2,000 characters kept of it) is kept once."""
    terms: list[object]
    # Units by product and price, not by line: a platform that sends two mugs as one line of
    # two, then as two lines of one (a split for a gift note), sends the same order, which was
    # listed as changed "in the same words twice" ("48.00 USD for 2 units" both times).
    units: Counter[tuple[str, str]] = Counter()
    if isinstance(item, Order):
        for line in item.lines:
            units[line.sku, _plain(line.unit_price)] += line.quantity
        lines = sorted([sku, quantity, price] for (sku, price), quantity in units.items())
        terms = [item.currency, _plain(item.total_price), lines]
    else:
        for back in item.lines:
            units[back.sku, ""] += back.quantity
        lines = sorted([sku, quantity] for (sku, _), quantity in units.items())
        terms = [item.status, _plain(item.refund), item.currency, lines]
    # JSON, so no text inside a SKU can make two different orders read alike.
    text = json.dumps(terms, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _update_words(update: OrderUpdate) -> str:
    units = sum(line.quantity for line in update.lines)
    # The currency always named, as the order's words do: a cancellation sent again in EUR
    # read "sent again as cancelled the whole order …; the first copy counts: cancelled the
    # whole order …", the same words twice for the change it was listed for.
    currency = update.currency
    if update.refund is None:
        money = f"the whole order in {currency}" if currency else "the whole order"
    else:
        money = f"{_amount_words(update.refund)} {currency}".strip()
    return f"{update.status} {money} with {units:,} unit{'' if units == 1 else 's'} back"


def changed_update_problem(kept: OrderUpdate, again: OrderUpdate) -> Problem | None:
    """As `changed_copy_problem`, for a cancellation or refund sent again under its id."""
    if terms_key(kept) == terms_key(again):
        return None
    return Problem(
        UPDATE_CHANGED,
        f"sent again as {_update_words(again)}; the first copy counts: {_update_words(kept)}",
    )
