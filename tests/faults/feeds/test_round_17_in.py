"""Round seventeen of issue 10 (hunt17in): data from outside — show files, CSV imports, feeds,
the report, secrets in URLs (R17hunt17in.md)."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import socket
import string
import threading
from decimal import Decimal
from pathlib import Path

import feed_servers
import httpx
import pytest
from feed_servers import JsonFeedServer, Reply, ShopifyOrdersServer

from anchordesk.cli.main import main as cli_main
from anchordesk.core.printable import escape_controls
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.hub import _new_http_client, unusable_proxy
from anchordesk.feeds.poller import Poller, goes_direct
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.spec import FeedSpec
from anchordesk.show.feed_items import FeedItem, Order, OrderLine, RejectedItem
from anchordesk.store.report import build_report

from ..feed_parts import ingest_until
from .test_round_13_pages import _polled


class _Kept:
    async def __call__(self, source: str, items: list[FeedItem], cursor: str | None) -> list:
        return list(items)


def _own_address(family: socket.AddressFamily, far: str) -> str | None:
    """An address of this machine that is not loopback (the one its route out leaves from)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((far, 9))  # UDP: nothing is sent
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith(("127.", "::1")) else address


@pytest.mark.parametrize(
    ("family", "far", "no_proxy"),
    [
        (socket.AF_INET, "198.51.100.1", "{net4},.internal"),
        (socket.AF_INET6, "2001:db8::1", "localhost,{net6}"),
    ],
    ids=["ipv4-range", "ipv6-range"],
)
def test_a_feed_inside_an_address_range_no_proxy_names_is_not_asked_through_the_proxy(
    family: socket.AddressFamily, far: str, no_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F2 (task): an office's HTTP_PROXY with ``NO_PROXY=10.0.0.0/8,.internal``, as curl reads
    it, and the shop's bridge on the office network: httpx exempted only the one address
    10.0.0.0, so every poll went to the proxy ("network error", no order read all show); an
    IPv6 range stopped every feed ("NO_PROXY holds an entry that is no host name")."""
    address = _own_address(family, far)
    if address is None:
        pytest.skip("this machine has no address of that family besides loopback")
    with socket.create_server(("127.0.0.1", 0)) as gone:
        proxy = f"http://127.0.0.1:{gone.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    if family == socket.AF_INET:
        range_ = ".".join(address.split(".")[:2]) + ".0.0/16"
    else:
        range_ = address.split(":")[0] + "::/16"
    monkeypatch.setenv("NO_PROXY", no_proxy.format(net4=range_, net6=range_))
    monkeypatch.setattr(feed_servers.ThreadingHTTPServer, "address_family", family)
    server = JsonFeedServer(poll_ms=100)
    server.host = address
    server.add_comment("mei", "does it come in blue?")
    host = f"[{address}]" if ":" in address else address

    async def poll_through_the_hubs_client(url: str) -> Poller:
        async with _new_http_client(2.0, httpx.Limits(), [url]) as client:
            poller = Poller(JsonFeedAdapter(url, None), client, _Kept(), timeout_s=2.0)
            await poller.poll_once()
            return poller

    assert unusable_proxy() is None
    with server:
        poller = asyncio.run(poll_through_the_hubs_client(f"http://{host}:{server.port}/feed"))
    assert (poller.health.items, poller.health.last_error) == (1, "")


def test_twitchs_websocket_reads_the_same_ranges() -> None:
    """The EventSub WebSocket (websockets reads NO_PROXY through urllib, without ranges) goes
    direct to an address inside a range, and only to an address: a name is not resolved."""
    no_proxy = "10.0.0.0/8, fd00::/8 ,.internal"
    inside = ["wss://10.1.2.3/ws", "ws://[fd00::5]:8080/ws", "wss://[::ffff:10.0.0.9]/ws"]
    outside = ["wss://11.0.0.1/ws", "wss://[fe80::1]/ws", "wss://10.example/ws", "wss://ten/"]
    assert [goes_direct(url, no_proxy) for url in inside] == [True] * len(inside)
    assert [goes_direct(url, no_proxy) for url in outside] == [False] * len(outside)


def test_an_amount_past_the_ceiling_is_rejected_for_it_and_never_said_in_exponent_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F1 (task): a refund of ``1e400`` (JSON feed, and a Shopify refund transaction) was
    listed as an unreadable item "refund 1.000000000000000000000000000E+400 is not an
    amount", an order's total of ``1e309`` as "total 1E+309": the rule's reason ("amount
    above the ceiling"), never Decimal's exponent form."""
    json_session, shop_session = tmp_path / "json.adsession", tmp_path / "shop.adsession"
    feed = JsonFeedServer(poll_ms=10)
    with feed:
        feed.add_order("SERUM-30", 2, "129.00")  # o1, counted
        feed.add_update("o1", "refunded", "1e400", refund_id="r-huge")
        feed.add_update("o1", "refunded", "-1e400", refund_id="r-negative")
        feed.add_raw(
            {
                "type": "order",
                "id": "o-inf",
                "currency": "CNY",
                "total": "1e309",
                "lines": [{"sku": "SERUM-30", "quantity": 1, "price": "10.00"}],
            }
        )
        ingest_until(
            FeedSpec("json", feed.url),
            json_session,
            lambda hub: hub.pollers[0].cursor == str(len(feed.items)),
        )
    shop = ShopifyOrdersServer()
    with shop:
        counted = shop.add_order([("SERUM-30", 1, "19.99")])
        refunded = shop.add_order([("SERUM-30", 1, "19.99")])
        shop.refund(refunded, "1e400")
        ingest_until(
            FeedSpec("shopify-orders", shop.url),
            shop_session,
            lambda hub: hub.health()[0].rejected == 1,
            token=shop.token,
        )

    by_json = build_report(json_session)
    assert by_json.rejected_by_reason == {"amount_too_large": 2, "amount_negative": 1}
    assert by_json.ledger.gmv_by_currency == {"CNY": Decimal("258.00")}
    by_shop = build_report(shop_session)
    assert by_shop.rejected_by_reason == {"amount_too_large": 1}
    assert by_shop.orders == 2 and counted

    for session in (json_session, shop_session):
        assert cli_main(["report", str(session), "--lang", "en"]) == 0
        text = capsys.readouterr().out
        assert cli_main(["report", str(session), "--json"]) == 0
        details = [entry["detail"] for entry in json.loads(capsys.readouterr().out)["rejected"]]
        assert details and not [d for d in details if "E+" in d or "E-" in d]
        assert "E+" not in text
    assert sorted(details) == ["refund of 401 digits"]
    assert "refund of 401 digits, negative — negative amount" in _text_of(json_session, capsys)
    assert "total of 310 digits — amount above the ceiling" in _text_of(json_session, capsys)


def _text_of(session: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli_main(["report", str(session), "--lang", "en"]) == 0
    return capsys.readouterr().out


def test_the_reports_counts_of_one_are_said_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F4 (task): "1 items rejected, not counted: 1 unreadable item", "2 unreadable item",
    "Orders 1 (1 units)": English's plural by CLDR's rule (Babel), as the numbers are."""
    session = tmp_path / "s.adsession"
    feed = JsonFeedServer(poll_ms=10)
    with feed:
        feed.add_order("SERUM-30", 1, "129.00")
        feed.add_raw({"type": "order", "id": "o-nan", "total": "NaN", "lines": []})
        feed.add_raw({"type": "order", "id": "o-neg", "total": "-5.00", "lines": []})
        feed.add_raw({"type": "order", "id": "o-neg2", "total": "-6.00", "lines": []})
        ingest_until(
            FeedSpec("json", feed.url),
            session,
            lambda hub: hub.pollers[0].cursor == str(len(feed.items)),
        )
    html = tmp_path / "r.html"
    out = _text_of(session, capsys)
    assert cli_main(["report", str(session), "--lang", "en", "--html", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    capsys.readouterr()
    assert "(1 unit)" in out
    assert "3 items, not counted" in out
    assert "3 items rejected, not counted: 2 negative amounts, 1 unreadable item" in out
    assert "order o-neg (json): total -5.00 — negative amount" in out
    assert "2 negative amounts, 1 unreadable item" in page

    for language in ("zh_CN", "ja"):  # one form only: the same words for 1 and for 3
        assert cli_main(["report", str(session), "--lang", language]) == 0
        assert "items" not in capsys.readouterr().out


def test_every_english_singular_has_the_placeholders_of_its_plural() -> None:
    from anchordesk.store.report_i18n import ENGLISH_ONE, MESSAGES

    for message, one in ENGLISH_ONE.items():
        other = MESSAGES[message][0]
        assert one != other
        assert {n for _, n, _, _ in string.Formatter().parse(one) if n} == {
            n for _, n, _, _ in string.Formatter().parse(other) if n
        }, message


class _ShopIgnoringFields(ShopifyOrdersServer):
    """Shopify REST that sends whole orders whatever ``fields`` asks, and one order so large
    (an app's thousands of note attributes) that any answer holding it is past the 8 MB cap."""

    huge_id = 0

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply = super().respond({k: v for k, v in query.items() if k != "fields"}, headers)
        if self.huge_id and re.search(rf'"id": {self.huge_id}[,}}]'.encode(), reply.body):
            return Reply(
                200,
                gzip.compress(b" " * 9_000_000),
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
        return reply


def test_a_new_order_past_the_cap_from_a_shop_that_ignores_fields_is_rejected_and_passed() -> None:
    """F3 (task): one new order past the 8 MB cap alone, and a shop that answers
    ``fields=id`` with whole orders: asked for its id for ever ("response larger than the 8
    MB limit" every call), no later order of the show was read. Its id is found by since_id,
    it is kept as rejected with why, and the orders after it are read."""
    with _ShopIgnoringFields() as server:
        first = server.add_order([("MUG", 1, "5.00")])
        with server.lock:
            server.next_id += 123_456_789  # a busy platform: ids far apart
        huge = server.add_order([("MUG", 1, "5.00")])
        server.huge_id = huge
        for _ in range(4):
            server.add_order([("MUG", 1, "5.00")])

        sink, poller, _ = _polled(
            ShopifyOrdersAdapter(server.url, server.token),
            [(80, lambda: None), (4, lambda: server.add_order([("LATE", 1, "5.00")]))],
        )
        searched = [query for _, query, _ in server.requests if query.get("fields") == "id"]
    orders = [int(item.id) for item in sink.items if isinstance(item, Order)]
    assert len(orders) == 6 and huge not in orders and first in orders
    rejected = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert [(item.kind, item.item_id) for item in rejected] == [("order", str(huge))]
    assert "even asked for its id only" in rejected[0].detail
    assert poller.health.items >= 7, poller.health
    assert len(searched) < 50  # found within a few dozen calls, once (37 here)


def _answering(payload: bytes) -> tuple[str, threading.Event]:
    """A server on loopback that answers every connection with ``payload`` (raw bytes)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        with server:
            while not stop.is_set():
                try:
                    connection, _ = server.accept()
                except OSError:
                    continue
                with connection:
                    connection.settimeout(2)
                    try:
                        connection.recv(65536)
                        connection.sendall(payload)
                    except OSError:
                        pass

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/feed", stop


@pytest.mark.parametrize(
    ("location", "escaped"),
    [
        ("https://evil.example/\u202egnp.exe?access_token=SECRET123", "\\u202egnp.exe"),
        ("https://evil.example/a\u2028b\u0085c", "a\\u2028b\\x85c"),
        ("https://evil.example/a\x9b2Jb", "a\\x9b2Jb"),  # C1 CSI: a terminal's ESC [
        ("https://evil.example/TAG\U000e0041", "TAG\\U000e0041"),
    ],
    ids=["right-to-left-override", "line-separators", "c1-csi", "tag"],
)
def test_a_redirect_to_an_address_of_control_characters_is_said_escaped(
    location: str, escaped: str
) -> None:
    """F5: a feed answering 301 with a ``Location`` holding a right-to-left override, a line
    separator or an 8-bit CSI (bytes outside ASCII, read since R16's F4): the feed's status,
    shown in the window and on the phone, held them raw ("…/\u202egnp.exe" read as
    "…/exe.png"); the log escaped them."""
    payload = (
        b"HTTP/1.1 301 Moved\r\nLocation: "
        + location.encode("utf-8")
        + b"\r\nContent-Length: 0\r\n\r\n"
    )
    url, stop = _answering(payload)

    async def poll() -> Poller:
        async with _new_http_client(2.0, httpx.Limits(), [url]) as client:
            poller = Poller(JsonFeedAdapter(url, None), client, _Kept(), timeout_s=2.0)
            await poller.poll_once()
            return poller

    try:
        said = asyncio.run(poll()).health.last_error
    finally:
        stop.set()
    assert "redirects (HTTP 301)" in said
    assert escape_controls(said) == said
    assert escaped in said and "SECRET123" not in said


@pytest.mark.parametrize(
    "price", ["1234567890123456789012345678901", "12345678901234567890123456789.5"]
)
def test_a_price_of_many_digits_is_quoted_as_the_file_writes_it(
    price: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F6: ``show check`` of a price of 31 digits said "the price
    1234567890123456789012345679000 is out of range": another number than the file's
    (Decimal's normalize() rounds to 28 digits)."""
    show = {
        "format": 1,
        "title": "t",
        "currency": "USD",
        "language": "en",
        "products": [{"sku": "A", "title": "a", "price": price, "stock": 1}],
        "rundown": [{"title": "x", "seconds": 5}],
    }
    path = tmp_path / "show.json"
    path.write_text(json.dumps(show), encoding="utf-8")
    assert cli_main(["show", "check", str(path)]) == 2
    assert f"the price {price} is out of range" in capsys.readouterr().out


def test_an_old_sessions_order_past_the_ceiling_sent_again_is_said_in_words() -> None:
    """F1, the words of a changed copy: an order an older version kept with a total of 1e309
    (before the rule), sent again, is "an amount of 310 digits", not "1E+309"."""
    from anchordesk.show.feed_rules import changed_copy_problem

    line = (OrderLine("MUG", 1, Decimal("5.00")),)
    kept = Order("json", "o1", "USD", Decimal("1e309"), line)
    again = Order("json", "o1", "USD", Decimal("5.00"), line)
    problem = changed_copy_problem(kept, again)
    assert problem is not None
    assert problem.detail == (
        "sent again as 5.00 USD for 1 unit; the first copy counts: an amount of 310 digits "
        "USD for 1 unit"
    )


LONG_HUNDRED = "100." + "0" * 41  # 100, written with 45 characters
LONG_TINY = "0." + "0" * 43 + "1"  # 1e-44


@pytest.mark.parametrize(
    ("price", "said"),
    [
        (LONG_HUNDRED, "is written with more than 40 characters: write it shorter"),
        (LONG_TINY, "has too many decimals"),
    ],
)
def test_a_number_written_too_long_is_not_said_out_of_range(
    price: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F7: a price of 100 written with 45 characters (a spreadsheet's export), in a show file
    and in a CSV, was "out of range: a number from 0 to 1,000,000,000", which 100 is; one of
    1e-44 the same, when what it has too much of is decimals."""
    show = {
        "format": 1,
        "title": "t",
        "currency": "USD",
        "language": "en",
        "products": [{"sku": "A", "title": "a", "price": price, "stock": 1}],
        "rundown": [{"title": "x", "seconds": 5}],
    }
    path = tmp_path / "show.json"
    path.write_text(json.dumps(show), encoding="utf-8")
    assert cli_main(["show", "check", str(path)]) == 2
    out = capsys.readouterr().out
    assert said in out and "out of range" not in out

    sheet = tmp_path / "products.csv"
    sheet.write_text(f"sku,title,price,stock\nA,a,{price},1\n", encoding="utf-8")
    assert cli_main(["show", "import-csv", str(sheet), "-o", str(tmp_path / "new.json")]) == 2
    out = capsys.readouterr().out
    assert said.replace("has too many decimals", "has too many decimals for a price") in out
    assert "out of range" not in out


def test_the_page_lists_a_thousand_rejected_items_and_says_how_many_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F8: a feed sending junk all show (200,000 bad items) made a report page of 23 MB, a
    row each; the text lists 20 and says how many more, the page now 1,000 (all in --json)."""
    from anchordesk.show.feed_items import RejectedItem as Rejected
    from anchordesk.store import SessionStore

    session = tmp_path / "s.adsession"
    store = SessionStore(session)
    bad = [
        Rejected("json", "order", f"o{n}", "unreadable", "no id", raw="{}") for n in range(1_500)
    ]
    store.write_batch("json", bad, "1")
    store.close()
    page = tmp_path / "r.html"
    assert cli_main(["report", str(session), "--lang", "en", "--html", str(page)]) == 0
    capsys.readouterr()
    html = page.read_text(encoding="utf-8")
    assert html.count("<td>no id</td>") == 1_000
    assert "… and 500 more" in html
    assert "1,500 items rejected, not counted: 1,500 unreadable items" in html


def test_a_cancellation_whose_order_never_came_or_was_rejected_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F9: docs/feed-protocol.md: an update "whose order never arrives is listed in the
    report". It was not: a cancellation of an order never sent, and the cancellation and
    refund of an order rejected (a negative total), were kept aside by the ledger and the
    report said nothing of them, in text, page or JSON."""
    session = tmp_path / "s.adsession"
    feed = JsonFeedServer(poll_ms=10)
    with feed:
        feed.add_order("SERUM-30", 1, "129.00")  # o1, counted
        feed.add_raw({"type": "order", "id": "o-neg", "total": "-5.00", "lines": []})
        feed.add_update("o-neg", "cancelled")
        feed.add_update("o-never", "refunded", "3.00", refund_id="r1")
        feed.add_update("o1", "refunded", "9.00", refund_id="r1")  # counted
        ingest_until(
            FeedSpec("json", feed.url),
            session,
            lambda hub: hub.pollers[0].cursor == str(len(feed.items)),
        )
    report = build_report(session)
    assert report.ledger.gmv_by_currency == {"CNY": Decimal("120.00")}
    assert report.rejected_by_reason == {"update_order_not_counted": 2, "amount_negative": 1}
    out = _text_of(session, capsys)
    assert "order_update o-never:refund:r1 (json): refunded; order o-never is not counted" in out
    assert "order_update o-neg:cancelled (json): cancelled; order o-neg is not counted" in out
    assert cli_main(["report", str(session), "--json"]) == 0
    listed = {entry["id"] for entry in json.loads(capsys.readouterr().out)["rejected"]}
    assert {"o-never:refund:r1", "o-neg:cancelled"} <= listed


def test_a_cell_too_long_across_many_lines_is_named_by_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F10: a quoted cell past the cell limit spanning 70,000 lines (a pasted log in a notes
    column) in the sheet's third row was said at "row 65,538", a line inside the cell: every
    other message numbers rows as the sheet does."""
    sheet = tmp_path / "products.csv"
    sheet.write_text(
        'sku,title,price,stock\nA,a,5,1\nB,"' + "y\n" * 70_000 + '",5,1\n', encoding="utf-8"
    )
    assert cli_main(["show", "import-csv", str(sheet), "-o", str(tmp_path / "new.json")]) == 2
    out = capsys.readouterr().out
    assert "error: row 3: a cell is longer than 131,072 characters" in out
    assert "fix the row 3 and import again" in out
