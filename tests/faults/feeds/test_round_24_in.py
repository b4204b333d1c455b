"""Round twenty-four of issue 10, inputs: feeds, show files, the session store, the report and
the settings file (hunt24in). Real local HTTP feed servers, real session files."""

from __future__ import annotations

import json
import os
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from feed_servers import JsonFeedServer
from platform_servers import TwitchServer, wait_until
from test_poller import Collector
from test_twitch import run_with

from anchordesk.core import secrets
from anchordesk.feeds.quota import QUOTA_FILE_NAME, DailyQuota
from anchordesk.feeds.twitch import TwitchChatFeed
from anchordesk.live.settings import Settings, feed_specs, load_settings, save_settings
from anchordesk.show.feed_items import Comment, OrderUpdate
from anchordesk.store.report import build_report

from ..feed_parts import ingest


def _order(order_id: str, price: str = "10.00") -> dict[str, Any]:
    return {
        "type": "order", "id": order_id, "currency": "USD", "total": price,
        "lines": [{"sku": "A", "quantity": 1, "price": price}],
    }  # fmt: skip


def _refund(order_id: str, **terms: str) -> dict[str, Any]:
    return {"type": "order_update", "id": order_id, "status": "refunded", **terms}


# Each pair: an update of one order, then an update of ANOTHER order whose key read the same
# ("a1" refund "x:cancelled" and the cancellation of "a1:refund:x" were both
# "a1:refund:x:cancelled"). The feed's figures: 2 orders of 10.00, each given some back.
COLLIDING = [
    pytest.param(
        _refund("a1", refund="1.00", refund_id="x:cancelled"),
        {"type": "order_update", "id": "a1:refund:x", "status": "cancelled"},
        Decimal("9.00"),
        id="refund id ends in :cancelled",
    ),
    pytest.param(
        _refund("a1", refund="2.00", refund_id="r:refund:s"),
        _refund("a1:refund:r", refund="3.00", refund_id="s"),
        Decimal("15.00"),
        id="refund id holds :refund:",
    ),
    pytest.param(
        _refund("a1", refund="4.00", refund_id="r:refund=5"),
        _refund("a1:refund:r", refund="5.00"),
        Decimal("11.00"),
        id="refund id holds :refund=",
    ),
    pytest.param(  # the same terms: the second was dropped by the poller, nothing said
        _refund("a1", refund="2.00", refund_id="r:refund:s"),
        _refund("a1:refund:r", refund="2.00", refund_id="s"),
        Decimal("16.00"),
        id="same terms, silent loss",
    ),
    pytest.param(
        _refund("a1", refund_id="x:refund=all"),
        _refund("a1:refund:x"),
        Decimal("0.00"),
        id="whole refunds, silent loss",
    ),
]


@pytest.mark.parametrize(("first", "second", "gmv"), COLLIDING)
def test_an_order_id_holding_a_key_s_words_does_not_take_another_order_s_update(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any], gmv: Decimal
) -> None:
    # R23hunt23in F4/F5: the report said 53.00 for a feed's 35.00, or lost the second order's
    # refund without a word (0 rejected): the update's key was its parts joined with ":".
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order(first["id"]))
        server.add_raw(_order(second["id"]))
        server.add_raw(first)
        server.add_raw(second)
        ingest(server, tmp_path / "s.adsession")
    report = build_report(tmp_path / "s.adsession")
    assert report.ledger.gmv_by_currency == {"USD": gmv}
    assert report.rejected == []


def test_a_session_written_before_the_escape_is_continued_without_counting_twice(
    tmp_path: Path,
) -> None:
    # Keys of ids without the key's words stay the keys older versions wrote: a session of
    # theirs, continued, takes its updates sent again for copies, not new refunds.
    updates = [
        {"type": "order_update", "id": "o1", "status": "cancelled"},
        _refund("gid://shop/Order/2", refund="1.5", refund_id="gid://shop/Refund/9"),
        _refund("urn:o:3", refund="2.50"),
        _refund("o=4"),
        _refund("shop:refunds-5", refund_id="a\\b"),
    ]
    orders = [_order(update["id"]) for update in updates]
    session = tmp_path / "s.adsession"
    server = JsonFeedServer(poll_ms=10)
    with server:
        for item in orders + updates:
            server.add_raw(item)
        ingest(server, session)
        with sqlite3.connect(session) as db:
            keys = [row[0] for row in db.execute("SELECT id FROM order_updates ORDER BY seq")]
        assert keys == [  # as written by every version before this one
            "o1:cancelled",
            "gid://shop/Order/2:refund:gid://shop/Refund/9",
            "urn:o:3:refund=2.5",
            "o=4:refund=all",
            "shop:refunds-5:refund:a\\b",
        ]
        for item in updates:  # the program restarted: the feed sends them again
            server.add_raw(item)
        ingest(server, session)
    report = build_report(session)
    assert report.ledger.gmv_by_currency == {"USD": Decimal("16.00")}
    assert report.rejected == []


