"""Reading the platforms' JSON: exact money, plain text, URLs whose query is kept apart.

Money is read as ``Decimal`` straight from the JSON text (``parse_float=Decimal``): a price of
19.99 never goes through a float.

A page is a stranger's JSON: nesting deep enough to exhaust Python's recursion is a malformed
page (asked again), never an exception out of the poller, unless the depth is inside one
element of the page's item list: that element alone is rejected and the rest of the page kept
(``items_at``, see deep_json.py); an integer literal too long for
``int`` (4,301+ digits) is read as a ``Decimal``, so the one item holding it is rejected and the
rest of the page is kept (a whole page refused would be asked for again forever).
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from anchordesk.core.money import DECIMAL_TEXT
from anchordesk.core.printable import LONE_SURROGATE, escaped_id, masked_cut
from anchordesk.feeds.deep_json import (
    ItemPaths,
    UnreadableElement,
    load_deep_page,
    top_level_scalars,
)
from anchordesk.feeds.poller import MalformedResponse, http_date
from anchordesk.show.feed_items import MAX_RAW_CHARS, RejectedItem
from anchordesk.show.feed_rules import (
    AMOUNT_NEGATIVE,
    AMOUNT_NOT_A_NUMBER,
    AMOUNT_TOO_LARGE,
    MAX_AMOUNT,
    UNREADABLE,
    Problem,
    amount_problem,
    amount_shown,
    currency_problem,
)
from anchordesk.show.validate import currency_code

# How far the server's clock (its ``Date``) may be ahead of this computer's for a cursor taken
# from item times: two clocks kept by NTP differ by well under a second; one set by hand by
# minutes. A computer further behind the shop costs a few orders asked again, not lost ones.
MAX_SERVER_CLOCK_AHEAD_S = 300

# Python's limit on int() of a decimal string (sys.get_int_max_str_digits' default).
_INT_DIGITS = 4300


def _integer(text: str) -> int | Decimal:
    return int(text) if len(text.lstrip("-")) <= _INT_DIGITS else Decimal(text)


class UnreadableNumber:
    """A JSON number no Decimal holds: an exponent past Decimal's (``1e999999999999999999999``).
    Read as Decimal, it raised InvalidOperation out of the page's parse: the whole page was
    refused, asked for again and again, and no later item of the feed was ever read. Kept as
    this, the one item holding it is rejected ("not an amount: 1e999…") and the rest read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _decimal(text: str) -> Decimal | UnreadableNumber:
    try:
        return Decimal(text)
    except InvalidOperation:
        return UnreadableNumber(text)


class GivenTwice(dict[str, Any]):
    """A JSON object that names a field more than once (JSON leaves which one counts to the
    reader; Python's keeps the last, silently): ``names`` are those given twice."""

    names: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    twice = GivenTwice(found)
    seen: set[str] = set()
    again: list[str] = []
    for name, _value in pairs:  # linear: a page may hold an object of 100,000 names
        if name in seen:
            again.append(name)
        seen.add(name)
    twice.names = tuple(again)
    return twice


