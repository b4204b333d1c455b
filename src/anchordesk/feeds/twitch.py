"""Twitch chat over EventSub's WebSocket transport, and the viewer count from Helix ``streams``.

The EventSub WebSocket life cycle, as Twitch documents it:
1. connect to ``wss://eventsub.wss.twitch.tv/ws``; the first message is ``session_welcome``
   with the session id and ``keepalive_timeout_seconds``;
2. within 10 s, subscribe with Helix ``POST /eventsub/subscriptions`` naming that session id
   (``channel.chat.message``, ``channel.chat.message_delete``,
   ``channel.chat.clear_user_messages``; condition ``broadcaster_user_id`` + ``user_id``);
3. ``notification`` messages carry the events; ``session_keepalive`` says the line is alive.
   When no message at all arrives within the keepalive timeout, the connection is dead: a new
   connection, a new session, subscriptions made again;
4. ``session_reconnect`` names a new URL: connect to it, wait for its welcome, then close the
   old connection — the subscriptions move with the session (no new subscribe);
5. ``revocation`` says a subscription is gone (authorization revoked, user removed): losing the
   chat subscription ends the feed with that reason.

Tokens: a user access token expires (about four hours for a token from the authorization code
flow). Twitch advises refreshing on a 401 rather than by the clock ("Refreshing Access
Tokens"), so with a refresh token and the app's client secret the feed ``POST``s
``grant_type=refresh_token`` to ``https://id.twitch.tv/oauth2/token`` when Helix answers 401
(subscribing after a reconnect, counting viewers) and when EventSub revokes the chat
subscription with ``authorization_revoked``; the new pair is kept through ``keep_tokens``
(the keyring when there is one, else this run's memory). A refused refresh token (400
"Invalid refresh token": the user disconnected the app) ends the feed: authorize again.

Events are deduplicated by ``message_id`` (Twitch may resend). The client never sends data
frames (Twitch closes with 4001 on inbound traffic) and leaves pings to the server.

Library: ``websockets`` (asyncio, pure Python with optional C speed-ups, no dependencies,
actively maintained, RFC 6455 + permessage-deflate): the project's HTTP client (httpx) has no
WebSocket support, and aiohttp would be a second HTTP stack only for this.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidURI, WebSocketException
from websockets.uri import parse_uri

from anchordesk.core.backoff import exponential_delay_s
from anchordesk.core.logs import mask_text
from anchordesk.core.printable import escape_controls, escaped_id
from anchordesk.core.redact import mask_secrets, mask_url
from anchordesk.feeds.parsing import (
    IdPath,
    as_text,
    escaped_references,
    json_shown,
    json_text,
    load_json,
    load_json_text,
    lone_half_ids,
    lone_half_rejected,
    number_as_float,
    paid_amount_problem,
    rejected_paid_amount,
    split_url,
    unreadable_item,
    value_at,
    without_lone_halves,
)
from anchordesk.feeds.poller import (
    FeedHealth,
    FeedRequest,
    MalformedResponse,
    PageSink,
    ResponseTooLarge,
    ResponseTooSlow,
    goes_direct,
    network_words,
    read_response,
    words_shown,
)
from anchordesk.feeds.tokens import can_be_sent
from anchordesk.feeds.viewers import viewer_count
from anchordesk.show.feed_items import (
    Comment,
    CommentRemoval,
    FeedItem,
    RejectedItem,
    ViewerStats,
)

log = logging.getLogger(__name__)


def _message(raw: str | bytes, keep_lone_halves: bool = False) -> Any:
    """A frame's JSON; a lone surrogate reads as U+FFFD (feeds/parsing.py: the session could
    not store it), as does a byte of a binary frame that is not UTF-8. ``keep_lone_halves``:
    kept as it is, for :meth:`TwitchChatFeed._handle` to tell ids apart by it."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    # By every feed's number rule: json.loads alone raised ValueError for a 5,000-digit
    # ``bits``, and the whole frame (the comment with it) was skipped.
    return load_json_text(text if keep_lone_halves else json_text(text))


# Where a frame names its message (a chat message; a removal: the frame's and the message it
# deletes) and where it names an author. A lone surrogate there tells the id from another
# (core/printable's rule, as every feed reads it): as U+FFFD, messages "m\ud800" and
# "m\udc00" were one (the second dropped unsaid), and a deletion of one deleted the other.
_CHAT_IDS: tuple[IdPath, ...] = (("payload", "event", "message_id"),)
_REMOVAL_IDS: tuple[IdPath, ...] = (("metadata", "message_id"), ("payload", "event", "message_id"))
_AUTHOR_IDS: tuple[IdPath, ...] = (
    ("payload", "event", "chatter_user_id"),
    ("payload", "event", "target_user_id"),
)


