"""The user's settings (never secrets) and the platforms' destination presets.

Settings are one JSON file, ``settings.json`` in :func:`anchordesk.core.paths.user_config_dir`.
Stream keys and feed tokens are not fields of any class here: they live in the keyring under
names made by :mod:`anchordesk.core.secrets`, so no code path can write them to this file.

A broken settings file never stops the program: it is kept next to the new one as
``settings.json.broken`` and the defaults are used, with the problem in ``Settings.problems``.

The preset figures come from each platform's published guidance (YouTube "Choose live encoder
settings, bitrates, and resolutions"; Twitch "Broadcasting guidelines"; Facebook Live Video API
"Recommended settings"; Amazon IVS, which Kick runs on; the Douyin, Kuaishou, TikTok and Taobao
companion apps' push guidance). Platforms change them: they are the defaults the settings dialog
proposes and the limits it warns about, never a hard rule.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import stat
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit, urlunsplit

from anchordesk.core import paths, secrets
from anchordesk.core.disk import not_a_file
from anchordesk.core.files import write_text_atomically
from anchordesk.core.printable import escape_controls, escaped_surrogates, masked_cut
from anchordesk.core.redact import (
    holds_key_value,
    looks_like_stream_key,
    mask_url,
    masked_port,
    secret_port,
    written_port,
)
from anchordesk.core.unicode_text import decoded
from anchordesk.core.words import QT_TRANSLATE_NOOP, Count, Template, Words
from anchordesk.live.options import (
    FEED_KINDS,
    KNOWN_CANVASES,
    FeedSpec,
    LiveOptions,
    feed_url_problem,
    parse_canvas,
)

log = logging.getLogger(__name__)

SETTINGS_FORMAT = 1
SETTINGS_FILE_NAME = "settings.json"
LANGUAGE_CHOICES = ("system", "en", "zh_CN", "ja")
ENCODER_CHOICES = ("libx264", "auto")
MAX_RECENT_SHOWS = 10


# -- platform presets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BitrateTier:
    """Recommended and maximum video bitrate for pictures up to ``height`` lines at ``fps``."""

    height: int
    fps: int
    recommended_kbps: int
    max_kbps: int


@dataclass(frozen=True)
class PlatformPreset:
    """What a platform expects from an encoder, and where its ingest servers are.

    ``servers`` lists known ingest URLs (the first is the default). An empty tuple means the
    platform hands out a server URL per broadcast (Douyin, Kuaishou, TikTok, Taobao): the user
    pastes it next to the key.
    """

    preset_id: str
    name: str
    servers: tuple[str, ...]
    tiers: tuple[BitrateTier, ...]
    keyframe_interval_s: int = 2
    max_keyframe_interval_s: int = 4
    max_width: int = 1920
    max_height: int = 1080
    max_fps: int = 60
    audio_kbps: int = 128
    max_audio_kbps: int = 320
    preferred_canvas: str = "1280x720"
    server_placeholder: str = ""
    requires_rtmps: bool = False

    @property
    def server_is_per_broadcast(self) -> bool:
        return not self.servers

    def tier_for(self, width: int, height: int, fps: int) -> BitrateTier | None:
        """The tier of the smallest height at or above the picture's shorter side and fps."""
        if not self.tiers:
            return None
        lines = min(width, height)  # a vertical 720x1280 canvas is a "720p" picture
        fitting = [t for t in self.tiers if t.height >= lines and t.fps >= fps]
        if fitting:
            return min(fitting, key=lambda t: (t.height, t.fps))
        return max(self.tiers, key=lambda t: (t.height, t.fps))


def _tiers(*rows: tuple[int, int, int, int]) -> tuple[BitrateTier, ...]:
    return tuple(BitrateTier(*row) for row in rows)


PRESETS: dict[str, PlatformPreset] = {
    preset.preset_id: preset
    for preset in (
        PlatformPreset(
            "youtube",
            "YouTube",
            servers=(
                "rtmps://a.rtmps.youtube.com:443/live2",
                "rtmp://a.rtmp.youtube.com/live2",
                "rtmps://b.rtmps.youtube.com:443/live2?backup=1",
            ),
            # H.264 figures of YouTube's table (Mbps): 720p30 up to 4-8, 1080p30 up to 8-10,
            # 1080p60 up to 12; keyframes every 2 s, never above 4 s.
            tiers=_tiers(
                (720, 30, 4000, 8000),
                (720, 60, 6000, 8000),
                (1080, 30, 8000, 10000),
                (1080, 60, 12000, 12000),
            ),
            max_width=3840,
            max_height=2160,
        ),
        PlatformPreset(
            "twitch",
            "Twitch",
            servers=("rtmp://live.twitch.tv/app", "rtmps://live.twitch.tv:443/app"),
            # Strict CBR, 6000 kbps ceiling, 2 s keyframes, AAC up to 160 kbps.
            tiers=_tiers(
                (720, 30, 3000, 6000),
                (720, 60, 4500, 6000),
                (1080, 30, 4500, 6000),
                (1080, 60, 6000, 6000),
            ),
            max_keyframe_interval_s=2,
            audio_kbps=160,
            max_audio_kbps=160,
        ),
        PlatformPreset(
            "facebook",
            "Facebook Live",
            servers=("rtmps://live-api-s.facebook.com:443/rtmp/",),
            # Live Video API: RTMPS only; 720p30 1500-4000, 720p60 2250-6000, 1080p30
            # 3000-6000, 1080p60 4500-9000 kbps; keyframes 2 s, at most 4 s; audio <= 256 kbps.
            tiers=_tiers(
                (720, 30, 4000, 4000),
                (720, 60, 6000, 6000),
                (1080, 30, 6000, 6000),
                (1080, 60, 9000, 9000),
            ),
            max_audio_kbps=256,
            requires_rtmps=True,
        ),
        PlatformPreset(
            "kick",
            "Kick",
            servers=("rtmps://fa723fc1b171.global-contribute.live-video.net:443/app",),
            # Kick ingests through Amazon IVS: 2 s keyframes, up to 1080p60 and 8500 kbps.
            tiers=_tiers(
                (720, 30, 4500, 8000),
                (720, 60, 6000, 8000),
                (1080, 30, 6000, 8000),
                (1080, 60, 8000, 8000),
            ),
            max_audio_kbps=160,
            requires_rtmps=True,
        ),
        PlatformPreset(
            "tiktok",
            "TikTok LIVE",
            servers=(),
            tiers=_tiers((720, 30, 2500, 4000), (1080, 30, 4000, 6000), (1080, 60, 6000, 6000)),
            preferred_canvas="720x1280",
            server_placeholder="rtmp://push-rtmp-l1-va01.tiktokcdn.com/game",
        ),
        PlatformPreset(
            "douyin",
            "抖音 Douyin",
            servers=(),
            # The Douyin companion recommends 720p/1080p at 25-30 fps and 1500-4000 kbps.
            tiers=_tiers((720, 30, 2500, 4000), (1080, 30, 4000, 6000)),
            max_fps=30,
            preferred_canvas="720x1280",
            server_placeholder="rtmp://push-rtmp-l11.douyincdn.com/third",
        ),
        PlatformPreset(
            "kuaishou",
            "快手 Kuaishou",
            servers=(),
            tiers=_tiers((720, 30, 3000, 4500), (1080, 30, 4500, 6000)),
            max_fps=30,
            preferred_canvas="720x1280",
            server_placeholder="rtmp://open-push.voip.yximgs.com/gifshow",
        ),
        PlatformPreset(
            "taobao",
            "淘宝直播 Taobao Live",
            servers=(),
            tiers=_tiers((720, 30, 2000, 3000), (1080, 30, 3000, 4000)),
            max_fps=30,
            preferred_canvas="720x1280",
            server_placeholder="rtmp://livepush.taobao.com/mediaplatform",
        ),
        PlatformPreset(
            "custom",
            "Custom RTMP / RTMPS",
            servers=(),
            tiers=(),
            max_keyframe_interval_s=10,
            max_width=4096,
            max_height=4096,
            server_placeholder="rtmp://127.0.0.1:1935/live",
        ),
    )
}