def test_every_update_has_a_key_of_its_own() -> None:
    # Ids and refund ids made of the key's words and its escape, every way: no two keys alike.
    words = ["", ":", "\\", ";", "refund", "cancelled", "=", "all", "5", "s"]
    ids = {a + b + c for a in words for b in words for c in words}
    keys: dict[str, tuple[object, ...]] = {}
    for order_id in ids:
        updates = [OrderUpdate("j", order_id, "cancelled"), OrderUpdate("j", order_id, "refunded")]
        updates.append(OrderUpdate("j", order_id, "refunded", Decimal("5")))
        updates += [
            OrderUpdate("j", order_id, "refunded", refund_id=refund_id)
            for refund_id in ids
            if refund_id
        ]
        for update in updates:
            terms = (update.order_id, update.status, update.refund, update.refund_id)
            assert keys.setdefault(update.id, terms) == terms, update.id


def test_a_settings_file_with_a_lone_surrogate_has_its_feed_token_moved_not_a_traceback(
    tmp_path: Path, memory_keyring: Any
) -> None:
    # JSON's "\ud800" reads as a lone surrogate; with a working keyring the loader rewrites
    # the file without the feed's token, and the rewrite raised UnicodeEncodeError (not an
    # OSError, not caught): `anchordesk live` and the window ended before their first line.
    path = tmp_path / "settings.json"
    destination = {"id": "d1", "name": "\ud800x", "preset": "custom", "server_url": "rtmp://h/a"}
    feed = {"id": "f1", "kind": "json", "url": "https://h.example/feed?token=S3cr3tT0ken42"}
    path.write_text(json.dumps({"destinations": [destination], "feeds": [feed]}), "utf-8")
    settings = load_settings(path)
    assert "S3cr3tT0ken42" not in path.read_text("utf-8")  # the token left the file
    assert "S3cr3tT0ken42" in memory_keyring.passwords.values()
    again = load_settings(path)
    assert again.file_problem is None
    assert (
        [d.name for d in again.destinations]
        == ["\ud800x"]
        == [d.name for d in settings.destinations]
    )


def test_a_recent_show_whose_file_name_is_not_utf8_is_saved_and_found_again(
    tmp_path: Path,
) -> None:
    # A show opened by a name in Latin-1 bytes (`anchordesk caf\xe9.json`): Python holds the
    # byte as a lone surrogate, and every later save of the settings raised UnicodeEncodeError
    # (the window logged a traceback and kept nothing: no message, the choice lost at restart).
    show = tmp_path / os.fsdecode(b"caf\xe9.json")
    show.write_text("{}", "utf-8")
    settings = Settings()
    settings.add_recent_show(show)
    path = save_settings(settings, tmp_path / "settings.json")
    [recent] = load_settings(path).recent_shows
    assert os.fsencode(recent) == os.fsencode(show) and Path(recent).is_file()


@pytest.mark.parametrize("total", ["１２", "١٢", "1_000"])
def test_a_session_total_the_feed_reader_refuses_is_not_counted_from_the_session(
    tmp_path: Path, total: str
) -> None:
    # A hand-edited (or damaged) session row: Decimal() alone read "１２" as 12 and "1_000" as
    # 1000 and counted them, where the feeds, show files and CSVs refuse such a number.
    session = tmp_path / "s.adsession"
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order("o1"))
        server.add_raw(_order("o2", "7.00"))
        ingest(server, session)
    with sqlite3.connect(session) as db:
        db.execute("UPDATE orders SET total_price = ? WHERE id = 'o1'", (total,))
    report = build_report(session)
    assert report.ledger.gmv_by_currency == {"USD": Decimal("7.00")}
    [unreadable] = report.unreadable_rows
    assert unreadable.table == "orders" and "is not a number" in unreadable.problem


def test_the_refund_of_an_order_with_a_long_id_is_counted_with_it(tmp_path: Path) -> None:
    # An order id of 500 characters is kept (the limit is 512), but its refund was rejected as
    # "an id of 519 characters (more than 512)", an id the feed never sent (the length of the
    # update's made-up key): the order counted, its refund not.
    order_id = "X" * 500
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order(order_id))
        server.add_raw(_refund(order_id, refund="4.00", refund_id="rf-12345678"))
        server.add_raw(_order("o2"))
        server.add_raw(_refund("o2", refund="1.00", refund_id="R" * 513))
        ingest(server, tmp_path / "s.adsession")
    report = build_report(tmp_path / "s.adsession")
    assert report.ledger.gmv_by_currency == {"USD": Decimal("16.00")}
    [rejected] = report.rejected  # the refund id the feed sent is past the limit
    assert rejected.detail == "a refund id of 513 characters (more than 512)"


