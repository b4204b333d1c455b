"""Round twenty-six, inputs (R26hunt26in): the fixes of its findings and leftovers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from feed_servers import Fault, JsonFeedServer, Reply, YouTubeChatServer
from platform_servers import TwitchServer, wait_until
from test_poller import Collector
from test_twitch import run_with

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.feeds.twitch import TwitchChatFeed
from anchordesk.live.settings import Settings, load_settings, save_settings
from anchordesk.show.feed_items import MAX_DETAIL_CHARS, Comment, RejectedItem
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report, report_text

from ..feed_parts import ingest
from .test_feed_limits import FakeTime, Sink, poller

TOKEN = "SECRETTOKEN0123456789ABCDEFGHIJ"


def _longest_part_of_token(text: str) -> int:
    return max((n for n in range(1, len(TOKEN) + 1) if TOKEN[:n] in text), default=0)


def test_a_feed_token_cut_in_two_by_a_rejected_items_size_is_masked_not_shown_in_part(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The hub masked the feed's token in a rejected item after the item was cut to the sizes
    # kept (raw 2,000, id 200): a token the cut fell inside was kept, logged and reported in
    # part ("…SECRETTOK…"); an id over 512 characters skipped the mask altogether.
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw({"type": "order", "id": "o1", "note": "x" * 1950 + TOKEN})
        server.add_raw({"type": "order", "id": "y" * 190 + TOKEN})
        server.add_raw({"type": "comment", "id": TOKEN + "z" * 600, "author": "a", "text": "hi"})
        with caplog.at_level(logging.WARNING):
            ingest(server, tmp_path / "s.sqlite", token=TOKEN)
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        rows = db.execute("SELECT item_id, detail, raw FROM rejected_items").fetchall()
    assert len(rows) == 3
    for row in rows:
        for text in row:
            assert _longest_part_of_token(text) < 4, text[-80:]
    assert _longest_part_of_token(caplog.text) < 4
    report = build_report(tmp_path / "s.sqlite")
    assert len(report.rejected) == 3
    assert _longest_part_of_token(report_text(report)) < 4


def test_a_super_chat_with_an_absurd_amount_is_shown_as_a_comment_and_its_amount_rejected(
    tmp_path: Path,
) -> None:
    # A Super Chat whose amount broke the rule was rejected whole (amountMicros "NaN": its
    # text never shown) or kept as paid with the absurd amount (5,000 digits, negative, a
    # currency with a control character). The comment is kept; its amount rejected, counted.
    server = YouTubeChatServer(interval_ms=10, page_size=20)
    with server:
        sent = {
            "1" + "0" * 5000: "amount_too_large",
            "-5000000": "amount_negative",
            "NaN": "amount_not_a_number",
            "12.5": "amount_too_precise",  # 0.0000125 USD
        }
        for micros in sent:
            server.add_super_chat("bob", f"paid {micros[:6]}", 1, "USD")
            server.messages[-1]["snippet"]["superChatDetails"]["amountMicros"] = micros
        server.add_super_chat("cat", "odd currency", 5_000_000, "US\u0000D")
        server.add_super_chat("dan", "fine", 5_000_000, "USD")
        session = tmp_path / "s.sqlite"
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("youtube-chat", server.feed_url)],
            writer,
            token_lookup=lambda kind: server.api_key,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        )

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            for _ in range(500):
                await asyncio.sleep(0.01)
                with sqlite3.connect(session) as db:
                    if db.execute("SELECT count(*) FROM comments").fetchone()[0] >= 6:
                        break
            stop.set()
            await task

        try:
            asyncio.run(run())
        finally:
            writer.close()
    with sqlite3.connect(session) as db:
        comments = db.execute("SELECT author, text, paid_amount, paid_currency FROM comments")
        rows = sorted(comments.fetchall())
    assert len(rows) == 6
    assert [row[2:] for row in rows if row[0] != "dan"] == [(None, "")] * 5
    assert ("dan", "fine", "5", "USD") in rows
    report = build_report(session)
    reasons = sorted(item.reason for item in report.rejected)
    assert reasons == sorted([*sent.values(), "currency_invalid"])
    assert all("Super Chat" in item.detail for item in report.rejected)


class _HugeBitsServer(TwitchServer):
    """Sends a cheer's ``bits`` as a 5,000-digit number (json.dumps cannot write one)."""

    async def send(self, message: dict[str, Any], connection: int = -1) -> None:
        text = json.dumps(message).replace('"bits": 7777', '"bits": ' + "9" * 5000)
        await self.connections[connection].send(text)


