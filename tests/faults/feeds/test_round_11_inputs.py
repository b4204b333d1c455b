"""Hostile inputs, round eleven: what a platform's answers say about themselves (a Twitch
welcome's keepalive, the size of a Helix answer), and kinds of input no round sent. Each test
failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import struct
import tracemalloc
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from feed_servers import JsonFeedServer, Reply
from platform_servers import ShopifyGraphQLServer, TwitchServer, _json, wait_until
from test_poller import Collector, FakeTime, make_poller
from test_shopify_graphql import adapter_for as graphql_adapter_for
from test_twitch import run_with

from anchordesk.cli import main as cli_main
from anchordesk.feeds.poller import ResponseTooLarge
from anchordesk.feeds.twitch import KEEPALIVE_RANGE_S, TwitchChatFeed
from anchordesk.show.feed_items import Comment, CommentRemoval, Order, OrderLine, ViewerStats
from anchordesk.show.ledger import show_snapshot
from anchordesk.showfile import images
from anchordesk.showfile.files import read_show_file
from anchordesk.showfile.samples import sample_show_path
from anchordesk.store import SessionStore

from ..live_runs import SMALL, LiveRun, child_env, run_live
from ..show_inputs import valid_show, write_show
from .test_round_08_inputs import _mug_show


@pytest.mark.parametrize(
    ("sent", "used"), [(-1, 10.0), (math.nan, 10.0), (math.inf, 600.0), ("abc", 10.0)]
)
def test_a_twitch_welcome_keepalive_out_of_twitchs_range_is_held_to_it(
    sent: object, used: float
) -> None:
    """A real EventSub WebSocket server welcomes with ``keepalive_timeout_seconds`` -1, NaN,
    Infinity (Python's JSON writes and reads them) or a word. Before: taken as sent, -1 made
    the silence "past the keepalive" at once, so the feed opened a new connection and posted
    three subscriptions again ~90 times a second (175 connections and 525 Helix calls in 2 s,
    the status "ok"); NaN and Infinity let a dead line go unnoticed for the show; a word was
    "unexpected error (ValueError)" on every connection. Now Twitch's range (10-600 s) holds:
    the silence the feed waits for is the bounded keepalive's, and one connection serves."""
    server, sink = TwitchServer(), Collector()
    server.keepalive_s = sent  # type: ignore[assignment]
    waited_for: list[float] = []

    def timeout_for(keepalive_s: float) -> float:
        waited_for.append(keepalive_s)
        return 30.0  # no real wait: the test is over long before

    async def no_wait(_delay_s: float) -> None:
        await wait_until(lambda: False)()

    def feed() -> TwitchChatFeed:
        return TwitchChatFeed(
            server.feed_url(), server.token, timeout_for=timeout_for, sleep=no_wait
        )

    async def script(_feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        await server.chat("msg-1", "42", "Amy", "How much is the mug?")
        await wait_until(lambda: any(isinstance(item, Comment) for item in sink.items))()

    run_with(server, feed, sink, script)
    assert waited_for and set(waited_for) == {used}
    assert KEEPALIVE_RANGE_S[0] <= used <= KEEPALIVE_RANGE_S[1]
    assert len(server.connections) == 1 and len(server.subscriptions) == 3


def _gzip_of_spaces(prefix: bytes, megabytes: int, suffix: bytes) -> bytes:
    """A JSON answer of ``megabytes`` MB of white space, gzip'd to about a thousandth."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(prefix)]
    spaces = b" " * (1 << 20)
    parts += [packer.compress(spaces) for _ in range(megabytes)]
    parts += [packer.compress(suffix), packer.flush()]
    return b"".join(parts)


class _HelixBomb(TwitchServer):
    """Helix answering the viewer count with 100 MB of JSON in 100 KB of gzip."""

    bomb = _gzip_of_spaces(b'{"data": [{"viewer_count": 5', 100, b"}]}")

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "GET" and path == "/helix/streams":
            return Reply(200, self.bomb, {"Content-Encoding": "gzip"})
        return super().handle(method, path, query, headers, body)


def test_a_helix_answer_past_the_response_cap_is_not_read() -> None:
    """Twitch's viewer count from a real Helix server that answers 100 KB of gzip inflating
    to 100 MB of JSON. Before: the Twitch feed's Helix calls (the viewer count, the chat's
    subscriptions, the token refresh) read whole bodies, past the cap every other feed's call
    keeps (8 MB): 1 MB of such gzip took 2 GB of memory and 12 s, once a minute. Now they go
    through the poller's bounded read: refused past 8 MB of output, in a line."""
    server = _HelixBomb()
    caught: list[BaseException] = []

    async def count() -> None:
        feed = TwitchChatFeed(server.feed_url(), server.token)  # the server's port known
        async with httpx.AsyncClient() as client:
            try:
                await feed.count_viewers(client, Collector())
            except ResponseTooLarge as error:
                caught.append(error)

    tracemalloc.start()
    try:
        with server:
            asyncio.run(count())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [str(error) for error in caught] == [
        "response larger than the 8 MB limit (more was sent): not read"
    ]
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB"


@pytest.mark.parametrize(
    ("header", "codec"),
    [
        ("货号,标题,价格,库存", "utf-16-le"),
        ("货号,标题,价格,库存", "utf-16-be"),
        ("品番,品名,価格,在庫", "utf-16-le"),
        ("货号,标题,价格,库存", "utf-32-le"),
    ],
)
def test_a_unicode_csv_without_its_mark_and_with_a_chinese_or_japanese_header_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, codec: str
) -> None:
    """A CSV in UTF-16 (UTF-32) without its byte-order mark whose header is in Chinese or
    Japanese (the column names the import knows: 货号, 品番 …). Round ten read such files
    when the header's first letter is ASCII, told by the NUL beside it; a CJK letter has
    none, so this valid file was "not UTF-8 text (byte 0x8d at offset 1); save the
    spreadsheet as 'CSV UTF-8'". Now the codec in which the header names a column is used."""
    csv_path = tmp_path / "products.csv"
    csv_path.write_bytes(f"{header}\nMUG,马克杯,24.00,5\n".encode(codec))
    out = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 0, (
        capsys.readouterr().err
    )
    (product,) = json.loads(out.read_text(encoding="utf-8"))["products"]
    assert (product["sku"], product["title"], product["stock"]) == ("MUG", "马克杯", 5)


