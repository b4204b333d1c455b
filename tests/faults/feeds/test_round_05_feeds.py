"""Round five, feeds (issue 10: "every order and comment is kept, exactly once").

Found: a session continued with another feed of the same kind (``--session S`` with feed A,
then with feed B) gave B A's name (``json``), so B started at A's cursor, and B's orders whose
ids equalled A's were taken for duplicates and lost. Each feed now keeps a name of its own in
the session (store/session_feeds.py): real ``anchordesk live`` runs against two local JSON feed
servers whose ids clash, a real session file, the real report.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sqlite3
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from feed_servers import Fault, JsonFeedServer
from platform_servers import TwitchServer, wait_until
from test_poller import Collector
from test_twitch import run_with

from anchordesk.cli import main as cli_main
from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.feeds.twitch import SUBSCRIPTIONS, TwitchChatFeed
from anchordesk.show.feed_items import Comment, FeedItem, Order, OrderLine, ViewerStats
from anchordesk.store import SessionStore, StoreError, StoreWriter

from ..disks import fill, tmpfs
from ..live_runs import SMALL, LiveRun, child_env
from .test_feed_limits import FakeTime, poller

pytestmark = pytest.mark.integration


def kept(session: Path) -> tuple[int, int]:
    """(comments, orders) in the session file now (0, 0 before its schema exists)."""
    if not session.exists():
        return 0, 0
    try:
        with sqlite3.connect(f"file:{session}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM comments), (SELECT COUNT(*) FROM orders)"
            ).fetchone()
            return int(row[0]), int(row[1])
    except sqlite3.OperationalError:
        return 0, 0


def run_until_kept(tmp_path: Path, session: Path, url: str, expected: tuple[int, int]) -> LiveRun:
    """``anchordesk live --feed json=URL --session S`` until the file holds ``expected``, then
    a SIGTERM (as the operator's stop)."""
    run = LiveRun(
        *SMALL,
        "--record",
        str(tmp_path / "show.mkv"),
        "--feed",
        f"json={url}",
        "--session",
        str(session),
        env=child_env(tmp_path),
    )
    try:
        deadline = time.monotonic() + 60
        while kept(session) != expected:
            assert run.process.poll() is None, run.stderr
            assert time.monotonic() < deadline, f"kept {kept(session)}:\n{run.stderr}"
            time.sleep(0.05)
        run.send(signal.SIGTERM)
        assert run.wait(30) == 0, run.stderr
    finally:
        run.kill()
    assert "Traceback" not in run.stderr, run.stderr
    return run


def afters(server: JsonFeedServer) -> list[str | None]:
    """The cursor (``after``) of each request the server got, in order."""
    with server.lock:
        return [query.get("after") for path, query, _ in server.requests if path == server.path]


def test_a_session_continued_with_another_feed_keeps_both_and_each_its_cursor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_a, feed_b = JsonFeedServer(poll_ms=200), JsonFeedServer(poll_ms=200)
    # The same kinds in the same order: both servers number their items c1, o2, o3.
    feed_a.add_comment("amy", "hello from A")
    feed_a.add_order("A-MUG", 1, "10.00")
    feed_a.add_order("A-MUG", 2, "10.00")
    feed_b.add_comment("bo", "hello from B")
    feed_b.add_order("B-CAP", 1, "7.50")
    feed_b.add_order("B-CAP", 3, "7.50")
    session = tmp_path / "S.sqlite"
    with feed_a, feed_b:
        run_until_kept(tmp_path / "a", session, feed_a.url, (1, 2))
        run_b = run_until_kept(tmp_path / "b", session, feed_b.url, (2, 4))
        # B began at its own beginning, not at A's cursor ("3"), and every one of its orders
        # is kept although their ids are A's.
        assert afters(feed_b)[0] is None
        assert f"feed json#2 is json {feed_b.url}" in run_b.stderr
        assert "feed json#2: polling" in run_b.stderr  # the log tells the two apart

        # A again, with one new order and a page that starts one item early (o3 again).
        feed_a.add_order("A-MUG", 1, "10.00")
        feed_a.inject(Fault("overlap"))
        asked_before = len(afters(feed_a))
        run_a = run_until_kept(tmp_path / "a2", session, feed_a.url, (2, 5))
        assert afters(feed_a)[asked_before] == "3", "A resumes from its own cursor"
        assert "continuing after the stored cursor" in run_a.stderr
        assert "json#2" not in run_a.stderr  # A has its own name back

    assert kept(session) == (2, 5), "nothing stored twice"
    capsys.readouterr()
    assert cli_main(["report", str(session), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    a_gmv = Decimal("10.00") * 4
    b_gmv = Decimal("7.50") * 4
    assert printed["orders"] == 5 and printed["comments"] == 2
    assert Decimal(printed["gmv"]) == a_gmv + b_gmv
    assert printed["orders_by_source"] == {"json": 3, "json#2": 2}
    assert printed["units_by_sku"] == {"A-MUG": 4, "B-CAP": 4}
    store = SessionStore(session, read_only=True)
    try:
        labels = {feed.source: feed.label for feed in store.feeds()}
    finally:
        store.close()
    assert labels == {"json": f"json {feed_a.url}", "json#2": f"json {feed_b.url}"}


def hub_names(session: Path, *urls: str) -> list[str]:
    writer = StoreWriter(session)
    try:
        hub = FeedHub([FeedSpec("json", url) for url in urls], writer, token_lookup=no_token)
        return [adapter.source for adapter in hub.adapters]
    finally:
        writer.close()


def no_token(_name: str) -> None:
    return None


def test_a_session_from_before_feed_names_is_continued_by_its_feed_and_then_kept_apart(
    tmp_path: Path,
) -> None:
    """A format-2 file knows ``json`` but not whose it was: the first run that continues it
    claims it (as every run did before); from then on another feed gets a name of its own."""
    session = tmp_path / "old.adsession"
    store = SessionStore(session)
    order = Order("json", "o2", "CNY", Decimal("10"), (OrderLine("A-MUG", 1, Decimal("10")),))
    store.write_batch("json", [Comment("json", "c1", "amy", "hi"), order], "3")
    store.close()
    with sqlite3.connect(session) as db:
        db.execute("DROP TABLE feeds")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")

    a, b = "http://127.0.0.1:8001/feed", "http://127.0.0.1:8002/feed"
    assert hub_names(session, a) == ["json"]
    assert hub_names(session, b) == ["json#2"]
    assert hub_names(session, b, a) == ["json#2", "json"]
    store = SessionStore(session, read_only=True)
    try:
        assert store.cursors() == {"json": "3"}, "A's cursor stays A's"
        assert [(f.source, f.label) for f in store.feeds()] == [
            ("json", f"json {a}"),
            ("json#2", f"json {b}"),
        ]
    finally:
        store.close()


# -- the store on a full disk: each feed says so once, not on every retry ------------------------


def store_lines(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    """What a user reads (INFO and up) holding ``needle``."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO and needle in r.getMessage()
    ]


def test_with_the_session_disk_full_each_feed_says_so_once_and_applies_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    servers = [JsonFeedServer(poll_ms=200), JsonFeedServer(poll_ms=200)]
    for server in servers:
        server.add_comment("amy", "before the disk filled")
        server.add_order("MUG", 1, "10.00")
    delivered: list[FeedItem] = []
    with tmpfs(tmp_path / "disk", 512) as disk, servers[0], servers[1]:
        writer = StoreWriter(disk / "S.adsession")
        hub = FeedHub(
            [FeedSpec("json", server.url) for server in servers],
            writer,
            on_stored=lambda _source, items, _at: delivered.extend(items),
            token_lookup=no_token,
            # Quick retries, so that many of them happen while the disk is full.
            backoff=BackoffPolicy(first_delay_s=0.02, max_delay_s=0.05),
        )

        async def scenario() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            try:
                await until(lambda: len(delivered) == 4)
                fill(disk)
                asked = [len(server.requests) for server in servers]
                for server in servers:
                    for n in range(150):
                        server.add_comment("bo", f"{n} " + "x" * 2000)
                    server.add_order("MUG", 5, "10.00")
                # Each feed tries its page again and again while the disk stays full.
                await until(
                    lambda: all(
                        len(server.requests) >= before + 6
                        for server, before in zip(servers, asked, strict=True)
                    )
                )
            finally:
                stop.set()
                await task

        try:
            asyncio.run(scenario())
        finally:
            writer.close()
        healths = {health.source: health for health in hub.health()}
    # The store says what is wrong once; each feed once, not once per try.
    store_said = [r for r in caplog.records if r.name == "anchordesk.store.writer"]
    assert len(store_said) == 1 and "is full" in store_said[0].getMessage()
    said = store_lines(caplog, "could not store the page")
    assert sorted(line.split(":")[0] for line in said) == ["feed json", "feed json#2"], said
    assert all(health.errors >= 5 for health in healths.values()), healths
    assert all("could not store the page" in h.last_error for h in healths.values())
    # Nothing that could not be kept was applied (the picture and the report stay equal).
    assert len(delivered) == 4
    assert not store_lines(caplog, "storing pages again")


async def until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_a_store_that_works_again_is_said_once_and_the_page_is_kept_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The session store stops for good on a full disk; another store error may pass (the
    file locked for a while): the feed says so once, then once that pages are stored again."""
    caplog.set_level(logging.INFO)
    server = JsonFeedServer(poll_ms=1000)
    server.add_comment("amy", "hi")
    server.add_order("MUG", 2, "10.00")
    writer = StoreWriter(tmp_path / "S.adsession")
    failures = 3

    async def store(
        source: str, items: Sequence[FeedItem], cursor: str | None
    ) -> Sequence[FeedItem]:
        nonlocal failures
        if failures:
            failures -= 1
            raise StoreError(f"{writer.path}: another program holds this file locked")
        return await writer.write_batch(source, items, cursor)

    fake = FakeTime()

    async def scenario() -> list[float]:
        async with httpx.AsyncClient() as client:
            feed = poller(server.url, client, store, fake)  # type: ignore[arg-type]
            return [await feed.poll_once() for _ in range(6)]

    try:
        with server:
            delays = asyncio.run(scenario())
        kept_items = writer.call(lambda s: (s.count("comments"), s.count("orders"))).result(10)
    finally:
        writer.close()
    assert delays[:3] == [0.5, 1.0, 2.0], "backing off while the store fails (no jitter)"
    assert len(store_lines(caplog, "could not store the page")) == 1
    assert store_lines(caplog, "storing pages again") == [
        "feed json: storing pages again (3 tries could not be stored; their items are asked "
        "for again, none was lost)"
    ]
    assert kept_items == (1, 1)


def test_a_twitch_message_the_store_cannot_keep_is_said_once_and_the_chat_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before: each message the store refused ended the EventSub session ("unexpected error
    (StoreError)", one warning and one reconnect per message; those sent meanwhile lost)."""
    caplog.set_level(logging.INFO)
    server, sink = TwitchServer(), Collector()

    def chat() -> list[Comment]:
        return [item for item in sink.items if isinstance(item, Comment)]

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        await wait_until(lambda: any(isinstance(i, ViewerStats) for i in sink.items))()
        sink.fail_next = 3  # the store refuses the next three items (Collector: "disk full")
        for n in range(5):
            await server.chat(f"msg-{n}", "42", "Amy", f"message {n}")
        await wait_until(lambda: len(chat()) == 2)()

    feed = run_with(
        server,
        lambda: TwitchChatFeed(server.feed_url(), server.token, viewers_every_s=3600),
        sink,
        script,
    )
    assert [c.id for c in chat()] == ["msg-3", "msg-4"], "none shown that was not stored"
    assert feed.reconnects == 0 and len(server.connections) == 1
    assert len(store_lines(caplog, "could not store a message")) == 1
    assert store_lines(caplog, "storing messages again") == [
        "feed twitch-chat: storing messages again (3 could not be kept)"
    ]
