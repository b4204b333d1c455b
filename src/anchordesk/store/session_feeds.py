"""Which feed is which in a session file: the name (``source``) each feed's items and cursor
are kept under, by the feed's identity.

Why: items are unique by ``(source, id)`` and a cursor is kept per ``source``. When the name
was only the feed's kind (``json``, then ``json#2``…), a session continued with another feed of
the same kind took the first feed's cursor (it started where the other one stopped) and its id
space (its orders whose ids equalled the first feed's were "already kept", and lost). Now each
name belongs to one identity (``feeds/spec.py`` ``feed_identity``: the kind and the URL without
credentials, as a digest), kept in the ``feeds`` table:

- a feed the session knows gets its name back: its cursor and its ids go on (an order served
  again after a restart is kept once);
- a Shopify orders feed is its shop (``shopify_shop``, the one rule): one the session does not
  know by its identity takes the name of the session's Shopify feed on the same shop, however
  its address is written and whichever API (REST or GraphQL) reads it;
- a session an older version wrote with two names for one shop (``shopify-orders`` and
  ``shopify-orders#2``: the shop written another way, or read through the other API) keeps
  both names' rows; what is counted is the shop's, once (:func:`shop_names`: the first name
  of the shop stands for the others, the store reads each item once under it);
- a new feed gets the first free name of its kind (``json``, ``json#2``…), never one that an
  earlier feed of the session used;
- a file from before the table (format 2 or older) knows its names but not whose they were:
  its names are listed with no identity when the file is brought up to date, and the first run
  that continues it claims them by the old rule (the n-th feed of a kind takes ``kind#n``), as
  it always did. That run cannot tell a different feed from the same one; every later run can.

``label`` is the feed as people read it (its kind and URL with secrets masked): the report and
the log say which address a name stood for.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from anchordesk.core.redact import MASK, is_secret_query_name, mask_url

# Its feeds are told by the shop they read (_shop_read), not by how its address is written.
_SHOPIFY_KIND = "shopify-orders"

#: The item tables whose ``source`` is a feed's name (not ``show_events``: the show's own).
_FEED_TABLES = (
    "cursors",
    "comments",
    "orders",
    "order_updates",
    "viewer_samples",
    "comment_removals",
    "rejected_items",
)


@dataclass(frozen=True)
class FeedIdentity:
    """A feed of this run as the hub asks for its name."""

    kind: str
    identity: str  # feeds/spec.py feed_identity
    label: str  # for people: kind and masked URL
    # A Shopify feed's identity by the rule before its shop's query counted (feeds/spec.py
    # shopify_former_identity), "" for other kinds: a session an earlier version kept under
    # it is found by it when the label cannot tell (a query value masked in it).
    former_identity: str = ""
    # The identity by the rule before a secret path parameter left it (feeds/spec.py
    # written_identity: ``/feed;token=…`` counted with its value), "" when the path holds
    # none: a session kept by that rule is this feed, and is given the identity of now.
    written_identity: str = ""


@dataclass(frozen=True)
class KeptFeed:
    """A feed the session has a name for. ``identity`` is "" for a name kept before format 3
    and not claimed since; ``label`` "" then too."""

    source: str
    kind: str
    identity: str
    label: str


@dataclass(frozen=True)
class FeedNames:
    """The names for a run's feeds, and what to keep in the file for them."""

    names: list[str]
    new: list[KeptFeed]  # feeds the session did not know
    claimed: list[KeptFeed]  # names from before format 3, now given their feed's identity
    # names kept under a feed's identity by an earlier rule (written_identity), given its new one
    renewed: list[KeptFeed] = field(default_factory=list)


def plan_names(kept: Sequence[KeptFeed], wanted: Sequence[FeedIdentity]) -> FeedNames:
    """The name of each ``wanted`` feed (in order), by the rule of the module doc."""
    names: list[str] = []
    new: list[KeptFeed] = []
    claimed: list[KeptFeed] = []
    renewed: list[KeptFeed] = []
    taken: set[str] = set()
    used = {feed.source for feed in kept}
    nth_of_kind: dict[str, int] = {}
    # Each feed the session knows by its identity first; then a Shopify feed by its shop.
    known: list[str | None] = []
    for feed in wanted:
        name = next(
            (k.source for k in kept if k.identity == feed.identity and k.source not in taken),
            None,
        )
        if name is None and feed.written_identity:
            name = next(
                (
                    k.source
                    for k in kept
                    if k.identity == feed.written_identity and k.source not in taken
                ),
                None,
            )
            if name is not None:
                renewed.append(KeptFeed(name, feed.kind, feed.identity, feed.label))
        if name is not None:
            taken.add(name)
        known.append(name)
    for place, feed in enumerate(wanted):
        shop = _shop_read(feed.kind, feed.label)
        if known[place] is not None or shop is None:
            continue
        name = next(
            (
                k.source
                for k in kept
                if k.source not in taken and _same_shop(k, shop, feed.former_identity)
            ),
            None,
        )
        if name is not None:
            taken.add(name)
        known[place] = name
    for feed, name in zip(wanted, known, strict=True):
        nth_of_kind[feed.kind] = nth_of_kind.get(feed.kind, 0) + 1
        if name is None:
            legacy = _numbered(feed.kind, nth_of_kind[feed.kind])
            if legacy not in taken and any(k.source == legacy and not k.identity for k in kept):
                name = legacy
                claimed.append(KeptFeed(legacy, feed.kind, feed.identity, feed.label))
        if name is None:
            number = 1
            while _numbered(feed.kind, number) in used:
                number += 1
            name = _numbered(feed.kind, number)
            new.append(KeptFeed(name, feed.kind, feed.identity, feed.label))
        taken.add(name)
        used.add(name)
        names.append(name)
    return FeedNames(names, new, claimed, renewed)


