"""Round five, hostile inputs (issue 10: "a new round of the same kinds of input finds nothing
new"). Each test reproduces one finding of /work/hunt/R5in.md with real parts: session files
edited as a damaged disk or a jumping clock leaves them, hostile show files and CSVs, and a
loopback HTTP server answering the feed's bytes.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import sqlite3
import tracemalloc
import unicodedata
import zlib
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from report_sessions import write_big_session

from anchordesk.cli import main as cli_main
from anchordesk.control.commands import parse_command
from anchordesk.core.printable import display_width
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.hub import _new_http_client
from anchordesk.feeds.poller import MAX_RESPONSE_BYTES, Poller
from anchordesk.show.feed_items import Comment
from anchordesk.show.model import Product, Show

from .test_feed_limits import FakeTime, Sink
from .test_round_02_inputs import RawServer, poll_once

SAMPLE = Path(__file__).parents[3] / "resources" / "shows" / "en" / "show.json"


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "show.adsession"
    write_big_session(path)
    return path


# -- report: damaged or odd session files ------------------------------------------------------


def _deep(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("table", "column", "where"),
    [
        ("orders", "lines", "seq = (SELECT min(seq) FROM orders)"),
        ("show_events", "data", "seq = (SELECT max(seq) FROM show_events)"),
        ("meta", "value", "key = 'show'"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_json_nested_too_deep_in_a_session_row_is_an_unreadable_row_not_a_traceback(
    session: Path,
    capsys: pytest.CaptureFixture[str],
    table: str,
    column: str,
    where: str,
    as_json: bool,
) -> None:
    """Before: RecursionError out of json.loads ended the report with a traceback."""
    with sqlite3.connect(session) as db:
        db.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (_deep(),))
    assert cli_main(["report", *(["--json"] if as_json else []), str(session)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if as_json:
        problems = [row["problem"] for row in json.loads(captured.out)["unreadable_rows"]]
    else:
        problems = [line for line in captured.out.splitlines() if "nested too deep" in line]
    assert any("nested too deep" in problem for problem in problems), problems


@pytest.mark.parametrize("jump_s", [1e9, 1e308, -1e308])
def test_one_row_from_a_clock_that_jumped_years_keeps_the_report_small(
    session: Path, capsys: pytest.CaptureFixture[str], jump_s: float
) -> None:
    """A machine without a battery clock starts in 1970 and jumps to today when NTP answers;
    one row written across the jump put the session's span at decades. Before: the per-minute
    series had one entry per minute of it (31 years: 368 s and 3 GB; 1e308: OverflowError)."""
    with sqlite3.connect(session) as db:
        db.execute(
            "UPDATE orders SET received_at = received_at + ? "
            "WHERE seq = (SELECT max(seq) FROM orders)",
            (jump_s,),
        )
    assert cli_main(["report", "--json", str(session)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["orders_per_minute"]) <= 24 * 60
    assert len(report["comments_per_minute"]) == len(report["orders_per_minute"])
    assert sum(report["orders_per_minute"]) == report["orders"], "every order is still counted"
    assert cli_main(["report", str(session)]) == 0
    assert len(capsys.readouterr().out.splitlines()) < 24 * 60 + 200


# -- feeds: what a server's bytes say -------------------------------------------------------

_GZIP = "HTTP/1.1 200 OK\nContent-Encoding: gzip\n"


def _page(count: int) -> bytes:
    items = [{"type": "comment", "id": f"c{i}", "text": f"好 {i}"} for i in range(count)]
    return json.dumps({"items": items, "next": "1"}, ensure_ascii=False).encode()


@pytest.mark.integration
@pytest.mark.parametrize("cuts", [[0.5], [0.001, 0.5, 0.999]], ids=["two", "four"])
def test_a_gzip_body_in_several_members_is_read_whole(cuts: list[float]) -> None:
    """RFC 1952 lets a gzip body be members one after the other (a server compressing as it
    writes sends one per flush); browsers, curl and urllib3 read them all. Before: only the
    first was read, "not JSON" on every poll, and nothing after that page ever arrived."""
    page = _page(50)
    bounds = [0, *(int(len(page) * cut) for cut in cuts), len(page)]
    body = b"".join(gzip.compress(page[a:b]) for a, b in itertools.pairwise(bounds))
    delay, sink, error = poll_once(RawServer(_GZIP, body))
    assert error == ""
    assert [item.id for item in sink.items if isinstance(item, Comment)] == [
        f"c{i}" for i in range(50)
    ]
    assert delay == 1.0


@pytest.mark.integration
def test_members_that_inflate_past_the_cap_together_are_refused() -> None:
    member = gzip.compress(b" " * (MAX_RESPONSE_BYTES // 4))
    body = gzip.compress(b'{"items": [') + member * 5 + gzip.compress(b"]}")
    delay, sink, error = poll_once(RawServer(_GZIP, body))
    assert error == "response larger than the 8 MB limit (more was sent): not read"
    assert sink.items == [] and delay == 0.5


@pytest.mark.integration
def test_bytes_after_the_last_member_are_ignored_but_never_held_without_limit() -> None:
    page = gzip.compress(_page(1))
    _, sink, error = poll_once(RawServer(_GZIP, page + b"trailing junk"))
    assert error == "" and len(sink.items) == 1, "ignored, as browsers do"
    server = RawServer(_GZIP, b"")
    # No Content-Length (the body ends when the connection closes): only reading can tell.
    server._reply = _GZIP.replace("\n", "\r\n").encode() + b"Connection: close\r\n\r\n"
    server._reply += page + b"x" * (MAX_RESPONSE_BYTES + 1)
    delay, sink, error = poll_once(server)
    assert error == "response larger than the 8 MB limit (more was sent): not read"
    assert sink.items == [] and delay == 0.5


# -- SKUs: one product however its letters were composed ---------------------------------------

_NFC = unicodedata.normalize("NFC", "CAFÉ-1")
_NFD = unicodedata.normalize("NFD", "CAFÉ-1")
# One SKU in two spellings: composed or not (round five); half- or full-width, as a Chinese or
# Japanese input method left in full-width mode types it (round seven's leftover).
_SPELLINGS = pytest.mark.parametrize(
    ("_NFC", "_NFD"), [(_NFC, _NFD), ("ZEN-05", "ＺＥＮ－０５")], ids=["composed", "full-width"]
)


@_SPELLINGS
def test_two_skus_equal_but_for_their_unicode_form_are_one_duplicate_sku(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], _NFC: str, _NFD: str
) -> None:
    """Before: both were products, shown alike in every list, each with its own stock."""
    assert _NFC != _NFD
    show = json.loads(SAMPLE.read_text(encoding="utf-8"))
    product = show["products"][0]
    show["products"] += [dict(product, sku=_NFC), dict(product, sku=_NFD)]
    path = tmp_path / "show.json"
    path.write_text(json.dumps(show, ensure_ascii=False), encoding="utf-8")
    assert cli_main(["show", "check", str(path)]) == 2
    assert "$.products[5].sku" in capsys.readouterr().out
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(f"sku,title,price,stock\n{_NFC},A,1.00,5\n{_NFD},B,1.00,5\n", "utf-8")
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(tmp_path / "o.json")]) == 2
    out = capsys.readouterr().out
    assert "row 3, column sku: duplicate sku" in out, out
    assert not (tmp_path / "o.json").exists()


@_SPELLINGS
def test_an_order_naming_the_sku_in_another_unicode_form_is_the_products_order(
    session: Path, capsys: pytest.CaptureFixture[str], _NFC: str, _NFD: str
) -> None:
    """Before: 'SKU CAFÉ-1 is not in the show' for the show's own CAFÉ-1; its stock, units
    and GMV line missed the order, and the report listed 'CAFÉ-1 (not in the show)'."""
    with sqlite3.connect(session) as db:
        (kept,) = db.execute("SELECT value FROM meta WHERE key = 'show'").fetchone()
        show = json.loads(kept)
        first = dict(show["products"][0], sku=_NFC)
        show["products"].append(first)
        db.execute("UPDATE meta SET value = ? WHERE key = 'show'", (json.dumps(show),))
        (at,) = db.execute("SELECT max(received_at) FROM orders").fetchone()
        line = {"sku": _NFD, "quantity": 3, "unit_price": first["price"], "title": "x"}
        total = str(Decimal(first["price"]) * 3)
        db.execute(
            "INSERT INTO orders(source, id, received_at, created_at, currency, total_price,"
            " customer, lines) VALUES ('json', 'nfd-1', ?, '', 'CNY', ?, '', ?)",
            (at, total, json.dumps([line])),
        )
    assert cli_main(["report", "--json", str(session)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unknown_skus"] == []
    assert report["units_by_sku"][_NFC] == 3


@_SPELLINGS
def test_the_remote_names_a_product_in_either_unicode_form(_NFC: str, _NFD: str) -> None:
    name, arguments = parse_command({"command": "show_product", "sku": _NFD})
    assert (name, arguments["sku"]) == ("show_product", _NFC)
    assert Show("t", "CNY", "en", (Product(_NFC, "t", Decimal(1), 1),)).product(_NFD) is not None


# -- CSV: a price's currency sign is the price's currency ---------------------------------------


@pytest.mark.parametrize(
    ("rows", "currency_column"),
    [
        (["€1.00"], "USD"),  # the row says USD, the cell says euros
        (["¥100"], "USD"),
        (["$1.00", "¥100"], None),  # no column: the signs disagree with each other
    ],
)
def test_a_price_written_in_another_currencys_sign_is_refused_not_priced_in_the_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[str], currency_column: str | None
) -> None:
    """Before: the sign was stripped and '€1.00' became 1.00 USD (and '¥100' 100 USD)."""
    head = "sku,title,price,stock" + (",currency" if currency_column else "")
    lines = [
        f"A{i},Mug,{price},5" + (f",{currency_column}" if currency_column else "")
        for i, price in enumerate(rows)
    ]
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    output = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(output)]) == 2
    assert f"row {len(rows) + 1}, column price: '{rows[-1]}' is written with" in (
        capsys.readouterr().out
    )
    assert not output.exists()


def test_a_price_sign_into_a_show_of_another_currency_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    show = tmp_path / "show.json"
    show.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")  # USD
    for name in ("images", "logo.png"):
        (tmp_path / name).symlink_to(SAMPLE.parent / name)
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("sku,title,price,stock\nA1,Mug,£3.00,5\n", encoding="utf-8")
    before = show.read_bytes()
    assert (
        cli_main(["show", "import-csv", str(csv_path), "--into", str(show), "-o", str(show)]) == 2
    )
    assert "'£3.00' is written with £, which is not a sign of USD" in capsys.readouterr().out
    assert show.read_bytes() == before


@pytest.mark.parametrize(
    ("price", "title", "currency"),
    [
        ("€1.00", "Mug", "EUR"),
        ("$1.00", "Mug", "USD"),
        ("$1.00", "保温杯", "USD"),
        ("¥100", "保温杯", "CNY"),
    ],
)
def test_a_new_show_takes_the_currency_its_price_signs_name(
    tmp_path: Path, price: str, title: str, currency: str
) -> None:
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(f"sku,title,price,stock\nA1,{title},{price},5\n", encoding="utf-8")
    output = tmp_path / "show.json"
    assert cli_main(["show", "import-csv", str(csv_path), "-o", str(output)]) == 0
    show = json.loads(output.read_text(encoding="utf-8"))
    product = show["products"][0]
    assert (product.get("currency") or show["currency"]) == currency


# -- terminal tables: columns a combining mark does not take ------------------------------------


def test_a_title_with_combining_marks_keeps_the_show_checks_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Thai, Devanagari or a decomposed accent write marks that take no column. Before: each
    was counted as one, so that row's price and stock stood left of every other row's."""
    show = json.loads(SAMPLE.read_text(encoding="utf-8"))
    show["products"][1]["title"] = "กาต้มน้ำที่ดีที่สุด"  # 5 of its 18 characters are marks
    path = tmp_path / "show.json"
    path.write_text(json.dumps(show, ensure_ascii=False), encoding="utf-8")
    for name in ("images", "logo.png"):
        (tmp_path / name).symlink_to(SAMPLE.parent / name)
    assert cli_main(["show", "check", str(path)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if " stock " in line]
    assert len(rows) == 4
    assert len({display_width(row[: row.index("$")]) for row in rows}) == 1, rows


# -- anchordesk control: an answer is read within its cap ---------------------------------------


@pytest.mark.integration
def test_a_compressed_answer_to_anchordesk_control_is_refused_before_it_is_inflated(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: httpx inflated each received chunk whole and the 8 MB cap was looked at after:
    a 1 MB answer (1 GB inflated) took 130 MB of memory before 'more than 8 MB'."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = squeeze.compress(b'{"a": "') + b"".join(
        squeeze.compress(b" " * 1_000_000) for _ in range(1000)
    )
    bomb += squeeze.compress(b'"}') + squeeze.flush()
    server = RawServer(
        "HTTP/1.1 200 OK\nContent-Type: application/json\n" + "Content-Encoding: gzip\n", bomb
    )
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "t" * 32)
    tracemalloc.start()
    try:
        code = cli_main(["control", "--url", server.url.removesuffix("/feed"), "state"])
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.close()
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert len(err) == 1 and "answered compressed ('gzip') although asked not to" in err[0]
    assert peak_bytes < 16 * 1024 * 1024, f"{peak_bytes / 1e6:.0f} MB held at once"