def _session_with_a_damaged_row(path: Path, damage: str) -> None:
    """A session kept by the real store (an order, a comment, a viewer count, a deletion),
    then one row damaged as a disk or a hand edit leaves it (``damage``: SQL)."""
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(_mug_show())))
    order = Order("json", "o1", "USD", Decimal("24.00"), (OrderLine("MUG", 1, Decimal("24.00")),))
    store.write_batch(
        "json",
        [
            order,
            Comment("json", "c1", "Amy", "How much?"),
            ViewerStats("json", "v1", 120, at="2026-11-29T15:00:00Z", likes=3),
            CommentRemoval("json", "r1", "deleted", comment_id="c1"),
        ],
        "c1",
    )
    store.close()
    with sqlite3.connect(path) as db:
        db.executescript(damage)
    db.close()


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("UPDATE viewer_samples SET online = 'abc'", "online is not a count"),
        ("UPDATE viewer_samples SET online = 1e400", "online is not a count"),
        ("UPDATE viewer_samples SET received_at = 'x'", "received_at is not a time"),
    ],
)
def test_a_damaged_viewer_count_in_a_session_is_skipped_and_listed_by_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str, said: str
) -> None:
    """A session whose one viewer count is damaged (a word, an infinity, a time that is no
    number). Before: `report` (text, --json, --html) ended with a traceback (ValueError,
    OverflowError from int() and float()), where every other table's damaged row is skipped
    and listed. Now the row is skipped and listed, and the sale still counts."""
    path = tmp_path / "s.adsession"
    _session_with_a_damaged_row(path, damage)
    assert cli_main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unreadable_rows"] == [{"table": "viewer_samples", "row": 1, "problem": said}]
    assert report["gmv_by_currency"] == {"USD": "24.00"}


def test_a_session_with_damaged_rows_is_continued_by_live(tmp_path: Path) -> None:
    """`anchordesk live --session S` continuing a session whose one deletion or viewer count
    is damaged. Before: the run started its picture and recording, then crashed as the
    session began ("uncaught exception", ValueError, exit 1, the recording cut at 7 KB): the
    session's restore read those tables with float() and int(). Now the row is skipped (one
    warning) and the show runs to its end."""
    path = tmp_path / "s.adsession"
    _session_with_a_damaged_row(
        path,
        "UPDATE comment_removals SET received_at = 'x'; UPDATE viewer_samples SET likes = 'lots'",
    )
    show = sample_show_path("en")
    record = tmp_path / "rec.mkv"
    run = run_live(
        *SMALL,
        "--seconds",
        "1",
        "--show",
        str(show),
        "--session",
        str(path),
        "--record",
        str(record),
        env=child_env(tmp_path),
    )
    assert run.process.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert "cannot be read" in run.stderr


