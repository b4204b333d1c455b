"""The settings file never gets a stream key: a key-shaped server URL is refused by the rule
every front end uses (``live.settings.check_server_url``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from anchordesk.live.settings import (
    PRESETS,
    SERVER_URL_HOLDS_KEY,
    Destination,
    Settings,
    check_server_url,
    load_settings,
    looks_like_stream_key,
    save_settings,
)


@pytest.mark.parametrize(
    ("preset_id", "url"),
    [
        ("youtube", "abcd-efgh-ijkl-mnop-qrst"),  # the key typed where the server goes
        ("youtube", "rtmp://a.rtmp.youtube.com/live2abcd-efgh-ijkl-mnop"),  # appended to it
        ("youtube", "rtmps://a.rtmps.youtube.com:443/live2/abcd-efgh-ijkl-mnop"),
        ("twitch", "rtmp://live.twitch.tv/app/live_123456_AbCdEfGhIj"),
        ("custom", "rtmp://127.0.0.1:1935/live/9f8e7d6c5b4a39281706"),
        ("douyin", "rtmp://push-rtmp-l11.douyincdn.com/third/stream-1234567?expire=1&sign=ab12"),
        ("custom", "rtmp://push.example.com/live/show?txSecret=0a1b2c&txTime=65A0"),
        ("custom", "live_123456_AbCdEfGhIj"),
    ],
)
def test_a_server_url_holding_a_key_is_refused(preset_id: str, url: str) -> None:
    assert check_server_url(PRESETS[preset_id], url) == SERVER_URL_HOLDS_KEY


@pytest.mark.parametrize(
    ("preset_id", "url"),
    [
        ("youtube", "rtmps://a.rtmps.youtube.com:443/live2"),
        ("youtube", "rtmps://b.rtmps.youtube.com:443/live2?backup=1"),
        ("twitch", "rtmp://live.twitch.tv/app"),
        ("custom", "rtmp://127.0.0.1:1935/live"),
        ("custom", "rtmp://studio.example.com/live/stream1"),
        ("kick", "rtmps://fa723fc1b171.global-contribute.live-video.net:443/app/"),
        ("douyin", "rtmp://push-rtmp-l11.douyincdn.com/third"),
    ],
)
def test_ordinary_server_urls_are_accepted(preset_id: str, url: str) -> None:
    preset = PRESETS.get(preset_id, PRESETS["custom"])
    assert check_server_url(preset, url) is None


def test_key_shapes() -> None:
    assert looks_like_stream_key("abcd-1234-efgh-5678-zz9x")
    assert looks_like_stream_key("FB-1234567890-0-AbCdEf")
    assert not looks_like_stream_key("live2")
    assert not looks_like_stream_key("mediaplatform")


def test_a_key_in_a_server_url_never_reaches_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    key = "abcd-efgh-ijkl-mnop-qrst"
    bad = Destination("d1", "Old", "youtube", f"rtmp://a.rtmp.youtube.com/live2/{key}")
    save_settings(Settings(destinations=[bad]), path)
    assert key not in path.read_text(encoding="utf-8")
    assert load_settings(path).destinations[0].server_url == ""

    path.write_text(
        '{"destinations": [{"id": "d1", "name": "Old", "preset": "youtube", '
        f'"server_url": "rtmp://a.rtmp.youtube.com/live2/{key}"}}]}}',
        encoding="utf-8",
    )
    [problem] = load_settings(path).problems  # a file written by an older version: said once
    assert "stream key" in problem and key not in problem
