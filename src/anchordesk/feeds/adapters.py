"""The platforms' calls: the generic JSON feed here; YouTube (youtube.py), Shopify (shopify.py,
shopify_graphql.py) and Twitch (twitch.py, a push feed) in modules of their own, re-exported.

Each adapter only builds a request and reads a response; the polling core (poller.py) does the
waiting, retrying and storing. Base URLs are whatever the user passed with ``--feed``, so every
adapter can point at a local server (tests, a bridge, a mirror).

Money is read as ``Decimal`` straight from the JSON text (``parse_float=Decimal``): a price of
19.99 never goes through a float.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote, unquote_plus, urlsplit

import httpx

from anchordesk.core.json_kinds import json_kind
from anchordesk.core.printable import DEFAULT_IGNORABLE, masked_cut
from anchordesk.core.redact import url_secrets
from anchordesk.feeds.parsing import (
    GivenTwice,
    as_text,
    currency_as_sent,
    escaped_references,
    given_twice_words,
    item_id,
    json_shown,
    load_json,
    lone_half_ids,
    lone_half_rejected,
    money,
    name_given_twice,
    number_as_sent,
    optional_id,
    quantity_as_sent,
    readable,
    refund_amount,
    unreadable_item,
    url_and_query,
    wait_ms_as_s,
    without_lone_halves,
)
from anchordesk.feeds.poller import FeedRequest, MalformedResponse, Page
from anchordesk.feeds.removals import removal_item
from anchordesk.feeds.shopify import SHOPIFY_PAGE_LIMIT, ShopifyOrdersAdapter
from anchordesk.feeds.spec import asks_token_in_path, path_with_token
from anchordesk.feeds.viewers import viewers_item
from anchordesk.feeds.youtube import YOUTUBE_DEFAULT_URL, YouTubeChatAdapter
from anchordesk.show.feed_items import (
    ORDER_UPDATE_STATUSES,
    Comment,
    FeedItem,
    Order,
    OrderLine,
    OrderUpdate,
    RefundLine,
)

__all__ = [
    "SHOPIFY_PAGE_LIMIT",
    "YOUTUBE_DEFAULT_URL",
    "JsonFeedAdapter",
    "ShopifyOrdersAdapter",
    "YouTubeChatAdapter",
    "load_json",
]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# The generic JSON feed (docs/feed-protocol.md)
# --------------------------------------------------------------------------------------------


#: The fields of a page the feed reads (docs/feed-protocol.md): one given twice refuses the page.
_PAGE_FIELDS = frozenset({"items", "next", "more", "ended", "poll_ms"})


def _lines(value: object, *, required: bool = False) -> list[Any]:
    """An item's ``lines``: a list; an empty object (what some JSON writers make of an empty
    list) is none, and so is ``null`` (``false``, ``""``) where they are optional (a
    refund's), as before. One line sent as an object, its list forgotten, was gone through
    name by name ("a text where an object belongs")."""
    if value == {} or (not required and not value):
        return []
    if not isinstance(value, list):
        raise ValueError(f"lines: {json_kind(value)} where a list belongs")
    return value


def _kind_as_read(kind: str) -> str:
    """``kind`` as a person reads it: compatibility forms (full-width letters) folded, case
    folded, characters with no glyph or no place in a name (controls, format characters,
    spaces, the default-ignorable ones: "\u1160order" is a letter, Lo, that shows as nothing)
    dropped, and "-" read as "_"."""
    shown = DEFAULT_IGNORABLE.sub("", kind)
    folded = unicodedata.normalize("NFKC", shown).casefold().replace("-", "_")
    return "".join(
        char
        for char in folded
        if unicodedata.category(char) not in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn")
    )


# The item types of docs/feed-protocol.md.
_KINDS = ("comment", "comment_removed", "order", "order_update", "viewers")
# How a type is spelled: one that is not known and spelled so is a newer bridge's (ignored).
_NEWER_KIND = re.compile("[a-z][a-z0-9_]*")


def _respelled(value: object) -> bool:
    """Whether a number read from a page may be written otherwise than the server wrote it: a
    fraction or an exponent (Decimal), NaN or Infinity (float), minus zero. A whole number
    other than 0 is written back as it was (JSON has one spelling for it)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, Decimal | float) or (isinstance(value, int) and value == 0)


