"""Hostile inputs, round six: what round five's kinds of input did not try (values at and
past their limits, money in two currencies through one segment, the simulator's own
arguments). Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import ShopifyOrdersServer
from platform_servers import TwitchServer, wait_until
from report_sessions import T0, write_big_session
from test_poller import Collector
from test_twitch import feed_for, run_with

from anchordesk.cli import main as cli_main
from anchordesk.feeds.shopify import ShopifyOrdersAdapter
from anchordesk.feeds.twitch import SUBSCRIPTIONS, TwitchChatFeed
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Comment, Order, OrderLine, OrderUpdate, RejectedItem
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.showfile.samples import sample_show_path
from anchordesk.store import SessionStore, StoreWriter

from .test_round_03_feeds import _poll, _split


@pytest.mark.parametrize(
    ("argument", "value", "words"),
    [
        ("--port", "70000", "from 0 to 65535"),
        ("--port", "-1", "from 0 to 65535"),
        ("--rate", "1e400", "at most 1,000"),
        # ("inf" is no number written with the digits 0-9 since round 34: core/typed_numbers)
        ("--rate", "inf", "'inf' is not a number"),
    ],
)
def test_the_audience_refuses_a_port_or_rate_out_of_range_in_one_line(
    capsys: pytest.CaptureFixture[str], argument: str, value: str, words: str
) -> None:
    """Before: ``--port 70000`` ended in an OverflowError traceback out of bind(); ``--rate
    inf`` served a room that never wrote a comment, without a word."""
    show = sample_show_path("en")
    assert show is not None
    assert cli_main(["audience", "--show", str(show), argument, value]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert argument in err and words in err


def test_an_order_in_another_currency_is_never_added_into_a_segments_or_products_gmv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CNY show with one 12.50 USD order for SKU-05. Before: the report's segment table and
    SKU-05's row (and the board's product GMV, from the same ledger) added the 12.50 dollars
    into their yuan: the segments summed to 12.50 more than the show's GMV."""
    path = tmp_path / "show.adsession"
    write_big_session(path)
    assert cli_main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    gmv = Decimal(report["gmv"])
    assert report["gmv_by_currency"]["USD"] == "12.50"
    assert sum(Decimal(p["gmv"]) for p in report["products"]) == gmv
    assert sum(Decimal(s["gmv"]) for s in report["segments"]) == gmv
    [mug] = [p for p in report["products"] if p["sku"] == "SKU-05"]
    assert mug["gmv_in_other_currencies"] == {"USD": "12.50"}
    assert sum(
        Decimal(s["gmv_in_other_currencies"].get("USD", "0")) for s in report["segments"]
    ) == Decimal("12.50")


@pytest.mark.parametrize("zero", ["0E-999999999", "-0E-999999999", "24.000000000000000000000"])
def test_an_amount_written_with_absurd_digits_keeps_the_gmv_in_the_currencys_digits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zero: str
) -> None:
    """A total of ``0E-999999999`` is exact in cents (a zero), so the rule keeps it. Before:
    every sum after it took its exponent, and the GMV read "…131.500000000000000" in
    ``report --json`` and on the remote (the same ledger)."""
    path = tmp_path / "show.adsession"
    write_big_session(path)
    store = SessionStore(path)
    line = OrderLine("SKU-05", 1, Decimal(zero), "Mug")
    store.write_batch("json", [Order("json", "odd", "CNY", Decimal(zero), (line,))], "z", T0 + 9)
    store.close()
    assert cli_main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    for amount in [
        report["gmv"],
        *(p["gmv"] for p in report["products"] if p["gmv"] != "0"),
        *(s["gmv"] for s in report["segments"]),
    ]:
        assert len(amount.partition(".")[2]) == 2, amount


_DEAL_SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 20),),
    rundown=(
        Segment("Hello", 60),
        Segment("Mug", 300, "MUG", deal=DealPlan(Decimal("18.00"), 120, 5)),
    ),
)


