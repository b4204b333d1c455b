"""The settings file never gets a stream key or a feed token: a key-shaped server URL and a feed
URL with a token or password are refused by the rules every front end uses
(``live.settings.check_server_url``, ``check_feed_url``), and the file is written without them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from anchordesk.core import secrets
from anchordesk.live.settings import (
    FEED_URL_HOLDS_SECRET,
    PRESETS,
    SERVER_URL_HOLDS_KEY,
    Destination,
    FeedSettings,
    Settings,
    check_feed_url,
    check_server_url,
    feed_url_without_secrets,
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


@pytest.fixture
def no_keyring() -> Iterator[None]:
    secrets.store().reset()
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)
    secrets.store().reset()


@pytest.mark.parametrize(
    "url",
    [
        "https://feeds.example.com/comments?token=9f8e7d6c5b4a3928",
        "https://feeds.example.com/comments?room=7&jwt=eyJhbGciOiJIUzI1NiJ9.e30.sig",
        "https://api.example.com/v1/orders?access_token=abc123def456",
        "https://www.googleapis.com/youtube/v3/liveChat/messages?liveChatId=Cg0KC3&key=AIzaSyA1",
        "https://bot:hunter2@feeds.example.com/comments",
        "wss://chat.example.com/ws?auth=s3cr3t",
    ],
)
def test_a_feed_url_holding_a_secret_is_refused(url: str) -> None:
    assert check_feed_url(url) == FEED_URL_HOLDS_SECRET


@pytest.mark.parametrize(
    "url",
    [
        "https://feeds.example.com/comments",
        "https://feeds.example.com/comments?room=7&since=2026-11-28&format=json",
        "https://www.googleapis.com/youtube/v3/liveChat/messages?liveChatId=Cg0KC3h4eHh4eHh4eHh4",
        "https://shop.myshopify.com/admin/api/2024-10/orders.json?status=any",
        "https://feeds.example.com/comments?token=",  # no value: nothing to keep secret
    ],
)
def test_a_feed_url_without_a_secret_is_kept(url: str) -> None:
    assert check_feed_url(url) is None
    assert feed_url_without_secrets(url) == url


def test_a_feed_token_never_reaches_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    token = "9f8e7d6c5b4a39281706"
    feed = FeedSettings("f1", "json", f"https://feeds.example.com/c?room=7&token={token}")
    save_settings(Settings(feeds=[feed]), path)  # the last net: whatever path got it here
    text = path.read_text(encoding="utf-8")
    assert token not in text
    assert '"url": "https://feeds.example.com/c?room=7"' in text


def test_an_old_file_with_a_feed_token_moves_it_to_the_keyring(
    tmp_path: Path, memory_keyring: object
) -> None:
    path = tmp_path / "settings.json"
    token = "9f8e7d6c5b4a39281706"
    path.write_text(
        '{"feeds": [{"id": "f1", "kind": "json", '
        f'"url": "https://feeds.example.com/c?room=7&token={token}"}}]}}',
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.feeds[0].url == "https://feeds.example.com/c?room=7"
    assert secrets.get_secret(secrets.feed_token_name("f1")) == token  # the Token field's
    [problem] = settings.problems  # said once, in words, without the token
    assert "moved to the system keyring" in problem and token not in problem
    assert token not in path.read_text(encoding="utf-8")  # gone from the disk at once
    assert load_settings(path).problems == []


def test_without_a_keyring_an_old_feed_token_is_reported_and_kept_for_this_run(
    tmp_path: Path, no_keyring: None
) -> None:
    path = tmp_path / "settings.json"
    token = "9f8e7d6c5b4a39281706"
    url = f"https://feeds.example.com/c?token={token}"
    path.write_text(
        f'{{"feeds": [{{"id": "f1", "kind": "json", "url": "{url}"}}]}}', encoding="utf-8"
    )
    settings = load_settings(path)
    [problem] = settings.problems
    assert "put the token in the Token field" in problem and token not in problem
    assert settings.feeds[0].url == url  # the feed still works this run; nothing is lost
    save_settings(settings, path)
    assert token not in path.read_text(encoding="utf-8")
