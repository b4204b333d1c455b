"""The one rule for a destination URL (``rtmp://`` or ``rtmps://``), checked before anything
starts: by ``anchordesk live --to`` while it reads its arguments and by every
:class:`~anchordesk.media.network_output.NetworkOutput`. Light (no FFmpeg), so the command line
can use it at once.

A URL that FFmpeg would take but that can never work is refused here with one line, key
masked, instead of retrying for the whole show: a port out of range ("Invalid argument"
at every attempt), a space or a line break pasted into the key, or a URL longer than RTMP
carries (FFmpeg keeps 1,024 bytes of the server address and application and 512 of the stream
name; the rest was cut off, or the child refused its header line).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

from anchordesk.core.errors import UserError
from anchordesk.core.printable import LONE_SURROGATE, masked_cut
from anchordesk.core.redact import mask_url, masked_zone, user_info_cut_short

SUPPORTED_SCHEMES: Final = ("rtmp", "rtmps")
MAX_URL_BYTES: Final = 1024
# Spaces and control characters never belong in a URL (a key copied with its line break).
_SPACE_OR_CONTROL: Final = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_CHARACTER_NAMES: Final = {" ": "a space", "\n": "a line break", "\r": "a line break"}


def shown_url(url: str) -> str:
    """``url`` safe to print even when its scheme is unknown (then the whole path is masked)."""
    url = _SPACE_OR_CONTROL.sub(" ", url)
    if len(url) > MAX_URL_BYTES * 4:
        # Masked whole, then cut (core/printable's rule): cut here first, a password running
        # past the cut had no '@' left, and its start was said as the server's name.
        return masked_cut(url, 200)
    try:
        parts = urlsplit(url)
    except ValueError:
        return "****"
    if parts.scheme.lower() in SUPPORTED_SCHEMES:
        shown = mask_url(url)
        return shown if len(shown) <= 200 else shown[:120] + "…" + shown[-40:]
    host = parts.hostname or ""
    return f"{parts.scheme}://{host[:100]}/****" if parts.scheme else "****"


def host_name_problem(host: str) -> str | None:
    """Why ``host`` can never be looked up (None when it may be): a part between two dots
    that is empty (``live..example.com``) or longer than the 63 characters a name's part may
    have. FFmpeg said "name not found" at every attempt of the show, the TLS relay "encoding
    with 'idna' codec failed (UnicodeError: label empty or too long)", and the window's
    pre-flight never came back (its check raised)."""
    if ":" in host or not host:
        return None  # an IPv6 address, or no host at all (said on its own)
    for part in host.removesuffix(".").split("."):
        if not part:
            return f"the server's name {host} has an empty part between two dots"
        try:
            size = len(part) if part.isascii() else len(part.encode("idna"))
        except UnicodeError:  # too long once encoded, or characters no name may hold
            return f"the server's name {host} is not a valid host name"
        if size > 63:
            return (
                f"the server's name {host} has a part of {size} characters between two dots; "
                "a name's part may have at most 63"
            )
    return None


def for_ffmpeg(url: str) -> str:
    """``url`` as FFmpeg takes it: the scheme in small letters (its protocols are named so:
    ``RTMP://`` or ``Rtmp://``, typed on a phone or copied from a page in capitals, was
    "[Errno 1330794744] Protocol not found" at every attempt of the show, exit 3) and the
    server's name as DNS knows it (:func:`with_ascii_host`)."""
    scheme, colon, rest = url.partition(":")
    return with_ascii_host(f"{scheme.lower()}{colon}{rest}")


def with_ascii_host(url: str) -> str:
    """``url`` with its server's name as DNS knows it (IDNA, ``xn--…``) when it is written in
    another script (``rtmp://直播.例子.中国/live/KEY``): FFmpeg hands the name to the system's
    resolver as UTF-8 bytes, which no name server and no hosts file matches, so such a
    server was "not found" at every attempt of the show, while the go-live pre-flight and the
    TLS relay (Python, which encodes the name) reached it. Anything else comes back as given
    (an address, an ASCII name, a name that cannot be encoded: refused before the run)."""
    parts = urlsplit(url)
    host_and_port = parts.netloc.rpartition("@")[2]
    if host_and_port.isascii() or host_and_port.startswith("["):
        return url
    host, colon, port = host_and_port.partition(":")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return url
    user_info = parts.netloc[: len(parts.netloc) - len(host_and_port)]
    netloc = f"{user_info}{ascii_host}{colon}{port}"
    return parts._replace(netloc=netloc).geturl()


