"""Round thirty-four, inputs (R34in34): a feed token in the URL's path (``;token=``) saved in
clear; ids that are no text and no whole number; show files in UTF-16 without their mark;
currency codes that are not ISO 4217; a destination's port that is a short non-number; a bare
query word; the command line's numbers; a token sent over plain http."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from feed_servers import JsonFeedServer

from anchordesk.cli.main import main
from anchordesk.core import secrets
from anchordesk.feeds.spec import FeedSpec, feed_identity
from anchordesk.live.settings import feed_specs, load_settings, save_settings
from anchordesk.showfile.csv_import import parse_products_csv
from anchordesk.showfile.files import parse_show
from anchordesk.store.report import build_report
from anchordesk.store.session import SessionStore

from ..feed_parts import ingest_until
from ..live_runs import child_env
from ..show_inputs import anchordesk, assert_clean_output, valid_show

TOKEN = "tok9aZ3kQ7pL2mX8vB4n"


class _PathTokenBridge(BaseHTTPRequestHandler):
    """A bridge that reads its token from the path (``/feed;token=…``) and serves the same
    order on every page (what a restart of it does): a feed read under a new name keeps it
    twice."""

    paths: ClassVar[list[str]] = []
    headers_seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        type(self).headers_seen.append(self.headers.get("Authorization", ""))
        if f";token={TOKEN}" not in self.path.partition("?")[0]:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        order = {
            "type": "order",
            "id": "o-1",
            "at": "2026-12-01T05:00:00Z",
            "currency": "USD",
            "lines": [{"sku": "MUG", "quantity": 1, "price": "12.00"}],
        }
        body = json.dumps({"items": [order], "next": "2", "poll_ms": 200}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def path_token_bridge() -> Iterator[str]:
    _PathTokenBridge.paths = []
    _PathTokenBridge.headers_seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PathTokenBridge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    finally:
        server.shutdown()
        server.server_close()


def test_a_feed_token_in_the_path_moves_to_the_keyring_and_is_sent_in_the_path(
    tmp_path: Path, memory_keyring: Any, path_token_bridge: str
) -> None:
    # "/feed;token=…" was masked in every output but saved in settings.json in clear: the path
    # named the feed (its identity), and the bridge reads the token there.
    session = tmp_path / "s.adsession"
    url = f"{path_token_bridge};token={TOKEN}"
    # A session kept by a run of the earlier rule (the token in the URL, counted in the
    # identity).
    ingest_until(FeedSpec("json", url), session, lambda hub: hub.pollers[0].cursor == "2")
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"feeds": [{"id": "f1", "kind": "json", "url": url}]}), "utf-8")
    settings = load_settings(path)
    assert TOKEN not in path.read_text("utf-8")
    assert [feed.url for feed in settings.feeds] == [f"{path_token_bridge};token="]
    assert secrets.get_secret(secrets.feed_token_name("f1")) == TOKEN
    save_settings(settings, path)
    assert TOKEN not in path.read_text("utf-8")
    # The session continued with the settings' feed: the bridge is sent the token in the path
    # again (never as a header it does not read), and the session knows the feed.
    _PathTokenBridge.paths = []
    _PathTokenBridge.headers_seen = []
    [spec] = feed_specs(load_settings(path))
    ingest_until(
        spec,
        session,
        lambda hub: hub.pollers[0].cursor == "2" and len(_PathTokenBridge.paths) >= 2,
        token_lookup=secrets.get_secret,
    )
    assert _PathTokenBridge.paths, "the bridge was never asked"
    assert all(f";token={TOKEN}" in p for p in _PathTokenBridge.paths)
    assert "after=2" in _PathTokenBridge.paths[0]  # its cursor went on
    assert not any(_PathTokenBridge.headers_seen)
    store = SessionStore(session, read_only=True)
    try:
        assert [feed.source for feed in store.feeds()] == ["json"]
    finally:
        store.close()
    assert build_report(session).orders == 1


def test_a_feeds_identity_is_the_same_whichever_token_its_path_holds() -> None:
    base = "https://bridge.example/feed"
    same = [f"{base};token={TOKEN}", f"{base};token=", f"{base};token=other9Token8Value7"]
    assert len({feed_identity(FeedSpec("json", url)) for url in same}) == 1
    assert feed_identity(FeedSpec("json", f"{base};v=2")) != feed_identity(FeedSpec("json", base))


def test_an_id_of_another_kind_is_said_so_not_no_id(tmp_path: Path) -> None:
    # "id": 1.5 or true was rejected as "no id" (listed "order -"), although the feed sent one.
    server = JsonFeedServer()
    ids: list[Any] = [1.5, True, [7], "  ", None]
    for place, the_id in enumerate(ids):
        server.add_order("MUG", 1, "12.00", "USD")
        server.items[place]["id"] = the_id
    server.add_order("MUG", 1, "12.00", "USD")  # o6: read
    session = tmp_path / "s.adsession"
    with server:
        ingest_until(FeedSpec("json", server.url), session, lambda hub: bool(hub.pollers[0].cursor))
    report = build_report(session)
    assert report.orders == 1
    assert sorted(r.detail for r in report.rejected) == sorted(
        [
            "id 1.5 is not a text or a whole number",
            "id true is not a text or a whole number",
            "id [7] is not a text or a whole number",
            "no id",
            "no id",
        ]
    )


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_a_show_file_in_utf_16_without_its_mark_is_read_as_a_csv_is(
    tmp_path: Path, encoding: str
) -> None:
    # "1:2: invalid JSON: Expecting property name enclosed in double quotes": the CSV import
    # told such a file by its NULs, the show file's reading did not (one decoder now).
    data = valid_show()
    data["title"] = "Nuit spéciale 夜"
    path = tmp_path / "show.json"
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode(encoding))
    result = anchordesk("show", "check", path)
    assert_clean_output(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Nuit spéciale 夜" in result.stdout and "OK: the show is valid" in result.stdout


def test_a_utf_8_show_file_with_a_stray_nul_first_is_not_read_as_utf_16(tmp_path: Path) -> None:
    # Told by its first byte alone, "\x00{..." was read as UTF-16 (CJK nonsense) and said
    # "not UTF-8 text: byte 0x0a at offset 28", a byte the file never held there.
    path = tmp_path / "show.json"
    path.write_bytes(b'\x00{"format": 1, "title": "x"}\n')
    result = anchordesk("show", "check", path)
    assert_clean_output(result)
    assert result.returncode == 2
    assert "show.json:1:1: error: invalid JSON" in result.stdout + result.stderr


def test_settings_in_utf_16_without_their_mark_keep_their_destinations(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    data = {"destinations": [{"id": "d1", "name": "Main 夜", "server_url": "rtmp://h/app"}]}
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode("utf-16-le"))
    settings = load_settings(path)
    assert settings.problems == []
    assert [d.name for d in settings.destinations] == ["Main 夜"]
    assert not (tmp_path / "settings.json.broken").exists()


def test_three_letters_that_name_no_currency_are_rejected_by_one_rule(tmp_path: Path) -> None:
    # A feed's "RMB" or "ABC" was counted as its own currency ("GMV in RMB"), while the docs
    # and the report's reason said "not an ISO 4217 code": one rule (CLDR's list) for feeds,
    # shows and CSVs; the order is kept as rejected, with its reason.
    server = JsonFeedServer()
    server.add_order("MUG", 1, "12.00", "USD")
    server.add_order("MUG", 1, "12.00", "RMB")
    server.add_order("MUG", 2, "12.00", "abc")
    session = tmp_path / "s.adsession"
    with server:
        ingest_until(FeedSpec("json", server.url), session, lambda hub: bool(hub.pollers[0].cursor))
    report = build_report(session)
    assert report.orders == 1
    assert report.ledger.gmv_by_currency == {"USD": Decimal("12.00")}
    assert sorted((r.item_id, r.reason, r.detail) for r in report.rejected) == [
        ("o2", "currency_invalid", "currency 'RMB'"),
        ("o3", "currency_invalid", "currency 'ABC'"),
    ]
    data = valid_show()
    data["currency"] = "RMB"
    assert parse_show(json.dumps(data)).show is None
    csv = parse_products_csv("sku,title,price,stock,currency\nMUG,Mug,12.00,5,RMB\n")
    assert csv.bad_rows == [2] and not csv.products
    assert any("'RMB' is not an ISO 4217 code" in str(p) for p in csv.problems), csv.problems


class _Recorder(BaseHTTPRequestHandler):
    """A bridge that answers an empty page and keeps each request's path as it arrived."""

    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        body = json.dumps({"items": [], "next": "c 2/3", "poll_ms": 200}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_bare_query_word_is_sent_as_written(tmp_path: Path) -> None:
    # "?flag" was sent "flag=" (a bridge reading a flag by its presence alone may read an
    # empty value as "off"); the other items and the cursor go as before.
    _Recorder.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed?flag&ch=a&ch=b"
        ingest_until(
            FeedSpec("json", url), tmp_path / "s.adsession", lambda _hub: len(_Recorder.paths) >= 2
        )
    finally:
        server.shutdown()
        server.server_close()
    first, second = _Recorder.paths[:2]
    assert first == "/feed?flag&ch=a&ch=b"
    assert second.startswith("/feed?flag&ch=a&ch=b&after=")
    assert parse_qs(urlsplit(second).query)["after"] == ["c 2/3"]


LIVE = ["live", "--camera", "test", "--mic", "test", "--no-record"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["audience", "--show", "s.json", "--port", "１２"], "'１２' is not a whole number"),
        (["audience", "--show", "s.json", "--seed", "1_0"], "'1_0' is not a whole number written"),
        (["audience", "--show", "s.json", "--rate", "２"], "'２' is not a number written with"),
        ([*LIVE, "--seconds", "1_000"], "'1_000' is not a number written with the digits 0-9"),
        ([*LIVE, "--seconds", "inf"], "'inf' is not a number"),
        ([*LIVE, "--fps", "３０", "--seconds", "1"], "'３０' is not a whole number written"),
        ([*LIVE, "--video-kbps", "2_500", "--seconds", "1"], "'2_500' is not a whole number"),
        ([*LIVE, "--audio-rate", "４８０００", "--seconds", "1"], "'４８０００' is not a whole"),
        ([*LIVE, "--canvas", "１２８０x７２０", "--seconds", "1"], "expected WIDTHxHEIGHT"),
    ],
)
def test_a_number_on_the_command_line_is_written_with_the_digits_0_to_9(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python's rules read "--port １２" as 12 and "--seconds 1_000" as 1000 s; feeds and show
    # files refuse such numbers, and the docs and --help write 0-9.
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1, err


def _address_on_the_network() -> str | None:
    """This computer's address on its network (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("on_the_network", [True, False])
def test_a_feed_token_sent_over_plain_http_off_this_computer_is_warned_once(
    tmp_path: Path, on_the_network: bool
) -> None:
    # A feed's token was sent as "Bearer" over plain http:// to a bridge on the network
    # without a word (a LAN bridge is allowed: said, not refused; this computer's own is not).
    host = _address_on_the_network() if on_the_network else "127.0.0.1"
    if host is None:
        pytest.skip("no network address here")
    _Recorder.paths = []
    server = ThreadingHTTPServer((host, 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", "--camera", "test", "--mic", "none",
             "--canvas", "320x180", "--seconds", "1", "--record", str(tmp_path / "a.mkv"),
             "--feed", f"json=http://{host}:{server.server_address[1]}/feed"],
            capture_output=True, text=True, timeout=120,
            env=child_env(tmp_path, ANCHORDESK_JSON_TOKEN=TOKEN),
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert TOKEN not in said
    warned = said.count("the token is sent unencrypted (no https://)")
    assert warned == (1 if on_the_network else 0), said
    assert _Recorder.paths, "the feed was read all the same"


def test_a_show_files_currency_in_small_letters_is_read_as_a_feeds_is() -> None:
    # A feed's or a CSV row's "usd" is USD; a show file's was "'usd' is not an ISO 4217 code".
    data = valid_show()
    data["currency"] = "usd"
    data["products"][0]["currency"] = "eur"
    report = parse_show(json.dumps(data))
    assert report.show is not None, [str(p) for p in report.errors]
    assert report.show.currency == "USD"
    assert report.show.products[0].currency == "EUR"
