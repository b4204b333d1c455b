"""The control server: aiohttp on the running asyncio loop (qasync's under the window).

Handlers only read snapshots and call ``LiveShow`` commands, which are quick; the one costly
job, encoding the preview JPEG, runs on a worker thread (OpenCV releases the GIL), and one
encoded picture is shared by every client that asks within its frame. A ticker (ten times a
second) keeps the preview fresh while a client watches it and sends each WebSocket client the
state when it changed (so at most ten state messages a second), the stats once a second, and
the comments and orders the session kept.

Routes (docs/control-api.md): ``/`` and ``/static/…`` the web remote (files of the package,
no show data), ``/api/v1/`` the contract's index, ``/api/v1/state``, ``/api/v1/commands``,
``/api/v1/events`` (WebSocket), ``/api/v1/program.jpg``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import socket
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from aiohttp import WSMsgType, http_exceptions, web
from aiohttp.http_exceptions import (
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
)

from anchordesk.control.commands import (
    COMMANDS,
    SESSION,
    BadCommand,
    parse_command,
    run_command,
)
from anchordesk.control.security import (
    FailureLimiter,
    from_another_site,
    machine_names,
    own_host,
    token_matches,
    token_of,
)
from anchordesk.control.state import (
    RUNNING,
    JsonObject,
    changes_with_money_text,
    comment_json,
    order_json,
    priced,
    settled,
    state_changes,
    state_json,
    stats_json,
    with_money_text,
)
from anchordesk.core.errors import UserError
from anchordesk.core.languages import from_accept_language, say
from anchordesk.core.money import WrittenAmount
from anchordesk.core.printable import escaped_surrogates
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.live.show import CommandRejected

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from anchordesk.live.show import LiveShow

log = logging.getLogger(__name__)


class _OneLineBadRequests(logging.Filter):
    """aiohttp logs a request it cannot parse (a 100 KB header, a TLS client or a scanner on
    the port) at ERROR with a traceback: the client's mistake, not the show's, so one line at
    INFO without the bytes it sent (they may be anything)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        # A body that breaks its own Content-Encoding is refused by the handler (400); aiohttp
        # then reads the rest of it to keep the connection, meets the same error, and logs it.
        if isinstance(error, web.RequestPayloadError) and isinstance(
            error.__cause__, HttpProcessingError
        ):
            error = error.__cause__
        if isinstance(error, HttpProcessingError):
            peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "remote control: refused a malformed request from %s (%s, HTTP %s)"
            record.args = (peer, type(error).__name__, error.code)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_request_log = logging.getLogger(__name__ + ".requests")
_request_log.addFilter(_OneLineBadRequests())

# Not HTTP at all (a TLS client, a scanner on the port): aiohttp 3.10 names it BadHttpMethod;
# the lowest aiohttp this program takes (3.9) has no such class and calls it a bad request
# line. Looked up, not imported: the import made the remote control fail to load on 3.9.
_NOT_HTTP: tuple[type[HttpProcessingError], ...] = tuple(
    kind
    for kind in (getattr(http_exceptions, "BadHttpMethod", None),)
    if isinstance(kind, type) and issubclass(kind, HttpProcessingError)
)

# What of a request aiohttp's parser refused, said without its bytes (most specific first).
_MALFORMED_PARTS: tuple[
    tuple[type[HttpProcessingError] | tuple[type[HttpProcessingError], ...], str], ...
] = (
    (LineTooLong, "a line is too long"),
    (_NOT_HTTP, "the method"),
    (InvalidURLError, "the URL"),
    (BadStatusLine, "the request line"),
    (InvalidHeader, "a header"),
)


