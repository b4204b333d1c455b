"""What a feed is on the command line and in the settings: ``KIND=URL``."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from anchordesk.core.errors import UserError
from anchordesk.core.printable import LONE_SURROGATE
from anchordesk.core.redact import is_secret_query_name, masked_port
from anchordesk.core.words import QT_TRANSLATE_NOOP, Template, Words
from anchordesk.store.session_feeds import shopify_shop_key

FEED_KINDS = ("youtube-chat", "shopify-orders", "twitch-chat", "json", "rehearsal")
# Push feeds listen on a WebSocket (feeds/push.py); their URL is a ws:// or wss:// address.
PUSH_KINDS = ("twitch-chat",)


@dataclass(frozen=True)
class FeedSpec:
    """One ``--feed KIND=URL``; for ``rehearsal`` the URL may be empty (simulator in-process)."""

    kind: str
    url: str
    # The keyring entry of this feed's own token (the window's Settings → Feeds keeps one per
    # feed: ``feed/<id>/token``); looked up before the token by kind. Empty for ``--feed``.
    token_name: str = ""


def parse_feed(text: str) -> FeedSpec:
    kind, _sep, url = text.partition("=")
    kind = kind.strip().lower()
    if kind not in FEED_KINDS:
        raise UserError(f"--feed {text!r}: KIND must be one of {', '.join(FEED_KINDS)}")
    url = url.strip()
    problem = feed_url_problem(kind, url)
    if problem is not None:
        # The URL is left out (it may hold a token): the problem says what is wrong in it.
        raise UserError(f"--feed {kind}=…: {problem}")
    return FeedSpec(kind=kind, url=url)


NO_URL = Words(QT_TRANSLATE_NOOP("FeedUrl", "a URL is needed"))
NOT_WEBSOCKET = Words(QT_TRANSLATE_NOOP("FeedUrl", "the URL must start with wss:// (or ws://)"))
NOT_HTTP = Words(QT_TRANSLATE_NOOP("FeedUrl", "the URL must start with http:// or https://"))
NO_SERVER = Words(QT_TRANSLATE_NOOP("FeedUrl", "the URL names no server after //"))
NOT_UTF8 = Words(
    QT_TRANSLATE_NOOP(
        "FeedUrl",
        "the URL holds a byte that is not UTF-8 text (copied from a file in another encoding?)",
    )
)
NOT_AN_ADDRESS = QT_TRANSLATE_NOOP("FeedUrl", "{value} is not an IP address")
BAD_PORT = QT_TRANSLATE_NOOP("FeedUrl", "the port {value} is not a number from 1 to 65535")


def feed_url_problem(kind: str, url: str) -> Words | None:
    """Why a feed of ``kind`` could never be read at ``url``, or None: the one rule for a
    feed's URL, for ``--feed`` and for the window's Settings → Feeds alike.

    A rehearsal feed may have no URL (the simulator runs in-process); a push feed listens on a
    WebSocket, the others are asked over HTTP. Then the HTTP client must be able to ask it
    (``http://[::1/feed``, a port that is no number, a control character): found at start,
    not as a traceback when the session starts nor as a retry for ever. Said without the URL
    (it may hold a token)."""
    url = url.strip()
    if not url:
        return None if kind == "rehearsal" else NO_URL
    if LONE_SURROGATE.search(url):
        # A command-line byte that is not UTF-8 (Python keeps it escaped), or a settings
        # file's JSON "\ud800": the HTTP client ended the run with a UnicodeEncodeError
        # traceback.
        return NOT_UTF8
    if kind in PUSH_KINDS:
        if not re.match(r"wss?://", url, re.IGNORECASE):
            return NOT_WEBSOCKET
    elif not re.match(r"https?://", url, re.IGNORECASE):
        return NOT_HTTP
    if control := _CONTROL.search(url):
        # Found here, not by the HTTP client: httpx 0.27 (the lowest this program takes) says
        # "Invalid non-printable ASCII character in URL" without the place, 0.28 with it.
        return Words(CONTROL_CHARACTER, value=control.start() + 1)
    import httpx  # the CLI's --help need not load it

    try:
        parsed = httpx.URL(url)
        raw_host = parsed.raw_host
    except httpx.InvalidURL as error:
        return _client_problem(str(error))
    except UnicodeEncodeError:
        # httpx checks no bracketed host: an IPv6 zone id that is not ASCII ("[::1%25é]")
        # parsed, then raised when the host was encoded, a traceback out of live --feed and
        # the settings loader.
        return Words(NOT_AN_ADDRESS, value=repr(parsed.host))
    if not raw_host:
        return NO_SERVER
    if parsed.port is not None and not 0 < parsed.port <= 65535:  # httpx takes -1 and 65536
        return Words(BAD_PORT, value=repr(str(parsed.port)))
    return None


CONTROL_CHARACTER = QT_TRANSLATE_NOOP(
    "FeedUrl", "the URL holds a control character at character {value}"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # what httpx refuses as "non-printable ASCII"


TOKEN_IN_CLEAR = Words(
    QT_TRANSLATE_NOOP(
        "FeedUrl",
        "the token is sent unencrypted (no https://): anyone on the network between can read "
        "it; use https:// if the server offers it",
    )
)


def token_sent_in_clear(url: str) -> bool:
    """Whether a token for a feed at ``url`` would cross the network unencrypted: a plain
    ``http://`` or ``ws://`` address on a host that is not this computer (a LAN bridge is
    allowed, and said so once: the token was sent as ``Bearer`` without a word)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "ws") or not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host.partition("%")[0]).is_loopback
    except ValueError:
        return True  # a name: resolved elsewhere, over the network


