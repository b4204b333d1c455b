"""The polling core shared by every feed: one loop per feed on the asyncio event loop.

What it guarantees, whatever the server or the network does:
- it waits as long as the server asks (``pollingIntervalMillis``, ``poll_ms``, Shopify's call
  limit), within [``min_interval_s``, ``max_interval_s``] (a wait outside is clamped, with one
  warning), and follows page tokens/cursors; when the server says more is waiting it asks at
  once, unless that page brought neither a new cursor nor a new item (a server that says
  "more" forever without progress is asked at the normal interval; logged once); a cursor
  already seen since the last new item is no progress (a server alternating between two
  cursors would otherwise be asked without pause, forever);
- a cursor moves only after the page it acknowledges has been handed to the sink (the store
  commits items and cursor together), so an error anywhere means "ask again", never "skip";
  a store that cannot keep pages (a full disk) is said once per outage, not on every try,
  and said again once pages are stored again;
- duplicates (the same id on two pages, a server that replays after a restart) are dropped by
  kind and id here (an order and a comment may share an id) and again by the store's
  UNIQUE(source, id) of each kind's table;
- a body is read in a stream and never past ``MAX_RESPONSE_BYTES`` (a bigger one is refused
  with one line in the feed's status, and asked again after the backoff); a compressed body is
  inflated here, never more than the cap at a time (HTTP clients inflate a whole received
  chunk at once: 64 KB of gzip can become 64 MB before any cap is checked);
- every request has a timeout, and the whole response a deadline; errors back off
  exponentially with jitter; ``Retry-After`` on 429/503 (delta-seconds or an HTTP date, RFC
  9110) is honoured within [``first_delay_s``, ``max_retry_after_s``] (0, negative or
  unreadable values never make it ask at once); a response that is not JSON is counted and
  retried; an item that cannot be read is counted and kept as rejected by the store; nothing
  stops the loop but ``stop`` or the feed's end;
- it reports its health (last success, errors, latency) as a snapshot.

Time is injected (``clock`` and ``sleep``) so tests drive the timing without real waits. The
loop does no CPU work of its own: large bodies are parsed on a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import hashlib
import ipaddress
import logging
import math
import random
import re
import socket
import ssl
import time
import urllib.request
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

from anchordesk.core.backoff import exponential_delay_s
from anchordesk.core.logs import mask_text
from anchordesk.core.printable import escape_controls, masked_cut
from anchordesk.core.redact import mask_secrets, mask_url
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.feed_items import FeedItem, Order, OrderUpdate, RejectedItem, item_kind
from anchordesk.show.feed_rules import terms_key

log = logging.getLogger(__name__)

# Bodies above this size are parsed off the event loop (a 2000-message YouTube page is ~1 MB).
_PARSE_IN_THREAD_BYTES = 32 * 1024
_RECENT_IDS = 20_000
# Pages with more items than this are deduplicated off the event loop (a page of 550,000 tiny
# items held it for 2.6 s).
_DEDUPE_IN_THREAD_ITEMS = 5_000
#: The largest response body read (decoded). A 2000-message YouTube page is ~1 MB and a full
#: Shopify page of 250 orders ~2.5 MB; a bigger body is not a page but a fault or an attack
#: (a 150 MB page once took 860 MB of memory and the picture down to 5 fps).
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: A body in more pieces than this (the chunks of a chunked body, the network's reads) is not
#: read further: each costs the loop ~10 µs in h11 and httpx, so 2 MB sent as 1-byte chunks
#: held the feeds' loop (the window's thread) 21 s and took 270 MB, on every poll. A real
#: server's page arrives in tens to thousands.
MAX_RESPONSE_PIECES = 100_000
_PIECES_BETWEEN_YIELDS = 256
#: The whole response (connect, headers, body) must arrive within this many request timeouts.
_RESPONSE_DEADLINE_TIMEOUTS = 3.0


_RECENT_CURSORS = 1_000

#: This machine's own hosts: never asked through a proxy from the environment, as browsers
#: do (the proxy cannot reach this machine's loopback). Every door of the feeds keeps it: the
#: HTTP client (hub._environment_mounts) and Twitch's EventSub WebSocket (``goes_direct``).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a name under ``.localhost``
    (RFC 6761), written with the root's dot or not, any loopback address (127.0.0.0/8, ::1,
    ::ffff:127.0.0.1, 2130706433) or the unspecified one (0.0.0.0, ::). Only the three usual
    spellings were known: a rehearsal audience or a mock server on 127.0.0.2 or
    ``localhost.`` was asked through a proxy from the environment, which cannot reach this
    machine's loopback; so was one on ``http://0.0.0.0:8000``, as local servers print it."""
    name = host.strip("[]").lower()
    name = name[:-1] if name.endswith(".") else name
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip_address(name)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # The address "any" (0.0.0.0, ::), which a local server prints as where it listens
    # ("Running on http://0.0.0.0:8000"), is this machine too when connected to.
    return address is not None and (address.is_loopback or address.is_unspecified)


