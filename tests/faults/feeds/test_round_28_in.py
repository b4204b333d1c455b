"""Round twenty-eight, inputs (R28hunt28in): feeds, show files, settings, masking."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from feed_servers import JsonFeedServer, Reply, YouTubeChatServer
from platform_servers import TwitchServer

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.settings import load_settings
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report

from ..feed_parts import ingest_until
from ..show_inputs import anchordesk, assert_clean_output, valid_show, write_show


class _SpelledCursorServer(JsonFeedServer):
    """Gives its items once, with a ``next`` cursor that is a number spelled as ``spelled``."""

    spelled = "1e400"

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        body = {"items": [] if "after" in query else self.items, "next": "CURSOR", "poll_ms": 10}
        text = json.dumps(body).replace('"CURSOR"', self.spelled)
        return Reply(200, text.encode(), {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "spelled", ["1e400", "1.5e0", "0.0000001", "-0", "NaN", "-Infinity", "1.50", "1043"]
)
def test_a_cursor_that_is_a_number_is_sent_back_as_the_server_wrote_it(
    tmp_path: Path, spelled: str
) -> None:
    # Read as a value, the JSON feed's cursor 1e400 was sent back as "1E+400", 0.0000001 as
    # "1E-7", -0 as "0", NaN as "nan": a server looking its cursors up by their text knew none
    # of them (R28hunt28in leftover 2; docs: "sends back the next value ... unchanged").
    server = _SpelledCursorServer(poll_ms=10)
    server.spelled = spelled
    with server:
        server.add_comment("a", "hi")
        ingest_until(
            FeedSpec("json", server.url),
            tmp_path / "s.sqlite",
            lambda hub: any("after" in query for _, query, _ in server.requests),
            turns=1000,
        )
    afters = [query["after"] for _, query, _ in server.requests if "after" in query]
    assert afters and set(afters) == {spelled}


def _kept(session: Path) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str]]]:
    """(comment id -> (author id, text), removals as (reason, comment id, author id))."""
    with sqlite3.connect(session) as db:
        comments = {i: (a, t) for i, a, t in db.execute("SELECT id, author_id, text FROM comments")}
        removals = db.execute("SELECT reason, comment_id, author_id FROM comment_removals")
        return comments, [tuple(row) for row in removals]


class _LoneHalfYouTube(YouTubeChatServer):
    """Writes ``LONEA``/``LONEB`` of its messages as JSON's ``\\ud800``/``\\udc00``."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond(query, headers)
        body = reply.body.replace(b"LONEA", b"\\ud800").replace(b"LONEB", b"\\udc00")
        return dataclasses.replace(reply, body=body)


def test_youtube_messages_and_authors_told_apart_only_by_a_lone_half_stay_apart(
    tmp_path: Path,
) -> None:
    # YouTube read every lone surrogate as U+FFFD: messages "m\ud800" and "m\udc00" were one
    # (the second comment lost unsaid), a deletion of one deleted the other, and a ban of
    # author "UCa\ud800" hid "UCa\udc00"'s comments. The JSON feed's rule (core/printable's
    # escaped_id): an id holding a half is rejected with why, an author id kept escaped
    # (R28hunt28in leftover 3).
    server, session = _LoneHalfYouTube(interval_ms=10, page_size=50), tmp_path / "s.sqlite"
    with server:
        for author, text in (("xLONEA", "A"), ("xLONEB", "B"), ("aLONEA", "C"), ("aLONEB", "D")):
            server.add_text(author, text)
        server.messages[0]["id"], server.messages[1]["id"] = "mLONEA", "mLONEB"
        snippet = {"publishedAt": "2024-05-01T12:00:00Z"}
        banned = {"bannedUserDetails": {"channelId": "UCaLONEA", "displayName": "C"}}
        server.messages.append(
            {
                "id": "ban1",
                "snippet": {**snippet, "type": "userBannedEvent", "userBannedDetails": banned},
            }
        )
        deleted = {"deletedMessageId": "mLONEB"}
        server.messages.append(
            {
                "id": "del1",
                "snippet": {
                    **snippet,
                    "type": "messageDeletedEvent",
                    "messageDeletedDetails": deleted,
                },
            }
        )
        ingest_until(
            FeedSpec("youtube-chat", server.feed_url),
            session,
            lambda hub: any(q.get("pageToken") == "tok6" for _, q, _ in server.requests),
            token=server.api_key,
            turns=1000,
        )
    comments, removals = _kept(session)
    assert comments == {
        "LCC.000003": ("UCa\\ud800", "C"),
        "LCC.000004": ("UCa\\udc00", "D"),
    }
    assert removals == [("banned", "", "UCa\\ud800")]
    report = build_report(session)
    rejected = sorted((r.item_id, r.detail) for r in report.rejected)
    assert [item_id for item_id, _ in rejected] == ["del1", "m\\ud800", "m\\udc00"]
    assert all("half a character" in detail for _, detail in rejected)
    assert 'deletedMessageId "m\\udc00"' in rejected[0][1]


