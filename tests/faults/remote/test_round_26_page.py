"""Round twenty-six, hunt26page: a JSON feed's big pages (100,000 orders in pages of 25,000,
2 MB each) applied to the show without holding the event loop for a page, every order kept
once, with a kill -9 in the middle of a page too. Real parts: a local HTTP feed server, the real
LiveShow (rehearsing) and the real ``anchordesk live`` / ``anchordesk report``."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from anchordesk.cli.main import main
from anchordesk.feeds.spec import FeedSpec

from ..live_runs import SMALL, LiveRun, child_env
from ..remote_parts import rehearsing
from .test_round_19_remote import SMALL_SHOW

PAGES, PER_PAGE = 4, 25_000
ORDERS = PAGES * PER_PAGE
# Every other order a mug (12.00) or a lamp (30.00), one unit each.
GMV = Decimal("12.00") * (ORDERS // 2) + Decimal("30.00") * (ORDERS // 2)


def _pages() -> dict[str, bytes]:
    bodies: dict[str, bytes] = {}
    for page in range(PAGES):
        items = []
        for number in range(page * PER_PAGE, (page + 1) * PER_PAGE):
            sku, price = ("MUG", "12.00") if number % 2 else ("LAMP", "30.00")
            line = {"sku": sku, "quantity": 1, "price": price}
            items.append({"type": "order", "id": f"o{number}", "currency": "USD", "lines": [line]})
        more = page < PAGES - 1
        body = {"items": items, "next": str(page + 1), "more": more, "poll_ms": 200}
        bodies[str(page)] = json.dumps(body).encode()
    return bodies


@contextmanager
def big_feed() -> Iterator[str]:
    """A JSON feed (docs/feed-protocol.md) of 100,000 orders, 25,000 a page; its URL."""
    bodies = _pages()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            after = (parse_qs(urlsplit(self.path).query).get("after") or ["0"])[0]
            empty = {"items": [], "next": after, "poll_ms": 200}
            body = bodies.get(after, json.dumps(empty).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def stored_orders(session: Path) -> tuple[int, int]:
    """(rows, distinct ids) of orders in the session file now (0, 0 before its schema)."""
    if not session.exists():
        return 0, 0
    try:
        with sqlite3.connect(f"file:{session}?mode=ro", uri=True, timeout=5) as db:
            query = "SELECT COUNT(*), COUNT(DISTINCT source || char(0) || id) FROM orders"
            row = db.execute(query).fetchone()
            return int(row[0]), int(row[1])
    except sqlite3.OperationalError:
        return 0, 0


def reported(session: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["report", str(session), "--json"]) == 0
    printed: dict[str, Any] = json.loads(capsys.readouterr().out)
    return printed


async def _fed(folder: Path, url: str) -> dict[str, Any]:
    seen: dict[str, Any] = {"counts": []}
    async with rehearsing(SMALL_SHOW, folder, [FeedSpec("json", url)]) as live:

        def orders_now() -> int:
            return int(live.session.read_ledger(lambda ledger: ledger.orders))  # type: ignore[arg-type]

        async def probe() -> None:
            """Runs each time the loop is free: the orders the show holds then."""
            while True:
                seen["counts"].append(orders_now())
                await asyncio.sleep(0)

        watching = asyncio.create_task(probe())
        deadline = time.monotonic() + 600
        while orders_now() < ORDERS and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        watching.cancel()
        seen["counts"].append(orders_now())
        sales = live.snapshot().sales
        seen["gmv"], seen["orders"] = sales.gmv, sales.orders
        seen["session"] = live.session.path
    return seen


def test_a_page_of_25000_orders_is_applied_with_the_loop_free_between_slices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: each page of 25,000 orders was applied to the show in one go, on the event loop
    (the window's thread under qasync): 2.3 s a page here unloaded, 8-10 s on a loaded machine,
    with the window, the remote's answers and the picture's stock waiting. Now the loop is
    free between slices of a few hundred orders: a coroutine waiting for it sees the orders
    arrive a slice at a time, never a page at once; and all 100,000 are kept once, the board's
    GMV the report's."""
    with big_feed() as url:
        seen = asyncio.run(_fed(tmp_path, url))
    counts: list[int] = seen["counts"]
    steps = [after - before for before, after in itertools.pairwise(counts)]
    assert counts[-1] == ORDERS
    assert max(steps) <= 250, f"the loop came back only after {max(steps)} orders"
    assert seen["orders"] == ORDERS and seen["gmv"] == GMV
    assert stored_orders(seen["session"]) == (ORDERS, ORDERS)
    printed = reported(seen["session"], capsys)
    assert printed["orders"] == ORDERS and Decimal(printed["gmv"]) == GMV