def _ip_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``name`` is, read as the connection will read it: besides the usual forms,
    the C library's numbers-and-dots spellings of IPv4 (``2130706433``, ``127.1``,
    ``0x7f.0.0.1``), which a browser's URL parser also reads as 127.0.0.1."""
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if not name or name.strip("0123456789abcdefx.") or not name[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        return None


def on_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (:func:`loopback_host`)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return loopback_host(host)


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def no_proxy_range(entry: str) -> IPNetwork | None:
    """The address range a NO_PROXY entry names (``10.0.0.0/8``, ``fd00::/8``, as curl reads
    them since 7.86), or None when it names no range (a host, a domain, one address)."""
    if "/" not in entry:
        return None
    try:
        return ipaddress.ip_network(entry.strip().strip("[]"), strict=False)
    except ValueError:
        return None


def no_proxy_ranges(no_proxy: str | None = None) -> list[IPNetwork]:
    """The address ranges of ``no_proxy`` (default: NO_PROXY as httpx and websockets read it,
    through urllib's ``getproxies``)."""
    if no_proxy is None:
        no_proxy = urllib.request.getproxies().get("no", "")
    ranges = (no_proxy_range(entry) for entry in no_proxy.split(","))
    return [network for network in ranges if network is not None]


def goes_direct(url: str, no_proxy: str | None = None) -> bool:
    """Whether ``url`` is asked without the environment's proxy beyond what httpx and
    websockets read of NO_PROXY themselves: this machine (:func:`on_loopback`), or an address
    inside a range NO_PROXY names. Neither reads ranges: httpx made ``10.0.0.0/8`` the one
    address 10.0.0.0 (a feed on 10.1.2.3 was asked through the proxy, which cannot reach the
    office's own network) and refused ``fd00::/8`` outright. A name is not resolved to be
    matched, as curl does not."""
    if on_loopback(url):
        return True
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    address = _ip_address(host.lower())
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in no_proxy_ranges(no_proxy))


# Pages in a row asked at once ("more", a new cursor) that brought no new item, after which the
# next is asked at the normal interval until one brings an item. A catch-up brings items; a
# window read again after a failure (Shopify) or a run of kinds no show keeps takes a few. A
# page reading records its window had not read (``Page.read_new_records``) is not counted: a
# bulk edit of 10,000 of the show's orders is 100 GraphQL pages of orders already kept, and
# from the 51st on each was asked 2 s apart, every new order behind them 100 s late.
_PAGES_AT_ONCE_WITHOUT_ITEMS = 50
#: Records (orders) an adapter remembers having read in one window, for ``read_new_records``:
#: past this many, pages read as no progress, so a server inventing records cannot keep the
#: feed asking at once for ever (1,000 GraphQL pages, 400 REST pages).
WINDOW_RECORDS_KEPT = 100_000


def _cursor_key(cursor: str) -> str:
    """A cursor as remembered: a long one (a server's opaque token can be any size) by its
    digest, so the set stays small whatever the server sends."""
    if len(cursor) <= 256:
        return cursor
    return "#" + hashlib.sha256(cursor.encode("utf-8", "replace")).hexdigest()


def _key(item: FeedItem) -> tuple[str, str]:
    """The item's key among the recent ids: kind and id, a long id by its digest (a hostile
    feed's 1 MB ids, 20,000 of them remembered, were 20 GB). An order's (an update's) key
    holds the digest of its terms, the store's rule for "the same order" (`terms_key`): a
    copy changed on the platform (an edit) goes on to the store, which keeps it as rejected
    beside the counted one (or counts it, when the first copy was rejected) instead of it
    being dropped here unseen. A kept id and a digest never share a key ("=" or "#" first):
    an item whose id was "#" + the digest of another's 300-character id was taken for that
    one seen again, and dropped unsaid."""
    item_id = "=" + item.id
    if len(item.id) > 256:
        item_id = "#" + hashlib.sha256(item.id.encode("utf-8", "replace")).hexdigest()
    if isinstance(item, Order | OrderUpdate):
        item_id = f"{item_id}\x00{terms_key(item)}"
    return item_kind(item), item_id


class MalformedResponse(Exception):
    """The body is not the JSON the platform documents (counted, then asked again)."""


class FeedEnded(Exception):
    """The platform says the feed is over (the live chat went offline, was deleted)."""


#: A request's query: names and values, or pairs when a name comes more than once
#: (``?types[]=order&types[]=comment``; a dict kept the last one only).
QueryParams = Mapping[str, str] | Sequence[tuple[str, str]]


def query_pairs(params: QueryParams) -> tuple[tuple[str, str], ...]:
    """``params`` as the pairs sent, in their order."""
    return tuple(params.items()) if isinstance(params, Mapping) else tuple(params)


@dataclass(frozen=True)
class FeedRequest:
    # It may hold its query as written (the JSON feed's: a bare "?flag" is sent so); ``params``
    # are pairs httpx adds (any, httpx 0.28 writes the query from them alone: none is None).
    url: str
    params: QueryParams = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    # GraphQL queries and token requests are POSTs with a body (Shopify's GraphQL Admin API).
    method: str = "GET"
    content: bytes | None = None


@dataclass(frozen=True)
class Page:
    items: Sequence[FeedItem]
    cursor: str | None  # the cursor to store once the items are stored (None: unchanged)
    interval_s: float | None = None  # how long the server asks us to wait
    more: bool = False  # the server has more right now: ask again without waiting
    # The adapter moved on by itself with no item and no cursor (a token fetched, a chat id
    # found, a new page token of a window): ``more`` then counts as progress.
    advanced: bool = False
    # The page read records (orders) not read before in its window, even if none is a new item:
    # a window read again after a bulk edit of the show's orders (a fulfilment app) brings
    # only orders already kept, and is still progress (see _PAGES_AT_ONCE_WITHOUT_ITEMS).
    read_new_records: bool = False
    ended: bool = False  # the feed is over after these items
    malformed_items: int = 0


