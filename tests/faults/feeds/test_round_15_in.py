"""Round fifteen of issue 10 (hunt15in): data from outside — show files, CSV imports, feeds,
the report, secrets in URLs (R15in.md)."""

from __future__ import annotations

import asyncio
import difflib
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from feed_servers import Reply, ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer
from report_sessions import write_big_session
from test_poller import Collector, FakeTime, make_poller

from anchordesk.feeds.poller import Poller
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.show.feed_items import FeedItem, Order, RejectedItem
from anchordesk.showfile.files import read_show_file
from anchordesk.store import SessionStore

from ..show_inputs import anchordesk, assert_clean_output, valid_show, write_show

SIGNED = (
    "https://bucket.s3.amazonaws.com/mug.png?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
    "&X-Amz-Signature=0123456789abcdef0123456789abcdef"
)


def test_a_signed_image_address_is_said_masked(tmp_path: Path) -> None:
    """F1: `show check` said "the image https://user:secret@cdn/…?X-Amz-Signature=… is a web
    address" with the password and the signature in the clear (a shop's export gives signed
    addresses): the one rule of core/redact masks them as it does every other URL."""
    show = valid_show()
    show["products"][0]["image"] = SIGNED
    show["products"][1]["image"] = "https://anchor:hunter2-pass@cdn.example.com/kettle.png"
    result = anchordesk("show", "check", write_show(tmp_path, show))
    assert result.returncode == 2
    assert_clean_output(result)
    output = result.stdout + result.stderr
    assert "is a web address" in output
    for secret in ("AKIAIOSFODNN7EXAMPLE", "0123456789abcdef0123456789abcdef", "hunter2-pass"):
        assert secret not in output
    assert "bucket.s3.amazonaws.com/mug.png" in output  # which picture is still said


KANJI_SHEET = (
    "sku,title,price,stock\n"
    "UJI-40,宇治抹茶 40g缶,2480,50\n"
    "SAKE-720,日本酒 純米大吟醸 720ml,3980,20\n"
    "SAIFU-01,本革 長財布 黒,12800,5\n"
)
HANZI_SHEET = (
    "sku,title,price,stock\n"
    "SERUM-30,玻尿酸保湿精华液 30ml,199.00,500\n"
    "CREAM-50,修护面霜 50g,259.00,300\n"
    "MASK-10,补水面膜 10片装,129.00,400\n"
)


def test_a_japanese_excel_sheet_of_kanji_titles_is_read_as_shift_jis(tmp_path: Path) -> None:
    """F2: a CSV saved by Excel on a Japanese Windows (Shift_JIS) whose titles hold no kana
    ("宇治抹茶 40g缶") was "read as GB18030 (Chinese Windows)": every title other characters
    ("塅帯枙拑 40g娛") and the new show guessed Chinese, in yuan. A Chinese sheet saved by a
    Chinese Windows (GBK) is still read as GB18030."""
    for sheet, encoding, said, language, currency in (
        (KANJI_SHEET, "cp932", "Shift_JIS", "ja_JP", "JPY"),
        (HANZI_SHEET, "gbk", "GB18030", "zh_CN", "CNY"),
    ):
        folder = tmp_path / encoding
        folder.mkdir()
        csv = folder / "products.csv"
        csv.write_bytes(sheet.encode(encoding))
        result = anchordesk("show", "import-csv", csv, "-o", folder / "show.json")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"read as {said}" in result.stdout + result.stderr
        show = json.loads((folder / "show.json").read_text(encoding="utf-8"))
        expected = [line.split(",")[1] for line in sheet.splitlines()[1:]]
        assert [product["title"] for product in show["products"]] == expected
        assert (show["language"], show["currency"]) == (language, currency)