@pytest.mark.integration
def test_a_feed_servers_cookies_are_neither_kept_nor_sent_back() -> None:
    """Before: the feeds' client kept every Set-Cookie and sent them all back on every request
    (and to every other feed on that host, whatever its port): 20 new cookies of 3 KB a poll
    made the 300th request 18 MB."""
    cookies = "".join(f"Set-Cookie: c{i}={'x' * 3000}; Path=/\n" for i in range(20))
    server = RawServer("HTTP/1.1 200 OK\nContent-Type: application/json\n" + cookies, _page(1))
    seen: list[bytes] = []

    async def scenario() -> list[float]:
        client = _new_http_client(5.0, httpx.Limits())
        async with client:
            sink, fake = Sink(), FakeTime()
            feed = Poller(
                JsonFeedAdapter(server.url, None),
                client,
                sink,
                clock=fake.clock,
                sleep=fake.sleep,
                unit_random=lambda: 0.0,
            )
            delays = [await feed.poll_once() for _ in range(3)]
            assert len(client.cookies.jar) == 0
            request = client.build_request("GET", server.url)
            seen.append(request.headers.get("Cookie", "").encode())
            return delays

    try:
        delays = asyncio.run(scenario())
    finally:
        server.close()
    assert seen == [b""]
    assert delays == [1.0, 1.0, 1.0], "the pages themselves are read as before"