@pytest.mark.parametrize(
    "payload",
    [None, {"subscription": []}, [], {"subscription": "channel.chat.message"}],
)
def test_a_malformed_twitch_revocation_does_not_drop_the_chat_connection(payload: Any) -> None:
    # A revocation without a payload (or with one that is no object) raised KeyError out of
    # the session: "unexpected error (KeyError)", a new connection and new subscriptions,
    # and the chat sent meanwhile on the old one lost (Twitch sends a message once). Every
    # other malformed frame is counted and skipped, the connection kept.
    server, sink = TwitchServer(), Collector()

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=3)
        metadata = {"message_type": "revocation", "message_id": "r-1"}
        await server.send(
            {"metadata": metadata} | ({} if payload is None else {"payload": payload})
        )
        await server.chat("msg-1", "42", "Amy", "right after it")
        await wait_until(lambda: any(isinstance(item, Comment) for item in sink.items))()

    feed = run_with(server, lambda: TwitchChatFeed(server.feed_url(), server.token), sink, script)
    assert [item.text for item in sink.items if isinstance(item, Comment)] == ["right after it"]
    assert feed.reconnects == 0 and len(server.connections) == 1
    assert feed.health.errors == 0 and feed.health.malformed_responses == 1


@pytest.mark.parametrize(
    "kept",
    [
        "https://h.example/feed?shop=caf%E9&page=1",  # was saved as shop=caf%EF%BF%BD
        "https://h.example/feed?x=\ud800",  # was UnicodeEncodeError out of load_settings
        "https://h.example/feed?flag&a=1+2&b=%20",  # was flag=&a=1+2&b=+
    ],
)
def test_a_feed_url_keeps_its_other_parameters_as_written_when_its_token_moves(
    tmp_path: Path, memory_keyring: Any, kept: str
) -> None:
    # With a keyring, the loader takes the token out of a feed URL and saves the rest. The
    # rest was decoded and encoded again: a shop name in Latin-1 percent-encoding came back
    # as U+FFFD (the feed then asked for another shop), and a lone surrogate raised
    # UnicodeEncodeError: `anchordesk live` and the window ended before their first line.
    path = tmp_path / "settings.json"
    url = kept.replace("?", "?token=S3cr3tT0ken42&", 1)
    path.write_text(json.dumps({"feeds": [{"id": "f1", "kind": "json", "url": url}]}), "utf-8")
    settings = load_settings(path)
    assert [feed.url for feed in settings.feeds] == [kept]
    assert [feed.url for feed in load_settings(path).feeds] == [kept]
    assert "S3cr3tT0ken42" in memory_keyring.passwords.values()


@pytest.mark.parametrize(
    ("item", "detail"),
    [
        ({"type": "comment", "id": "c1"}, 'no "text" field'),  # was "'text'"
        ({"type": "order", "id": "o1", "lines": 5}, "lines: a number where a list belongs"),
        ({"type": "order", "id": "o1", "lines": [[1]]}, "a list where an object belongs"),
        (
            {"type": "order_update", "id": "o1", "status": "refunded", "lines": [5]},
            "a number where an object or a list belongs",  # was "'int' object is not subscr…"
        ),
        (
            {
                "type": "order",
                "id": "o1",
                "lines": [{"sku": "A", "quantity": 2, "price": "9e999999"}],
            },
            "an amount too large to compute with",  # was "[<class 'decimal.Overflow'>]"
        ),
    ],
)
def test_an_unreadable_feed_item_is_listed_with_what_is_wrong_in_words(
    tmp_path: Path, item: dict[str, Any], detail: str
) -> None:
    # The report listed "comment c1 (json): 'text' — unreadable item": Python's words (a
    # KeyError's key, a TypeError about 'int' objects), nothing a user can act on.
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(item)
        ingest(server, tmp_path / "s.adsession")
    [rejected] = build_report(tmp_path / "s.adsession").rejected
    assert rejected.detail == detail


def _tokens_of(settings: Settings) -> list[str | None]:
    return [secrets.get_secret(spec.token_name) for spec in feed_specs(settings)]


