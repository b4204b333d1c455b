"""Local HTTP servers that speak each platform's documented JSON, with faults on demand.

- :class:`YouTubeChatServer`: ``GET /youtube/v3/liveChat/messages`` (liveChatMessages.list):
  ``pageToken`` → ``nextPageToken``, ``pollingIntervalMillis``, ``offlineAt``, error bodies in
  Google's ``{"error": {"errors": [{"reason": …}]}}`` shape.
- :class:`ShopifyOrdersServer`: ``GET /admin/api/2024-07/orders.json`` with ``since_id``,
  ``limit`` (max 250), ``status=any``, ``X-Shopify-Access-Token`` checked, and the
  ``X-Shopify-Shop-Api-Call-Limit`` header; ``updated_at_min`` (inclusive) with cursor-based
  pages (``Link: <…page_info=…>; rel="next"``); orders carry ``updated_at``, ``cancelled_at``
  and ``refunds`` (``transactions`` of kind ``refund``, ``refund_line_items`` with their
  ``line_item``) as the Order resource documents them.
- :class:`JsonFeedServer`: the generic protocol of docs/feed-protocol.md.

Faults are queued with :meth:`PlatformServer.inject` and consumed one per request: an HTTP
status with headers (429 + Retry-After, 500), a slow answer, a body that is not JSON, an
overlap (the next page starts one item early, so an item appears on two pages). ``restart()``
stops the server and starts it again on the same port with the same data.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    kind: str  # "status" | "slow" | "malformed" | "overlap"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    body: bytes = b""


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class PlatformServer:
    path = "/"
    # Any address of this machine: a feed on 127.0.0.2 is on loopback too.
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults: deque[Fault] = deque()
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.overlap_next = False
        self._connections: set[socket.socket] = set()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> PlatformServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY every answer on a
            # kept-alive connection waits ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with owner.lock:
                    owner._connections.add(self.connection)

            def finish(self) -> None:
                with owner.lock:
                    owner._connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:
                if owner._server is None:
                    return  # stopped: a kept-alive connection must not serve any more
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = owner._handle(parts.path, query, headers)
                if reply is None:
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(reply.body)

            def do_POST(self) -> None:
                if owner._server is None:
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner.lock:
                    owner.requests.append((urlsplit(self.path).path, {}, headers))
                    reply = owner.respond_post(urlsplit(self.path).path, headers, body)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()
            # A real server that dies takes its open connections with it.
            with self.lock:
                connections = list(self._connections)
            for connection in connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> PlatformServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    # -- requests ---------------------------------------------------------------------------

    def _handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        with self.lock:
            self.requests.append((path, query, headers))
            fault = self.faults.popleft() if self.faults else None
        if fault is not None:
            if fault.kind == "status":
                body = fault.body or json.dumps({"error": f"HTTP {fault.status}"}).encode()
                return Reply(fault.status, body, fault.headers)
            if fault.kind == "slow":
                time.sleep(fault.delay_s)
            if fault.kind == "malformed":
                return Reply(200, fault.body or b'{"items": [ {"id": "x",', {})
            if fault.kind == "overlap":
                self.overlap_next = True
        if path != self.path:
            return Reply(404, b'{"error": "not found"}')
        with self.lock:
            return self.respond(query, headers)

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    def respond_post(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        return Reply(404, b'{"error": "not found"}')


def _json(body: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        200,
        json.dumps(body, ensure_ascii=False).encode(),
        {"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
    )


class YouTubeChatServer(PlatformServer):
    path = "/youtube/v3/liveChat/messages"

    def __init__(
        self,
        live_chat_id: str = "chat-1",
        page_size: int = 5,
        interval_ms: int = 2000,
        units_per_hour: int | None = 3_600_000,
    ):
        super().__init__()
        # The feed URL asks for a quota budget this large by default, so the server's own
        # ``pollingIntervalMillis`` decides the waits (loopback tests run at their speed); the
        # budget itself is tested in tests/feeds/test_youtube.py.
        self.units_per_hour = units_per_hour
        self.live_chat_id = live_chat_id
        self.page_size = page_size
        self.interval_ms = interval_ms
        self.messages: list[dict[str, Any]] = []
        self.offline = False
        self.api_key = "AIzaTestKey0123456789"

    @property
    def feed_url(self) -> str:
        budget = f"&units_per_hour={self.units_per_hour}" if self.units_per_hour else ""
        return f"{self.url}?liveChatId={self.live_chat_id}{budget}"

    def add_text(self, author: str, text: str, *, moderator: bool = False) -> str:
        with self.lock:
            message_id = f"LCC.{len(self.messages) + 1:06d}"
            self.messages.append(
                {
                    "kind": "youtube#liveChatMessage",
                    "etag": "e",
                    "id": message_id,
                    "snippet": {
                        "type": "textMessageEvent",
                        "liveChatId": self.live_chat_id,
                        "authorChannelId": "UC" + author,
                        "publishedAt": "2024-05-01T12:00:00.000Z",
                        "hasDisplayContent": True,
                        "displayMessage": text,
                        "textMessageDetails": {"messageText": text},
                    },
                    "authorDetails": {
                        "channelId": "UC" + author,
                        "displayName": author,
                        "isVerified": False,
                        "isChatOwner": False,
                        "isChatSponsor": False,
                        "isChatModerator": moderator,
                    },
                }
            )
            return message_id

    def add_super_chat(self, author: str, text: str, amount_micros: int, currency: str) -> str:
        message_id = self.add_text(author, text)
        with self.lock:
            snippet = self.messages[-1]["snippet"]
            snippet["type"] = "superChatEvent"
            snippet["superChatDetails"] = {
                "amountMicros": str(amount_micros),
                "currency": currency,
                "amountDisplayString": f"{amount_micros / 1e6:.2f}",
                "userComment": text,
                "tier": 2,
            }
        return message_id

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        key = headers.get("x-goog-api-key") or query.get("key")
        bearer = headers.get("authorization", "")
        if key != self.api_key and not bearer.startswith("Bearer "):
            return Reply(
                403,
                json.dumps({"error": {"code": 403, "errors": [{"reason": "forbidden"}]}}).encode(),
            )
        if query.get("liveChatId") != self.live_chat_id:
            error = {"error": {"code": 404, "errors": [{"reason": "liveChatNotFound"}]}}
            return Reply(404, json.dumps(error).encode())
        if query.get("part") != "snippet,authorDetails":
            return Reply(400, b'{"error": {"code": 400, "errors": [{"reason": "badPart"}]}}')
        token = query.get("pageToken", "")
        start = int(token[3:]) if token.startswith("tok") else 0
        if self.overlap_next and start > 0:
            start -= 1
            self.overlap_next = False
        page = self.messages[start : start + self.page_size]
        end = start + len(page)
        body: dict[str, Any] = {
            "kind": "youtube#liveChatMessageListResponse",
            "etag": "e",
            "pollingIntervalMillis": self.interval_ms,
            "pageInfo": {"totalResults": len(page), "resultsPerPage": len(page)},
            "nextPageToken": f"tok{end}",
            "items": page,
        }
        if self.offline and end >= len(self.messages):
            body["offlineAt"] = "2024-05-01T13:00:00.000Z"
        return _json(body)


_SHOP_ZONE = timezone(timedelta(hours=-4))
_SHOP_EPOCH = datetime(2024, 5, 1, 12, 0, 0, tzinfo=_SHOP_ZONE)


class ShopifyOrdersServer(PlatformServer):
    path = "/admin/api/2024-07/orders.json"

    def __init__(self, token: str = "shpat_test_token_0123") -> None:
        super().__init__()
        self.token = token
        # The client-credentials grant (POST /admin/oauth/access_token), as for GraphQL.
        self.client_id = "client-id-123"
        self.client_secret = "shpss_client_secret_456"
        self.issued: list[str] = []
        self.orders: list[dict[str, Any]] = []
        self.next_id = 5_000_000_000
        self.call_limit_used = 1
        self._seconds = 0  # the shop's clock: every change is one second after the last
        self._pages: dict[str, tuple[datetime, int]] = {}  # page_info -> (updated min, offset)

    def _now(self) -> str:
        self._seconds += 1
        return (_SHOP_EPOCH + timedelta(seconds=self._seconds)).isoformat()

    def add_order(self, lines: list[tuple[str | None, int, str]], currency: str = "USD") -> int:
        """Add an order of (sku, quantity, unit price) lines; the total is their sum."""
        with self.lock:
            self.next_id += 7  # ids grow but are not consecutive, as on Shopify
            total = sum((Decimal(price) * qty for _, qty, price in lines), Decimal(0))
            now = self._now()
            self.orders.append(
                {
                    "id": self.next_id,
                    "name": f"#{1000 + len(self.orders)}",
                    "created_at": now,
                    "updated_at": now,
                    "cancelled_at": None,
                    "cancel_reason": None,
                    "currency": currency,
                    "total_price": f"{total:.2f}",
                    "financial_status": "paid",
                    "line_items": [
                        {
                            "id": self.next_id * 10 + i,
                            "sku": sku,
                            "quantity": qty,
                            "price": price,
                            "title": f"Product {sku}",
                        }
                        for i, (sku, qty, price) in enumerate(lines)
                    ],
                    "refunds": [],
                }
            )
            return self.next_id

    def _order(self, order_id: int) -> dict[str, Any]:
        return next(order for order in self.orders if order["id"] == order_id)

    def cancel(self, order_id: int, reason: str = "customer") -> None:
        with self.lock:
            order = self._order(order_id)
            order["cancelled_at"] = order["updated_at"] = self._now()
            order["cancel_reason"] = reason
            order["financial_status"] = "voided"

    def refund(self, order_id: int, amount: str, lines: Sequence[tuple[int, int]] = ()) -> int:
        """Refund ``amount``, and (line index, quantity) units, as one refund; its id."""
        with self.lock:
            order = self._order(order_id)
            now = self._now()
            refund_id = order_id * 100 + len(order["refunds"]) + 1
            order["refunds"].append(
                {
                    "id": refund_id,
                    "order_id": order_id,
                    "created_at": now,
                    "processed_at": now,
                    "note": None,
                    "restock": True,
                    "refund_line_items": [
                        {
                            "id": refund_id * 10 + n,
                            "line_item_id": order["line_items"][index]["id"],
                            "quantity": quantity,
                            "restock_type": "return",
                            "line_item": dict(order["line_items"][index]),
                        }
                        for n, (index, quantity) in enumerate(lines)
                    ],
                    "transactions": [
                        {
                            "id": refund_id * 10,
                            "order_id": order_id,
                            "kind": "refund",
                            "status": "success",
                            "amount": amount,
                            "currency": order["currency"],
                        }
                    ],
                }
            )
            order["updated_at"] = now
            order["financial_status"] = "partially_refunded"
            return refund_id

    def respond_post(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path != "/admin/oauth/access_token":
            return Reply(404, b'{"errors":"Not Found"}')
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Reply(401, b'{"error": "invalid_client"}')
        self.token = f"shpat_issued_{len(self.issued) + 1}"
        self.issued.append(self.token)
        return _json({"access_token": self.token, "scope": "read_orders", "expires_in": 86399})

    def expire_token(self) -> None:
        """Shopify revokes the token early: the orders call answers 401."""
        self.token = "expired"

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if headers.get("x-shopify-access-token") != self.token:
            return Reply(401, b'{"errors":"[API] Invalid API key or access token"}')
        call_limit = {"X-Shopify-Shop-Api-Call-Limit": f"{self.call_limit_used}/40"}
        limit = min(250, int(query.get("limit", "50")))
        if "page_info" in query:
            if set(query) - {"page_info", "limit", "fields"}:
                return Reply(400, b'{"errors":"page_info takes no other filters"}')
            updated_min, offset = self._pages[query["page_info"]]
            return self._updated_page(updated_min, offset, limit, call_limit, query)
        if query.get("status") != "any":
            return Reply(400, b'{"errors":"status must be any for this test"}')
        if "updated_at_min" in query:
            updated_min = datetime.fromisoformat(query["updated_at_min"])
            return self._updated_page(updated_min, 0, limit, call_limit, query)
        since_id = int(query.get("since_id", "0"))
        matching = [o for o in self.orders if o["id"] > since_id]
        if self.overlap_next and since_id:
            earlier = [o for o in self.orders if o["id"] <= since_id]
            if earlier:
                matching.insert(0, earlier[-1])
            self.overlap_next = False
        return _json({"orders": _fields(matching[:limit], query)}, call_limit)

    def _updated_page(
        self,
        updated_min: datetime,
        offset: int,
        limit: int,
        headers: dict[str, str],
        query: dict[str, str] | None = None,
    ) -> Reply:
        matching = [
            o for o in self.orders if datetime.fromisoformat(o["updated_at"]) >= updated_min
        ]
        page = matching[offset : offset + limit]
        if offset + limit < len(matching):
            token = f"p{len(self._pages) + 1}"
            self._pages[token] = (updated_min, offset + limit)
            link = f'<{self.url}?limit={limit}&page_info={token}>; rel="next"'
            headers = {**headers, "Link": link}
        return _json({"orders": _fields(page, query)}, headers)


def _fields(orders: list[dict[str, Any]], query: dict[str, str] | None) -> list[dict[str, Any]]:
    """Shopify's ``fields``: only the fields named, as the shop sends them."""
    if not query or not query.get("fields"):
        return orders
    named = query["fields"].split(",")
    return [{name: order[name] for name in named if name in order} for order in orders]


