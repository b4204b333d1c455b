"""Round thirty-three, inputs (R33in33): secrets where a URL's port or IPv6 zone goes; secrets
in a feed URL's fragment or port, and a stream key in a destination's port, saved in the
settings file in clear; an order's SKU holding a character that shows as nothing; a feed URL
naming a query parameter twice; a stream key given to ``--to`` as a saved name."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from feed_servers import JsonFeedServer

from anchordesk.core import secrets
from anchordesk.core.redact import mask_secrets, mask_url, mask_urls, url_secrets
from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.settings import Destination, load_settings, save_settings
from anchordesk.store.report import build_report

from ..feed_parts import ingest_until
from ..live_runs import child_env
from ..show_inputs import valid_show, write_show

KEY = "abcd-efgh-ijkl-mnop-qrst"  # no digit: the rule's "looks like a key" does not see it
TOKEN = "tok9aZ3kQ7pL2mX8vB4n"
IN_THE_PORT = [
    f"rtmp://a.rtmp.youtube.com:{KEY}/live2",
    f"rtmp://a.rtmp.youtube.com:1935:{KEY}/live2",
    f"rtmps://a.rtmps.youtube.com:{KEY}",
    f"rtmp://[::1]:{KEY}/live2",
    f"https://feeds.example:{KEY}/comments",
    f"rtmp:a.rtmp.youtube.com:{KEY}/live2",
]


def _run_live(home: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """``anchordesk live`` for a second, recording nothing, unless ``args`` say otherwise."""
    defaults = [] if "--seconds" in args else ["--seconds", "1", "--no-record"]
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", "--camera", "test", "--mic", "none",
         "--canvas", "320x180", *defaults, *args],
        capture_output=True, text=True, timeout=120, env=child_env(home),
    )  # fmt: skip
    log = home / "xdg_state_home" / "AnchorDesk" / "log" / "anchordesk.log"
    return run, log.read_text(encoding="utf-8") if log.exists() else ""


@pytest.mark.parametrize("url", IN_THE_PORT)
def test_a_key_written_where_the_port_goes_is_masked_by_the_one_rule(url: str) -> None:
    # "rtmp://host:KEY/live2" (the key pasted after the server with a ":"): every message
    # naming the URL printed the key whole, as the port.
    assert KEY not in mask_url(url)
    assert ":****" in mask_url(url)
    assert KEY not in mask_urls(f"pushing to {url} now")
    assert KEY not in mask_secrets(f"FFmpeg: {KEY} refused", url_secrets(url))


def test_a_port_that_is_a_number_or_a_typo_of_its_length_stays_readable() -> None:
    for url in ("rtmp://host:1935/live2/x", "http://[::1]:8080/feed", "https://h:abc/"):
        assert mask_url(url).split("/")[2] == url.split("/")[2]


def test_live_to_a_url_with_a_key_where_the_port_goes_is_refused_with_the_key_masked(
    tmp_path: Path,
) -> None:
    run, log = _run_live(tmp_path, "--to", f"rtmp://a.rtmp.youtube.com:{KEY}/live2")
    said = run.stdout + run.stderr
    assert run.returncode == 2, said
    assert "the port must be a number" in said, said
    assert KEY not in said and KEY not in log, said


def test_live_feed_with_a_token_where_the_port_goes_is_refused_without_quoting_it(
    tmp_path: Path,
) -> None:
    # "--feed json=…: the port 'TOKEN' is not a number from 1 to 65535": the refusal leaves
    # the URL out because it may hold a token, then quoted the token as the port.
    run, log = _run_live(tmp_path, "--feed", f"json=https://127.0.0.1:{TOKEN}/feed")
    said = run.stdout + run.stderr
    assert run.returncode == 2, said
    assert "the port '****' is not a number" in said, said
    assert TOKEN not in said and TOKEN not in log, said


def test_a_key_written_as_an_ipv6_zone_is_masked_where_the_zone_is_quoted(
    tmp_path: Path,
) -> None:
    url = f"rtmp://[fe80::1%25{TOKEN}]/live2/x"
    assert TOKEN not in mask_url(url)
    assert mask_url("rtmp://[fe80::1%25eth0]/live2/x") == "rtmp://[fe80::1%25eth0]/live2/****"
    run, log = _run_live(tmp_path, "--to", url)
    said = run.stdout + run.stderr
    assert run.returncode == 2, said
    assert "an IPv6 address with a zone" in said, said
    assert TOKEN not in said and TOKEN not in log, said


HELD_ELSEWHERE = [
    # An OAuth answer copied from the address bar: never even sent to the server.
    (
        f"https://h.example/feed#access_token={TOKEN}&scope=chat",
        "https://h.example/feed#scope=chat",
    ),
    (f"https://h.example:{TOKEN}/feed?page=1", "https://h.example/feed?page=1"),
]


@pytest.mark.parametrize(("url", "kept"), HELD_ELSEWHERE)
def test_a_feed_token_in_the_fragment_or_the_port_is_not_saved_in_clear(
    tmp_path: Path, url: str, kept: str
) -> None:
    # The settings' rule for a feed URL's secrets read the query and the user info only: the
    # form took such a URL without a word, and settings.json kept the token in clear.
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"feeds": [{"id": "f1", "kind": "json", "url": url}]}), "utf-8")
    settings = load_settings(path)
    save_settings(settings, path)
    written = path.read_text("utf-8")
    assert TOKEN not in written
    assert json.loads(written)["feeds"][0]["url"] == kept


@pytest.mark.parametrize(("url", "kept"), HELD_ELSEWHERE[:1])
def test_a_lone_feed_token_in_the_fragment_moves_to_the_keyring(
    tmp_path: Path, memory_keyring: Any, url: str, kept: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"feeds": [{"id": "f1", "kind": "json", "url": url}]}), "utf-8")
    settings = load_settings(path)
    assert [feed.url for feed in settings.feeds] == [kept]
    assert secrets.get_secret(secrets.feed_token_name("f1")) == TOKEN
    assert TOKEN not in path.read_text("utf-8")


def test_a_stream_key_where_a_destinations_port_goes_is_not_saved_in_clear(
    tmp_path: Path,
) -> None:
    # "rtmp://host:KEY/live2": the server URL looked usable to the settings and was saved with
    # the key in it (the push then failed: "the port must be a number").
    path = tmp_path / "settings.json"
    server_url = f"rtmp://live.example:{KEY}/live2"
    destination = {"id": "d1", "name": "Live", "platform": "custom", "server_url": server_url}
    path.write_text(json.dumps({"destinations": [destination]}), "utf-8")
    settings = load_settings(path)
    [loaded] = settings.destinations
    assert isinstance(loaded, Destination) and loaded.server_url == server_url
    save_settings(settings, path)
    assert KEY not in path.read_text("utf-8")


@pytest.mark.parametrize("sku", ["MUG\u200b", "\ufeffMUG", "MUG\u00ad", "MU\u2060G"])
def test_an_order_for_a_sku_holding_an_invisible_character_takes_that_products_stock(
    tmp_path: Path, sku: str
) -> None:
    # A bridge copying SKUs from a web page (a zero-width space, a soft hyphen) or from a
    # spreadsheet's first cell (a byte-order mark): the order named no product, so MUG's stock
    # and units on air never moved, and the report listed "MUG" among the SKUs not in the show.
    show = write_show(tmp_path, valid_show())
    server = JsonFeedServer(poll_ms=100)
    for number in (1, 2):
        server.add_raw(
            {"type": "order", "id": f"o{number}", "currency": "USD", "total": "24.00",
             "lines": [{"sku": sku if number == 1 else "MUG", "quantity": 1, "price": "24.00"}]}
        )  # fmt: skip
    session = tmp_path / "s.adsession"
    with server:
        run, log = _run_live(
            tmp_path, "--show", str(show), "--feed", f"json={server.url}",
            "--session", str(session), "--record", str(tmp_path / "r.mkv"), "--seconds", "5",
        )  # fmt: skip
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "is not in the show" not in said + log, said
    report = subprocess.run(
        [sys.executable, "-m", "anchordesk", "report", "--json", str(session)],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    figures = json.loads(report.stdout)
    assert figures["orders"] == 2, report.stdout
    assert figures["units_by_sku"] == {"MUG": 2}
    assert figures["unknown_skus"] == []


class _ArrayBridge(BaseHTTPRequestHandler):
    """A bridge in the style of PHP or Rails: ``?types[]=order&types[]=comment`` asks for the
    kinds listed, each given once more under the same name."""

    items: ClassVar[list[dict[str, Any]]] = [
        {"type": "comment", "id": "c1", "author": "Amy", "text": "hello"},
        {"type": "order", "id": "o1", "currency": "USD", "total": "24.00",
         "lines": [{"sku": "MUG", "quantity": 1, "price": "24.00"}]},
    ]  # fmt: skip

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        kinds = query.get("types[]", [])
        page = [item for item in self.items if item["type"] in kinds]
        body = json.dumps({"items": page, "next": "2", "poll_ms": 200}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def array_bridge() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ArrayBridge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    finally:
        server.shutdown()
        server.server_close()


def test_a_query_parameter_given_twice_in_a_feed_url_is_sent_twice(
    tmp_path: Path, array_bridge: str
) -> None:
    # The JSON feed read its URL's query into a dict: "?types[]=order&types[]=comment" asked
    # for comments only, and every order of the show stayed on the bridge, unsaid.
    session = tmp_path / "s.adsession"
    url = f"{array_bridge}?types[]=order&types[]=comment"
    ingest_until(FeedSpec("json", url), session, lambda hub: hub.pollers[0].cursor == "2")
    report = build_report(session)
    assert (report.comments, report.orders) == (1, 1)


@pytest.mark.parametrize(
    "given",
    [
        KEY,  # YouTube's shape, no digit
        "live_123456789_AbCdEfGhIjKlMnOpQrStUvWxYz",  # Twitch's
        "FB-1234567890-0-AbCdEfGhIjKl",  # Facebook's
        f"youtube:{KEY}",
        f"youtube {KEY}",
        f"a.rtmp.youtube.com:{KEY}",
    ],
)
def test_a_stream_key_given_to_to_as_a_name_is_quoted_masked(tmp_path: Path, given: str) -> None:
    # "--to KEY" (the key where a saved name goes): "no saved destination of that name" quoted
    # it whole, on stderr and in the log.
    run, log = _run_live(tmp_path, "--to", given)
    said = run.stdout + run.stderr
    assert run.returncode == 2, said
    assert "no saved destination of that name" in said, said
    start = given.replace(":", " ").split()[-1][:12]  # a long quote is cut: not even its start
    assert start not in said and start not in log, said


def test_a_saved_names_typo_is_still_quoted_as_typed(tmp_path: Path) -> None:
    run, _log = _run_live(tmp_path, "--to", "Studio B (main)")
    assert "--to Studio B (main): no saved destination" in run.stderr, run.stderr