# -- the settings model --------------------------------------------------------------------------


class Kept:
    """A part of the settings file as it was read, so that what this version does not know
    (a newer version's field, key or entry) is written back as it was read: the first save
    wrote only what this version reads, and a newer version's settings were lost for good.

    Never changed once read, so a copy of the settings shares it: ``copy.deepcopy`` takes
    about two Python frames a level, and a newer version's feed holding a value nested 700
    deep ended the Settings dialog's open in RecursionError, the dialog never shown."""

    __slots__ = ("value",)

    def __init__(self, value: Any = None) -> None:
        self.value = {} if value is None else value

    def __copy__(self) -> Kept:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Kept:
        return self

    def __repr__(self) -> str:
        return f"Kept({type(self.value).__name__})"


@dataclass
class Destination:
    """Where a show is pushed. The stream key is in the keyring: ``secrets.stream_key_name(id)``."""

    destination_id: str
    name: str
    preset_id: str = "custom"
    server_url: str = ""
    enabled: bool = True
    # The destination's object as the file held it: its fields this version does not read
    # are written back with it.
    read: Kept = field(default_factory=Kept, compare=False, repr=False)

    @property
    def preset(self) -> PlatformPreset:
        return PRESETS.get(self.preset_id, PRESETS["custom"])


@dataclass
class DeviceSettings:
    camera: str = "auto"  # "auto" (first camera, else test pattern), "test", an index or a path
    microphone: str = "default"  # "default", "test", "none", or a device id or name


@dataclass
class EncoderSettings:
    encoder: str = "libx264"
    video_kbps: int = 2500
    audio_kbps: int = 128
    canvas: str = "1280x720"
    fps: int = 30
    keyframe_interval_s: int = 2


@dataclass
class FeedSettings:
    """A comment/order feed. Its token (if any) is in the keyring: ``secrets.feed_token_name``."""

    feed_id: str
    kind: str = "rehearsal"
    url: str = ""
    enabled: bool = True
    # The feed's object as the file held it: its fields this version does not read are
    # written back with it.
    read: Kept = field(default_factory=Kept, compare=False, repr=False)


@dataclass
class RemoteSettings:
    """The remote-control API in the window. Its token is in the keyring, never here."""

    enabled: bool = False  # off by default: nothing listens until the operator turns it on
    port: int = 8750
    allow_lan: bool = False  # False: 127.0.0.1 only; True: other devices on this network


@dataclass
class Settings:
    language: str = "system"
    destinations: list[Destination] = field(default_factory=list)
    active_destination_id: str | None = None  # None: rehearsal, nothing is pushed
    devices: DeviceSettings = field(default_factory=DeviceSettings)
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    feeds: list[FeedSettings] = field(default_factory=list)
    record: bool = True
    # False until the operator has answered "record?" (asked at the first rehearsal, not
    # assumed: a recording takes about 1.1 GB an hour); Record and Settings change it later.
    record_asked: bool = False
    recordings_dir: str | None = None
    recent_shows: list[str] = field(default_factory=list)
    remote: RemoteSettings = field(default_factory=RemoteSettings)
    # The data board's prompt rules turned off (show/prompts.py RULES); every rule is on else.
    prompts_off: list[str] = field(default_factory=list)
    # Destinations and feeds of the file this version cannot use (a kind of a newer version,
    # an entry that is no object): skipped for the run and written back as they were read.
    # Saving dropped them: the first change of any setting deleted a newer version's feed.
    unread_destinations: list[Kept] = field(default_factory=list, compare=False)
    unread_feeds: list[Kept] = field(default_factory=list, compare=False)
    # The file's top-level object as read: its keys, and those of its objects, that this
    # version does not read are written back (a newer version's settings kept).
    read: Kept = field(default_factory=Kept, compare=False, repr=False)
    # Problems met while loading (English, for the log and the command line); never saved.
    problems: list[str] = field(default_factory=list, compare=False)
    # Those of one field (a destination or feed skipped, a canvas replaced, a key in a URL),
    # as words the window says in its language as it opens: only the English log said them,
    # and a destination gone from the list looked like a setting lost (R13ui).
    field_problems: list[Words] = field(default_factory=list, compare=False)
    # Why the whole file could not be used (the defaults then), as words the window says in
    # its language at start; never saved. Only the log said it: the window opened on the
    # defaults (destinations, feeds, language gone) without a word (R13ui F9).
    file_problem: Words | None = field(default=None, compare=False)
    # Problems past the first PROBLEMS_LISTED: counted in one last line, not listed (a file
    # of 20,000 destinations of one id gave 39,998 lines, each logged and said by the window).
    problems_not_listed: int = field(default=0, compare=False)

    def destination(self, destination_id: str | None) -> Destination | None:
        return next((d for d in self.destinations if d.destination_id == destination_id), None)

    @property
    def active_destination(self) -> Destination | None:
        return self.destination(self.active_destination_id)

    def add_recent_show(self, path: Path) -> None:
        text = str(Path(path).resolve())
        self.recent_shows = [text, *(p for p in self.recent_shows if p != text)][:MAX_RECENT_SHOWS]


def new_id() -> str:
    return uuid.uuid4().hex[:12]


# -- stream URLs and limits ----------------------------------------------------------------------


def destination_url(destination: Destination, stream_key: str) -> str:
    """The full push URL (server + key), for the network output only: never log it unmasked."""
    server = destination.server_url.strip() or (
        destination.preset.servers[0] if destination.preset.servers else ""
    )
    key = stream_key.strip()
    if not key:
        return server
    base, sep, query = server.partition("?")
    # YouTube's backup server carries "?backup=1", which belongs after the key.
    return f"{base.rstrip('/')}/{key}{sep}{query}"


def split_pasted_url(preset: PlatformPreset, url: str) -> tuple[str, str]:
    """Split a pasted full push URL into (server, key).

    Platforms show "server" and "key" separately but users often paste the whole URL into the
    server field. For known servers whatever follows the server is the key; for other rtmp URLs
    the last path segment is the key when there are at least two segments (app/key).
    """
    url = url.strip()
    for server in preset.servers:
        base = server.partition("?")[0].rstrip("/")
        if url.startswith(base + "/") and len(url) > len(base) + 1:
            return base, url[len(base) + 1 :].strip("/")
    match = re.match(r"^(rtmps?://[^/\s]+/[^/\s]+)/([^\s]+)$", url, re.I)
    if match and not preset.servers:
        return match.group(1), match.group(2)
    return url, ""


_KEY_QUERY = re.compile(
    r"(?:^|[?&])(?:key|stream_?key|secret|txsecret|auth_key|sign|token|access_token|"
    r"password|pwd)=",
    re.I,
)
SERVER_URL_HOLDS_KEY = (
    "the server URL holds what looks like a stream key; put the key in the stream key field"
)


