"""Keep secrets (stream keys, tokens) out of logs, messages and exceptions.

A platform hands out a stream URL whose last path segment is the key
(``rtmp://a.rtmp.youtube.com/live2/KEY``); tokens also travel in query strings. Everything that
prints a URL prints ``mask_url(url)`` instead.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_MASK = "****"
_SECRET_QUERY_KEYS = re.compile(r"(key|token|secret|auth|sig|signature|password|pass)", re.I)


def mask_url(url: str) -> str:
    """Return ``url`` with the stream key, user info and secret query values masked.

    For rtmp/rtmps/srt URLs the path after the application name is the key, so every path
    segment after the first is masked. For http(s) URLs only credentials and secret-looking
    query parameters are masked.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return _MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = _MASK + "@" + netloc.rsplit("@", 1)[1]
    path = parts.path
    if parts.scheme.lower() in {"rtmp", "rtmps", "rtmpt", "rtmpe", "srt", "rist"}:
        segments = path.split("/")
        # ['', 'app', 'key', ...] -> keep the application name, mask the rest.
        if len(segments) > 2:
            path = "/".join([*segments[:2], *(_MASK if s else s for s in segments[2:])])
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if parts.scheme.lower() in {"rtmp", "rtmps"}:
            pairs = [(k, _MASK) for k, _ in pairs]
        else:
            pairs = [(k, _MASK if _SECRET_QUERY_KEYS.search(k) else v) for k, v in pairs]
        query = urlencode(pairs, safe="*")
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def mask_secrets(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """Replace every occurrence of each known secret in ``text`` (for error messages)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return text
