"""Hostile round thirty-two, the Shopify feeds (shop32 fixes): against real local shops
(tests/feeds; one answering both APIs, shop_parts.BothApis), a real FeedHub and StoreWriter,
and the report read from the session file. Each behaviour test failed on the code before its
fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from feed_servers import Reply, ShopifyOrdersServer

import anchordesk.feeds.shopify as shopify_rest
from anchordesk.store.report import build_report

from ..feed_parts import shopify_until


def _report(session: Path) -> dict[str, Any]:
    return build_report(session).to_json()


def _ids_as_text(value: Any) -> Any:
    """``value`` with every id (``id``, ``*_id``) written as a JSON string, as a JavaScript
    proxy writes Shopify's 64-bit ids."""
    if isinstance(value, list):
        return [_ids_as_text(item) for item in value]
    if isinstance(value, dict):
        return {
            key: (
                str(item)
                if (key == "id" or key.endswith("_id")) and isinstance(item, int)
                else _ids_as_text(item)
            )
            for key, item in value.items()
        }
    return value


class _IdsAsText(ShopifyOrdersServer):
    """Shopify REST behind a proxy that writes every id as a string."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        answer = json.loads(reply.body)
        return Reply(reply.status, json.dumps(_ids_as_text(answer)).encode(), reply.headers)


def test_rest_ids_sent_as_strings_are_read_and_move_since_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F3/1 (A): REST ids sent as strings ("5000000007"). Every order was rejected as "no id",
    since_id never moved: the feed asked its first page for the whole show, the orders past
    it never read (pages of 3 here, 5 orders). Now each is read by the id rule of both APIs,
    its refund and the unit back (its line item named by a string id) too."""
    monkeypatch.setattr(shopify_rest, "SHOPIFY_PAGE_LIMIT", 3)
    session = tmp_path / "s.adsession"
    with _IdsAsText() as shop:
        ids = [shop.add_order([("MUG", 1, "10.00")]) for _ in range(5)]
        shop.refund(ids[0], "10.00", [(0, 1)])
        shopify_until(
            shop.url,
            shop.token,
            session,
            lambda: _report(session)["orders"] == 5 if session.exists() else False,
        )
        asked = [query.get("since_id") for _, query, _ in shop.requests]
    report = _report(session)
    assert report["orders"] == 5
    assert report["rejected"] == []
    assert report["gmv_by_currency"] == {"USD": "40.00"}
    assert str(ids[2]) in asked  # the second page asked past the first
