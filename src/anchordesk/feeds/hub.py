"""The feeds of one show, together: pollers for every ``--feed``, the store, and delivery.

Order of things for every page a feed returns (this order is the guarantee):
1. comment text is made safe (plain one-line text, capped), flagged by the show's compliance
   matcher, and marked when it reads as a question;
2. the page and the feed's cursor are committed to the session store in one transaction (on
   the store's writer thread; the event loop only awaits); an order or update against the
   amount rule (show/feed_rules.py) and an item the adapter could not read are kept there as
   rejected, logged once, and go no further;
3. only the items that were new to the store (comments, orders, order updates) are delivered
   to the callbacks (the show's stock, the window): nothing is shown that is not stored,
   nothing is counted twice.

The show's own events (segment started, deal sold out, …) go to the store through
``record_show_event``, which any thread may call.

The hub holds the loop only briefly: JSON of large pages is parsed on a worker thread, pages
are prepared in slices of ~2 ms, SQLite runs on the writer thread, stored items are delivered
in slices of a few hundred order lines, and the HTTP stack's lazy imports are loaded on a worker
thread before the first request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import http.cookiejar
import importlib
import importlib.util
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx

from anchordesk.core.heap import long_lived_frozen
from anchordesk.core.logs import mask_text
from anchordesk.core.printable import escape_controls
from anchordesk.core.redact import mask_url, url_secrets
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words, counted
from anchordesk.feeds.adapters import JsonFeedAdapter, ShopifyOrdersAdapter
from anchordesk.feeds.audience import AudienceServer, AudienceSimulator
from anchordesk.feeds.poller import (
    LOOPBACK_HOSTS,
    BackoffPolicy,
    FeedAdapter,
    FeedHealth,
    Poller,
    goes_direct,
    no_proxy_range,
)
from anchordesk.feeds.push import PushFeed
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.feeds.spec import (
    TOKEN_IN_CLEAR,
    FeedSpec,
    asks_token_in_path,
    feed_identity,
    repeated_feed,
    shopify_former_identity,
    token_sent_in_clear,
    written_identity,
)
from anchordesk.feeds.status import AdapterStatus
from anchordesk.feeds.tokens import feed_token, keep_refreshed_tokens
from anchordesk.feeds.twitch import TwitchChatFeed
from anchordesk.feeds.youtube import YouTubeChatAdapter
from anchordesk.show.events import ShowEvent, event_record
from anchordesk.show.feed_items import (
    MAX_NAME_CHARS,
    Comment,
    FeedItem,
    Order,
    OrderUpdate,
    RejectedItem,
    clean_text,
    is_question,
    item_kind,
    rejected_as_kept,
)
from anchordesk.show.feed_rules import UNREADABLE
from anchordesk.show.ledger import show_snapshot
from anchordesk.show.model import Show
from anchordesk.store import ShowEventRecord, StoreWriter
from anchordesk.store.session import FeedIdentity, NewItems, SessionStore

log = logging.getLogger(__name__)

# An item whose id (its key in the session) is longer than this is rejected. Platform ids are
# short (a YouTube chat message's is ~130 characters, Twitch's a UUID); a 1 MB id was stored
# whole, and the pollers remember 20,000 recent ids: a hostile feed grew memory by the page.
MAX_ID_CHARS = 512


def _id_too_long(item: FeedItem) -> RejectedItem | None:
    if isinstance(item, RejectedItem):
        return None
    # The ids the feed sent, not an update's key made of them: a refund of an order whose
    # 500-character id was kept was rejected as "an id of 519 characters", one never sent.
    ids = (
        [("an order id", item.order_id), ("a refund id", item.refund_id)]
        if isinstance(item, OrderUpdate)
        else [("an id", item.id)]
    )
    long = next(((what, text) for what, text in ids if len(text) > MAX_ID_CHARS), None)
    if long is None:
        return None
    what, text = long
    kind = item_kind(item)
    return RejectedItem(
        source=item.source,
        kind=kind,
        item_id=item.id,
        reason=UNREADABLE,
        detail=f"{what} of {len(text):,} characters (more than {MAX_ID_CHARS})",
        raw=_as_sent(kind, item),
        # By the whole id: two long ids alike in the part kept were one item to the store.
        key=hashlib.sha256(item.id.encode("utf-8", "replace")).hexdigest()[:16],
    )


_ID_FIELDS = ("id", "order_id", "refund_id")


def _as_sent(kind: str, item: FeedItem) -> str:
    """An item rejected for an id too long, as JSON with what it holds (its lines, amounts, text)
    and its ids last, so that the cut to the size kept takes the ids first: kept as its type
    and id alone, the report could not say what was not counted (2 lamps, a $5.00 refund)."""
    held = {
        name: value
        for name, value in dataclasses.asdict(item).items()
        if name != "source" and not (value is None or value is False or value in ("", ()))
    }
    fields = {name: value for name, value in held.items() if name not in _ID_FIELDS}
    # Named as the feed names them: an update's "id" is its order's (the report names it so).
    ids = {"id" if name == "order_id" else name: held[name] for name in _ID_FIELDS if name in held}
    return json.dumps({"type": kind, **fields, **ids}, ensure_ascii=False, default=str)


def _token(feed: FeedSpec, token_lookup: Callable[[str], str | None]) -> str | None:
    """The feed's own token (set in the window for this feed), else the one for its kind (the
    keyring entry or environment variable ``anchordesk live --feed`` uses)."""
    if feed.token_name:
        own = token_lookup(feed.token_name)
        if own:
            return own
    return token_lookup(feed.kind)


def _path_token(feed: FeedSpec, token_lookup: Callable[[str], str | None]) -> str | None:
    """The token a feed whose URL asks for it in its path (``;token=``) is sent there, or
    None (no keyring asked for a feed that has no such place)."""
    if feed.kind == "rehearsal" or not asks_token_in_path(feed.url):
        return None
    return _token(feed, token_lookup)


def _warn_token_in_clear(
    feed: FeedSpec, source: str, token_lookup: Callable[[str], str | None]
) -> None:
    """Said once as the feeds start: a feed's token sent over plain http:// (or ws://) to a
    host that is not this computer (feeds/spec.py ``token_sent_in_clear``). No keyring is
    asked for a feed whose address is encrypted or local."""
    if feed.kind == "rehearsal" or not token_sent_in_clear(feed.url):
        return
    in_url = [s for s in url_secrets(feed.url) if s not in (feed.url, unquote(feed.url))]
    if _token(feed, token_lookup) or in_url:
        log.warning("feed %s: %s", source, TOKEN_IN_CLEAR)


CommentsCallback = Callable[[Sequence[Comment]], None]
OrdersCallback = Callable[[Sequence[Order]], None]
# (source, the page's new items, the time the store kept them with)
StoredCallback = Callable[[str, Sequence[FeedItem], float], None]
OrderUpdatesCallback = Callable[[Sequence[OrderUpdate]], None]
# A push feed for a kind (feeds/push.py): (spec, source name, secret lookup by keyring name)
# -> the feed. The hub knows Twitch's; a later platform registers its own in
# PUSH_FEED_FACTORIES.
PushFeedFactory = Callable[[FeedSpec, str, Callable[[str], "str | None"]], PushFeed]


def _twitch_feed(feed: FeedSpec, source: str, lookup: Callable[[str], str | None]) -> PushFeed:
    # A refreshed access token replaces the one it came from: the feed's own (set in the
    # window) when it has one, else the kind's.
    own = bool(feed.token_name and lookup(feed.token_name))
    access_name = feed.token_name if own and feed.token_name else feed.kind
    return TwitchChatFeed(
        feed.url,
        _token(feed, lookup),
        source,
        refresh_token=lookup(f"{feed.kind}-refresh-token"),
        client_id=lookup(f"{feed.kind}-client-id"),
        client_secret=lookup(f"{feed.kind}-client-secret"),
        keep_tokens=lambda access, refresh: keep_refreshed_tokens(
            feed.kind, access, refresh, access_name=access_name
        ),
    )


PUSH_FEED_FACTORIES: dict[str, PushFeedFactory] = {"twitch-chat": _twitch_feed}
FlagTerms = Callable[[str], Sequence[str]]


# Preparing a page (plain text, compliance, questions) runs on the loop in slices of at most
# this long, so a 2000-item catch-up page never holds the loop past one frame (16 ms).
_PREPARE_SLICE_S = 0.002
_REJECTED_NAMED_PER_PAGE = 5  # rejected items logged one by one per page
# The meta key of a feed's memory in the session (FeedHub._keep_memory), + its source.
_MEMORY_META = "feed_memory:"
# Stored items reach the show (ledger, stock, board) in slices of about this many order lines
# (a comment or an update counts one), the loop free between them (FeedHub._deliver_stored).
_DELIVER_SLICE_LINES = 250


def _why_stopped(error: Exception) -> Words:
    """One line for an error that ended the feeds; a certificate bundle the environment names
    and that cannot be read is named (httpx loads ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` as
    it is built, for plain http feeds too). Words, so that the window says it in its
    language; the values are masked (an error's text may carry a feed's address)."""
    if isinstance(error, OSError):
        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            value = os.environ.get(name)
            if value and not os.path.exists(value):
                return Words(
                    #: {name} is SSL_CERT_FILE or SSL_CERT_DIR, {path} the file or folder it names
                    QT_TRANSLATE_NOOP(
                        "FeedHub",
                        "the certificates cannot be loaded: {name} names {path}, which does "
                        "not exist (fix or unset it)",
                    ),
                    name=name,
                    path=mask_text(value),
                )
    proxy = unusable_proxy()
    if proxy is not None:
        return proxy
    text = " ".join(str(error).split()) or type(error).__name__
    return Words(
        QT_TRANSLATE_NOOP("FeedHub", "{error} ({kind})"),
        error=mask_text(text),
        kind=type(error).__name__,
    )


def _proxy_variables() -> dict[str, tuple[str, str]]:
    """The variable each proxy setting is read from, by scheme (``all``, ``https``, ``http``,
    ``no``): its name as written and its value, as urllib's ``getproxies`` reads them (httpx
    and websockets read through it): a name in any case (``Https_Proxy``), the lower-case one
    winning, ``HTTP_PROXY`` left out under CGI. The upper-case names alone were checked, and
    ``All_Proxy=socks5://…`` ended every feed with httpx's "pip install httpx[socks]"."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in os.environ.items():
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[:-6]] = (name, value)
    if "REQUEST_METHOD" in os.environ:
        found.pop("http", None)
    # urllib's second pass: a name ending in a lower-case "_proxy", whatever its start
    # (``HTTPS_proxy``), wins, or unsets it when empty. Read as names all in lower case, the
    # check passed ``HTTPS_PROXY=http://…`` while httpx used ``HTTPS_proxy=socks5://…``.
    for name, value in os.environ.items():
        if name.endswith("_proxy"):
            if value:
                found[name.lower()[:-6]] = (name, value)
            else:
                found.pop(name.lower()[:-6], None)
    return found


def unusable_proxy() -> Words | None:
    """Why a proxy the environment names cannot be used, naming the variable, or None.

    httpx reads them as the client is built and raises on one it cannot use: a SOCKS proxy
    (``ALL_PROXY=socks5://…``, as VPN tools set) ended every feed with httpx's advice to "pip
    install httpx[socks]", a mistyped one with "Invalid port: ':8o80'", neither naming the
    variable to fix."""
    variables = _proxy_variables()
    for scheme in ("all", "https", "http"):
        name, value = variables.get(scheme, ("", ""))
        if not value:
            continue
        if value != value.lstrip() or any(char in value for char in "\t\n\r\v\f"):
            # httpx reads it as it is: stripped here, " http://proxy:3128" passed and every
            # feed ended with "Unknown scheme for proxy URL URL('%20http://…')" (" proxy:3128"
            # with "Name or service not known"), naming no variable.
            return Words(
                #: {name} is e.g. HTTPS_PROXY, {proxy} its value
                QT_TRANSLATE_NOOP(
                    "FeedHub",
                    "the proxy {name} names ({proxy}) has a space or a line break in it: remove it",
                ),
                name=name,
                proxy=escape_controls(mask_url(value.strip()))[:200],
            )
        url = value if "://" in value else f"http://{value}"
        try:
            scheme = httpx.Proxy(url).url.scheme
        except httpx.InvalidURL as error:
            return Words(
                #: {name} is e.g. HTTPS_PROXY, {proxy} its value, {error} why (English)
                QT_TRANSLATE_NOOP(
                    "FeedHub",
                    "the proxy {name} names ({proxy}) cannot be used: {error}; fix or unset it",
                ),
                name=name,
                proxy=mask_url(value)[:200],
                error=mask_text(" ".join(str(error).split()))[:200],
            )
        except ValueError:  # a scheme httpx does not know
            if url.lower().startswith(("socks4", "socks5")):
                scheme = "socks5"
            else:
                return Words(
                    #: {name} is e.g. HTTPS_PROXY, {proxy} its value
                    QT_TRANSLATE_NOOP(
                        "FeedHub",
                        "the proxy {name} names ({proxy}) is not an http:// or https:// "
                        "address: fix or unset it",
                    ),
                    name=name,
                    proxy=mask_url(value)[:200],
                )
        if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
            return Words(
                #: {name} is e.g. ALL_PROXY, {proxy} its value
                QT_TRANSLATE_NOOP(
                    "FeedHub",
                    "the proxy {name} names ({proxy}) is a SOCKS proxy, which AnchorDesk "
                    "cannot use: name an HTTP proxy there, or unset it",
                ),
                name=name,
                proxy=mask_url(value)[:200],
            )
    return _unreadable_no_proxy()


def _unreadable_no_proxy() -> Words | None:
    """An entry of NO_PROXY httpx cannot read (``[::1]``, a name in Unicode), naming it: httpx
    reads the list as the client is built, even with no proxy set, and every feed ended with
    "Invalid port: ':1]' (InvalidURL)", neither the variable nor the entry named."""
    name, value = _proxy_variables().get("no", ("NO_PROXY", ""))
    for entry in (part.strip() for part in value.split(",")):
        if not entry or entry == "*" or no_proxy_range(entry) is not None:
            continue
        try:
            httpx.URL(_no_proxy_pattern(entry))  # what httpx's URLPattern reads it with
        except (httpx.InvalidURL, ValueError):
            return Words(
                #: {name} is NO_PROXY or no_proxy, {entry} the entry that cannot be read
                QT_TRANSLATE_NOOP(
                    "FeedHub",
                    "{name} holds an entry that is no host name or address ({entry}): "
                    "fix or remove it",
                ),
                name=name,
                entry=escape_controls(mask_text(entry))[:200],
            )
    return None


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text.split("/")[0]).version == version
    except ValueError:
        return False


def _new_http_client(
    timeout_s: float, limits: httpx.Limits, feed_urls: Sequence[str] = ()
) -> httpx.AsyncClient:
    """Build the client and load what its first request would load, on a worker thread.

    Building a client loads the CA bundle into an SSL context (tens of ms), and httpcore loads
    anyio's asyncio backend (~30 modules, 40-50 ms) lazily on the first request: done on the
    loop, that import was the longest stall of the feeds' thread.
    """
    try:
        importlib.import_module("anyio._backends._asyncio")
    except ImportError:  # another anyio layout: the first request imports it, only slower
        log.debug("could not preload anyio's asyncio backend", exc_info=True)
    # No cookies: no platform's API needs them, and a jar keeps every Set-Cookie without limit
    # and sends it all back on every request, to every feed on that host whatever its port.
    no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        timeout=timeout_s,
        limits=limits,
        follow_redirects=False,
        cookies=no_cookies,
        # The client's own transport given, httpx reads no proxy from the environment: the
        # mounts below read them as it does, and NO_PROXY's address ranges too.
        transport=httpx.AsyncHTTPTransport(limits=limits),
        mounts=_environment_mounts(feed_urls, limits),
    )


def _environment_mounts(
    feed_urls: Sequence[str], limits: httpx.Limits
) -> dict[str, httpx.AsyncBaseTransport | None]:
    """The proxies the environment names and the hosts NO_PROXY exempts, read as httpx reads
    them (``httpx._utils.get_environment_proxies``: urllib's ``getproxies``, curl's rules), and
    the address ranges in NO_PROXY as curl reads them (``10.0.0.0/8``, ``fd00::/8``), which
    httpx does not: ``10.0.0.0/8`` exempted the one address 10.0.0.0 (a feed on the office's
    10.1.2.3 was asked through the proxy, which cannot reach it), and ``fd00::/8`` stopped
    every feed ("an entry that is no host name or address"). A range exempts the feeds'
    addresses inside it (no pattern of httpx covers a range).

    This machine's own hosts are never asked through a proxy (as browsers do): with
    HTTP_PROXY set, as offices do, the rehearsal audience on 127.0.0.1 was asked through the
    proxy, which cannot reach this machine's loopback, and had no comment; the feeds' own
    past the usual three (127.0.0.2, ``localhost.``) by their exact host, as httpx matches."""
    found = urllib.request.getproxies()
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for scheme in ("http", "https", "all"):
        proxy = found.get(scheme)
        if proxy:
            url = proxy if "://" in proxy else f"http://{proxy}"
            mounts[f"{scheme}://"] = httpx.AsyncHTTPTransport(limits=limits, proxy=httpx.Proxy(url))
    for entry in (part.strip() for part in found.get("no", "").split(",")):
        if entry == "*":
            mounts = {}
            break
        if not entry or no_proxy_range(entry) is not None:
            continue
        mounts[_no_proxy_pattern(entry)] = None
    exempt = [*LOOPBACK_HOSTS, *(_host(url) for url in feed_urls if goes_direct(url))]
    for host in filter(None, exempt):
        mounts[f"all://[{host}]" if ":" in host else f"all://{host}"] = None
    return mounts


def _no_proxy_pattern(entry: str) -> str:
    """The mount httpx makes of a NO_PROXY entry (``httpx._utils.get_environment_proxies``)."""
    if "://" in entry:
        return entry
    if _is_ip(entry, 4) or entry.lower() == "localhost":
        return f"all://{entry}"
    if _is_ip(entry, 6):
        return f"all://[{entry}]"
    return f"all://*{entry}"


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""


def _memories_of(
    store: SessionStore, adapters: Sequence[Any]
) -> dict[str, tuple[str | None, list[tuple[str, str]]]]:
    """Each feed's memory kept in the session (FeedHub._keep_memory), with what it is checked
    against: that feed's rejected items kept (their item id and raw text)."""
    memories = {a.source: store.meta(_MEMORY_META + a.source) for a in adapters}
    held: dict[str, list[tuple[str, str]]] = {
        source: [] for source, kept in memories.items() if kept
    }
    if held:
        for stored in store.rejected_items():
            if stored.item.source in held:
                held[stored.item.source].append((stored.item.item_id, stored.item.raw))
    return {source: (kept, held.get(source, [])) for source, kept in memories.items()}


class FeedSetupError(ValueError):
    """A ``--feed`` that cannot work (no live chat id, no show for the audience): one line."""


class FeedHub:
    """Runs every feed of a show until ``stop`` is set.

    ``on_comments``/``on_orders``/``on_order_updates`` are called on the event loop's thread
    with the new items of each page, after they are stored (a page's orders before its
    updates, so a cancellation on the same page as its order finds it);
    ``on_stored(source, items, received_at)`` gets every new item of the page with the time
    the store kept them with; ``on_rejected(source, count)`` how many of the page were kept
    as rejected (never delivered), less the items kept as rejected before that count now
    (``NewItems.withdrawn``: a count that can fall). ``flag_terms(text)`` returns the
    compliance terms a comment matches (the show's matcher). ``show`` is needed for
    ``rehearsal`` without a URL.
    """

    def __init__(
        self,
        feeds: Sequence[FeedSpec],
        writer: StoreWriter,
        *,
        on_comments: CommentsCallback | None = None,
        on_orders: OrdersCallback | None = None,
        on_stored: StoredCallback | None = None,
        on_rejected: Callable[[str, int], None] | None = None,
        on_order_updates: OrderUpdatesCallback | None = None,
        flag_terms: FlagTerms | None = None,
        show: Show | None = None,
        token_lookup: Callable[[str], str | None] = feed_token,
        timeout_s: float = 10.0,
        backoff: BackoffPolicy | None = None,
        audience_seed: int = 1,
        audience_rate_per_s: float = 2.0,
        shopify_created_at_min: datetime | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._writer = writer
        self._on_comments = on_comments
        self._on_orders = on_orders
        self._on_stored = on_stored
        self._on_rejected = on_rejected
        self._stopping: asyncio.Event | None = None  # run's stop: a page's delivery ends there
        self._on_order_updates = on_order_updates
        self._flag_terms = flag_terms
        if flag_terms is not None:
            flag_terms("")  # build the matcher now, not on the loop with the first comment
        self._show = show
        self._timeout_s = timeout_s
        self._backoff = backoff
        self._wall_clock = wall_clock
        self._event_run = secrets.token_hex(4)
        self._event_seq = 0
        self._event_lock = threading.Lock()
        self.audience: AudienceServer | None = None
        # Why the feeds stopped when something no rule foresaw ended them all (every feed's
        # status says it; "" while they run as they should).
        self.failure = ""
        self.failure_words: Words | None = None  # the same, for the window to say
        self._audience_seed = audience_seed
        self._audience_rate = audience_rate_per_s
        self.pollers: list[Poller] = []
        self._memories: dict[str, str] = {}  # each feed's memory as kept (_keep_memory)
        self.push_feeds: list[PushFeed] = []
        self._token_lookup = token_lookup
        # Orders of the shop from before this session are not the show's. The session's own
        # start (not this run's) so that a restart never filters out orders placed while the
        # program was down.
        created_at_min = shopify_created_at_min or self._session_started_at()
        self.adapters: list[FeedAdapter] = []
        feeds = _once_each(feeds)
        self._feed_urls = [feed.url for feed in feeds]
        for feed, source in zip(feeds, self._names(feeds, token_lookup), strict=True):
            _warn_token_in_clear(feed, source, token_lookup)
            if feed.kind in PUSH_FEED_FACTORIES:
                self.push_feeds.append(self._push_feed(feed, source, token_lookup))
            else:
                self.adapters.append(self._adapter(feed, source, token_lookup, created_at_min))

    def _names(
        self, feeds: Sequence[FeedSpec], token_lookup: Callable[[str], str | None]
    ) -> list[str]:
        """Each feed's name in the session (its items' ``source``, its cursor's key): the one
        the session gave this feed before, else a new one; never another feed's
        (store/session_feeds.py)."""
        wanted = [
            FeedIdentity(
                f.kind,
                feed_identity(f),
                describe_feed(f),
                shopify_former_identity(f),
                written_identity(f, _path_token(f, token_lookup)),
            )
            for f in feeds
        ]
        names: list[str] = self._writer.call(lambda store: store.name_feeds(wanted)).result(10)
        for feed, name in zip(wanted, names, strict=True):
            if name != feed.kind:  # json#2: say which address the number stands for
                log.info("feed %s is %s", name, feed.label)
        return names

    def _push_feed(
        self, feed: FeedSpec, source: str, token_lookup: Callable[[str], str | None]
    ) -> PushFeed:
        try:
            return PUSH_FEED_FACTORIES[feed.kind](feed, source, token_lookup)
        except ValueError as error:
            raise FeedSetupError(f"--feed {feed.kind}: {error}") from None

    def _session_started_at(self) -> datetime:
        """When the session started, for Shopify's ``created_at_min``: never later than now. A
        ``created_at`` edited by hand into the future (or a clock set back since) asked the
        shop for orders created from then on: none of the show's was ever read."""
        created = self._writer.call(lambda store: store.meta("created_at")).result(10)
        now = datetime.now(UTC)
        try:
            started = datetime.fromtimestamp(float(created), UTC) if created else now
        except (ValueError, OverflowError, OSError):
            return now
        if started > now:
            log.warning(
                "the session says it started at %s, later than now: its orders are read from "
                "now on",
                started.isoformat(timespec="seconds"),
            )
            return now
        return started

    def _adapter(
        self,
        feed: FeedSpec,
        source: str,
        token_lookup: Callable[[str], str | None],
        created_at_min: datetime,
    ) -> FeedAdapter:
        return _new_adapter(feed, source, token_lookup, created_at_min, self._start_audience)

    def _start_audience(self) -> str:
        if self._show is None:
            raise ValueError("the rehearsal audience needs a show (--show FILE)")
        if self.audience is None:
            simulator = AudienceSimulator(
                self._show, seed=self._audience_seed, rate_per_s=self._audience_rate
            )
            self.audience = AudienceServer(simulator).start()
            log.info("rehearsal audience at %s", self.audience.url)
        return self.audience.url_from_start

    # -- show events (any thread) ----------------------------------------------------------

    def record_show_event(self, event: ShowEvent) -> None:
        """A show controller listener: keep the event in the session (never blocks)."""
        with self._event_lock:
            self._event_seq += 1
            event_id = f"{self._event_run}-{self._event_seq}"
        record = ShowEventRecord(
            id=event_id, kind=event.kind, at=self._wall_clock(), data=event_record(event)
        )
        self._writer.submit_show_events([record])

    def record_show(self, show: Show) -> None:
        """Keep the catalogue and rundown in the session, so the report needs nothing else."""
        snapshot = json.dumps(show_snapshot(show), ensure_ascii=False)

        def keep(store: Any) -> None:
            store.set_meta("show", snapshot)

        self._writer.call(keep)

    # -- running ---------------------------------------------------------------------------

    def health(self) -> list[FeedHealth]:
        """Every feed's health, with what its adapter says of itself (quota spent, a note)."""
        if not self.pollers:  # not running yet: every polling feed is starting
            return self._with_failure(
                [FeedHealth(source=a.source) for a in self.adapters]
                + [feed.health for feed in self.push_feeds]
            )
        healths = []
        for poller in self.pollers:
            health = poller.health
            status = getattr(poller.adapter, "status", None)
            if callable(status):
                extra = status()
                if isinstance(extra, AdapterStatus):
                    health = dataclasses.replace(
                        health, quota_units=extra.quota_units, note=extra.note
                    )
            healths.append(health)
        healths += [feed.health for feed in self.push_feeds]
        return self._with_failure(healths)

    def _with_failure(self, healths: list[FeedHealth]) -> list[FeedHealth]:
        if not self.failure:
            return healths
        return [
            health
            if health.state == "ended"
            else dataclasses.replace(
                health, state="stopped", last_error=self.failure, next_poll_in_s=None
            )
            for health in healths
        ]

    def _keep_health(self) -> None:
        """Every feed's last health into the session (meta ``feed_status``): what each feed
        did and spent (YouTube quota units), for the report."""
        status = json.dumps(
            [dataclasses.asdict(health) for health in self.health()], ensure_ascii=False
        )
        # The reason as words too, so that a report in Chinese or Japanese says it in its
        # language (the status holds it in English, as the remote API and logs say it).
        words = self.failure_words
        stopped = (
            json.dumps(
                {
                    "template": words.template,
                    "params": {name: str(value) for name, value in words.params.items()},
                },
                ensure_ascii=False,
            )
            if words is not None
            else None
        )

        def keep(store: Any) -> None:
            store.set_meta("feed_status", status)
            if stopped is not None:
                store.set_meta("feeds_stopped", stopped)

        try:
            self._writer.call(keep)
        except Exception:  # the writer may be closing: the status is a nicety
            log.debug("could not keep the feeds' status", exc_info=True)

    def _keep_memory(self, source: str) -> None:
        """The feed's memory kept in the session once it changed (after its page: a hint, a
        memory lost costs calls, never an item)."""
        adapter = next((a for a in self.adapters if a.source == source), None)
        memory = getattr(adapter, "memory", None)
        if memory is None:
            return
        text = memory()
        if text == self._memories.get(source, ""):
            return
        self._memories[source] = text
        try:
            self._writer.call(lambda store: store.set_meta(_MEMORY_META + source, text))
        except Exception:  # the writer may be closing: the memory is a hint
            log.debug("could not keep the feed's memory", exc_info=True)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every feed until ``stop``. An error no rule foresaw ends them all: it is said
        once and stays in each feed's status (it ended them without a word: the show ran with
        no comment and no order, and exit 0)."""
        self._stopping = stop
        try:
            await self._run(stop)
        except Exception as error:
            self.failure_words = _why_stopped(error)
            self.failure = mask_text(f"the feeds stopped: {self.failure_words}")
            log.error("%s; the show goes on without them", self.failure)
            log.debug("the feeds' error", exc_info=True)
            self._keep_health()
            if self.audience is not None:
                audience, self.audience = self.audience, None
                await asyncio.to_thread(audience.stop)

    async def _run(self, stop: asyncio.Event) -> None:
        cursors: dict[str, str] = await asyncio.wrap_future(
            self._writer.call(lambda store: store.cursors())
        )
        # What a feed learnt at its service's cost (a Shopify order past the size cap): kept
        # beside its cursor, handed back at start (an adapter with ``memory``/``remember``).
        # Learnt again after each restart, an app restarting every 14 s never passed it.
        remembering = [a for a in self.adapters if hasattr(a, "remember")]
        # A hint, never proof: checked against what the session holds (its rejected items).
        memories: dict[str, tuple[str | None, list[tuple[str, str]]]] = await asyncio.wrap_future(
            self._writer.call(lambda store: _memories_of(store, remembering))
        )
        for adapter in remembering:
            memory, held = memories.get(adapter.source, (None, []))
            if memory:
                adapter.remember(memory, held)
                self._memories[adapter.source] = memory
        limits = httpx.Limits(max_connections=(len(self.adapters) + len(self.push_feeds)) * 2 + 2)
        client = await asyncio.to_thread(_new_http_client, self._timeout_s, limits, self._feed_urls)
        # What survives a full collection is frozen while the feeds run (core/heap.py): at
        # 100,000 orders each full collection held the loop and the picture 0.5-0.9 s.
        with long_lived_frozen():
            await self._poll(client, cursors, stop)

    async def _poll(
        self, client: httpx.AsyncClient, cursors: dict[str, str], stop: asyncio.Event
    ) -> None:
        async with client:
            self.pollers = [
                Poller(
                    adapter,
                    client,
                    self._sink,
                    cursor=cursors.get(adapter.source),
                    timeout_s=self._timeout_s,
                    backoff=self._backoff,
                )
                for adapter in self.adapters
            ]
            for poller in self.pollers:
                if poller.cursor:
                    log.info("feed %s: continuing after the stored cursor", poller.adapter.source)
            runs = [poller.run(stop) for poller in self.pollers]
            runs += [feed.run(client, self._sink, stop) for feed in self.push_feeds]
            try:
                await asyncio.gather(*runs)
            finally:
                self._keep_health()
                if self.audience is not None:
                    # Off the loop: its HTTP server's stop waits for the serving thread, and the
                    # loop is the window's thread (a key press waited up to 0.4 s at go-live).
                    audience, self.audience = self.audience, None
                    await asyncio.to_thread(audience.stop)

    def _prepare(self, item: FeedItem, secrets: tuple[str, ...] = ()) -> FeedItem:
        item = _id_too_long(item) or item
        if isinstance(item, RejectedItem):
            return rejected_as_kept(item, secrets)  # the feed's secrets masked, then cut
        if not isinstance(item, Comment):
            return item
        text = clean_text(item.text)
        flagged: tuple[str, ...] = ()
        if self._flag_terms is not None:
            try:
                flagged = tuple(dict.fromkeys(self._flag_terms(text)))
            except Exception:  # a broken matcher must not lose the comment
                log.exception("compliance matcher failed on a comment")
        return dataclasses.replace(
            item,
            text=text,
            author=clean_text(item.author, MAX_NAME_CHARS),
            flagged_terms=flagged,
            is_question=is_question(text),
        )

    async def _sink(
        self, source: str, items: Sequence[FeedItem], cursor: str | None
    ) -> Sequence[FeedItem]:
        prepared: list[FeedItem] = []
        # Polled and push feeds alike: a Twitch cheer echoing the OAuth token was kept whole.
        feeds: list[FeedAdapter | PushFeed] = [*self.adapters, *self.push_feeds]
        feed = next((f for f in feeds if f.source == source), None)
        secrets = feed.secrets() if feed is not None else ()
        slice_started = time.perf_counter()
        for item in items:
            prepared.append(self._prepare(item, secrets))
            if time.perf_counter() - slice_started > _PREPARE_SLICE_S:
                # Let the loop run (Qt events, the other feeds) between slices of a big page;
                # nothing is stored or shown until the whole page is prepared.
                await asyncio.sleep(0)
                slice_started = time.perf_counter()
        received_at = self._wall_clock()
        stored = await self._writer.write_batch(source, prepared, cursor, received_at, secrets)
        self._keep_memory(source)
        # Rejected items are kept in the session (the report lists them), never delivered.
        new = [item for item in stored if not isinstance(item, RejectedItem)]
        rejected = [item for item in stored if isinstance(item, RejectedItem)]
        # A few named, the rest counted: a page of 550,000 bad items logged one line each
        # held the event loop (the window, the remote, a stop request) for 10 s.
        for item in rejected[:_REJECTED_NAMED_PER_PAGE]:
            log.warning(
                "feed %s: %s %s rejected (%s): kept in the session, not counted",
                source,
                item.kind or "item",
                item.item_id or "without id",
                item.detail,
            )
        if len(rejected) > _REJECTED_NAMED_PER_PAGE:
            log.warning(
                "feed %s: %s of this page rejected: kept in the session and listed in the "
                "report, not counted",
                source,
                counted(len(rejected) - _REJECTED_NAMED_PER_PAGE, "more item"),
            )
        # Kept as rejected before and counted now (a refund's corrected copy that came
        # before its order, delivered with it): off the count of those not counted.
        withdrawn = stored.withdrawn if isinstance(stored, NewItems) else 0
        if withdrawn:
            log.info(
                "feed %s: %s kept as rejected before now counted (a corrected copy of an update"
                " that came before its order)",
                source,
                counted(withdrawn, "item"),
            )
        if (rejected or withdrawn) and self._on_rejected is not None:
            try:
                self._on_rejected(source, len(rejected) - withdrawn)
            except Exception:
                log.exception("a consumer of rejected items failed")
        comments = [item for item in new if isinstance(item, Comment)]
        orders = [item for item in new if isinstance(item, Order)]
        # The items are stored: a failing consumer is logged but never makes the poller re-ask.
        if comments and self._on_comments is not None:
            try:
                self._on_comments(comments)
            except Exception:
                log.exception("a comment consumer failed")
        if orders and self._on_orders is not None:
            try:
                self._on_orders(orders)
            except Exception:
                log.exception("an order consumer failed")
        updates = [item for item in new if isinstance(item, OrderUpdate)]
        if updates and self._on_order_updates is not None:
            try:
                self._on_order_updates(updates)
            except Exception:
                log.exception("an order update consumer failed")
        if new and self._on_stored is not None:
            await self._deliver_stored(self._on_stored, source, new, received_at)
        return stored

    async def _deliver_stored(
        self, on_stored: StoredCallback, source: str, new: Sequence[FeedItem], received_at: float
    ) -> None:
        """The page's new items, in their order, in slices of about ``_DELIVER_SLICE_LINES``
        order lines with the loop free between them: a page of 25,000 orders applied in one go
        held the loop (the window, the remote, the picture's stock) 8 s. The page and its
        cursor are committed already: the feeds stopping (the session ends) between slices
        leave the rest unapplied to the board, within the stop's 2 s, but kept in the session,
        where the report and the next run count them, once. With the time the store kept: a
        ledger fed here adds up exactly as the report's replay of the file does."""
        start = 0
        try:
            while start < len(new):
                if start and self._stopping is not None and self._stopping.is_set():
                    break
                end, lines = start, 0
                while end < len(new) and (end == start or lines < _DELIVER_SLICE_LINES):
                    item = new[end]
                    lines += max(1, len(item.lines)) if isinstance(item, Order) else 1
                    end += 1
                try:
                    on_stored(source, new[start:end], received_at)
                except Exception:
                    log.exception("a consumer of stored items failed")
                start = end
                if start < len(new):
                    await asyncio.sleep(0)
        finally:
            if start < len(new):
                log.info(
                    "feed %s: the feeds stopped with %s of the page not yet on the board: "
                    "they are kept in the session (the report and the next run count them)",
                    source,
                    counted(len(new) - start, "item"),
                )


def _once_each(feeds: Sequence[FeedSpec]) -> list[FeedSpec]:
    """Each feed once (the window's settings may list one feed twice, under two token
    entries): read twice, every order of it was kept and counted twice. ``anchordesk live``
    refuses a feed given twice before it starts (live/factory.py)."""
    kept = list(feeds)
    while (repeat := repeated_feed(kept)) is not None:
        log.warning("%s is listed twice: read once", describe_feed(kept[repeat[0]]))
        del kept[repeat[0]]
    return kept


def describe_feed(feed: FeedSpec) -> str:
    """For the start-up log: the kind and the URL with any secret masked."""
    return f"{feed.kind} {mask_url(feed.url) if feed.url else '(in-process audience)'}"


async def run_feeds(
    feeds: Sequence[FeedSpec],
    writer: StoreWriter,
    stop: asyncio.Event,
    **options: Any,
) -> FeedHub:
    """Convenience for the app layer: build a hub and run it until ``stop``."""
    hub = FeedHub(feeds, writer, **options)
    await hub.run(stop)
    return hub


def _new_adapter(
    feed: FeedSpec,
    source: str,
    token_lookup: Callable[[str], str | None],
    created_at_min: datetime,
    audience_url: Callable[[], str],
) -> FeedAdapter:
    """The adapter that reads ``feed`` (no request made yet); ``audience_url`` starts the
    rehearsal audience when a rehearsal feed has no URL. Raises :class:`FeedSetupError`."""
    token = None if feed.kind == "rehearsal" else _token(feed, token_lookup)
    try:
        if feed.kind == "youtube-chat":
            return YouTubeChatAdapter(feed.url, token, source)
        if feed.kind == "shopify-orders":
            if feed.url.split("?")[0].endswith("/orders.json"):  # REST: legacy, still kept
                return ShopifyOrdersAdapter(
                    feed.url,
                    token,
                    source,
                    created_at_min,
                    client_id=token_lookup(f"{feed.kind}-client-id"),
                    client_secret=token_lookup(f"{feed.kind}-client-secret"),
                )
            return ShopifyGraphQLOrdersAdapter(
                feed.url,
                token,
                source,
                created_at_min.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                client_id=token_lookup(f"{feed.kind}-client-id"),
                client_secret=token_lookup(f"{feed.kind}-client-secret"),
            )
        if feed.kind == "json":
            return JsonFeedAdapter(feed.url, token, source)
        if feed.kind == "rehearsal":
            url = feed.url or audience_url()
            return JsonFeedAdapter(url, None, source)
    except ValueError as error:
        raise FeedSetupError(f"--feed {feed.kind}: {error}") from None
    raise FeedSetupError(f"--feed {feed.kind}: unknown kind")


def feed_setup_problem(
    feeds: Sequence[FeedSpec],
    *,
    show: Show | None,
    token_lookup: Callable[[str], str | None] = feed_token,
) -> str | None:
    """Why a feed of ``feeds`` cannot be set up (one line), or None: the checks the session's
    hub makes as it starts (a token, a live chat id, a show for the audience), made before the
    run. ``anchordesk live --feed shopify-orders=…`` without the shop's token ended with a
    FeedSetupError traceback when the session began, the stream already out."""

    def audience_url() -> str:
        if show is None:
            raise ValueError("the rehearsal audience needs a show (--show FILE)")
        return "http://127.0.0.1:1/"  # not started: only whether it could be

    now = datetime.now(UTC)
    for feed in _once_each(feeds):
        try:
            if feed.kind in PUSH_FEED_FACTORIES:
                try:
                    PUSH_FEED_FACTORIES[feed.kind](feed, feed.kind, token_lookup)
                except ValueError as error:
                    raise FeedSetupError(f"--feed {feed.kind}: {error}") from None
            else:
                _new_adapter(feed, feed.kind, token_lookup, now, audience_url)
        except FeedSetupError as error:
            return str(error)
    if feeds:
        # The HTTP client loads the certificates the environment names as it is built; a bundle
        # that cannot be read stopped every feed once the show was on.
        try:
            httpx.Client().close()
        except Exception as error:
            return f"--feed: {_why_stopped(error)}"
        # One httpx builds but cannot reach (" proxy:3128": "http:// proxy:3128").
        proxy = unusable_proxy()
        if proxy is not None:
            return f"--feed: {proxy}"
    return None