class ResponseTooLarge(Exception):
    """The body is above ``MAX_RESPONSE_BYTES`` (not read further)."""


class ResponseTooSlow(TimeoutError):
    """The response kept coming past its deadline (`read_response`); its text says so with
    the time it was given. A TimeoutError still: whoever waits for one gets it."""


def _too_large(what: str) -> str:
    return (
        f"response larger than the {MAX_RESPONSE_BYTES // (1024 * 1024)} MB limit "
        f"({what}): not read"
    )


_GZIP_MAGIC = b"\x1f\x8b"


class _BoundedInflater:
    """The body's ``Content-Encoding`` undone piece by piece, never producing more than the
    room left under the cap (zlib's ``max_length``): a gzip bomb is refused after at most
    ``MAX_RESPONSE_BYTES`` of output, whatever one compressed chunk would expand to."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            # Only gzip and deflate are asked for (Accept-Encoding): anything else is a fault.
            said = masked_cut(content_encoding, 41)
            raise MalformedResponse(f"unsupported Content-Encoding {said!r}")
        self._coding = codings[0] if codings else ""
        self._inflater: zlib._Decompress | None = None
        if self._coding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._deflate_head = b""
        self._after = b""  # bytes after a gzip member: the next member, or ignored
        self._ignoring = False
        self._ignored = 0

    def feed(self, data: bytes, room: int) -> bytes:
        if not self._coding:
            if len(data) > room:
                raise ResponseTooLarge(_too_large("more was sent"))
            return data
        if self._inflater is None:  # deflate: zlib-wrapped as RFC 9110 says, or raw as IIS sent
            self._deflate_head += data
            if len(self._deflate_head) < 2:
                return b""
            data, self._deflate_head = self._deflate_head, b""
            wrapped = (data[0] & 0x0F) == 8 and int.from_bytes(data[:2], "big") % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if self._coding == "deflate":
            return self._inflate(self._inflater, data, room)
        return self._gzip_members(data, room, finishing=False)

    def _gzip_members(self, data: bytes, room: int, *, finishing: bool) -> bytes:
        """A gzip body may be several members one after the other (RFC 1952 2.2; a server
        that compresses as it writes sends one per flush): each is inflated in turn, as
        browsers, curl and urllib3 do. Bytes after a member that start no member are ignored
        (counted against the cap: they are still bytes the server sent)."""
        assert self._inflater is not None
        out = b""
        if self._inflater.eof:
            self._after += data
        else:
            out = self._inflate(self._inflater, data, room)
            if self._inflater.eof:
                self._after = self._inflater.unused_data
        while self._after and not self._ignoring:
            if len(self._after) < len(_GZIP_MAGIC) and not finishing:
                break  # the next member's first byte only: wait for the next
            if not self._after.startswith(_GZIP_MAGIC):
                self._ignoring = True
                break
            member, self._after = self._after, b""
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            out += self._inflate(self._inflater, member, room - len(out))
            if self._inflater.eof:
                self._after = self._inflater.unused_data
        if self._ignoring:
            self._ignored += len(self._after)
            self._after = b""
            if self._ignored > MAX_RESPONSE_BYTES:
                raise ResponseTooLarge(_too_large("more was sent"))
        return out

    def finish(self, room: int) -> bytes:
        if self._inflater is None:
            if self._deflate_head:
                raise MalformedResponse("the compressed body is damaged (cut short)")
            return b""
        if self._coding == "deflate":
            tail = self._inflate(self._inflater, b"", room)
        else:
            tail = self._gzip_members(b"", room, finishing=True)
        if not self._inflater.eof:
            raise MalformedResponse("the compressed body is damaged (cut short)")
        return tail

    @staticmethod
    def _inflate(inflater: zlib._Decompress, data: bytes, room: int) -> bytes:
        try:
            out = inflater.decompress(data, room + 1)
        except zlib.error as error:
            raise MalformedResponse(f"the compressed body is damaged ({error})") from None
        if len(out) > room or inflater.unconsumed_tail:
            raise ResponseTooLarge(_too_large("more was sent"))
        return out


async def read_response(
    client: httpx.AsyncClient, request: FeedRequest, timeout_s: float
) -> httpx.Response:
    """The response with its body read, but never more than ``MAX_RESPONSE_BYTES`` of it (the
    body is streamed, inflated here under the cap, and the connection dropped as soon as it is
    too big), all of it within ``_RESPONSE_DEADLINE_TIMEOUTS`` request timeouts. Every call a
    feed makes goes through here: Twitch's Helix calls read whole bodies, and a 1 MB gzip
    answer to the viewer count took 2 GB of memory and 12 s."""
    try:
        async with asyncio.timeout(timeout_s * _RESPONSE_DEADLINE_TIMEOUTS):
            return await _read_bounded(client, request, timeout_s)
    except TimeoutError:
        # Twitch's Helix calls meet it beside a WebSocket's own timeouts: it was said
        # "WebSocket: TimeoutError: ", of a Helix answer sent too slowly.
        raise ResponseTooSlow(too_slow_words(timeout_s)) from None
    except ssl.SSLError as error:
        # httpcore maps the TLS errors of the handshake, not one read after it: a server that
        # asks for a client certificate (TLS 1.3) says so by an alert on the first read, which
        # escaped as ssl.SSLError ("unexpected error (SSLError)" in the feed's status).
        raise httpx.ReadError(str(error)) from error


def too_slow_words(timeout_s: float) -> str:
    """A response that kept coming past its deadline (`read_response`), said with the time it
    was given: it was "no answer within 10 s" after 30 s of a slow drip."""
    deadline_s = timeout_s * _RESPONSE_DEADLINE_TIMEOUTS
    return f"the answer was still coming after {deadline_s:g} s: the server sends it too slowly"


_WORDS_SHOWN = 200  # a server's words in a status line, at most (as Twitch's and GraphQL's)

# OpenSSL's reasons for a TLS failure the user can act on, in words (the others are said as
# OpenSSL names them, lower case).
_TLS_REASONS = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server asks for a client certificate, which "
    "AnchorDesk does not send",
    "WRONG_VERSION_NUMBER": "the server does not speak TLS at this address (is it http://, "
    "not https://?)",
    "UNSUPPORTED_PROTOCOL": "the server offers only a TLS version too old to be safe",
    "TLSV1_ALERT_PROTOCOL_VERSION": "the server offers only a TLS version too old to be safe",
}


def _causes(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def network_words(error: BaseException) -> str:
    """A request that failed below HTTP, in one short line: a TLS failure said as what it
    means for the user (an untrusted certificate and why, a client certificate asked for), an
    answer that is not HTTP as such, never more than 200 characters of the server's bytes.

    As httpx says them, a server asking for a client certificate was "network error
    (ReadError: )", and a bad chunk size quoted 16 kB of the server's bytes in the status."""
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            why = cause.verify_message or cause.reason or "not trusted"
            return f"the server's certificate is not trusted ({words_shown(why)})"
        if isinstance(cause, ssl.SSLError):
            reason = str(cause.reason or "")
            words = _TLS_REASONS.get(reason)
            if words is None:
                words = reason.lower().replace("_", " ") or words_shown(str(cause))
            return f"the secure connection failed: {words}"
    if isinstance(error, httpx.TimeoutException):
        return _timeout_words(error)
    text = words_shown(" ".join(str(error).split()))
    if isinstance(error, httpx.RemoteProtocolError):
        return f"the server's answer is broken ({text})"
    if not text:
        system = [cause for cause in _causes(error) if isinstance(cause, OSError)]
        text = system[0].strerror or "" if system else ""
        text = text or "the connection was closed"
    return f"network error ({type(error).__name__}: {text})"