def _continued_with_a_json_feed(tmp_path: Path, path: Path) -> tuple[LiveRun, list[Any]]:
    """`anchordesk live --session PATH --feed json=URL` for 2 s, a real JSON feed serving one
    new order (o2); the run and the orders the session keeps then (source, id)."""
    server = JsonFeedServer(poll_ms=200).start()
    try:
        server.add_raw(
            {
                "type": "order",
                "id": "o2",
                "currency": "USD",
                "total": "24.00",
                "lines": [{"sku": "MUG", "quantity": 1, "price": "24.00"}],
            }
        )
        run = run_live(
            *SMALL,
            "--seconds",
            "2",
            "--show",
            str(sample_show_path("en")),
            "--session",
            str(path),
            "--feed",
            f"json={server.url}",
            "--record",
            str(tmp_path / "rec.mkv"),
            env=child_env(tmp_path),
        )
    finally:
        server.stop()
    with sqlite3.connect(path) as db:
        kept = sorted(db.execute("SELECT source, id FROM orders").fetchall())
    db.close()
    return run, kept


def test_a_session_whose_feed_cursor_is_damaged_is_continued_with_its_feed(
    tmp_path: Path,
) -> None:
    """`anchordesk live --session S --feed json=URL` continuing a session whose stored cursor
    for that feed holds a byte that is not UTF-8 (a damaged page, a hand edit). Before: the
    feeds' start raised reading it, and no feed asked the server anything for the whole show
    (0 requests, the new order never read), without a word, exit 0. Now that cursor is said
    unreadable and the feed asks from its start."""
    path = tmp_path / "s.adsession"
    _session_with_a_damaged_row(path, "UPDATE cursors SET cursor = CAST(X'FF' AS TEXT)")
    run, kept = _continued_with_a_json_feed(tmp_path, path)
    assert run.process.returncode == 0, run.stderr[-2000:]
    assert kept == [("json", "o1"), ("json", "o2")]
    assert "the stored cursor of feed json cannot be read" in run.stderr


def test_a_session_whose_feed_identity_is_damaged_is_continued_under_its_feeds_name(
    tmp_path: Path,
) -> None:
    """The same with the session's record of which feed is "json" (its identity: a digest of
    the feed's address) holding a byte that is not UTF-8. Before: `live --session` crashed as
    the session began (sqlite3.OperationalError "Could not decode to UTF-8 column
    'identity'", "uncaught exception", exit 1). Now a damaged identity is not known, as in a
    file from before identities: the feed keeps its name, so its orders are not kept and
    counted again under a new one."""
    path = tmp_path / "s.adsession"
    _session_with_a_damaged_row(
        path,
        "INSERT INTO feeds(source, kind, identity, label, first_used_at)"
        " VALUES ('json', 'json', CAST(X'FF' AS TEXT), 'json', 1)",
    )
    run, kept = _continued_with_a_json_feed(tmp_path, path)
    assert run.process.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert kept == [("json", "o1"), ("json", "o2")]