_STREAMING_URL = re.compile(r"^rtmps?:(.*)$", re.I | re.S)


def server_url_holds_key(preset: PlatformPreset, url: str) -> bool:
    """Whether a server URL carries a stream key, which would then be saved in plain text.

    Catches a key typed or pasted into the server field: on its own, appended to a known
    server ("…/live2abcd-efgh-…"), as a path segment, or as a signing query parameter.
    Read on its first 65,536 characters, as much as an address is ever sent: a 2 MB one
    (a million path segments, each looked at) held the settings' load 3 s.
    """
    url = url.strip()[:_URL_MASKED_AT_MOST]
    if not url:
        return False
    streaming = _STREAMING_URL.match(url)
    if "://" not in url and streaming is None:
        return looks_like_stream_key(url)
    if url in preset.servers:
        return False
    base_url, _sep, query = url.partition("?")
    if _KEY_QUERY.search("?" + query) or holds_key_value(url):
        # A key is one by its looks too, whatever the name beside it (core/redact rule 4):
        # "rtmp://host/app;x=sk_live_…" and "…?x=sk_live_…" were saved in the file in clear.
        return True
    if any(looks_like_stream_key(piece) for piece in secret_port(url).split(":")):
        # "rtmp://host:KEY/live2" (pasted after the server's name with a ":"): saved in the
        # settings file in clear, and the address looked usable.
        return True
    for server in preset.servers:
        base = server.partition("?")[0].rstrip("/")
        if base_url.startswith(base) and len(base_url[len(base) :].strip("/")) >= 6:
            return True
    if streaming is None:
        return False
    # The path is what follows the host, or the scheme when there is no host: an address
    # with the server left out (``rtmp:///live2/KEY``, ``rtmp:live2/KEY``) or written with
    # backslashes (``rtmp:\\host\live2\KEY``) holds its key as any other does.
    rest = streaming.group(1).partition("?")[0].replace("\\", "/")
    if rest.startswith("//") and not rest.startswith("///"):
        rest = rest[2:].partition("/")[2]  # the host, never read as a key
    return any(looks_like_stream_key(segment) for segment in rest.split("/") if segment)


def check_server_url(preset: PlatformPreset, url: str) -> str | None:
    """One line saying what is wrong with a server URL, or None if it is usable.

    A URL that carries a stream key is refused (:data:`SERVER_URL_HOLDS_KEY`): the server URL
    is saved in the settings file, the key only in the keyring.
    """
    url = url.strip()
    if not url:
        return "the server URL is empty" if preset.server_is_per_broadcast else None
    if server_url_holds_key(preset, url):
        return SERVER_URL_HOLDS_KEY
    if not re.match(r"^rtmps?://[^/\s]+(/\S*)?$", url, re.I):
        return "the server URL must start with rtmp:// or rtmps:// and name a host"
    if preset.requires_rtmps and not url.lower().startswith("rtmps://"):
        return f"{preset.name} accepts RTMPS only (rtmps://…)"
    if problem := _server_port_problem(url):
        return problem
    from anchordesk.media.destination_url import host_name_problem

    with contextlib.suppress(ValueError):
        if problem := host_name_problem(urlsplit(url).hostname or ""):
            return problem
    return None


def _server_port_problem(url: str) -> str | None:
    """Why the port of a server URL can never be pushed to, naming it (masked by the one rule:
    a key pasted there is never quoted), or None. A short one that is no number
    (``rtmp://host:abc/live2``) passed the check and failed at every push of the show ("the
    port must be a number"); so did an empty one (``host:/live2``: FFmpeg reads port 0)."""
    try:
        parts = urlsplit(url)
        usable = parts.port != 0 and not parts.netloc.rpartition("@")[2].endswith(":")
    except ValueError:
        usable = False
    if usable:
        return None
    port = written_port(url)
    if not port:
        return (
            "the port of the server URL is empty after its ':'; a port is a number from 1 to 65535"
        )
    return f"the port {masked_port(port)!r} of the server URL is not a number from 1 to 65535"


FEED_URL_HOLDS_SECRET = (
    "the feed URL holds what looks like a token or a password; put the token in the Token field"
)
# Query parameters that carry a credential, by how their (normalised) name ends: ``token``,
# ``access_token``, ``jwt``, ``api_key``/``key``, ``client_secret``, ``sig``... Ids such as a
# YouTube ``liveChatId`` are not secrets and stay.
_SECRET_PARAMETER = re.compile(
    r"(?:token|jwt|key|secret|password|passwd|pwd|sig|signature|auth|authorization|bearer|"
    r"session|sessionid|sid|credential|credentials)$",
    re.I,
)
_SECRET_VALUE = re.compile(r"^(?:sk|rk|shpat|shpss|shpca|ghp|xox[abpr]|eyJ)[_-]?[A-Za-z0-9]")


#: Where :func:`feed_url_secrets` finds a secret that is no named parameter: the user info, and
#: a port that is no number (which never moves to the keyring as the feed's token).
_NOT_PARAMETERS = ("userinfo", "port")


def feed_url_secrets(url: str) -> list[tuple[str, str]]:
    """The credentials a feed URL carries, as ``(where, value)``: ``"userinfo"`` for
    ``user:password@``, else the query parameter's name. Empty when the URL holds none, and
    for one longer than an HTTP client sends (it is never used, and said so): reading a 2 MB
    query held the load 2.5 s, twice."""
    if len(url) > _URL_MASKED_AT_MOST:
        return []
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return []
    found: list[tuple[str, str]] = []
    if "@" in parts.netloc:
        found.append(("userinfo", parts.netloc.rsplit("@", 1)[0]))
    if port := secret_port(url.strip()):
        # "https://host:TOKEN/feed": a token pasted after the server's name with a ":" (the
        # one masking rule's rule 5) was saved in the settings file in clear.
        found.append(("port", port))
    # The query's pairs and the fragment's ("#access_token=…", an OAuth answer copied from the
    # address bar) by one name rule: the fragment's were saved in clear, although it is never
    # even sent to the server.
    pairs = [
        *parse_qsl(parts.query, keep_blank_values=True),
        *parse_qsl(parts.fragment, keep_blank_values=True),
    ]
    for name, value in pairs:
        plain_name = re.sub(r"[^a-z0-9]", "", name.lower())
        if value and (_SECRET_PARAMETER.search(plain_name) or _SECRET_VALUE.match(value)):
            found.append((name, value))
    # A path's ";token=…" by the same name rule (not by its value's looks: the feed's identity
    # leaves out a path parameter by its name, feeds/spec.feed_identity). It was saved in
    # clear; it moves to the keyring as a query's token does, the URL keeping ";token=" empty:
    # the place the bridge is sent it (feeds/spec.path_with_token).
    for item in _path_parameters(parts.path):
        name, _equals, value = item.partition("=")
        if value and _secret_path_parameter(name):
            found.append((unquote(name), unquote(value)))
    return found


def _path_parameters(path: str) -> list[str]:
    """The ``name=value`` parameters of ``path``'s segments (RFC 3986 3.3), as written."""
    return [item for segment in path.split("/") for item in segment.split(";")[1:] if "=" in item]


def _secret_path_parameter(name: str) -> bool:
    return bool(_SECRET_PARAMETER.search(re.sub(r"[^a-z0-9]", "", unquote(name).lower())))


