"""Round twenty-seven of issue 10, the deals and the report (fix27deal): a real rehearsing
LiveShow, its real remote on loopback, its session file and the real ``anchordesk report``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from anchordesk.cli.main import main

from ..remote.test_round_19_remote import SMALL_SHOW
from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def _a_deal_and_one_order_of_two_mug_lines(
    folder: Path, lines: tuple[tuple[int, str], ...]
) -> tuple[dict[str, Any], tuple[int, Decimal, int | None, float | None], Path]:
    """A 2-unit deal at $9.00 on the mug (full price $12.00), then ONE order of ``lines``
    (quantity, unit price) of mugs, through the feeds' store. Returns the remote's state, the
    live figures of the deal (the ledger the picture's card and the window's board read:
    units, GMV, units on offer, sell-through) and the session file."""
    from anchordesk.show.feed_items import Order, OrderLine

    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        start = {"command": "start_deal", "sku": "MUG", "price": "9.00", "seconds": 300}
        async with deck.post(f"{server.url}api/v1/commands", json={**start, "stock": 2}) as answer:
            assert answer.status == 200, await answer.text()
        order_lines = tuple(OrderLine("MUG", units, Decimal(price)) for units, price in lines)
        total = sum((line.amount for line in order_lines), Decimal(0))
        assert live.session is not None
        live.session.ingest([Order("json", "o-1", "USD", total, order_lines)])
        async with deck.get(f"{server.url}api/v1/state") as answer:
            state = await answer.json()
        gmv = live.session.read_ledger(lambda ledger: ledger.deals[0].gmv)
        assert isinstance(gmv, Decimal)
        board = live.snapshot().board
        assert board is not None
        (deal,) = board.segments[-1].deals
        path = live.session.path
    return state, (deal.units_sold, gmv, deal.units_total, deal.sell_through), path


@pytest.mark.parametrize(
    "lines",
    [((2, "9.00"), (1, "12.00")), ((1, "12.00"), (2, "9.00"))],
    ids=["deal-line-first", "full-price-line-first"],
)
def test_one_order_of_a_deal_line_and_a_full_price_line_of_one_sku_reads_the_same_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: tuple[tuple[int, str], ...]
) -> None:
    """Before: the deal each line was sold in was kept by SKU (the last line's went to both):
    on air and on the remote the 2-unit deal sold out, but the report said it sold 0 units,
    $0.00, 0.0% (0 of 2) — or, the lines the other way round, 3 units, $30.00, 150.0% (3 of 2),
    the full-price unit counted in the deal (so did the live board)."""
    state, live, path = asyncio.run(_a_deal_and_one_order_of_two_mug_lines(tmp_path, lines))
    # The picture's card and the remote: the deal sold out, its 2 units sold.
    [deal] = state["deals"]
    assert (deal["state"], deal["units_left"]) == ("sold_out", 0)
    # The live ledger and the window's board: 2 units, $18.00, 2 of 2.
    assert live == (2, Decimal("18.00"), 2, 1.0)
    # The report, JSON: the same.
    assert main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    [reported] = report["deals"]
    assert (reported["units"], reported["gmv"], reported["orders"]) == (2, "18.00", 1)
    [segment] = report["audience"]["segments"]
    [through] = segment["deals"]
    assert (through["units_sold"], through["units_total"], through["sell_through"]) == (2, 2, 1.0)
    assert report["gmv"] == "30.00"
    # The report, text: the same figures.
    assert main(["report", str(path)]) == 0
    text = capsys.readouterr().out
    assert "MUG 100.0% (2 of 2)" in text
    [deal_row] = [row for row in text.splitlines() if "sold out" in row]
    assert deal_row.split()[2:4] == ["2", "$18.00"], deal_row


def test_a_session_written_before_by_sku_still_reads_as_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session file of the form before (``order_applied`` with its deal by SKU alone, no
    ``line_deals``) reads as it did: the SKU's deal goes to each of its lines."""
    _, _, path = asyncio.run(
        _a_deal_and_one_order_of_two_mug_lines(tmp_path, ((1, "9.00"), (1, "9.00")))
    )
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        (seq, data) = db.execute(
            "SELECT seq, data FROM show_events WHERE kind = 'order_applied'"
        ).fetchone()
        applied = json.loads(data)
        assert applied["line_deals"] == {"0": "deal-1", "1": "deal-1"}
        del applied["line_deals"]
        assert applied["deals"] == {"MUG": "deal-1"}
        db.execute("UPDATE show_events SET data = ? WHERE seq = ?", (json.dumps(applied), seq))
    assert main(["report", "--json", str(path)]) == 0
    [reported] = json.loads(capsys.readouterr().out)["deals"]
    assert (reported["units"], reported["gmv"], reported["orders"]) == (2, "18.00", 1)
    # And a "deals" of None (the show sold the SKU in no deal) still wins over the price rule.
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "UPDATE show_events SET data = ? WHERE seq = ?",
            (json.dumps({**applied, "deals": {"MUG": None}}), seq),
        )
    assert main(["report", "--json", str(path)]) == 0
    [reported] = json.loads(capsys.readouterr().out)["deals"]
    assert (reported["units"], reported["gmv"], reported["orders"]) == (0, "0.00", 0)