def name_given_twice(value: object) -> str | None:
    """The first name an object in ``value`` (at any depth) gives twice, or None."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, GivenTwice):
            return current.names[0]
        if isinstance(current, dict):
            stack.extend(reversed(current.values()))
        elif isinstance(current, list):
            stack.extend(reversed(current))
    return None


def given_twice_words(name: str) -> str:
    """Why an item that gives a field twice is refused: "total" 10.00 and then 1000.00, an
    order counted at the value the reader happened to keep."""
    return f"the field {json_shown(name)} is given twice: which one is meant cannot be told"


def load_json_text(text: str) -> Any:
    """JSON text read by every feed's number rule: a fraction as Decimal, an integer past
    Python's 4,300 digits as Decimal, a number no Decimal holds as :class:`UnreadableNumber`
    (json.loads alone raised ValueError for the whole text). An object that gives a name twice
    is a :class:`GivenTwice` (see :func:`name_given_twice`)."""
    return json.loads(text, parse_float=_decimal, parse_int=_integer, object_pairs_hook=_object)


# A \u escape of half a surrogate pair with no other half (JSON's grammar allows it; a server
# that cut an emoji in two sends it). Escaped backslashes are matched first, so ``\\ud800``
# (a backslash, then "ud800") is left as it is.
_ESCAPES = re.compile(
    r"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)


# The first look, with no callback per match: exact when the text has no escaped backslash
# (then every backslash starts an escape); with one, the exact pass above decides.
# (It starts with the literal "\\u", so the engine jumps from one escape to the next.)
_LONE_WITHOUT_ESCAPED_BACKSLASHES = re.compile(
    r"\\u[dD](?:[89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    r"|[c-fC-F](?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F]))"
)


def _lone_half(match: re.Match[str]) -> str:
    return "\\ufffd" if len(match.group()) == 6 else match.group()


def json_text(text: str) -> str:
    """JSON text in which a lone surrogate (``"\\ud800"``) reads as U+FFFD: Python's reader
    would keep it, and the session file (UTF-8) could then not store the page at all, so the
    feed would ask for it again forever and nothing after it would arrive."""
    if "\\u" not in text:
        return text
    if "\\\\" not in text and _LONE_WITHOUT_ESCAPED_BACKSLASHES.search(text) is None:
        return text
    return _ESCAPES.sub(_lone_half, text)


#: Where a value sits in an item: the keys of the objects down to it.
IdPath = tuple[str, ...]


# The fields of an item that name it or another item: a lone surrogate there is not spoilt text
# but what tells the id from another (a bridge that cut an emoji in two, at different places).
# A deletion's ``comment_id`` too: a comment whose id holds a lone half is rejected, so such a
# deletion names no comment kept; escaped, "c" + a lone half named the comment "c\\ud800".
ID_FIELDS: tuple[IdPath, ...] = (("id",), ("refund_id",), ("comment_id",))


def value_at(raw: object, path: IdPath) -> object:
    """The value at ``path`` in ``raw`` (objects only), None when there is none."""
    for key in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def lone_half_ids(raw: object, paths: tuple[IdPath, ...] = ID_FIELDS) -> list[IdPath]:
    """The id fields of ``raw`` (at ``paths``, the JSON feed's by default) holding a lone
    surrogate."""
    return [
        path
        for path in paths
        if isinstance(value := value_at(raw, path), str) and LONE_SURROGATE.search(value)
    ]


# The fields that name an author (a ban, a comment's author): kept with each lone surrogate as
# its ``\uXXXX`` escape (core/printable.escaped_id), the same text in the comment and in
# the removal naming it. As U+FFFD, "u\ud800" and "u\udc00" were one author: a ban of one hid
# the other's comments too.
REFERENCE_FIELDS: tuple[IdPath, ...] = (("author_id",),)


def escaped_references(raw: object, paths: tuple[IdPath, ...] = REFERENCE_FIELDS) -> object:
    """``raw`` with the lone surrogates of its references (at ``paths``, the JSON feed's by
    default) escaped (a copy when any)."""
    # Every reference: one sent as the six characters "u\\ud800" is escaped as well (its
    # backslash doubled), or a ban of it named the author "u" + a lone half too.
    for path in paths:
        value = value_at(raw, path)
        if isinstance(value, str) and (escaped := escaped_id(value)) != value:
            raw = _replaced_at(raw, path, escaped)
    return raw


def _replaced_at(raw: Any, path: IdPath, value: str) -> Any:
    head, rest = path[0], path[1:]
    return {**raw, head: _replaced_at(raw[head], rest, value) if rest else value}


def lone_half_rejected(
    source: str, kept: object, raw: object, path: IdPath, kind: str = ""
) -> RejectedItem:
    """The item ``kept`` (as read, lone halves kept; ``raw`` without them) whose id at ``path``
    holds a lone surrogate, rejected: which id it is cannot be told for sure (the sender cut
    a character in two), so it is named by its id escaped (or, having no ``id``, by the one
    at ``path``), never made one with another."""
    name = path[-1]
    value = escaped_id(str(value_at(kept, path)))
    error = ValueError(
        f'{name} "{value}" holds half a character (a lone surrogate), so it '
        "cannot be told from another id"
    )
    rejected = unreadable_item(source, raw, error, kind)
    # Told from another by the id as sent: its raw holds U+FFFD for the half, so two
    # refunds of one order told apart only by their refund_id were one rejected item,
    # and the second was dropped unsaid.
    told_apart = f"{rejected.key or rejected.raw}\x00{name}={value}"
    key = hashlib.sha256(told_apart.encode("utf-8", "replace")).hexdigest()[:16]
    rejected = dataclasses.replace(rejected, key=key)
    item_id = value_at(kept, ("id",))
    if isinstance(item_id, str):
        rejected = dataclasses.replace(rejected, item_id=escaped_id(item_id))
    elif not rejected.item_id:  # an item without an id of its own: named by the one sent
        rejected = dataclasses.replace(rejected, item_id=value)
    return rejected


def without_lone_halves(value: Any) -> Any:
    """``value`` (a page read with ``keep_lone_halves``) with every lone surrogate as U+FFFD,
    as :func:`json_text` reads it: the session file (UTF-8) can store it."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_halves(element) for element in value]
    if isinstance(value, dict):
        return {without_lone_halves(k): without_lone_halves(v) for k, v in value.items()}
    if isinstance(value, UnreadableElement):
        return UnreadableElement(
            without_lone_halves(value.text), value.reason, without_lone_halves(value.fields)
        )
    return value


# The charsets a web page may be written in (the WHATWG Encoding Standard's, by Python's codec
# names). A ``charset`` naming any other of Python's codecs is no charset of the web: "undefined"
# raised UnicodeError (not a decode error) out of every page, so the feed read nothing for the
# show; "unicode_escape" rewrote the JSON's escapes, "cp037" (EBCDIC) made the page no JSON.
_WEB_CHARSETS = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8", "utf-16-le", "utf-16-be", "utf-16", "ibm866", "latin-1", "iso-8859-2",
        "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8",
        "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15", "iso-8859-16", "koi8-r",
        "koi8-u", "mac-roman", "mac-cyrillic", "cp874", "cp1250", "cp1251", "cp1252", "cp1253",
        "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "gbk", "gb18030", "big5", "euc-jp",
        "iso-2022-jp", "shift_jis", "euc-kr",
    )
)  # fmt: skip