def test_two_feeds_of_one_id_each_keep_their_token(tmp_path: Path, memory_keyring: Any) -> None:
    # A feed copied in settings.json to add a second shop keeps the copied id: both tokens
    # went to the one keyring entry, the second never stored (the first was there), its URL
    # saved without it, and the window said "moved to the system keyring" for both.
    path = tmp_path / "settings.json"
    feeds = [
        {"id": "f1", "kind": "json", "url": "https://a.example/feed?token=TokenOfShopA111"},
        {"id": "f1", "kind": "json", "url": "https://b.example/feed?token=TokenOfShopB222"},
    ]
    path.write_text(json.dumps({"feeds": feeds}), "utf-8")
    load_settings(path)
    again = load_settings(path)
    assert [feed.url for feed in again.feeds] == [
        "https://a.example/feed",
        "https://b.example/feed",
    ]
    assert _tokens_of(again) == ["TokenOfShopA111", "TokenOfShopB222"]


def test_a_token_put_in_a_feed_url_replaces_the_one_the_keyring_had(
    tmp_path: Path, memory_keyring: Any
) -> None:
    # The keyring's token of the feed was kept and the one the user had just put in the
    # file's URL was dropped from the file and stored nowhere; the message said "moved".
    secrets.set_secret(secrets.feed_token_name("f1"), "OldRevokedToken000")
    path = tmp_path / "settings.json"
    feed = {"id": "f1", "kind": "json", "url": "https://a.example/feed?token=NewTokenPasted999"}
    path.write_text(json.dumps({"feeds": [feed]}), "utf-8")
    settings = load_settings(path)
    assert [feed.url for feed in settings.feeds] == ["https://a.example/feed"]
    assert _tokens_of(settings) == ["NewTokenPasted999"]


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("Order", 'type "Order" is not "order" (types are lower case)'),
        ("order ", 'type "order " is not "order" (types are lower case)'),
        (None, "type null is not a text"),
        (7, "type 7 is not a text"),
    ],
)
def test_an_order_under_a_misspelled_type_is_rejected_not_dropped_unsaid(
    tmp_path: Path, kind: object, detail: str
) -> None:
    # An item of an unknown type is ignored (a newer bridge may send more kinds), and so was
    # a bridge's every order sent as "Order": the report said 0 orders and 0 rejected.
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order("o1") | {"type": kind})
        server.add_raw({"type": "gift", "id": "g1"})  # a newer kind: still ignored
        ingest(server, tmp_path / "s.adsession")
    [rejected] = build_report(tmp_path / "s.adsession").rejected
    assert (rejected.item_id, rejected.detail) == ("o1", detail)


def test_a_session_whose_feed_name_is_damaged_does_not_count_its_orders_twice(
    tmp_path: Path,
) -> None:
    # A byte that is not UTF-8 in the name a session keeps for its feed (a damaged page, a
    # hand edit): continued, the feed was named U+FFFD, found no cursor, read every order
    # again and kept it under that name: the report's GMV twice over ($13.00 → $26.00).
    session = tmp_path / "s.adsession"
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order("o1"))
        server.add_raw(_order("o2", "3.00"))
        ingest(server, session)
        with sqlite3.connect(session) as db:
            db.execute("UPDATE feeds SET source = CAST(x'fe' AS TEXT)")
        server.add_raw(_order("o3", "5.00"))
        ingest(server, session)
    report = build_report(session)
    assert report.ledger.gmv_by_currency == {"USD": Decimal("18.00")}
    assert report.ledger.orders == 3


def test_a_youtube_quota_file_nested_too_deep_is_counted_from_0_not_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # `anchordesk live --feed youtube-chat=…` ended with a RecursionError traceback before its
    # first frame (exit 1): the day's quota file, 400 kB of "[", is not a ValueError.
    path = tmp_path / QUOTA_FILE_NAME
    path.write_text('{"keys": ' + "[" * 200_000 + "]" * 200_000 + "}", "utf-8")
    quota = DailyQuota("AIzaTestKey0123456789", path)
    assert quota.units == 0 and quota.spend(5) == 5
    assert "cannot be read" in caplog.text


def test_a_viewer_sample_whose_id_looks_like_a_time_key_is_kept_beside_the_timed_one(
    tmp_path: Path,
) -> None:
    # A sample without an id is keyed "at:" + its time: a sample whose own id was that text
    # was taken for it sent again and dropped unsaid (the peak of 7 viewers lost).
    at = "2026-11-30T08:00:00Z"
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw({"type": "viewers", "id": f"at:{at}", "online": 5, "at": at})
        server.add_raw({"type": "viewers", "at": at, "online": 7})
        server.add_raw({"type": "viewers", "id": f"id:at:{at}", "online": 6, "at": at})
        ingest(server, tmp_path / "s.adsession")
    with sqlite3.connect(tmp_path / "s.adsession") as db:
        online = sorted(row[0] for row in db.execute("SELECT online FROM viewer_samples"))
    assert online == [5, 6, 7]