def test_a_product_sold_in_two_lines_of_one_order_counts_one_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the report's products[MUG].orders was 2 for one order with two mug lines (the
    report's orders 1, the deal's 1): a product's orders were counted once a line."""
    _, _, path = asyncio.run(
        _a_deal_and_one_order_of_two_mug_lines(tmp_path, ((2, "9.00"), (1, "12.00")))
    )
    assert main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    products = {product["sku"]: product for product in report["products"]}
    assert (products["MUG"]["orders"], products["MUG"]["units"]) == (1, 3)
    assert (report["orders"], report["deals"][0]["orders"]) == (1, 1)


def _kept_commands(path: Path) -> list[tuple[str, dict[str, Any]]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT data FROM show_events WHERE kind = 'command' ORDER BY seq")
        entries = [json.loads(data) for (data,) in rows]
    return [(entry["command"], entry["arguments"]) for entry in entries]


async def _pinning_comments_of_no_visible_text(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[int, str]], Any, int, list[tuple[str, dict[str, Any]]]]:
    from anchordesk.show.feed_items import Comment

    said: list[tuple[int, str]] = []
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        assert live.session is not None
        live.session.ingest(
            [
                Comment("json", "c1", "Ann", "Nice mug"),
                Comment("json", "c2", "Bo", "\u200b\u2060"),  # invisible characters only
                Comment("json", "c3", "Cy", "\u0007\u001b"),  # BEL, ESC
            ]
        )
        for key in ("json:c1", "json:c2", "json:c3"):
            body = {"command": "pin_comment", "id": key}
            async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                said.append((answer.status, (await answer.json()).get("error", "")))
        async with deck.get(f"{server.url}api/v1/state") as answer:
            pinned = (await answer.json())["pinned"]
        # The script's `anchordesk control pin_comment`: exit 2, the reason.
        monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
        code = await asyncio.to_thread(
            main, ["control", "--url", server.url, "pin_comment", "id=json:c2"]
        )
        path = live.session.path
    return said, pinned, code, _kept_commands(path)


def test_pinning_a_comment_of_no_visible_text_is_refused_and_keeps_the_pinned_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: pin_comment of a stored comment whose text cleans to nothing (only U+200B
    U+2060, or BEL ESC) answered 200 (exit 0) and the session kept it, but nothing was pinned
    and the comment pinned a moment before was taken off the picture without a word."""
    said, pinned, code, kept = asyncio.run(
        _pinning_comments_of_no_visible_text(tmp_path, monkeypatch)
    )
    nothing = "that comment has no text to show: there is nothing to pin"
    assert said == [(200, ""), (409, nothing), (409, nothing)]
    assert pinned == {"id": "json:c1", "author": "Ann", "text": "Nice mug"}
    assert kept == [("pin_comment", {"id": "json:c1"})]
    assert code == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: anchordesk control pin_comment: 409: {nothing}"
    )
