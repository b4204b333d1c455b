"""Hostile inputs, round eight: kinds of input no earlier round sent (an order edited on the
platform and served again, ...). Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from feed_servers import JsonFeedServer
from platform_servers import ShopifyGraphQLServer
from test_poller import Collector, FakeTime, make_poller
from test_shopify_graphql import adapter_for as graphql_adapter_for

from anchordesk.cli import main as cli_main
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.show.feed_items import FeedItem
from anchordesk.show.ledger import show_snapshot
from anchordesk.show.model import Product, Segment, Show
from anchordesk.showfile.samples import sample_show_path
from anchordesk.store import SessionStore

from ..network.test_round_03_http import poll as raw_poll
from ..network.test_round_03_http import raw_server


def _mug_show() -> Show:
    return Show(
        title="Night",
        currency="USD",
        language="en",
        products=(Product("MUG", "Mug", Decimal("24.00"), 20),),
        rundown=(Segment("Mug", 300, "MUG"),),
    )


def _report_after_polls(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    server: JsonFeedServer,
    *before_each_poll: Callable[[], object],
) -> dict[str, Any]:
    """A session of the mug show fed by ``server`` through the real poller: each callable
    changes what the server serves, then one poll. Returns ``report --json`` of the file."""
    path = tmp_path / "s.adsession"
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(_mug_show())))

    async def sink(source: str, items: Sequence[FeedItem], cursor: str | None) -> list[FeedItem]:
        return store.write_batch(source, items, cursor)

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, FakeTime())  # type: ignore[arg-type]
            for change in before_each_poll:
                change()
                await poller.poll_once()

    try:
        asyncio.run(run())
    finally:
        server.stop()
        store.close()
    assert cli_main(["report", "--json", str(path)]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_an_order_served_again_with_other_money_is_kept_as_rejected_not_dropped_unseen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real JSON feed serves order o1 ($24.00, one mug); later the platform edits it and
    serves o1 again as $48.00 for two mugs, and once more as "24.0" (the same order spelled
    otherwise). Before: the edit was dropped unseen (by the poller's ids, and by the store's
    INSERT OR IGNORE after a restart): the report said $24.00 and nothing else, the log nothing.
    Now the first copy still counts (the picture and the ledger applied it), and the changed
    copy is kept as rejected ("order_changed") and listed; the same order spelled otherwise is
    no change."""
    path = tmp_path / "s.adsession"
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(_mug_show())))
    server = JsonFeedServer(poll_ms=1000).start()
    stored: list[FeedItem] = []

    async def sink(source: str, items: Sequence[FeedItem], cursor: str | None) -> list[FeedItem]:
        new = store.write_batch(source, items, cursor)
        stored.extend(new)
        return new

    def changed(total: str, quantity: int, price: str) -> dict[str, object]:
        line = {"sku": "MUG", "quantity": quantity, "price": price}
        return {"type": "order", "id": "o1", "currency": "USD", "total": total, "lines": [line]}

    async def run(*, edit_between: dict[str, object] | None) -> None:
        async with httpx.AsyncClient() as client:
            adapter = JsonFeedAdapter(server.url, None)
            poller = make_poller(adapter, client, sink, FakeTime())  # type: ignore[arg-type]
            await poller.poll_once()
            if edit_between is not None:
                server.add_raw(edit_between)
                server.add_raw(changed("24.0", 1, "24"))  # the same order spelled otherwise
                await poller.poll_once()

    try:
        server.add_order("MUG", 1, "24.00", "USD")
        asyncio.run(run(edit_between=changed("48.00", 2, "24.00")))  # the poller remembers o1
        server.add_raw(changed("0.00", 1, "0.00"))  # edited once more while nothing ran
        asyncio.run(run(edit_between=None))  # a new run: served from the start, the store decides
    finally:
        server.stop()
        store.close()
    assert [type(item).__name__ for item in stored] == ["Order", "RejectedItem", "RejectedItem"]
    assert cli_main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gmv_by_currency"] == {"USD": "24.00"}
    assert report["products"][0]["units"] == 1
    assert report["rejected_by_reason"] == {"order_changed": 2}
    first, second = report["rejected"]
    assert first["id"] == second["id"] == "o1"
    assert (
        "as 48.00 USD for 2 units; the first copy counts: 24.00 USD for 1 unit" in first["detail"]
    )
    assert "as 0.00 USD for 1 unit" in second["detail"]
    assert cli_main(["report", str(path)]) == 0
    assert "order sent again changed (the first copy counts)" in capsys.readouterr().out