class JsonFeedAdapter:
    """``GET URL?after=CURSOR`` → ``{"items": [...], "next": CURSOR, "poll_ms": N}``."""

    default_interval_s = 1.0

    def __init__(self, url: str, token: str | None, source: str = "json") -> None:
        self.source = source
        # Every pair of the URL's query, a name given twice sent twice: read into a dict,
        # "?types[]=order&types[]=comment" asked for comments only, and every order of the
        # show stayed on the bridge without a word.
        self._token = token or ""
        # A URL that asks for its token in its path (``/feed;token=``: the settings moved it
        # from there to the keyring) gets it back there, where the bridge reads it, and sends
        # no Authorization header (the bridge was never sent one).
        self._in_path = bool(self._token) and asks_token_in_path(url)
        if self._in_path:
            url = path_with_token(url, self._token)
        # The query's items as written, sent so (a bare word "?flag" was sent "flag=", which a
        # bridge reading flags by their presence alone may take for another value), every
        # one: a name given twice is sent twice.
        self._endpoint = url_and_query(url)[0]
        self._extra = [item for item in urlsplit(url).query.split("&") if item]
        # The secrets its own URL carries (``?token=``, ``access_token=``, ``key=``, user info)
        # by the one rule: a feed echoing one in a rejected item kept it whole in the session,
        # the report and the log. Not the URL itself when it holds none.
        self._url_secrets = tuple(s for s in url_secrets(url) if s not in (url, unquote(url)))

    def secrets(self) -> tuple[str, ...]:
        return ((self._token,) if self._token else ()) + self._url_secrets

    def request(self, cursor: str | None) -> FeedRequest:
        items = [
            item
            for item in self._extra
            if not cursor or unquote_plus(item.partition("=")[0]) != "after"
        ]
        if cursor:
            items.append(f"after={quote(cursor, safe='')}")
        url = f"{self._endpoint}?{'&'.join(items)}" if items else self._endpoint
        sent = self._token and not self._in_path
        headers = {"Authorization": f"Bearer {self._token}"} if sent else {}
        return FeedRequest(url, (), headers)

    def ended_reason(self, response: httpx.Response) -> str | None:
        return "the feed is gone (HTTP 410)" if response.status_code == 410 else None

    def parse(self, response: httpx.Response, cursor: str | None) -> Page:
        # Lone surrogates kept until the ids are read: read as U+FFFD first, "s2\ud800" and
        # "s2\udc00" were one order (one dropped unsaid, one rejected as sent again).
        body = load_json(response, items_at=[("items",)], keep_lone_halves=True)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise MalformedResponse("expected an object with an 'items' list")
        if isinstance(body, GivenTwice) and (read := set(body.names) & _PAGE_FIELDS):
            # {"items":[o1],"items":[]}: the first list was dropped unsaid and the cursor moved
            # past it. Refused whole, as a page that cannot be read is.
            raise MalformedResponse(given_twice_words(min(read)))
        items: list[FeedItem] = []
        malformed = 0
        for kept in body["items"]:
            raw = without_lone_halves(escaped_references(kept))
            lone = lone_half_ids(kept)
            if lone:
                # Which id it is cannot be told for sure (the bridge cut a character in
                # two): rejected, named by its id escaped, never made one with another.
                malformed += 1
                items.append(lone_half_rejected(self.source, kept, raw, lone[0]))
                continue
            if (twice := name_given_twice(kept)) is not None:
                # "total":"10.00","total":"1000.00", or two ids: kept as rejected, with why,
                # never counted at the reading Python's reader happened to keep (the last).
                malformed += 1
                items.append(
                    unreadable_item(self.source, raw, ValueError(given_twice_words(twice)))
                )
                continue
            try:
                item = self._item(readable(raw))  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                malformed += 1
                # Kept as rejected (the hub logs it once and the report lists it).
                items.append(unreadable_item(self.source, raw, error))
                continue
            if item is not None:
                items.append(item)
        next_cursor = without_lone_halves(body.get("next"))
        if _respelled(next_cursor):
            next_cursor = number_as_sent(response, "next")
            if next_cursor is None:
                raise MalformedResponse("its 'next' cursor cannot be read as it was written")
        poll_ms = body.get("poll_ms")
        interval_s = wait_ms_as_s(poll_ms)
        return Page(
            items=items,
            cursor=as_text(next_cursor) if next_cursor not in (None, "") else None,
            interval_s=interval_s,
            more=body.get("more") is True,
            ended=body.get("ended") is True,
            malformed_items=malformed,
        )

    def _item(self, raw: Mapping[str, Any]) -> FeedItem | None:
        if not isinstance(raw, Mapping):  # Python's words were "'list' object has no attribute…"
            raise TypeError(f"an item must be an object, not {json_kind(raw)}")
        if raw.get("type") == "viewers":  # an id is optional for viewer counts (feeds/viewers.py)
            return viewers_item(self.source, raw)
        kind = raw["type"]
        if not isinstance(kind, str):
            raise ValueError(f"type {json_shown(kind)} is not a text")
        if kind not in _KINDS and kind.strip().lower() in _KINDS:
            # Not a newer bridge's kind (those are ignored): a bridge sending "Order" had every
            # order dropped unsaid, the report at 0 orders and 0 rejected.
            raise ValueError(
                f"type {json_shown(kind)} is not {json_shown(kind.strip().lower())}"
                " (types are lower case)"
            )
        if kind not in _KINDS and _kind_as_read(kind) in _KINDS:
            # Nor one that only looks like a known type: full-width letters ("ｏｒｄｅｒ"), an
            # invisible or control character ("order\u200b", "order\u0000"), "order-update".
            # These were dropped unsaid, and printed or read as "order".
            raise ValueError(
                f"type {json_shown(kind)} is not {json_shown(_kind_as_read(kind))}"
                " (types are plain lower-case ASCII letters and _)"
            )
        if kind not in _KINDS and not _NEWER_KIND.fullmatch(kind):
            # Only a type spelled as the protocol's are is a newer bridge's (ignored): any other
            # is rejected, whatever it holds. By a list of invisible characters, "order\u2800"
            # (a Braille blank, no default-ignorable one) was dropped unsaid, read as "order ".
            shown = json.dumps(kind)  # every character past ASCII as its escape
            raise ValueError(
                f"type {masked_cut(shown, 41)} is no type of the "
                "protocol (types are plain lower-case ASCII letters, digits and _)"
            )
        the_id = item_id(raw["id"])
        if kind == "comment":
            return Comment(
                source=self.source,
                id=the_id,
                author=as_text(raw.get("author")),
                text=as_text(raw["text"]),
                published_at=as_text(raw.get("at")),
                is_moderator=raw.get("moderator") is True,
                is_owner=raw.get("owner") is True,
                author_id=optional_id(raw.get("author_id"), "author_id"),
            )
        if kind == "comment_removed":
            return removal_item(self.source, raw)
        if kind == "order":
            lines = []
            for line in _lines(raw["lines"], required=True):
                quantity = quantity_as_sent(line["quantity"])
                lines.append(
                    OrderLine(
                        sku=as_text(line["sku"]).strip(),
                        quantity=quantity,
                        unit_price=money(line["price"]),
                        title=as_text(line.get("title")),
                    )
                )
            total = raw.get("total")
            return Order(
                source=self.source,
                id=the_id,
                currency=currency_as_sent(raw.get("currency")),
                total_price=money(total)
                if total is not None
                else sum((line.amount for line in lines), Decimal(0)),
                lines=tuple(lines),
                created_at=as_text(raw.get("at")),
                customer=as_text(raw.get("customer")),
            )
        if kind == "order_update":
            status = raw["status"]
            if status not in ORDER_UPDATE_STATUSES:
                raise ValueError(
                    f"status {json_shown(status)} is not one of {', '.join(ORDER_UPDATE_STATUSES)}"
                )
            refund_lines = []
            for line in _lines(raw.get("lines")):
                quantity = quantity_as_sent(line["quantity"])
                refund_lines.append(RefundLine(as_text(line["sku"]).strip(), quantity))
            return OrderUpdate(
                source=self.source,
                order_id=the_id,
                status=status,
                refund=refund_amount(raw.get("refund")),
                currency=currency_as_sent(raw.get("currency")),
                refund_id=optional_id(raw.get("refund_id"), "refund_id"),
                lines=tuple(refund_lines),
                at=as_text(raw.get("at")),
            )
        return None  # an unknown kind from a newer bridge: ignored, not an error