def test_a_twitch_cheer_of_5000_digit_bits_keeps_its_comment_and_rejects_the_bits() -> None:
    # The frame's JSON was read by json.loads alone, which refuses an integer of more than
    # 4,300 digits: the whole frame (the comment) was skipped as malformed, unsaid.
    server, sink = _HugeBitsServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await server.chat("msg-1", "42", "Amy", "take my bits", bits=7777)
        await server.chat("msg-2", "43", "Bob", "a real cheer", bits=100)
        await wait_until(lambda: sum(isinstance(i, Comment) for i in sink.items) == 2)()

    feed = run_with(server, lambda: TwitchChatFeed(server.feed_url(), server.token), sink, script)
    comments = {item.id: item for item in sink.items if isinstance(item, Comment)}
    assert comments["msg-1"].text == "take my bits" and comments["msg-1"].paid_amount is None
    assert comments["msg-2"].paid_amount == Decimal(100)
    [rejected] = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert (rejected.item_id, rejected.reason) == ("msg-1", "amount_too_large")
    assert rejected.detail == "cheer bits of 5,000 digits"
    assert feed.reconnects == 0


def test_a_twitch_reconnect_url_that_is_no_url_keeps_the_connection_and_is_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A session_reconnect whose reconnect_url is no WebSocket URL was followed: opening it
    # failed, and the working connection was dropped for a new session at the main URL (new
    # subscriptions; the chat sent meanwhile lost). Kept now, counted, said once.
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        for url in ("not a url", "https://example.com/ws", "wss://:99999/x"):
            await server.reconnect_to(url)
        await server.chat("msg-1", "42", "Amy", "still on the same line")
        await wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))()

    with caplog.at_level(logging.WARNING):
        feed = run_with(
            server, lambda: TwitchChatFeed(server.feed_url(), server.token), sink, script
        )
    assert feed.reconnects == 0 and len(server.connections) == 1
    assert len(server.subscriptions) == 3
    assert feed.health.errors == 0 and feed.health.malformed_responses == 3
    said = [r.getMessage() for r in caplog.records if "asked to move" in r.getMessage()]
    assert said == [
        "feed twitch-chat: Twitch asked to move to 'not a url', which holds a space or a "
        "control character; staying on this connection"
    ]


def test_wrong_typed_numbers_texts_and_language_in_the_settings_are_said_each_by_field(
    tmp_path: Path,
) -> None:
    # `"video_kbps": "6000"` streamed at 2,500, `"port": 80` listened on 1024, `"language":
    # "fr"` showed the system's language, `"recordings_dir": 5` recorded elsewhere: each
    # taken without a word, where a switch or a list of the wrong type was said.
    path = tmp_path / "settings.json"
    data = {
        "language": "fr",
        "encoder": {"video_kbps": "6000", "fps": 1000, "audio_kbps": True, "canvas": 7},
        "remote": {"port": 80},
        "recordings_dir": 5,
        "devices": {"camera": ["cam"]},
    }
    path.write_text(json.dumps(data), "utf-8")
    settings = load_settings(path)
    assert (settings.language, settings.encoder.video_kbps, settings.encoder.fps) == (
        "system",
        2500,
        60,
    )
    assert settings.remote.port == 1024 and settings.recordings_dir is None
    assert settings.problems == [
        'settings: language is "fr", not one of system, en, zh_CN, ja; system taken',
        "settings: devices.camera is [\"cam\"], not a text; 'auto' taken",
        "settings: encoder.canvas is 7, not a text; '1280x720' taken",
        'settings: encoder.video_kbps is "6000", not a whole number; 2500 taken',
        "settings: encoder.audio_kbps is true, not a whole number; 128 taken",
        "settings: encoder.fps is 1000, outside 1 to 60; 60 taken",
        "settings: recordings_dir is 5, not a folder name; recording to the default folder",
        "settings: remote.port is 80, outside 1024 to 65535; 1024 taken",
    ]
    assert len(settings.field_problems) == len(settings.problems)


def test_settings_the_program_wrote_itself_are_read_without_a_word(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(), path)
    assert load_settings(path).problems == []