def _link_local(host: str) -> bool:
    try:
        return ipaddress.IPv6Address(host).is_link_local
    except ValueError:
        return False  # a name, or an IPv4 address


def validate_url(url: str) -> None:
    """Raise a one-line :class:`UserError` (key masked) unless ``url`` is rtmp(s)://host/app/...
    that RTMP can carry."""
    shown = shown_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UserError(f"--to {shown}: not a valid URL") from None
    if parts.scheme.lower() not in SUPPORTED_SCHEMES:
        raise UserError(
            f"--to {shown}: unsupported scheme {parts.scheme or '(none)'!r} "
            "(expected rtmp://HOST/APP/<KEY> or rtmps://HOST/APP/<KEY>)"
        )
    if user_info_cut_short(url):
        raise UserError(
            f"--to {shown}: the user name or password before '@' holds '/', '?', '#' or '\\', "
            "which end the server's name: write them as %2F, %3F, %23 and %5C"
        )
    if "\\" in url:
        raise UserError(
            f"--to {shown}: the URL holds a backslash at character {url.index(chr(92)) + 1} "
            "(rtmp://HOST/APP/<KEY> is written with '/')"
        )
    if not parts.hostname:
        raise UserError(f"--to {shown}: the URL names no server")
    if match := _SPACE_OR_CONTROL.search(url):
        found = match.group()
        what = _CHARACTER_NAMES.get(found, f"the control character U+{ord(found):04X}")
        raise UserError(
            f"--to {shown}: the URL holds {what} at character {match.start() + 1} "
            "(copied with a line break or a space? a URL has none)"
        )
    if match := LONE_SURROGATE.search(url):
        # A byte the command line gave that is not UTF-8 text (a key file in another
        # encoding), or a lone surrogate of a settings file: no server name or stream key can
        # hold it, and it ended the run with a UnicodeEncodeError traceback.
        raise UserError(
            f"--to {shown}: the URL holds a byte that is not UTF-8 text at character "
            f"{match.start() + 1} (copied from a file in another encoding?)"
        )
    size = len(url.encode("utf-8"))
    if size > MAX_URL_BYTES:
        raise UserError(
            f"--to {shown}: the URL is {size:,} bytes long; RTMP carries at most "
            f"{MAX_URL_BYTES:,} (check what was pasted)"
        )
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise UserError(f"--to {shown}: the port must be a number from 1 to 65535") from None
    # An empty port ("host:/live"): Python reads no port, FFmpeg reads port 0, and every
    # attempt of the show failed "Invalid argument returned 22".
    if parts.port == 0 or parts.netloc.rpartition("@")[2].endswith(":"):
        raise UserError(f"--to {shown}: the port must be a number from 1 to 65535")
    if problem := host_name_problem(parts.hostname):
        raise UserError(f"--to {shown}: {problem}")
    if "%" in parts.hostname:
        # A link-local IPv6 address with its zone ("[fe80::1%25eth0]"): FFmpeg's URL parser
        # does not take it ("Port missing in uri"), and every attempt failed with "Invalid
        # argument returned 22".
        raise UserError(
            f"--to {shown}: an IPv6 address with a zone "
            f"('%{masked_zone(parts.hostname.partition('%')[2])}') "
            "cannot be streamed to: use the server's name or another of its addresses"
        )
    if _link_local(parts.hostname):
        # Without its zone the system cannot tell which link it is on (every attempt of the
        # show said "Invalid argument returned 22"), and with one FFmpeg does not take it.
        raise UserError(
            f"--to {shown}: {parts.hostname} is a link-local IPv6 address (fe80::…), which "
            "cannot be streamed to: use the server's name or another of its addresses"
        )
    if not [segment for segment in parts.path.split("/") if segment]:
        raise UserError(f"--to {shown}: the URL names no application (rtmp://HOST/APP/<KEY>)")