_TIMEOUT_KINDS = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


def _timeout_words(error: httpx.TimeoutException) -> str:
    """A request timeout as the poller says it, with the time the request was given: httpx
    gives no text, and it was said "network error (ReadTimeout: the connection was closed)"
    (Twitch's Helix calls), of a connection still open that sent nothing."""
    try:
        timeouts = error.request.extensions.get("timeout") or {}
    except RuntimeError:  # no request attached
        timeouts = {}
    seconds = timeouts.get(_TIMEOUT_KINDS.get(type(error), ""))
    if isinstance(seconds, int | float) and seconds > 0:
        return f"no answer within {seconds:g} s"
    return "no answer in time"


def network_fault(error: BaseException) -> Words | None:
    """What :func:`network_words` says, as words the window says in its language, where the
    user can act on it: an untrusted certificate was said "the feed is not answering" in the
    window (the server answered), its reason only in the English log (R13ui F7)."""
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            why = cause.verify_message or cause.reason or "not trusted"
            return Words(
                QT_TRANSLATE_NOOP("FeedFaults", "the server's certificate is not trusted ({why})"),
                why=words_shown(why),
            )
    return None


# A header's value as HTTP's client (h11) sends it: ASCII characters that are no white space
# and no NUL, with spaces or tabs only between them. Known by line breaks and NUL alone, a token
# holding a form feed or a vertical tab (or white space after it) was said to be "the server
# redirects to an address that is not a valid URL".
_SENDABLE_HEADER_VALUE = re.compile(
    r"(?:[\x01-\x08\x0e-\x1f!-\x7f]+(?:[ \t]+[\x01-\x08\x0e-\x1f!-\x7f]+)*)?"
)


def _headers_can_be_sent(request: FeedRequest) -> bool:
    """Whether HTTP can carry the request's own headers (see ``_SENDABLE_HEADER_VALUE``)."""
    for name, value in request.headers.items():
        if not f"{name}{value}".isascii() or not _SENDABLE_HEADER_VALUE.fullmatch(value):
            return False
        if any(char in name for char in "\r\n\0"):
            return False
    return True


def words_shown(text: str) -> str:
    """A server's words (an error's message, a reason, a TLS failure) as a feed's status and
    its log line show them: on one line, control characters escaped, cut to 200 characters.
    Every feed's (Twitch's too). Its URLs are masked whole before the cut (core/printable's
    masked_cut): cut first, a URL cut before its '@' was masked by no rule after. A feed's
    secrets are masked after too (the cut is marked: a token it cut is masked by its start)."""
    return masked_cut(escape_controls(text), _WORDS_SHOWN + 1)