def test_twitch_messages_and_authors_told_apart_only_by_a_lone_half_stay_apart(
    tmp_path: Path,
) -> None:
    # Twitch read every lone surrogate of a frame as U+FFFD: chat messages "m\ud800" and
    # "m\udc00" were one (the second lost unsaid), two frames "x\ud800"/"x\udc00" one frame
    # (the second skipped as sent again), a deletion of "m\udc00" deleted "m\ud800", and a ban
    # of user "v\ud800" named "v\udc00" too (R28hunt28in leftover 3).
    server, session = TwitchServer(), tmp_path / "s.sqlite"

    async def run() -> None:
        await server.start_ws()
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("twitch-chat", server.feed_url())],
            writer,
            token_lookup=lambda kind: server.token if kind == "twitch-chat" else None,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        try:
            await server.wait_for_connections(1, subscriptions=3)
            await server.chat("m\ud800", "u\ud800", "Amy", "A")
            await server.chat("m\udc00", "u\udc00", "Bob", "B")
            await server.chat("p1", "v\ud800", "Cy", "C", metadata_id="x\ud800")
            await server.chat("p2", "v\udc00", "Di", "D", metadata_id="x\udc00")
            clear = "channel.chat.clear_user_messages"
            event = {"broadcaster_user_id": server.broadcaster, "target_user_id": "v\ud800"}
            metadata = server._metadata(
                "notification", subscription_type=clear, subscription_version="1"
            )
            payload = {"subscription": server._subscription(clear), "event": event}
            await server.send({"metadata": metadata, "payload": payload})
            await server.delete("m\udc00", "u\udc00")
            await server.chat("p3", "plain", "Ed", "last")
            for _ in range(1000):
                await asyncio.sleep(0.01)
                if "p3" in _kept(session)[0]:
                    break
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            writer.close()
            await server.stop_ws()

    with server:
        asyncio.run(run())
    comments, removals = _kept(session)
    assert comments == {
        "p1": ("v\\ud800", "C"),
        "p2": ("v\\udc00", "D"),
        "p3": ("plain", "last"),
    }
    assert removals == [("banned", "", "v\\ud800")]
    rejected = sorted(r.item_id for r in build_report(session).rejected)
    assert rejected == ["m\\ud800", "m\\udc00", "m\\udc00"]


class _EchoingHelix(TwitchServer):
    """Helix refusing the subscription with a message that quotes the token it was sent."""

    status = 401

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if path == "/helix/eventsub/subscriptions":
            sent = headers.get("authorization", "").removeprefix("Bearer ")
            message = f"invalid token {sent} \x1b[31m"
            return Reply(
                self.status, json.dumps({"status": self.status, "message": message}).encode()
            )
        return super().handle(method, path, query, headers, body)


@pytest.mark.parametrize("status", [401, 403])
def test_a_twitch_refusal_quoting_the_token_ends_the_feed_with_the_token_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    # A Twitch feed ended by Helix ("Twitch refused the token (…)") kept Helix's message as
    # its status unmasked: a Helix (or a proxy) quoting the token had it whole in the feed's
    # status (the window, the remote's state, the session's report) and the log, where every
    # other failure of the feed was masked (R28hunt28in F3).
    server, session = _EchoingHelix(), tmp_path / "s.sqlite"
    server.status = status
    token = server.token = "TWITCHSECRET0123456789abcdefgh"
    health: list[Any] = []

    async def run() -> None:
        await server.start_ws()
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("twitch-chat", server.feed_url())],
            writer,
            token_lookup=lambda kind: token if kind == "twitch-chat" else None,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        try:
            for _ in range(1000):
                await asyncio.sleep(0.01)
                if hub.push_feeds and hub.push_feeds[0].health.state == "ended":
                    break
            health.extend(hub.health())
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            writer.close()
            await server.stop_ws()

    with server, caplog.at_level(logging.INFO):
        asyncio.run(run())
    [feed] = health
    assert feed.state == "ended" and "(invalid token **** " in feed.last_error
    assert "\x1b" not in feed.last_error
    assert "TWITCHSEC" not in caplog.text
    assert token.encode() not in session.read_bytes()