def _same_shop(kept: KeptFeed, shop: str, former_identity: str) -> bool:
    """Whether the session's ``kept`` feed read ``shop`` (as :func:`_shop_read` reads it).
    When a value of the shop's query is masked in the labels (an opaque value that may be a
    secret: ``?shop=****``), the labels cannot tell two shops apart: then only a feed kept
    under the identity the wanted feed had before its query counted (a session of an earlier
    version) is it; one kept by this rule would have been found by its identity."""
    if _shop_read(kept.kind, kept.label) != shop:
        return False
    return MASK not in shop or (bool(former_identity) and kept.identity == former_identity)


def _shop_read(kind: str, label: str) -> str | None:
    """The shop a Shopify orders feed reads (:func:`shopify_shop`), from its label (its kind
    and masked URL), or None (another kind). A session continued with the shop's address
    written another way (``/admin`` added, the GraphQL endpoint or another REST version written
    out) was another feed, and every order of the show was read and counted again under
    ``shopify-orders#2``."""
    if kind != _SHOPIFY_KIND or not label.startswith(f"{kind} "):
        return None
    return shopify_shop(label.removeprefix(f"{kind} "))


def shopify_shop(url: str) -> str | None:
    """The shop a Shopify orders feed at ``url`` reads, as text (``https://shop.example``,
    with the path a proxy serves the shop under: ``https://host/b``, and the query values
    that choose a shop on a bridge: ``https://bridge?shop=a``), or None (no host): the one
    rule for a Shopify feed's identity (feeds/spec.py ``feed_identity``) and for the names a
    session keeps (:func:`_shop_read`). A query value that may be a secret is masked by the
    redaction rule (core/redact.py) and a credential left out: this text is compared with
    the feeds' labels, which are masked; the identity hashes the values
    (:func:`shopify_shop_key`).

    Any address on the shop reads the same orders (feeds/shopify_graphql.py graphql_endpoint;
    REST's API version is in its path), and both APIs read the same orders under the same ids
    (GraphQL's ``legacyResourceId``, its refunds' gid numbers: REST's ids): a session read
    through REST and continued through GraphQL (or the other way round) was two feeds, every
    order counted twice. The API is no part of the shop; each adapter reads the other's
    cursor (feeds/shopify.py, feeds/shopify_graphql.py)."""
    parts = _shop_parts(url, with_query=True)
    if parts is None:
        return None
    base, query = parts
    return mask_url(f"{base}?{urlencode(query)}" if query else base)


def shopify_shop_key(url: str, *, with_query: bool = True) -> str | None:
    """:func:`shopify_shop` with the query's values as written, for a digest only (never kept
    in clear: an opaque value may be a secret). ``with_query=False``: by the rule before the
    query counted (feeds/spec.py ``shopify_former_identity``)."""
    parts = _shop_parts(url, with_query=with_query)
    if parts is None:
        return None
    base, query = parts
    return f"{base}?{urlencode(query)}" if query else base


# Shopify's own parameters of orders.json (paging, filters, fields; feeds/shopify.py sets or
# accepts them): another value reads another page or view of the same shop, not another shop.
_SHOPIFY_OWN_QUERY = re.compile(
    r"fields|limit|status|since_id|page_info|ids|order|financial_status|fulfillment_status"
    r"|attribution_app_id|.*_(?:min|max)",
    re.IGNORECASE,
)


