"""Round nine of issue 10: what the lead found or took over from the hunters' notes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from feed_servers import JsonFeedServer
from test_poller import FakeTime, make_poller

from anchordesk.cli import main as cli_main
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.show.feed_items import FeedItem
from anchordesk.show.ledger import show_snapshot
from anchordesk.showfile.files import read_show_file
from anchordesk.showfile.samples import sample_show_path
from anchordesk.store import SessionStore

from ..disks import fill, tmpfs
from ..feeds.test_round_08_inputs import _mug_show
from ..live_runs import SMALL, LiveRun, child_env


@pytest.mark.parametrize(
    ("key", "what", "limit"), [("rundown", "segments", 20_000), ("products", "products", 10_000)]
)
def test_a_show_of_too_many_segments_or_products_is_refused_before_they_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, what: str, limit: int
) -> None:
    """R9in L3: a 20 MB show of 806,581 one-second segments passed ``show check`` (11 s, 766
    MB), a run of it took 21 s to stop and its report 25 s. A show holds at most 20,000
    segments (twice its 10,000 products), said in one line before any of them is read: each
    part here is broken too, and none of its problems is said beside the count."""
    folder = tmp_path / "show"
    shutil.copytree(sample_show_path("en").parent, folder)
    data = json.loads((folder / "show.json").read_text(encoding="utf-8"))
    data[key] = [{"title": ""}] * (limit + 1)
    (folder / "show.json").write_text(json.dumps(data), encoding="utf-8")

    report = read_show_file(folder / "show.json")
    assert report.show is None
    assert [(p.path, str(p.message)) for p in report.problems] == [
        (f"$.{key}", f"{limit + 1:,} {what}; a show holds at most {limit:,}")
    ]

    assert cli_main(["show", "check", str(folder / "show.json")]) == 2
    said = capsys.readouterr()
    assert f"{limit + 1:,} {what}; a show holds at most {limit:,}" in said.out + said.err
    assert "Traceback" not in said.out + said.err


def test_a_changed_copy_is_kept_once_by_its_terms_across_restarts_and_past_the_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R9in L2: a changed copy of an order was kept under a digest of its text. Served again
    after a restart with a product renamed in between (titles may change), it was listed a
    second time; and of two different changes of an order of many lines, differing past the
    2,000 characters a rejected item keeps, the second was dropped unseen. Both are keyed by
    what makes an order the same order (its money and units), the poller's rule too."""
    lines = [{"sku": f"SKU-{n:03}", "quantity": 1, "price": "1.00"} for n in range(80)]

    def order(total: str, title: str, two_of: int | None = None) -> dict[str, object]:
        served = [dict(line, title=title) for line in lines]
        if two_of is not None:
            served[two_of]["quantity"] = 2
        return {"type": "order", "id": "o1", "currency": "USD", "total": total, "lines": served}

    path = tmp_path / "s.adsession"
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(_mug_show())))
    server = JsonFeedServer(poll_ms=1000).start()

    async def sink(source: str, items: Sequence[FeedItem], cursor: str | None) -> list[FeedItem]:
        return store.write_batch(source, items, cursor)

    async def one_run() -> None:  # a new run: the feed is served from the start
        async with httpx.AsyncClient() as client:
            poller = make_poller(JsonFeedAdapter(server.url, None), client, sink, FakeTime())  # type: ignore[arg-type]
            await poller.poll_once()

    try:
        server.add_raw(order("80.00", "Mug"))
        server.add_raw(order("81.00", "Mug", two_of=-1))  # edited: two of the last product
        asyncio.run(one_run())
        server.items[1] = order("81.00", "Mug (renamed)", two_of=-1)  # the same change
        server.add_raw(order("81.00", "Mug", two_of=-2))  # two of another: past the cut
        changes = [json.dumps(order("81.00", "Mug", two_of=n)) for n in (-1, -2)]
        assert changes[0] != changes[1] and changes[0][:2000] == changes[1][:2000]
        asyncio.run(one_run())
    finally:
        server.stop()
        store.close()
    assert cli_main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gmv_by_currency"] == {"USD": "80.00"}
    details = [entry["detail"] for entry in report["rejected"]]
    assert len(details) == 2, details
    assert all("sent again as 81.00 USD for 81 units" in detail for detail in details)
    # The two kept are the two changes, not the first change twice (renamed the second time).
    with contextlib.closing(sqlite3.connect(path)) as db:
        kept = [raw for (raw,) in db.execute("SELECT raw FROM rejected_items")]
    assert len(kept) == 2 and not any("renamed" in raw for raw in kept)


@pytest.mark.parametrize(("written", "said"), [("true", "true"), ("false", "false")])
def test_a_format_or_number_written_as_true_is_quoted_as_the_file_writes_it(
    tmp_path: Path, written: str, said: str
) -> None:
    """R9in note: ``"format": true`` was said "unknown format version True", Python's word."""
    path = tmp_path / "show.json"
    path.write_text(f'{{"format": {written}, "title": "x"}}', encoding="utf-8")
    problems = [str(problem.message) for problem in read_show_file(path).problems]
    assert problems == [f"unknown format version {said}: this program reads format 1"]


def test_a_session_whose_disk_is_all_but_full_is_said_full_not_an_io_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With 20 kB left on its disk, the session was refused as "cannot be written (disk I/O
    error)": SQLite's word for a write its shared-memory index could not make, and the
    system's check beside it made an empty file, which a nearly full disk still takes."""
    with tmpfs(tmp_path / "disk", 1024) as disk:
        fill(disk, leave_bytes=20_000)
        session = disk / "S.adsession"
        run = ["live", *SMALL, "--record", str(tmp_path / "show.mkv"), "--seconds", "1"]
        assert cli_main([*run, "--session", str(session)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: --session: the disk holding {session} is full"
        )


def test_a_session_left_with_its_write_ahead_log_says_to_keep_the_two_together(
    tmp_path: Path,
) -> None:
    """R9net L3: a session whose disk filled during the show could not fold its write-ahead
    log into the file as it closed: its orders and comments stay in S.adsession-wal (report
    reads them there), and the run said only "Session kept in S.adsession", so a user copying
    that file alone copied an empty session."""
    with tmpfs(tmp_path / "disk", 2048) as disk:
        session = disk / "S.adsession"
        args = ("--record", str(tmp_path / "show.mkv"), "--session", str(session))
        run = LiveRun(*SMALL, *args, env=child_env(tmp_path))
        try:
            run.wait_for_line("Session: ")
            fill(disk)
            run.send(signal.SIGTERM)
            run.wait(30)
        finally:
            run.kill()
        assert Path(f"{session}-wal").stat().st_size > 0
        assert f"Session kept in {session} with S.adsession-wal beside it (copy or move them " in (
            run.stdout
        )