class JsonFeedServer(PlatformServer):
    path = "/feed"

    def __init__(self, poll_ms: int = 1000, page_size: int = 100) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = []
        self.poll_ms = poll_ms
        self.page_size = page_size

    def add_comment(self, author: str, text: str) -> str:
        with self.lock:
            item_id = f"c{len(self.items) + 1}"
            self.items.append({"type": "comment", "id": item_id, "author": author, "text": text})
            return item_id

    def add_order(self, sku: str, quantity: int, price: str, currency: str = "CNY") -> str:
        with self.lock:
            item_id = f"o{len(self.items) + 1}"
            total = Decimal(price) * quantity
            self.items.append(
                {
                    "type": "order",
                    "id": item_id,
                    "currency": currency,
                    "total": str(total),
                    "lines": [{"sku": sku, "quantity": quantity, "price": price}],
                }
            )
            return item_id

    def add_update(
        self,
        order_id: str,
        status: str,
        refund: str | None = None,
        *,
        refund_id: str | None = None,
        lines: Sequence[tuple[str, int]] = (),
    ) -> None:
        """An ``order_update`` item (docs/feed-protocol.md); sent again, it is the same one."""
        with self.lock:
            item: dict[str, Any] = {"type": "order_update", "id": order_id, "status": status}
            if refund is not None:
                item["refund"] = refund
            if refund_id is not None:
                item["refund_id"] = refund_id
            if lines:
                item["lines"] = [{"sku": sku, "quantity": qty} for sku, qty in lines]
            self.items.append(item)

    def add_raw(self, item: dict[str, Any]) -> None:
        with self.lock:
            self.items.append(item)

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        after = query.get("after", "0")
        start = int(after) if after.isdigit() else 0
        if self.overlap_next and start > 0:
            start -= 1
            self.overlap_next = False
        page = self.items[start : start + self.page_size]
        end = start + len(page)
        return _json(
            {
                "items": page,
                "next": str(end),
                "poll_ms": 0 if end < len(self.items) else self.poll_ms,
                "more": end < len(self.items),
            }
        )

    def served_totals(self) -> tuple[int, int, Decimal, dict[str, int]]:
        """(comments, orders, GMV, units by sku) of everything this server holds."""
        with self.lock:
            comments = sum(1 for item in self.items if item["type"] == "comment")
            orders = [item for item in self.items if item["type"] == "order"]
        units: dict[str, int] = {}
        for order in orders:
            for line in order["lines"]:
                units[line["sku"]] = units.get(line["sku"], 0) + line["quantity"]
        gmv = sum((Decimal(order["total"]) for order in orders), Decimal(0))
        return comments, len(orders), gmv, units
