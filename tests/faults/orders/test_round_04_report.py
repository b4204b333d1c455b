"""Round four, `anchordesk report` of a session whose show events were damaged or hand-edited
(issue 10: "a new round of the same kinds of input finds nothing new").

Found: a segment event whose index is `1e400`/`Infinity` (JSON a float cannot hold) ended the
report with `OverflowError` and a traceback; a show-clock time of `1e308` printed a 300-digit
"actual" time in the plan-against-actual table. Now a row holding a number that is not finite is
an unreadable row (skipped and listed, as other damage), and a show-clock time beyond 115 days
is read as no show-clock time (the wall clock is used).
Held (kept as evidence): events out of order, a deal on a SKU that is not in the show, a deal
that ends without having started, an order for an unknown SKU.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from report_sessions import write_big_session

from anchordesk.cli import main as cli_main


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "show.adsession"
    write_big_session(path)
    return path


def _add_events(path: Path, *rows: tuple[str, str]) -> None:
    with sqlite3.connect(path) as db:
        (at,) = db.execute("SELECT max(at) FROM show_events").fetchone()
        for number, (kind, data) in enumerate(rows):
            db.execute(
                "INSERT INTO show_events(source, id, at, kind, data) VALUES ('x', ?, ?, ?, ?)",
                (f"r4-{number}", at + number, kind, data),
            )


@pytest.mark.parametrize("as_json", [False, True])
def test_a_segment_index_of_infinity_is_an_unreadable_row_not_a_traceback(
    session: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    _add_events(
        session,
        ("segment_started", '{"kind": "segment_started", "at_s": 5, "index": 1e400}'),
        ("segment_ended", '{"kind": "segment_ended", "at_s": 6, "index": Infinity}'),
        ("deal_ended", '{"kind": "deal_ended", "at_s": NaN, "deal_id": "d"}'),
    )
    assert cli_main(["report", *(["--json"] if as_json else []), str(session)]) == 0
    out = capsys.readouterr().out
    if as_json:
        problems = [row["problem"] for row in json.loads(out)["unreadable_rows"]]
    else:
        problems = [line for line in out.splitlines() if "show_events" in line]
    assert len(problems) == 3
    assert any("1e400 (not a finite number)" in problem for problem in problems)
    assert any("Infinity (not a number)" in problem for problem in problems)
    assert any("NaN (not a number)" in problem for problem in problems)


def test_a_show_clock_time_of_1e308_is_not_a_300_digit_duration(
    session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_events(
        session, ("segment_started", '{"kind": "segment_started", "at_s": 1e308, "index": 1}')
    )
    assert cli_main(["report", "--lang", "en", str(session)]) == 0
    out = capsys.readouterr().out
    assert max(len(word) for word in out.split()) < 100, "no 300-digit figure"


def test_events_out_of_order_and_naming_unknown_skus_and_deals_are_reported(
    session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_events(
        session,
        (
            "deal_started",
            '{"kind": "deal_started", "at_s": 3, "deal_id": "zz", "sku": "NOPE", '
            '"price": "1.00", "list_price": "2.0", "seconds": 5, "stock": 3}',
        ),
        (
            "deal_ended",
            '{"kind": "deal_ended", "at_s": 1, "deal_id": "never", "sku": "GHOST", '
            '"reason": "sold_out", "units_sold": 9, "stock_left": 0}',
        ),
        ("segment_started", '{"kind": "segment_started", "at_s": -50, "index": 99}'),
    )
    for arguments in (["--lang", "en"], ["--json"]):
        assert cli_main(["report", *arguments, str(session)]) == 0
    out = capsys.readouterr().out
    assert "Traceback" not in out and "NOPE" in out