@pytest.mark.parametrize("kind", ["\u1160order", "order\u3164", "\uffa0comment", "\u115fviewers"])
def test_a_type_that_reads_as_a_known_one_behind_a_hangul_filler_is_rejected_not_dropped(
    tmp_path: Path, kind: str
) -> None:
    # A Hangul filler is a letter (Lo) that shows as nothing: "\u1160order" printed and read as
    # "order", and the item was dropped unsaid as a newer bridge's type (R25 F6's rule looked
    # at categories only, not at Unicode's default-ignorable characters).
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw({"type": kind, "id": "x1", "lines": [], "author": "a", "text": "t"})
        server.add_order("SERUM-30", 1, "10.00")
        ingest(server, tmp_path / "s.sqlite", token=TOKEN)
    [rejected] = build_report(tmp_path / "s.sqlite").rejected
    assert rejected.item_id == "x1" and "types are plain lower-case ASCII" in rejected.detail


def test_a_feed_or_destination_this_version_cannot_use_is_kept_in_the_file_when_saving(
    tmp_path: Path,
) -> None:
    # "feeds[0] has no known kind; skipped": skipped for the run, and deleted from the file by
    # the first save (any change in Settings): a newer version's feed lost for good.
    path = tmp_path / "settings.json"
    newer_feed = {"id": "f9", "kind": "tiktok-live", "url": "https://example.com/live"}
    odd_destination = {"name": "no id", "server_url": "rtmp://example.com/live"}
    data = {
        "feeds": [newer_feed, {"id": "f1", "kind": "json", "url": "https://example.com/f"}],
        "destinations": [odd_destination],
    }
    path.write_text(json.dumps(data), "utf-8")
    settings = load_settings(path)
    assert [feed.feed_id for feed in settings.feeds] == ["f1"]
    assert "settings: feeds[0] has no known kind; skipped" in settings.problems
    settings.record = False  # a change in the window, saved
    save_settings(settings, path)
    saved = json.loads(path.read_text("utf-8"))
    assert newer_feed in saved["feeds"] and odd_destination in saved["destinations"]
    assert len(saved["feeds"]) == 2
    again = load_settings(path)
    assert [feed.feed_id for feed in again.feeds] == ["f1"] and again.record is False


def test_a_feed_token_echoed_in_a_field_the_rules_quote_shortened_is_masked_everywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A value quoted in a rejected item's words is cut to 40 characters (a currency to 20):
    # the token a feed echoed there was shown in part (up to 19 characters), which the whole
    # secret no longer matched. An order the amount rule rejects in the store (a currency
    # holding the token) was not masked at all: its raw kept the whole token.
    line = {"sku": "A", "quantity": 1, "price": "1.00"}
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw({"type": "order", "id": "c1", "currency": "x" * 10 + TOKEN, "lines": [line]})
        bad_quantity = {"sku": "A", "quantity": "q" * 20 + TOKEN, "price": "1"}
        server.add_raw({"type": "order", "id": "c2", "lines": [bad_quantity]})
        server.add_raw({"type": "order_update", "id": "c3", "status": "s" * 20 + TOKEN})
        server.add_raw({"type": "order", "id": "c4", "currency": "USD", "lines": [line]})
        server.add_raw({"type": "order", "id": "c4", "currency": "USD", "lines": [line] * 2})
        with caplog.at_level(logging.WARNING):
            ingest(server, tmp_path / "s.sqlite", token=TOKEN)
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        rows = db.execute("SELECT item_id, detail, raw FROM rejected_items").fetchall()
    assert sorted(row[0] for row in rows) == ["c1", "c2", "c3", "c4"]
    for row in rows:
        for text in row:
            assert _longest_part_of_token(text) < 4, text
    report = build_report(tmp_path / "s.sqlite")
    assert _longest_part_of_token(caplog.text) < 4
    assert _longest_part_of_token(report_text(report)) < 4
    assert report.orders == 1