class _EchoingScopes(TwitchServer):
    """Helix refusing the removal subscriptions (403) with a message quoting the token."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        subscribing = path == "/helix/eventsub/subscriptions"
        if subscribing and json.loads(body)["type"] != "channel.chat.message":
            sent = headers.get("authorization", "").removeprefix("Bearer ")
            message = json.dumps({"status": 403, "message": f"no scope for {sent}"})
            return Reply(403, message.encode())
        return super().handle(method, path, query, headers, body)


def test_twitch_log_lines_quoting_helix_or_a_revocation_mask_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # "cannot subscribe to … (Helix's message)" and "Twitch revoked … (its status)" were
    # logged as the server wrote them: a server quoting the token put it whole in the log
    # file (feed tokens are not the log filter's known secrets) (R28hunt28in F4).
    server, session = _EchoingScopes(), tmp_path / "s.sqlite"
    token = server.token = "TWITCHSECRET0123456789abcdefgh"

    async def run() -> None:
        await server.start_ws()
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("twitch-chat", server.feed_url())],
            writer,
            token_lookup=lambda kind: token if kind == "twitch-chat" else None,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        try:
            await server.wait_for_connections(1, subscriptions=1)
            await server.revoke("channel.chat.message_delete", status=f"revoked {token}")
            await server.chat("c1", "42", "Amy", "after")
            for _ in range(1000):
                await asyncio.sleep(0.01)
                if "c1" in _kept(session)[0] and "revoked" in caplog.text:
                    break
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            writer.close()
            await server.stop_ws()

    with server, caplog.at_level(logging.INFO):
        asyncio.run(run())
    assert "cannot subscribe to channel.chat.message_delete (no scope for ****)" in caplog.text
    assert "Twitch revoked channel.chat.message_delete (revoked ****)" in caplog.text
    assert "TWITCHSEC" not in caplog.text


@pytest.mark.parametrize(
    ("destination", "quoted"),
    [
        # A name holding a URL, with a server URL holding a key: the name was quoted whole.
        (
            {
                "name": "rtmp://user:PASSWORD123@h/app/KEY",
                "server_url": "rtmp://x/app/live_12345678_abcdefABCDEF0123",
            },
            "'rtmp://****@h/app/****'",
        ),
        # A name that is no text: its default (the file's preset) was quoted whole. A URL
        # past 8,000 characters is masked whole since R29hunt29in F5 (one cut inside it
        # showed a long password's start).
        (
            {"name": 5, "preset": "rtmp://u:PASSWORD9@h/app/" + "k" * 100_000},
            "'****'",
        ),
        (
            {"name": "x" * 200_000, "server_url": "rtmp://x/app/live_12345678_abcdefABCDEF0123"},
            "x…'",
        ),
    ],
)
def test_a_destination_name_quoted_by_a_settings_problem_is_masked_and_cut(
    tmp_path: Path, destination: dict[str, Any], quoted: str
) -> None:
    # The settings' problem lines (the window's notice, Help, Messages, the log) quoted a
    # destination's name (or a name's default, the file's preset) escaped only: a URL there
    # showed its password, a 200,000-character name was the whole line (R28hunt28in F5).
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"format": 1, "destinations": [{"id": "d1", **destination}]}))
    [problem] = [p for p in load_settings(path).problems if "destination" in p]
    assert quoted in problem and "PASSWORD" not in problem and len(problem) < 400


@pytest.mark.parametrize("padding", [0, 190, 500_000])
def test_a_twitch_revocation_of_a_type_never_asked_for_is_logged_short_escaped_and_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, padding: int
) -> None:
    # "Twitch revoked <type> (…)" logged the revocation's subscription type as sent: a type of
    # 500,000 characters was a 500 kB log line, with its ESC and the token it held (R28hunt28in
    # F6).
    server, session = TwitchServer(), tmp_path / "s.sqlite"
    token = server.token = "TWITCHSECRET0123456789abcdefgh"

    async def run() -> None:
        await server.start_ws()
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("twitch-chat", server.feed_url())],
            writer,
            token_lookup=lambda kind: token if kind == "twitch-chat" else None,
            backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        try:
            await server.wait_for_connections(1, subscriptions=3)
            await server.revoke("x" * padding + "\x1b[2J" + token, status="user_removed")
            for _ in range(1000):
                await asyncio.sleep(0.01)
                if "revoked" in caplog.text:
                    break
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            writer.close()
            await server.stop_ws()

    with server, caplog.at_level(logging.INFO):
        asyncio.run(run())
    [line] = [r.getMessage() for r in caplog.records if "revoked" in r.getMessage()]
    assert len(line) < 400 and "\x1b" not in line and "TWITCHSEC" not in line


def test_keys_written_twice_in_a_show_file_are_said_once_each_and_the_rest_counted(
    tmp_path: Path,
) -> None:
    # `show check` said "'title' is written twice" once per repetition, with no cap (the
    # unknown fields have had one since round twenty): a title written 200,000 times printed
    # 200,000 lines (21 MB, 6 s); 100,000 keys written twice, 100,000 lines (R28hunt28in F7).
    text = json.dumps(valid_show())
    repeated = "".join(f'"title": "t{i}", ' for i in range(200_000))
    twice = "".join(f'"k{i}": 1, "k{i}": 2, ' for i in range(100_000))
    result = anchordesk("show", "check", write_show(tmp_path, "{" + repeated + twice + text[1:]))
    assert result.returncode == 0
    assert_clean_output(result)
    output = result.stdout + result.stderr
    assert output.count("'title' is written twice") == 1
    assert output.count("is written twice") == 20
    assert "99,981 more fields written twice (the last one of each is used): $.k19, $.k20" in output
    assert len(output) < 20_000