class _OneLineErrors(web.RequestHandler):
    """aiohttp's connection, answering a request its parser refuses (a bad byte in the URL or
    a header, ``HTTP/9.9``, a Content-Length that is no number) with the API's one JSON line.

    aiohttp's own answer was several lines of plain text quoting the request line or header
    it read: ``?token=`` and ``Authorization: Bearer …`` were sent back, where no answer may
    carry the token, and a script could not read it. The peer is taken from the connection:
    the log line said "from ?" (the request the error is answered for is a dummy one)."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        peername = self.transport.get_extra_info("peername") if self.transport else None
        peer = peername[0] if isinstance(peername, tuple) and peername else "?"
        # Not HTTP at all (a TLS client, a scanner on the port) is said at DEBUG, as aiohttp does.
        self.logger.log(
            logging.DEBUG if isinstance(exc, _NOT_HTTP) else logging.INFO,
            "remote control: refused a malformed request from %s (%s, HTTP %s)",
            peer,
            type(exc).__name__,
            status,
        )
        if request.writer.output_size > 0:  # as aiohttp: the connection is broken
            raise ConnectionError("an answer was sent already; cannot send the error")
        part = next((said for kind, said in _MALFORMED_PARTS if isinstance(exc, kind)), "")
        response = _error(status, f"malformed request: {part or 'not readable as HTTP/1.1'}")
        response.force_close()
        return response


MAX_BODY_BYTES = 16 * 1024  # a command is a few hundred bytes
TICK_S = 0.1  # at most ten state messages a second
# The share of the event loop the ticker may take: its work grows with the show (the state of
# a show at the limits, 10,000 products, is 4 MB, built and compared at every tick), and the
# loop is the show's (the feeds, the window, the recording's hand-offs): three phones on such a
# show took it whole, and the recording dropped 256 frames in 20 s (10 fps). A tick that took
# long waits in proportion before the next, so the phones hear of changes less often instead.
TICK_SHARE = 0.2
JPEG_MIN_INTERVAL_S = 0.25  # per client: a few previews a second
JPEG_WIDTH = 640  # a phone's preview; the program itself is untouched
FEED_BACKLOG = 500
# A client that stopped reading is this many messages behind; one that reads is never cut for
# what a single tick brings (up to the feed backlog), only past this many waiting in all.
CLIENT_BEHIND = 200
CLIENT_MOST_QUEUED = FEED_BACKLOG + 4 * CLIENT_BEHIND
# How long the stop waits for each WebSocket client to take its close frame (a phone that does
# not read never does: its connection is then cut).
STOP_CLOSE_S = 1.0
# A phone's page uses a few connections, a stream deck one per press: a hundred is many
# remotes. Beyond it a connection is closed at once, so a client holding connections open
# (or a scanner) can never take the file descriptors the feeds, the recording and the session
# file need (1,024 by default on a desktop).
MAX_CONNECTIONS = 100
# A connection that has not finished a request within this time is closed: aiohttp's default
# keeps a half-sent request (a slowloris client) for an hour. "Finished" is the whole exchange:
# the request's head (aiohttp's keep-alive timer), its body and the answer written out (a
# deadline of ours: aiohttp has none, so a body never sent or an answer never read held the
# connection for good). The event stream, which is meant to last, is the one exception.
IDLE_TIMEOUT_S = 15.0
_EVENTS_PATH = "/api/v1/events"
# The pass a client gets with its first right token (docs/control-api.md, Access).
PASS_COOKIE = "anchordesk_pass"
RECENT_COMMENTS = 50
_PACKAGE = "anchordesk.control"
_STATIC = {"app.js": "text/javascript", "style.css": "text/css", "i18n.js": "text/javascript"}

ShowProvider = Callable[[], "LiveShow | None"]

# Said to a phone in its language as any refusal is: the window has no show between two (a
# show opened, its settings changed) and none at all when its picture could not start, and a
# tap on the phone read "未执行：no show is running yet".
NO_SHOW = Words(QT_TRANSLATE_NOOP("ControlServer", "no show is running yet"))
NO_SHOW_MESSAGE: JsonObject = {"type": "no_show"}
# A reverse proxy that rewrites Host (nginx's default, $proxy_host) makes the remote's own page
# look like another site's: the operator who set the proxy up is told what to change.
ANOTHER_SITE = Words(
    QT_TRANSLATE_NOOP(
        "ControlServer",
        "another site's page may not use this API (a proxy in front of the remote must pass "
        "the Host header on as it came)",
    )
)
ANOTHER_SESSION = Words(
    QT_TRANSLATE_NOOP(
        "ControlServer",
        "the show has moved on to another session since this was sent",
    )
)
_NO_SHOW = object()  # what the clients were last told of, when it was that there is no show
# In each state and state_changes message: the server's clock (seconds, of no particular
# epoch) at which its running clocks (segment.elapsed_s, deals[].remaining_s) were read. A page
# counted them on from when the message arrived: one held by the network (a phone's Wi-Fi
# retransmitting) left the segment's time and the deals' countdowns behind by as long.
CLOCKS_AT = "clocks_at_s"


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status, headers=headers)


def _refusal(status: int, words: Words | str, request: web.Request) -> web.Response:
    """A refused command: the reason in English (``error``: the log, scripts, ``anchordesk
    control``) and said in the language the client asks for with ``Accept-Language``
    (``message``: a phone's page), from the window's own translations."""
    language = _language(request)
    # The first of the reason's own lines: cut with splitlines(), a show's title holding a line
    # or paragraph separator (U+2028, U+2029: the show's checks let them through) cut the
    # reason at it, "「seg " for "「seg \u2029…」 is the last segment: there is no next one".
    english, said = str(words).split("\n")[0], say(words, language).split("\n")[0]
    body = {"ok": False, "error": english, "message": said}
    return web.json_response(body, status=status, dumps=_dumps)


async def _last_answer(request: web.Request, response: web.Response) -> web.Response:
    """Send ``response`` and end the connection: its request's body cannot be read, and
    aiohttp would read on to drain it after the handler (3.9 logged the same error again
    there, as an "Unhandled exception" with its traceback)."""
    response.force_close()
    with contextlib.suppress(ConnectionError):  # the client left meanwhile
        await response.prepare(request)
        await response.write_eof()
    request.protocol.force_close()
    return response


def _dumps(value: object) -> str:
    """JSON as the API sends it (UTF-8, every language as it is written). A lone surrogate is
    written as JSON's escape for it: raw, it cannot be sent as UTF-8, and a session named so
    made every state a 500 (a traceback in the log) and closed every phone's event stream at
    once, for the whole show; escaped, a page shows it as U+FFFD and sends it back the same."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return escaped_surrogates(text)


def encode_jpeg(frame: npt.NDArray[np.uint8], width: int = JPEG_WIDTH) -> bytes:
    """A BGR frame as a JPEG no wider than ``width`` (worker thread: OpenCV frees the GIL)."""
    import cv2

    height, frame_width = frame.shape[:2]
    picture: Any = frame
    if frame_width > width:
        picture = cv2.resize(
            frame,
            (width, max(2, round(height * width / frame_width))),
            interpolation=cv2.INTER_AREA,
        )
    ok, data = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 75])
    if not ok:
        raise RuntimeError("the picture could not be encoded as JPEG")
    return bytes(data.tobytes())


class _Client:
    """One WebSocket client: its own queue, so a slow phone never holds the others up.

    A client is dropped when it stopped reading: more than ``CLIENT_BEHIND`` messages wait and
    it took none since the last tick. The size of the queue alone said nothing of that: a feed
    page of 250 comments or orders (a catch-up after an outage, a Shopify page) is put in one
    tick, and every phone, reading or not, was cut off before it got any of them."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        language: str,
        transport: asyncio.Transport | None = None,
        changes: bool = False,
    ) -> None:
        self.ws = ws
        # Asked for the state's changes (docs/control-api.md): after one whole state, each
        # change is sent as what changed since the state it holds, its ``version``.
        self.changes = changes
        self.version: int | None = None
        self.language = language  # the page's, for the money it is sent written out
        self.transport = transport
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.closing = False
        self.taken = 0  # messages sent to it so far
        self._taken_at_tick = 0

    def put(self, text: str) -> None:
        if self.queue.qsize() >= CLIENT_MOST_QUEUED:  # reading, but slower than the show
            self.close_behind()
        elif not self.closing:
            self.queue.put_nowait(text)

    def check_reading(self) -> None:
        """At each tick: a client with many messages waiting that took none since the last
        tick stopped reading (a phone asleep): it reconnects and gets the state anew. So did
        one that answered no ping of aiohttp's heartbeat (the stream is closed) and took
        nothing since: aiohttp's close, too, waits for it to read what is on its way."""
        took_none = self.taken == self._taken_at_tick
        if took_none and (self.queue.qsize() > CLIENT_BEHIND or self.ws.closed):
            self.close_behind()
        self._taken_at_tick = self.taken

    def close_behind(self) -> None:
        """Cut the connection. A client that does not read cannot take a close frame either:
        a polite close waited for it to read what was on its way first, for good (a phone
        asleep with its connection open; on a show of 10,000 products one state, 4.7 MB, is
        more than the socket takes), the connection and all that waited held meanwhile."""
        if not self.closing:
            self.closing = True
            if self.transport is not None:
                self.transport.abort()