async def _read_bounded(
    client: httpx.AsyncClient, request: FeedRequest, timeout_s: float
) -> httpx.Response:
    async with client.stream(
        request.method,
        request.url,
        # None when there are none: httpx then sends the URL's query as written (any params,
        # even none, read it again as pairs and write it back: a bare "?flag" became "flag=").
        params=query_pairs(request.params) or None,
        headers=dict(request.headers),
        content=request.content,
        timeout=timeout_s,
    ) as response:
        declared = response.headers.get("Content-Length", "")
        if declared.isdecimal() and int(declared) > MAX_RESPONSE_BYTES:
            raise ResponseTooLarge(_too_large(f"{int(declared) / 1e6:.0f} MB announced"))
        inflate = _BoundedInflater(response.headers.get("Content-Encoding", ""))
        # One buffer, not a list of pieces: a piece is an object of its own (~40 bytes more).
        body = bytearray()
        pieces = 0
        async for raw in response.aiter_raw():
            pieces += 1
            if pieces > MAX_RESPONSE_PIECES:
                raise ResponseTooLarge(
                    f"response sent in more than {MAX_RESPONSE_PIECES:,} pieces (chunks of a "
                    "few bytes each): not read"
                )
            if pieces % _PIECES_BETWEEN_YIELDS == 0:
                # Pieces already received come without a wait, so without a turn for the
                # loop's other work: 100,000 in a row held the window's thread 300 ms.
                await asyncio.sleep(0)
            body += inflate.feed(raw, MAX_RESPONSE_BYTES - len(body))
        body += inflate.finish(MAX_RESPONSE_BYTES - len(body))
        # The body is decoded already: the new response must not decode it again. The headers
        # are kept as the bytes the server sent: as text, one outside ASCII (a UTF-8
        # ``Server: 服务器``, a Date in the server's language) could not be set again, and
        # every page of that server failed as "a redirect to an address that is not a URL".
        headers = [
            (name, value)
            for name, value in response.headers.raw
            if name.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=bytes(body),
            request=response.request,
        )


class FeedAdapter(Protocol):
    """One platform's call: how to ask for the page after ``cursor`` and how to read it."""

    source: str
    default_interval_s: float

    def request(self, cursor: str | None) -> FeedRequest: ...

    def parse(self, response: httpx.Response, cursor: str | None) -> Page: ...

    def ended_reason(self, response: httpx.Response) -> str | None:
        """For an error response: why the feed is over for good, or None to retry."""
        ...

    def secrets(self) -> tuple[str, ...]: ...


@runtime_checkable
class CountsBusyAnswers(Protocol):
    """An adapter whose platform charges for a 429/503 answer too (YouTube's quota): the
    poller tells it before backing off."""

    def busy_answer(self, response: httpx.Response) -> None: ...


@runtime_checkable
class HandsOverOnFailure(Protocol):
    """An adapter alternating kinds of call (Shopify REST's new and updated orders, YouTube's
    chat and viewer count): told when a call got no answer to read — no answer in time, the
    network, a body past the cap, a redirect — as its ``ended_reason`` and ``parse`` are told
    of the others, so that it hands the next call to the other kind. ``refused``: asking the
    same again would fail the same way (a body too large, a redirect); ``too_large``: the
    body was past the cap (an adapter may ask for smaller pages)."""

    def call_failed(self, *, refused: bool, too_large: bool = False) -> None: ...


@runtime_checkable
class RereadsUnstoredPages(Protocol):
    """An adapter that reads a window page after page in memory and stores the window's
    cursor only at its end (Shopify GraphQL): told when a page it returned could not be
    stored, so that it reads the window again from the stored cursor. Else the next page was
    asked for, and the cursor stored at the window's end passed the unstored page's orders for
    good."""

    def page_not_stored(self) -> None: ...


# The sink stores a page (items + cursor, atomically) and returns once it is durable; it may
# return the items that were new to the store (rejected ones among them are counted).
PageSink = Callable[[str, Sequence[FeedItem], str | None], Awaitable[Sequence[FeedItem] | None]]


@dataclass(frozen=True)
class FeedHealth:
    source: str
    state: str = "starting"  # starting | ok | retrying | ended | stopped
    requests: int = 0
    errors: int = 0
    consecutive_errors: int = 0
    malformed_responses: int = 0
    malformed_items: int = 0
    duplicates: int = 0
    items: int = 0
    rejected: int = 0  # items kept as rejected (unreadable, or against the amount rule)
    last_success_at: float | None = None  # the poller's clock
    last_latency_ms: float | None = None
    last_error: str = ""
    # Why the last try failed, as words the window says in its language, where the reason is
    # one the user can act on (a certificate the server offers that cannot be trusted).
    fault: Words | None = None
    next_poll_in_s: float | None = None
    # What the adapter says of itself (filled in by the hub from ``adapter.status()``): quota
    # units spent this run (YouTube Data API) and one line for the feed's status.
    quota_units: int = 0
    note: str = ""


