"""Round twenty of issue 10, inputs: show files, CSV, feeds, report (hunt20in)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from feed_servers import Reply, ShopifyOrdersServer
from platform_servers import TwitchServer

from anchordesk.cli.main import main as cli_main
from anchordesk.feeds import twitch
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.hub import feed_setup_problem
from anchordesk.feeds.poller import Poller
from anchordesk.feeds.spec import FeedSpec
from anchordesk.feeds.twitch import TwitchChatFeed
from anchordesk.showfile.csv_import import parse_products_csv
from anchordesk.showfile.files import read_show_file
from anchordesk.showfile.samples import sample_show_path
from anchordesk.store.report import build_report

from ..feed_parts import ingest_until
from ..network.test_round_03_http import raw_server
from ..show_inputs import anchordesk
from .test_feed_limits import Sink
from .test_round_19_in import _a_session, _slow_drip


def _sample(tmp_path: Path, where: str, literal: str) -> Path:
    sample = sample_show_path("en")
    assert sample is not None
    data = json.loads(sample.read_text(encoding="utf-8"))
    segment = next(s for s in data["rundown"] if s.get("deal"))
    holder = {
        "stock": data["products"][0],
        "seconds": data["rundown"][0],
        "deal.seconds": segment["deal"],
        "deal.stock": segment["deal"],
    }[where]
    holder[where.rsplit(".", 1)[-1]] = "__NUMBER__"
    path = tmp_path / "show.json"
    path.write_text(
        json.dumps(data)
        .replace('"__NUMBER__"', literal)
        .replace('"images/', f'"{sample.parent}/images/')
        .replace('"logo.png"', f'"{sample.parent}/logo.png"'),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("where", "literal", "message"),
    [
        ("stock", "1e40", "stock 1e40 is out of range: a whole number from 0 to 1,000,000,000"),
        ("stock", "1E+41", "stock 1E+41 is out of range: a whole number from 0 to 1,000,000,000"),
        ("stock", "-1e40", "stock must not be negative (got -1e40)"),
        ("seconds", "1e40", "1e40 s is longer than a day"),
        ("seconds", "1E+41", "1E+41 s is longer than a day"),
        ("seconds", "0e999999", "must be above zero (got 0e999999)"),
        ("deal.seconds", "1e40", "1e40 s is longer than a day"),
        (
            "deal.stock",
            "1e40",
            "deal stock 1e40 is out of range: a whole number from 1 to 1,000,000,000",
        ),
        (
            "deal.stock",
            "1E+41",
            "deal stock 1E+41 is out of range: a whole number from 1 to 1,000,000,000",
        ),
        ("deal.stock", "-1E+41", "must be above zero (got -1E+41)"),
    ],
)
def test_a_whole_number_out_of_range_is_said_one_way_and_as_written(
    tmp_path: Path, where: str, literal: str, message: str
) -> None:
    # Before: a file's stock, seconds or deal stock of 1e40 was quoted by its 41 digits (cut:
    # "10000000000000000000000000000000000000..."), its 1E+41 in the reader's own words ("a
    # whole number from 1 to 86,400" for seconds, "stock" for a deal's stock).
    report = read_show_file(_sample(tmp_path, where, literal))
    assert [problem.message for problem in report.errors] == [message]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1e40", "stock 1e40 is out of range: a whole number from 0 to 1,000,000,000"),
        ("1E+41", "stock 1E+41 is out of range: a whole number from 0 to 1,000,000,000"),
        ("-1e40", "stock must not be negative (got -1e40)"),
        ("NaN", "not a whole number: 'NaN'"),
    ],
)
def test_a_csv_stock_out_of_range_is_said_in_a_show_files_words_as_written(
    cell: str, message: str
) -> None:
    # Before: 1e40 was quoted by its digits, 1E+41 in the CSV's own words ("… is out of range:
    # stock is a whole number from …"), NaN "out of range" rather than no number.
    imported = parse_products_csv(f"sku,title,price,stock\nMUG,Mug,24,{cell}\n")
    assert [(p.path, p.message) for p in imported.errors] == [("row 2, column stock", message)]


def _token_refresh_error(
    monkeypatch: pytest.MonkeyPatch, serve: Callable[[socket.socket], None]
) -> str:
    """The status of a Twitch feed whose token expired and whose token endpoint is ``serve``."""
    monkeypatch.setattr(twitch, "_HELIX_TIMEOUT_S", 0.2)
    server = TwitchServer()
    stale = server.token
    server.expire_token()  # Helix answers 401 to it: a refresh is asked
    errors: list[str] = []

    async def scenario(token_url: str) -> None:
        await server.start_ws()
        url = server.feed_url().replace(f"oauth={server.url}/oauth2/token", f"oauth={token_url}")
        feed = TwitchChatFeed(
            url,
            stale,
            refresh_token=server.refresh_token,
            client_secret=server.client_secret,
            keep_tokens=lambda access, refresh: None,
        )
        stop = asyncio.Event()
        try:
            async with httpx.AsyncClient() as client:
                task = asyncio.create_task(feed.run(client, Sink(), stop))
                for _ in range(1000):
                    if feed.health.last_error:
                        errors.append(feed.health.last_error)
                        break
                    await asyncio.sleep(0.01)
                stop.set()
                await asyncio.wait_for(task, 10)
        finally:
            await server.stop_ws()

    with server, raw_server(serve) as token_url:
        asyncio.run(scenario(token_url))
    assert len(errors) == 1, errors
    return errors[0]


def _silent(connection: socket.socket) -> None:
    time.sleep(3)


def test_a_token_refresh_past_its_deadline_is_said_as_the_refresh_too_slow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before: "WebSocket: OSError: refreshing the token: ResponseTooSlow" (another
    # connection, a type name, no time) and for no answer "…: ReadTimeout".
    assert _token_refresh_error(monkeypatch, _slow_drip) == (
        "token refresh: the answer was still coming after 0.6 s: the server sends it too slowly"
    )
    assert _token_refresh_error(monkeypatch, _silent) == ("token refresh: no answer within 0.2 s")


class _BusyHelix(TwitchServer):
    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and path == "/helix/eventsub/subscriptions":
            return Reply(503, b'{"error": "Service Unavailable", "status": 503, "message": "busy"}')
        return super().handle(method, path, query, headers, body)


def test_a_subscription_helix_refuses_for_now_is_said_as_helix() -> None:
    # Before: "WebSocket: OSError: subscribing to channel.chat.message: HTTP 503 (…)": the
    # WebSocket was fine, and a type name the user cannot act on.
    server = _BusyHelix()
    errors: list[str] = []

    async def scenario() -> None:
        await server.start_ws()
        feed = TwitchChatFeed(server.feed_url(), server.token)
        stop = asyncio.Event()
        try:
            async with httpx.AsyncClient() as client:
                task = asyncio.create_task(feed.run(client, Sink(), stop))
                for _ in range(1000):
                    if feed.health.last_error:
                        errors.append(feed.health.last_error)
                        break
                    await asyncio.sleep(0.01)
                stop.set()
                await asyncio.wait_for(task, 10)
        finally:
            await server.stop_ws()

    with server:
        asyncio.run(scenario())
    assert len(errors) == 1 and errors[0].startswith(
        "Helix: subscribing to channel.chat.message: HTTP 503 ("
    ), errors


@pytest.mark.parametrize("value", [" http://127.0.0.1:9", "\thttp://127.0.0.1:9", " 127.0.0.1:9"])
def test_a_proxy_variable_with_white_space_before_it_is_named(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # Before: the check read the value stripped and passed; httpx reads it as it is, and
    # every feed ended with "Unknown scheme for proxy URL URL('%20http://…') (ValueError)",
    # "Invalid non-printable ASCII character" or "Name or service not known", naming no
    # variable to fix.
    for variable in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("HTTPS_PROXY", value)
    problem = feed_setup_problem([FeedSpec("json", "https://192.0.2.9/feed")], show=None)
    assert problem is not None and "HTTPS_PROXY" in problem, problem
    assert "has a space or a line break in it" in problem, problem
    with pytest.raises(
        (ValueError, httpx.HTTPError, httpx.InvalidURL)
    ):  # what the feeds met: httpx reads it so
        httpx.get("https://127.0.0.1:9/", timeout=2)


def test_a_refund_whose_id_is_a_place_key_is_not_taken_for_another(tmp_path: Path) -> None:
    # Before: a refund without an id is keyed by its place ("#2", R19hunt19in F10); a shop
    # sending another refund of the order with the id "#2" (a string, no Shopify id) had the
    # two taken for one sent again: $10.00 of refunds counted once, without a word.
    session = tmp_path / "show.adsession"
    with ShopifyOrdersServer() as shop:
        order = shop.add_order([("MUG", 3, "10.00")])
        shop.refund(order, "10.00")
        shop.refund(order, "10.00")
        first, second = shop.orders[0]["refunds"]
        first["id"], second["id"] = "#2", None
        ingest_until(
            FeedSpec("shopify-orders", shop.url),
            session,
            lambda hub: hub.health()[0].requests >= 2,
            token=shop.token,
        )
    report = build_report(session)
    # The refund whose id is no id is kept as rejected and counted in the report, never one
    # taken for the other in silence; since round 34 it is rejected alone, and the refund
    # without an id (the order's second) is counted.
    assert report.ledger.gmv_by_currency == {"USD": Decimal("20.00")}
    assert report.rejected_by_reason == {"unreadable": 1}


def test_a_page_asked_through_a_link_to_nowhere_or_a_loop_is_refused_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: --html r.html, a link to gone/page.html (a folder that does not exist), made
    # that folder and wrote the page there, printing "Page with charts: r.html" (the check of
    # R19hunt19in F7 looked at the link's folder); a loop of links was a traceback
    # (RuntimeError: Symlink loop).
    session = _a_session(tmp_path)
    link = tmp_path / "r.html"
    link.symlink_to(tmp_path / "gone" / "page.html")
    assert cli_main(["report", str(session), "--html", str(link)]) == 2
    said = capsys.readouterr().err
    assert f"the folder {tmp_path / 'gone'} does not exist" in said, said
    assert not (tmp_path / "gone").exists()
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for page in (tmp_path / "a", tmp_path / "a" / "r.html"):
        assert cli_main(["report", str(session), "--html", str(page)]) == 2
        said = capsys.readouterr().err
        assert "cannot write (Too many levels of symbolic links)" in said, said
        assert "Traceback" not in said


def test_a_show_imported_into_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    # Before: show import-csv -o shwos/2026/x.json (a typo) made every missing folder and
    # said "wrote 1 product"; a link to a gone folder made that folder (report --html's F7 of
    # round nineteen, in the import).
    sheet = tmp_path / "products.csv"
    sheet.write_text("sku,title,price,stock\nMUG,Mug,24,5\n", encoding="utf-8")
    link = tmp_path / "show.json"
    link.symlink_to(tmp_path / "gone" / "show.json")
    for output, folder in ((tmp_path / "shwos" / "2026" / "x.json", "shwos/2026"), (link, "gone")):
        imported = anchordesk("show", "import-csv", sheet, "-o", output)
        said = imported.stdout + imported.stderr
        assert imported.returncode == 2, said
        assert f"the folder {tmp_path / folder} does not exist" in said, said
    assert not (tmp_path / "shwos").exists() and not (tmp_path / "gone").exists()


@pytest.mark.parametrize("literal", ["1e999999999999999999999", "-1E-999999999999999999999"])
def test_a_number_past_decimals_exponent_rejects_its_item_not_the_page(literal: str) -> None:
    # Before: Decimal() raised InvalidOperation out of the page's parse: "unexpected error
    # (InvalidOperation)" on every poll, the page asked for again for ever, and no later item
    # of the feed was read.
    order = {"type": "order", "id": "o1", "total": "NUMBER", "currency": "USD", "lines": []}
    comment = {"type": "comment", "id": "c1", "author": "Amy", "text": "hi"}
    page = json.dumps({"items": [order, comment], "next": "2"})
    body = page.replace('"NUMBER"', literal).encode()

    def answer(connection: socket.socket) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % len(body)
            + body
        )

    async def poll_once(url: str) -> tuple[Poller, Sink]:
        async with httpx.AsyncClient() as client:
            sink = Sink()
            poller = Poller(
                JsonFeedAdapter(url, "token"), client, sink, timeout_s=2, unit_random=lambda: 0.0
            )
            await poller.poll_once()
            return poller, sink

    with raw_server(answer) as url:
        poller, sink = asyncio.run(poll_once(url))
    assert poller.health.last_error == "" and poller.cursor == "2"
    assert [type(item).__name__ for item in sink.items] == ["RejectedItem", "Comment"]
    rejected = sink.items[0]
    assert literal[:20] in str(getattr(rejected, "detail", "")) + str(rejected), rejected


def test_a_show_number_past_decimals_exponent_is_said_not_a_traceback(tmp_path: Path) -> None:
    # Before: Decimal() refused the literal, bounded_decimal took it for no number, and
    # json_float's assert came out of `show check` as a traceback; a CSV said "not a number".
    literal = "1e999999999999999999999"
    checked = anchordesk("show", "check", _sample(tmp_path, "stock", literal))
    said = checked.stdout + checked.stderr
    assert checked.returncode == 2 and "Traceback" not in said, said
    assert f"stock {literal} is out of range: a whole number from 0 to 1,000,000,000" in said
    imported = parse_products_csv(f"sku,title,price,stock\nMUG,Mug,{literal},5\n")
    assert [p.message for p in imported.errors] == [
        f"the price {literal} is out of range: a number from 0 to 1,000,000,000"
    ]
