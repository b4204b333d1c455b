"""Hostile inputs, round nine: kinds of input no earlier round sent (a refund in another
currency than its order, ...). Each test failed on the code before its fix."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer, ShopifyOrdersServer

from anchordesk.cli import main as cli_main
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.show.feed_items import Order, OrderUpdate
from anchordesk.showfile.csv_import import read_products_csv
from anchordesk.showfile.samples import sample_show_path

from .test_round_03_feeds import _poll, _split
from .test_round_08_inputs import _report_after_polls


def _order(order_id: str, total: str, currency: str = "USD") -> dict[str, object]:
    line = {"sku": "MUG", "quantity": 1, "price": total}
    return {"type": "order", "id": order_id, "currency": currency, "total": total, "lines": [line]}


def _refund(order_id: str, refund_id: str, amount: str, currency: str) -> dict[str, object]:
    return {
        "type": "order_update",
        "id": order_id,
        "status": "refunded",
        "refund": amount,
        "refund_id": refund_id,
        "currency": currency,
    }


def test_a_refund_in_another_currency_than_its_order_is_listed_as_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real JSON feed serves a $24.00 order and a €10.00 refund of it (and a €5.00 refund of
    an order that comes after it). The ledger rightly takes no euros out of dollars, but before,
    the report said nothing at all: no rejected item, GMV $24.00 as if no refund had come —
    against the rule that an item not counted is listed with its reason and counted."""
    server = JsonFeedServer(poll_ms=1000).start()
    report = _report_after_polls(
        tmp_path,
        capsys,
        server,
        lambda: server.add_raw(_order("o1", "24.00")),
        lambda: server.add_raw(_refund("o1", "r1", "10.00", "EUR")),
        lambda: server.add_raw(_refund("o2", "r2", "5.00", "EUR")),  # before its order
        lambda: server.add_raw(_order("o2", "30.00")),
    )
    assert report["gmv_by_currency"] == {"USD": "54.00"}
    assert report["rejected_by_reason"] == {"update_currency_differs": 2}
    assert sorted(entry["id"] for entry in report["rejected"]) == ["o1:refund:r1", "o2:refund:r2"]
    assert "refunded in EUR for an order in USD" in report["rejected"][0]["detail"]
    session = str(tmp_path / "s.adsession")
    assert cli_main(["report", session]) == 0
    text = capsys.readouterr().out
    assert "2 items rejected, not counted" in text
    assert "cancellation or refund in another currency than its order" in text
    html = tmp_path / "r.html"
    assert cli_main(["report", "--html", str(html), session]) == 0
    assert "o1:refund:r1" in html.read_text(encoding="utf-8")


@pytest.mark.parametrize("into", [False, True])
def test_an_image_given_as_a_web_address_in_a_csv_is_said_to_be_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], into: bool
) -> None:
    """Every shop's product export gives its images as web addresses. Round eight made
    ``show check`` say "… is a web address: a show's pictures are files", but a CSV's image
    paths are made relative to the show's folder first, which folded the ``//``: the import
    said "image file not found: https:/cdn.example.com/mug.png (looked for …/https:/…)"."""
    csv_path = tmp_path / "sheet" / "products.csv"
    csv_path.parent.mkdir()
    csv_path.write_text(
        "sku,title,price,stock,image\n"
        "MUG,Mug,24.00,5,https://cdn.example.com/mug.png\n"
        "CUP,Cup,12.00,5,HTTPS://cdn.example.com/cup.png\n",
        encoding="utf-8",
    )
    out = tmp_path / "show.json"
    argv = ["show", "import-csv", str(csv_path), "-o", str(out)]
    if into:
        sample = sample_show_path("en")
        assert sample is not None
        shutil.copytree(sample.parent, tmp_path / "shows")
        show = tmp_path / "shows" / sample.name
        argv[2:2] = ["--into", str(show)]
    assert cli_main(argv) == 2
    said = capsys.readouterr()
    err = said.out + said.err
    assert "image https://cdn.example.com/mug.png is a web address" in err
    assert "image HTTPS://cdn.example.com/cup.png is a web address" in err
    assert "https:/cdn" not in err and "not found" not in err


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_csv_saved_as_excels_unicode_text_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], codec: str
) -> None:
    """Excel's "Unicode Text" export is UTF-16 LE with its byte-order mark, tab-separated.
    Since round seven's Shift_JIS reading it was said "not UTF-8: read as Shift_JIS (Japanese
    Windows)" and refused as "the header lacks the columns … (found: s\\x00k\\x00u\\x00, …)":
    refused, in words that sent the user after the wrong cause."""
    csv_path = tmp_path / "products.txt"
    text = "sku\ttitle\tprice\tstock\nMUG\tマグカップ\t24.00\t5\n"
    mark = "\ufeff" if codec == "utf-16-be" else ""  # the other two codecs write their own
    csv_path.write_bytes((mark + text).encode(codec))
    out = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 0
    said = capsys.readouterr()
    assert "Shift_JIS" not in said.out + said.err and "\\x00" not in said.out + said.err
    (product,) = json.loads(out.read_text(encoding="utf-8"))["products"]
    assert (product["sku"], product["title"], product["stock"]) == ("MUG", "マグカップ", 5)