TWITCH_EVENTSUB_URL = "wss://eventsub.wss.twitch.tv/ws"
TWITCH_HELIX_URL = "https://api.twitch.tv/helix"
TWITCH_TOKEN_URL = "https://id.twitch.tv/oauth2/token"
CHAT_MESSAGE = "channel.chat.message"
CHAT_MESSAGE_DELETE = "channel.chat.message_delete"
CHAT_CLEAR_USER = "channel.chat.clear_user_messages"
SUBSCRIPTIONS = (CHAT_MESSAGE, CHAT_MESSAGE_DELETE, CHAT_CLEAR_USER)
VIEWERS_EVERY_S = 60.0
_WELCOME_TIMEOUT_S = 10.0
_HELIX_TIMEOUT_S = 10.0  # each read; the whole answer within three (poller.read_response)
_RECENT_MESSAGES = 5000
# A session_reconnect sooner than this after the one before is a server asking it in a loop.
_QUICK_MOVE_S = 30.0
# A connection lost sooner than this after it opened did not prove the line works, even when
# its subscriptions were taken: the next one waits longer each time (as an error does).
_STABLE_SESSION_S = 30.0


# (access token, refresh token) -> kept for the next run (the keyring), or nothing.
KeepTokens = Callable[[str, str], None]


class TwitchEnded(Exception):
    """Twitch refused or revoked what the feed needs: the feed is over, with this reason."""


# Twitch's range for a session's keepalive (EventSub WebSocket reference, session_welcome:
# "keepalive_timeout_seconds ... 10 through 600"); its default is 10.
KEEPALIVE_RANGE_S = (10.0, 600.0)


def _keepalive_s(session: Mapping[str, Any]) -> float:
    """The welcome's ``keepalive_timeout_seconds`` within Twitch's documented range, 10 s
    when it is absent or not a number. Taken as sent, -1 made silence "past the keepalive"
    at once: a new connection and three Helix subscriptions ~90 times a second for the whole
    show (the feed's status said "ok"); NaN, Infinity or 1e308 made a dead line never noticed,
    the chat silent for the rest of the show."""
    value = number_as_float(session.get("keepalive_timeout_seconds"))
    low, high = KEEPALIVE_RANGE_S
    if value is None or math.isnan(value):
        return low
    # (A 401-digit integer is read as infinity: float() of it raised OverflowError, and every
    # connection ended "unexpected error (OverflowError)" before subscribing.)
    bounded = min(max(value, low), high)
    if bounded != value:
        log.warning(
            "Twitch EventSub: keepalive of %.4g s out of Twitch's range; %g s used",
            value,
            bounded,
        )
    return bounded


def _keepalive_timeout(keepalive_s: float) -> float:
    # Twitch's advice: allow a little more than the keepalive interval before giving up.
    return keepalive_s * 1.5 + 1.0


async def _sleep(delay_s: float) -> None:
    await asyncio.sleep(delay_s)


