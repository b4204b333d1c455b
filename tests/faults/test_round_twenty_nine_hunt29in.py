"""Round twenty-nine, inputs (R29hunt29in): feeds, settings, masking."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from feed_servers import Fault, JsonFeedServer, YouTubeChatServer

from anchordesk.feeds.spec import FeedSpec

from .feed_parts import ingest_until


def _ended_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "ended the feed" in r.getMessage()]


def test_the_log_line_of_a_feed_the_platform_ended_says_the_platform_s_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The log said "the platform ended the feed" and no more: the reason (a 410, YouTube's
    # liveChatEnded) was only in the feed's status, gone with the window (R28 left).
    caplog.set_level(logging.INFO, logger="anchordesk")
    json_server = JsonFeedServer(poll_ms=10)
    youtube = YouTubeChatServer(interval_ms=10)
    ended = json.dumps({"error": {"code": 403, "errors": [{"reason": "liveChatEnded"}]}})
    with json_server, youtube:
        json_server.inject(Fault("status", 410))
        youtube.inject(Fault("status", 403, body=ended.encode()))
        for spec in (FeedSpec("json", json_server.url), FeedSpec("youtube-chat", youtube.feed_url)):
            ingest_until(
                spec,
                tmp_path / f"{spec.kind}.sqlite",
                lambda hub: hub.pollers[0].health.state == "ended",
                token=youtube.api_key if spec.kind == "youtube-chat" else None,
            )
    lines = _ended_lines(caplog)
    assert len(lines) == 2
    assert "the feed is gone (HTTP 410)" in lines[0]
    assert "YouTube: liveChatEnded" in lines[1]
