"""A reference bridge: a platform's webhooks and console numbers in, AnchorDesk's feed out.

Douyin, TikTok Shop and Taobao Live do not offer AnchorDesk an API of their own; what a shop
gets is webhooks (an order was paid, refunded) and a console (viewers now, entries, likes). This
bridge turns those into the generic JSON feed protocol (docs/feed-protocol.md):

    POST /webhook/order     {"order_id", "paid_at", "currency", "items": [{"sku", "qty", "price"}]}
    POST /webhook/refund    {"order_id", "refund_id", "amount", "items": [{"sku", "qty"}]}
    POST /webhook/cancel    {"order_id", "cancelled_at"}
    POST /webhook/comment   {"comment_id", "user_id", "nickname", "content", "time"}
    POST /webhook/comment_deleted  {"event_id", "comment_id"}
    POST /console/viewers   {"time", "online", "enter_count", "like_count", "follow_count"}
    GET  /feed?after=N      -> {"items": [...], "next": "M", "poll_ms": 1000}

The webhook bodies above are an example shape: map your platform's own field names in the
``to_*`` functions (that is the whole job of a bridge). Everything is kept in memory in the
order it arrived; the cursor is the position in that list, so AnchorDesk never misses an item
and a re-sent webhook is harmless (AnchorDesk keeps each ``id`` once).

Run it:  python docs/bridge/bridge.py --port 8765 [--token SECRET]
Then:    anchordesk live --show show.json --feed json=http://127.0.0.1:8765/feed
         (the token, if any, in the keyring as user ``json`` or ANCHORDESK_JSON_TOKEN)

Standard library only; a real bridge keeps the list in a database and checks the platform's
webhook signature before it believes a body.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_PAGE = 500


def to_order(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "order",
        "id": str(body["order_id"]),
        "at": body.get("paid_at", ""),
        "currency": body.get("currency", ""),
        "lines": [
            {"sku": line["sku"], "quantity": int(line["qty"]), "price": str(line["price"])}
            for line in body["items"]
        ],
    }


def to_refund(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "order_update",
        "id": str(body["order_id"]),
        "status": "refunded",
        "refund": str(body["amount"]),
        "refund_id": str(body.get("refund_id", "")),
        "lines": [
            {"sku": line["sku"], "quantity": int(line["qty"])} for line in body.get("items", [])
        ],
    }


def to_cancel(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "order_update",
        "id": str(body["order_id"]),
        "status": "cancelled",
        "at": body.get("cancelled_at", ""),
    }


def to_comment(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "comment",
        "id": str(body["comment_id"]),
        "author": body.get("nickname", ""),
        "author_id": str(body.get("user_id", "")),
        "text": body["content"],
        "at": body.get("time", ""),
    }


def to_comment_deleted(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "comment_removed",
        "id": str(body["event_id"]),
        "comment_id": str(body["comment_id"]),
    }


def to_viewers(body: dict[str, Any]) -> dict[str, Any]:
    item = {"type": "viewers", "at": body["time"], "online": int(body["online"])}
    for ours, theirs in (
        ("entered", "enter_count"),
        ("likes", "like_count"),
        ("follows", "follow_count"),
    ):
        if body.get(theirs) is not None:
            item[ours] = int(body[theirs])
    return item


ROUTES = {
    "/webhook/order": to_order,
    "/webhook/refund": to_refund,
    "/webhook/cancel": to_cancel,
    "/webhook/comment": to_comment,
    "/webhook/comment_deleted": to_comment_deleted,
    "/console/viewers": to_viewers,
}


class Bridge:
    """The items in arrival order; ``page(after)`` is the protocol's answer."""

    def __init__(self, token: str = "") -> None:
        self.token = token
        self.items: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def add(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        item = ROUTES[path](body)
        with self.lock:
            self.items.append(item)
        return item

    def page(self, after: str | None) -> dict[str, Any]:
        start = int(after) if after and after.isdigit() else 0
        with self.lock:
            items = self.items[start : start + MAX_PAGE]
            more = start + len(items) < len(self.items)
        return {"items": items, "next": str(start + len(items)), "poll_ms": 1000, "more": more}

    def serve(self, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/feed":
                    self._reply(404, {"error": "the feed is at /feed"})
                    return
                if bridge.token and not hmac.compare_digest(
                    self.headers.get("Authorization", ""), f"Bearer {bridge.token}"
                ):
                    self._reply(401, {"error": "bad token"})
                    return
                after = parse_qs(parts.query).get("after", [None])[0]
                self._reply(200, bridge.page(after))

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length))
                    item = bridge.add(path, body)
                except KeyError as error:
                    self._reply(404 if path not in ROUTES else 400, {"error": f"missing {error}"})
                    return
                except (ValueError, TypeError) as error:
                    self._reply(400, {"error": str(error)})
                    return
                self._reply(200, {"ok": True, "type": item["type"]})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    server = Bridge(args.token).serve(args.host, args.port)
    print(f"bridge: feed at http://{args.host}:{server.server_address[1]}/feed", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