# httpx's reasons (httpx/_urlparse.py) in words a person can act on, with the part of the URL
# at fault; a reason not listed is said as httpx says it.
_CLIENT_PROBLEMS: tuple[tuple[re.Pattern[str], Template], ...] = (
    (
        # "http://[::1/feed": the address's own colons were read as a port.
        re.compile(r"Invalid port: ':"),
        QT_TRANSLATE_NOOP("FeedUrl", "an IPv6 address in a URL is written in [brackets]"),
    ),
    (re.compile(r"Invalid port: '(?P<value>.*)'"), BAD_PORT),
    (
        re.compile(r"Invalid non-printable ASCII character in URL.* at position (?P<index>\d+)"),
        CONTROL_CHARACTER,
    ),
    (re.compile(r"Invalid IPv[46] address: '(?P<value>.*)'"), NOT_AN_ADDRESS),
    (
        re.compile(r"Invalid IDNA hostname: '(?P<value>.*)'"),
        QT_TRANSLATE_NOOP("FeedUrl", "the server name {value} is not a valid domain name"),
    ),
    (re.compile(r"URL too long"), QT_TRANSLATE_NOOP("FeedUrl", "the URL is too long")),
)
UNUSABLE = QT_TRANSLATE_NOOP("FeedUrl", "not a usable URL ({reason})")


def _client_problem(reason: str) -> Words:
    for pattern, template in _CLIENT_PROBLEMS:
        found = pattern.match(reason)
        if found is None:
            continue
        values = found.groupdict()
        if "index" in values:  # httpx counts from 0, people from 1
            return Words(template, value=int(values["index"]) + 1)
        if "value" in values:
            value = values["value"]
            if template == BAD_PORT:
                # Quoted as the one rule shows a port (core/redact rule 5): a token pasted
                # after the server's name with a ":" was printed whole by the refusal.
                value = masked_port(value)
            return Words(template, value=repr(value))
        return Words(template)
    return Words(UNUSABLE, reason=reason)


_DEFAULT_PORTS = {"http": ":80", "https": ":443", "ws": ":80", "wss": ":443"}


def repeated_feed(feeds: Sequence[FeedSpec]) -> tuple[int, int] | None:
    """The places (from 0) of the first feed given twice and of its first copy, or None.

    The same feed twice is polled twice under two names, so every one of its orders was kept
    and counted twice (GMV, units and stock twice over). "The same" is by ``feed_identity``:
    a rotated token or another spelling of the address does not make another feed."""
    seen: dict[str, int] = {}
    for place, feed in enumerate(feeds):
        first = seen.setdefault(feed_identity(feed), place)
        if first != place:
            return place, first
    return None


def feed_identity(feed: FeedSpec) -> str:
    """Which feed this is, the same in every run: what the session keys a feed's cursor and
    its item ids by (store ``feeds``), so a session continued with another feed of the same
    kind never takes the first one's cursor nor its id space.

    It is the kind and the URL without its credentials (user info, and query values whose
    name says credential: ``token``, ``key``, ``sig``...), so a rotated token is still the same
    feed, while another live chat id, shop, port or path is another feed. Kept as a digest:
    what is left of the URL may still hold an opaque key in its path (a webhook-style
    address), which must not sit in the session file in clear.

    A secret parameter of the path (``/feed;token=…``, RFC 3986 3.3) is no part of it either,
    as a query's is not: the settings move such a token to the keyring and keep the URL with
    ``;token=`` (the place the bridge reads it, filled again when the feed asks:
    :func:`path_with_token`), and a session continued after the move is the same feed (the
    rule before counted the token: :func:`written_identity` finds such a session)."""
    return _identity(feed, path_secrets=False)


