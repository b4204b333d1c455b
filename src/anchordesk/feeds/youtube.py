"""YouTube live chat and viewer counts (YouTube Data API v3), within the daily quota.

Why ``liveChatMessages.list`` and not ``streamList``: Google documents ``streamList`` as a gRPC
server-streaming method whose client is generated from ``stream_list.proto`` with
``grpcio-tools``; using it needs grpcio's C core and generated stubs in the app and a gRPC
(HTTP/2) server for every test. ``list`` is plain HTTPS + JSON through the same polling core as
every other feed, so it is what this adapter uses — with its cost under control:

- every ``liveChatMessages.list`` costs 5 quota units, every ``videos.list`` 1; the adapter
  counts the units of every call answered and shows them in the feed's status, with the day's
  total for the key: Google's quota is per project and per Pacific-time day, so the units are
  kept across restarts in the user data folder (feeds/quota.py), never the key itself;
- the chat is read no faster than a budget allows (default 4,500 units an hour of show: a
  one-hour show spends at most ~4,500 of the default 10,000-unit daily quota, so two shows a
  day and a restart fit), or the server's ``pollingIntervalMillis`` when that is longer;
- ``quotaExceeded`` ends the feed with a clear message: no retry loop burning the next day's
  quota;
- the ``liveChatId`` can be found from a video or broadcast id (``videos.list``
  ``liveStreamingDetails.activeLiveChatId``, 1 unit, once);
- with a video id, the number watching (``liveStreamingDetails.concurrentViewers``) is asked
  once a minute (60 units an hour) and kept as viewer samples.

``messageDeletedEvent`` and ``userBannedEvent`` become ``CommentRemoval`` items (the show hides
those comments); Super Chat and Super Sticker amounts are kept with the comment.

Requests are built here and answered through the poller (feeds/poller.py): the adapter is a
small state machine — resolve the chat id, read the chat, now and then count the viewers —
whose next call is decided when a response is read (``request`` only builds it, so calling it
twice changes nothing).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from anchordesk.core.printable import masked_cut
from anchordesk.core.redact import is_secret_query_name
from anchordesk.feeds.parsing import (
    IdPath,
    as_text,
    currency_as_sent,
    escaped_references,
    iso_time,
    load_json,
    lone_half_ids,
    lone_half_rejected,
    money,
    paid_amount_problem,
    readable,
    rejected_paid_amount,
    split_url,
    unreadable_item,
    wait_ms_as_s,
    without_lone_halves,
)
from anchordesk.feeds.poller import FeedEnded, FeedRequest, MalformedResponse, Page
from anchordesk.feeds.quota import DailyQuota, default_quota_path
from anchordesk.feeds.status import AdapterStatus
from anchordesk.feeds.viewers import viewer_count
from anchordesk.show.feed_items import (
    Comment,
    CommentRemoval,
    FeedItem,
    RejectedItem,
    ViewerStats,
)
from anchordesk.show.feed_rules import allowed_digits

log = logging.getLogger(__name__)

YOUTUBE_API = "https://www.googleapis.com/youtube/v3"
YOUTUBE_DEFAULT_URL = f"{YOUTUBE_API}/liveChat/messages"

# Quota costs (YouTube Data API v3, "Quota costs" table).
CHAT_LIST_UNITS = 5
VIDEOS_LIST_UNITS = 1
DEFAULT_DAILY_QUOTA = 10_000
# The budget of one hour of show: a one-hour show spends at most this (chat + viewers), so two
# shows a day, a restart and the chat id look-ups fit in the default daily quota.
DEFAULT_UNITS_PER_HOUR = 4_500
VIEWERS_EVERY_S = 60.0
# While a scheduled broadcast has no chat yet: ask again this often (1 unit each time).
WAIT_FOR_CHAT_S = 30.0

_COMMENT_TYPES = ("textMessageEvent", "superChatEvent", "superStickerEvent")
_ENDED_REASONS = ("liveChatEnded", "liveChatDisabled", "liveChatNotFound", "forbidden")
_QUOTA_REASONS = ("quotaExceeded", "dailyLimitExceeded")


def chat_interval_floor_s(units_per_hour: int, with_viewers: bool) -> float:
    """The shortest wait between two chat reads that keeps an hour within ``units_per_hour``."""
    viewer_units = (3600.0 / VIEWERS_EVERY_S) * VIDEOS_LIST_UNITS if with_viewers else 0.0
    chat_units = units_per_hour - viewer_units
    if chat_units < CHAT_LIST_UNITS:
        raise ValueError(f"a budget of {units_per_hour} units an hour cannot read the chat")
    return CHAT_LIST_UNITS * 3600.0 / chat_units


def hourly_units(interval_s: float, with_viewers: bool) -> float:
    """What an hour of show spends when the chat is read every ``interval_s`` seconds."""
    viewers = (3600.0 / VIEWERS_EVERY_S) * VIDEOS_LIST_UNITS if with_viewers else 0.0
    return 3600.0 / interval_s * CHAT_LIST_UNITS + viewers


def _video_id_from_url(url: str) -> tuple[str, str] | None:
    """``(api_base, video_id)`` for a watch/live/youtu.be address, else None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "youtu.be":
        return YOUTUBE_API, parts.path.strip("/")
    if host.endswith("youtube.com"):
        query = dict(parse_qsl(parts.query))
        if query.get("v"):
            return YOUTUBE_API, query["v"]
        segments = [segment for segment in parts.path.split("/") if segment]
        if len(segments) == 2 and segments[0] == "live":
            return YOUTUBE_API, segments[1]
    return None


