"""What the audience sends during a show: comments and orders, as plain immutable values.

They live in ``show/`` (the lowest layer) because the store, the feeds, the ledger and the UI all
speak them. ``source`` names the feed (``youtube-chat``, ``shopify-orders``, ``json``,
``rehearsal``); ``(source, id)`` is unique for the whole session, which is what makes a re-read
page or a restarted program harmless.

Comment text arrives from strangers: it is cleaned here once (control characters stripped,
length capped) and must still be shown as plain text everywhere (never Qt rich text).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property

from anchordesk.core.printable import masked_cut
from anchordesk.core.redact import mask_secrets
from anchordesk.show.model import ordered_sku

MAX_COMMENT_CHARS = 500
MAX_NAME_CHARS = 80


@dataclass(frozen=True)
class Comment:
    source: str
    id: str
    author: str
    text: str
    published_at: str = ""  # ISO 8601 as the platform sent it ("" when unknown)
    is_moderator: bool = False
    is_owner: bool = False
    # A paid comment (YouTube Super Chat): amount in the given currency.
    paid_amount: Decimal | None = None
    paid_currency: str = ""
    # Set by the feed hub before the comment is stored: the show's compliance terms that the
    # text matched, and whether it reads as a question.
    flagged_terms: tuple[str, ...] = ()
    is_question: bool = False
    # The platform's stable id of the author (YouTube channelId, Twitch user id), so a ban
    # can hide every comment of that author, also after a restart (the session keeps it); ""
    # when the feed does not say.
    author_id: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.flagged_terms)


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal
    title: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sku", ordered_sku(self.sku))

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Order:
    source: str
    id: str
    currency: str
    total_price: Decimal
    lines: tuple[OrderLine, ...] = field(default_factory=tuple)
    created_at: str = ""  # ISO 8601 as the platform sent it
    customer: str = ""

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


ORDER_UPDATE_STATUSES = ("cancelled", "refunded")

# In an order id, within an update's key: the escape character, and a ":" that starts the words
# a key puts after the order id (":refund:", ":refund=", ":cancelled", or ":refund" at its end,
# which the key's ":" would make ":refund:"). Any other id (a colon elsewhere,
# "gid://shopify/Order/1", "shop:refunds-2") is kept as it is, so the keys of sessions written
# before the escape stay the same keys.
_KEY_ESCAPED = re.compile(r"\\|:(?=refund(?:[:=]|$)|cancelled)")


def _key_escape(match: re.Match[str]) -> str:
    return "\\\\" if match.group() == "\\" else "\\;"


def update_key_shown(key: str, order_id: str) -> str:
    """An update's key (:attr:`OrderUpdate.id`) as a person reads it: its order id as the
    feed sent it, not escaped, then what the update is (``x:refund:cancelled``, not
    ``x\\;refund:cancelled``, an order the shop never had). ``key`` as it is when it does not
    start with that order id's escaped form (an item rejected before it was read)."""
    escaped = _KEY_ESCAPED.sub(_key_escape, order_id)
    return order_id + key[len(escaped) :] if key.startswith(escaped) else key


# The largest order id (the REST adapter's bound too: Shopify's ids are 64-bit).
_MOST_ORDER_NUMBER = 2**63 - 1


