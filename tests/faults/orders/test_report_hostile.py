"""``anchordesk report`` on hostile and damaged session files: absurd amounts a file kept
before the amount rule, corrupted rows, escape sequences in SKUs (issue 10)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main
from anchordesk.show.feed_items import Comment
from anchordesk.store import SessionStore

T0 = 1_800_000_000.0
# What a hostile SKU carries: retitle the terminal, clear the screen, a C1 CSI, a bidi override.
HOSTILE_SKU = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eSKU"


def _raw_order(db: sqlite3.Connection, order_id: str, total: str, sku: str = "SERUM-30") -> None:
    """An order as an older version kept it: straight into the table, no rule on the way."""
    lines = json.dumps([{"sku": sku, "quantity": 1, "unit_price": total, "title": ""}])
    db.execute(
        "INSERT INTO orders(source, id, received_at, created_at, currency, total_price, customer,"
        " lines) VALUES ('json', ?, ?, '', 'CNY', ?, '', ?)",
        (order_id, T0 + len(order_id), total, lines),
    )


@pytest.fixture
def old_session(tmp_path: Path) -> Path:
    path = tmp_path / "old.adsession"
    SessionStore(path).close()
    db = sqlite3.connect(path)
    _raw_order(db, "o1", "199.00")
    _raw_order(db, "o-inf", "9.0E+309")
    _raw_order(db, "o-huge", "1E+26")
    _raw_order(db, "o-neg", "-999.99")
    _raw_order(db, "o-esc", "5.00", sku=HOSTILE_SKU)
    db.commit()
    db.close()
    return path


def test_an_old_file_with_absurd_totals_reports_them_rejected_in_every_form(
    old_session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "r.html"
    assert cli_main(["report", str(old_session), "--html", str(html), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "CN¥204.00" in out, "GMV: 199.00 + 5.00, nothing absurd added"
    assert "3 items rejected, not counted: 2 amounts above the ceiling, 1 negative amount" in out
    assert "Traceback" not in out
    assert "o-inf" in html.read_text(encoding="utf-8")
    assert cli_main(["report", str(old_session), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Decimal(data["gmv"]) == Decimal("204.00") and data["orders"] == 2
    assert data["rejected_by_reason"] == {"amount_too_large": 2, "amount_negative": 1}


def test_escape_sequences_in_a_sku_never_reach_the_terminal_raw(
    old_session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["report", str(old_session), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in out
    assert "\\x1b]0;pwned\\x07" in out, "shown, escaped, not dropped"
    assert cli_main(["report", str(old_session), "--json"]) == 0
    printed = capsys.readouterr().out
    assert not any(char in printed for char in ("\x1b", "\x07", "\x9b", "\u202e"))
    products = json.loads(printed)["products"]
    # The exact SKU but what shows as nothing (U+202E): since round 33 an order's SKU is
    # matched and kept without it (show/model.ordered_sku); the raw item keeps it all.
    exact = HOSTILE_SKU.replace("\u202e", "")
    assert exact in {p["sku"] for p in products}, "the JSON still holds the SKU's characters"


def test_corrupted_rows_are_named_and_skipped_not_a_traceback(
    old_session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = sqlite3.connect(old_session)
    db.execute("UPDATE orders SET lines = '{not json' WHERE id = 'o1'")
    db.execute(
        "INSERT INTO comments(source, id, received_at, published_at, author, text, is_moderator,"
        " is_owner, paid_amount, paid_currency, flagged_terms, is_question)"
        " VALUES ('json', 'c1', 'yesterday', '', 'a', 'hi', 0, 0, NULL, '', '[]', 0)"
    )
    db.execute(
        "INSERT INTO show_events(source, id, at, kind, data)"
        " VALUES ('show', 'e1', ?, 'deal_started', '{\"sku\": 1}')",
        (T0,),
    )
    db.commit()
    db.close()
    assert cli_main(["report", str(old_session), "--lang", "en"]) == 0
    captured = capsys.readouterr()
    assert "2 unreadable rows skipped in " + str(old_session) in captured.out
    assert "orders row 1: lines is not valid JSON" in captured.out
    assert "comments row 1: received_at is not a time" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert cli_main(["report", str(old_session), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["unreadable_rows"]
    assert {(r["table"], r["row"]) for r in rows} == {("orders", 1), ("comments", 1)}


def test_a_damaged_page_of_the_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "damaged.adsession"
    store = SessionStore(path)
    store.write_batch(
        "json", [Comment("json", f"c{i}", "a", "hello " * 20) for i in range(3000)], "1"
    )
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    # Past the header and the schema: the b-tree page headers of table and index pages (a page
    # type byte of 0xff is malformed whichever tree the page belongs to).
    for page in range(10, 20):
        data[page * 4096 : page * 4096 + 400] = b"\xff" * 400
    path.write_bytes(bytes(data))
    assert cli_main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and str(path) in err and len(err.splitlines()) == 1
