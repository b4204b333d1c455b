"""What a feed is on the command line and in the settings: ``KIND=URL``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from anchordesk.core.errors import UserError

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