class TwitchChatFeed:
    """``twitch-chat=wss://eventsub.wss.twitch.tv/ws?broadcaster_user_id=B&client_id=C``.

    Query parameters (taken off the WebSocket URL): ``broadcaster_user_id`` (required),
    ``user_id`` (the user whose token reads the chat; default the broadcaster), ``client_id``
    (the app's client id, sent as ``Client-Id``; not a secret), ``helix`` (the Helix base URL;
    default Twitch's), ``oauth`` (the token endpoint; default Twitch's). The token (a user
    access token with ``user:read:chat``) comes from the keyring (user ``twitch-chat``) or
    ``ANCHORDESK_TWITCH_CHAT_TOKEN``; ``refresh_token`` and ``client_secret`` (keyring users
    ``twitch-chat-refresh-token``, ``twitch-chat-client-secret``) let it be refreshed.

    ``timeout_for(keepalive_s)`` is how long silence may last before reconnecting and
    ``sleep`` waits between viewer counts and reconnects (both injectable for tests).
    """

    def __init__(
        self,
        url: str,
        token: str | None,
        source: str = "twitch-chat",
        *,
        timeout_for: Callable[[float], float] = _keepalive_timeout,
        sleep: Callable[[float], Awaitable[None]] = _sleep,
        viewers_every_s: float = VIEWERS_EVERY_S,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        refresh_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        keep_tokens: KeepTokens | None = None,
    ) -> None:
        self.source = source
        endpoint, params = split_url(url)
        self.broadcaster_id = params.pop("broadcaster_user_id", "").strip()
        if not self.broadcaster_id:
            raise ValueError(
                "twitch-chat needs the channel's user id: "
                f"{TWITCH_EVENTSUB_URL}?broadcaster_user_id=ID&client_id=APP_CLIENT_ID"
            )
        self.user_id = params.pop("user_id", "").strip() or self.broadcaster_id
        self.client_id = params.pop("client_id", "").strip() or (client_id or "").strip()
        self.helix = params.pop("helix", "").strip().rstrip("/") or TWITCH_HELIX_URL
        self.token_url = params.pop("oauth", "").strip() or TWITCH_TOKEN_URL
        self._refresh_token = (refresh_token or "").strip()
        self._client_secret = (client_secret or "").strip()
        self._keep_tokens = keep_tokens
        self._refresh_lock = asyncio.Lock()
        self.token_refreshes = 0
        self.ws_url = endpoint
        self._token = (token or "").strip()
        if not self._token:
            raise ValueError(
                "twitch-chat needs a user access token with user:read:chat "
                "(keyring user 'twitch-chat' or ANCHORDESK_TWITCH_CHAT_TOKEN)"
            )
        self._timeout_for = timeout_for
        self._sleep = sleep
        self._viewers_every_s = viewers_every_s
        self._wall_clock = wall_clock
        self._clock = clock
        self._health = FeedHealth(source=source)
        self._recent: deque[str] = deque()
        self._recent_set: set[str] = set()
        self.session_id = ""
        self.sessions = 0  # welcomes received
        self.reconnects = 0  # new connections after the first (lost line or session_reconnect)
        self.subscribed: list[str] = []
        self.revoked: list[str] = []
        self._last_online: int | None = None
        self._store_failures = 0  # items in a row the store could not keep
        self._last_move_at: float | None = None  # the last session_reconnect followed
        self._quick_moves = 0  # session_reconnects in a row, each soon after the one before
        self._bad_move_said = False  # a session_reconnect to no WebSocket URL, said once
        self._bad_badges_said = False  # a chat message's badges that are no list of objects
        self._short_sessions = 0  # connections in a row lost within _STABLE_SESSION_S
        self._welcomed = False  # the connection being tried was opened and welcomed

    # -- health -----------------------------------------------------------------------------

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._token, self._refresh_token, self._client_secret) if s)

    @property
    def can_refresh(self) -> bool:
        return bool(self._refresh_token and self.client_id and self._client_secret)

    @property
    def health(self) -> FeedHealth:
        session = words_shown(self.session_id) if self.session_id else "-"
        note = f"EventSub session {session}; {self.reconnects} reconnects"
        if self._last_online is not None:
            note += f"; {self._last_online:,} watching"
        if self.token_refreshes:
            note += f"; token refreshed {self.token_refreshes}x"
        if self.revoked:
            note += f"; revoked: {', '.join(self.revoked)}"
        return dataclasses.replace(self._health, note=note)

    def _update(self, **changes: Any) -> None:
        self._health = dataclasses.replace(self._health, **changes)

    def _failed(self, message: str) -> None:
        # Masked whole, then cut as every server's words in a status are: a handshake's
        # header quoted by the WebSocket library (an 8 KB Upgrade) was the status and the log
        # line whole.
        message = words_shown(self._shown(message))
        self._update(
            state="retrying",
            errors=self._health.errors + 1,
            consecutive_errors=self._health.consecutive_errors + 1,
            last_error=message,
        )
        log.warning("feed %s: %s", self.source, message)

    def _shown(self, message: str) -> str:
        """A failure as the status (the window, the remote, the session's report) and the log
        say it: a URL in the WebSocket library's words (a session_reconnect's reconnect_url it
        cannot open, quoted whole) masked by the log's rule, the feed's secrets masked, control
        characters escaped, as the HTTP feeds' are."""
        return escape_controls(mask_text(mask_secrets(message, self.secrets())))

    # -- running ----------------------------------------------------------------------------

    async def run(
        self, client: httpx.AsyncClient, sink: PageSink, stop: asyncio.Event
    ) -> FeedHealth:
        log.info("feed %s: EventSub at %s", self.source, self.ws_url)
        viewers = asyncio.create_task(self._viewers_loop(client, sink, stop))
        try:
            await self._chat_loop(client, sink, stop)
        except TwitchEnded as ended:
            # Masked as every failure is: the end quotes Helix's message, and a Helix (or a
            # proxy) echoing the refused token had it whole in the status, the remote, the
            # session's report and the log.
            self._update(state="ended", last_error=self._shown(str(ended)))
            log.error("feed %s: %s", self.source, self._health.last_error)
        finally:
            viewers.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await viewers
        if self._health.state != "ended":
            self._update(state="stopped")
        return self.health

    async def _wait(self, delay_s: float, stop: asyncio.Event) -> None:
        if self._sleep is _sleep:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay_s)
        else:
            await self._sleep(delay_s)

    async def _chat_loop(
        self, client: httpx.AsyncClient, sink: PageSink, stop: asyncio.Event
    ) -> None:
        url = self.ws_url
        while not stop.is_set():
            opened_at = self._clock()
            self._welcomed = False
            try:
                await self._session(client, sink, stop, url)
            except (UnicodeEncodeError, httpx.LocalProtocolError):
                # Helix cannot be asked with this token, now or later (not the error's text:
                # it quotes the header, which holds the token).
                raise TwitchEnded(
                    "the token holds a character HTTP cannot carry (a line break, a letter "
                    "outside ASCII, an invisible character): set it again"
                ) from None
            except _UnreadableWelcome as error:
                self._failed(f"EventSub: {error}")
            except (ResponseTooLarge, ResponseTooSlow, MalformedResponse) as error:  # Helix's
                self._failed(f"Helix: {error}")
            except _SaidFailure as error:
                self._failed(str(error))
            except httpx.HTTPError as error:  # a Helix call (the WebSocket's are OSErrors)
                self._failed(f"Helix: {network_words(error)}")
            except ssl.SSLError as error:
                # What it means (an untrusted certificate and why), as the HTTP feeds say it,
                # not OpenSSL's "[SSL: CERTIFICATE_VERIFY_FAILED] … (_ssl.c:1006)".
                self._failed(f"WebSocket: {network_words(error)}")
            except (OSError, WebSocketException, TimeoutError) as error:
                self._failed(f"WebSocket: {type(error).__name__}: {error}")
            except _Reconnect as again:
                log.info("feed %s: %s: reconnecting", self.source, again)
            except TwitchEnded:
                raise
            except Exception as error:  # a message no rule foresaw: a new session, not the end
                log.debug("feed %s: unexpected error", self.source, exc_info=True)
                self._failed(f"unexpected error ({type(error).__name__})")
            if stop.is_set():
                break
            self.reconnects += 1
            url = self.ws_url  # a lost line starts over at the main URL, with a new session
            # A server that welcomes, takes the subscriptions and closes reset the error count
            # each time: a new connection and three Helix subscriptions every second for the
            # whole show. A connection must last to count as working. (A silence past the
            # keepalive has waited its 16 s or more already: its new connection is at once.)
            short = self._clock() - opened_at < _STABLE_SESSION_S
            lost = self._health.consecutive_errors > 0
            if self._welcomed:
                # Only a connection Twitch opened and welcomed counts: one that never opened
                # (the venue's network down, a proxy gone) is paced by the error count, and was
                # said "Twitch closes each connection soon after it opens".
                self._short_sessions = self._short_sessions + 1 if short and lost else 0
                if self._short_sessions == 3:  # said once, as the count reaches it
                    log.warning(
                        "feed %s: Twitch closes each connection soon after it opens; "
                        "waiting longer between connections (up to 60 s)",
                        self.source,
                    )
            attempt = max(self._health.consecutive_errors, self._short_sessions)
            if attempt:
                await self._wait(exponential_delay_s(attempt, 1.0, 2.0, 60.0), stop)

    async def _connect(self, url: str) -> tuple[ClientConnection, Mapping[str, Any]]:
        """Open a connection and read its welcome (the first message Twitch sends)."""
        # A proxy from the environment as websockets reads it (HTTPS_PROXY…), except for this
        # machine's own server (a Twitch CLI mock on 127.0.0.1), as the HTTP feeds do: with
        # HTTP_PROXY set, its chat was asked through the proxy, which cannot reach it, and no
        # comment was read. So is an address inside a range NO_PROXY names (``10.0.0.0/8``),
        # which websockets (urllib's proxy_bypass) does not read.
        try:
            connection = await connect(
                url,
                open_timeout=10,
                ping_interval=None,
                close_timeout=2,
                proxy=None if goes_direct(url) else True,
            )
        except ssl.SSLError:
            raise  # a ValueError too (an untrusted certificate): said as what it means
        except ValueError as error:
            # A session_reconnect's URL whose port is past 65535 or whose IPv6 brackets are
            # broken: said "unexpected error (ValueError)", not what was wrong with what.
            raise InvalidURI(url, str(error)) from None
        try:
            raw = await asyncio.wait_for(connection.recv(), _WELCOME_TIMEOUT_S)
            try:
                message = _message(raw)
                kind = message["metadata"]["message_type"]
                session = message["payload"]["session"]
                # Read inside the try: a welcome whose session is not an object raised after
                # it, and each such connection stayed open (one more at every reconnect).
                session_id = as_text(session.get("id"))
            except (ValueError, RecursionError, LookupError, TypeError, AttributeError):
                # Said "unexpected error (AttributeError)" before: the words of the type.
                self._update(malformed_responses=self._health.malformed_responses + 1)
                raise _UnreadableWelcome(
                    "the first message is not a welcome as Twitch documents it"
                ) from None
            if kind != "session_welcome":
                raise _UnreadableWelcome(
                    f"the first message is {words_shown(as_text(kind))!r}, not the welcome"
                )
        except BaseException:
            await connection.close()
            raise
        self.sessions += 1
        self.session_id = session_id
        return connection, session

    def _move_delay_s(self) -> float:
        """How long to wait before following a ``session_reconnect``: at once, unless the one
        before came less than ``_QUICK_MOVE_S`` ago; then 1, 2, 4… up to 60 s. Twitch asks it
        before maintenance, seldom; followed at once, a server asking it on every welcome
        made ~350 connections a second for the whole show (691 in 2 s), the status "ok"."""
        now = self._clock()
        quick = self._last_move_at is not None and now - self._last_move_at < _QUICK_MOVE_S
        self._quick_moves = self._quick_moves + 1 if quick else 0
        self._last_move_at = now
        if not self._quick_moves:
            return 0.0
        delay = exponential_delay_s(self._quick_moves, 1.0, 2.0, 60.0)
        if self._quick_moves == 1:
            log.warning(
                "feed %s: Twitch asks to move to a new connection again and again; "
                "waiting between moves (%g s now, up to 60 s)",
                self.source,
                delay,
            )
        return delay

    async def _session(
        self, client: httpx.AsyncClient, sink: PageSink, stop: asyncio.Event, url: str
    ) -> None:
        connection, session = await self._connect(url)
        self._welcomed = True
        try:
            keepalive_s = _keepalive_s(session)
            await self._subscribe(client, self.session_id)
            self._update(state="ok", consecutive_errors=0, last_success_at=self._clock())
            stop_wait = asyncio.ensure_future(stop.wait())
            try:
                while not stop.is_set():
                    receive = asyncio.ensure_future(connection.recv())
                    done, _ = await asyncio.wait(
                        {receive, stop_wait},
                        timeout=self._timeout_for(keepalive_s),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if receive not in done:
                        receive.cancel()
                        with contextlib.suppress(BaseException):
                            await receive
                        if stop.is_set():
                            return
                        raise _Reconnect(f"no message for {self._timeout_for(keepalive_s):g} s")
                    try:
                        message = _message(receive.result(), keep_lone_halves=True)
                    except (ValueError, RecursionError):
                        # Not JSON, or nested past the parser's depth: skipped and counted,
                        # the connection goes on (a bad frame is not a lost session).
                        self._update(malformed_responses=self._health.malformed_responses + 1)
                        continue
                    moved = await self._handle(message, sink, client)
                    if moved is not None:
                        # session_reconnect: the new connection first, then the old one closes.
                        move_delay_s = self._move_delay_s()
                        if move_delay_s:
                            await self._wait(move_delay_s, stop)
                            if stop.is_set():
                                return
                        new_connection, new_session = await self._connect(moved)
                        self.reconnects += 1
                        keepalive_s = _keepalive_s(new_session)
                        old, connection = connection, new_connection
                        await old.close()
                        log.info("feed %s: moved to a new EventSub connection", self.source)
            finally:
                stop_wait.cancel()
        finally:
            await connection.close()

    async def _handle(
        self, message: Mapping[str, Any], sink: PageSink, client: httpx.AsyncClient
    ) -> str | None:
        """One message (its lone surrogates kept); returns the new URL for
        ``session_reconnect``."""
        kept, message = message, without_lone_halves(message)
        try:
            metadata = message["metadata"]
            kind = metadata["message_type"]
            # Told apart by its lone halves: as U+FFFD, a second message was a duplicate.
            sent_id = as_text(value_at(kept, ("metadata", "message_id")))
            message_id = _recent_key(escaped_id(sent_id))
        except (KeyError, TypeError):
            self._update(malformed_responses=self._health.malformed_responses + 1)
            return None
        self._update(last_success_at=self._clock())
        if kind == "session_keepalive":
            return None
        if kind == "session_reconnect":
            try:
                moved = as_text(message["payload"]["session"]["reconnect_url"])
            except (KeyError, TypeError):  # out of the loop, it ended the feed (every feed)
                self._update(malformed_responses=self._health.malformed_responses + 1)
                return None
            problem = _move_url_problem(moved)
            if problem is None:
                return moved
            # Followed, it failed as a lost line does: this working connection was dropped
            # and a new session built at the main URL. Kept instead (Twitch closes it itself
            # when the move was real), counted, and said once.
            self._update(malformed_responses=self._health.malformed_responses + 1)
            if not self._bad_move_said:
                self._bad_move_said = True
                log.warning(
                    "feed %s: Twitch asked to move to '%s', %s; staying on this connection",
                    self.source,
                    words_shown(mask_url(moved)),
                    problem,
                )
            return None
        if message_id and message_id in self._recent_set:
            self._update(duplicates=self._health.duplicates + 1)
            return None
        self._remember(message_id)
        if kind == "revocation":
            try:
                subscription = message["payload"]["subscription"]
                sub_type = as_text(subscription.get("type"))
                reason = words_shown(as_text(subscription.get("status")))
            except (KeyError, TypeError, AttributeError):
                # Counted and skipped as every malformed frame is: raised, it ended the
                # connection, and the chat sent meanwhile was lost with it.
                self._update(malformed_responses=self._health.malformed_responses + 1)
                return None
            # Listed once per subscription of the feed's own: appended per message, a server
            # revoking again and again made the note (the status) grow without end (3,000
            # revocations: 87 kB on every snapshot), as did types the feed never asked for.
            if sub_type in SUBSCRIPTIONS and sub_type not in self.revoked:
                self.revoked.append(sub_type)
            # Masked as the status is: the log keeps what a server echoed of the token.
            log.warning(
                "feed %s: Twitch revoked %s (%s)",
                self.source,
                self._shown(words_shown(sub_type)),  # a type the feed never asked for, as sent
                self._shown(reason),
            )
            if sub_type == CHAT_MESSAGE:
                if reason == "authorization_revoked" and self.can_refresh:
                    # The token the subscription relied on is gone: a new one, if Twitch
                    # still grants it, subscribes again on this session.
                    try:
                        await self._refresh(client, self._token)
                    except TwitchEnded as refused:
                        raise TwitchEnded(
                            f"Twitch revoked the chat subscription ({reason}); {refused}"
                        ) from None
                    await self._subscribe(client, self.session_id, only=(sub_type,))
                    self.revoked.remove(sub_type)
                    return None
                raise TwitchEnded(f"Twitch revoked the chat subscription ({reason})")
            return None
        if kind != "notification":
            return None
        try:
            items = self._items(kept)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self._update(malformed_items=self._health.malformed_items + 1)
            # Kept as rejected, with why, as every other feed does: it was counted in the
            # feed's health only, and listed in no report.
            await self._store(sink, unreadable_item(self.source, message.get("payload"), error))
            return None
        for item in items:
            if isinstance(item, RejectedItem):
                self._update(malformed_items=self._health.malformed_items + 1)
                await self._store(sink, item)
            elif await self._store(sink, item):
                self._update(items=self._health.items + 1)
        return None

    async def _store(self, sink: PageSink, item: FeedItem) -> bool:
        """Hand ``item`` to the store; False when the store cannot keep it (a full disk).

        Twitch sends a message once, so a message the store cannot keep is lost whatever the
        feed does: reconnecting (what an escaping error did, for every message) loses the ones
        sent meanwhile too. It is not shown either (nothing is shown that is not stored), and
        that is said once per outage, then once when messages are kept again."""
        try:
            await sink(self.source, [item], None)
        except Exception as error:
            message = mask_secrets(f"could not store a message ({error})", self.secrets())
            self._update(errors=self._health.errors + 1, last_error=message)
            if not self._store_failures:
                log.warning("feed %s: %s; messages are not kept until it can", self.source, message)
            self._store_failures += 1
            return False
        if self._store_failures:
            log.info(
                "feed %s: storing messages again (%d could not be kept)",
                self.source,
                self._store_failures,
            )
            self._store_failures = 0
        return True

    def _remember(self, message_id: str) -> None:
        if not message_id:
            return
        self._recent.append(message_id)
        self._recent_set.add(message_id)
        if len(self._recent) > _RECENT_MESSAGES:
            self._recent_set.discard(self._recent.popleft())

    def _items(self, kept: Mapping[str, Any]) -> list[FeedItem]:
        """The message (as read, lone surrogates kept) as the show keeps it: a comment (with
        its cheer's bits when they keep the amount rule, else the bits kept as rejected beside
        it) or a removal; rejected when an id of it holds a lone surrogate."""
        frame = without_lone_halves(escaped_references(kept, _AUTHOR_IDS))
        metadata, payload = frame["metadata"], frame["payload"]
        chat = as_text(payload["subscription"]["type"]) == CHAT_MESSAGE
        lone = lone_half_ids(kept, _CHAT_IDS if chat else _REMOVAL_IDS)
        if lone:
            return [lone_half_rejected(self.source, kept, payload, lone[0])]
        item = self._item(metadata, payload)
        if not isinstance(item, Comment):
            return [] if item is None else [item]
        cheer = payload["event"].get("cheer")
        if cheer is None:
            return [item]
        bits = cheer.get("bits") if isinstance(cheer, dict) else cheer
        problem = paid_amount_problem("cheer bits", bits, ("", ""), 0)
        if problem is None and bits:
            return [dataclasses.replace(item, paid_amount=Decimal(bits), paid_currency="BITS")]
        if problem is None:
            return [item]  # a cheer of no bits: nothing paid
        return [item, rejected_paid_amount(self.source, item.id, problem, cheer)]

    def _badges(self, sent: object) -> set[str]:
        """The ``set_id`` of each badge object. What is not one is left out (no moderator, no
        broadcaster by it), said once: the comment was rejected whole ("a text where an object
        belongs") and its text never shown."""
        if sent is None:
            return set()
        if isinstance(sent, list) and all(isinstance(badge, dict) for badge in sent):
            return {as_text(badge.get("set_id")) for badge in sent}
        if not self._bad_badges_said:
            self._bad_badges_said = True
            log.warning(
                "feed %s: a chat message's badges are %s, not a list of objects: what is not one "
                "is left out (the comment is kept)",
                self.source,
                words_shown(json_shown(sent)),
            )
        return (
            {as_text(badge.get("set_id")) for badge in sent if isinstance(badge, dict)}
            if isinstance(sent, list)
            else set()
        )

    def _item(self, metadata: Mapping[str, Any], payload: Mapping[str, Any]) -> FeedItem | None:
        sub_type = as_text(payload["subscription"]["type"])
        event = payload["event"]
        at = as_text(metadata.get("message_timestamp"))
        if sub_type == CHAT_MESSAGE:
            message_id = as_text(event["message_id"])
            if not message_id:
                raise ValueError("no message_id")
            badges = self._badges(event.get("badges"))
            chatter = as_text(event.get("chatter_user_id"))
            return Comment(
                source=self.source,
                id=message_id,
                author=as_text(event.get("chatter_user_name") or event.get("chatter_user_login")),
                text=as_text((event.get("message") or {}).get("text")),
                published_at=at,
                is_moderator="moderator" in badges,
                is_owner=chatter == self.broadcaster_id or "broadcaster" in badges,
                author_id=chatter,
            )
        removal_id = as_text(metadata.get("message_id"))
        if not removal_id:
            raise ValueError("no message_id")
        if sub_type == CHAT_MESSAGE_DELETE:
            return CommentRemoval(
                self.source,
                removal_id,
                "deleted",
                comment_id=as_text(event["message_id"]),
                author_id=as_text(event.get("target_user_id")),
                author=as_text(event.get("target_user_name")),
                at=at,
            )
        if sub_type == CHAT_CLEAR_USER:  # a ban or a timeout: that user's messages go
            return CommentRemoval(
                self.source,
                removal_id,
                "banned",
                author_id=as_text(event["target_user_id"]),
                author=as_text(event.get("target_user_name")),
                at=at,
            )
        return None

    # -- Helix ------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token}"}
        if self.client_id:
            headers["Client-Id"] = self.client_id
        return headers

    async def _refresh(self, client: httpx.AsyncClient, refused_token: str) -> None:
        """Get a new user access token with the refresh token (once for every caller that saw
        ``refused_token`` refused). Raises ``TwitchEnded`` when Twitch refuses the refresh,
        ``OSError`` when it cannot be asked now (the caller retries)."""
        async with self._refresh_lock:
            if self._token != refused_token:
                return  # another call refreshed it meanwhile
            if not self.can_refresh:
                raise TwitchEnded(
                    "Twitch refused the token and it cannot be refreshed (no refresh token or "
                    "client secret: keyring users 'twitch-chat-refresh-token', "
                    "'twitch-chat-client-secret')"
                )
            self._update(requests=self._health.requests + 1)
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token,
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            }
            request = FeedRequest(
                self.token_url,
                headers={
                    "Accept": "application/json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                method="POST",
                content=urlencode(form).encode(),
            )
            try:
                response = await read_response(client, request, _HELIX_TIMEOUT_S)
            except httpx.HTTPError as error:
                raise _RefreshFailed(network_words(error)) from None
            except (ResponseTooLarge, ResponseTooSlow, MalformedResponse) as error:
                raise _RefreshFailed(str(error)) from None
            if response.status_code in (400, 401, 403):
                raise TwitchEnded(
                    f"Twitch refused the refresh token ({_helix_message(response)}): "
                    "authorize AnchorDesk again"
                )
            if response.status_code != 200:
                raise _RefreshFailed(f"HTTP {response.status_code}")
            try:
                body = load_json(response)
                access = as_text(body["access_token"]).strip()
            except (MalformedResponse, KeyError, TypeError):
                access = ""
            if not access:
                raise _RefreshFailed("the answer has no access_token")
            refresh = as_text(body.get("refresh_token")).strip() or self._refresh_token
            if not (can_be_sent(access) and can_be_sent(refresh)):
                # Neither used nor kept in the keyring (the next run would fail too): the
                # pair held is asked for again.
                raise _RefreshFailed("the answer's token holds a character HTTP cannot carry")
            self._token, self._refresh_token = access, refresh
            self.token_refreshes += 1
            log.info("feed %s: user access token refreshed", self.source)
        if self._keep_tokens is not None:
            try:
                # The keyring may talk to a daemon (D-Bus): not on the loop.
                await asyncio.to_thread(self._keep_tokens, access, refresh)
            except Exception as error:  # the new token works this run all the same
                log.warning(
                    "feed %s: the refreshed token could not be kept (%s)",
                    self.source,
                    type(error).__name__,
                )

    async def _post_subscription(
        self, client: httpx.AsyncClient, body: Mapping[str, Any]
    ) -> httpx.Response:
        self._update(requests=self._health.requests + 1)
        request = FeedRequest(
            f"{self.helix}/eventsub/subscriptions",
            headers={**self._headers(), "Content-Type": "application/json"},
            method="POST",
            content=json.dumps(body).encode(),
        )
        return await read_response(client, request, _HELIX_TIMEOUT_S)

    async def _subscribe(
        self,
        client: httpx.AsyncClient,
        session_id: str,
        only: tuple[str, ...] = SUBSCRIPTIONS,
    ) -> None:
        if only == SUBSCRIPTIONS:
            self.subscribed = []
        for sub_type in only:
            body = {
                "type": sub_type,
                "version": "1",
                "condition": {"broadcaster_user_id": self.broadcaster_id, "user_id": self.user_id},
                "transport": {"method": "websocket", "session_id": session_id},
            }
            token = self._token
            response = await self._post_subscription(client, body)
            if response.status_code == 401 and self.can_refresh:
                # Expired (a token lasts hours; a show and its reconnects can last longer).
                await self._refresh(client, token)
                response = await self._post_subscription(client, body)
            if response.status_code in (202, 409):  # 409: it exists already
                if sub_type not in self.subscribed:
                    self.subscribed.append(sub_type)
                continue
            detail = _helix_message(response)
            if response.status_code == 401:
                raise TwitchEnded(f"Twitch refused the token ({detail})")
            if response.status_code == 403:
                if sub_type == CHAT_MESSAGE:
                    raise TwitchEnded(f"Twitch: the token may not read this chat ({detail})")
                log.warning(
                    "feed %s: cannot subscribe to %s (%s)",
                    self.source,
                    sub_type,
                    self._shown(detail),
                )
                continue
            raise _SaidFailure(
                f"Helix: subscribing to {sub_type}: HTTP {response.status_code} ({detail})"
            )

    async def _viewers_loop(
        self, client: httpx.AsyncClient, sink: PageSink, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            try:
                await self.count_viewers(client, sink)
            except (ResponseTooLarge, MalformedResponse) as error:
                log.info("feed %s: viewer count failed (%s)", self.source, self._shown(str(error)))
            except (httpx.HTTPError, ValueError, KeyError, TypeError, TimeoutError) as error:
                log.info("feed %s: viewer count failed (%s)", self.source, type(error).__name__)
            except Exception as error:  # an answer no rule foresaw: the next count still comes
                # (an escaping error ended this task for the rest of the show, without a word)
                log.debug("feed %s: viewer count: unexpected error", self.source, exc_info=True)
                log.warning(
                    "feed %s: viewer count failed (unexpected error %s)",
                    self.source,
                    type(error).__name__,
                )
            await self._wait(self._viewers_every_s, stop)

    async def count_viewers(self, client: httpx.AsyncClient, sink: PageSink) -> int | None:
        """One Helix ``GET /streams?user_id=…``; a live stream's ``viewer_count`` becomes a
        sample (an offline channel gives none)."""
        for attempt in range(2):
            token = self._token
            request = FeedRequest(
                f"{self.helix}/streams", {"user_id": self.broadcaster_id}, self._headers()
            )
            response = await read_response(client, request, _HELIX_TIMEOUT_S)
            if response.status_code != 401 or attempt or not self.can_refresh:
                break
            try:
                await self._refresh(client, token)
            except (TwitchEnded, OSError) as error:
                # The chat's own call ends the feed if the refresh is refused for good. Masked
                # as the chat's: Twitch's refusal quoted the refresh token and client secret.
                log.info("feed %s: viewer count: %s", self.source, self._shown(str(error)))
                return None
        if response.status_code != 200:
            log.info("feed %s: Helix streams HTTP %d", self.source, response.status_code)
            return None
        # The feeds' reading (parsing.load_json): an answer nested past the parser's depth
        # is a malformed answer, not a RecursionError (it ended the viewer counts for good).
        data = load_json(response)["data"]
        if not data:
            return None
        online = viewer_count(data[0]["viewer_count"], "viewer_count", required=True)
        assert online is not None
        at = datetime.fromtimestamp(self._wall_clock(), UTC).isoformat(timespec="seconds")
        if await self._store(sink, ViewerStats(self.source, f"streams@{at}", online, at=at)):
            self._last_online = online
        return online


class _SaidFailure(OSError):
    """A Helix or token call that failed for now (the caller retries), its text the status as
    it is: raised as a plain OSError it was said as the WebSocket's, with a type name ("WebSocket:
    OSError: subscribing to …")."""


class _RefreshFailed(_SaidFailure):
    """The token could not be refreshed now: "token refresh: X". Said "refreshing the token:
    X", the log's rule read "token: X" as a secret pair: "…: refreshing the token: ****",
    ResponseTooSlow or HTTP 500 masked."""

    def __init__(self, words: str) -> None:
        super().__init__(f"token refresh: {words}")


def _move_url_problem(url: str) -> str | None:
    """Why a ``session_reconnect``'s ``reconnect_url`` is no WebSocket URL to open, or None."""
    if any(character.isspace() or not character.isprintable() for character in url):
        return "which holds a space or a control character"
    try:
        parse_uri(url)
    except InvalidURI:
        return "which is not a ws:// or wss:// address with a host"
    except ValueError as error:  # a port past 65535, broken IPv6 brackets
        return f"which is not an address ({words_shown(str(error))})"
    return None


class _Reconnect(Exception):
    """The line went silent: a new connection (and a new session) is needed."""


class _UnreadableWelcome(Exception):
    """EventSub's first message on a connection is not a welcome the feed can read."""


def _helix_message(response: httpx.Response) -> str:
    try:
        body = load_json(response)
    except MalformedResponse:
        return f"HTTP {response.status_code}"
    message = as_text(body.get("message")) if isinstance(body, dict) else ""
    return words_shown(message) if message else f"HTTP {response.status_code}"


def _recent_key(message_id: str) -> str:
    """How a message id is remembered against repeats: as it is, or by its digest when long.
    A server sending 1 MiB ids (a frame's size) made the last 5,000 of them 5 GB of memory."""
    if len(message_id) <= 128:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