def _shop_parts(url: str, *, with_query: bool) -> tuple[str, list[tuple[str, str]]] | None:
    """The shop's address (scheme, host, the path prefix a proxy serves it under) and the
    query items that may choose the shop (sorted), or None (no host).

    The query was dropped whole (for ``?fields=``): two shops behind one bridge told apart by
    ``?shop=a`` / ``?shop=b`` were one feed, the second one's orders read under the first's
    cursor and ids (lost, or rejected as changed copies). Only Shopify's own parameters and
    credentials are no part of the shop."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.netloc.rpartition("@")[2].lower()
    host = host.removesuffix({"https": ":443", "http": ":80"}.get(scheme, "\n"))
    # A fully qualified name's root dot ("shop.myshopify.com.") names the same host.
    host = re.sub(r"\.(?=(?::\d*)?$)", "", host)
    # The path before the API's own (``/admin``, ``/api/VERSION``, the endpoint): a proxy may
    # serve shops under paths of one host. Any other path is no endpoint: GraphQL asks the
    # host's own.
    endpoint = re.fullmatch(r"(.*?)(?:/admin)?(?:/api/[^/]*)?/(?:orders|graphql)\.json", parts.path)
    prefix = endpoint.group(1).rstrip("/") if endpoint else ""
    if not host:
        return None
    query = (
        sorted(
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not is_secret_query_name(name) and not _SHOPIFY_OWN_QUERY.fullmatch(name)
        )
        if with_query
        else []
    )
    return f"{scheme}://{host}{prefix}", query


def shop_names(kept: Sequence[KeptFeed]) -> dict[str, str]:
    """Each name of ``kept`` that stands for a shop an earlier name of the session already
    reads (:func:`_shop_read`), with that first name: ``{"shopify-orders#2":
    "shopify-orders"}`` for a session an older version wrote under two names for one shop
    (written another way, or read through the other API). Both names kept every order of the
    shop, and both copies were counted (in the report, and in the figures of a run continuing
    the session); read under the first name, each is one order."""
    first: dict[str, str] = {}
    names: dict[str, str] = {}
    for feed in kept:
        shop = _shop_read(feed.kind, feed.label)
        if shop is None or MASK in shop:
            # A query value masked in the label: two shops on one bridge look alike there
            # (``?shop=****``); merged, the second one's orders were read as the first's.
            continue
        name = first.setdefault(shop, feed.source)
        if name != feed.source:
            names[feed.source] = name
    return names


def _numbered(kind: str, number: int) -> str:
    return kind if number == 1 else f"{kind}#{number}"


def kept_feeds(db: sqlite3.Connection) -> list[KeptFeed]:
    """The feeds the file names, oldest first (none for an older file read as it is)."""
    try:
        # As bytes, decoded here: a byte that is not UTF-8 (a damaged page, a hand edit) made
        # the built-in decoding raise, and `live --session` crashed as the session began. A
        # damaged identity is not known, as in a file from before identities: the run's first
        # feed of that kind keeps the name (given one of its own, the feed's orders already
        # kept would be kept and counted again under it). Other texts read with U+FFFD.
        rows = db.execute(
            "SELECT CAST(source AS BLOB), CAST(kind AS BLOB), CAST(identity AS BLOB),"
            " CAST(label AS BLOB) FROM feeds ORDER BY seq"
        ).fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise
    # A name that is not UTF-8 is no name the session's rows are kept under: read with U+FFFD,
    # the run's feed took it, found no cursor, and kept every order again under it (counted
    # twice). Left out, the feed has its plain name again, its cursor and its rows.
    return [
        KeptFeed(name, _text(kind), _exact_text(identity), _text(label))
        for source, kind, identity, label in rows
        if (name := _exact_text(source))
    ]


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


def _exact_text(value: object) -> str:
    """The text as it was written, or "" when it is not UTF-8 (damaged)."""
    try:
        return value.decode("utf-8") if isinstance(value, bytes) else ""
    except UnicodeDecodeError:
        return ""


def keep_names(db: sqlite3.Connection, plan: FeedNames, now: float) -> None:
    """Write ``plan``'s new and claimed feeds (inside the caller's transaction)."""
    for feed in plan.new:
        db.execute(
            "INSERT INTO feeds(source, kind, identity, label, first_used_at) VALUES (?,?,?,?,?)",
            (feed.source, feed.kind, feed.identity, feed.label, now),
        )
    for feed in plan.claimed:
        db.execute(
            "UPDATE feeds SET identity = ?, label = ? WHERE source = ? AND identity = ''",
            (feed.identity, feed.label, feed.source),
        )
    for feed in plan.renewed:
        db.execute(
            "UPDATE feeds SET identity = ?, label = ? WHERE source = ?",
            (feed.identity, feed.label, feed.source),
        )


def list_names_of_older_file(db: sqlite3.Connection, now: float) -> None:
    """Bringing a file of format 2 or older up to date: every name its feeds used, with no
    identity (inside the caller's transaction)."""
    sources = sorted(
        {
            str(row[0])
            for table in _FEED_TABLES
            for row in db.execute(f"SELECT DISTINCT source FROM {table}")
        }
    )
    for source in sources:
        db.execute(
            "INSERT OR IGNORE INTO feeds(source, kind, identity, label, first_used_at) "
            "VALUES (?, ?, '', '', ?)",
            (source, source.partition("#")[0], now),
        )
