"""What a feed is on the command line and in the settings: ``KIND=URL``."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from anchordesk.core.errors import UserError
from anchordesk.core.redact import is_secret_query_name

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
    kind, sep, url = text.partition("=")
    kind = kind.strip().lower()
    if kind not in FEED_KINDS:
        raise UserError(f"--feed {text!r}: KIND must be one of {', '.join(FEED_KINDS)}")
    url = url.strip()
    if not url and kind != "rehearsal":
        raise UserError(f"--feed {text!r}: a URL is needed after {kind}=")
    if kind in PUSH_KINDS:
        if not re.match(r"^wss?://", url):
            raise UserError(f"--feed {kind}=…: the URL must start with wss:// (or ws://)")
    elif url and not re.match(r"^https?://", url):
        raise UserError(f"--feed {kind}=…: the URL must start with http:// or https://")
    problem = feed_url_problem(url) if url else None
    if problem is not None:
        raise UserError(f"--feed {kind}=…: not a usable URL ({problem})")
    del sep
    return FeedSpec(kind=kind, url=url)


def feed_url_problem(url: str) -> str | None:
    """Why the HTTP client could never ask ``url`` (``http://[::1/feed``, a port that is no
    number, a control character), in its words without the URL (it may hold a token), or None.
    Found at start, not as a traceback when the session starts nor as a retry for ever."""
    import httpx  # the CLI's --help need not load it

    try:
        httpx.URL(url)
    except httpx.InvalidURL as error:
        return str(error)
    return None


def feed_identity(feed: FeedSpec) -> str:
    """Which feed this is, the same in every run: what the session keys a feed's cursor and
    its item ids by (store ``feeds``), so a session continued with another feed of the same
    kind never takes the first one's cursor nor its id space.

    It is the kind and the URL without its credentials (user info, and query values whose
    name says credential: ``token``, ``key``, ``sig``...), so a rotated token is still the same
    feed, while another live chat id, shop, port or path is another feed. Kept as a digest:
    what is left of the URL may still hold an opaque key in its path (a webhook-style
    address), which must not sit in the session file in clear."""
    parts = urlsplit(feed.url.strip())
    host = parts.netloc.rpartition("@")[2].lower()
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_secret_query_name(name)
    )
    text = "\n".join((feed.kind, parts.scheme.lower(), host, parts.path or "/", urlencode(query)))
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