def _path_without_secrets(path: str) -> str:
    """``path`` with each secret parameter's value taken out, its name kept (``;token=``)."""
    segments = []
    for segment in path.split("/"):
        head, *items = segment.split(";")
        for place, item in enumerate(items):
            name, equals, _value = item.partition("=")
            if equals and _secret_path_parameter(name):
                items[place] = f"{name}="
        segments.append(";".join([head, *items]))
    return "/".join(segments)


def feed_url_without_secrets(url: str) -> str:
    """``url`` without its credentials (user info, secret query parameters); the rest stays,
    so the feed's address and its harmless parameters are kept."""
    found = feed_url_secrets(url)
    if not found:
        return url
    secret_names = {name for name, _value in found if name not in _NOT_PARAMETERS}
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if port := secret_port(url.strip()):
        netloc = netloc.removesuffix(f":{port}")
    fragment = "&".join(
        item
        for item in parts.fragment.split("&")
        if item and unquote_plus(item.partition("=")[0]) not in secret_names
    )
    # The other parameters as written, each named as parse_qsl names it: decoded and encoded
    # again, a shop name in Latin-1 ("caf%E9") came back as U+FFFD (another shop asked for),
    # and a lone surrogate raised UnicodeEncodeError out of the loader (a traceback at start).
    query = "&".join(
        item
        for item in parts.query.split("&")
        if item and unquote_plus(item.partition("=")[0]) not in secret_names
    )
    return urlunsplit((parts.scheme, netloc, _path_without_secrets(parts.path), query, fragment))


FEED_URL_PATH_HOLDS_SECRET = (
    "the feed URL holds a token in its path; put it in the Token field and keep ;token= with "
    "nothing after it (the token is sent there)"
)


def check_feed_url(url: str) -> str | None:
    """:data:`FEED_URL_HOLDS_SECRET` when a feed URL carries a credential: the URL is saved
    in the settings file, the token only in the keyring. :data:`FEED_URL_PATH_HOLDS_SECRET`
    when it is in the path (``/feed;token=…``) alone: told to take the URL without it, a user
    took out ";token=" too, and the bridge was sent the token as a header it does not read."""
    found = feed_url_secrets(url)
    if not found:
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return FEED_URL_HOLDS_SECRET
    in_path = {unquote(item.partition("=")[0]) for item in _path_parameters(path)}
    if all(name in in_path for name, _value in found):
        return FEED_URL_PATH_HOLDS_SECRET
    return FEED_URL_HOLDS_SECRET


def encoder_warnings(preset: PlatformPreset, encoder: EncoderSettings) -> list[str]:
    """What the encoder settings break of the platform's guidance, one line each."""
    warnings: list[str] = []
    try:
        width, height = parse_canvas(encoder.canvas)
    except Exception:
        return [f"canvas {encoder.canvas!r} is not WIDTHxHEIGHT"]
    if max(width, height) > max(preset.max_width, preset.max_height) or min(width, height) > min(
        preset.max_width, preset.max_height
    ):
        warnings.append(
            f"{preset.name} accepts up to {preset.max_width}x{preset.max_height}; "
            f"the canvas is {width}x{height}"
        )
    if encoder.fps > preset.max_fps:
        warnings.append(f"{preset.name} accepts up to {preset.max_fps} fps; set {encoder.fps}")
    tier = preset.tier_for(width, height, encoder.fps)
    if tier and encoder.video_kbps > tier.max_kbps:
        warnings.append(
            f"{preset.name} recommends at most {tier.max_kbps} kbps at "
            f"{tier.height}p{tier.fps}; set {encoder.video_kbps} kbps"
        )
    if encoder.keyframe_interval_s > preset.max_keyframe_interval_s:
        warnings.append(
            f"{preset.name} needs a keyframe at least every {preset.max_keyframe_interval_s} s; "
            f"set {encoder.keyframe_interval_s} s"
        )
    if encoder.audio_kbps > preset.max_audio_kbps:
        warnings.append(
            f"{preset.name} accepts audio up to {preset.max_audio_kbps} kbps; "
            f"set {encoder.audio_kbps} kbps"
        )
    return warnings


def recommended_encoder(preset: PlatformPreset, encoder: EncoderSettings) -> EncoderSettings:
    """The encoder settings moved inside the preset's guidance (canvas kept when it fits)."""
    canvas = encoder.canvas
    try:
        width, height = parse_canvas(canvas)
    except Exception:
        width, height = parse_canvas(preset.preferred_canvas)
        canvas = preset.preferred_canvas
    fps = min(encoder.fps, preset.max_fps)
    tier = preset.tier_for(width, height, fps)
    return replace(
        encoder,
        canvas=canvas,
        fps=fps,
        video_kbps=tier.recommended_kbps if tier else encoder.video_kbps,
        keyframe_interval_s=min(preset.keyframe_interval_s, preset.max_keyframe_interval_s),
        audio_kbps=min(preset.audio_kbps, preset.max_audio_kbps),
    )


def recording_bytes_per_hour(settings: Settings) -> int:
    """What an hour of recording takes at the settings' bitrates (the container adds ~1 %)."""
    encoder = settings.encoder
    return round((encoder.video_kbps + encoder.audio_kbps) * 1000 / 8 * 3600 * 1.01)


def live_options(settings: Settings, destination_urls: list[str]) -> LiveOptions:
    """The options of a live run from the settings; URLs carry keys fetched from the keyring."""
    width, height = parse_canvas(settings.encoder.canvas)
    devices = settings.devices
    return LiveOptions(
        destinations=list(destination_urls),
        record=settings.record,
        record_path=None,
        camera=None if devices.camera == "auto" else devices.camera,
        microphone=None if devices.microphone == "default" else devices.microphone,
        canvas_width=width,
        canvas_height=height,
        fps=settings.encoder.fps,
        video_kbps=settings.encoder.video_kbps,
        audio_kbps=settings.encoder.audio_kbps,
        encoder=settings.encoder.encoder,
        feeds=feed_specs(settings),
    )


def feed_specs(settings: Settings) -> list[FeedSpec]:
    """The enabled feeds, each with the keyring entry of its own token; not one whose URL no
    feed could read (the loader said so): a settings file's "http://[::1/feed" or "\ud800" in
    a URL, never checked as --feed and the Feeds page check theirs, raised out of the feeds'
    start and took every other feed of the show with it."""
    return [
        FeedSpec(kind=f.kind, url=f.url, token_name=secrets.feed_token_name(f.feed_id))
        for f in settings.feeds
        if f.enabled and feed_url_problem(f.kind, f.url) is None
    ]


# -- reading and writing -------------------------------------------------------------------------


def settings_path(*, make: bool = True) -> Path:
    """The settings file; its folder made unless ``make`` is false (to read them: a config
    folder that cannot be made, on a read-only disk, holds no settings, and reading them ended
    `anchordesk live --to youtube` with an OSError traceback)."""
    return paths.user_config_dir(make=make) / SETTINGS_FILE_NAME


def _as_int(
    settings: Settings, value: Any, default: int, bounds: tuple[int, int], field: str
) -> int:
    """A whole number of the file within ``bounds``, absent for its default. Anything else
    is said and the default taken, and one outside the bounds said and brought within them:
    ``"video_kbps": "6000"`` (a string) streamed at 2,500 and ``"port": 80`` listened on 1024,
    without a word."""
    read = _as_type(
        settings,
        value,
        default,
        field,
        _is_whole,
        QT_TRANSLATE_NOOP("Settings", "{field} is {value}, not a whole number; {default} taken"),
        default,
    )
    low, high = bounds
    kept = max(low, min(high, int(read)))
    if kept != read:
        _field_problem(
            settings,
            Words(
                QT_TRANSLATE_NOOP(
                    "Settings", "{field} is {value}, outside {low} to {high}; {kept} taken"
                ),
                field=field,
                value=_shown_value(value),
                low=low,
                high=high,
                kept=kept,
            ),
        )
    return kept