def written_identity(feed: FeedSpec, token: str | None) -> str:
    """The identity by the rule before a secret path parameter left it (its value counted, as
    the bridge is sent it: ``token`` filled in a ``;token=`` left empty), or "" when the path
    holds none: a session kept by that rule is still found under its names
    (store/session_feeds.py)."""
    if feed.kind == "shopify-orders":
        return ""
    sent = FeedSpec(feed.kind, path_with_token(feed.url, token or ""), feed.token_name)
    if not _path_secret_items(urlsplit(sent.url.strip()).path):
        return ""
    return _identity(sent, path_secrets=True)


def _is_secret_item(item: str) -> bool:
    """Whether a path segment's parameter (``name=value``) names a credential, by the query's
    name rule (core/redact ``is_secret_query_name``)."""
    return "=" in item and is_secret_query_name(unquote(item.partition("=")[0]))


def _path_secret_items(path: str) -> list[str]:
    """The secret parameters of ``path``'s segments (``;token=…``), as written."""
    return [
        item
        for segment in path.split("/")
        for item in segment.split(";")[1:]
        if _is_secret_item(item)
    ]


def _path_rewritten(path: str, item_as: Callable[[str], str | None]) -> str:
    """``path`` with each secret parameter as ``item_as`` gives it (None: left out)."""
    segments = []
    for segment in path.split("/"):
        head, *items = segment.split(";")
        kept = [item if not _is_secret_item(item) else item_as(item) for item in items]
        segments.append(";".join([head, *(item for item in kept if item is not None)]))
    return "/".join(segments)


def _path_without_secrets(path: str) -> str:
    return _path_rewritten(path, lambda _item: None)


def path_with_token(url: str, token: str) -> str:
    """``url`` with ``token`` in each secret parameter of its path left empty (``;token=``: the
    settings keep a path's token in the keyring and the URL so, the place the bridge reads it
    from); ``url`` itself when it has none, or no token is given."""
    if not token or not asks_token_in_path(url):
        return url
    parts = urlsplit(url)
    filled = quote(token, safe="")
    path = _path_rewritten(parts.path, lambda item: item + filled if item.endswith("=") else item)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def asks_token_in_path(url: str) -> bool:
    """Whether ``url``'s path has a secret parameter left empty for the token (``;token=``)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return any(item.endswith("=") for item in _path_secret_items(path))


def _identity(feed: FeedSpec, *, path_secrets: bool) -> str:
    parts = urlsplit(feed.url.strip())
    host = parts.netloc.rpartition("@")[2].lower()
    scheme = parts.scheme.lower()
    # The scheme's own port written out is the same address ("https://shop:443/" is
    # "https://shop/"): two identities for it read the one feed twice (every order counted
    # twice), and a session continued with the other spelling lost the feed's cursor.
    host = host.removesuffix(_DEFAULT_PORTS.get(scheme, "\n"))
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_secret_query_name(name)
    )
    path = parts.path if path_secrets else _path_without_secrets(parts.path)
    path, rest = path or "/", urlencode(query)
    if feed.kind == "shopify-orders":
        # A Shopify feed reads its shop, whatever else its address says and whichever API
        # reads it (store/session_feeds.py shopify_shop, the one rule): the shop given twice
        # in two spellings (https://shop and https://shop/admin), or through REST and GraphQL,
        # was read twice, every order counted twice. Its query values that choose a shop on a
        # bridge (?shop=a) are part of it, hashed here as they are written.
        host, path, rest = "", shopify_shop_key(feed.url) or "", ""
    return _digest(feed.kind, scheme, host, path, rest)


def shopify_former_identity(feed: FeedSpec) -> str:
    """A Shopify feed's identity by the rule before its shop's query counted (""
    for another kind): a session kept by that rule is still found under its names when the
    label cannot say which shop a masked query value chose (store/session_feeds.py)."""
    if feed.kind != "shopify-orders":
        return ""
    scheme = urlsplit(feed.url.strip()).scheme.lower()
    shop = shopify_shop_key(feed.url, with_query=False) or ""
    return _digest(feed.kind, scheme, "", shop, "")


def _digest(*parts: str) -> str:
    text = "\n".join(parts)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
