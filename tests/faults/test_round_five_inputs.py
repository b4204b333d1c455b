"""Round five, hostile inputs (issue 10: "a new round of the same kinds of input finds nothing
new"). Each test reproduces one finding of /work/hunt/R5in.md with real parts: session files
edited as a damaged disk or a jumping clock leaves them, hostile show files and CSVs, and a
loopback HTTP server answering the feed's bytes.
"""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from report_sessions import write_big_session

from anchordesk.cli import main as cli_main
from anchordesk.feeds.poller import MAX_RESPONSE_BYTES
from anchordesk.show.feed_items import Comment

from .test_round_two_inputs import RawServer, poll_once


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