@dataclass(frozen=True)
class BackoffPolicy:
    first_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_retry_after_s: float = 600.0
    min_interval_s: float = 0.2  # even if a server asks for 0 ms
    max_interval_s: float = 60.0  # even if a server asks for 1e12 ms

    def retry_after_s(self, retry_after: float) -> float:
        """The wait for a server's ``Retry-After``: never less than the first backoff step (a
        server saying 0 gets no hammering), never more than ``max_retry_after_s``."""
        return min(max(retry_after, self.first_delay_s), self.max_retry_after_s)

    def delay_s(self, consecutive_errors: int, unit_random: float) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, so a crowd of
        clients that failed together does not come back together."""
        delay = exponential_delay_s(
            max(1, consecutive_errors), self.first_delay_s, 2.0, self.max_delay_s
        )
        return delay * (0.5 + 0.5 * unit_random)


def parse_retry_after(value: str | None, now_epoch_s: float) -> float | None:
    """``Retry-After`` (RFC 9110 10.2.3) in seconds: delta-seconds or an HTTP date; None when
    absent or unreadable (negative, ``nan``, ``inf``, words). A decimal such as Shopify's
    ``2.0`` is read as seconds too; a date in the past is 0."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, when.timestamp() - now_epoch_s)


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110 5.6.7: ``Retry-After``, ``Date``) as an aware UTC datetime;
    None when absent or unreadable."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
        if when is None:
            return None
        # In UTC inside the try: "Fri, 31 Dec 9999 23:59:59 -1400" is past year 9999 there,
        # and astimezone's OverflowError came out of every page of the shop that sent it
        # (its Date), so the feed read nothing for as long as it did.
        return when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# Any number of digits: "99999999999999999999" (a server's "much later") is a wait past the
# longest (float() reads it as inf; clamped to ``max_retry_after_s``). Cut at 12 digits, it
# read as no header, and the feed asked again after 1 s, 2 s, 4 s…
_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


async def _default_sleep(delay_s: float) -> None:
    await asyncio.sleep(delay_s)


