"""Keep secrets (stream keys, tokens) out of logs, messages and exceptions.

Everything that prints a URL prints ``mask_url(url)`` instead; text that may hold the URL (a
child process's log line, an error message) goes through ``mask_secrets(text, url_secrets(url))``.
Both follow one rule, wherever a secret sits in the URL:

1. **User info** (``user:password@``) is always masked, also when a ``/``, ``?``, ``#`` or
   ``\\`` in a pasted password ends the server's name early (``rtmp://user:pa/ss@host/...``).
2. **Path**, for streaming URLs (``rtmp``, ``rtmps``, ``rtmpt``, ``rtmpe``, ``srt``, ``rist``):
   the first segment is the application name and stays readable; every segment after it is the
   stream key and is masked. A lone segment is masked too when it looks like a key (see 4),
   because some servers take ``rtmp://host/KEY``.
   For every other scheme (an http feed): the path stays readable (``/api/v1/comments``),
   except a segment that looks like a key (see 4), as webhook-style URLs carry one.
   For every scheme, the value of a segment's parameter (``/feed;token=…``,
   ``rtmp://host/app;x=…``, RFC 3986 3.3) is read as a query item's (rule 3): over a streaming
   URL it is always masked, the application's name beside it staying readable.
3. **Query**: for streaming URLs every value is masked. For other URLs a value is kept only
   when it is clearly harmless: its name is not secret-like (``token``, ``jwt``, ``sig``...) and
   the value is a number, a boolean, a date, or a short plain word. Anything else (``?jwt=…``,
   an opaque ``?session=…``) is masked. An item without ``=`` is a value with no name
   (``rtmp://host/live/stream?KEY``: an RTMP server gets it as the stream's arguments): masked
   as a value is; a name that looks like a key (see 4) is masked too.
4. **Looks like a key**: at least 16 characters mixing letters and digits, or 32 characters or
   more of a token alphabet, or a well-known key prefix (``sk_``, ``live_``, ``rk_``...).
   Words, version numbers (``v1``, ``2024-10``), numeric ids and ``live2`` stay readable.
5. **Port and zone**: a port is a number of at most 5 digits; anything longer that is no
   number where the port goes (``rtmp://host:KEY/live2``, ``host:1935:KEY``: a key or a
   password pasted after the server's name with a ":") is masked whole; a typo of a port's
   length (``:80a``, ``:abc``) stays readable. An IPv6 address's zone (``[fe80::1%25eth0]``)
   stays readable unless it looks like a key (see 4).

The fragment is dropped: it is never needed to tell which destination or feed a line is about.

A streaming URL is read the same way however its authority is introduced: ``rtmp:host/app/KEY``
(FFmpeg and librtmp accept it), ``rtmp:/host/...``, ``rtmp:///host/...`` and ``RTMP://`` name
the same host, application and key as ``rtmp://host/app/KEY``. In free text (a log line, an
error message, a child's output) :func:`mask_urls` finds every URL by one pattern and masks
each by this rule; punctuation that ends a sentence around a URL stays outside it. Where a URL
was expected but the text has no scheme (``host/app/KEY``, ``rtmp//host/app/KEY``),
:func:`mask_pasted_address` masks what follows its last ``/``, and, with no ``/``, each word
that looks like a key (4) or has a platform's stream key's shape (``--to KEY`` for a name).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import SplitResult, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

MASK = "****"
_MASK = MASK
STREAMING_SCHEMES = frozenset(
    {"rtmp", "rtmps", "rtmpt", "rtmpe", "rtmpte", "rtmpts", "srt", "rist"}
)
_SECRET_QUERY_NAMES = re.compile(
    r"(key|token|secret|auth|sig|signature|password|passwd|pass|pwd|jwt|session|sid|"
    r"credential|code|hmac|hash|nonce|otp|cookie|bearer|ticket)",
    re.I,
)
# Values that cannot be a secret: numbers, booleans, dates and short plain words.
_HARMLESS_VALUE = re.compile(
    r"""^(?:
        [+-]?\d{1,20}(?:\.\d{1,12})?                      # a number or an id
        |true|false|yes|no|on|off|null|none              # a flag
        |\d{4}-\d{2}-\d{2}(?:[T\ ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?
        |[A-Za-z][A-Za-z_.-]{0,23}(?:,[A-Za-z][A-Za-z_.-]{0,23})*  # words: json, en-US, a,b
    )$""",
    re.I | re.X,
)
_KEY_PREFIX = re.compile(r"^(?:sk|rk|pk|live|key|sess|tok|ghp|xox[abp])[_-][A-Za-z0-9]", re.I)
_QUERY_SAFE = "*,:"
_TOKEN_ALPHABET = re.compile(r"^[A-Za-z0-9._~+/=-]{32,}$")


def looks_like_key(text: str) -> bool:
    """Rule 4 of the module doc: could ``text`` (one path segment) be a key or a token?"""
    if len(text) < 8:  # shorter than any key (decoding never lengthens): a path's many words
        return False
    text = unquote(text)
    if _KEY_PREFIX.match(text) and len(text) >= 8:
        return True
    if _TOKEN_ALPHABET.match(text):
        return True
    has_letter = any(c.isalpha() for c in text)
    has_digit = any(c.isdigit() for c in text)
    return len(text) >= 16 and has_letter and has_digit


# What platforms' stream keys look like: YouTube "abcd-efgh-ijkl-mnop(-qrst)", Twitch
# "live_123_abc", Facebook "FB-123-0-Ab…", Amazon IVS/Kick "sk_us-west-2_…", Douyin/Kuaishou push
# codes "stream-123…", and query parameters that sign a push URL (Tencent txSecret, Alibaba
# auth_key, Douyin sign).
STREAM_KEY_SHAPES = (
    re.compile(r"[a-z0-9]{4}(?:-[a-z0-9]{4}){3,4}", re.I),
    re.compile(r"live_\d+_\w+", re.I),
    re.compile(r"fb-\d+-\d+-\S+", re.I),
    re.compile(r"sk_[a-z0-9-]+_\w+", re.I),
    re.compile(r"stream-\d{6,}\S*", re.I),
)


def looks_like_stream_key(text: str) -> bool:
    """Whether a piece of text has a stream key's shape (a platform's pattern, or a long
    random-looking token of letters and digits)."""
    text = text.strip().strip("/")
    if not text:
        return False
    if any(shape.fullmatch(text) for shape in STREAM_KEY_SHAPES):
        return True
    return (
        len(text) >= 16
        and re.fullmatch(r"[A-Za-z0-9_\-]+", text) is not None
        and any(c.isdigit() for c in text)
        and any(c.isalpha() for c in text)
    )


def _is_streaming(scheme: str) -> bool:
    return scheme.lower() in STREAMING_SCHEMES


def _masked_segments(scheme: str, path: str, *, reread: bool = False) -> list[bool]:
    """For each segment of ``path.split('/')``: is it a secret (rule 2)?

    ``reread``: the host was read from text that did not follow ``//`` (``rtmp:///live2/KEY``,
    :func:`_split`). Every other reader (``urlsplit``, ``validate_url``) reads no server there
    and the path ``/live2/KEY``, whose last segment is the key: it is masked by that reading
    too (read only as host ``live2`` and application ``KEY``, the key was printed whole)."""
    segments = path.split("/")
    named = [index for index, segment in enumerate(segments) if segment]
    secret = [False] * len(segments)
    if _is_streaming(scheme):
        if len(segments) > 2 and segments[0] == "" and segments[1] == "":
            # An empty application (``rtmp://host//KEY``): FFmpeg sends the application ""
            # and the stream KEY, which was printed whole, being the one named segment.
            named = [0, *named]
        if len(named) == 1:
            # An encoded slash (``live%2FKEY``) is one segment to FFmpeg, "app/KEY" to the
            # person who wrote it: what follows it is a key by this same rule.
            lone = segments[named[0]]
            secret[named[0]] = reread or looks_like_key(lone) or "/" in unquote(lone).strip("/")
        for index in named[1:]:
            secret[index] = True
    else:
        for index in named:
            secret[index] = looks_like_key(segments[index])
    return secret


def _segment_parameters(scheme: str, segment: str) -> list[tuple[str, str]]:
    """A path segment's named parameters (RFC 3986 3.3: ``feed;jsessionid=…;token=…``) as
    (name, value) pairs. A parameter without ``=`` is read with its segment (rule 4 of the
    whole segment): ``;v2``, ``;t`` are words of a path more often than keys. A streaming URL's
    are read too: its segments after the application are masked whole, but the application's
    own (``rtmp://host/app;x=sk_live_…/stream``) was printed whole, the key in it, by every
    line naming the destination."""
    if ";" not in segment:
        return []
    pairs = []
    for item in segment.split(";")[1:]:
        name, equals, value = item.partition("=")
        if equals:
            pairs.append((name, value))
    return pairs


def _parameter_is_secret(scheme: str, name: str, value: str) -> bool:
    """Rule 3 for a path segment's parameter, as for a query item."""
    return bool(value) and _query_value_is_secret(scheme, unquote(name), unquote(value))


def _with_masked_parameters(scheme: str, segment: str) -> str:
    """``segment`` with each parameter's value masked by rule 3 (a query item's rule): by the
    path's rule alone, ``/feed;token=abcdefghijkl`` (no digit, so no key by its looks) was
    printed whole."""
    pairs = _segment_parameters(scheme, segment)
    if not any(_parameter_is_secret(scheme, name, value) for name, value in pairs):
        return segment
    head = segment.split(";", 1)[0]
    items = []
    for item in segment.split(";")[1:]:
        name, equals, value = item.partition("=")
        hidden = equals and _parameter_is_secret(scheme, name, value)
        items.append(f"{name}={_MASK}" if hidden else item)
    return ";".join([head, *items])


def url_parameters(url: str) -> list[tuple[str, str]]:
    """Every ``(name, value)`` that ``url`` carries as a parameter, decoded: its path segments'
    (``;name=value``) and its query's (an item without ``=`` is a value with no name, rule 3).
    Empty for an unreadable URL."""
    try:
        parts, _slashes = _split(url)
    except ValueError:
        return []
    found = [
        (unquote(name), unquote(value))
        for segment in parts.path.split("/")
        for name, value in _segment_parameters(parts.scheme, segment)
    ]
    for item in parts.query.split("&"):
        name, equals, value = item.partition("=")
        if not equals:
            name, value = "", name
        if value:
            found.append((unquote_plus(name), unquote_plus(value)))
    return found


def holds_key_value(url: str) -> bool:
    """Whether a parameter of ``url`` (its path's ``;x=…`` or its query's ``?x=…``) has a
    value that looks like a key (rule 4) or has a stream key's shape, whatever its name: a
    key pasted as ``rtmp://host/app;x=sk_live_…`` or ``?x=sk_live_…`` is one by its looks, as
    a path segment is, not only when the name beside it says so."""
    return any(
        looks_like_key(value) or looks_like_stream_key(value)
        for _name, value in url_parameters(url)
    )


def is_secret_query_name(name: str) -> bool:
    """Whether a query parameter's name says its value is a credential (``token``, ``jwt``,
    ``sig``...): such a value is masked whatever it looks like."""
    return _SECRET_QUERY_NAMES.search(name) is not None


def _query_value_is_secret(scheme: str, name: str, value: str) -> bool:
    """Rule 3 of the module doc."""
    if _is_streaming(scheme):
        return True
    if is_secret_query_name(name):
        return True
    return not (value == "" or _HARMLESS_VALUE.match(value))


def _with_whole_user_info(parts: SplitResult, url: str) -> SplitResult:
    """``parts`` with its user info running to the ``@`` that a password cut short.

    A password pasted with ``/``, ``?``, ``#`` or ``\\`` in it (``rtmp://user:pa/ss@host/...``)
    ends the authority early for every URL parser: the password's first part reads as a
    port, its rest as the path, and both were printed. Rule 1 reads such a URL as a person
    means it: when the authority is broken (a port that is no number, a backslash in it) or
    the first path segment holds an ``@``, the user info runs to the last ``@`` followed by a
    usable host."""
    if "@" in parts.netloc or "://" not in url:
        return parts
    try:
        broken = parts.port is None and ":" in parts.netloc.rsplit("]", 1)[-1]
    except ValueError:
        broken = True
    broken = broken or "\\" in parts.netloc
    first_segment = parts.path.lstrip("/").split("/", 1)[0]
    if not broken and "@" not in first_segment:
        return parts
    rest = url.split("://", 1)[1]
    at = len(rest)
    while (at := rest.rfind("@", 0, at)) > 0:
        try:
            tail = urlsplit(f"{parts.scheme}://{rest[at + 1 :]}")
            tail.port  # noqa: B018 - raises for a port that is no number
        except ValueError:
            continue
        if tail.hostname and "\\" not in tail.netloc:
            return tail._replace(netloc=f"{rest[:at]}@{tail.netloc}")
    return parts


def _port_and_zone(netloc: str) -> tuple[str, str]:
    """The text written where ``netloc``'s port goes (after the server's name and a ":", to
    the end; "" for none) and its IPv6 zone (after "%" or "%25" in brackets; "" for none)."""
    host_port = netloc.rpartition("@")[2]
    zone = ""
    if host_port.startswith("["):
        address, bracket, after = host_port[1:].partition("]")
        if "%" in address:
            zone = address.partition("%")[2]
            zone = zone[2:] if zone[:2] == "25" and len(zone) > 2 else zone
        port = after[1:] if bracket and after.startswith(":") else ""
    else:
        port = host_port.partition(":")[2]
    return port, zone


_PORT_DIGITS: Final = 5  # 65535


def _port_is_secret(port: str) -> bool:
    """Rule 5: longer than a port and no number, written where the port goes."""
    return len(port) > _PORT_DIGITS and not (port.isascii() and port.isdigit())


def _masked_netloc(netloc: str) -> str:
    """``netloc`` (its user info masked already) with its port and zone masked by rule 5: a
    key pasted after the server's name with a ":" (``rtmp://host:KEY/live2``) was printed
    whole by every message naming the URL, and quoted by ``--feed``'s refusal."""
    port, zone = _port_and_zone(netloc)
    if _port_is_secret(port):
        netloc = f"{netloc[: len(netloc) - len(port)]}{_MASK}"
    if zone and looks_like_key(zone):
        before, _, after = netloc.rpartition(zone)
        netloc = f"{before}{_MASK}{after}"
    return netloc


def secret_port(url: str) -> str:
    """The text written where ``url``'s port goes when rule 5 masks it (no number), else ""."""
    try:
        port = _port_and_zone(_split(url)[0].netloc)[0]
    except ValueError:
        return ""
    return port if _port_is_secret(port) else ""


def written_port(url: str) -> str:
    """The text written where ``url``'s port goes, as written ("" for none, or an unreadable
    URL): a check that refuses it quotes it as :func:`masked_port` shows it."""
    try:
        return _port_and_zone(_split(url)[0].netloc)[0]
    except ValueError:
        return ""


def masked_port(port: str) -> str:
    """``port`` (the text written where a URL's port goes) as rule 5 shows it."""
    return _MASK if _port_is_secret(port) else port


def masked_zone(zone: str) -> str:
    """An IPv6 address's zone as rule 5 shows it."""
    return _MASK if looks_like_key(zone) else zone


def _split(url: str) -> tuple[SplitResult, str]:
    """``urlsplit(url)``, a streaming URL read with its authority whatever introduces it (the
    module doc), and the text that stood between ``scheme:`` and the host (to write it back).
    The user info is read as :func:`_with_whole_user_info` says; a backslash counts as a
    ``/`` (``rtmp://host\\app\\KEY`` named no path, and the key was printed as the host)."""
    parts = _with_whole_user_info(urlsplit(url), url)
    if "\\" in parts.netloc:
        parts = _with_whole_user_info(urlsplit(url.replace("\\", "/")), url.replace("\\", "/"))
    if not _is_streaming(parts.scheme) or parts.netloc:
        return parts, "//"
    rest = url[len(parts.scheme) + 1 :]
    slashes = rest[: len(rest) - len(rest.lstrip("/\\"))]
    if not rest[len(slashes) :]:
        return parts, "//"
    # A backslash counts as a "/" here too: "rtmp:\\host\\app\\KEY" (a Windows path's
    # spelling) was read with "host\\app\\KEY" as the server's name, the key in it.
    authority_on = rest[len(slashes) :].replace("\\", "/")
    return urlsplit(f"{parts.scheme}://{authority_on}"), slashes


def user_info_cut_short(url: str) -> bool:
    """Does a ``/``, ``?``, ``#`` or ``\\`` in the user name or password end the server's
    name early (:func:`_with_whole_user_info`)? Such a URL cannot reach its server."""
    try:
        return "@" in _split(url)[0].netloc and "@" not in urlsplit(url).netloc
    except ValueError:
        return False


#: The words of the advice "put them in the URL (rtmp://USER:PASSWORD@HOST/…)": no one's
#: login, and masked it told the reader of the log nothing ("rtmp://****@HOST/…").
_PLACEHOLDER_LOGIN: Final = "USER:PASSWORD"


def mask_url(url: str) -> str:
    """``url`` with every secret masked by the rule of the module doc."""
    try:
        parts, slashes = _split(url)
    except ValueError:
        return _MASK
    scheme = parts.scheme
    netloc = parts.netloc
    if "@" in netloc and netloc.rsplit("@", 1)[0] != _PLACEHOLDER_LOGIN:
        netloc = _MASK + "@" + netloc.rsplit("@", 1)[1]
    netloc = _masked_netloc(netloc)
    segments = parts.path.split("/")
    secret = _masked_segments(scheme, parts.path, reread=slashes != "//")
    path = "/".join(
        _MASK if hidden else _with_masked_parameters(scheme, segment)
        for segment, hidden in zip(segments, secret, strict=True)
    )
    query = _masked_query(scheme, parts.query)
    masked = urlunsplit((scheme, netloc, path, query, ""))
    written = _separators_as_written(url, parts, path)
    prefix = urlunsplit((scheme, netloc, "", "", ""))
    if written != path and masked.startswith(prefix + path):
        masked = prefix + written + masked[len(prefix) + len(path) :]
    if slashes != "//":  # written back as it was introduced (rtmp:host/app/****)
        masked = f"{scheme}:{slashes}{masked[len(scheme) + 3 :]}"
    return masked


def _separators_as_written(url: str, parts: SplitResult, path: str) -> str:
    """``path`` (``parts.path`` masked) with each ``/`` that ``url`` wrote as a backslash (read
    as one by :func:`_split`) written back as it was: "http://127.0.0.1:1\\r" (an escaped
    CR in a message) was said as "…:1/r", another character than the wrong one."""
    replaced = url.replace("\\", "/")
    start = len(parts.scheme) + 1
    if parts.netloc:
        start = replaced.find(parts.netloc, start) + len(parts.netloc)
    at = replaced.find(parts.path, start) if parts.path else -1
    if at < 0:
        return path
    separators = iter(
        char if char in "/\\" else "/"
        for char, read in zip(url[at : at + len(parts.path)], parts.path, strict=True)
        if read == "/"
    )
    return "".join(next(separators, "/") if char == "/" else char for char in path)


def _masked_query(scheme: str, query: str) -> str:
    """Rule 3, item by item, each written back percent-encoded (no control character)."""
    items = []
    for item in query.split("&"):
        if not item:
            continue
        raw_name, equals, raw_value = item.partition("=")
        name, value = unquote_plus(raw_name), unquote_plus(raw_value)
        if not equals:
            hidden = _query_value_is_secret(scheme, "", name) or looks_like_key(name)
            items.append(_MASK if hidden else _quoted(name))
            continue
        name_text = _MASK if looks_like_key(name) else _quoted(name)
        secret = _query_value_is_secret(scheme, name, value)
        items.append(f"{name_text}={_MASK if secret else _quoted(value)}")
    return "&".join(items)


def _quoted(text: str) -> str:
    """``text`` percent-encoded for a query; a lone surrogate (JSON's "\\ud800", a byte the
    command line gave that is not UTF-8) as the bytes Python keeps it as: UTF-8 cannot encode
    it, and a message naming such a URL raised UnicodeEncodeError out of the one masking rule
    (the settings loader, every printable_message)."""
    return quote_plus(text, safe=_QUERY_SAFE, errors="surrogatepass")


def url_secrets(url: str) -> list[str]:
    """The substrings of ``url`` that :func:`mask_url` hides, raw and decoded, longest first:
    for :func:`mask_secrets` on text that quotes the URL or its parts (FFmpeg's log lines
    print the key alone: ``fname = KEY``)."""
    try:
        parts, slashes = _split(url)
    except ValueError:
        return [url] if len(url) >= 4 else []
    found: set[str] = {url}
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        found.update({userinfo, *userinfo.split(":", 1)})
    port, zone = _port_and_zone(parts.netloc)
    if _port_is_secret(port):  # and each piece of it ("1935:KEY": the KEY alone)
        found.update({port, *(piece for piece in port.split(":") if _port_is_secret(piece))})
    if zone and looks_like_key(zone):
        found.add(zone)
    segments = parts.path.split("/")
    secret = _masked_segments(parts.scheme, parts.path, reread=slashes != "//")
    hidden = [s for s, h in zip(segments, secret, strict=True) if h]
    if hidden:
        found.update(hidden)
        first = segments.index(hidden[0])
        found.add("/".join(segments[first:]))  # the key with its slashes (a playpath)
    found.update(
        value
        for segment in segments
        for name, value in _segment_parameters(parts.scheme, segment)
        if _parameter_is_secret(parts.scheme, name, value)
    )
    if parts.query:
        for pair in parts.query.split("&"):
            name, equals, value = pair.partition("=")
            if not equals:
                name, value = "", name  # a value with no name (rule 3)
            elif looks_like_key(name):
                found.add(name)
            if (
                value
                and _query_value_is_secret(parts.scheme, unquote(name), unquote(value))
                and unquote(value).lower() not in (parts.hostname or "")
            ):
                # One found in the server's name is no secret on its own (the query stays
                # masked whole): a Facebook key holds "s_vt=api-s", and every line naming
                # live-api-s.facebook.com said "live-****.facebook.com".
                found.add(value)
        if _is_streaming(parts.scheme):
            found.add(parts.query)  # FFmpeg quotes a key with its query (KEY?a=b)
    if parts.fragment and (_is_streaming(parts.scheme) or looks_like_key(parts.fragment)):
        # Dropped by mask_url, and a part of the stream key: FFmpeg sends "KEY#REST" as the
        # stream's name. Missing here, "#REST" stayed in ps and /proc/PID/cmdline.
        found.add(parts.fragment)
    elif "=" in parts.fragment:
        # Pairs, as an OAuth answer copied from a browser's address bar has them
        # ("…#access_token=…&scope=…"): read as a query's. Dropped by mask_url, they stayed in
        # ps and /proc/PID/cmdline for the whole show.
        for pair in parts.fragment.split("&"):
            name, equals, value = pair.partition("=")
            if (
                equals
                and value
                and _query_value_is_secret(parts.scheme, unquote(name), unquote(value))
            ):
                found.add(value)
    found.update({unquote(value) for value in list(found)})
    return sorted((value for value in found if len(value) >= 4), key=len, reverse=True)


_CUT = "…"


def mask_secrets(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """Replace every occurrence of each known secret in ``text`` (for error messages), and
    the start of one a shortened quote cut off (``"xxSECRETTOK…"``): a value quoted in a
    rejected item's words is cut to 40 characters, and the token a feed echoed in it was
    shown in part (up to 19 characters of a 31-character token), which the whole secret no
    longer matched.

    One pass over the text for all the secrets (a longest-first alternation): a pass per
    secret held the event loop 5 s for an 8 MB item and a Shopify feed's 102 secrets."""
    whole, cut_starts = _secrets_patterns(tuple(sorted({s for s in secrets if len(s) >= 4})))
    if whole is None:
        return text
    text = _masked_where_found(text, whole)
    if cut_starts is not None and _CUT in text:
        # Read backwards, each cut mark is followed by the start of the secret it cut (if
        # any): one search in C from each mark, longest start first. A pattern reading
        # forwards backed off at every "SECR" of an 8 MB item and held the event loop.
        text = cut_starts.sub(_CUT + _MASK[::-1], text[::-1])[::-1]
    return text


def _masked_where_found(text: str, found: _Found) -> str:
    """``text`` with every place a secret is found masked, places overlapping as one: two
    secrets overlapping in the text were each masked whole by a pass per secret only when
    the longer came first."""
    pieces: list[str] = []
    done = 0
    match = found.anywhere.search(text)
    while match is not None:
        start, end = match.span()
        # A secret starting inside this one and running on past its end: one place.
        inside = found.ahead.search(text, start + 1, end + found.longest - 1)
        while inside is not None and inside.start() < end:
            end = max(end, inside.start() + len(inside.group(1)))
            inside = found.ahead.search(text, inside.start() + 1, end + found.longest - 1)
        pieces += [text[done:start], _MASK]
        done = end
        match = found.anywhere.search(text, end)
    pieces.append(text[done:])
    return "".join(pieces)


@dataclasses.dataclass(frozen=True)
class _Found:
    anywhere: re.Pattern[str]  # the longest secret at the first place one starts
    ahead: re.Pattern[str]  # the same, looked ahead for (group 1): the places overlapping
    longest: int


@functools.lru_cache(maxsize=8)
def _secrets_patterns(
    secrets: tuple[str, ...],
) -> tuple[_Found | None, re.Pattern[str] | None]:
    """Every secret, and (reversed, after the cut mark) every start of 4 or more characters of
    a secret longer than 4 that is not all of it: each as one alternation in the shape of a
    tree of the texts' common starts, so that a text is read once whatever their number (an
    alternation of 102 tokens beginning "shpat_" tried each at every "shpat_"), and the
    longest text matching at a place wins."""
    if not secrets:
        return None, None
    either = _either(secrets)
    whole = _Found(re.compile(either), re.compile(f"(?=({either}))"), max(map(len, secrets)))
    reversed_starts = [
        secret[:length][::-1]
        for secret in secrets
        if len(secret) > 4
        for length in range(len(secret) - 1, 3, -1)
    ]
    if not reversed_starts:
        return whole, None
    return whole, re.compile(re.escape(_CUT) + _either(reversed_starts))


def _either(texts: Iterable[str]) -> str:
    """One of ``texts``, the longest where several match."""
    texts = list(texts)
    try:
        either = _alternation(_tree(texts))
        re.compile(either)
        return either
    except RecursionError:  # a tree thousands deep ("aaaa…" of 5,000): a flat alternation
        return f"(?:{'|'.join(re.escape(t) for t in sorted(texts, key=len, reverse=True))})"


_END: Final = ""  # a key of _tree's nodes: a text ends here


def _tree(texts: Iterable[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for text in texts:
        node = root
        for char in text:
            node = node.setdefault(char, {})
        node[_END] = {}
    return root


def _alternation(node: dict[str, Any]) -> str:
    """The regular expression of ``node``'s texts, longest first (a greedy optional end)."""
    branches = []
    for char in sorted(c for c in node if c != _END):
        literal, child = char, node[char]
        while len(child) == 1 and _END not in child:  # one way on: a run of literals
            [(next_char, child)] = child.items()
            literal += next_char
        branches.append(re.escape(literal) + _alternation(child))
    if not branches:
        return ""
    either = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{either})?" if _END in node else either


# A URL in free text: a streaming scheme with or without its "//", a web or websocket scheme,
# or any scheme whose URL carries user info (``ftp://user:password@host``). It runs to the next
# space or quote; sentence punctuation at its end is not part of it.
_URL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9+.-])(?:"
    r"(?:rtmp[a-z]{0,2}|srt|rist):[^\s'\"<>`]+"
    r"|(?:https?|wss?)://[^\s'\"<>`]+"
    r"|[a-z][a-z0-9+.-]{0,15}://[^\s'\"<>`/@]+@[^\s'\"<>`]*"
    r")",
    re.I,
)
_TRAILING = ".,;:!?)]}"


def _mask_found(match: re.Match[str]) -> str:
    url = match.group(0)
    end = len(url)
    while end and url[end - 1] in _TRAILING:
        closing = url[end - 1]
        if closing in ")]}":
            opening = "([{"[")]}".index(closing)]
            if url.count(opening, 0, end) >= url.count(closing, 0, end):
                break  # a bracket the URL opened is its own (rtmp://[::1]/app)
        end -= 1
    if not url[:end].partition(":")[2].strip("/"):
        # A scheme named in a sentence ("rtmps:// needs the TLS port", "use rtmps://)"): no
        # URL. Looked at once its punctuation is off: "use rtmps://)" was said "use rtmps:)".
        return url
    return mask_url(url[:end]) + url[end:]


def mask_pasted_address(text: str) -> str:
    """``text``, given where a URL or a name was expected and read as neither (no ``://``, no
    saved name), with what follows its last ``/`` masked when it looks like an address with a
    path (``host/app/KEY``, ``rtmp//host/app/KEY``, ``rtmps;//host/app/KEY``): a server and
    its key pasted without their scheme, or with the scheme misspelt, were quoted whole in the
    error, in the log and on stderr."""
    read = text.replace("\\", "/")  # a backslash is a "/" to the one rule (``host\\app\\KEY``)
    kept, slash, last = read.rstrip("/").rpartition("/")
    if not slash or not kept.strip("/") or not last:
        return _PASTED_WORD.sub(_masked_key_word, text)
    return f"{text[: len(kept) + 1]}{_MASK}"


# A word of a pasted text with no "/": what a space, a ":" (``host:KEY``), a "=" or a comma
# does not split.
_PASTED_WORD = re.compile(r"[^\s:=,;]+")


def _masked_key_word(match: re.Match[str]) -> str:
    """A pasted word masked when it looks like a key (rule 4) or has a platform's stream key's
    shape: the key itself given where a saved name goes (``--to abcd-efgh-ijkl-mnop``, or
    ``--to youtube:KEY``) was quoted whole by the refusal, on stderr and in the log."""
    word = match.group(0)
    return _MASK if looks_like_key(word) or looks_like_stream_key(word) else word


def mask_urls(text: str) -> str:
    """``text`` with every URL in it masked by :func:`mask_url` (the one rule)."""
    return _URL_IN_TEXT.sub(_mask_found, text)