def _is_whole(value: Any) -> bool:
    # NaN and Infinity (which json.loads reads, as it reads 1e999) are not numbers either.
    return not isinstance(value, bool) and (
        isinstance(value, int)
        or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    )


def _json_int(text: str) -> int:
    """An integer of the file. int() refuses over 4,300 digits in Python's words ("use
    sys.set_int_max_str_digits() to increase the limit"), which the settings' problem quoted
    to the user: said in words, the file set aside as not valid as any other."""
    digits = len(text.lstrip("-"))
    if digits > sys.get_int_max_str_digits():
        raise ValueError(f"a number of {digits:,} digits, longer than any setting")
    return int(text)


class _WrittenFloat(float):
    """A fraction of the file that remembers how it was written: read as a float, ``1e400``
    was quoted "Infinity" ("encoder.fps is Infinity, not a whole number") and ``1.50`` "1.5"."""

    text: str

    def __new__(cls, text: str) -> _WrittenFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _shown_value(value: Any) -> str:
    """A value of the file as a problem quotes it: as its JSON spells it, its URLs masked by
    the one rule, cut to 40 characters, its control characters escaped. A URL in a field of
    the wrong type was quoted with its password whole and its key up to the cut, in the
    window's notice and Help, Messages (the log masked the same line)."""
    try:
        written = (
            value.text
            if isinstance(value, _WrittenFloat)
            else json.dumps(value, ensure_ascii=False)
        )
    except (TypeError, ValueError, RecursionError):
        written = type(value).__name__
    return _shown_text(written, 40)


def _shown_text(text: str, limit: int) -> str:
    """A text of the file as a problem quotes it: masked whole, then cut to ``limit``
    characters (core/printable's one rule for a cut), its control characters escaped."""
    return escape_controls(masked_cut(text, limit))


def _as_object(settings: Settings, data: dict[str, Any], key: str) -> dict[str, Any]:
    """The object at ``key``; anything else is said and its defaults taken (``"encoder": 7``
    streamed at the defaults without a word)."""
    value = data.get(key)
    if value is None or isinstance(value, dict):
        return value or {}
    _field_problem(
        settings,
        Words(
            QT_TRANSLATE_NOOP("Settings", "{key} is {value}, not an object; its defaults taken"),
            key=key,
            value=_shown_value(value),
        ),
    )
    return {}


def _as_list(settings: Settings, data: dict[str, Any], key: str) -> list[Any]:
    """The list at ``key``; anything else (a number, an object) is said and taken as none:
    `"destinations": 7` ended the program with a TypeError before the window opened."""
    value = data.get(key)
    if value is None or isinstance(value, list):
        return value or []
    _field_problem(
        settings,
        Words(
            QT_TRANSLATE_NOOP(
                "Settings", "{key} is not a list; ignored, and kept in the file as it is"
            ),
            key=key,
        ),
    )
    return []


def _as_bool(settings: Settings, value: Any, default: bool, field: str) -> bool:
    """A switch of the file: true or false, absent for its default. Anything else is said and
    the default taken: ``"enabled": "false"`` (a string) read as enabled, without a word."""
    return _as_type(
        settings,
        value,
        default,
        field,
        lambda read: isinstance(read, bool),
        QT_TRANSLATE_NOOP("Settings", "{field} is {value}, not true or false; {default} taken"),
        "true" if default else "false",
    )


def _as_str(settings: Settings, value: Any, default: str, field: str) -> str:
    """A text of the file, absent for its default; anything else is said and the default
    taken (``"canvas": 7``, ``"recordings_dir": 5`` were replaced without a word)."""
    return _as_type(
        settings,
        value,
        default,
        field,
        lambda read: isinstance(read, str),
        QT_TRANSLATE_NOOP("Settings", "{field} is {value}, not a text; '{default}' taken"),
        # A name's default is the file's preset, quoted as read; only when said: quoted for
        # every destination, 2,000 long presets held the window's start 3 s.
        lambda: _shown_text(default, 40),
    )


_T = TypeVar("_T")


def _as_type(
    settings: Settings,
    value: Any,
    default: _T,
    field: str,
    right: Callable[[Any], bool],
    sentence: Template,
    default_shown: object | Callable[[], object],
) -> _T:
    """The value of ``field`` when ``right`` takes it, absent for its default; anything else is
    said in ``sentence`` (its fields: ``field``, ``value`` as quoted, ``default_shown``) and the
    default taken. The one shape of every typed field of the file."""
    if value is None:
        return default
    if right(value):
        return cast(_T, value)
    if not _listing(settings):
        _field_problem(settings, None)  # counted: not quoted (see _listing)
        return default
    if callable(default_shown):
        default_shown = default_shown()
    _field_problem(
        settings,
        Words(sentence, field=field, value=_shown_value(value), default=default_shown),
    )
    return default


def _shown_url(url: str) -> str:
    """A URL of the file as a problem quotes it: masked, its control characters escaped (a
    bidi override or a line separator in it turned the window's notice around or in two: the
    notice and the status bar show the text as it is). One past what an HTTP client sends
    (65,536 characters) is named by its scheme and host only: masking a 2 MB one held the
    load (the window's start) 2.6 s per quote."""
    if len(url) > _URL_MASKED_AT_MOST:
        try:
            parts = urlsplit(url.strip())
            url = f"{parts.scheme}://{parts.hostname or ''}/…"
        except ValueError:
            url = "…"
    return escape_controls(mask_url(url))[:300]


_URL_MASKED_AT_MOST = 65_536  # httpx's longest URL


PROBLEMS_LISTED = 20  # a settings file's problems listed one by one, at most; then counted


def _listing(settings: Settings) -> bool:
    """Whether the next problem is listed (quoted): past :data:`PROBLEMS_LISTED` a problem is
    only counted, and its quote, masked and cut (milliseconds for a long URL), not made."""
    return len(settings.field_problems) < PROBLEMS_LISTED


def _field_problem(settings: Settings, words: Words | None) -> None:
    """One problem of the file's fields, listed; past :data:`PROBLEMS_LISTED`, counted in
    one last line that says how many more there are (the one rule for every problem).
    ``None``: a problem past them, not worded (see :func:`_listing`)."""
    if words is not None and _listing(settings):
        settings.problems.append(f"settings: {words}")
        settings.field_problems.append(words)
        return
    settings.problems_not_listed += 1
    more = Words(
        QT_TRANSLATE_NOOP("Settings", "{count} more problems in the settings file, not listed"),
        count=Count(settings.problems_not_listed),  # grouped in the reader's language
    )
    if settings.problems_not_listed > 1:
        settings.problems.pop()
        settings.field_problems.pop()
    settings.problems.append(f"settings: {more}")
    settings.field_problems.append(more)