class Poller:
    """Polls one feed until ``stop`` is set or the feed ends.

    ``clock`` is monotonic seconds; ``sleep`` waits (tests pass a fake that advances the fake
    clock); ``unit_random`` gives the jitter in [0, 1).
    """

    def __init__(
        self,
        adapter: FeedAdapter,
        client: httpx.AsyncClient,
        sink: PageSink,
        *,
        cursor: str | None = None,
        timeout_s: float = 10.0,
        backoff: BackoffPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = _default_sleep,
        unit_random: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.adapter = adapter
        self.cursor = cursor
        self._client = client
        self._sink = sink
        self._timeout_s = timeout_s
        self._backoff = backoff or BackoffPolicy()
        self._clock = clock
        self._sleep = sleep
        self._random = unit_random or random.Random().random
        self._wall_clock = wall_clock
        self._recent_ids: set[tuple[str, str]] = set()
        self._recent_order: deque[tuple[str, str]] = deque()
        self._said_no_progress = False
        # Cursors (keys, see _cursor_key) passed since the last page that brought a new item.
        self._cursors_without_items: set[str] = set()
        self._pages_at_once_without_items = 0  # in a row, see _PAGES_AT_ONCE_WITHOUT_ITEMS
        self._said_interval_clamped = False
        self._store_failures = 0  # tries in a row whose page the store could not keep
        # Why the feed ended, as its status says it (masked, escaped), for the log's line.
        self._ended_reason = "its page says the feed has ended"
        self._health = FeedHealth(source=adapter.source)
        self.delays_s: list[float] = []  # every wait chosen, for tests and diagnostics

    @property
    def health(self) -> FeedHealth:
        return self._health

    def _update(self, **changes: object) -> None:
        self._health = dataclasses.replace(self._health, **changes)  # type: ignore[arg-type]

    async def run(self, stop: asyncio.Event) -> FeedHealth:
        log.info("feed %s: polling %s", self.adapter.source, self._describe())
        while not stop.is_set():
            try:
                delay_s = await self.poll_once()
            except Exception as error:  # an input no rule foresaw: this feed retries, and the
                # hub's other feeds go on (one escaping error ended them all, silently).
                log.debug("feed %s: unexpected error", self.adapter.source, exc_info=True)
                delay_s = self._error(f"unexpected error ({type(error).__name__})")
            if self._health.state == "ended":
                # With the platform's reason (it was only in the status): the log is where
                # a show's end is looked into afterwards.
                log.info(
                    "feed %s: the platform ended the feed (%s)",
                    self.adapter.source,
                    words_shown(self._ended_reason),
                )
                return self._health
            self.delays_s.append(delay_s)
            self._update(next_poll_in_s=delay_s)
            if delay_s > 0:
                await self._wait(delay_s, stop)
        self._update(state="stopped", next_poll_in_s=None)
        return self._health

    async def _wait(self, delay_s: float, stop: asyncio.Event) -> None:
        if self._sleep is _default_sleep:
            # Real time: wake at once when asked to stop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay_s)
        else:
            await self._sleep(delay_s)

    def _describe(self) -> str:
        request = self.adapter.request(self.cursor)
        return mask_url(request.url)

    def _store_failed(self, error: Exception) -> float:
        """The page could not be stored: not applied, its cursor kept, asked again later.

        Said once per outage: on a full disk every retry of every feed repeated it, burying
        the store's own line (which says once what is wrong with the disk). The feed's status
        still shows it on each try, and the first page stored again is said too."""
        self._store_failures += 1
        if isinstance(self.adapter, RereadsUnstoredPages):
            self.adapter.page_not_stored()
        quiet = self._store_failures > 1
        return self._error(f"could not store the page ({error})", quiet=quiet)

    def _error(
        self,
        message: str,
        *,
        malformed: bool = False,
        quiet: bool = False,
        fault: Words | None = None,
    ) -> float:
        consecutive = self._health.consecutive_errors + 1
        # The status is shown in the window and the remote: URLs in an HTTP client's message are
        # masked by the log's rule too, not only the adapter's own token; and what the server
        # wrote in it is escaped, as the log escapes it (Twitch's status is said the same way).
        message = self._said(message)
        self._update(
            state="retrying",
            errors=self._health.errors + 1,
            consecutive_errors=consecutive,
            malformed_responses=self._health.malformed_responses + (1 if malformed else 0),
            last_error=message,
            fault=fault,
        )
        delay = self._backoff.delay_s(consecutive, self._random())
        log.log(
            logging.DEBUG if quiet else logging.WARNING,
            "feed %s: %s; retrying in %.1f s",
            self.adapter.source,
            message,
            delay,
        )
        return delay

    def _said(self, message: str) -> str:
        """A message for the feed's status: masked, and escaped as the log escapes it. A
        redirect's ``Location`` (read as bytes since R16's headers outside ASCII) put a C1
        CSI, a line separator or a right-to-left override into the status the window and the
        phone show ("…/\u202egnp.exe" read as "…/exe.png")."""
        return escape_controls(mask_text(mask_secrets(message, self.adapter.secrets())))

    def _ended(self, reason: str) -> float:
        self._ended_reason = self._said(reason)
        self._update(state="ended", last_error=self._ended_reason)
        return 0.0

    def _call_failed(self, *, refused: bool, too_large: bool = False) -> None:
        """Tell an adapter that alternates kinds of call that this one got no answer it could
        read (see :class:`HandsOverOnFailure`)."""
        if isinstance(self.adapter, HandsOverOnFailure):
            self.adapter.call_failed(refused=refused, too_large=too_large)

    async def poll_once(self) -> float:
        """One request; returns how long to wait before the next one."""
        request = self.adapter.request(self.cursor)
        started = self._clock()
        self._update(requests=self._health.requests + 1)
        try:
            response = await self._get(request)
        except ResponseTooLarge as error:
            self._call_failed(refused=True, too_large=True)
            return self._error(str(error))
        except MalformedResponse as error:  # a body that cannot be inflated
            self._call_failed(refused=True)
            return self._error(f"malformed response: {error}", malformed=True)
        except httpx.TimeoutException:  # nothing came for a whole request timeout
            self._call_failed(refused=False)
            return self._error(f"no answer within {self._timeout_s:g} s")
        except TimeoutError as error:  # the response's deadline: it kept coming, too slowly
            self._call_failed(refused=False)
            return self._error(str(error) or too_slow_words(self._timeout_s))
        except (UnicodeEncodeError, httpx.LocalProtocolError):
            self._call_failed(refused=True)
            if _headers_can_be_sent(request):
                # httpx builds the next request of a redirect even when it is not followed: a
                # Location holding UTF-8 bytes failed there, and was said as the user's token.
                return self._error(
                    "the server redirects to an address that is not a valid URL, not "
                    "followed: give the feed's new address"
                )
            # Not the error's text: it quotes the header, which holds the token.
            return self._error(
                "the request cannot be sent: its token or address holds a character HTTP "
                "cannot carry (a line break, a letter outside ASCII, an invisible character); "
                "set it again"
            )
        except httpx.HTTPError as error:
            self._call_failed(refused=False)
            return self._error(network_words(error), fault=network_fault(error))
        except httpx.InvalidURL as error:  # not an HTTPError: it would end the feed's task
            self._call_failed(refused=True)
            return self._error(f"the request cannot be sent ({error})")
        latency_ms = (self._clock() - started) * 1000.0
        self._update(last_latency_ms=latency_ms)

        if response.status_code in (429, 503):
            if isinstance(self.adapter, CountsBusyAnswers):
                self.adapter.busy_answer(response)
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock())
            backoff_delay = self._error(f"server busy (HTTP {response.status_code})")
            if retry_after is not None:
                return self._backoff.retry_after_s(retry_after)
            return backoff_delay
        if response.status_code == 304:
            # Not a redirect (no new address to give): an answer to a conditional request,
            # and none is sent (no If-None-Match, no If-Modified-Since).
            self._call_failed(refused=True)
            return self._error(
                "HTTP 304 (not modified) to a request that asked for no cached copy: the "
                "server, or a proxy or cache between, answers wrongly"
            )
        if 300 <= response.status_code < 400:
            # Never followed (the client is built so): a redirect to another host would carry
            # the feed's token there. Said as what it is, with where it points (masked).
            # Masked whole, then cut (marked, so the feed's secrets' rule masks a token the
            # cut shortened): cut first, a token past the 300th character was masked by
            # neither rule and its start shown in the status and the log.
            location = masked_cut(mask_url(response.headers.get("Location", "")), 301)
            where = f"; it points to {location}" if location else ""
            self._call_failed(refused=True)
            return self._error(
                f"the server redirects (HTTP {response.status_code}), not followed: give the "
                f"feed's new address{where}"
            )
        if response.status_code >= 400:
            ended_reason = self.adapter.ended_reason(response)
            if ended_reason is not None:
                return self._ended(ended_reason)
            return self._error(f"HTTP {response.status_code}")

        try:
            if len(response.content) > _PARSE_IN_THREAD_BYTES:
                page = await asyncio.to_thread(self.adapter.parse, response, self.cursor)
            else:
                page = self.adapter.parse(response, self.cursor)
        except FeedEnded as ended:
            return self._ended(str(ended))
        except MalformedResponse as error:
            return self._error(f"malformed response: {error}", malformed=True)

        if page.cursor is not None and page.cursor != self.cursor:
            problem = self._unsendable(page.cursor)
            if problem is not None:  # never stored: a session would be stuck on it for good
                return self._error(f"malformed response: {problem}", malformed=True)

        if len(page.items) > _DEDUPE_IN_THREAD_ITEMS:
            # Only this poller touches its recent ids, one page at a time: safe off the loop.
            fresh = await asyncio.to_thread(self._drop_duplicates, page.items)
        else:
            fresh = self._drop_duplicates(page.items)
        try:
            new = await self._sink(self.adapter.source, fresh, page.cursor)
        except Exception as error:  # the store failed: keep the cursor, ask again later
            return self._store_failed(error)
        if self._store_failures:
            log.info(
                "feed %s: storing pages again (%d tries could not be stored; their items are "
                "asked for again, none was lost)",
                self.adapter.source,
                self._store_failures,
            )
            self._store_failures = 0
        if len(fresh) > _DEDUPE_IN_THREAD_ITEMS:
            await asyncio.to_thread(self._remember_all, fresh)
        else:
            self._remember_all(fresh)
        if fresh or page.advanced:
            self._cursors_without_items.clear()
            progressed = True
        else:
            progressed = self._new_cursor(page.cursor)
        if fresh or not page.more:
            self._pages_at_once_without_items = 0
        elif progressed and not page.read_new_records:
            # A new cursor (or an adapter's next page) on every page, none with an item: a
            # server handing out fresh tokens, or cycling through two Shopify cursors, was
            # asked at once for ever (hundreds of calls a second). Progress that brings nothing
            # for this many pages in a row is none.
            self._pages_at_once_without_items += 1
            progressed = self._pages_at_once_without_items <= _PAGES_AT_ONCE_WITHOUT_ITEMS
        if page.cursor is not None:
            self.cursor = page.cursor
        rejected = sum(1 for item in (new or ()) if isinstance(item, RejectedItem))
        self._update(
            state="ended" if page.ended else "ok",
            consecutive_errors=0,
            fault=None,
            last_success_at=self._clock(),
            items=self._health.items + len(fresh),
            rejected=self._health.rejected + rejected,
            duplicates=self._health.duplicates + (len(page.items) - len(fresh)),
            malformed_items=self._health.malformed_items + page.malformed_items,
        )
        if page.more and progressed:
            self._said_no_progress = False
            return 0.0
        if page.more and not self._said_no_progress:
            self._said_no_progress = True
            log.warning(
                "feed %s: the server says more is waiting but sent nothing new; "
                "asking again at the normal interval",
                self.adapter.source,
            )
        interval = (
            page.interval_s if page.interval_s is not None else self.adapter.default_interval_s
        )
        return self._bounded_interval(interval)

    def _unsendable(self, cursor: str) -> str | None:
        """Why the request after ``cursor`` could not be sent (a URL past HTTP clients' 64 KB
        limit), or None."""
        request = self.adapter.request(cursor)
        try:
            httpx.URL(request.url, params=query_pairs(request.params) or None)
        except httpx.InvalidURL:
            return f"its next cursor ({len(cursor):,} characters) is too long to send back"
        return None

    def _new_cursor(self, cursor: str | None) -> bool:
        """Whether ``cursor`` is one not passed since the last page with a new item."""
        if cursor is None or cursor == self.cursor:
            return False
        seen = self._cursors_without_items
        if len(seen) >= _RECENT_CURSORS:
            seen.clear()  # bounded; a cycle longer than this is asked at once once more
        if self.cursor is not None:
            seen.add(_cursor_key(self.cursor))
        key = _cursor_key(cursor)
        if key in seen:
            return False
        seen.add(key)
        return True

    def _bounded_interval(self, interval_s: float) -> float:
        low, high = self._backoff.min_interval_s, self._backoff.max_interval_s
        if math.isnan(interval_s):
            interval_s = self.adapter.default_interval_s
        bounded = min(max(interval_s, low), high)
        # Below the floor is routine (``poll_ms: 0`` while catching up); above the ceiling is
        # a server that would silence the feed for the session: say so once.
        if interval_s > high and not self._said_interval_clamped:
            self._said_interval_clamped = True
            log.warning(
                "feed %s: the server asks to wait %.4g s between calls; waiting %g s",
                self.adapter.source,
                interval_s,
                high,
            )
        return bounded

    async def _get(self, request: FeedRequest) -> httpx.Response:
        return await read_response(self._client, request, self._timeout_s)

    @staticmethod
    def _too_large(what: str) -> str:
        return _too_large(what)

    def _drop_duplicates(self, items: Sequence[FeedItem]) -> list[FeedItem]:
        fresh: list[FeedItem] = []
        seen_here: set[tuple[str, str]] = set()
        for item in items:
            key = _key(item)
            if key in self._recent_ids or key in seen_here:
                continue
            seen_here.add(key)
            fresh.append(item)
        return fresh

    def _remember_all(self, items: Sequence[FeedItem]) -> None:
        for item in items:
            self._remember(item)

    def _remember(self, item: FeedItem) -> None:
        key = _key(item)
        self._recent_ids.add(key)
        self._recent_order.append(key)
        if len(self._recent_order) > _RECENT_IDS:
            self._recent_ids.discard(self._recent_order.popleft())