@pytest.mark.parametrize("one_page", [True, False])
def test_a_page_is_applied_in_its_items_order_so_its_split_never_changes_the_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], one_page: bool
) -> None:
    """[order A: 2 deal mugs, A cancelled, order B: 4 deal mugs], a deal of 5. Sent as three
    pages, the deal is still live with 1 left. Before: sent as one page, every order was
    applied before every update, so B sold the deal out (2 + 4 > 5), A's cancellation came
    too late to refill it, and the picture said SOLD OUT."""
    runtime = ShowRuntime(_DEAL_SHOW, 0.0)
    session = ShowSession(
        mode=SessionMode.LIVE,
        runtime=runtime,
        writer=StoreWriter(tmp_path / "live.adsession"),
        feeds=[],
        simulated=False,
    )
    runtime.next_segment(1.0)  # the mug's deal of 5 goes live

    def order(order_id: str, units: int) -> Order:
        line = OrderLine("MUG", units, Decimal("18.00"), "Mug")
        return Order("json", order_id, "USD", line.amount, (line,))

    items = [order("A", 2), OrderUpdate("json", "A", "cancelled"), order("B", 4)]
    try:
        for page in [items] if one_page else [[item] for item in items]:
            session.ingest(page)
    finally:
        session.close_store()
    state = runtime.snapshot().state
    live = state.live_deal("MUG")
    assert live is not None and live.stock_left == 1
    assert state.stock_left("MUG") == 20 - 4
    # The report, from the session file, agrees with the card.
    assert cli_main(["report", "--json", str(tmp_path / "live.adsession")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["gmv"], report["units_by_sku"]) == ("72.00", {"MUG": 4})
    [deal] = report["deals"]
    assert (deal["units"], deal["end_reason"]) == (4, ""), deal


def _break_refund(server: ShopifyOrdersServer, order_id: int, how: str) -> None:
    refund = server._order(order_id)["refunds"][-1]
    if how == "overflowing amount":
        refund["transactions"][0]["amount"] = "1e999999999"
    else:  # a refund line's quantity as a string
        refund["refund_line_items"][0]["quantity"] = "1"


@pytest.mark.integration
@pytest.mark.parametrize("how", ["overflowing amount", "quantity as text"])
def test_shopify_rest_an_unreadable_refund_is_kept_as_rejected_and_the_page_read(
    how: str,
) -> None:
    """Before: a refund of ``1e999999999`` raised decimal.Overflow out of the page (asked
    again for ever: every later order stuck behind it); a refund line's quantity ``"1"``
    dropped the order's cancellation and refunds with a log line only, in no report."""
    with ShopifyOrdersServer() as server:
        first = server.add_order([("MUG", 1, "10.00")])
        odd = server.add_order([("MUG", 2, "10.00")])
        server.cancel(odd)
        server.refund(odd, "10.00", [(0, 1)])
        _break_refund(server, odd, how)
        last = server.add_order([("MUG", 3, "10.00")])
        sink, poller = _poll(ShopifyOrdersAdapter(server.url, server.token), 1)
    kept, rejected = _split(sink)
    assert [o.id for o in kept if isinstance(o, Order)] == [str(first), str(odd), str(last)]
    # The refund rejected alone, under its key (round 34): the cancellation still counts.
    refund_id = server._order(odd)["refunds"][-1]["id"]
    assert [(r.item_id, r.kind) for r in rejected] == [
        (f"{odd}:refund:{refund_id}", "order_update")
    ]
    assert [(u.order_id, u.status) for u in kept if isinstance(u, OrderUpdate)] == [
        (str(odd), "cancelled")
    ]
    assert poller.cursor is not None and str(last) in poller.cursor


@pytest.fixture
def time_zone_a_day_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``TZ=UTC+25``: POSIX allows the hours; glibc takes them; Python's offsets stop at 24 h."""
    monkeypatch.setenv("TZ", "UTC+25")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("time_zone_a_day_off")
def test_a_local_time_zone_python_cannot_use_gives_the_report_in_utc_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``astimezone()`` raised ValueError (offset beyond 24 h): the text report and
    ``--html`` ended in a traceback."""
    path = tmp_path / "show.adsession"
    write_big_session(path, language="en")
    assert cli_main(["report", "--lang", "en", str(path)]) == 0
    started = [line for line in capsys.readouterr().out.splitlines() if "Started" in line]
    assert len(started) == 1 and started[0].endswith(" UTC")
    page = tmp_path / "report.html"
    assert cli_main(["report", "--lang", "en", "--html", str(page), str(path)]) == 0
    assert " UTC · " in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "pairs", [["index=1", "index=2"], ["command=previous_segment"], ["sku=A", "sku=B"]]
)
def test_anchordesk_control_refuses_an_argument_given_twice(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pairs: list[str]
) -> None:
    """Before: ``goto_segment index=1 index=2`` went to segment 2 without a word, and
    ``next_segment command=previous_segment`` sent previous_segment. Refused before any
    connection (the URL points nowhere)."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "r6in-token-0123456789abcdef")
    url = "http://127.0.0.1:9/"
    assert cli_main(["control", "--url", url, "goto_segment", *pairs]) == 2
    err = capsys.readouterr().err
    assert "given twice" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("target", ["the session", "a link to it", "its -wal", "a show file"])
def test_report_html_never_writes_the_page_over_the_session_or_a_file_that_is_not_a_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """Before: ``report --html S.adsession S.adsession`` (a slip of the shell's completion)
    wrote the page over the session itself: every order of the show gone; ``--html
    show.json`` over the show."""
    path = tmp_path / "show.adsession"
    write_big_session(path, language="en")
    show = tmp_path / "show.json"
    show.write_text('{"format": 1}', encoding="utf-8")
    link = tmp_path / "page.html"
    link.symlink_to(path)
    page = {
        "the session": path,
        "a link to it": link,
        "its -wal": tmp_path / "show.adsession-wal",
        "a show file": show,
    }[target]
    before = {p: p.read_bytes() for p in (path, show)}
    assert cli_main(["report", "--html", str(page), str(path)]) == 2
    err = capsys.readouterr().err
    assert "choose another name" in err and len(err.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in (path, show)} == before
    # A page is still written over an earlier page (the report made again).
    earlier = tmp_path / "report.html"
    earlier.write_text("<!DOCTYPE html><html>@@earlier@@</html>", encoding="utf-8")
    assert cli_main(["report", "--lang", "en", "--html", str(earlier), str(path)]) == 0
    assert "@@earlier@@" not in earlier.read_text(encoding="utf-8")


def _sample_copy(tmp_path: Path) -> Path:
    show = sample_show_path("en")
    assert show is not None
    shutil.copytree(show.parent, tmp_path / "show")
    return tmp_path / "show" / show.name


def test_import_csv_into_a_show_never_writes_over_the_csv_it_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``show import-csv p.csv --into show.json -o p.csv`` wrote the show over the
    CSV (without --into an existing -o was already refused)."""
    show = _sample_copy(tmp_path)
    csv = show.parent / "products.csv"
    before = csv.read_bytes()
    assert cli_main(["show", "import-csv", str(csv), "--into", str(show), "-o", str(csv)]) == 2
    assert csv.read_bytes() == before
    assert "the file exists" in capsys.readouterr().out
    # Into the show's own file, as documented, still works.
    assert cli_main(["show", "import-csv", str(csv), "--into", str(show), "-o", str(show)]) == 0


def test_live_refuses_stats_written_over_the_show_it_plays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``live --show s.json --stats s.json`` ran, and wrote its figures over the
    show file."""
    show = _sample_copy(tmp_path)
    before = show.read_bytes()
    run = ["--camera", "test", "--mic", "none", "--seconds", "1"]
    record = ["--record", str(tmp_path / "r.mkv"), "--session", str(tmp_path / "s.adsession")]
    code = cli_main(["live", "--show", str(show), *run, *record, "--stats", str(show)])
    assert code == 2
    assert "the same file as --show" in capsys.readouterr().err
    assert show.read_bytes() == before


@pytest.mark.integration
def test_an_unreadable_twitch_chat_message_is_kept_as_rejected() -> None:
    """Before: a chat notification that could not be read (here its ``event`` a list) was
    counted in the feed's health only: dropped, in no session and no report, while every
    other feed keeps such an item as rejected, with why."""
    server, sink = TwitchServer(), Collector()
    bad = {
        "metadata": {"message_id": "m-bad", "message_type": "notification"},
        "payload": {"subscription": {"type": "channel.chat.message"}, "event": ["x"]},
    }

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        await server.connections[-1].send(json.dumps(bad))
        await server.chat("msg-9", "42", "Amy", "still here")
        await asyncio.wait_for(
            wait_until(lambda: any(isinstance(i, Comment) for i in sink.items))(), 5
        )

    feed = run_with(server, lambda: feed_for(server), sink, script)
    rejected = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert len(rejected) == 1 and rejected[0].reason == "unreadable"
    assert feed.health.malformed_items == 1


@pytest.mark.integration
def test_long_twitch_message_ids_are_remembered_small_and_repeats_still_skipped() -> None:
    """Before: each message's ``metadata.message_id`` was kept whole among the last 5,000 (for
    Twitch's resends): ids of a frame's size (1 MiB) made that 5 GB. A repeat of a long id
    is still seen as one."""
    server, sink = TwitchServer(), Collector()
    long_ids = ["a" * 200_000, "b" * 200_000]

    async def script(feed: TwitchChatFeed) -> None:
        await server.wait_for_connections(1, subscriptions=len(SUBSCRIPTIONS))
        for number, metadata_id in enumerate([*long_ids, long_ids[0]]):
            await server.chat(f"msg-{number}", "42", "Amy", "hi", metadata_id=metadata_id)
        await server.chat("msg-last", "42", "Amy", "last")
        await asyncio.wait_for(
            wait_until(lambda: any(getattr(i, "id", "") == "msg-last" for i in sink.items))(), 5
        )

    feed = run_with(server, lambda: feed_for(server), sink, script)
    comments = [item.id for item in sink.items if isinstance(item, Comment)]
    assert comments == ["msg-0", "msg-1", "msg-last"]
    assert feed.health.duplicates == 1
    assert max(len(key) for key in feed._recent_set) < 100


def test_a_time_zone_nothing_can_read_gives_the_report_in_utc_with_one_warning(
    tmp_path: Path,
) -> None:
    """Before: ``TZ=:/etc/passwd`` (or a typo in a service file) made Babel's import fail with
    a traceback before ``report`` printed anything. A new process: Babel reads the zone once."""
    import os
    import subprocess
    import sys

    path = tmp_path / "show.adsession"
    write_big_session(path, language="en")
    env = {**os.environ, "TZ": ":/etc/passwd", "XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk", "report", "--lang", "en", str(path)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "time zone" in line]
    assert len(warnings) == 1 and warnings[0].endswith("times are shown in UTC")
    started = [line for line in result.stdout.splitlines() if "Started" in line]
    assert len(started) == 1 and "Jan 15, 2027, 8:00:00" in started[0]  # the session's UTC


def test_a_feed_item_that_is_no_object_is_rejected_in_the_protocols_words() -> None:
    # Before: "'list' object has no attribute 'get'" in the report's rejected list.
    import httpx

    from anchordesk.feeds.adapters import JsonFeedAdapter
    from anchordesk.feeds.parsing import RejectedItem

    adapter = JsonFeedAdapter("http://127.0.0.1:9/feed", None)
    body = json.dumps({"items": [[1], "x", 7, True, None]}).encode()
    page = adapter.parse(
        httpx.Response(200, content=body, headers={"Content-Type": "application/json"}), None
    )
    details = [item.detail for item in page.items if isinstance(item, RejectedItem)]
    assert details == [
        f"an item must be an object, not {kind}"
        for kind in ("a list", "a text", "a number", "true", "null")
    ]
    assert page.malformed_items == 5