@dataclasses.dataclass
class _Made:
    """A state made of ``show``'s ``session`` at ``made_at`` (the server's clock). Two are held:
    the newest made, which a phone connecting gets (its clocks moved on) rather than one made
    again for it; and the one the clients that asked for changes hold, by its ``version``: the
    next change is sent as what differs from it."""

    show: LiveShow
    session: object
    made_at: float
    state: JsonObject
    version: int | None = None  # (None: the newest made, sent with no version)
    # What of it does not run by itself, written out once for each language (_aged_text).
    written: dict[str, str] = dataclasses.field(default_factory=dict)

    def of(self, show: LiveShow) -> bool:
        """Whether it was made of ``show``'s session now."""
        return self.show is show and self.session is show.session

    def text(self, now: float, language: str) -> str:
        """The state whole, its clocks moved on to ``now``, written out in ``language``."""
        version = {} if self.version is None else {"version": self.version}
        message = {"type": "state", **version, **self.state, CLOCKS_AT: round(now, 3)}
        return _aged_text(message, now - self.made_at, language, self.written)


class _Refused(asyncio.Protocol):
    """A connection past ``MAX_CONNECTIONS``: closed at once (its descriptor freed)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).abort()


class ListenError(UserError):
    """The remote control's address cannot be used (the port taken, not allowed): one line,
    with the system's reason as its ``errno`` for a front end that says it in its language."""

    def __init__(self, host: str, port: int, error: OSError) -> None:
        self.host = host
        self.port = port
        self.errno = error.errno
        if isinstance(error, socket.gaierror):
            # A host name that does not resolve: its errno is getaddrinfo's own (-2), which
            # os.strerror() read as "unknown error -2".
            reason = error.strerror or str(error)
        else:
            # asyncio's strerror is "error while attempting to bind on address ('h', p): …"
            reason = os.strerror(error.errno) if error.errno else str(error)
        shown = f"[{host}]" if ":" in host else host  # fe80::1:8750 read as one address
        super().__init__(f"remote control on {shown}:{port}: cannot listen ({reason.lower()})")


def check_listen(host: str, port: int) -> None:
    """``ListenError`` when ``host:port`` cannot be listened on now: listened on and let go at
    once, the way ``ControlServer.start`` listens, so a run can refuse a taken port before its
    recording and its session begin (a run stopped there left both behind, exit code 2)."""

    async def listen_and_let_go() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(asyncio.Protocol, host, port, reuse_address=True)
        server.close()
        await server.wait_closed()

    try:
        asyncio.run(listen_and_let_go())
    except OSError as error:
        raise ListenError(host, port, error) from None


