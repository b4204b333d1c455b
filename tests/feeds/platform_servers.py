"""Local servers for issue 12's adapters, speaking the platforms' documented JSON.

- :class:`YouTubeLiveServer`: ``liveChatMessages.list`` (from feed_servers) plus ``videos.list``
  (``liveStreamingDetails``: ``activeLiveChatId``, ``concurrentViewers``, ``actualEndTime``),
  ``messageDeletedEvent``/``userBannedEvent``/``superStickerEvent`` messages, and Google's
  ``quotaExceeded`` 403 once a daily quota of units is spent (5 a chat read, 1 a video look-up).
- :class:`ShopifyGraphQLServer`: ``POST /admin/oauth/access_token`` (client credentials →
  ``access_token``/``scope``/``expires_in``) and ``POST /admin/api/VERSION/graphql.json``
  answering the ``orders`` query (``query`` filters ``updated_at:>=`` / ``created_at:>=``,
  ``sortKey: UPDATED_AT``, ``first``/``after`` pages, ``extensions.cost.throttleStatus``;
  401 for an unknown or expired token) and ``order(id:)`` (several under aliases), each
  order's ``lineItems``, ``refunds`` and ``refundLineItems`` cut to their ``first``; a query
  whose requested cost by
  Shopify's documented rule is above 1000 refused with ``MAX_COST_EXCEEDED`` as Shopify does.
- :class:`TwitchServer`: Helix (``POST /helix/eventsub/subscriptions``, ``GET /helix/streams``)
  over HTTP, and EventSub's WebSocket (``session_welcome``, ``session_keepalive``,
  ``notification``, ``session_reconnect``, ``revocation``) on the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from feed_servers import Reply, YouTubeChatServer, _json
from graphql_cost import QueryField, parse_query, requested_cost
from websockets.asyncio.server import Server, ServerConnection, serve


def _error(status: int, reason: str) -> Reply:
    body = {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


class YouTubeLiveServer(YouTubeChatServer):
    videos_path = "/youtube/v3/videos"

    def __init__(self, video_id: str = "vid-1", daily_quota: int | None = None, **kw: Any):
        super().__init__(**kw)
        self.video_id = video_id
        self.daily_quota = daily_quota
        self.units = 0
        self.concurrent_viewers: int | None = 120
        self.chat_open = True
        self.ended = False
        # The next N calls are answered 503 backendError (Google counts them all the same).
        self.busy_answers = 0

    @property
    def video_url(self) -> str:
        budget = f"&units_per_hour={self.units_per_hour}" if self.units_per_hour else ""
        return f"{self.url}?videoId={self.video_id}{budget}"

    def _handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        cost = 1 if path == self.videos_path else 5
        with self.lock:
            if self.daily_quota is not None and self.units + cost > self.daily_quota:
                self.requests.append((path, query, headers))
                return _error(403, "quotaExceeded")
            self.units += cost
            if self.busy_answers > 0:
                self.busy_answers -= 1
                self.requests.append((path, query, headers))
                return _error(503, "backendError")
        if path != self.videos_path:
            return super()._handle(path, query, headers)
        with self.lock:
            self.requests.append((path, query, headers))
            if query.get("part") != "liveStreamingDetails":
                return _error(400, "badPart")
            if query.get("id") != self.video_id:
                return _json({"kind": "youtube#videoListResponse", "items": []})
            details: dict[str, Any] = {"actualStartTime": "2026-11-28T20:00:00Z"}
            if self.chat_open and not self.ended:
                details["activeLiveChatId"] = self.live_chat_id
            if self.ended:
                details["actualEndTime"] = "2026-11-28T21:00:00Z"
            elif self.concurrent_viewers is not None:
                details["concurrentViewers"] = str(self.concurrent_viewers)
            item = {"kind": "youtube#video", "id": self.video_id, "liveStreamingDetails": details}
            return _json({"kind": "youtube#videoListResponse", "items": [item]})

    def _event(self, snippet: dict[str, Any], author: str = "mod") -> str:
        with self.lock:
            event_id = f"LCE.{len(self.messages) + 1:06d}"
            snippet = {
                "liveChatId": self.live_chat_id,
                "publishedAt": "2026-11-28T20:10:00.000Z",
                "hasDisplayContent": False,
                **snippet,
            }
            self.messages.append(
                {
                    "kind": "youtube#liveChatMessage",
                    "id": event_id,
                    "snippet": snippet,
                    "authorDetails": {"channelId": "UC" + author, "displayName": author},
                }
            )
            return event_id

    def delete(self, message_id: str) -> str:
        return self._event(
            {
                "type": "messageDeletedEvent",
                "messageDeletedDetails": {"deletedMessageId": message_id},
            }
        )

    def ban(self, author: str) -> str:
        return self._event(
            {
                "type": "userBannedEvent",
                "userBannedDetails": {
                    "bannedUserDetails": {
                        "channelId": "UC" + author,
                        "channelUrl": f"http://www.youtube.com/channel/UC{author}",
                        "displayName": author,
                    },
                    "banType": "permanent",
                },
            }
        )

    def add_super_sticker(self, author: str, amount_micros: int, currency: str) -> str:
        message_id = self.add_text(author, "")
        with self.lock:
            snippet = self.messages[-1]["snippet"]
            snippet["type"] = "superStickerEvent"
            snippet["displayMessage"] = ""
            snippet["superStickerDetails"] = {
                "superStickerMetadata": {"stickerId": "s1", "altText": "Thank you!"},
                "amountMicros": str(amount_micros),
                "currency": currency,
                "tier": 1,
            }
        return message_id


# -- an HTTP server with GET and POST ----------------------------------------------------------


class HttpServer:
    """``handle(method, path, query, headers, body) -> Reply`` on a loopback port."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self) -> HttpServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY every answer on a
            # kept-alive connection waits ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with owner.lock:
                    owner.requests.append((method, parts.path, headers, body))
                    reply = owner.screen(method, parts.path, headers, body) or owner.handle(
                        method, parts.path, query, headers, body
                    )
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(reply.body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def screen(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        """An answer given before ``handle`` (and a subclass's override of it), or None."""
        return None

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        raise NotImplementedError


# -- Shopify GraphQL Admin API -----------------------------------------------------------------

_EPOCH = datetime(2026, 11, 28, 20, 0, 0, tzinfo=UTC)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Asked:
    """What a query asks of each order: ``first`` (and ``after``) of its connections."""

    line_items: int = 100
    lines_after: int = 0
    refunds: int = 50
    refund_lines: int = 100
    refund_transactions: int = 0  # not asked: none answered


@dataclass
class _ShopOrder:
    number: int
    created: datetime
    updated: datetime
    currency: str
    lines: list[tuple[str, int, str]]  # sku, quantity, unit price
    cancelled: datetime | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)

    def node(self, asked: _Asked | None = None) -> dict[str, Any]:
        """The order as Shopify answers it, its connections cut to what the query asked."""
        asked = asked or _Asked()
        total = sum((Decimal(price) * qty for _, qty, price in self.lines), Decimal(0))

        def money(amount: Decimal | str) -> dict[str, Any]:
            return {"shopMoney": {"amount": str(amount), "currencyCode": self.currency}}

        first_line = asked.lines_after
        lines = list(enumerate(self.lines))[first_line : first_line + asked.line_items]
        last_line = first_line + len(lines)
        return {
            "id": f"gid://shopify/Order/{self.number}",
            "legacyResourceId": str(self.number),
            "createdAt": _iso(self.created),
            "updatedAt": _iso(self.updated),
            "cancelledAt": _iso(self.cancelled) if self.cancelled else None,
            "currencyCode": self.currency,
            "totalPriceSet": money(total),
            "lineItems": {
                "pageInfo": {
                    "hasNextPage": last_line < len(self.lines),
                    "endCursor": f"line-{last_line}",
                },
                "nodes": [
                    {
                        "id": f"gid://shopify/LineItem/{self.number * 10 + n}",
                        "sku": sku,
                        "title": sku.title(),
                        "quantity": qty,
                        "originalUnitPriceSet": money(price),
                    }
                    for n, (sku, qty, price) in lines
                ],
            },
            "refunds": [
                {
                    "id": f"gid://shopify/Refund/{refund['id']}",
                    "createdAt": refund["at"],
                    "totalRefundedSet": money(refund["amount"]),
                    "refundLineItems": {
                        "pageInfo": {"hasNextPage": len(refund["lines"]) > asked.refund_lines},
                        "nodes": [
                            {
                                "quantity": qty,
                                "lineItem": {"id": "gid://shopify/LineItem/1", "sku": sku},
                            }
                            for sku, qty in refund["lines"][: asked.refund_lines]
                        ],
                    },
                    # Its money's transaction (REFUND), PENDING until it settles, when asked.
                    **(
                        {
                            "transactions": {
                                "nodes": [
                                    {"kind": "REFUND", "status": refund.get("status", "SUCCESS")}
                                ][: asked.refund_transactions]
                            }
                        }
                        if asked.refund_transactions
                        else {}
                    ),
                }
                for refund in self.refunds[: asked.refunds]
            ],
        }


def _first(selected: QueryField | None) -> int | None:
    size = selected.args.get("first") if selected is not None else None
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def _asked(order: QueryField) -> _Asked:
    """The sizes asked of each order (``orders { nodes { … } }`` or ``order(id:) { … }``)."""
    lines = order.child("lineItems")
    refunds = order.child("refunds")
    refund_lines = refunds.child("refundLineItems") if refunds is not None else None
    after = lines.args.get("after") if lines is not None else None
    return _Asked(
        line_items=_first(lines) or 0,
        lines_after=int(after.removeprefix("line-")) if isinstance(after, str) and after else 0,
        refunds=_first(refunds) or 0,
        refund_lines=_first(refund_lines) or 0,
        refund_transactions=_first(refunds.child("transactions") if refunds is not None else None)
        or 0,
    )


class ShopifyGraphQLServer(HttpServer):
    """Shopify's GraphQL Admin API: every query's requested cost counted by Shopify's
    documented rule (graphql_cost) and one above ``max_cost`` refused as Shopify refuses it,
    before anything else (``MAX_COST_EXCEEDED``, HTTP 200), also for a subclass answering in
    its own way; the ``orders`` query and ``order(id:)``, connections cut to their ``first``."""

    version = "2026-07"
    max_cost = 1000
    # Shopify's own count of a query against the documented rule's (a forum post shows a
    # first: 250 connection at 25 points; a shop may count more): what it says and refuses by.
    cost_factor = 1.0
    bucket_size = 2000.0  # the shop's throttleStatus.maximumAvailable

    def __init__(self, *, expires_in: int = 86399, page_size: int = 100) -> None:
        super().__init__()
        self.client_id = "client-id-123"
        self.client_secret = "shpss_client_secret_456"
        self.static_token = "shpat_static_token_789"
        self.expires_in = expires_in
        self.page_size = page_size
        self.tokens: dict[str, bool] = {self.static_token: True}  # token -> still valid
        self.issued: list[str] = []
        self.orders: list[_ShopOrder] = []
        self.minutes = itertools.count(1)
        self.throttle_next = 0
        self.queries: list[dict[str, Any]] = []
        self.costs: list[int] = []  # the requested cost of every query answered
        self.refused_costs: list[int] = []  # of every query refused as too costly

    @property
    def shop_url(self) -> str:
        return self.url  # the shop's address: the adapter adds /admin/api/VERSION/graphql.json

    def _tick(self) -> datetime:
        return _EPOCH + timedelta(minutes=next(self.minutes))

    def add_order(self, lines: list[tuple[str, int, str]], currency: str = "USD") -> int:
        with self.lock:
            when = self._tick()
            number = 5000 + len(self.orders) + 1
            self.orders.append(_ShopOrder(number, when, when, currency, lines))
            return number

    def cancel(self, number: int) -> None:
        with self.lock:
            order = self.orders[number - 5001]
            order.cancelled = order.updated = self._tick()

    def refund(self, number: int, amount: str, lines: list[tuple[str, int]]) -> None:
        with self.lock:
            order = self.orders[number - 5001]
            order.updated = self._tick()
            order.refunds.append(
                {
                    "id": 900 + len(order.refunds),
                    "at": _iso(order.updated),
                    "amount": amount,
                    "lines": lines,
                }
            )

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.issued:
                self.tokens[token] = False

    def screen(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        if method != "POST" or not path.endswith("/graphql.json"):
            return None
        if not self.tokens.get(headers.get("x-shopify-access-token", "")):
            return None  # a refused token is said first (handle: 401)
        try:
            request = json.loads(body)
            counted = requested_cost(parse_query(request["query"], request.get("variables") or {}))
            cost = round(counted * self.cost_factor)
        except (ValueError, KeyError, TypeError, IndexError):
            return None  # handle() answers what it makes of it
        if cost <= self.max_cost:
            self.costs.append(cost)
            return None
        self.refused_costs.append(cost)
        message = (
            f"Query cost is {cost}, which exceeds the single query max cost limit "
            f"({self.max_cost}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for "
            "more information on how the\ncost of a query is calculated.\n\nTo query larger "
            "amounts of data with fewer limits, bulk operations should be used instead.\nSee "
            "https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage "
            "details.\n"
        )
        extensions = {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": self.max_cost}
        return _json({"errors": [{"message": message, "extensions": extensions}]})

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and path == "/admin/oauth/access_token":
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
            ):
                return Reply(401, b'{"error": "invalid_client"}')
            token = f"shpat_issued_{len(self.issued) + 1}"
            self.issued.append(token)
            self.tokens[token] = True
            return _json(
                {"access_token": token, "scope": "read_orders", "expires_in": self.expires_in}
            )
        if method != "POST" or path != f"/admin/api/{self.version}/graphql.json":
            return Reply(404, b'{"errors": "Not Found"}')
        token = headers.get("x-shopify-access-token", "")
        if not self.tokens.get(token):
            body_401 = b'{"errors": "[API] Invalid API key or access token"}'
            return Reply(401, body_401)
        request = json.loads(body)
        self.queries.append(request)
        variables = request.get("variables") or {}
        root = parse_query(request["query"], variables)
        requested = round(requested_cost(root) * self.cost_factor)
        cost = {
            "requestedQueryCost": requested,
            "actualQueryCost": 20,
            "throttleStatus": {
                "maximumAvailable": self.bucket_size,
                "currentlyAvailable": min(1980, self.bucket_size),
                "restoreRate": 100.0,
            },
        }
        if self.throttle_next or requested > self.bucket_size:
            self.throttle_next = max(0, self.throttle_next - 1)
            if requested <= self.bucket_size:
                cost["throttleStatus"]["currentlyAvailable"] = 10  # type: ignore[index]
            return _json(
                {
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": {"cost": cost},
                }
            )
        alone = [c for c in root.children or [] if c.name == "order"]
        if alone:  # order(id:), one or several (aliases), each answered under its key
            data = {}
            for one in alone:
                number = str(one.args.get("id", "")).rsplit("/", 1)[-1]
                found = [order for order in self.orders if str(order.number) == number]
                data[one.key] = found[0].node(_asked(one)) if found else None
            return _json({"data": data, "extensions": {"cost": cost}})
        orders = root.child("orders")
        nodes = orders.child("nodes") if orders is not None else None
        asked = _asked(nodes) if nodes is not None else _Asked()
        filters = dict(re.findall(r"(\w+):>='([^']+)'", variables.get("query") or ""))
        matching = sorted(
            (
                order
                for order in self.orders
                if ("updated_at" not in filters or _iso(order.updated) >= filters["updated_at"])
                and ("created_at" not in filters or _iso(order.created) >= filters["created_at"])
            ),
            key=lambda order: order.updated,
        )
        start = int(variables["after"]) if variables.get("after") else 0
        page = matching[start : start + min(self.page_size, int(variables["first"]))]
        end = start + len(page)
        return _json(
            {
                "data": {
                    "orders": {
                        "pageInfo": {"hasNextPage": end < len(matching), "endCursor": str(end)},
                        "nodes": [order.node(asked) for order in page],
                    }
                },
                "extensions": {"cost": cost},
            }
        )


# -- Twitch: Helix over HTTP, EventSub over a WebSocket ----------------------------------------


class TwitchServer(HttpServer):
    def __init__(self) -> None:
        super().__init__()
        self.token = "twitch-user-token-abc"
        self.client_id = "twitch-client-id"
        self.broadcaster = "1001"
        self.subscriptions: list[dict[str, Any]] = []
        self.viewer_count: int | None = 321
        self.keepalive_s = 10
        self._ws: Server | None = None
        self.ws_port = 0
        self.connections: list[ServerConnection] = []
        self.closed: list[ServerConnection] = []
        self.sessions: dict[ServerConnection, str] = {}
        self.connected = asyncio.Event()
        self.welcome_on_connect = True
        self._ids = itertools.count(1)
        # The app's secret and the user's refresh token (the authorization code flow's).
        self.client_secret = "twitch-client-secret"
        self.refresh_token = "twitch-refresh-1"
        self.refreshes: list[dict[str, str]] = []
        self._tokens = itertools.count(2)

    def expire_token(self) -> None:
        """The user access token expires: Helix answers 401 until it is refreshed."""
        self.token = f"not-issued-yet-{next(self._tokens)}"

    # HTTP (id.twitch.tv token endpoint, Helix) --------------------------------------------

    def _token_grant(self, body: bytes) -> Reply:
        form = dict(parse_qsl(body.decode()))
        self.refreshes.append(form)
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
            or form.get("refresh_token") != self.refresh_token
        ):
            return Reply(
                400, b'{"error": "Bad Request", "status": 400, "message": "Invalid refresh token"}'
            )
        number = next(self._tokens)
        self.token = f"twitch-user-token-{number}"
        self.refresh_token = f"twitch-refresh-{number}"  # Twitch may hand out a new one
        return _json(
            {
                "access_token": self.token,
                "refresh_token": self.refresh_token,
                "expires_in": 14400,
                "scope": ["user:read:chat"],
                "token_type": "bearer",
            }
        )

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and path == "/oauth2/token":
            return self._token_grant(body)
        if headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401, b'{"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}'
            )
        if headers.get("client-id") != self.client_id:
            return Reply(
                401,
                b'{"error": "Unauthorized", "status": 401, "message": "Client ID mismatch"}',
            )
        if method == "POST" and path == "/helix/eventsub/subscriptions":
            request = json.loads(body)
            session_id = request["transport"]["session_id"]
            if session_id not in self.sessions.values():
                return Reply(
                    400,
                    b'{"error": "Bad Request", "status": 400, "message": "session does not exist"}',
                )
            subscription = {
                "id": f"sub-{len(self.subscriptions) + 1}",
                "status": "enabled",
                "type": request["type"],
                "version": request["version"],
                "condition": request["condition"],
                "transport": request["transport"],
                "created_at": "2026-11-28T20:00:00Z",
                "cost": 0,
            }
            self.subscriptions.append(subscription)
            return Reply(
                202,
                json.dumps(
                    {
                        "data": [subscription],
                        "total": len(self.subscriptions),
                        "total_cost": 0,
                        "max_total_cost": 10,
                    }
                ).encode(),
            )
        if method == "GET" and path == "/helix/streams":
            if query.get("user_id") != self.broadcaster or self.viewer_count is None:
                return _json({"data": [], "pagination": {}})
            stream = {
                "id": "s1",
                "user_id": self.broadcaster,
                "type": "live",
                "viewer_count": self.viewer_count,
                "started_at": "2026-11-28T20:00:00Z",
            }
            return _json({"data": [stream], "pagination": {}})
        return Reply(404, b'{"error": "Not Found"}')

    @property
    def helix(self) -> str:
        return f"{self.url}/helix"

    # WebSocket (EventSub) ------------------------------------------------------------------

    async def start_ws(self) -> None:
        self._ws = await serve(self._serve_ws, "127.0.0.1", 0)
        self.ws_port = self._ws.sockets[0].getsockname()[1]

    async def stop_ws(self) -> None:
        if self._ws is not None:
            self._ws.close()
            await self._ws.wait_closed()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    def feed_url(self) -> str:
        return (
            f"{self.ws_url}?broadcaster_user_id={self.broadcaster}"
            f"&client_id={self.client_id}&helix={self.helix}&oauth={self.url}/oauth2/token"
        )

    def _metadata(self, message_type: str, **extra: str) -> dict[str, str]:
        return {
            "message_id": f"m-{next(self._ids)}",
            "message_type": message_type,
            "message_timestamp": "2026-11-28T20:05:00.123Z",
            **extra,
        }

    async def _serve_ws(self, connection: ServerConnection) -> None:
        self.connections.append(connection)
        session_id = f"session-{len(self.connections)}"
        self.sessions[connection] = session_id
        if self.welcome_on_connect:
            await connection.send(
                json.dumps(
                    {
                        "metadata": self._metadata("session_welcome"),
                        "payload": {
                            "session": {
                                "id": session_id,
                                "status": "connected",
                                "connected_at": "2026-11-28T20:00:00Z",
                                "keepalive_timeout_seconds": self.keepalive_s,
                                "reconnect_url": None,
                            }
                        },
                    }
                )
            )
        self.connected.set()
        with contextlib.suppress(Exception):
            await connection.wait_closed()
        self.closed.append(connection)

    async def wait_for_connections(self, count: int, subscriptions: int | None = None) -> None:
        for _ in range(2000):
            if len(self.connections) >= count and (
                subscriptions is None or len(self.subscriptions) >= subscriptions
            ):
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"{len(self.connections)} connections, {self.subscriptions}")

    async def send(self, message: dict[str, Any], connection: int = -1) -> None:
        await self.connections[connection].send(json.dumps(message))

    def _subscription(self, sub_type: str) -> dict[str, Any]:
        return {
            "id": "sub-x",
            "status": "enabled",
            "type": sub_type,
            "version": "1",
            "condition": {"broadcaster_user_id": self.broadcaster, "user_id": self.broadcaster},
            "transport": {"method": "websocket", "session_id": "s"},
            "cost": 0,
        }

    async def chat(
        self,
        message_id: str,
        user_id: str,
        name: str,
        text: str,
        *,
        bits: int = 0,
        badges: tuple[str, ...] = (),
        metadata_id: str = "",
    ) -> str:
        metadata = self._metadata(
            "notification", subscription_type="channel.chat.message", subscription_version="1"
        )
        if metadata_id:
            metadata["message_id"] = metadata_id
        event = {
            "broadcaster_user_id": self.broadcaster,
            "broadcaster_user_login": "shop",
            "broadcaster_user_name": "Shop",
            "chatter_user_id": user_id,
            "chatter_user_login": name.lower(),
            "chatter_user_name": name,
            "message_id": message_id,
            "message": {"text": text, "fragments": [{"type": "text", "text": text}]},
            "message_type": "text",
            "badges": [{"set_id": b, "id": "1", "info": ""} for b in badges],
            "cheer": {"bits": bits} if bits else None,
            "color": "#FF0000",
            "reply": None,
            "channel_points_custom_reward_id": None,
        }
        await self.send(
            {
                "metadata": metadata,
                "payload": {
                    "subscription": self._subscription("channel.chat.message"),
                    "event": event,
                },
            }
        )
        return metadata["message_id"]

    async def delete(self, message_id: str, user_id: str) -> None:
        metadata = self._metadata(
            "notification",
            subscription_type="channel.chat.message_delete",
            subscription_version="1",
        )
        event = {
            "broadcaster_user_id": self.broadcaster,
            "target_user_id": user_id,
            "target_user_name": "Troll",
            "target_user_login": "troll",
            "message_id": message_id,
        }
        await self.send(
            {
                "metadata": metadata,
                "payload": {
                    "subscription": self._subscription("channel.chat.message_delete"),
                    "event": event,
                },
            }
        )

    async def keepalive(self) -> None:
        await self.send({"metadata": self._metadata("session_keepalive"), "payload": {}})

    async def reconnect_to(self, url: str) -> None:
        await self.send(
            {
                "metadata": self._metadata("session_reconnect"),
                "payload": {
                    "session": {
                        "id": "old",
                        "status": "reconnecting",
                        "keepalive_timeout_seconds": None,
                        "reconnect_url": url,
                        "connected_at": "2026-11-28T20:00:00Z",
                    }
                },
            }
        )

    async def revoke(self, sub_type: str, status: str = "authorization_revoked") -> None:
        subscription = {**self._subscription(sub_type), "status": status}
        await self.send(
            {
                "metadata": self._metadata(
                    "revocation", subscription_type=sub_type, subscription_version="1"
                ),
                "payload": {"subscription": subscription},
            }
        )


def wait_until(predicate: Callable[[], bool]) -> Callable[[], Any]:
    async def waiting() -> None:
        for _ in range(2000):
            if predicate():
                return
            await asyncio.sleep(0.005)
        raise AssertionError("condition not met")

    return waiting
