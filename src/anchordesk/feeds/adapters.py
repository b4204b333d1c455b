"""The platforms' calls: YouTube live chat and the generic JSON feed (Shopify orders are in
shopify.py, re-exported here).

Each adapter only builds a request and reads a response; the polling core (poller.py) does the
waiting, retrying and storing. Base URLs are whatever the user passed with ``--feed``, so every
adapter can point at a local server (tests, a bridge, a mirror).

Money is read as ``Decimal`` straight from the JSON text (``parse_float=Decimal``): a price of
19.99 never goes through a float.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from anchordesk.feeds.parsing import (
    as_text,
    load_json,
    money,
    refund_amount,
    split_url,
    unreadable_item,
)
from anchordesk.feeds.poller import FeedRequest, MalformedResponse, Page
from anchordesk.feeds.shopify import SHOPIFY_PAGE_LIMIT, ShopifyOrdersAdapter
from anchordesk.show.feed_items import (
    ORDER_UPDATE_STATUSES,
    Comment,
    FeedItem,
    Order,
    OrderLine,
    OrderUpdate,
    RefundLine,
)

__all__ = [
    "SHOPIFY_PAGE_LIMIT",
    "JsonFeedAdapter",
    "ShopifyOrdersAdapter",
    "YouTubeChatAdapter",
    "load_json",
]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# YouTube Data API v3: liveChatMessages.list
# --------------------------------------------------------------------------------------------

YOUTUBE_DEFAULT_URL = "https://www.googleapis.com/youtube/v3/liveChat/messages"
_YOUTUBE_COMMENT_TYPES = ("textMessageEvent", "superChatEvent")
_YOUTUBE_ENDED_REASONS = ("liveChatEnded", "liveChatDisabled", "liveChatNotFound", "forbidden")


class YouTubeChatAdapter:
    """``GET …/liveChat/messages?liveChatId=…&part=snippet,authorDetails&pageToken=…``.

    ``url`` is the list endpoint with ``liveChatId`` in its query. The token is an API key
    (sent as the ``X-Goog-Api-Key`` header so it never sits in a URL that could be logged) or an
    OAuth access token (``Authorization: Bearer``); keys from Google start with ``AIza``.
    """

    default_interval_s = 5.0

    def __init__(self, url: str, token: str | None, source: str = "youtube-chat") -> None:
        self.source = source
        self._endpoint, params = split_url(url)
        chat_id = params.pop("liveChatId", "").strip()
        if not chat_id:
            raise ValueError(
                "youtube-chat needs the live chat id in the URL: "
                f"{YOUTUBE_DEFAULT_URL}?liveChatId=ID"
            )
        params.pop("key", None)  # a key in the URL would be logged: use the keyring instead
        self.live_chat_id = chat_id
        self._extra = params
        self._token = token or ""

    def secrets(self) -> tuple[str, ...]:
        return (self._token,) if self._token else ()

    def request(self, cursor: str | None) -> FeedRequest:
        params = {
            **self._extra,
            "liveChatId": self.live_chat_id,
            "part": "snippet,authorDetails",
            "maxResults": "2000",
        }
        if cursor:
            params["pageToken"] = cursor
        headers: dict[str, str] = {}
        if self._token.startswith("AIza"):
            headers["X-Goog-Api-Key"] = self._token
        elif self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return FeedRequest(self._endpoint, params, headers)

    def ended_reason(self, response: httpx.Response) -> str | None:
        if response.status_code not in (403, 404):
            return None
        try:
            body = json.loads(response.content)
            reasons = [e.get("reason", "") for e in body["error"]["errors"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        for reason in reasons:
            if reason in _YOUTUBE_ENDED_REASONS:
                return f"YouTube: {reason}"
        return None

    def parse(self, response: httpx.Response, cursor: str | None) -> Page:
        body = load_json(response)
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise MalformedResponse("expected an object with an 'items' list")
        items: list[FeedItem] = []
        malformed = 0
        for raw in body.get("items", []):
            try:
                comment = self._comment(raw)
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                malformed += 1
                items.append(unreadable_item(self.source, raw, error, "comment"))
                continue
            if comment is not None:
                items.append(comment)
        next_token = body.get("nextPageToken")
        interval_ms = body.get("pollingIntervalMillis")
        interval_s = (
            float(interval_ms) / 1000.0
            if isinstance(interval_ms, int | Decimal) and not isinstance(interval_ms, bool)
            else None
        )
        return Page(
            items=items,
            cursor=next_token if isinstance(next_token, str) and next_token else None,
            interval_s=interval_s,
            ended=bool(body.get("offlineAt")),
            malformed_items=malformed,
        )

    def _comment(self, raw: Mapping[str, Any]) -> Comment | None:
        item_id = raw["id"]
        if not isinstance(item_id, str) or not item_id:
            raise ValueError("no id")
        snippet = raw["snippet"]
        kind = snippet.get("type", "")
        if kind not in _YOUTUBE_COMMENT_TYPES:
            return None  # deletions, bans, memberships: not comments
        author = raw.get("authorDetails") or {}
        text = as_text(snippet.get("displayMessage"))
        paid_amount: Decimal | None = None
        paid_currency = ""
        details = snippet.get("superChatDetails")
        if kind == "superChatEvent" and isinstance(details, dict):
            micros = details.get("amountMicros")
            if micros is not None:
                paid_amount = money(micros) / Decimal(1_000_000)
            paid_currency = as_text(details.get("currency"))
            text = text or as_text(details.get("userComment"))
        return Comment(
            source=self.source,
            id=item_id,
            author=as_text(author.get("displayName")),
            text=text,
            published_at=as_text(snippet.get("publishedAt")),
            is_moderator=bool(author.get("isChatModerator")),
            is_owner=bool(author.get("isChatOwner")),
            paid_amount=paid_amount,
            paid_currency=paid_currency,
        )


# --------------------------------------------------------------------------------------------
# The generic JSON feed (docs/feed-protocol.md)
# --------------------------------------------------------------------------------------------


class JsonFeedAdapter:
    """``GET URL?after=CURSOR`` → ``{"items": [...], "next": CURSOR, "poll_ms": N}``."""

    default_interval_s = 1.0

    def __init__(self, url: str, token: str | None, source: str = "json") -> None:
        self.source = source
        self._endpoint, self._extra = split_url(url)
        self._token = token or ""

    def secrets(self) -> tuple[str, ...]:
        return (self._token,) if self._token else ()

    def request(self, cursor: str | None) -> FeedRequest:
        params = dict(self._extra)
        if cursor:
            params["after"] = cursor
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        return FeedRequest(self._endpoint, params, headers)

    def ended_reason(self, response: httpx.Response) -> str | None:
        return "the feed is gone (HTTP 410)" if response.status_code == 410 else None

    def parse(self, response: httpx.Response, cursor: str | None) -> Page:
        body = load_json(response)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise MalformedResponse("expected an object with an 'items' list")
        items: list[FeedItem] = []
        malformed = 0
        for raw in body["items"]:
            try:
                item = self._item(raw)
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                malformed += 1
                # Kept as rejected (the hub logs it once and the report lists it).
                items.append(unreadable_item(self.source, raw, error))
                continue
            if item is not None:
                items.append(item)
        next_cursor = body.get("next")
        poll_ms = body.get("poll_ms")
        interval_s = (
            float(poll_ms) / 1000.0
            if isinstance(poll_ms, int | Decimal) and not isinstance(poll_ms, bool)
            else None
        )
        return Page(
            items=items,
            cursor=as_text(next_cursor) if next_cursor not in (None, "") else None,
            interval_s=interval_s,
            more=body.get("more") is True,
            ended=body.get("ended") is True,
            malformed_items=malformed,
        )

    def _item(self, raw: Mapping[str, Any]) -> FeedItem | None:
        item_id = raw["id"]
        if isinstance(item_id, bool) or not isinstance(item_id, str | int) or item_id == "":
            raise ValueError("no id")
        kind = raw["type"]
        if kind == "comment":
            return Comment(
                source=self.source,
                id=str(item_id),
                author=as_text(raw.get("author")),
                text=as_text(raw["text"]),
                published_at=as_text(raw.get("at")),
                is_moderator=raw.get("moderator") is True,
                is_owner=raw.get("owner") is True,
            )
        if kind == "order":
            lines = []
            for line in raw["lines"]:
                quantity = line["quantity"]
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                    raise ValueError("bad quantity")
                lines.append(
                    OrderLine(
                        sku=as_text(line["sku"]).strip(),
                        quantity=quantity,
                        unit_price=money(line["price"]),
                        title=as_text(line.get("title")),
                    )
                )
            total = raw.get("total")
            return Order(
                source=self.source,
                id=str(item_id),
                currency=as_text(raw.get("currency")).upper(),
                total_price=money(total)
                if total is not None
                else sum((line.amount for line in lines), Decimal(0)),
                lines=tuple(lines),
                created_at=as_text(raw.get("at")),
                customer=as_text(raw.get("customer")),
            )
        if kind == "order_update":
            status = raw["status"]
            if status not in ORDER_UPDATE_STATUSES:
                raise ValueError(f"status {status!r} is not one of {ORDER_UPDATE_STATUSES}")
            refund_lines = []
            for line in raw.get("lines") or []:
                quantity = line["quantity"]
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                    raise ValueError("bad quantity")
                refund_lines.append(RefundLine(as_text(line["sku"]).strip(), quantity))
            refund_id = raw.get("refund_id")
            return OrderUpdate(
                source=self.source,
                order_id=str(item_id),
                status=status,
                refund=refund_amount(raw.get("refund")),
                currency=as_text(raw.get("currency")).upper(),
                refund_id="" if refund_id in (None, "") else str(refund_id),
                lines=tuple(refund_lines),
                at=as_text(raw.get("at")),
            )
        return None  # an unknown kind from a newer bridge: ignored, not an error