def _same_ids_problems(settings: Settings, same_ids: dict[str, list[int]], kind: str) -> None:
    """One problem per id written more than once (``kind``: "destinations" or "feeds"),
    whatever the number of copies: each copy was a line of its own."""
    for same_id, indexes in same_ids.items():
        if kind == "destinations":
            one = QT_TRANSLATE_NOOP(
                "Settings",
                "destinations[{index}] has the id of another destination ('{id}'); "
                "given a new one: type its stream key again in Settings",
            )
            many = QT_TRANSLATE_NOOP(
                "Settings",
                "destinations[{index}] and {count} more have the id of another destination "
                "('{id}'); each given a new one: type their stream keys again in Settings",
            )
        else:
            one = QT_TRANSLATE_NOOP(
                "Settings",
                "feeds[{index}] has the id of another feed ('{id}'); given a new one, "
                "with its own keyring entry: check its token in Settings, Feeds",
            )
            many = QT_TRANSLATE_NOOP(
                "Settings",
                "feeds[{index}] and {count} more have the id of another feed ('{id}'); each "
                "given a new one, with its own keyring entry: check their tokens in "
                "Settings, Feeds",
            )
        shown = _shown_text(same_id, 40)  # masked whole, then cut
        if len(indexes) == 1:
            _field_problem(settings, Words(one, index=indexes[0], id=shown))
        else:
            count = Count(len(indexes) - 1)  # grouped in the reader's language
            _field_problem(settings, Words(many, index=indexes[0], count=count, id=shown))


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Build settings from parsed JSON, field by field: a bad field falls back to its default."""
    settings = Settings(read=Kept(data))
    language = data.get("language", "system")
    settings.language = language if language in LANGUAGE_CHOICES else "system"
    if language not in LANGUAGE_CHOICES:
        _field_problem(
            settings,
            Words(
                QT_TRANSLATE_NOOP(
                    "Settings", "language is {value}, not one of {choices}; system taken"
                ),
                value=_shown_value(language),
                choices=", ".join(LANGUAGE_CHOICES),
            ),
        )

    destination_ids: set[str] = set()
    same_destination_ids: dict[str, list[int]] = {}
    for index, raw in enumerate(_as_list(settings, data, "destinations")):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            _field_problem(
                settings,
                Words(
                    QT_TRANSLATE_NOOP(
                        "Settings", "destinations[{index}] is not a destination; skipped"
                    ),
                    index=index,
                ),
            )
            settings.unread_destinations.append(Kept(raw))
            continue
        preset_id = _as_str(settings, raw.get("preset"), "custom", f"destinations[{index}].preset")
        # Its keyring entry (the stream key) is named by the id: no keyring encodes a lone
        # surrogate, and the UnicodeEncodeError ended live --to with a traceback.
        destination_id = escaped_surrogates(raw["id"])
        if destination_id in destination_ids:
            # A destination copied by hand keeps its id: both had one keyring entry for their
            # stream key, and the key typed for one was pushed to the other's server. Said
            # once per id, after the list (see _same_ids_problems).
            same_destination_ids.setdefault(destination_id, []).append(index)
            destination_id = new_id()
        destination_ids.add(destination_id)
        settings.destinations.append(
            Destination(
                destination_id=destination_id,
                name=_as_str(settings, raw.get("name"), preset_id, f"destinations[{index}].name"),
                preset_id=preset_id if preset_id in PRESETS else "custom",
                server_url=_as_str(
                    settings, raw.get("server_url"), "", f"destinations[{index}].server_url"
                ),
                enabled=_as_bool(
                    settings, raw.get("enabled"), True, f"destinations[{index}].enabled"
                ),
                read=Kept(raw),
            )
        )
    _same_ids_problems(settings, same_destination_ids, "destinations")
    for destination in settings.destinations:
        if server_url_holds_key(destination.preset, destination.server_url):
            if not _listing(settings):
                _field_problem(settings, None)
                continue
            _field_problem(
                settings,
                Words(
                    QT_TRANSLATE_NOOP(
                        "Settings",
                        "destination '{name}' has what looks like a stream key in its server "
                        "URL; move the key to the stream key field in Settings",
                    ),
                    # Quoted as every value of the file is (masked, cut, escaped): a name
                    # holding a URL showed its password, a 200,000-character name was the line.
                    name=_shown_text(destination.name, 60),
                ),
            )
    active = data.get("active_destination")
    if isinstance(active, str):
        # Compared as the ids are kept (their lone surrogates escaped): as sent, an active
        # destination of such an id matched none, and the choice was saved as null.
        active = escaped_surrogates(active)
    settings.active_destination_id = active if settings.destination(active) else None

    devices = _as_object(settings, data, "devices")
    settings.devices = DeviceSettings(
        camera=_as_str(settings, devices.get("camera"), "auto", "devices.camera") or "auto",
        microphone=_as_str(settings, devices.get("microphone"), "default", "devices.microphone")
        or "default",
    )

    enc = _as_object(settings, data, "encoder")
    canvas = _as_str(settings, enc.get("canvas"), "1280x720", "encoder.canvas")
    try:
        parse_canvas(canvas)
    except Exception:
        _field_problem(
            settings,
            Words(
                QT_TRANSLATE_NOOP(
                    "Settings", "encoder canvas '{canvas}' is not WIDTHxHEIGHT; using 1280x720"
                ),
                canvas=_shown_text(canvas, 40),
            ),
        )
        canvas = "1280x720"
    encoder_name = _as_str(settings, enc.get("encoder"), "libx264", "encoder.encoder")
    settings.encoder = EncoderSettings(
        encoder=encoder_name or "libx264",
        video_kbps=_as_int(
            settings, enc.get("video_kbps"), 2500, (200, 51000), "encoder.video_kbps"
        ),
        audio_kbps=_as_int(settings, enc.get("audio_kbps"), 128, (32, 512), "encoder.audio_kbps"),
        canvas=canvas,
        fps=_as_int(settings, enc.get("fps"), 30, (1, 60), "encoder.fps"),
        keyframe_interval_s=_as_int(
            settings, enc.get("keyframe_interval_s"), 2, (1, 10), "encoder.keyframe_interval_s"
        ),
    )

    feed_ids: set[str] = set()
    same_feed_ids: dict[str, list[int]] = {}
    for index, raw in enumerate(_as_list(settings, data, "feeds")):
        if not isinstance(raw, dict) or raw.get("kind") not in FEED_KINDS:
            _field_problem(
                settings,
                Words(
                    QT_TRANSLATE_NOOP("Settings", "feeds[{index}] has no known kind; skipped"),
                    index=index,
                ),
            )
            settings.unread_feeds.append(Kept(raw))
            continue
        # An id with a lone surrogate (JSON's "\ud800") named a keyring entry no keyring
        # encodes: its UnicodeEncodeError ended the loader, or every feed's start.
        given_id = raw.get("id")
        feed_id = escaped_surrogates(given_id if isinstance(given_id, str) else "")
        if feed_id in feed_ids:
            # Said, as for a destination: given a new id, the feed has no token but one its
            # URL held (moved to its own entry), and it failed to sign in without a word why.
            same_feed_ids.setdefault(feed_id, []).append(index)
        if not feed_id or feed_id in feed_ids:
            # A feed copied by hand keeps its id: both had one keyring entry for their token,
            # and the second token, moved there, was lost.
            feed_id = new_id()
            if given_id is not None and not isinstance(given_id, str):
                # Said ("feeds[0].id is 7, not a text; '…' taken"): given a new id without a
                # word, the feed asked its keyring entry for no token and failed to sign in.
                _as_str(settings, given_id, feed_id, f"feeds[{index}].id")
        feed_ids.add(feed_id)
        settings.feeds.append(
            FeedSettings(
                feed_id=feed_id,
                kind=raw["kind"],
                url=_as_str(settings, raw.get("url"), "", f"feeds[{index}].url"),
                enabled=_as_bool(settings, raw.get("enabled"), True, f"feeds[{index}].enabled"),
                read=Kept(raw),
            )
        )
    _same_ids_problems(settings, same_feed_ids, "feeds")
    for feed in settings.feeds:
        if feed_url_secrets(feed.url):
            _field_problem(settings, _feed_secret_problem(feed) if _listing(settings) else None)
        problem = feed_url_problem(feed.kind, feed.url) if feed.enabled else None
        if problem is not None and not _listing(settings):
            _field_problem(settings, None)
        elif problem is not None:
            _field_problem(
                settings,
                Words(
                    QT_TRANSLATE_NOOP(
                        "Settings",
                        "feed {kind} ({url}) is not used: {problem}; correct its URL in "
                        "Settings, Feeds",
                    ),
                    kind=feed.kind,
                    url=_shown_url(feed.url),
                    problem=problem,
                ),
            )
    settings.record = _as_bool(settings, data.get("record"), True, "record")
    settings.record_asked = _as_bool(settings, data.get("record_asked"), False, "record_asked")
    recordings_dir = data.get("recordings_dir")
    settings.recordings_dir = recordings_dir if isinstance(recordings_dir, str) else None
    if recordings_dir is not None and not isinstance(recordings_dir, str):
        _field_problem(
            settings,
            Words(
                QT_TRANSLATE_NOOP(
                    "Settings",
                    "recordings_dir is {value}, not a folder name; recording to the default folder",
                ),
                value=_shown_value(recordings_dir),
            ),
        )
    if settings.recordings_dir is not None and "\x00" in settings.recordings_dir:
        # No system names a folder with a NUL: making it raised ValueError, not OSError, and
        # the show went on unrecorded without a word in the window.
        _field_problem(
            settings,
            Words(
                QT_TRANSLATE_NOOP(
                    "Settings",
                    "the recordings folder '{path}' is not a folder name (it holds a NUL "
                    "character); recording to the default folder",
                ),
                path=_shown_text(settings.recordings_dir, 200),
            ),
        )
        settings.recordings_dir = None
    # A name with a NUL is no file's: opening it from File → Recent raised ValueError in the
    # reading worker and the window said nothing.
    settings.recent_shows = [
        p
        for p in _as_list(settings, data, "recent_shows")
        if isinstance(p, str) and "\x00" not in p
    ][:MAX_RECENT_SHOWS]
    remote = _as_object(settings, data, "remote")
    settings.remote = RemoteSettings(
        enabled=_as_bool(settings, remote.get("enabled"), False, "remote.enabled"),
        port=_as_int(settings, remote.get("port"), 8750, (1024, 65535), "remote.port"),
        allow_lan=_as_bool(settings, remote.get("allow_lan"), False, "remote.allow_lan"),
    )
    settings.prompts_off = _prompts_off(data.get("prompts_off"))
    return settings


def _savable_server_url(destination: Destination) -> str:
    """The server URL as it may be written to disk: never one that holds a stream key.

    The settings dialog refuses such a URL; this is the last net for any other path (an older
    settings file, a script): the URL is left out and the log names the destination only.
    """
    if server_url_holds_key(destination.preset, destination.server_url):
        log.warning(
            "destination %r: its server URL looks like it holds a stream key; not saved",
            destination.name,
        )
        return ""
    return destination.server_url


def _prompts_off(value: object) -> list[str]:
    from anchordesk.show.prompts import RULES

    if not isinstance(value, list):
        return []
    return [rule for rule in RULES if rule in value]


def _feed_secret_problem(feed: FeedSettings) -> Words:
    return Words(
        QT_TRANSLATE_NOOP(
            "Settings",
            "feed {kind} ({url}) has a token or a password in its URL; put the token in the "
            "Token field of Settings, Feeds",
        ),
        kind=feed.kind,
        url=_shown_url(feed.url),
    )


def _savable_feed_url(feed: FeedSettings) -> str:
    """The feed URL as it may be written to disk: without a token or a password. The form
    refuses such a URL; this is the last net for any other path (an older file kept for this
    run because no keyring could take its token, a script)."""
    if not feed_url_secrets(feed.url):
        return feed.url
    log.warning(
        "feed %s: its URL holds a token or a password; saved without it (%s)",
        feed.kind,
        mask_url(feed.url),
    )
    return feed_url_without_secrets(feed.url)


def _with_unread(written: dict[str, Any], read: Any) -> dict[str, Any]:
    """``written`` and, after it, the keys of ``read`` (the object as the file held it) that
    ``written`` does not name: a newer version's, written back as they were read."""
    if isinstance(read, dict):
        written.update((key, value) for key, value in read.items() if key not in written)
    return written


