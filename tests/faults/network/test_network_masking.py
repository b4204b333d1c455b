"""One masking rule for secrets wherever they sit in a URL (core.redact's module doc), and the
same rule for text that quotes the URL's parts (FFmpeg's lines, error messages)."""

from __future__ import annotations

import pytest

from anchordesk.core.logs import mask_text
from anchordesk.core.redact import mask_secrets, mask_url, url_secrets
from anchordesk.media.network_child import masked

KEY = "sk_live_51NfaultKEY7c2e"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # A key as the only path segment (the finding), and with the application.
        (f"rtmp://ingest.example/{KEY}", "rtmp://ingest.example/****"),
        (f"rtmps://ingest.example:443/app/{KEY}", "rtmps://ingest.example:443/app/****"),
        (
            "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop",
            "rtmp://a.rtmp.youtube.com/live2/****",
        ),
        (f"rtmp://ingest.example/app/{KEY}/extra", "rtmp://ingest.example/app/****/****"),
        # User info, and every query value of a streaming URL.
        ("rtmp://user:pw@ingest.example/app/k", "rtmp://****@ingest.example/app/****"),
        ("rtmps://h/rtmp/FB-1?s_bl=1&a=K", "rtmps://h/rtmp/****?s_bl=****&a=****"),
        # Feed query secrets, known names or not: ?jwt=, ?session=, an opaque value.
        (
            "https://shop.example/api/v1/comments?since_id=5&jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIi.x",
            "https://shop.example/api/v1/comments?since_id=5&jwt=****",
        ),
        ("https://f.example/c?session=abc", "https://f.example/c?session=****"),
        ("https://f.example/c?x=Zm9vYmFyMTIz", "https://f.example/c?x=****"),
        ("https://f.example/c?auth_key=1", "https://f.example/c?auth_key=****"),
        # A key-looking path segment of a feed URL (webhook style).
        (f"https://hooks.example/in/{KEY}/comments", "https://hooks.example/in/****/comments"),
    ],
)
def test_secrets_are_masked_wherever_they_sit(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "rtmp://ingest.example/live",
        "rtmp://ingest.example/live2",
        "rtmps://live-api-s.facebook.com:443/rtmp",
        "https://shop.example/api/v1/comments",
        "https://shop.example/admin/api/2024-10/orders.json?limit=250&status=any",
        "https://shop.example/orders/123456789?since=2024-05-01T10:00:00Z&order=desc",
        "https://www.googleapis.com/youtube/v3/liveChat/messages?part=snippet,authorDetails",
    ],
)
def test_what_is_clearly_harmless_stays_readable(url: str) -> None:
    assert mask_url(url) == url


def test_text_quoting_the_parts_of_a_url_is_masked_by_the_same_rule() -> None:
    url = f"rtmp://ingest.example/{KEY}?token=tok_987654321"
    # FFmpeg's own log line names the application and the play path on their own.
    line = f"[rtmp @ 0x55] Proto = rtmp, path = /{KEY}, app = {KEY}, fname = x?token=tok_987654321"
    assert KEY not in masked(line, url) and "tok_987654321" not in masked(line, url)
    assert KEY in url_secrets(url)
    assert mask_secrets(f"open {url} failed", url_secrets(url)) == "open **** failed"
    # The log's masking of any URL in a line follows the rule too.
    assert KEY not in mask_text(f"destination: {url}")
    assert "jwt" in mask_text("GET https://f.example/c?jwt=eyJhbGciOi.x.y")
    assert "eyJhbGciOi" not in mask_text("GET https://f.example/c?jwt=eyJhbGciOi.x.y")


def test_a_network_child_inherits_no_token_of_the_program() -> None:
    from anchordesk.media.network_output import child_environment

    parent = {
        "PATH": "/usr/bin",
        "LANG": "zh_CN.UTF-8",
        "LC_ALL": "ja_JP.UTF-8",
        "ANCHORDESK_STREAM_KEY": KEY,
        "ANCHORDESK_SHOPIFY_TOKEN": "shpat_0123456789",
        "AWS_SECRET_ACCESS_KEY": "x" * 40,
        "GITHUB_TOKEN": "ghp_0123456789",
    }
    env = child_environment(parent)
    assert {"PATH", "LANG", "LC_ALL"} <= env.keys()
    assert not {name for name in env if "TOKEN" in name or "KEY" in name or "SECRET" in name}
    assert KEY not in "".join(env.values())


def test_a_feed_is_described_with_its_query_secrets_masked_and_its_path_readable() -> None:
    from anchordesk.feeds.hub import describe_feed
    from anchordesk.feeds.spec import FeedSpec

    url = "https://shop.example/api/v1/comments?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"
    assert describe_feed(FeedSpec("json", url)) == (
        "json https://shop.example/api/v1/comments?jwt=****"
    )