def test_a_csv_with_nul_bytes_and_no_mark_is_not_read_as_a_legacy_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """UTF-16 without its mark (or no text at all) holds NUL bytes, which no GB18030 or
    Shift_JIS text has: said not UTF-16 text (what it was read as, round 35: it was said
    "not UTF-8", an encoding it was never read as), not shown as Japanese characters."""
    csv_path = tmp_path / "products.csv"
    csv_path.write_bytes("sku,title,price,stock\nMUG,Mug,24.00,5\n".encode("utf-16-le") + b"\xff")
    out = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 2
    said = capsys.readouterr()
    err = said.out + said.err
    assert "not UTF-16 text" in err and "Shift_JIS" not in err and "GB18030" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("sheet", "prices"),
    [
        # A spreadsheet in German saved with commas (Google Sheets does): its decimals are
        # commas, so "1.000" is a thousand euros, not one.
        ('sku,title,price,stock\nMUG,Mug,"12,50",5\nTV,TV,1.000,2\n', ["12.5", "1000"]),
        # A ";" file written by a program with a decimal point: "12.500" is 12.5, not 12,500.
        ("sku;title;price;stock\nMUG;Mug;1234.50;5\nCUP;Cup;12.500;2\n", ["1234.5", "12.5"]),
    ],
)
def test_a_price_that_reads_both_ways_is_read_with_the_mark_of_the_files_other_prices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sheet: str, prices: list[str]
) -> None:
    """Round eight read a number that reads both ways ("1.000", "12.500") by the separator
    alone, even where the file's other prices showed its decimal mark beyond doubt: a
    thousand-euro TV became €1.00 and a $12.50 cup $12,500.00, written without a word."""
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(sheet, encoding="utf-8")
    out = tmp_path / "show.json"
    argv = ["show", "import-csv", str(csv_path), "-o", str(out)]
    assert cli_main(argv) == 0, capsys.readouterr()
    products = json.loads(out.read_text(encoding="utf-8"))["products"]
    assert [Decimal(str(product["price"])) for product in products] == [Decimal(p) for p in prices]


@pytest.mark.integration
def test_shopify_rest_a_refund_paid_back_in_two_currencies_is_not_summed() -> None:
    """A refund whose successful transactions are $5.00 and €5.00 was read as one refund of
    10.00 in the last transaction's currency: money summed across currencies. Now the order's
    refunds are one rejected item (kept, with why, in the report); the sale still counts."""
    with ShopifyOrdersServer() as server:
        order_id = server.add_order([("MUG", 2, "10.00")])
        server.refund(order_id, "5.00", [(0, 1)])
        (transaction,) = server._order(order_id)["refunds"][-1]["transactions"]
        server._order(order_id)["refunds"][-1]["transactions"].append(
            dict(transaction, id=transaction["id"] + 1, currency="EUR")
        )
        sink, _ = _poll(ShopifyOrdersAdapter(server.url, server.token), 1)
    kept, rejected = _split(sink)
    assert [item.id for item in kept if isinstance(item, Order)] == [str(order_id)]
    assert not [item for item in kept if isinstance(item, OrderUpdate)]
    (refused,) = rejected
    assert refused.kind == "order_update" and "EUR, USD at once" in refused.detail