def _url_credentials(url: str) -> tuple[str, ...]:
    """The values of the URL's parameters named as credentials, and its user info."""
    parts = urlsplit(url)
    found = {value for name, value in parse_qsl(parts.query) if is_secret_query_name(name)}
    if "@" in parts.netloc:
        found.update(parts.netloc.rsplit("@", 1)[0].split(":", 1))
    found.update(quote(value, safe="") for value in list(found))
    return tuple(sorted((value for value in found if len(value) >= 4), key=len, reverse=True))


def _error_reasons(response: httpx.Response) -> list[str]:
    try:
        body = json.loads(response.content)
        return [str(e.get("reason", "")) for e in body["error"]["errors"]]
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError):
        return []


# Where a chat message names itself or another message, and where it names an author.
_MESSAGE_IDS: tuple[IdPath, ...] = (
    ("id",),
    ("snippet", "messageDeletedDetails", "deletedMessageId"),
)
_AUTHOR_IDS: tuple[IdPath, ...] = (
    ("authorDetails", "channelId"),
    ("snippet", "authorChannelId"),
    ("snippet", "userBannedDetails", "bannedUserDetails", "channelId"),
)


class YouTubeChatAdapter:
    """Reads a YouTube live chat (and its viewer count) within a quota budget.

    ``url`` is one of:
    - ``…/youtube/v3/liveChat/messages?liveChatId=ID`` (``&videoId=ID`` adds viewer counts);
    - ``…/youtube/v3/liveChat/messages?videoId=ID`` (the chat id is looked up first);
    - ``https://www.youtube.com/watch?v=ID``, ``https://youtu.be/ID``,
      ``https://www.youtube.com/live/ID`` (the same, against Google's API).
    ``units_per_hour`` (also ``&units_per_hour=N`` in the URL) is the budget.

    The token is an API key (sent as ``X-Goog-Api-Key`` so it never sits in a URL that could
    be logged; keys from Google start with ``AIza``) or an OAuth access token (``Bearer``).
    ``clock`` is monotonic seconds (when the next viewer count is due); ``wall_clock`` dates
    the viewer samples.
    """

    default_interval_s = 5.0

    def __init__(
        self,
        url: str,
        token: str | None,
        source: str = "youtube-chat",
        *,
        units_per_hour: int | None = None,
        daily_quota: int = DEFAULT_DAILY_QUOTA,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        quota: DailyQuota | None = None,
    ) -> None:
        self.source = source
        # The URL's credentials (an ``access_token`` parameter it sends, a user:password):
        # only the API key was masked in what the server echoed (a rejected message kept in
        # the session and the report quoted the access token whole). Not its ids: the chat
        # and video ids are said in the feed's status.
        self._url_secrets = _url_credentials(url)
        watch = _video_id_from_url(url)
        if watch is not None:
            api, video_id = watch
            self._chat_endpoint, params = f"{api}/liveChat/messages", {"videoId": video_id}
        else:
            self._chat_endpoint, params = split_url(url)
        self._videos_endpoint = self._chat_endpoint.rsplit("/liveChat/messages", 1)[0] + "/videos"
        self.live_chat_id = params.pop("liveChatId", "").strip()
        self.video_id = params.pop("videoId", "").strip() or params.pop("broadcastId", "").strip()
        budget_text = params.pop("units_per_hour", "").strip()
        params.pop("key", None)  # a key in the URL would be logged: use the keyring instead
        if not self.live_chat_id and not self.video_id:
            raise ValueError(
                "youtube-chat needs the live chat id or the video (broadcast) id: "
                f"{YOUTUBE_DEFAULT_URL}?liveChatId=ID, ?videoId=ID, or the watch URL"
            )
        if units_per_hour is None:
            if budget_text and not budget_text.isdecimal():
                raise ValueError(f"units_per_hour={budget_text!r} is not a whole number")
            units_per_hour = int(budget_text) if budget_text else DEFAULT_UNITS_PER_HOUR
        self.units_per_hour = units_per_hour
        self.daily_quota = daily_quota
        self.chat_floor_s = chat_interval_floor_s(units_per_hour, bool(self.video_id))
        self._extra = params
        self._token = token or ""
        self._clock = clock
        self._wall_clock = wall_clock
        self.quota_units = 0  # this run's
        # Today's units with this key, this run's and the earlier runs' (a restart continues).
        # Without a key the units are Google's anonymous ones: kept under the API's address.
        self.daily = quota or DailyQuota(
            self._token or f"anonymous:{self._chat_endpoint}",
            default_quota_path(),
            wall_clock=wall_clock,
        )
        self.chat_calls = 0
        self.videos_calls = 0
        # What the next call is: "resolve" (find the chat id), "chat", or "viewers".
        self._next = "chat" if self.live_chat_id else "resolve"
        self._viewers_due_at = clock()  # the first count comes right after the first chat page
        self._last_online: int | None = None
        self._note = ""

    def secrets(self) -> tuple[str, ...]:
        return ((self._token,) if self._token else ()) + self._url_secrets

    @property
    def _video_shown(self) -> str:
        """The feed URL's video id as a status or a log line quotes it: cut to 60 characters
        (a 5,000-character id was a 5,039-character status in the window and on the phone)."""
        video_id = self.video_id
        return repr(masked_cut(video_id, 60))

    def status(self) -> AdapterStatus:
        today = f"{self.daily.units:,} of {self.daily_quota:,} quota units spent today"
        today += f" (Pacific day {self.daily.day}, this key)"
        spent = f"{self.quota_units:,} quota units spent by this run ({self.chat_calls} chat reads"
        spent += f", {self.videos_calls} video look-ups)"
        budget = f"budget {self.units_per_hour:,}/h"
        parts = [today, spent, budget]
        left = self.daily_quota - self.daily.units
        if left < self.units_per_hour:
            # Earlier shows today (or a restart) spent most of it: say how long the rest lasts.
            minutes = max(0, left) * 60 // self.units_per_hour
            parts.append(f"only {max(0, left):,} units left today: ~{minutes} min of chat")
        if self._last_online is not None:
            parts.append(f"{self._last_online:,} watching")
        if self._note:
            parts.append(self._note)
        return AdapterStatus(quota_units=self.quota_units, note="; ".join(parts))

    # -- requests ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self._token.startswith("AIza"):
            return {"X-Goog-Api-Key": self._token}
        if self._token:
            return {"Authorization": f"Bearer {self._token}"}
        return {}

    def request(self, cursor: str | None) -> FeedRequest:
        if self._next in ("resolve", "viewers"):
            params = {"part": "liveStreamingDetails", "id": self.video_id}
            return FeedRequest(self._videos_endpoint, params, self._headers())
        params = {
            **self._extra,
            "liveChatId": self.live_chat_id,
            "part": "snippet,authorDetails",
            "maxResults": "2000",
        }
        if cursor:
            params["pageToken"] = cursor
        return FeedRequest(self._chat_endpoint, params, self._headers())

    def _spend(self) -> None:
        # What Google counts: "all API requests, including invalid requests, incur a quota
        # cost of at least one point" (YouTube Data API, "Quota costs"). It does not say an
        # error answer costs less than its method, so every answered call — 2xx, 4xx, and
        # 429/503 too (busy_answer) — is counted at its method's full cost: an over-count
        # keeps the budget on the safe side. A call that got no answer at all (timeout,
        # network error) may never have reached Google and is not counted.
        if self._next == "chat":
            units = CHAT_LIST_UNITS
            self.chat_calls += 1
        else:
            units = VIDEOS_LIST_UNITS
            self.videos_calls += 1
        self.quota_units += units
        self.daily.spend(units)

    def busy_answer(self, response: httpx.Response) -> None:
        """Google answered 429 or 503 (the poller backs off): the call is counted all the same."""
        del response
        self._spend()
        self._viewers_failed()

    def ended_reason(self, response: httpx.Response) -> str | None:
        self._spend()  # an error answer costs its units too
        if response.status_code not in (400, 403, 404):
            self._viewers_failed()
            return None
        reasons = _error_reasons(response)
        for reason in reasons:
            if reason in _QUOTA_REASONS:
                message = (
                    f"YouTube: daily quota exceeded ({reason}) after {self.daily.units:,} units "
                    f"spent today with this key ({self.quota_units:,} by this run); the chat "
                    "stops here (the quota resets at midnight Pacific time; Google can raise "
                    "it in the Cloud console)"
                )
                log.error("feed %s: %s", self.source, message)
                return message
        if self._viewers_failed():
            return None  # the chat says whether the broadcast is over, not a viewer count
        for reason in reasons:
            if reason in _ENDED_REASONS:
                return f"YouTube: {reason}"
            if reason == "videoNotFound" or (reason == "notFound" and self._next != "chat"):
                return f"YouTube: no video {self._video_shown}"
        return None

    # -- responses --------------------------------------------------------------------------

    def call_failed(self, *, refused: bool, too_large: bool = False) -> None:
        """The call got no answer to read (no answer in time, the network, a body past the
        cap, a redirect): a viewer count hands the next call to the chat, as an error answer
        does. A count that timed out or was too large every time held the chat for the show."""
        del refused, too_large
        self._viewers_failed()

    def _viewers_failed(self) -> bool:
        """The call that failed was a viewer count (``videos.list``): the next call reads the
        chat, the count is asked again in a minute. Whether it failed. The chat came next only
        once a count was read, so a look-up failing for good (a 500, an HTML page, a 404)
        held the chat for the rest of the show: no comment was read."""
        if self._next != "viewers":
            return False
        self._next = "chat"
        self._viewers_due_at = self._clock() + VIEWERS_EVERY_S
        return True

    def parse(self, response: httpx.Response, cursor: str | None) -> Page:
        try:
            return self._page(response)
        except MalformedResponse:
            self._viewers_failed()
            raise

    def _page(self, response: httpx.Response) -> Page:
        current = self._next
        self._spend()
        # The chat's lone surrogates kept until its ids are read (as the JSON feed's).
        body = load_json(response, items_at=[("items",)], keep_lone_halves=current == "chat")
        if not isinstance(body, dict):
            raise MalformedResponse("expected a JSON object")
        if current == "resolve":
            return self._resolved(body)
        if current == "viewers":
            return self._viewers(body)
        return self._chat(body)

    def _video(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        items = body.get("items")
        if not isinstance(items, list):
            raise MalformedResponse("expected an object with an 'items' list")
        if not items:
            return None
        video = items[0]
        details = video.get("liveStreamingDetails") if isinstance(video, dict) else None
        return details if isinstance(details, dict) else {}

    def _resolved(self, body: Mapping[str, Any]) -> Page:
        details = self._video(body)
        if details is None:
            raise FeedEnded(f"YouTube: no video {self._video_shown} (or it is private)")
        chat_id = as_text(details.get("activeLiveChatId")).strip()
        if chat_id:
            self.live_chat_id = chat_id
            self._next = "chat"
            self._note = ""
            log.info("feed %s: live chat found from video %s", self.source, self._video_shown)
            return Page(items=(), cursor=None, more=True, advanced=True)
        if details.get("actualEndTime"):
            raise FeedEnded(f"YouTube: the broadcast {self._video_shown} has ended")
        # Scheduled but not live yet (or no live stream at all): ask again, sparingly.
        self._note = "waiting for the live chat to open"
        return Page(items=(), cursor=None, interval_s=WAIT_FOR_CHAT_S)

    def _viewers(self, body: Mapping[str, Any]) -> Page:
        self._next = "chat"
        self._viewers_due_at = self._clock() + VIEWERS_EVERY_S
        details = self._video(body) or {}
        items: list[FeedItem] = []
        malformed = 0
        try:
            online = viewer_count(details.get("concurrentViewers"), "concurrentViewers")
        except ValueError:
            online, malformed = None, 1
        # Absent when the stream is over or the channel hides the count: no sample, not zero.
        if online is not None:
            at = datetime.fromtimestamp(self._wall_clock(), UTC).isoformat(timespec="seconds")
            items.append(ViewerStats(self.source, f"{self.video_id}@{at}", online=online, at=at))
            self._last_online = online
        # The chat read this replaced is due now: the budget counts chat calls apart.
        return Page(items=items, cursor=None, interval_s=0.0, malformed_items=malformed)

    def _chat(self, body: Mapping[str, Any]) -> Page:
        if not isinstance(body.get("items", []), list):
            raise MalformedResponse("expected an object with an 'items' list")
        items: list[FeedItem] = []
        malformed = 0
        page_items = body.get("items", [])
        body = without_lone_halves({**body, "items": []})
        for kept in page_items:
            # A lone surrogate in an id tells it from another (core/printable's rule, as the
            # JSON feed reads it): as U+FFFD, messages "m\ud800" and "m\udc00" were one (the
            # second dropped unsaid), a ban of author "UC\ud800" hid "UC\udc00"'s comments
            # and a deletion of one deleted the other.
            raw = without_lone_halves(escaped_references(kept, _AUTHOR_IDS))
            lone = lone_half_ids(kept, _MESSAGE_IDS)
            if lone:
                malformed += 1
                items.append(lone_half_rejected(self.source, kept, raw, lone[0], "comment"))
                continue
            try:
                read = self._item(readable(raw))  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                malformed += 1
                items.append(unreadable_item(self.source, raw, error, "comment"))
                continue
            malformed += sum(isinstance(item, RejectedItem) for item in read)
            items.extend(read)
        # Present only once the stream went offline, as a date-time (YouTube's reference): a
        # "false", 0 or an object is no such time, and ended the chat for the rest of the show.
        offline_at = body.get("offlineAt")
        offline = isinstance(offline_at, str) and iso_time(offline_at.strip()) is not None
        next_token = body.get("nextPageToken")
        if isinstance(next_token, int) and not isinstance(next_token, bool):
            next_token = str(next_token)  # as the JSON feed reads its cursor
        if isinstance(next_token, str) and next_token.strip():
            self._note = ""
        elif not offline:
            # The last token is sent again: the chat from there is asked for again, and what
            # came after the page it answers may never be read (the page is at most 2,000).
            # Said, not silent: the status read "ok" while comments were missed.
            self._note = "YouTube sent no nextPageToken: the chat is asked again from the last one"
        interval_ms = body.get("pollingIntervalMillis")
        server_s = wait_ms_as_s(interval_ms)
        if server_s is None:
            server_s = self.default_interval_s
        interval_s = max(server_s, self.chat_floor_s)
        if self.video_id and self._clock() + interval_s >= self._viewers_due_at:
            self._next = "viewers"
        return Page(
            items=items,
            cursor=next_token if isinstance(next_token, str) and next_token.strip() else None,
            interval_s=interval_s,
            ended=offline,
            malformed_items=malformed,
        )

    def _item(self, raw: Mapping[str, Any]) -> list[FeedItem]:
        """The message as the show keeps it: none (not a comment), a comment or a removal, or
        a paid comment and its amount kept as rejected when the amount breaks the rule."""
        item = self._message_item(raw)
        if item is None:
            return []
        if not isinstance(item, Comment):
            return [item]
        snippet = raw["snippet"]
        details = snippet.get("superChatDetails") or snippet.get("superStickerDetails")
        if snippet.get("type") == "textMessageEvent" or not isinstance(details, dict):
            return [item]
        currency = currency_as_sent(details.get("currency"))
        micros = details.get("amountMicros")
        if micros is None:
            return [dataclasses.replace(item, paid_currency=currency)]
        digits = allowed_digits(currency)
        said = ("Super Chat currency", currency)
        try:
            sent = money(micros)
        except ValueError:  # not a number: said as sent
            problem = paid_amount_problem("Super Chat amountMicros", micros, said, digits)
        else:
            try:
                amount = sent / Decimal(1_000_000)
            except ArithmeticError:  # past Decimal's exponent once divided: too large anyway
                amount = sent
            problem = paid_amount_problem("Super Chat amount", amount, said, digits)
            if problem is None:
                return [dataclasses.replace(item, paid_amount=amount, paid_currency=currency)]
        assert problem is not None
        rejected = rejected_paid_amount(self.source, item.id, problem, details)
        return [item, rejected]

    def _message_item(self, raw: Mapping[str, Any]) -> FeedItem | None:
        item_id = raw["id"]
        if not isinstance(item_id, str) or not item_id:
            raise ValueError("no id")
        snippet = raw["snippet"]
        kind = snippet.get("type", "")
        published = as_text(snippet.get("publishedAt"))
        if kind == "messageDeletedEvent":
            deleted = as_text(snippet["messageDeletedDetails"]["deletedMessageId"])
            if not deleted:
                raise ValueError("no deletedMessageId")
            return CommentRemoval(self.source, item_id, "deleted", comment_id=deleted, at=published)
        if kind == "userBannedEvent":
            banned = snippet["userBannedDetails"]["bannedUserDetails"]
            channel = as_text(banned["channelId"])
            if not channel:
                raise ValueError("no banned channelId")
            return CommentRemoval(
                self.source,
                item_id,
                "banned",
                author_id=channel,
                author=as_text(banned.get("displayName")),
                at=published,
            )
        if kind not in _COMMENT_TYPES:
            return None  # memberships, polls, gifts: not comments
        author = raw.get("authorDetails") or {}
        text = as_text(snippet.get("displayMessage"))
        details = snippet.get("superChatDetails") or snippet.get("superStickerDetails")
        if kind != "textMessageEvent" and isinstance(details, dict):
            sticker = details.get("superStickerMetadata")
            text = (
                text
                or as_text(details.get("userComment"))
                or (as_text(sticker.get("altText")) if isinstance(sticker, dict) else "")
            )
        return Comment(
            source=self.source,
            id=item_id,
            author=as_text(author.get("displayName")),
            text=text,
            published_at=published,
            # JSON's true only, as the JSON feed reads its flags: the text "false" was kept as
            # a moderator's comment.
            is_moderator=author.get("isChatModerator") is True,
            is_owner=author.get("isChatOwner") is True,
            author_id=as_text(author.get("channelId") or snippet.get("authorChannelId")),
        )