def test_a_kill_in_the_middle_of_a_page_loses_and_doubles_no_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``anchordesk live`` killed (-9) as soon as its first page of 25,000 is stored, while the
    show applies it slice by slice, then the same command again: every one of the 100,000
    orders is in the session once, and the report's GMV is theirs."""
    session = tmp_path / "S.sqlite"
    with big_feed() as url:
        args = (*SMALL, "--feed", f"json={url}", "--session", str(session), "--record")
        first = LiveRun(*args, str(tmp_path / "a.mkv"), env=child_env(tmp_path / "a"))
        try:
            deadline = time.monotonic() + 300
            while stored_orders(session)[0] < PER_PAGE:
                assert first.process.poll() is None, first.stderr
                assert time.monotonic() < deadline, first.stderr
                time.sleep(0.02)
            first.process.send_signal(signal.SIGKILL)
            first.wait(30)
        finally:
            first.kill()
        at_kill = stored_orders(session)
        assert at_kill[0] % PER_PAGE == 0, "a page is stored whole or not at all"
        second = LiveRun(*args, str(tmp_path / "b.mkv"), env=child_env(tmp_path / "b"))
        try:
            deadline = time.monotonic() + 300
            while stored_orders(session)[0] < ORDERS:
                assert second.process.poll() is None, second.stderr
                assert time.monotonic() < deadline, second.stderr
                time.sleep(0.1)
            second.send(signal.SIGTERM)
            assert second.wait(60) == 0, second.stderr
        finally:
            second.kill()
    assert "Traceback" not in second.stderr, second.stderr
    assert stored_orders(session) == (ORDERS, ORDERS)
    printed = reported(session, capsys)
    assert printed["orders"] == ORDERS and Decimal(printed["gmv"]) == GMV


def test_an_order_of_many_lines_asks_for_its_currencys_digits_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: the ledger and the amount rule asked Babel for the currency's digits once for
    every line of every order (a second of the loop for 100,000 lines on a loaded machine);
    a currency's digits do not change: asked once, the sums the same."""
    from anchordesk.core import money
    from anchordesk.show.feed_items import Order, OrderLine
    from anchordesk.show.ledger import Ledger

    asked: list[str] = []
    babel = money.get_currency_precision

    def counted(code: str) -> str:
        asked.append(code)
        return str(babel(code))

    monkeypatch.setattr(money, "get_currency_precision", counted)
    getattr(money.currency_digits, "cache_clear", lambda: None)()
    ledger = Ledger(SMALL_SHOW.products, "USD")
    for currency, price in (("KWD", "1.250"), ("JPY", "300")):
        lines = tuple(OrderLine("MUG", 1, Decimal(price)) for _ in range(1_000))
        order = Order("json", f"big-{currency}", currency, Decimal(price) * 1_000, lines)
        ledger.add_order(order, 0.0)
    assert ledger.gmv_by_currency == {"KWD": Decimal("1250.000"), "JPY": Decimal("300000")}
    assert sorted(set(asked)) == ["JPY", "KWD"] and len(asked) == 2


