"""Round twenty-five, inputs (R25hunt25in): the fixes of its findings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feed_servers
import keyring
import pytest
from feed_servers import JsonFeedServer, Reply
from keyring.backend import KeyringBackend

from anchordesk.core import secrets
from anchordesk.live.destinations import stream_key_present
from anchordesk.live.settings import feed_specs, load_settings
from anchordesk.show.compliance import terms_flagger
from anchordesk.store.report import build_report

from ..feed_parts import ingest
from ..show_inputs import anchordesk, write_show


@pytest.mark.parametrize(
    "url",
    [
        "http://bob:pw123secret@127.0.0.1:1/feed?token=AAAAAAAAAA",
        "http://127.0.0.1:1/feed?sig=BBBBBBBBBB&token=AAAAAAAAAA",
        "http://127.0.0.1:1/feed?api_key=KKKKKKKKKK&token=TTTTTTTTTT",
    ],
)
def test_a_feed_url_with_more_than_one_secret_is_kept_not_half_moved(
    tmp_path: Path, memory_keyring: Any, url: str
) -> None:
    # With a keyring, the loader stored the first secret of the URL (the password's token,
    # "sig"'s value) and saved the URL without any: the user:password or the real token
    # was lost, and the message said the token "was moved to the system keyring".
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"feeds": [{"id": "f1", "kind": "json", "url": url}]}), "utf-8")
    settings = load_settings(path)
    assert [feed.url for feed in settings.feeds] == [url]
    assert json.loads(path.read_text("utf-8"))["feeds"][0]["url"] == url
    assert memory_keyring.passwords == {}
    assert not any("moved" in problem for problem in settings.problems)
    assert any("token or a password in its URL" in p for p in settings.problems)


class _Utf8Keyring(KeyringBackend):
    """A keyring that encodes names and values as UTF-8, as Secret Service does."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, bytes], bytes] = {}

    def get_password(self, service: str, username: str) -> str | None:
        value = self.passwords.get((service, username.encode("utf-8")))
        return None if value is None else value.decode("utf-8")

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username.encode("utf-8"))] = password.encode("utf-8")

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username.encode("utf-8")), None)


@pytest.fixture
def utf8_keyring() -> Iterator[_Utf8Keyring]:
    secrets.store().reset()
    previous = keyring.get_keyring()
    backend = _Utf8Keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
        secrets.store().reset()


@pytest.mark.parametrize("feed_id", ["f\udfffx", "\ud800", "x\udc80"])
@pytest.mark.parametrize("query", ["?token=BBBBBBBBBB", ""])
def test_a_feed_id_with_a_lone_surrogate_is_no_traceback_and_its_token_is_kept(
    tmp_path: Path, utf8_keyring: _Utf8Keyring, feed_id: str, query: str
) -> None:
    # JSON's "\ud800" as a feed's id named a keyring entry no keyring encodes: with a token
    # in the URL, load_settings ended with UnicodeEncodeError (no window, no live --to);
    # without one, every feed of the show stopped at the start (FeedHub asked for its token).
    path = tmp_path / "settings.json"
    feeds = [
        {"id": "good", "kind": "json", "url": "http://127.0.0.1:1/a?token=AAAAAAAAAA"},
        {"id": feed_id, "kind": "json", "url": f"http://127.0.0.1:1/b{query}"},
    ]
    path.write_text(json.dumps({"feeds": feeds}), "utf-8")
    load_settings(path)
    settings = load_settings(path)
    tokens = [secrets.get_secret(spec.token_name) for spec in feed_specs(settings)]
    assert tokens == ["AAAAAAAAAA", "BBBBBBBBBB" if query else None]


def test_a_destination_id_with_a_lone_surrogate_is_no_traceback(
    tmp_path: Path, utf8_keyring: _Utf8Keyring
) -> None:
    # The same for a destination: its stream key's keyring entry is named by its id.
    path = tmp_path / "settings.json"
    destination = {"id": "d\ud800", "name": "yt", "server_url": "rtmp://127.0.0.1/live"}
    path.write_text(json.dumps({"destinations": [destination]}), "utf-8")
    [loaded] = load_settings(path).destinations
    secrets.set_secret(secrets.stream_key_name(loaded.destination_id), "live_key_123")
    assert stream_key_present(loaded.destination_id)
    again = load_settings(path).destinations[0].destination_id
    assert stream_key_present(again)


