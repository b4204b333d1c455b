"""The hub's set-up: feed names, tokens, and the Shopify window across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from anchordesk.feeds.hub import FeedHub, FeedSetupError, source_names
from anchordesk.options import FeedSpec
from anchordesk.store import StoreWriter


def test_repeated_kinds_get_stable_names() -> None:
    assert source_names(["json", "youtube-chat", "json"]) == ["json", "youtube-chat", "json#2"]


def test_shopify_only_asks_for_orders_since_the_session_began_even_after_a_restart(
    tmp_path: Path,
) -> None:
    writer = StoreWriter(tmp_path / "s.adsession")
    try:
        writer.call(lambda store: store.set_meta("created_at", "1714564800.0")).result(5)
        hub = FeedHub(
            [FeedSpec("shopify-orders", "https://shop.example/admin/api/2024-07/orders.json")],
            writer,
            token_lookup=lambda kind: "shpat_secret",
        )
        request = hub.adapters[0].request(None)
        assert request.params["created_at_min"] == "2024-05-01T12:00:00+00:00"
        assert request.headers["X-Shopify-Access-Token"] == "shpat_secret"
        assert "shpat_secret" not in request.url
    finally:
        writer.close()


def test_feeds_that_cannot_work_are_one_line_errors(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "s.adsession")
    try:
        with pytest.raises(FeedSetupError, match="liveChatId"):
            FeedHub([FeedSpec("youtube-chat", "https://www.googleapis.com/youtube/v3/x")], writer)
        with pytest.raises(FeedSetupError, match="needs a show"):
            FeedHub([FeedSpec("rehearsal", "")], writer)
        with pytest.raises(FeedSetupError, match=r"orders\.json"):
            FeedHub([FeedSpec("shopify-orders", "https://shop.example/admin")], writer)
    finally:
        writer.close()