def _list_written(entries: list[Any], read: Any) -> Any:
    """The list to write where the file held ``read``: a value that was no list (a newer
    version's object) is written back as it was, or as the list's last entry when this
    version has entries to write there."""
    if read is None or isinstance(read, list):
        return entries
    return [*entries, read] if entries else read


def _destination_written(destination: Destination) -> dict[str, Any]:
    read = destination.read.value
    preset = destination.preset_id
    if preset == "custom" and isinstance(read, dict):
        # A newer version's platform, read here as a custom server, stays that platform.
        read_preset = read.get("preset")
        if isinstance(read_preset, str) and read_preset not in PRESETS:
            preset = read_preset
    return _with_unread(
        {
            "id": destination.destination_id,
            "name": destination.name,
            "preset": preset,
            "server_url": _savable_server_url(destination),
            "enabled": destination.enabled,
        },
        read,
    )


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    read = settings.read.value if isinstance(settings.read.value, dict) else {}
    from anchordesk.show.prompts import RULES

    read_recent = read.get("recent_shows")
    read_prompts_off = read.get("prompts_off")
    return _with_unread(
        {
            "format": SETTINGS_FORMAT,
            "language": settings.language,
            "destinations": _list_written(
                [_destination_written(d) for d in settings.destinations]
                + [kept.value for kept in settings.unread_destinations],
                read.get("destinations"),
            ),
            "active_destination": settings.active_destination_id,
            "devices": _with_unread(asdict(settings.devices), read.get("devices")),
            "encoder": _with_unread(asdict(settings.encoder), read.get("encoder")),
            "feeds": _list_written(
                [
                    _with_unread(
                        {
                            "id": f.feed_id,
                            "kind": f.kind,
                            "url": _savable_feed_url(f),
                            "enabled": f.enabled,
                        },
                        f.read.value,
                    )
                    for f in settings.feeds
                ]
                + [kept.value for kept in settings.unread_feeds],
                read.get("feeds"),
            ),
            "record": settings.record,
            "record_asked": settings.record_asked,
            "recordings_dir": settings.recordings_dir,
            # A newer version's entries (not a file name) stay after this version's.
            "recent_shows": _list_written(
                list(settings.recent_shows)
                + [p for p in _as_read_list(read_recent) if not isinstance(p, str)],
                read_recent,
            ),
            "remote": _with_unread(asdict(settings.remote), read.get("remote")),
            # A newer version's prompt rules, turned off there, stay off.
            "prompts_off": _list_written(
                list(settings.prompts_off)
                + [r for r in _as_read_list(read_prompts_off) if not _known_rule(r, RULES)],
                read_prompts_off,
            ),
        },
        read,
    )