class _LoneHalvesServer(JsonFeedServer):
    """Writes ``LONE1``/``LONE2`` of its items as JSON's ``\\ud800``/``\\udc00``: a bridge that
    cut an emoji in two, at different places."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        body = reply.body.replace(b"LONE1", b"\\ud800").replace(b"LONE2", b"\\udc00")
        return dataclasses.replace(reply, body=body)


def test_refunds_and_authors_told_apart_only_by_a_lone_surrogate_stay_apart(
    tmp_path: Path,
) -> None:
    # R25 F7 kept ids apart; two refunds of one order told apart only by their refund_id were
    # one rejected item (both stored with U+FFFD), and the second dropped unsaid. Two authors
    # "u\ud800" and "u\udc00" were one author: a ban of one hid the other's comments.
    line = {"sku": "A", "quantity": 1, "price": "1.00"}
    server = _LoneHalvesServer(poll_ms=10)
    with server:
        server.add_raw({"type": "order", "id": "o1", "currency": "USD", "lines": [line]})
        for refund_id in ("rLONE1", "rLONE2"):
            refund = {"status": "refunded", "refund": "1.00", "refund_id": refund_id}
            server.add_raw({"type": "order_update", "id": "o1", "currency": "USD", **refund})
        for comment_id, author_id in (("c1", "uLONE1"), ("c2", "uLONE2")):
            comment = {"author": "a", "text": "t", "author_id": author_id}
            server.add_raw({"type": "comment", "id": comment_id, **comment})
        server.add_raw({"type": "comment_removed", "id": "ban1", "author_id": "uLONE1"})
        ingest(server, tmp_path / "s.sqlite", token=TOKEN)
    report = build_report(tmp_path / "s.sqlite")
    assert sorted(item.detail[:19] for item in report.rejected) == [
        'refund_id "r\\ud800"',
        'refund_id "r\\udc00"',
    ]
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        authors = dict(db.execute("SELECT id, author_id FROM comments").fetchall())
        [banned] = db.execute("SELECT author_id FROM comment_removals").fetchone()
    assert [comment for comment, author in authors.items() if author == banned] == ["c1"]


@pytest.mark.parametrize("value", ["99999999999999999999", "9" * 400, "1234567890123.5"])
def test_a_retry_after_of_many_digits_waits_the_longest_not_the_backoff(value: str) -> None:
    # Delta-seconds of 13 digits or more read as no header: the feed asked a server that said
    # "much later" again after its first backoff steps (1 s, 2 s, 4 s…).
    server = JsonFeedServer(poll_ms=1000)
    sink, fake = Sink(), FakeTime()
    with server:
        server.inject(*[Fault("status", 429, {"Retry-After": value})] * 3)

        async def scenario() -> list[float]:
            async with httpx.AsyncClient() as client:
                feed = poller(server.url, client, sink, fake)
                return [await feed.poll_once() for _ in range(3)]

        delays = asyncio.run(scenario())
    assert delays == [600.0] * 3


class _BadBadgesServer(TwitchServer):
    """Sends each chat message's ``badges`` as the test sets them."""

    badges: object = None

    async def send(self, message: dict[str, Any], connection: int = -1) -> None:
        event = message.get("payload", {}).get("event", {})
        if "badges" in event:
            event["badges"] = self.badges
        await self.connections[connection].send(json.dumps(message))


@pytest.mark.parametrize(
    ("badges", "moderator"),
    [("moderator", False), ([None, 5], False), ([{"set_id": "moderator"}, "vip"], True)],
)
def test_a_twitch_comment_with_malformed_badges_is_kept_and_said_once(
    badges: object, moderator: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Badges that are no list of objects rejected the whole comment ("a text where an object
    # belongs"): its text never shown, for a field that only tells a moderator.
    server, sink = _BadBadgesServer(), Collector()
    server.badges = badges

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await server.chat("msg-1", "42", "Amy", "first")
        await server.chat("msg-2", "43", "Bob", "second")
        await wait_until(lambda: sum(isinstance(i, Comment) for i in sink.items) == 2)()

    with caplog.at_level(logging.WARNING):
        run_with(server, lambda: TwitchChatFeed(server.feed_url(), server.token), sink, script)
    comments = [item for item in sink.items if isinstance(item, Comment)]
    assert [comment.text for comment in comments] == ["first", "second"]
    assert not any(isinstance(item, RejectedItem) for item in sink.items)
    assert [comment.is_moderator for comment in comments] == [moderator] * 2
    said = [r.getMessage() for r in caplog.records if "badges are" in r.getMessage()]
    assert len(said) == 1 and "the comment is kept" in said[0]


def test_a_damaged_sessions_huge_rejected_detail_is_reported_at_the_size_kept(
    tmp_path: Path,
) -> None:
    # A session whose rejected row holds a 1,000,000-character detail (damaged, hand-edited,
    # an older writer) printed it whole: a 1 MB line in the report, the JSON and the page.
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw({"type": "order", "id": "o1"})
        ingest(server, tmp_path / "s.sqlite", token=TOKEN)
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.execute("UPDATE rejected_items SET detail = ?", ("d" * 1_000_000,))
    report = build_report(tmp_path / "s.sqlite")
    [rejected] = report.rejected
    assert len(rejected.detail) == MAX_DETAIL_CHARS and rejected.detail.endswith("…")
    assert len(report_text(report)) < 5_000