def test_a_session_whose_schema_version_is_a_superscript_digit_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session whose schema version reads "²" (a digit to str.isdigit(), none to int()).
    Before: `report` and `live --session` ended with a traceback ("invalid literal for int()
    with base 10: '²'"): the check asked isdigit() and then int(). Round ten's "３" (a
    full-width digit) is one int() reads. Now the version is said unreadable, exit 2."""
    path = tmp_path / "s.adsession"
    _session_with_a_damaged_row(path, "UPDATE meta SET value = '²' WHERE key = 'schema_version'")
    assert cli_main(["report", str(path)]) == 2
    said = capsys.readouterr().err
    assert "not a usable session file (schema version '²' unreadable)" in said
    assert "Traceback" not in said


def test_a_camera_named_by_a_superscript_digit_is_refused_in_one_line(tmp_path: Path) -> None:
    """`anchordesk live --camera ²`: a slip of the keyboard (AltGr+2). Before: a traceback,
    exit 1 ("invalid literal for int() with base 10: '²'", the spec taken for a camera's
    number by isdigit()). Now it is no number, and no such file: one line, exit 2."""
    run = run_live(
        "--camera", "²", "--no-record", "--to", "rtmp://127.0.0.1:9/live/x", env=child_env(tmp_path)
    )
    assert run.process.returncode == 2, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert "error: --camera ²: no such file" in run.stderr


def _jpeg_claiming(width: int, height: int, *, bytes_before_frame: bytes) -> bytes:
    """A real 16 × 16 JPEG whose frame header claims ``width`` × ``height``, with
    ``bytes_before_frame`` between the segment before it and it."""
    import cv2
    import numpy as np

    encoded, buffer = cv2.imencode(".jpg", np.full((16, 16, 3), 128, np.uint8))
    assert encoded
    data = bytearray(buffer.tobytes())
    index = 2
    while data[index + 1] not in (0xC0, 0xC2):
        index += 2 + struct.unpack(">H", data[index + 2 : index + 4])[0]
    data[index + 5 : index + 9] = struct.pack(">HH", height, width)
    return bytes(data[:index]) + bytes_before_frame + bytes(data[index:])


def test_a_jpeg_hiding_its_frame_size_behind_stray_bytes_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    """A 632-byte JPEG claiming 30,000 × 30,000 pixels, with three stray bytes before its
    frame header (libjpeg skips them: "3 extraneous bytes before marker 0xc0"). Before: the
    header reader stopped at them, the size was "unknown", and the decoder was let loose:
    `show check` took 5.3 GB of memory and 9.7 s, then said the show is valid. Now the stray
    bytes are skipped as libjpeg skips them and the pixel bound holds; an image whose size
    cannot be read is not decoded at all."""
    (tmp_path / "bomb.jpg").write_bytes(_jpeg_claiming(30000, 30000, bytes_before_frame=b"\0" * 3))
    (tmp_path / "sloppy.jpg").write_bytes(_jpeg_claiming(16, 16, bytes_before_frame=b"\0" * 3))
    data = valid_show()
    data["products"][0]["image"] = "bomb.jpg"
    show = write_show(tmp_path, data)
    tracemalloc.start()
    try:
        report = read_show_file(show)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [p.message for p in report.errors] == [
        "image bomb.jpg is 30000×30000 pixels; an image has at most 40 million"
    ]
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.0f} MB"
    data["products"][0]["image"] = "sloppy.jpg"  # a small one with stray bytes still reads
    assert read_show_file(write_show(tmp_path, data)).problems == []


class _SlowRestoringShop(ShopifyGraphQLServer):
    """Shopify's GraphQL answering THROTTLED with a bucket that restores 1e-300 points a
    second (a hostile or broken answer: Shopify's rates are 50 to 1,000)."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        if b"THROTTLED" not in reply.body:
            return reply
        answer = json.loads(reply.body)
        answer["extensions"]["cost"]["throttleStatus"]["restoreRate"] = 1e-300
        return _json(answer)


def test_a_shopify_throttle_wait_past_the_pollers_ceiling_is_said_as_the_wait_taken() -> None:
    """A real Shopify GraphQL server throttles with a restore rate of 1e-300. Before: the
    poller waited its ceiling (60 s) while the feed's status (window, phone, the report's
    feed status) read "throttled by Shopify: waiting 499999999999999942979433…(304 digits)
    s". Now the wait is bounded where it is computed, and said as taken."""
    server = _SlowRestoringShop()
    server.throttle_next = 1
    fake = FakeTime()
    delays: list[float] = []
    with server:
        adapter = graphql_adapter_for(server, fake)

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(adapter, client, Collector(), fake)
                for _ in range(2):  # the token, then the throttled page
                    delays.append(await poller.poll_once())
                    fake.now_s += delays[-1]

        asyncio.run(run())
        note = adapter.status().note
    assert delays[-1] == 60.0
    assert note.endswith("throttled by Shopify: waiting 60.0 s"), note


def test_one_picture_named_by_many_products_is_decoded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shop's export names one placeholder picture for every product. Before round
    eleven, the show's check read and decoded it again for each product: 200 products naming
    one 36-megapixel PNG (18 MB) took `show check` 197 s (10,000 allowed: hours before
    `live`'s first frame). Found here (R11in F10) and fixed in parallel by 936767c (round
    eleven, ui: the editor's check as you type), whose cache this test holds to for `show
    check`: 197 s became 3.0 s. The decoder is counted through (it runs once per file)."""
    decoded: list[int] = []
    real_decodes = images._decodes

    def counted(data: bytes) -> bool:
        decoded.append(len(data))
        return real_decodes(data)

    monkeypatch.setattr(images, "_decodes", counted)
    (tmp_path / "placeholder.jpg").write_bytes(_jpeg_claiming(16, 16, bytes_before_frame=b""))
    (tmp_path / "mug.jpg").write_bytes(_jpeg_claiming(16, 16, bytes_before_frame=b"\0"))
    data = valid_show()
    first = data["products"][0]
    data["products"] = [
        {**first, "sku": f"SKU{number}", "image": "placeholder.jpg"} for number in range(200)
    ] + [{**first, "sku": "MUG", "image": "mug.jpg"}]
    data["rundown"] = [{"title": "Mug", "seconds": 60, "sku": "MUG"}]
    report = read_show_file(write_show(tmp_path, data))
    assert report.errors == []
    assert len(decoded) == 2