def test_a_cancellation_sent_again_in_another_currency_says_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cancellation sent again with another currency is listed as changed (round eight's
    rule), but its words were the same twice: "sent again as cancelled the whole order with 0
    units back; the first copy counts: cancelled the whole order with 0 units back"."""
    server = JsonFeedServer(poll_ms=1000).start()
    cancel = {"type": "order_update", "id": "o1", "status": "cancelled", "currency": "USD"}
    report = _report_after_polls(
        tmp_path,
        capsys,
        server,
        lambda: server.add_raw(_order("o1", "24.00")),
        lambda: server.add_raw(cancel),
        lambda: server.add_raw(dict(cancel, currency="EUR")),
    )
    assert report["gmv_by_currency"] == {"USD": "0.00"}
    (entry,) = report["rejected"]
    assert entry["reason"] == "update_changed"
    assert entry["detail"] == (
        "sent again as cancelled the whole order in EUR with 0 units back; "
        "the first copy counts: cancelled the whole order in USD with 0 units back"
    )


@pytest.mark.parametrize("content", [b"sep=;\n", b"\xef\xbb\xbfsep=;\r\n\r\n;;;\r\n"])
def test_a_csv_of_only_excels_separator_line_is_said_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    """A tool that exports for Excel writes ``sep=;`` first, also for an empty sheet. Since
    round eight read that line as the separator, such a file gave a StopIteration traceback
    and exit 1; it is empty, and said so like any empty CSV."""
    csv_path = tmp_path / "products.csv"
    csv_path.write_bytes(content)
    out = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(out)]) == 2
    said = capsys.readouterr()
    assert "the CSV is empty" in said.out + said.err and not out.exists()


def test_blank_rows_after_the_products_are_not_held_in_memory(tmp_path: Path) -> None:
    """A spreadsheet writes ",,," for every row it once formatted below the data. The
    10,000-product bound of round eight counted only rows with something in them, and kept
    every blank one, looked through twice: a 20 MB file of blank lines (under the size cap)
    took 17 s and 1.75 GB to import one product (now 4 s, 146 MB: benchmarks/csv_rows.py).
    Measured here in memory, not time: 500,000 blank rows (2 MB) peaked at 90 MB, now 20 MB."""
    csv_path = tmp_path / "products.csv"
    csv_path.write_text("sku,title,price,stock\nMUG,Mug,24.00,5\n" + ",,,\n" * 500_000, "utf-8")
    tracemalloc.start()
    try:
        imported = read_products_csv(csv_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [product.sku for product in imported.products] == ["MUG"] and not imported.problems
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1024 / 1024:.0f} MB"


def test_import_csv_onto_the_csv_itself_is_not_told_to_read_the_csv_as_a_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``show import-csv p.csv -o p.csv`` was refused (right: nothing overwritten) with the
    advice "to replace its products use --into p.csv -o p.csv", which reads the CSV as a show
    and fails again; the advice now says what the file is."""
    csv_path = tmp_path / "products.csv"
    csv_path.write_text("sku,title,price,stock\nMUG,Mug,24.00,5\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(csv_path)
    for output in (csv_path, link):
        assert cli_main(["show", "import-csv", str(csv_path), "-o", str(output)]) == 2
        said = capsys.readouterr()
        err = said.out + said.err
        assert "it is the CSV being imported: write the show to a new file" in err
        assert "--into" not in err
    assert csv_path.read_text(encoding="utf-8").startswith("sku,title")