def shopify_number(value: object) -> str:
    """``value`` as a Shopify id (a whole number from 1 to 2^63 - 1, as a string or an
    integer), or "": the one id rule of both APIs (orders, refunds, line items, since_id).
    REST took only JSON integers: a proxy writing ids as strings (``"5001"``, as JavaScript
    ones do with 64-bit ids) had every order rejected as "no id" and since_id never moved.
    Here, below the feeds, because the session store reads the refund ids an older version
    kept by it too (a padded ``0900`` is refund 900: store/session_refunds.py)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    text = str(value).strip()
    if not text.isdecimal() or not text.isascii() or len(text) > 19:
        return ""
    return str(int(text)) if 0 < int(text) <= _MOST_ORDER_NUMBER else ""


@dataclass(frozen=True)
class RefundLine:
    """Units of one SKU given back by a refund, when the platform says which."""

    sku: str
    quantity: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "sku", ordered_sku(self.sku))


@dataclass(frozen=True)
class OrderUpdate:
    """A change to an order already placed: cancelled, or (partly) refunded.

    ``refund`` is the amount given back, in ``currency`` ("" = the order's); None means the
    whole order (a cancellation always takes the whole order back). ``lines`` are the units a
    refund gives back when the platform names them (Shopify's ``refund_line_items``); a refund
    without lines gives money back only. ``refund_id`` is the platform's id of one refund, so
    two partial refunds of the same amount stay two.

    ``id`` is the update's key within its source — the order, the status and the refund — so
    the same update sent again is stored and counted once (the store's UNIQUE(source, id)).
    """

    source: str
    order_id: str
    status: str  # "cancelled" | "refunded"
    refund: Decimal | None = None
    currency: str = ""
    refund_id: str = ""
    lines: tuple[RefundLine, ...] = ()
    at: str = ""  # ISO 8601 as the platform sent it

    @property
    def id(self) -> str:
        # The order id escaped, so that the first ":refund" or ":cancelled" in a key is where
        # its order id ends: an order "a1:refund:x" cancelled and "a1" refunded under the
        # refund id "x:cancelled" were one key, "a1:refund:x:cancelled", and one of them was
        # rejected as the other "sent again" (or, the same terms, dropped unsaid). What follows
        # the order id needs no escape: it ends the key.
        order = _KEY_ESCAPED.sub(_key_escape, self.order_id)
        if self.status == "cancelled":
            return f"{order}:cancelled"
        if self.refund_id:
            return f"{order}:refund:{self.refund_id}"
        # Without a refund id, a key of another shape than an id's ("=", not ":"): a refund
        # "10" and a refund of 10.00 without one (or "all" and a whole-order refund) were one
        # key, so the second was taken for the first sent again and never counted.
        if self.refund is None:
            return f"{order}:refund=all"
        # "12.50" and "12.5" are the same refund sent twice.
        return f"{order}:refund={format(self.refund.normalize(), 'f')}"

    @property
    def shown_id(self) -> str:
        """:attr:`id` as the report names it: :func:`update_key_shown`."""
        return update_key_shown(self.id, self.order_id)

    @property
    def whole_order(self) -> bool:
        """Cancelled, or refunded with no amount: all of the order goes back, units too."""
        return self.status == "cancelled" or self.refund is None


@dataclass(frozen=True)
class ViewerStats:
    """One sample of the audience's size, as the platform counted it.

    ``online`` is the number watching now (YouTube ``concurrentViewers``, Twitch
    ``viewer_count``, the generic feed's ``online``); ``entered``, ``likes`` and ``follows`` are
    the platform's running totals for the show when it gives them (None: not said). ``at`` is
    the platform's ISO 8601 time of the count ("" when unknown: the store's receive time
    stands). ``id`` is unique within the source, so a sample sent twice is kept once.
    """

    source: str
    id: str
    online: int
    at: str = ""
    entered: int | None = None
    likes: int | None = None
    follows: int | None = None


COMMENT_REMOVAL_REASONS = ("deleted", "banned")


@dataclass(frozen=True)
class CommentRemoval:
    """The platform took a comment (``deleted``) or all of an author's comments (``banned``)
    down: a moderator deleted it (YouTube ``messageDeletedEvent``, Twitch
    ``channel.chat.message_delete``) or banned its author (YouTube ``userBannedEvent``).

    The show hides what it names the way an operator's "hide" does (off the list, off the
    picture if pinned, never pinnable again). ``id`` is the platform's id of the removal event.
    """

    source: str
    id: str
    reason: str  # "deleted" | "banned"
    comment_id: str = ""  # the removed comment's id within ``source`` ("deleted")
    author_id: str = ""  # the banned author's id ("banned")
    author: str = ""  # display name, for the record
    at: str = ""


@dataclass(frozen=True)
class RejectedItem:
    """An item a feed sent that is not counted: unreadable, or against the rule of
    ``show/feed_rules.py`` (an absurd amount or quantity). It is kept in the session with its
    reason and listed in the report: never silently dropped, never summed.

    ``kind`` is what it claimed to be (``order``, ``order_update``, ``comment``, or ``""``),
    ``item_id`` its id as sent (``""`` when it had none), ``reason`` one of
    ``feed_rules.REASONS``, ``detail`` the field and value at fault, ``raw`` the item as
    received (JSON, cut at :data:`MAX_RAW_CHARS`).
    """

    source: str
    kind: str
    item_id: str
    reason: str
    detail: str
    raw: str = ""
    # What tells this item from another bad copy under its id, when the raw item does not (a
    # changed copy of an order: its terms, `feed_rules.terms_key`); "": a digest of ``raw``.
    key: str = ""

    @cached_property
    def id(self) -> str:
        """The key within its source: kind, id and a digest of the item as received, so the
        same item sent again is kept once, and two different bad updates of one order twice.
        Computed once (a page of half a million bad items asked for it millions of times)."""
        digest = self.key or hashlib.sha256(self.raw.encode("utf-8", "replace")).hexdigest()[:16]
        return f"{self.kind}:{self.item_id}:{digest}"


MAX_RAW_CHARS = 2000
MAX_REJECTED_ID_CHARS = 200
MAX_DETAIL_CHARS = 500
MAX_KIND_CHARS = 40  # what a rejected item claimed to be (the protocol's kinds are short words)


def _cut(text: str, size: int) -> str:
    """``text`` as kept: as sent when it fits, else masked whole, then cut (core/printable's
    one rule): cut first, a URL holding a password cut before its '@' was kept, logged and
    reported with the password's start (the report's mask found no URL in it)."""
    return text if len(text) <= size else masked_cut(text, size)


def rejected_as_kept(item: RejectedItem, secrets: tuple[str, ...] = ()) -> RejectedItem:
    """``item`` as the session keeps it: the feed's ``secrets`` masked by the one rule
    (core/redact), then its id, detail and raw text cut to the sizes kept. The feeds and the
    store's amount rule build a rejected item whole: cut first, a token the cut fell inside
    was kept, logged and reported in part (``…SECRETTOK…``), which the whole-secret mask no
    longer matched. A rejected item is kept as sent, in the session, the log and the report:
    a shop echoing the access token as an order's id (or its currency) had it in all three;
    one echoing it as the item's type (its kind) still had it whole, at any length."""
    if secrets:
        item = replace(
            item,
            kind=mask_secrets(item.kind, secrets),
            item_id=mask_secrets(item.item_id, secrets),
            detail=mask_secrets(item.detail, secrets),
            raw=mask_secrets(item.raw, secrets),
        )
    kind = _cut(item.kind, MAX_KIND_CHARS)
    item_id = _cut(item.item_id, MAX_REJECTED_ID_CHARS)
    detail = _cut(item.detail, MAX_DETAIL_CHARS)
    # The raw text is kept, never printed (the report reads its ids): cut as it is; its
    # URLs masked before the cut held the loop 12 ms an item (a URL of a thousand segments).
    raw = item.raw if len(item.raw) <= MAX_RAW_CHARS else item.raw[: MAX_RAW_CHARS - 1] + "…"
    if (kind, item_id, detail, raw) == (item.kind, item.item_id, item.detail, item.raw):
        return item
    return replace(item, kind=kind, item_id=item_id, detail=detail, raw=raw)


FeedItem = Comment | Order | OrderUpdate | ViewerStats | CommentRemoval | RejectedItem


def item_kind(item: FeedItem) -> str:
    """``comment``, ``order``, ``order_update``, ``viewers``, ``comment_removal`` or
    ``rejected``: ids are unique only within a
    kind (a platform may number its orders and its comments alike), as the store keys them."""
    if isinstance(item, Comment):
        return "comment"
    if isinstance(item, Order):
        return "order"
    if isinstance(item, OrderUpdate):
        return "order_update"
    if isinstance(item, ViewerStats):
        return "viewers"
    if isinstance(item, CommentRemoval):
        return "comment_removal"
    return "rejected"


# Cc (controls) and Cf (format: bidi overrides, zero-width joiners used to smuggle text) are
# removed; ordinary whitespace becomes a plain space so a comment stays on one line.
_SPACE_LIKE = re.compile(r"[\t\n\r\v\f\u2028\u2029]+")
_MULTI_SPACE = re.compile(r" {2,}")


def clean_text(text: str, max_chars: int = MAX_COMMENT_CHARS) -> str:
    """Return ``text`` as one line of printable characters, at most ``max_chars`` long."""
    text = _SPACE_LIKE.sub(" ", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn"):
            continue
        # Keep ZWJ (emoji sequences) but drop bidi overrides and other invisible format chars.
        if category == "Cf" and char != "\u200d":
            continue
        kept.append(char)
    cleaned = _MULTI_SPACE.sub(" ", "".join(kept)).strip()
    if len(cleaned) > max_chars:
        cleaned = cleaned[: max_chars - 1].rstrip() + "…"
    return cleaned


_QUESTION_MARKS = ("?", "？", "¿")
_QUESTION_WORDS_EN = re.compile(
    r"^(how|what|when|where|which|who|whom|whose|why|is|are|can|could|do|does|did|will|would|"
    r"should|shall|may|any|has|have)\b",
    re.I,
)
_QUESTION_WORDS_ZH = (
    "吗", "什么", "怎么", "怎样", "如何", "多少", "几号", "几个", "哪", "为什么", "为啥", "是否",
    "能不能", "可不可以", "有没有", "是不是", "咋", "呢",
)  # fmt: skip
_QUESTION_WORDS_JA = (
    "ですか", "ますか", "でしょうか", "かな", "何", "なに", "どう", "どこ", "いつ", "いくら",
    "どれ", "だれ", "誰", "なぜ", "なんで", "ありますか", "できますか",
)  # fmt: skip


def is_question(text: str) -> bool:
    """Whether a comment reads as a question (zh, en, ja), so the anchor can find it fast."""
    stripped = text.strip()
    if not stripped:
        return False
    if any(mark in stripped for mark in _QUESTION_MARKS):
        return True
    if _QUESTION_WORDS_EN.match(stripped):
        return True
    if any(word in stripped for word in _QUESTION_WORDS_ZH):
        return True
    return any(word in stripped for word in _QUESTION_WORDS_JA)