def _as_read_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _known_rule(value: Any, rules: Any) -> bool:
    return isinstance(value, str) and value in rules


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path(make=False)
    try:
        text = _read_settings_file(path)
    except FileNotFoundError:
        return Settings()
    except _NotAFile as what:
        settings = Settings()
        settings.problems.append(f"settings: {path} is {what}, not a file; using defaults")
        settings.file_problem = Words(
            QT_TRANSLATE_NOOP("Settings", "{path} is not a regular file"), path=str(path)
        )
        log.warning("%s", settings.problems[-1])
        return settings
    except OSError as error:
        settings = Settings()
        settings.problems.append(f"settings: cannot read {path}: {error.strerror}; using defaults")
        settings.file_problem = Words(
            QT_TRANSLATE_NOOP("Settings", "cannot read {path}: {reason}"),
            path=str(path),
            reason=error.strerror or str(error),
        )
        log.warning("%s", settings.problems[-1])
        return settings
    try:
        # utf-8-sig: a file saved by Notepad starts with a BOM (it was "not valid JSON" and set
        # aside with every destination). A file in another encoding is a ValueError here too
        # (UnicodeDecodeError), and one nested past the parser's depth a RecursionError: both
        # ended the program with a traceback before the window opened.
        # UTF-16/32 by their mark too (Notepad's "Unicode"): core/unicode_text.
        data = json.loads(decoded(text), parse_int=_json_int, parse_float=_WrittenFloat)
        if not isinstance(data, dict):
            raise ValueError("the top level is not an object")
    except (ValueError, RecursionError) as error:
        backup = path.with_name(path.name + ".broken")
        try:
            path.replace(backup)
        except OSError:
            backup = path
        settings = Settings()
        settings.problems.append(
            f"settings: {path} is not valid JSON ({error}); kept as {backup.name}, using defaults"
        )
        settings.file_problem = Words(
            QT_TRANSLATE_NOOP("Settings", "{path} is not valid JSON; it is kept as {backup}"),
            path=str(path),
            backup=backup.name,
        )
        log.warning("%s", settings.problems[-1])
        return settings
    settings = settings_from_dict(data)
    if _move_feed_tokens_to_keyring(settings):
        try:
            save_settings(settings, path)  # the token leaves the file now, not at the next save
        except OSError as error:
            _field_problem(
                settings,
                Words(
                    QT_TRANSLATE_NOOP("Settings", "cannot rewrite {path}: {reason}"),
                    path=str(path),
                    reason=error.strerror or str(error),
                ),
            )
    for problem in settings.problems:
        log.warning("%s", problem)
    return settings


class _NotAFile(Exception):
    """The settings' name holds a pipe, a device, a socket or a folder (what it is: str())."""


def _read_settings_file(path: Path) -> bytes:
    """The settings file's bytes, opened without waiting: a pipe at its name (a FIFO) was
    opened with a blocking open() that waited for a writer for ever, so `anchordesk live --to
    youtube` (and the window) hung before their first line, deaf to SIGTERM."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC)
    try:
        mode = os.fstat(descriptor).st_mode
    except OSError:
        os.close(descriptor)
        raise
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise _NotAFile(not_a_file(mode))
    with open(descriptor, "rb") as file:
        return file.read()


def _move_feed_tokens_to_keyring(settings: Settings) -> bool:
    """A settings file of an older version may hold a feed's token in its URL: when a system
    keyring works, the token moves there (the feed's Token field) and the URL loses it.
    Without one the URL is kept as it is for this run (the feed still works; nothing is
    lost) and the problem, already listed, tells the user what to do. True if any moved."""
    moved = False
    for feed in settings.feeds:
        found = feed_url_secrets(feed.url)
        tokens = [value for where, value in found if where not in _NOT_PARAMETERS]
        if len(found) != 1 or not tokens:
            # Only a lone token moves: the URL is saved without every credential, and the
            # keyring holds one token per feed. A user:password beside it, or a second secret
            # parameter (?sig=...&token=...), was dropped from the file and stored nowhere
            # (the first one stored, maybe not the token). Such a URL is kept as written
            # for this run; the problem already listed tells the user what to do.
            continue
        store = secrets.store()
        if not store.probe():
            continue
        name = secrets.feed_token_name(feed.feed_id)
        reported = _feed_secret_problem(feed)
        if store.get(name) != tokens[0]:
            # The token the user put in the file is the one the feed has now: the keyring's
            # was kept before, and this one dropped from the file and stored nowhere.
            try:
                store.set(name, tokens[0])
            except secrets.NotText as error:
                # Left in the URL for this run; the listed problem says why it did not move.
                _replace_problem(
                    settings,
                    reported,
                    Words(
                        QT_TRANSLATE_NOOP(
                            "Settings",
                            "feed {kind} ({url}) has a token in its URL that cannot be kept or "
                            "sent: {reason}; type the token in the Token field of Settings, "
                            "Feeds",
                        ),
                        kind=feed.kind,
                        url=_shown_url(feed.url),
                        reason=str(error),
                    ),
                )
                continue
        if not store.persistent:  # the keyring failed on the way: keep the URL for this run
            continue
        feed.url = feed_url_without_secrets(feed.url)
        moved = True
        note = Words(
            QT_TRANSLATE_NOOP(
                "Settings",
                "feed {kind} had a token in its URL; it was moved to the system keyring (the "
                "feed's Token field) and the URL saved without it: {url}",
            ),
            kind=feed.kind,
            url=_shown_url(feed.url),
        )
        _replace_problem(settings, reported, note)
    return moved


def _replace_problem(settings: Settings, listed: Words, words: Words) -> None:
    """``words`` in the place of the problem ``listed`` (at the end when it is not listed;
    nothing when it is one of those counted, not listed: it is counted already)."""
    index = next((i for i, p in enumerate(settings.field_problems) if p == listed), None)
    if index is None:
        if not settings.problems_not_listed:
            _field_problem(settings, words)
    else:
        settings.problems[index] = f"settings: {words}"
        settings.field_problems[index] = words


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically (temp file + rename), so a crash never leaves half a settings file."""
    path = path or settings_path()
    text = json.dumps(settings_to_dict(settings), ensure_ascii=False, indent=2) + "\n"
    # A lone surrogate (JSON's "\ud800" in a name, a recent show's file name in bytes that
    # are not UTF-8) as JSON's escape: UTF-8 cannot hold it, and the save raised
    # UnicodeEncodeError (the loader's rewrite of a feed's token ended the program). Read
    # back, it is the same text, the same file name.
    text = escaped_surrogates(text)
    write_text_atomically(path, text, new_file_mode=0o600)  # a file of one user's setup
    return path


__all__ = [
    "ENCODER_CHOICES",
    "FEED_URL_HOLDS_SECRET",
    "FEED_URL_PATH_HOLDS_SECRET",
    "KNOWN_CANVASES",
    "LANGUAGE_CHOICES",
    "PRESETS",
    "SERVER_URL_HOLDS_KEY",
    "BitrateTier",
    "Destination",
    "DeviceSettings",
    "EncoderSettings",
    "FeedSettings",
    "PlatformPreset",
    "RemoteSettings",
    "Settings",
    "check_feed_url",
    "check_server_url",
    "destination_url",
    "encoder_warnings",
    "feed_url_secrets",
    "feed_url_without_secrets",
    "live_options",
    "load_settings",
    "looks_like_stream_key",
    "new_id",
    "recommended_encoder",
    "save_settings",
    "server_url_holds_key",
    "settings_path",
    "split_pasted_url",
]