def _web_charset(name: str) -> str | None:
    """``name``'s codec when it is a charset of the web, else None."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return codec if codec in _WEB_CHARSETS else None


def body_text(response: httpx.Response, keep_lone_halves: bool = False) -> str:
    """The body as text, for JSON: UTF-8 (or UTF-16/32, told by the first bytes, as JSON's
    reader does). A body that is not: in the charset its ``Content-Type`` names, if that is a
    charset of the web and reads it, else with the bytes that cannot be read as U+FFFD: one
    wrong byte (a server's Latin-1 name) spoils a name, never the page and every page after
    it."""
    content = response.content
    encoding = json.detect_encoding(content)
    as_json = (lambda text: text) if keep_lone_halves else json_text
    try:
        return as_json(content.decode(encoding))
    except UnicodeDecodeError:
        pass
    declared = _web_charset(response.charset_encoding or "")
    if declared:
        with contextlib.suppress(UnicodeError):
            return as_json(content.decode(declared))
    return as_json(content.decode(encoding, "replace"))


def load_json(
    response: httpx.Response, items_at: ItemPaths = (), keep_lone_halves: bool = False
) -> Any:
    """The page's JSON. ``items_at``: where the page keeps its items (paths of object keys);
    an element there nested too deep to read comes back as an :class:`UnreadableElement`.
    ``keep_lone_halves``: a lone surrogate (``"\\ud800"``) is kept as it is, for a reader
    that tells ids apart by it (:func:`lone_half_ids`) and then calls :func:`without_lone_halves`;
    else every one reads as U+FFFD."""
    text = body_text(response, keep_lone_halves)
    if not text.strip():  # a 204, or a 200 with nothing in it: "not JSON" sent people looking
        raise MalformedResponse(
            f"an empty answer (HTTP {response.status_code}) where a page of JSON was expected"
        )
    try:
        return load_json_text(text)
    except RecursionError:
        page = _load_deep(text, items_at) if items_at else None
        if page is None:
            raise MalformedResponse("nested too deep (RecursionError)") from None
        return page
    except ValueError as error:
        kind = masked_cut(response.headers.get("Content-Type", "").split(";")[0].strip(), 60)
        if kind and "json" not in kind.lower():  # an HTML error page, a login form, a proxy's
            raise MalformedResponse(f"not JSON: the server sent {kind}") from None
        raise MalformedResponse(f"not JSON ({error.__class__.__name__})") from None


class _Spelled(str):
    """A number of a page as the server wrote it."""


def number_as_sent(response: httpx.Response, key: str) -> str | None:
    """The page's top-level number ``key`` as the server wrote it; None when it is no number.
    Read as a value, a cursor ``1e400`` was sent back as ``1E+400``, ``0.0000001`` as ``1E-7``,
    ``-0`` as ``0`` and ``NaN`` as ``nan``: a server that looks its cursors up by their text
    knew none of them. Only the page's own members are read again (its lists never are)."""
    text = body_text(response, keep_lone_halves=True)
    fields = top_level_scalars(
        text,
        lambda part: json.loads(
            part, parse_float=_Spelled, parse_int=_Spelled, parse_constant=_Spelled
        ),
    )
    value = fields.get(key)
    return str(value) if isinstance(value, _Spelled) else None


def _load_deep(text: str, items_at: ItemPaths) -> Any:
    try:
        return load_deep_page(text, items_at, load_json_text)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedResponse(f"not JSON ({error.__class__.__name__})") from None


def readable(raw: object) -> object:
    """``raw`` itself, unless it is an element that could not be read: then why, as the
    ``ValueError`` an adapter turns into a rejected item."""
    if isinstance(raw, UnreadableElement):
        raise ValueError(raw.reason)
    return raw


def fields_of(raw: object) -> dict[str, Any]:
    """The item's object, or what could be read of it (its id, its type) when it could not."""
    if isinstance(raw, UnreadableElement):
        return raw.fields
    return raw if isinstance(raw, dict) else {}


def json_shown(value: object) -> str:
    """A value from a feed as its JSON spells it, for a rejected item's words: ``true``,
    ``null``, ``[true]``, ``"abc"``; cut to 40 characters. Python's spelling ("status None",
    "not an amount: [True]") was listed in the report, words the feed never sent."""
    if isinstance(value, Decimal | int | UnreadableNumber) and not isinstance(value, bool):
        text = str(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return masked_cut(text, 41)  # masked whole, then cut (a URL cut before its '@' showed)


def money(value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError("missing amount")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        # JSON's number syntax only: Decimal() alone also takes "1_000" and full-width digits.
        if not DECIMAL_TEXT.fullmatch(value.strip()):
            raise ValueError(f"not an amount: {json_shown(value)}")
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not an amount: {json_shown(value)}") from None
        if not amount.is_finite():
            raise ValueError(f"not an amount: {json_shown(value)}")
        return amount
    raise ValueError(f"not an amount: {json_shown(value)}")


class BreaksTheRule(ValueError):
    """An item that could be read, but breaks the amount rule (show/feed_rules.py) in a way
    that must be refused as it is read: it is rejected with the rule's reason, not as
    unreadable."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.reason = problem.reason


def refund_amount(value: object) -> Decimal | None:
    """A refund amount: None when absent (the whole order), else a non-negative amount within
    the ceiling. Refused as it is read (``1e999999999`` cannot even be summed or keyed), with
    the rule's reason, so the report lists it as an order's total past the ceiling is listed
    ("refund of 401 digits — amount above the ceiling"), not as an unreadable item in
    Decimal's spelling ("refund 1.000000000000000000000000000E+400 is not an amount")."""
    if value is None:
        return None
    amount = money(value)
    if amount < 0:
        raise BreaksTheRule(Problem(AMOUNT_NEGATIVE, f"refund {amount_shown(amount)}"))
    if amount > MAX_AMOUNT:
        raise BreaksTheRule(Problem(AMOUNT_TOO_LARGE, f"refund {amount_shown(amount)}"))
    return amount


def quantity_as_sent(value: object, what: str = "quantity") -> int:
    """A line's quantity: a whole number >= 0, as the feed wrote it (0 and one above the
    ceiling are the rule's, show/feed_rules.py). Anything else is refused quoting it: every
    one was "bad quantity", whatever the feed had sent (1.5, "2", NaN, true)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"bad {what}: {json_shown(value)}")
    return value


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # as the feed wrote it, not Python's "True"
    if isinstance(value, list | dict):
        # As the feed wrote it: a comment's text {"a": 1} was shown as Python's {'a': 1}.
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (ValueError, RecursionError):
            return ""
    return value if isinstance(value, str) else ("" if value is None else str(value))


def currency_as_sent(value: object) -> str:
    """An item's currency, read by the one rule (show/validate.currency_code)."""
    return currency_code(as_text(value))


def item_id(value: object) -> str:
    """An item's ``id`` (or the id it names) as the session keys it: a string or an integer,
    without the white space around it. A bridge that pads an id once (" o1", "o1\\n" from a
    spreadsheet) would otherwise have its order counted twice; case is kept (platform ids are
    case-sensitive).

    An id that is there but of another kind (``1.5``, ``1e0``, ``true``, a list) is said so,
    as the feed spelled it: it was "no id", although the feed sent one; so is a whole number
    past Python's integer digits (read as Decimal by :func:`load_json_text`), far longer than
    any id is kept (feeds/hub.py ``MAX_ID_CHARS``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("no id")
    return _id_text(value, "id")


def _id_text(value: object, name: str) -> str:
    """An id that is there, by the one rule of every id an item has or names."""
    if isinstance(value, Decimal) and _long_integer(value):
        digits = len(value.as_tuple().digits)
        raise ValueError(f"{name} {json_shown(value)} is a number of {digits:,} digits, too long")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name} {json_shown(value)} is not a text or a whole number")
    return str(value).strip()


def _long_integer(value: object) -> bool:
    """Whether ``value`` is a JSON integer too long for int (:func:`_integer`'s Decimal)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    shape = value.as_tuple()
    return shape.exponent == 0 and len(shape.digits) > _INT_DIGITS


def optional_id(value: object, name: str) -> str:
    """An id the item may name (``refund_id``, ``comment_id``, ``author_id``): "" when absent,
    else by :func:`item_id`'s rule and in its words. They differed: ``"refund_id": 1.5`` was
    "is not an id", ``"id": 1.5`` "is not a text or a whole number", and a 5,000-digit
    ``refund_id`` was said "is not an id" written out in Decimal's spelling."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return _id_text(value, name)


def server_time(response: httpx.Response, now_epoch_s: Callable[[], float] = time.time) -> datetime:
    """The latest time an item may be stamped with: the server's clock when it answered (its
    ``Date`` header, RFC 9110), or this computer's when that is later or absent.

    A cursor taken from the items' own times ("updated since ...") never moves past it: one
    item stamped in the future (a shop's bad data, a clock set wrong) would move the cursor
    there, and every item of the hours in between would never be asked for. The later of the
    two clocks: a ``Date`` of 1970 (a proxy's dead clock) made every item "in the future", so
    the cursor never moved and every poll asked for the whole session's orders again. But
    never more than `MAX_SERVER_CLOCK_AHEAD_S` ahead of this computer's: a ``Date`` of 2099 (a
    proxy's wrong clock) and an order stamped in 2099 moved the cursor there together."""
    own = datetime.fromtimestamp(now_epoch_s(), UTC)
    server = http_date(response.headers.get("date"))
    if server is None or server < own:
        return own
    return min(server, own + timedelta(seconds=MAX_SERVER_CLOCK_AHEAD_S))


def iso_time(text: str) -> datetime | None:
    """An ISO 8601 time as an aware datetime (UTC when it names no offset); None when it is
    none."""
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def url_and_query(url: str) -> tuple[str, list[tuple[str, str]]]:
    """``url`` without its query and fragment, and its query's pairs as written: a name given
    twice (``?channel=a&channel=b``, ``?types[]=order&types[]=comment``) is sent twice."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), pairs


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """:func:`url_and_query` with one value a name (the last), for the APIs whose parameters
    are each given once (Shopify, Twitch, YouTube)."""
    endpoint, pairs = url_and_query(url)
    return endpoint, dict(pairs)


# Python's own words for a value of the wrong kind met while an item is read (an index, a
# .get(), a loop), and the JSON kind each type name is.
_WRONG_KIND = (
    (re.compile(r"'(\w+)' object has no attribute '(?:get|items|keys)'"), "an object"),
    (re.compile(r"(\w+) indices must be integers"), "an object"),
    (re.compile(r"'(\w+)' object is not subscriptable"), "an object or a list"),
    (re.compile(r"(?:'(\w+)' object|argument of type '(\w+)') is not iterable"), "a list"),
)
_KIND_OF_TYPE = {
    "NoneType": "null",
    "bool": "true or false",
    "int": "a number",
    "float": "a number",
    "Decimal": "a number",
    "UnreadableNumber": "a number",
    "str": "a text",
    "string": "a text",
    "list": "a list",
    "tuple": "a list",
    "dict": "an object",
}


def error_words(error: Exception) -> str:
    """Why an item could not be read, in the words of its JSON: the report listed "'text'" (a
    KeyError's key), "'int' object is not iterable" and "[<class 'decimal.Overflow'>]", which
    no user can act on."""
    if isinstance(error, KeyError) and len(error.args) == 1:
        return f"no {json_shown(error.args[0])} field"
    if isinstance(error, ArithmeticError) and str(error).startswith("[<class 'decimal."):
        return "an amount too large to compute with"  # Decimal's Overflow says only its class
    if isinstance(error, TypeError | AttributeError):
        for pattern, wanted in _WRONG_KIND:
            found = pattern.search(str(error))
            if found is not None:
                found_kind = _KIND_OF_TYPE.get(next(g for g in found.groups() if g), "a value")
                return f"{found_kind} where {wanted} belongs"
    return str(error) or type(error).__name__  # cut by the hub, once its secrets are masked


def unreadable_item(source: str, raw: object, error: Exception, kind: str = "") -> RejectedItem:
    """An item of a page that cannot be read, as the session keeps it (rejected, with why):
    never silently dropped. ``kind`` is what it claims to be when the adapter knows."""
    fields = fields_of(raw)
    claimed = fields.get("type")
    raw_id = fields.get("id")
    if isinstance(raw, UnreadableElement):
        text = raw.text
    else:
        try:
            text = json.dumps(raw, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(raw)
        except RecursionError:  # readable, yet too deep to write out again: its start
            text = "(nested too deep to show)"
    # Told from another bad item by the whole of it, not by the part kept: two refunds of one
    # order, or two comments without an id, the same in their first 2,000 characters (a long
    # status, a pasted text) were one item to the store, and the second was dropped unsaid.
    # Kept whole here: the hub masks the feed's secrets in it, then cuts it to the sizes the
    # session keeps (`rejected_as_kept`).
    key = ""
    if len(text) > MAX_RAW_CHARS:
        key = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    item_id = "" if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) else str(raw_id)
    return RejectedItem(
        source=source,
        kind=kind or (claimed if isinstance(claimed, str) else ""),
        item_id=item_id,
        reason=error.reason if isinstance(error, BreaksTheRule) else UNREADABLE,
        detail=error_words(error),
        raw=text,
        key=key,
    )


def paid_amount_problem(
    what: str, amount: object, currency: tuple[str, str], digits: int
) -> Problem | None:
    """Why the amount of a paid comment (a Super Chat, a cheer's bits) breaks the amount rule
    (show/feed_rules.py), or None. ``what`` names the field as the platform spells it,
    ``currency`` is (its field's name, the code sent)."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        return Problem(AMOUNT_NOT_A_NUMBER, f"{what} {json_shown(amount)}")
    return currency_problem(*currency) or amount_problem(what, amount, digits)


def rejected_paid_amount(
    source: str, comment_id: str, problem: Problem, raw: object
) -> RejectedItem:
    """The amount of a paid comment that breaks the amount rule, as the session keeps it:
    rejected with its reason and listed in the report, never summed. The comment itself is
    kept and shown without an amount (docs/feed-protocol.md, "Amounts"): the whole comment
    was rejected before (its text never shown), or its 5,000-digit amount kept as paid."""
    try:
        text = json.dumps(raw, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = "(not shown)"
    return RejectedItem(
        source=source,
        kind="paid_amount",
        item_id=comment_id,
        reason=problem.reason,
        detail=problem.detail,
        raw=text,
    )


def number_as_float(value: object) -> float | None:
    """A number a server sent (an int, a float, a Decimal; never a bool) as a float, or None
    when it is not one. An integer too large for a float (a 401-digit one: JSON allows it and
    the parsers keep it exact) is the infinity of its sign, as a float literal of that size
    reads: float() raised OverflowError out of the answer's reading, so the whole answer
    failed ("unexpected error (OverflowError)") for as long as the server sent it."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def wait_ms_as_s(value: object) -> float | None:
    """A server's wait in milliseconds (``poll_ms``, ``pollingIntervalMillis``) in seconds, or
    None when it is not a number. A number too large for a float (a 401-digit integer) is an
    infinite wait, clamped by the poller like any other too long one: float() raised
    OverflowError out of the page's parse, and the page was refused for ever."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    try:
        return float(value) / 1000.0
    except OverflowError:
        return math.inf