def _rest_polled(
    adapter: ShopifyOrdersAdapter, cursor: str | None, polls: int
) -> tuple[Collector, Poller]:
    sink, fake = Collector(), FakeTime()
    poller: Poller | None = None

    async def run() -> None:
        nonlocal poller
        async with httpx.AsyncClient() as client:
            poller = make_poller(adapter, client, sink, fake, cursor=cursor)
            for _ in range(polls):
                fake.now_s += await poller.poll_once()

    asyncio.run(run())
    assert poller is not None
    return sink, poller


@pytest.mark.parametrize("since", ["9" * 5000, str(2**64), "99999999999999999999"])
def test_a_shopify_rest_cursor_past_64_bits_asks_from_the_start(since: str) -> None:
    """F3: a session file whose Shopify REST cursor holds no order id (a hand edit, a damaged
    file: 5,000 digits, or one past 64 bits) read no order for the whole show: int() of the
    5,000 digits raised out of every request ("unexpected error (ValueError)"), and a 20-digit
    since_id is past every order the shop will ever make. Such a cursor asks from the start,
    as an unreadable one does (the store keeps each order once)."""
    with ShopifyOrdersServer() as server:
        first = server.add_order([("MUG", 1, "12.00")])
        adapter = ShopifyOrdersAdapter(server.url, server.token)
        sink, poller = _rest_polled(adapter, f"{since}|2026-01-01T00:00:00+00:00", 3)
    assert [item.id for item in sink.items if isinstance(item, Order)] == [str(first)]
    assert poller.health.state == "ok"