def test_a_csv_of_more_products_than_a_show_holds_is_refused_as_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a CSV of a million short rows (14 MB, under the 20 MB cap) was read into a
    million products and a show, 43 s and 3.1 GB later refused as "221 MB of JSON" (the
    window's editor the same). Now the rows past a show's 10,000 products stop the reading
    with one line; a show file of 10,001 products is refused by the same rule (10,000 pass)."""
    rows = "".join(f"S{i},Mug {i},1.00,1\n" for i in range(10_001))
    csv_path = tmp_path / "catalogue.csv"
    csv_path.write_text("sku,title,price,stock\n" + rows + "\n\n", encoding="utf-8")
    out = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 2
    said = capsys.readouterr()
    err = said.out + said.err
    assert "more than 10,000 product rows; a show holds at most 10,000 products" in err
    assert "Traceback" not in err and not out.exists()

    csv_path.write_text("sku,title,price,stock\n" + rows[: rows.index("S10000,")], "utf-8")
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 0
    show = json.loads(out.read_text(encoding="utf-8"))
    assert len(show["products"]) == 10_000
    capsys.readouterr()
    show["products"].append({"sku": "ONE-MORE", "title": "Mug", "price": 1, "stock": 1})
    out.write_text(json.dumps(show), encoding="utf-8")
    assert cli_main(["show", "check", str(out)]) == 2
    said = capsys.readouterr()
    assert "$.products: 10,001 products; a show holds at most 10,000" in said.out + said.err


@pytest.mark.parametrize("seconds", ["1e400", "inf", "-inf"])
def test_live_seconds_that_is_no_finite_number_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: str
) -> None:
    """Before: ``live --seconds 1e400`` (infinity to float) passed the "above zero" check and
    ended the run at start in "OverflowError: cannot convert float infinity to integer" (the
    run's length in frames), a traceback and exit 1; ``nan`` was refused already."""
    show = sample_show_path("en")
    assert show is not None
    argv = ["live", "--show", str(show), "--record", str(tmp_path / "r.mkv")]
    argv += ["--camera", "test", "--mic", "none", f"--seconds={seconds}"]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "OverflowError" not in err
    # "inf" and "-inf" are no numbers written with the digits 0-9 since round 34
    # (core/typed_numbers): said so, in the same one line.
    words = ("not a finite number", "above zero", f"{seconds!r} is not a number")
    assert "argument --seconds" in err and any(w in err for w in words)
    assert not (tmp_path / "r.mkv").exists()


def test_a_304_answer_is_not_said_to_be_a_redirect() -> None:
    """AnchorDesk sends no conditional request; a cache or proxy between that answers 304 Not
    Modified anyway was said as "the server redirects (HTTP 304), not followed: give the
    feed's new address" — a new address the user would look for and never find."""

    def not_modified(connection: socket.socket) -> None:
        connection.sendall(b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n')

    with raw_server(not_modified) as url:
        _, delay, poller = raw_poll(url)
    assert poller.health.last_error.startswith("HTTP 304 (not modified)")
    assert "redirect" not in poller.health.last_error
    assert delay == 0.5 and poller.health.state == "retrying"


def test_a_csv_whose_first_line_names_its_separator_for_excel_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Excel reads a first line ``sep=;`` as the separator (tools that export for Excel write
    it). Before: "the header lacks the columns sku, title, price, stock (found: sep=)", a file
    Excel opens was refused. The rows keep their numbers in the file (a bad row 4 is row 4)."""
    csv_path = tmp_path / "export.csv"
    csv_path.write_text("sep=;\r\nsku;title;price;stock\r\nMUG;Mug, blue;12,0x;5\r\n", "utf-8")
    out = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 2
    said = capsys.readouterr()
    assert "row 3, column price: not a number: '12,0x'" in said.out + said.err
    csv_path.write_text(
        "\ufeffSEP=\t\nsku\ttitle\tprice\tstock\nMUG\tMug; blue\t12.00\t5\n", "utf-8"
    )
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 0
    [mug] = json.loads(out.read_text(encoding="utf-8"))["products"]
    assert (mug["sku"], mug["title"], mug["price"], mug["stock"]) == ("MUG", "Mug; blue", 12, 5)


def test_an_order_whose_lines_together_pass_the_units_bound_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each line within the rule (1 to 100,000 units), the order not: 80,000 such lines made
    one $1.00 order of 8,000,000,000 mugs, kept and counted (the report's units, a product row
    of $80,000,000.00, the stock on the picture). Here three lines of 40,000 from a real feed,
    and a refund naming three lines of 40,000: both kept as rejected, neither counted."""
    server = JsonFeedServer().start()
    line = {"sku": "MUG", "quantity": 40_000, "price": "0.01"}
    server.add_raw({"type": "order", "id": "o1", "total": "1.00", "lines": [line] * 3})
    server.add_order("MUG", 1, "24.00", "USD")
    server.add_update("o2", "refunded", "24.00", lines=[("MUG", 40_000)] * 3)
    report = _report_after_polls(tmp_path, capsys, server, lambda: None)
    assert report["products"][0]["units"] == 1 and report["gmv_by_currency"] == {"USD": "24.00"}
    assert report["rejected_by_reason"] == {"quantity_invalid": 2}
    details = sorted(rejected["detail"] for rejected in report["rejected"])
    assert details == ["order units 120,000 in 3 lines", "refund units 120,000 in 3 lines"]


@pytest.mark.parametrize("command", ["record", "import-csv", "html"])
def test_an_output_path_ending_with_a_slash_is_refused_not_written_as_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """``--record shows/`` (a folder meant, not made yet): ``Path`` dropped the slash and the
    run wrote its recording as a file named ``shows`` (``-o``, ``--html``, ``--stats`` and
    ``--session`` the same). Now refused in one line, nothing written."""
    folder = tmp_path / "shows"
    show = sample_show_path("en")
    assert show is not None
    if command == "record":
        argv = ["live", "--show", str(show), "--camera", "test", "--mic", "none"]
        argv += ["--seconds", "1", "--session", str(tmp_path / "s.adsession")]
        argv += ["--record", f"{folder}/"]
    elif command == "import-csv":
        argv = ["show", "import-csv", str(show.parent / "products.csv"), "-o", f"{folder}/"]
    else:
        session = tmp_path / "s.adsession"
        store = SessionStore(session)
        store.set_meta("show", json.dumps(show_snapshot(_mug_show())))
        store.close()
        argv = ["report", "--html", f"{folder}/", str(session)]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "ends with '/', so it names a folder: give a file's path in it" in err
    assert "Traceback" not in err and not folder.exists()


@pytest.mark.integration
def test_shopify_graphql_a_server_date_of_1970_does_not_hold_the_cursor_at_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ``Date`` header of 1970 (a proxy's dead clock): every order was "stamped in the
    future" (round seven's bound), so the cursor never moved and each poll asked for every
    order of the session again (a long show: pages upon pages, the shop's API points spent,
    new orders read later and later). The bound is the later of the server's clock and ours."""
    monkeypatch.setattr(
        http.server.BaseHTTPRequestHandler,
        "date_time_string",
        lambda self, timestamp=None: "Thu, 01 Jan 1970 00:00:00 GMT",
    )
    server = ShopifyGraphQLServer()
    with server:
        for _ in range(3):
            server.add_order([("MUG", 1, "18.00")])
        fake = FakeTime()
        poller_cursor: list[str | None] = []

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                adapter = graphql_adapter_for(server, fake)
                poller = make_poller(adapter, client, Collector(), fake)  # type: ignore[arg-type]
                for _ in range(4):
                    fake.now_s += await poller.poll_once()
                poller_cursor.append(poller.cursor)

        asyncio.run(scenario())
        asked = [str(query.get("variables", {}).get("query", "")) for query in server.queries]
    assert poller_cursor == ["2026-11-28T20:03:00Z"]
    assert "updated_at:>='2026-11-28T20:03:00Z'" in asked[-1]


def test_a_corrected_copy_of_a_rejected_order_is_counted_in_the_same_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/feed-protocol.md: "a corrected copy under the same id is counted (the rejected
    copy stays listed)". Before: only after a restart — within the run the poller had
    remembered the order's id from the bad copy ($24.001, finer than cents) and dropped the
    corrected $24.00 unseen: the report said 0 orders."""

    def order(total: str) -> dict[str, object]:
        line = {"sku": "MUG", "quantity": 1, "price": total}
        return {"type": "order", "id": "o1", "currency": "USD", "total": total, "lines": [line]}

    server = JsonFeedServer().start()
    report = _report_after_polls(
        tmp_path,
        capsys,
        server,
        lambda: server.add_raw(order("24.001")),
        lambda: server.add_raw(order("24.00")),
    )
    assert report["gmv_by_currency"] == {"USD": "24.00"}
    assert report["rejected_by_reason"] == {"amount_too_precise": 1}
    # Round 33: the rejected copy is listed as corrected since (the later copy counts).
    assert [r["corrected_since"] for r in report["rejected"]] == [True]


def test_a_refund_sent_again_changed_or_corrected_is_never_dropped_unseen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same for cancellations and refunds, keyed by the platform's refund id: refund rf-1
    of o1 came as $12.501 (finer than cents: rejected), then corrected as $12.50 — dropped
    unseen by the poller's ids (nothing refunded); refund rf-2 of o2 came as $5.00, then
    as $9.00 — dropped unseen (the report never said the platform changed it)."""
    server = JsonFeedServer().start()

    def first_copies() -> None:
        server.add_order("MUG", 1, "24.00", "USD")
        server.add_order("MUG", 1, "24.00", "USD")
        server.add_update("o1", "refunded", "12.501", refund_id="rf-1")
        server.add_update("o2", "refunded", "5.00", refund_id="rf-2")

    def sent_again() -> None:
        server.add_update("o1", "refunded", "12.50", refund_id="rf-1")
        server.add_update("o2", "refunded", "9.00", refund_id="rf-2")

    report = _report_after_polls(tmp_path, capsys, server, first_copies, sent_again)
    assert report["gmv_by_currency"] == {"USD": "30.50"}  # 48.00 - 12.50 - 5.00
    assert report["rejected_by_reason"] == {"amount_too_precise": 1, "update_changed": 1}
    # Round 33: rf-1's $12.501 corrected since ($12.50 counted); rf-2's $9.00 came after the
    # counted $5.00: not a correction.
    assert {r["reason"]: r["corrected_since"] for r in report["rejected"]} == {
        "amount_too_precise": True,
        "update_changed": False,
    }
    [changed] = [r for r in report["rejected"] if r["reason"] == "update_changed"]
    assert changed["detail"] == (
        "sent again as refunded 9.00 with 0 units back; "
        "the first copy counts: refunded 5.00 with 0 units back"
    )


@pytest.mark.parametrize(
    "argv",
    [["show", "check", ""], ["report", ""], ["show", "import-csv", "", "-o", "x.json"]],
    ids=["show check", "report", "import-csv"],
)
def test_an_empty_path_to_read_is_said_as_such_not_as_the_current_folder(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """R8in N2: ``show check ""`` and ``report ""`` said ". is a folder" (``Path("")`` is the
    current folder), which sent the user looking at the wrong thing."""
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("a file's path is needed, not an empty text"), err
    assert "folder" not in err


@pytest.mark.parametrize("image", ["https://shop.example/mug.png", "HTTP://cdn/x.jpg"])
def test_an_image_given_as_a_web_address_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], image: str
) -> None:
    """R8in N4: "image file not found: https://shop.example/mug.png (looked for
    …/https:/shop.example/mug.png)": the user had given a web address, which a show cannot use."""
    sample = sample_show_path("en")
    assert sample is not None
    data = json.loads(sample.read_text(encoding="utf-8"))
    data["products"][0]["image"] = image
    path = tmp_path / "show.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert cli_main(["show", "check", str(path)]) == 2
    [line] = [text for text in capsys.readouterr().out.splitlines() if "$.products[0]." in text]
    assert f"the image {image} is a web address: a show's pictures are files" in line
    assert "looked for" not in line


def test_an_image_of_no_pixels_is_said_once_without_the_decoders_own_lines(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """R8in N3: a 0×0 PNG made libpng print "libpng warning: Image width is zero in IHDR" and
    "libpng error: Invalid IHDR data" to the terminal beside AnchorDesk's own line."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 0, 0, 8, 6, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
    (tmp_path / "empty.png").write_bytes(png + chunk(b"IEND", b""))
    sample = sample_show_path("en")
    assert sample is not None
    data = json.loads(sample.read_text(encoding="utf-8"))
    for product in data["products"]:
        product.pop("image", None)
    data.pop("theme", None)
    data["products"][0]["image"] = "empty.png"
    path = tmp_path / "show.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert cli_main(["show", "check", str(path)]) == 2
    said = capfd.readouterr()
    assert "image empty.png cannot be decoded: the file is damaged or incomplete" in said.out
    assert "libpng" not in said.out + said.err