class ControlServer:
    """The API and the web remote for whatever show ``show`` returns now (the window starts a
    new LiveShow when its settings change; the server follows it)."""

    def __init__(
        self,
        show: ShowProvider,
        token: str,
        host: str = "127.0.0.1",
        port: int = 8750,
        *,
        clock: Callable[[], float] = time.monotonic,
        limiter: FailureLimiter | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        work_clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not token:
            raise ValueError("the control API needs a token")
        self._show = show
        self._token = token
        self.host = host
        self.port = port
        self._clock = clock
        self.limiter = limiter or FailureLimiter(clock=clock)
        # Wrong tokens of requests naming this machine by another name than its own (a page
        # whose name was made to point here, a proxy's public name), counted apart.
        self.named_limiter = FailureLimiter(clock=clock)
        self._names = machine_names()
        # Given with the first right token: gets its client through a lock-out of its address.
        self._pass = secrets.token_urlsafe(32)
        self._max_body_bytes = max_body_bytes
        self._max_connections = max_connections
        self._idle_timeout_s = idle_timeout_s
        self._work_clock = work_clock  # what a tick cost, for the pause after it
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self.refused_connections = 0
        self._ticker: asyncio.Task[None] | None = None
        self._clients: set[_Client] = set()
        self._last_settled: JsonObject | None = None
        self._next_stats_at = 0.0
        self._state_sent_at = -TICK_S  # when a state message was last sent
        self._latest: _Made | None = None  # the newest state made
        self._base: _Made | None = None  # the one the clients that asked for changes hold
        self._version = 0
        # What making the show's state cost last (work clock): a command's own state is sent
        # at once only within the ticker's share of the loop.
        self._state_cost_s = 0.0
        self._feed: deque[object] = deque(maxlen=FEED_BACKLOG)
        self._listened: LiveShow | None = None
        self._session_seen: object = None  # the session the clients were last told of
        self._preview_wanted_until = 0.0
        self._jpeg_served_at: dict[str, float] = {}
        self._jpeg: tuple[int, bytes] | None = None  # (id of the frame, its JPEG)
        self._preview_asked_at: float | None = None  # (the server's clock)
        self._jpeg_lock = asyncio.Lock()
        self._frame: object = None  # keeps the encoded frame alive, so its id stays unique

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> None:
        """Listen (raises ``UserError`` with one line when the address cannot be used)."""
        from anchordesk.core.logs import register_secret

        register_secret(self._token)
        # What each connection (aiohttp's RequestHandler) is made with: given to the runner,
        # which makes aiohttp's own with them, and to _OneLineErrors, which is made here.
        connection_args: dict[str, Any] = {
            # A body's Content-Encoding is undone by _decoded (aiohttp's own refusals are not
            # the API's one line).
            "max_line_size": 8190,
            "max_field_size": 8190,
            "auto_decompress": False,
            # No access log: a page's address carries ?token=.
            "access_log": None,
            "logger": _request_log,
            "keepalive_timeout": self._idle_timeout_s,
        }
        app = web.Application(client_max_size=self._max_body_bytes, middlewares=[self._guard])
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/v1", self._api_index)
        app.router.add_get("/api/v1/", self._api_index)
        app.router.add_get("/api/v1/state", self._state)
        app.router.add_post("/api/v1/commands", self._command, expect_handler=self._expect)
        app.router.add_get("/api/v1/events", self._events)
        app.router.add_get("/api/v1/program.jpg", self._program)
        runner = web.AppRunner(
            app,
            handle_signals=False,
            # A request still coming in when the server stops (a body sent a byte at a time,
            # no token needed: aiohttp reads on after the 401) is waited for this long, then
            # cut: aiohttp's default, a minute, held each stop (a new token, another port, the
            # remote off) for up to 15 s, the remote not listening meanwhile.
            shutdown_timeout=STOP_CLOSE_S,
            **connection_args,
        )
        await runner.setup()
        server = runner.server
        assert server is not None

        def connection() -> asyncio.BaseProtocol:
            # aiohttp's server is the protocol factory; it knows the connections it holds.
            if len(server.connections) >= self._max_connections:
                if self.refused_connections % 1000 == 0:  # said once, not per connection
                    log.warning(
                        "remote control: %d connections are open; refusing more "
                        "(a client holding connections open?)",
                        self._max_connections,
                    )
                self.refused_connections += 1
                return _Refused()
            # aiohttp's own connection (what server() makes), answering what its parser
            # refuses with the API's one line (_OneLineErrors): made with the public
            # constructor and the same arguments, none of the Server's private attributes.
            return _OneLineErrors(server, loop=asyncio.get_running_loop(), **connection_args)

        try:
            self._listener = await asyncio.get_running_loop().create_server(
                connection, self.host, self.port, reuse_address=True
            )
        except OSError as error:
            await runner.cleanup()
            raise ListenError(self.host, self.port, error) from None
        self._runner = runner
        sockets = self._listener.sockets  # the port chosen for port 0
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        self._ticker = asyncio.ensure_future(self._tick_forever())
        log.info("remote control: %s", self.url)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._ticker
            self._ticker = None
        clients = list(self._clients)
        closes = [
            asyncio.wait_for(client.ws.close(message=b"server stopping"), STOP_CLOSE_S)
            for client in clients
        ]
        await asyncio.gather(*closes, return_exceptions=True)
        for client in clients:  # one that did not take the close frame (it does not read)
            client.close_behind()
        self._listen(None)
        if self._listener is not None:
            self._listener.close()  # no new connection; the open ones close with the runner
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            log.info("remote control stopped")

    # -- access ----------------------------------------------------------------------------

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self._finish_within_deadline(request)
        set_pass = False
        if request.path.startswith("/api/"):
            # Before the token: another site's page is refused without counting its tokens,
            # or any web page the operator opens could lock their own phone or stream deck
            # out (an <img> for each of 20 made-up tokens did, a minute at a time).
            if from_another_site(
                request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), request.host
            ):
                return _refusal(403, ANOTHER_SITE, request)
            address = request.remote or "?"
            # A page of another site whose name was made to point here (DNS rebinding) passes
            # the origin check above: its wrong tokens lock out only requests by other names.
            limiter = self.limiter if own_host(request.host, self._names) else self.named_limiter
            holds_pass = any(token_matches(given, self._pass) for given in _passes(request))
            given = token_of(request.headers.get("Authorization"), request.query.get("token"))
            right = token_matches(given, self._token)
            left = limiter.refused_for_s(address)
            # The pass lets its client through on the right token only: with a wrong one it
            # was let on to a 401 at any rate, guessing on through the lock-out it is made for.
            if left > 0 and not (holds_pass and right):
                wait_s = int(left) + 1
                # locked_out_s tells a page this is the lock-out (not the preview's rate
                # limit), so it can say why and wait instead of asking again and again.
                return web.json_response(
                    {
                        "ok": False,
                        "error": f"too many wrong tokens from this address: try again in "
                        f"{wait_s} s",
                        "locked_out_s": wait_s,
                    },
                    status=429,
                    headers={"Retry-After": str(wait_s)},
                )
            if not right:
                limiter.failed(address)
                return _error(
                    401, "a valid token is required", **{"WWW-Authenticate": 'Bearer realm="api"'}
                )
            if not holds_pass:
                set_pass = True
        try:
            response = await handler(request)
        except web.HTTPException as error:
            if error.status == 413:
                return _error(413, f"the body is larger than {self._max_body_bytes} bytes")
            if error.status in (404, 405):
                return _error(error.status, f"no {request.method} {request.path[:80]} here")
            raise
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if set_pass and not response.prepared:  # (the event stream's answer is sent)
            response.set_cookie(
                PASS_COOKIE, self._pass, path="/api/", httponly=True, samesite="Strict"
            )
        return response

    async def _expect(self, request: web.Request) -> web.StreamResponse | None:
        """``Expect: 100-continue`` on a command: "send your body" only to a request the guard
        will let through. aiohttp's own handler said it before the guard ran, so a stranger
        without a token, or a Content-Length of 1 GB, was invited to upload and then got its
        401 / 413. Otherwise nothing is said here, and the guard's answer is the final one
        (RFC 9110, 10.1.1: a server may answer so instead of 100)."""
        expect = request.headers.get("Expect", "")
        if expect.lower() != "100-continue":
            # In the API's one line (aiohttp's was plain text, "Unknown Expect: …"), and the
            # connection ended: its body is waiting for a 100 that never comes.
            said = f"Expect {expect[:40]!r} is not understood: send 100-continue, or no Expect"
            return await _last_answer(request, _error(417, said))
        given = token_of(request.headers.get("Authorization"), request.query.get("token"))
        fits = (request.content_length or 0) <= self._max_body_bytes
        if request.version == (1, 1) and fits and token_matches(given, self._token):
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # (as aiohttp's own: the answer's size starts here)
        return None

    def _finish_within_deadline(self, request: web.Request) -> None:
        """Close the connection if this request (its body read, its answer written out) is not
        over within the idle timeout: a client that never sends the body it announced, or
        never reads what it asked for (a few hundred pipelined requests for the page's script),
        held its connection, one of the hundred, for as long as it liked."""
        transport = request.transport
        task = asyncio.current_task()
        if request.path == _EVENTS_PATH or transport is None or task is None:
            return
        # This task is aiohttp's for this one request: it ends once the answer is written.
        cut = asyncio.get_running_loop().call_later(self._idle_timeout_s, transport.abort)
        task.add_done_callback(lambda _task: cut.cancel())

    # -- the web remote --------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.Response:
        page = resources.files(_PACKAGE).joinpath("web", "index.html").read_bytes()
        return web.Response(
            body=page,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; "
                "connect-src 'self'; script-src 'self'; style-src 'self'; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            },
        )

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        content_type = _STATIC.get(name)
        if content_type is None:
            return _error(404, f"no file {name[:40]!r}")
        data = resources.files(_PACKAGE).joinpath("web", name).read_bytes()
        return web.Response(body=data, content_type=content_type, charset="utf-8")

    # -- the API ---------------------------------------------------------------------------

    async def _api_index(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "version": 1,
                "commands": {
                    name: [argument.name for argument in arguments]
                    for name, arguments in COMMANDS.items()
                },
            },
            dumps=_dumps,
        )

    def _state_now(self) -> JsonObject | None:
        show = self._show()
        return None if show is None else state_json(show.snapshot())

    async def _state(self, request: web.Request) -> web.Response:
        state = self._state_now()
        if state is None:
            return _refusal(409, NO_SHOW, request)
        return web.json_response(with_money_text(state, _language(request)), dumps=_dumps)

    async def _command(self, request: web.Request) -> web.Response:
        length = request.content_length
        if length is not None and length > self._max_body_bytes:
            return _error(413, f"the body is larger than {self._max_body_bytes} bytes")
        coding = _transfer_coding(request)
        if coding is not None:  # (RFC 9112 6.1: 501 for a transfer coding not understood)
            said = f"a body sent as {coding!r} (its Transfer-Encoding) is not read: send it as "
            said += "it is, or with Content-Encoding gzip or deflate"
            return await _last_answer(request, _error(501, said))
        try:
            raw = await request.read()  # aiohttp stops at client_max_size (413)
        except (HttpProcessingError, web.RequestPayloadError):  # broken gzip, a bad chunk
            encoding = _content_encoding(request)[:20]
            said = f" as {encoding!r} (its Content-Encoding)" if encoding else ""
            return await _last_answer(request, _error(400, f"the body cannot be read{said}"))
        except ConnectionError:  # the client left (or was cut) before its body was all there
            return _error(400, "the body was cut off")
        try:
            raw = _decoded(raw, _content_encoding(request), self._max_body_bytes)
        except _BadBody as error:
            return _error(error.status, str(error))
        try:
            # A byte-order mark (a body saved by Windows' Notepad, sent with curl -d @file) is
            # not part of the JSON (RFC 8259 8.1 lets a parser ignore it): refused, it said
            # Python's own advice, "Unexpected UTF-8 BOM (decode using utf-8-sig)".
            text = raw.decode("utf-8").removeprefix("\ufeff")
            if text.startswith("\ufeff"):  # json.loads says Python's advice for it too
                return _error(400, "malformed JSON: the body starts with two byte-order marks")
            body = json.loads(
                text,
                parse_constant=_no_constant,
                parse_int=_int,
                # A price written as a number is the number written: read as a float, 1e-400
                # (or 0.000…1) was 0 and went on air as a free deal, 19.999999999999999 was
                # 20.00, where the same text quoted is refused for its decimals.
                parse_float=_decimal,
                object_pairs_hook=_object,
            )
        except UnicodeDecodeError:
            return _error(400, "the body is not UTF-8 text")
        except _GivenTwice as error:
            return _error(400, str(error))
        except ValueError as error:
            return _error(400, f"malformed JSON: {str(error).splitlines()[0][:120]}")
        except RecursionError:  # a few kilobytes of '[' reach Python's recursion limit
            return _error(400, "malformed JSON: nested too deep")
        try:
            name, arguments = parse_command(body)
        except BadCommand as error:
            return _error(400, str(error))
        show = self._show()
        if show is None:
            return _refusal(409, NO_SHOW, request)
        meant_for = arguments.pop(SESSION, None)
        if meant_for is not None and (show.session is None or show.session.id != meant_for):
            return _refusal(409, ANOTHER_SESSION, request)
        try:
            run_command(show, name, arguments, origin="remote")
        except CommandRejected as error:
            return _refusal(error.status, error.words, request)
        except UserError as error:
            return _refusal(409, str(error), request)
        except Exception:
            log.exception("remote command %s failed", name)
            failed = QT_TRANSLATE_NOOP("ControlServer", "{command} failed: see the log")
            return _refusal(500, Words(failed, command=name), request)
        minimal = _minimal(request.headers.getall("Prefer", []))
        # The phones hear of it now, from its own state: the next tick (up to a second away on
        # a very large show) finds nothing new to send instead of making it again. Within the
        # ticker's share of the loop: a stream deck sending ten commands a second on a show at
        # the limits had a 4 MB state made, compared and written out for each, the loop taken
        # whole; past the share, the tick sends the newest state.
        in_share = self._clock() >= self._state_sent_at + tick_pause_s(self._state_cost_s)
        state: JsonObject | None = None
        if show.session is self._session_seen and in_share:
            state = self._made(show, self._state_of(show))
            self._send_state(show, state)
        else:
            self._last_settled = None  # the clients hear of it at the next tick
        if minimal:  # (RFC 7240): a stream deck reads no state
            return web.json_response({"ok": True}, headers={"Preference-Applied": "return=minimal"})
        if state is None:
            state = self._made(show, self._state_of(show))
        answer = {"ok": True, "state": with_money_text(state, _language(request))}
        return web.json_response(answer, dumps=_dumps)

    async def _program(self, request: web.Request) -> web.Response:
        address = request.remote or "?"
        now = self._clock()
        last = self._jpeg_served_at.get(address)
        if last is not None and now - last < JPEG_MIN_INTERVAL_S:
            return _error(
                429,
                f"at most {1 / JPEG_MIN_INTERVAL_S:.0f} pictures a second",
                **{"Retry-After": "1"},
            )
        if len(self._jpeg_served_at) > 1000:
            self._jpeg_served_at.clear()
        self._jpeg_served_at[address] = now
        # The pipeline hands out the copy it made at the previous request: after a pause (no
        # window asking for previews, `anchordesk live`), that was the picture of minutes ago
        # (a phone opened at 18:24 showed 18:11's, without the card on air since): wait for
        # the copy this request asks for (R29hunt29ui F4).
        fresh = self._preview_asked_at is not None and now - self._preview_asked_at < 1.0
        self._preview_asked_at = now
        self._preview_wanted_until = now + 3.0
        show = self._show()
        pipeline = show.media.pipeline if show is not None else None
        frame = pipeline.request_preview() if pipeline is not None else None
        old = None if fresh else frame
        for _ in range(10):  # the pipeline copies a frame within a tick
            if (frame is not None and frame is not old) or pipeline is None:
                break
            await asyncio.sleep(0.05)
            frame = pipeline.request_preview()
        if frame is None:
            return _error(503, "no picture yet: ask again in a moment", **{"Retry-After": "1"})
        async with self._jpeg_lock:
            cached = self._jpeg
            if cached is None or cached[0] != id(frame) or self._frame is not frame:
                data = await asyncio.to_thread(encode_jpeg, frame)
                self._frame = frame
                self._jpeg = cached = (id(frame), data)
        return web.Response(body=cached[1], content_type="image/jpeg")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=4096)
        if not ws.can_prepare(request).ok:
            # aiohttp's own refusal is two lines of plain text naming its internals ('No
            # WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".'): the address
            # opened in a browser's tab, or a client's broken handshake, gets the API's line.
            return _error(
                400, "this is the event stream: connect with a WebSocket client (RFC 6455)"
            )
        await ws.prepare(request)
        # The page names its language in the address (a browser's WebSocket cannot set
        # Accept-Language, and the browser's own may rank another language first).
        asked = request.query.get("lang")
        language = from_accept_language(asked) if asked else _language(request)
        client = _Client(ws, language, request.transport, request.query.get("changes") == "1")
        show = self._show()
        if client.changes and show is not None:
            base = self._base_of(show)
            client.version = base.version
            texts = [base.text(self._clock(), client.language), *self._comment_texts(show)]
        else:
            texts = self._opening_texts(show, client.language)
        for text in texts:
            client.put(text)
        self._clients.add(client)
        reader = asyncio.ensure_future(self._read_until_closed(ws))
        try:
            while not ws.closed:
                getter = asyncio.ensure_future(client.queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                await ws.send_str(getter.result())
                client.taken += 1
        except (ConnectionError, RuntimeError):
            pass
        finally:
            self._clients.discard(client)
            reader.cancel()
            with contextlib.suppress(Exception):
                await ws.close()
        return ws

    @staticmethod
    async def _read_until_closed(ws: web.WebSocketResponse) -> None:
        # The stream goes one way; what a client sends is read and dropped (a ping, a close).
        async for message in ws:
            if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break

    # -- the ticker ------------------------------------------------------------------------

    def _listen(self, show: LiveShow | None) -> None:
        if show is self._listened:
            return
        if self._listened is not None:
            with contextlib.suppress(ValueError):
                self._listened.feed_listeners.remove(self._feed.append)
        if show is not None:
            show.feed_listeners.append(self._feed.append)
        self._listened = show

    async def _tick_forever(self) -> None:
        while True:
            began = self._work_clock()
            try:
                self.tick()
            except Exception:
                log.exception("remote control: a tick failed")
            await asyncio.sleep(tick_pause_s(self._work_clock() - began))

    def tick(self) -> None:
        """Keep the preview fresh while watched; send what changed to the WebSocket clients."""
        show = self._show()
        self._listen(show)
        now = self._clock()
        if show is not None and now < self._preview_wanted_until:
            pipeline = show.media.pipeline
            if pipeline is not None:
                pipeline.request_preview()
        self._follow_session(show)
        if not self._clients:
            self._feed.clear()
            self._last_settled = None
            self._latest = None  # (no state is made meanwhile)
            self._base = None
            return
        for client in list(self._clients):
            client.check_reading()
        while self._feed:
            item = self._feed.popleft()
            self._broadcast(_feed_json(item))
        if show is None:
            return
        state = self._made(show, self._state_of(show))
        self._send_state(show, state)
        if now >= self._next_stats_at:
            self._next_stats_at = now + 1.0
            self._broadcast(
                {
                    "type": "stats",
                    **state["stats"],
                    "outputs": state["outputs"],
                    "viewers": state["viewers"],
                    "feeds": state["feeds"],
                    "board": state["board"],
                },
                changes=False,
            )
            self._send_changes(show, state, running_only=True)

    def _state_of(self, show: LiveShow) -> JsonObject:
        began = self._work_clock()
        state = state_json(show.snapshot())
        self._state_cost_s = self._work_clock() - began
        return state

    def _send_state(self, show: LiveShow, state: JsonObject) -> None:
        """``state`` to the clients, when it changed since the last one sent."""
        quiet = settled(state)
        if quiet != self._last_settled and self._clients:
            self._last_settled = quiet
            self._state_sent_at = self._clock()
            self._broadcast({"type": "state", **state, CLOCKS_AT: self._clock_s()}, changes=False)
            self._send_changes(show, state)

    def _send_changes(self, show: LiveShow, state: JsonObject, running_only: bool = False) -> None:
        """To the clients that asked for changes: what differs in ``state`` from the state they
        hold (only the figures that run by themselves, once a second, for ``running_only``); a
        client that holds another (it connected meanwhile) gets ``state`` whole. A state of a
        show at the limits is 4 MB, sent to every phone at every change; a change is a few rows.
        """
        clients = [client for client in self._clients if client.changes]
        base = self._base
        if not clients:
            self._base = None
            return
        if base is not None and not base.of(show):
            base = None
        if running_only:
            if base is None:
                return
            new = {**base.state, **{name: state[name] for name in RUNNING if name in state}}
            made_at = base.made_at  # its clocks are the held state's still
        else:
            new, made_at = state, self._clock()
        at = round(made_at, 3)
        message: JsonObject | None = None
        if base is not None:
            replaced, rows = state_changes(base.state, new)
            if not replaced and not rows:
                return
            message = {
                "type": "state_changes",
                "version": self._version + 1,
                "base": base.version,
                "set": replaced,
                "rows": rows,
                CLOCKS_AT: at,
            }
        self._version += 1
        currency = new["sales"]["currency"]
        texts: dict[tuple[bool, str], str] = {}
        for client in clients:
            whole = message is None or base is None or client.version != base.version
            text = texts.get((whole, client.language))
            if text is None:
                if whole:
                    written = with_money_text(
                        {"type": "state", "version": self._version, **new, CLOCKS_AT: at},
                        client.language,
                    )
                else:
                    assert message is not None
                    written = changes_with_money_text(message, currency, client.language)
                text = texts[whole, client.language] = _dumps(written)
            client.put(text)
            client.version = self._version
        self._base = _Made(show, show.session, made_at, new, self._version)

    def _base_of(self, show: LiveShow) -> _Made:
        """The state the clients that asked for changes hold, made of this show's newest
        when they hold none of its session."""
        base = self._base
        if base is None or not base.of(show):
            latest = self._latest
            if latest is not None and latest.of(show):
                state, made_at = latest.state, latest.made_at
            else:
                state, made_at = self._made(show, self._state_of(show)), self._clock()
            self._version += 1
            base = self._base = _Made(show, show.session, made_at, state, self._version)
        return base

    def _comment_texts(self, show: LiveShow) -> list[str]:
        return [
            _dumps(comment_json(key, comment, hidden))
            for key, comment, hidden in show.recent_comments(RECENT_COMMENTS)
        ]

    def _follow_session(self, show: LiveShow | None) -> None:
        """A new session (rehearse again, go live, the window's new show): the clients get its
        state first and then its own newest comments, as at a connection, so a page drops the
        old session's questions (the window clears its lists) before the new ones arrive; what
        the old session left unsent is not sent after it."""
        session = show.session if show is not None else _NO_SHOW
        if session is self._session_seen:
            return
        self._session_seen = session
        self._feed.clear()
        self._last_settled = None
        self._base = None
        if not self._clients:
            return
        # With no show (the window between two shows, or with none when its picture could
        # not start) the phones kept the last show's state, its clocks and deals counting
        # down, "connected", as if it were still on: they are told there is none.
        state, messages = self._opening(show)
        if state is not None and show is not None:
            self._last_settled = settled(state)
            self._made(show, state)
            self._broadcast({**messages[0], CLOCKS_AT: self._clock_s()}, changes=False)
            self._send_changes(show, state)  # whole, with its version
            messages = messages[1:]
        else:
            for client in self._clients:
                client.version = None
        for message in messages:
            self._broadcast(message)

    def _made(self, show: LiveShow, state: JsonObject) -> JsonObject:
        """``state`` is the show's newest: a phone connecting before the next one is made gets
        it (its clocks moved on), not one made again for it."""
        self._latest = _Made(show, show.session, self._clock(), state)
        return state

    def _clock_s(self) -> float:
        return round(self._clock(), 3)

    def _opening_texts(self, show: LiveShow | None, language: str) -> list[str]:
        """What a connecting client is told first (``_opening``), written out. The state is the
        one the ticker or a command made last, when it is of this show's session: on a show at
        the limits making it takes a fifth of a second, and twenty phones connecting at once
        (the venue's Wi-Fi back) each had one made, and written out, for itself."""
        latest = self._latest
        if show is None or latest is None or not latest.of(show):
            state, messages = self._opening(show)
            if state is None or show is None:
                return [_dumps(message) for message in messages]
            self._made(show, state)
            latest = self._latest
            assert latest is not None
        return [latest.text(self._clock(), language), *self._comment_texts(show)]

    @staticmethod
    def _opening(show: LiveShow | None) -> tuple[JsonObject | None, list[JsonObject]]:
        """What a client is told first of ``show``, at its connection and at a new session
        alike: the state (or that there is no show), then the session's newest comments."""
        if show is None:
            return None, [NO_SHOW_MESSAGE]
        state = state_json(show.snapshot())
        comments = [
            comment_json(key, comment, hidden)
            for key, comment, hidden in show.recent_comments(RECENT_COMMENTS)
        ]
        return state, [{"type": "state", **state}, *comments]

    def _broadcast(self, message: JsonObject, changes: bool | None = None) -> None:
        """``message`` to every client (``changes``: to those that asked for changes, or to
        those that did not, only)."""
        texts: dict[str, str] = {}  # written once for each language the clients read
        for client in list(self._clients):
            if changes is not None and client.changes != changes:
                continue
            text = texts.get(client.language)
            if text is None:
                text = texts[client.language] = _dumps(with_money_text(message, client.language))
            client.put(text)


def _aged(state: JsonObject, seconds: float) -> JsonObject:
    """``state`` ``seconds`` later: its running clocks moved on (the rest stands until the
    show changes, and a change is sent)."""
    if seconds <= 0 or state.get("session", {}).get("mode") == "ended":  # its clocks stand
        return state
    aged = dict(state)
    segment = state.get("segment")
    if isinstance(segment, dict):
        aged["segment"] = {**segment, "elapsed_s": round(segment["elapsed_s"] + seconds, 3)}
    aged["deals"] = [
        {**deal, "remaining_s": round(max(0.0, deal["remaining_s"] - seconds), 3)}
        if deal.get("state") == "live" and isinstance(deal.get("remaining_s"), int | float)
        else deal
        for deal in state.get("deals", [])
    ]
    return aged


def _aged_text(message: JsonObject, seconds: float, language: str, written: dict[str, str]) -> str:
    """A state ``message`` written out in ``language``, its clocks ``seconds`` later. What does
    not run by itself is written once for each language while the state is the newest (in
    ``written``: twenty phones may connect at once, and a state of a show at the limits is
    4 MB); the clocks, for each phone as it connects: a phone connecting a second after
    another, before the next state was made, got that one's clocks, a second behind."""
    first = ("type", "version", CLOCKS_AT)  # (a reader may look at the type first)
    clocks = ("segment", "deals")
    rest = written.get(language)
    if rest is None:
        still = {name: value for name, value in message.items() if name not in first + clocks}
        if "sales" in still:
            still = with_money_text({**still, "deals": []}, language)
            del still["deals"]  # written out with the clocks, below
        rest = written[language] = _dumps(still)
    aged = _aged(message, seconds)
    head = {name: aged[name] for name in first + clocks if name in aged}
    if "deals" in head and "sales" in aged:
        head["deals"] = priced(head["deals"], aged["sales"]["currency"], language)
    text = _dumps(head)
    if rest == "{}":
        return text
    if text == "{}":
        return rest
    return text[:-1] + "," + rest[1:]


def tick_pause_s(spent_s: float) -> float:
    """The wait after a tick that took ``spent_s``: the ticker's ``TICK_SHARE`` of the loop at
    most, and never more often than every ``TICK_S``."""
    return max(TICK_S, spent_s * (1 - TICK_SHARE) / TICK_SHARE)


def _passes(request: web.Request) -> list[str]:
    """The pass cookie's values, from every ``Cookie`` field: aiohttp reads the first field
    only, and a client may send its cookies in several (RFC 9113 8.2.3, HTTP/2's crumbs)."""
    found = []
    for field in request.headers.getall("Cookie", []):
        for pair in field.split(";"):
            name, equals, value = pair.partition("=")
            if equals and name.strip() == PASS_COOKIE:
                found.append(value.strip().strip('"'))
    return found


def _minimal(prefer: list[str]) -> bool:
    """Whether ``Prefer`` headers (RFC 7240) ask for ``return=minimal``."""
    for header in prefer:
        for preference in header.split(","):
            name, _, value = preference.split(";")[0].partition("=")
            if name.strip().lower() == "return" and value.strip().strip('"').lower() == "minimal":
                return True
    return False


def _language(request: web.Request) -> str:
    # Every field, as one list (RFC 9110 5.3): the first alone gave English words to a client
    # asking for French (not offered) in one field and Japanese in the next.
    return from_accept_language(", ".join(request.headers.getall("Accept-Language", [])) or None)


def _feed_json(item: object) -> JsonObject:
    from anchordesk.live.show_session import CommentHidden, StoredOrderRow, comment_key
    from anchordesk.show.feed_items import Comment

    if isinstance(item, Comment):
        return comment_json(comment_key(item), item)
    if isinstance(item, CommentHidden):
        return {"type": "comment_hidden", "id": item.key, "reason": item.reason}
    assert isinstance(item, StoredOrderRow)
    return order_json(item)


def _int(text: str) -> int:
    # Python's own refusal of a 4,301-digit number names sys.set_int_max_str_digits(): words
    # for a programmer of this program, not for whoever sent the body. No argument needs 19.
    if len(text.lstrip("-")) > 18:
        raise ValueError(f"the number {text[:20]}... has more than 18 digits")
    return int(text)


def _decimal(text: str) -> Decimal:
    # A number past what a Decimal can hold (an exponent of 19 digits: 1e-9999999999999999999)
    # raised decimal.InvalidOperation, which is no ValueError: a 500, a traceback in the log.
    # The literal is kept: a refusal quotes the number as sent (1e309), not as 1E+309.
    try:
        return WrittenAmount(text)
    except InvalidOperation:
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise ValueError(f"the number {shown} is out of range") from None


class _BadBody(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _content_encoding(request: web.Request) -> str:
    """The body's codings, every ``Content-Encoding`` field of the request as one list (RFC
    9110 5.3): only the first field was read, a body sent gzip then deflate in two fields was
    refused as "not UTF-8 text", and one said to be brotli in the second was read as gzip."""
    return ", ".join(request.headers.getall("Content-Encoding", []))


def _transfer_coding(request: web.Request) -> str | None:
    """A coding of the body's ``Transfer-Encoding`` other than ``chunked`` (and the obsolete
    ``identity``), None when there is none. aiohttp reads the chunks and leaves the rest: a body
    said to be ``gzip, chunked`` was read as it came, a plain one applied, a packed one refused
    as "not UTF-8 text"."""
    for field in request.headers.getall("Transfer-Encoding", []):
        for name in field.split(","):
            name = name.split(";")[0].strip()
            if name.lower() not in ("", "chunked", "identity"):
                return name[:20]
    return None


def _decoded(raw: bytes, encoding: str, limit: int) -> bytes:
    """A body as it was before its ``Content-Encoding``: gzip or deflate (read here, not by
    aiohttp, whose refusal of brotli or zstd was its own plain text advising to install a
    Python package), at most ``limit`` bytes once unpacked. The header may list codings
    (RFC 9110 8.4: ``identity, gzip``, in the order they were applied): each is undone, the
    last first; one not known is refused (415) by its name, before anything is unpacked
    (a list was refused whole, as one unknown coding)."""
    codings = [name.strip() for name in encoding.split(",")]
    codings = [name for name in codings if name.lower() not in ("", "identity")]
    for shown in codings:
        if shown.lower() not in ("gzip", "x-gzip", "deflate"):
            shown = shown[:20]
            raise _BadBody(
                415,
                f"a body sent as {shown!r} (its Content-Encoding) is not read: send it as it "
                "is, or as gzip or deflate",
            )
    for shown in reversed(codings):
        raw = _unpacked(raw, shown[:20], limit)
    return raw


def _unpacked(raw: bytes, shown: str, limit: int) -> bytes:
    """``raw`` unpacked from the one coding ``shown`` (gzip, x-gzip or deflate)."""
    # gzip, or deflate in its zlib wrapper (as RFC 9110 has it: any window size, its header
    # checked as zlib does, where 0x78 alone refused the smaller windows) or bare (as some
    # clients send).
    gzipped = shown.lower() != "deflate"
    wrapped = gzipped or (
        len(raw) >= 2 and raw[0] & 0x8F == 0x08 and int.from_bytes(raw[:2], "big") % 31 == 0
    )
    broken = _BadBody(400, f"the body cannot be read as {shown!r} (its Content-Encoding)")
    data = b""
    rest = raw
    while True:
        unpacker = zlib.decompressobj(zlib.MAX_WBITS | 32 if wrapped else -zlib.MAX_WBITS)
        try:
            data += unpacker.decompress(rest, limit + 1 - len(data))
        except zlib.error:
            raise broken from None
        if len(data) > limit:
            raise _BadBody(413, f"the body is larger than {limit} bytes")
        if not unpacker.eof:
            raise broken
        rest = unpacker.unused_data
        # A gzip body may be several members, one after the other (RFC 1952 2.2: `gzip -c a
        # >> b`): only the first was read, the rest dropped (junk after it too, unsaid).
        if not rest or not gzipped:
            break
    if rest:
        raise broken
    return data


class _GivenTwice(ValueError):
    """A name given twice in one object of a command's body."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON leaves a name given twice to the parser, and Python's keeps the last one silently:
    # {"command": "show_product", "sku": "MUG", "sku": "KETTLE"} put the kettle on air, and a
    # body naming two commands ran the second. Refused, as `anchordesk control` refuses
    # "index=1 index=2".
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            shown = name if len(name) <= 40 else name[:40] + "…"
            raise _GivenTwice(f"{shown!r} is given twice in the body: give it once")
        found[name] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


__all__ = ["ControlServer", "check_listen", "encode_jpeg", "stats_json"]