@pytest.mark.parametrize("url", ["http://[::1%25\u00e9]/f", "http://[fe80::1%25\u00fc]/f"])
def test_a_feed_url_with_a_zone_id_that_is_not_ascii_is_one_line_not_a_traceback(
    tmp_path: Path, url: str
) -> None:
    # httpx checks no bracketed host; encoding it raised UnicodeEncodeError out of the URL
    # check: a traceback and exit 1 from live --feed, and the settings loader raised too.
    result = anchordesk(
        "live", "--camera", "test", "--mic", "test", "--record", tmp_path / "r.mkv",
        "--seconds", "1", "--feed", f"json={url}",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "is not an IP address" in result.stderr
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"feeds": [{"id": "f1", "kind": "json", "url": url}]}), "utf-8")
    assert any("is not an IP address" in p for p in load_settings(path).problems)


def _order(order_id: str, price: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "type": "order", "id": order_id, "currency": "USD", "total": price,
        "lines": [{"sku": "A", "quantity": quantity, "price": price}],
    }  # fmt: skip


def _ascii_json(body: Any, headers: dict[str, str] | None = None) -> Reply:
    # JSON's escapes for lone surrogates (ensure_ascii), as a bridge that cut an emoji sends.
    return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_ids_told_apart_only_by_a_lone_surrogate_are_rejected_each_not_made_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_servers, "_json", _ascii_json)
    # Every lone surrogate read as U+FFFD before the ids were: three orders ($20) were one
    # ($5), the second dropped unsaid, the third rejected as "sent again" about another order.
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order("s1", "10.00"))
        server.add_raw(_order("s2\ud800", "5.00"))
        server.add_raw(_order("s2\udc00", "5.00"))
        server.add_raw(_order("s2\udfff", "10.00", 2))
        server.add_raw(_order("s3", "1.00") | {"customer": "Ann \ud83d"})  # not an id: kept
        ingest(server, tmp_path / "s.adsession")
    report = build_report(tmp_path / "s.adsession")
    assert report.orders == 2
    assert sorted(r.item_id for r in report.rejected) == [
        "s2\\ud800", "s2\\udc00", "s2\\udfff",
    ]  # fmt: skip
    assert all("lone surrogate" in r.detail for r in report.rejected)


@pytest.mark.parametrize(
    "kind", ["\uff4f\uff52\uff44\uff45\uff52", "order\u200b", "order\u0000", "order\u00ad"]
)
def test_an_order_under_a_type_that_only_looks_like_order_is_rejected_not_dropped(
    tmp_path: Path, kind: str
) -> None:
    # Taken for a newer bridge's kind, these were dropped with no log line: 0 orders and
    # 0 rejected, though three of them print and read as "order".
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order("o1", "10.00") | {"type": kind})
        server.add_raw({"type": "gift", "id": "g1"})  # a newer kind: still ignored
        ingest(server, tmp_path / "s.adsession")
    [rejected] = build_report(tmp_path / "s.adsession").rejected
    assert rejected.item_id == "o1"
    assert 'is not "order"' in rejected.detail


@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\u2060", "\ufeff", "\u200d"])
def test_an_invisible_character_inside_a_banned_word_does_not_hide_it_from_the_check(
    tmp_path: Path, hidden: str
) -> None:
    # The card and the ticker showed "cures", "guaranteed", "Best", "Miracle" (the character
    # has no glyph), and show check said "OK: the show is valid", 0 compliance hits.
    h = hidden
    show = {
        "format": 1, "title": "Night", "currency": "USD", "language": "en",
        "products": [{
            "sku": "MUG-1", "title": f"Mug that cu{h}res colds", "price": 10, "stock": 5,
            "points": [f"guaran{h}teed to work"],
        }],
        "ticker": [f"Be{h}st price"],
        "rundown": [{
            "title": f"Mira{h}cle mug", "sku": "MUG-1", "seconds": 60,
            "script": f"this mug is a cu{h}re",
        }],
    }  # fmt: skip
    result = anchordesk("show", "check", write_show(tmp_path, show))
    assert "5 compliance hits" in result.stdout + result.stderr, result.stdout
    # A feed comment written so is flagged too.
    assert terms_flagger(("cure",))(f"this cu{h}re works") == ["cure"]


def test_a_rejected_refund_or_cancellation_is_named_by_its_order_id(tmp_path: Path) -> None:
    # The report listed "order_update x\;refund:cancelled" and "x\;refund:refund=7.001": the
    # key the session keeps the update under, an order the shop never had.
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(_order("x:refund", "5.00"))
        server.add_raw({"type": "order_update", "id": "x:refund", "status": "refunded",
                        "refund": "7.001"})  # fmt: skip
        server.add_raw({"type": "order_update", "id": "x:refund", "status": "cancelled",
                        "currency": "EUR\u001b"})  # fmt: skip
        server.add_raw({"type": "order_update", "id": "gone", "status": "cancelled"})
        ingest(server, tmp_path / "s.adsession")
    rejected = build_report(tmp_path / "s.adsession").rejected
    assert sorted(r.item_id for r in rejected) == [
        "gone:cancelled",
        "x:refund:cancelled",
        "x:refund:refund=7.001",
    ]