def test_the_live_boards_figures_read_as_orders_come_are_those_read_whole() -> None:
    """Before: the live board read every order again at each refresh for the buyers, average
    order and GMV per segment (a third of a second of the loop at 100,000 orders, every 2 s
    while they came) and every order of the last two minutes for the sales rates (a sixth of
    a second twice a second). Now each refresh reads only what came since the last, and the
    figures are the same as read whole: through segments, a cancellation, a refund, a
    customer ordering twice, a clock set back."""
    import random

    from anchordesk.show.board import OrderTally, UnitsRate, order_figures, units_per_second
    from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate
    from anchordesk.show.ledger import Ledger

    chance = random.Random(26)
    ledger = Ledger(SMALL_SHOW.products, "USD")
    tally, rates = OrderTally(), UnitsRate()
    now, started_at, checked = 1_000.0, 1_000.0, 0
    for number in range(3_000):
        now += chance.choice((0.0, 0.01, 0.5, 3.0))
        at = now - 50.0 if number == 2_000 else now  # one order stamped by a clock set back
        sku, price = chance.choice((("MUG", "12.00"), ("LAMP", "30.00"), ("HAT", "5.00")))
        quantity = chance.choice((0, 1, 2))
        line = OrderLine(sku, quantity, Decimal(price))
        customer = f"c{chance.randrange(400)}"
        order = Order("json", f"o{number}", "USD", line.amount, (line,), customer=customer)
        ledger.add_order(order, at)
        if number in (100, 1_500):
            ledger.segment_started(number // 1_000, "segment", None, at)
        if number in (700, 2_500):
            ledger.apply_update(OrderUpdate("json", f"o{number - 3}", "cancelled"), at)
        if number == 1_200:
            refund = OrderUpdate("json", "o1190", "refunded", Decimal("1.00"), refund_id="r1")
            ledger.apply_update(refund, at)
        if chance.random() < 0.2:
            assert tally.figures(ledger) == order_figures(ledger), number
            assert rates.per_second(ledger, now, started_at) == units_per_second(
                ledger, now, started_at
            ), number
            checked += 1
    assert checked > 300
    assert order_figures(ledger).segments  # the segments were counted


async def _ingested(folder: Path, count: int) -> dict[str, Any]:
    from anchordesk.show.feed_items import Order, OrderLine

    seen: dict[str, Any] = {"writes": 0}
    async with rehearsing(SMALL_SHOW, folder) as live:
        session = live.session
        submit = session.writer.submit_show_events

        def counted(events: Any) -> Any:
            if any(event.kind == "order_applied" for event in events):
                seen["writes"] += 1
            return submit(events)

        session.writer.submit_show_events = counted  # type: ignore[method-assign]
        orders = [
            Order(
                "json", f"o{n}", "USD", Decimal("30.00"), (OrderLine("LAMP", 1, Decimal("30.00")),)
            )
            for n in range(count)
        ]
        session.ingest(orders)
        seen["session"] = session.path
        seen["sales"] = live.snapshot().sales
    return seen


def test_a_slice_of_oversold_orders_is_kept_in_one_write_and_logged_in_a_few_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: each order of a slice (250 of a big page) was one write of the store and one
    warning line ("order o7: LAMP oversold by 1 units"), each making the loop's thread hand the
    GIL over and wait for it back (a 50 ms slice took 0.4-0.9 s), and a page of 25,000 oversold
    orders wrote 25,000 lines in the log. Now the orders applied together are kept in one
    write, the first five named and the rest in one line; each order still kept, applied and
    counted once."""
    caplog.set_level(logging.WARNING, logger="anchordesk.live.show_session")
    seen = asyncio.run(_ingested(tmp_path, 2_000))
    said = [r.getMessage() for r in caplog.records if r.name == "anchordesk.live.show_session"]
    assert seen["writes"] == 1
    assert len(said) == 6, said[:10]
    assert said[-1] == (
        "1,975 more orders oversold or with SKUs not in the show (kept in the session): "
        "LAMP oversold by 1,975 units"
    )
    assert seen["sales"].orders == 2_000 and seen["sales"].gmv == Decimal("60000.00")
    printed = reported(seen["session"], capsys)
    assert printed["orders"] == 2_000 and Decimal(printed["gmv"]) == Decimal("60000.00")