@pytest.mark.parametrize("version", ["9" * 5000, "x" * 100_000])
def test_a_session_file_of_an_absurd_schema_version_is_refused_in_one_line(
    tmp_path: Path, version: str
) -> None:
    """F4: `anchordesk report` of a session file whose schema version was hand-edited to 5,000
    digits ended in a traceback (int()'s "Exceeds the limit (4300 digits)", exit 1); one of
    100,000 letters was printed whole in the error line."""
    path = tmp_path / "edited.adsession"
    SessionStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    db.close()
    result = anchordesk("report", path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert_clean_output(result)
    [line] = (result.stdout + result.stderr).strip().splitlines()
    assert "not a usable session file (schema version" in line and len(line) < 300


class _NullRefundIdShop(ShopifyOrdersServer):
    """Shopify REST whose refunds carry ``"id": null`` (or ``true``): a broken app or proxy."""

    def __init__(self, refund_id: object) -> None:
        super().__init__()
        self.refund_id = refund_id

    def refund(self, order_id: int, amount: str, lines: Sequence[tuple[int, int]] = ()) -> int:
        number = super().refund(order_id, amount, lines)
        self._order(order_id)["refunds"][-1]["id"] = self.refund_id
        return number


def test_two_shopify_refunds_without_ids_are_both_counted(tmp_path: Path) -> None:
    """F5: two refunds of one order, each with ``"id": null``, were keyed "ORDER:refund:None":
    the second was "sent again" with another amount, listed as changed and never counted
    (the report's GMV 3.00 too high). An id of ``true`` was kept as "True". Now a null id is
    none (each refund keyed by its amount, as the other feeds do) and ``true`` is no id: the
    refund is rejected with why, in the feed's spelling."""
    with _NullRefundIdShop(None) as server:
        order = server.add_order([("MUG", 2, "12.00")])
        adapter = ShopifyOrdersAdapter(server.url, server.token)
        store = SessionStore(tmp_path / "s.adsession")

        async def sink(source: str, items: Sequence[FeedItem], cursor: str | None) -> None:
            store.write_batch(source, items, cursor)

        fake = FakeTime()

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                poller = make_poller(adapter, client, sink, fake)  # type: ignore[arg-type]
                for step in (
                    lambda: None,
                    lambda: server.refund(order, "3.00"),
                    lambda: server.refund(order, "4.00"),
                ):
                    step()
                    for _ in range(3):
                        fake.now_s += await poller.poll_once()

        asyncio.run(run())
        store.close()
    result = anchordesk("report", tmp_path / "s.adsession", "--json")
    data = json.loads(result.stdout)
    assert data["gmv"] == "17.00", data  # 24.00 less 3.00 and 4.00
    assert data["rejected_items"] == 0
    with _NullRefundIdShop(True) as server:
        order = server.add_order([("MUG", 1, "12.00")])
        server.refund(order, "3.00")
        sink_items, _ = _rest_polled(ShopifyOrdersAdapter(server.url, server.token), None, 3)
    [rejected] = [item for item in sink_items.items if isinstance(item, RejectedItem)]
    assert rejected.detail == "refund id true is not a text or a whole number"


def test_a_products_sales_in_another_currency_are_in_the_text_and_the_page(
    tmp_path: Path,
) -> None:
    """F6: a CNY show with a 12.50 USD order for SKU-05: `report` and `report --html` listed
    SKU-05's row and its segment's with their yuan only (--json had the dollars apart, the
    summary the show's USD GMV): a product sold in dollars read as sold for nothing. The rows
    now say both, apart: "CN¥… + $12.50"."""
    path = tmp_path / "show.adsession"
    write_big_session(path)
    text = anchordesk("report", path, "--lang", "en")
    assert text.returncode == 0, text.stderr
    [mug] = [line for line in text.stdout.splitlines() if line.strip().startswith("SKU-05 ")]
    assert " + $12.50" in mug
    assert sum(" + $12.50" in line for line in text.stdout.splitlines()) >= 2  # its segment
    page = tmp_path / "r.html"
    assert anchordesk("report", path, "--html", page, "--lang", "en").returncode == 0
    assert page.read_text(encoding="utf-8").count(" + $12.50</td>") >= 2


def test_a_show_of_200000_unknown_fields_is_read_in_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F7: a show file of 200,000 unknown fields (3 MB, far under the 20 MB limit) took
    `show check`, `live --show` and the window's reading 31 s, nearly all of it difflib
    looking for a "did you mean" for each; a 20 MB one, minutes. The hint is looked for in
    the first fields only; every unknown field is still said."""
    show = valid_show()
    show["products"][0].update({f"extra{number}": 1 for number in range(200_000)})
    show["tilte"] = "x"  # a typo read before them still gets its hint
    hinted: list[str] = []
    looked_up = difflib.get_close_matches

    def get_close_matches(word: str, *args: object, **kwargs: object) -> list[str]:
        hinted.append(word)
        return looked_up(word, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(difflib, "get_close_matches", get_close_matches)
    # CPU seconds, not the wall clock: a machine shared by other work stretches the wall time
    # (15 and 30 s seen with twenty busy processes on two cores), not the work itself.
    started = time.process_time()
    result = read_show_file(write_show(tmp_path, show))
    elapsed_s = time.process_time() - started
    unknown = [p for p in result.problems if "unknown field" in str(p.message)]
    # The first 20 each said, the rest in one line (R19hunt19in F8: 200,000 lines before).
    assert len(unknown) == 21
    assert any("199,981 more unknown fields" in str(p.message) for p in unknown)
    assert any("did you mean 'title'" in str(p.message) for p in unknown)
    # The cause, counted: difflib asked about the first fields only (100 here), not about each
    # of the 200,001 (which now costs 5 s of CPU here, no longer telling the two apart by time).
    assert len(hinted) < 1_000, len(hinted)
    assert elapsed_s < 15.0, f"{elapsed_s:.1f} s"  # 31 s before, 3-5 s after (CPU, this machine)


class _ShopOfDate(BaseHTTPRequestHandler):
    """One order, REST and GraphQL, with the ``Date`` header the test sets (a shop's or a
    proxy's clock)."""

    date = ""
    order: ClassVar[dict[str, object]] = {
        "id": 1001,
        "currency": "USD",
        "total_price": "10.00",
        "line_items": [{"id": 1, "sku": "MUG", "quantity": 1, "price": "10.00"}],
        "updated_at": "2026-11-29T20:00:00Z",
        "refunds": [],
    }
    node: ClassVar[dict[str, object]] = {
        "id": "gid://shopify/Order/1002",
        "legacyResourceId": "1002",
        "updatedAt": "2026-11-29T20:00:00Z",
        "currencyCode": "USD",
        "totalPriceSet": {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}},
        "lineItems": {"nodes": []},
        "refunds": [],
    }

    def date_time_string(self, timestamp: float | None = None) -> str:
        return self.date

    def _reply(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply({"orders": [self.order]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        orders = {"pageInfo": {"hasNextPage": False}, "nodes": [self.node]}
        self._reply({"data": {"orders": orders}})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:59 -1400", "Fri, 31 Dec 9999 20:00:00 -0400"]
)
def test_a_shop_whose_date_is_past_year_9999_in_utc_still_has_its_orders_read(date: str) -> None:
    """F8: a shop (or a proxy) answering with ``Date: Fri, 31 Dec 9999 23:59:59 -1400`` (past
    year 9999 in UTC): reading its Date raised OverflowError out of every page of both Shopify
    adapters ("unexpected error (OverflowError)"), and no order was read while it did. Such a
    Date is no date (the computer's clock stands in)."""
    _ShopOfDate.date = date
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ShopOfDate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        rest = ShopifyOrdersAdapter(f"{base}/admin/api/2026-07/orders.json", "shpat_test")
        sink, poller = _rest_polled(rest, None, 3)
        assert [item.id for item in sink.items] == ["1001"] and poller.health.state == "ok"
        graphql = ShopifyGraphQLOrdersAdapter(base, "shpat_test")
        sink, poller = _rest_polled(graphql, None, 3)  # type: ignore[arg-type]
        assert [item.id for item in sink.items] == ["1002"] and poller.health.state == "ok"
    finally:
        server.shutdown()
        server.server_close()


class _PageInfoShop(ShopifyGraphQLServer):
    """Shopify GraphQL whose ``pageInfo`` is not an object (a broken proxy or app)."""

    def __init__(self, page_info: object) -> None:
        super().__init__()
        self.page_info = page_info

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        if isinstance(answer.get("data"), dict):
            answer["data"]["orders"]["pageInfo"] = self.page_info
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


@pytest.mark.parametrize("page_info", ["x", [True], 5, True])
def test_a_shopify_graphql_page_info_that_is_no_object_does_not_stop_the_orders(
    page_info: object,
) -> None:
    """F9: a GraphQL page whose ``pageInfo`` was "x", a list, a number or true raised
    AttributeError out of the page ("unexpected error"), asked again for ever: its orders, and
    every one after it, were never read. Read as absent, the page's orders are kept once and
    the next window brings the later ones."""
    with _PageInfoShop(page_info) as server:
        first = server.add_order([("MUG", 1, "12.00")])
        adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
        sink, fake = Collector(), FakeTime()

        async def run() -> Poller:
            async with httpx.AsyncClient() as client:
                poller = make_poller(adapter, client, sink, fake)
                for step in (lambda: None, lambda: server.add_order([("CUP", 1, "9.00")])):
                    step()
                    for _ in range(3):
                        fake.now_s += await poller.poll_once()
                return poller

        poller = asyncio.run(run())
    ids = [item.id for item in sink.items if isinstance(item, Order)]
    assert ids == [str(first), str(first + 1)]
    assert poller.health.state == "ok"


def test_the_pages_name_is_printed_escaped_after_the_report(tmp_path: Path) -> None:
    """F10: `report --html 'r<ESC>[2J.html'` printed the page's name raw in its last line
    ("page with charts: r␛[2J.html": the terminal cleared), while every other line naming a
    file the user chose (the errors, `show check`, `live`) escapes it."""
    path = tmp_path / "show.adsession"
    write_big_session(path)
    page = tmp_path / "r\x1b[2J\x07.html"
    result = anchordesk("report", path, "--html", page, "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert_clean_output(result)
    assert "r\\x1b[2J\\x07.html" in result.stdout
    assert page.is_file()
