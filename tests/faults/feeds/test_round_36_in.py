"""Round thirty-six, inputs (R36in36): prices and stock as a spreadsheet in a European locale
writes them (the sign after the number, thousands grouped by spaces)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from feed_servers import JsonFeedServer

from anchordesk.feeds.spec import FeedSpec
from anchordesk.store.report import build_report
from anchordesk.store.session import SessionStore

from ..feed_parts import ingest_until
from ..show_inputs import anchordesk, assert_clean_output


@pytest.mark.parametrize(
    ("price", "stock", "separator"),
    [
        ("12,50 €", "5", ";"),  # German/French Excel: the sign after the number
        ("1 299,00 €", "1 000", ";"),  # French: thousands grouped by a space
        ("1\u00a0299,00 €", "1\u00a0000", ";"),  # Excel's no-break space
        ("1\u202f299,00 €", "1\u202f000", ";"),  # newer Excel's narrow no-break space
        ("1 299.00€", "1 000", ","),
    ],
)
def test_a_price_written_as_a_european_spreadsheet_writes_it_is_read(
    tmp_path: Path, price: str, stock: str, separator: str
) -> None:
    csv = tmp_path / "products.csv"
    csv.write_text(
        f"sku{separator}title{separator}price{separator}stock\n"
        f'MUG{separator}Travel mug{separator}"{price}"{separator}"{stock}"\n',
        encoding="utf-8",
    )
    output = tmp_path / "show.json"
    result = anchordesk("show", "import-csv", csv, "-o", output)
    assert_clean_output(result)
    assert result.returncode == 0, result.stdout + result.stderr
    show = json.loads(output.read_text(encoding="utf-8"))
    assert show["currency"] == "EUR"
    (product,) = show["products"]
    expected_price = Decimal("12.50") if price.startswith("12,50") else Decimal("1299.00")
    assert Decimal(str(product["price"])) == expected_price
    assert product["stock"] == (5 if stock == "5" else 1000)


def test_a_sign_after_the_price_of_another_currency_is_refused_not_dropped(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "products.csv"
    csv.write_text("sku,title,price,stock,currency\nMUG,Travel mug,12.50 €,5,USD\n", "utf-8")
    result = anchordesk("show", "import-csv", csv, "-o", tmp_path / "show.json")
    assert result.returncode == 2
    assert (
        "row 2, column price: '12.50 €' is written with €, which is not a sign of USD"
        in result.stdout
    )


class _TwiceBridge(BaseHTTPRequestHandler):
    """A JSON feed bridge that writes a field twice in one object (JSON leaves the meaning to
    the reader; Python's keeps the last one, silently)."""

    page: ClassVar[bytes] = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _bridge(page: str) -> Iterator[str]:
    handler = type("Bridge", (_TwiceBridge,), {"page": page.encode("utf-8")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    finally:
        server.shutdown()
        server.server_close()


_GOOD = (
    '{"type":"order","id":"o1","currency":"USD",'
    '"lines":[{"sku":"MUG","quantity":1,"price":"24.00"}]}'
)


@pytest.mark.parametrize(
    ("twice", "field"),
    [
        # The order's total: $10.00 or $1,000.00?
        (
            '{"type":"order","id":"o2","currency":"USD","total":"10.00","total":"1000.00",'
            '"lines":[{"sku":"MUG","quantity":1,"price":"10.00"}]}',
            "total",
        ),
        # A line's quantity, deeper in the item: 1 unit or 30?
        (
            '{"type":"order","id":"o2","currency":"USD",'
            '"lines":[{"sku":"MUG","quantity":1,"quantity":30,"price":"24.00"}]}',
            "quantity",
        ),
        # Two ids: which order is it (sent again under the other, it is counted twice)?
        (
            '{"type":"order","id":"o2","id":"o3","currency":"USD",'
            '"lines":[{"sku":"MUG","quantity":1,"price":"24.00"}]}',
            "id",
        ),
    ],
)
def test_an_item_that_gives_a_field_twice_is_rejected_with_why(
    tmp_path: Path, twice: str, field: str
) -> None:
    session = tmp_path / "s.adsession"
    page = f'{{"items":[{_GOOD},{twice}],"next":"2"}}'
    with _bridge(page) as url:
        ingest_until(FeedSpec("json", url), session, lambda hub: hub.pollers[0].cursor == "2")
    report = build_report(session)
    assert report.orders == 1  # o1; the other is kept as rejected, never one of its readings
    store = SessionStore(session, read_only=True)
    try:
        rejected = [kept.item for kept in store.rejected_items()]
    finally:
        store.close()
    assert len(rejected) == 1, rejected
    assert f'"{field}" is given twice' in rejected[0].detail, rejected[0]
    assert sum(report.rejected_by_reason.values()) == 1


def test_a_page_that_gives_its_items_twice_is_refused_not_half_read(tmp_path: Path) -> None:
    # {"items":[o1], "items":[o2]}: the first list was dropped unsaid (o1 never counted,
    # nothing rejected) and the cursor moved past it.
    session = tmp_path / "s.adsession"
    page = f'{{"items":[{_GOOD}],"items":[],"next":"2"}}'
    with _bridge(page) as url:
        hub = ingest_until(
            FeedSpec("json", url),
            session,
            lambda hub: hub.pollers[0].health.malformed_responses > 0,
        )
    assert hub.pollers[0].cursor != "2"
    assert '"items" is given twice' in hub.pollers[0].health.last_error


@pytest.mark.parametrize("currency", [" USD ", "USD\n", "\tusd", "USD\u00a0"])
def test_an_orders_currency_padded_with_white_space_is_its_currency(
    tmp_path: Path, currency: str
) -> None:
    # A bridge copying cells from a spreadsheet pads them: its id (" o1 "), SKU and amount
    # strings were read without the white space, its currency was not: " USD " was "no
    # currency", and the order was rejected, its $24.00 never in the GMV.
    session = tmp_path / "s.adsession"
    item = json.loads(_GOOD)
    item["currency"] = currency
    page = json.dumps({"items": [item], "next": "1"})
    with _bridge(page) as url:
        ingest_until(FeedSpec("json", url), session, lambda hub: hub.pollers[0].cursor == "1")
    report = build_report(session)
    assert (report.orders, report.rejected_by_reason) == (1, {})
    assert report.to_json()["gmv_by_currency"] == {"USD": "24.00"}


def test_an_id_an_item_names_is_said_by_the_one_id_rule(tmp_path: Path) -> None:
    # R34in34's leftover: "refund_id": 1.5 was "is not an id" where "id": 1.5 is "is not a
    # text or a whole number", a viewers sample's id true was "viewers: bad id", and a
    # 5,000-digit refund_id was written out in Decimal's spelling.
    session = tmp_path / "s.adsession"
    update = '{"type":"order_update","id":"o1","status":"cancelled","refund_id":1.5}'
    long_refund = (
        f'{{"type":"order_update","id":"o1","status":"cancelled","refund_id":{"9" * 5000}}}'
    )
    viewers = '{"type":"viewers","id":true,"at":"2026-12-01T09:00:00Z","online":5}'
    page = f'{{"items":[{_GOOD},{update},{long_refund},{viewers}],"next":"4"}}'
    with _bridge(page) as url:
        ingest_until(FeedSpec("json", url), session, lambda hub: hub.pollers[0].cursor == "4")
    store = SessionStore(session, read_only=True)
    try:
        said = [kept.item.detail for kept in store.rejected_items()]
    finally:
        store.close()
    assert said == [
        "refund_id 1.5 is not a text or a whole number",
        f"refund_id {'9' * 40}… is a number of 5,000 digits, too long",
        "id true is not a text or a whole number",
    ]


def test_one_line_sent_as_an_object_not_in_a_list_is_said_so(tmp_path: Path) -> None:
    # "lines": {"sku": "MUG", ...} (one line, its list forgotten): the reader went through
    # the object's names as if they were lines and said "a text where an object belongs".
    session = tmp_path / "s.adsession"
    one_line = '{"sku":"MUG","quantity":1,"price":"24.00"}'
    order = f'{{"type":"order","id":"o2","currency":"USD","lines":{one_line}}}'
    update = (
        '{"type":"order_update","id":"o1","status":"refunded","refund":"24.00",'
        '"lines":{"sku":"MUG","quantity":1}}'
    )
    page = f'{{"items":[{_GOOD},{order},{update}],"next":"3"}}'
    with _bridge(page) as url:
        ingest_until(FeedSpec("json", url), session, lambda hub: hub.pollers[0].cursor == "3")
    store = SessionStore(session, read_only=True)
    try:
        said = [kept.item.detail for kept in store.rejected_items()]
    finally:
        store.close()
    assert said == ["lines: an object where a list belongs"] * 2
    assert build_report(session).orders == 1


@pytest.mark.parametrize(
    "token", ["tok9aZ3k\x0cQ7pL2mX8", "tok9aZ3k\x0bQ7pL2mX8", "tok9aZ3kQ7pL2mX8 \t"]
)
def test_a_token_http_cannot_carry_is_said_so_not_blamed_on_a_redirect(
    tmp_path: Path, token: str
) -> None:
    # A token with a form feed or a vertical tab in it (or white space after it, as a
    # lookup that does not clean it gives it): HTTP's header rule refuses it, but the check
    # of what HTTP can carry knew only line breaks and NUL, so the status said "the server
    # redirects to an address that is not a valid URL": the user went looking at the server.
    with JsonFeedServer() as server:
        server.add_comment("a", "b")
        hub = ingest_until(
            FeedSpec("json", server.url),
            tmp_path / "s.adsession",
            lambda hub: hub.pollers[0].health.errors > 0,
            token=token,
        )
    said = hub.pollers[0].health.last_error
    assert said.startswith("the request cannot be sent: its token or address holds a character")
    assert "Q7pL2mX8" not in said
