"""Round fourteen of issue 10, the seams: the session heartbeat (meta ``heard``) after kill -9,
read by the run continuing the file and by the report (R14seam.md).

Real parts: the session's SQLite file written by the real store writer and the show's
runtime driven frame by frame (the picture's calls), on an injected wall clock; the report
read back from the file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.prompts import DEAL_ENDING, STOCK_SHORT, DealSituation, PromptInputs
from anchordesk.store import ShowEventRecord, StoreWriter
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_clock import SteadyClock
from anchordesk.store.report_html import report_html

from .test_round_11_seams import SHOW

T0 = 1_790_000_000.0  # the first run's start on the wall clock


class WallClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def run(path: Path, wall: WallClock) -> tuple[ShowSession, ShowRuntime]:
    """One run of ``anchordesk live --session PATH`` on the wall clock ``wall``."""
    runtime = ShowRuntime(SHOW, 0.0)
    session = ShowSession(
        mode=SessionMode.LIVE,
        runtime=runtime,
        writer=StoreWriter(path),
        feeds=[],
        simulated=False,
        wall_clock=wall,
    )
    runtime.tick(0.1)
    return session, runtime


def frames(runtime: ShowRuntime, wall: WallClock, started: float, until_s: float) -> None:
    """The picture's frames, one a second of show clock, the wall clock going with them."""
    now_s = 1.0
    while now_s <= until_s:
        wall.now = started + now_s
        runtime.layers(now_s, (32, 18))
        now_s += 1.0


def heard(path: Path) -> str:
    with sqlite3.connect(path) as db:
        (value,) = db.execute("SELECT value FROM meta WHERE key = 'heard'").fetchone()
    db.close()
    return str(value)


def test_a_heartbeat_an_older_versions_run_left_in_place_does_not_lengthen_that_run(
    tmp_path: Path,
) -> None:
    """A show killed 40 s in (its last heartbeat at 36 s); the same command by an older
    AnchorDesk (no heartbeat: it neither clears nor rewrites ``heard``), killed at once; the
    same command again, 5 s. Before: the third run took the first run's heartbeat for the
    second's and laid the second run's clock from the first's wall time: the mug 2:20 of
    the ~0:41 of show the file holds. The heartbeat counts only for the run that wrote it."""
    path = tmp_path / "show.adsession"
    wall = WallClock(T0)
    first, runtime = run(path, wall)
    runtime.start_deal(3.0, sku="MUG", price=Decimal("20.00"), seconds=600)
    frames(runtime, wall, T0, 40.0)
    first.close_store()
    first_beat = heard(path)

    wall.now = T0 + 100.0
    older, runtime = run(path, wall)
    older.close_store()
    with sqlite3.connect(path) as db:  # what an older version's run leaves
        db.execute("UPDATE meta SET value = ? WHERE key = 'heard'", (first_beat,))
    db.close()

    wall.now = T0 + 200.0
    again, runtime = run(path, wall)
    frames(runtime, wall, T0 + 200.0, 5.0)
    runtime.stop_deal(5.0, sku="MUG")
    again.close_store()
    (mug,) = build_report(path).timings
    assert mug.actual_s is not None
    assert 40.0 <= mug.actual_s <= 42.0  # 36 s, the older run's 0 s, 5 s


def test_a_wall_clock_set_back_between_two_runs_still_ends_the_cut_off_deal(
    tmp_path: Path,
) -> None:
    """A deal live when the show was killed 40 s in; the wall clock set back an hour (a
    clock that ran ahead, fixed) before the same command. Before: every row of the killed
    run and its heartbeat read as later than now and were taken for damaged ones: the deal
    was never ended ("still running at the end" of a deal no screen had) and the quiet
    stretch before the kill was lost again ("Plan and actual" 0:13 for ~0:46)."""
    path = tmp_path / "show.adsession"
    wall = WallClock(T0)
    first, runtime = run(path, wall)
    runtime.start_deal(3.0, sku="MUG", price=Decimal("20.00"), seconds=600)
    frames(runtime, wall, T0, 40.0)
    first.close_store()

    wall.now = T0 - 3600.0
    again, runtime = run(path, wall)
    assert [deal.deal_id for deal in again.ledger.live_deals()] == ["segment-0"]  # its own
    frames(runtime, wall, T0 - 3600.0, 10.0)
    runtime.stop_deal(10.0, sku="MUG")
    again.close_store()
    report = build_report(path)
    cut = next(deal for deal in report.ledger.deals if deal.deal_id == "deal-1")
    assert cut.end_reason == "interrupted"
    assert cut.ended_at is not None and T0 + 35.0 <= cut.ended_at <= T0 + 41.0
    (mug,) = report.timings
    assert mug.actual_s is not None and 45.0 <= mug.actual_s <= 47.0


def test_a_show_killed_and_read_before_any_other_run_lasts_until_its_heartbeat(
    tmp_path: Path,
) -> None:
    """Real parts R14seam T2: ``anchordesk live`` killed 22 s in (nothing sold), then
    ``anchordesk report``: "Duration 0:00", the mug "0:00" of "Plan and actual" — the report
    never read the heartbeat that said the show ran 20 s. The same in the HTML and JSON."""
    path = tmp_path / "show.adsession"
    wall = WallClock(T0)
    first, runtime = run(path, wall)
    frames(runtime, wall, T0, 22.0)
    first.close_store()

    report = build_report(path)
    assert report.started_at is not None and report.ended_at is not None
    assert 20.0 <= report.ended_at - report.started_at <= 21.5
    (mug,) = report.timings
    assert mug.actual_s is not None and 20.0 <= mug.actual_s <= 21.5
    assert "Duration    0:21" in report_text(report)
    assert report.to_json()["duration_s"] == report.relative_s(report.ended_at)
    assert "0:21" in report_html(report)


def test_why_the_feeds_stopped_kept_without_its_values_is_said_in_english(
    tmp_path: Path,
) -> None:
    """A session whose ``feeds_stopped`` words lack a value their template names (a damaged
    page, a hand edit, another version's names): ``anchordesk report`` ended in a traceback
    ("KeyError: 'kind'"), or with no values at all said the template's braces "{error}
    ({kind})". The feeds' English status is said instead, in every language and the page."""
    path = tmp_path / "show.adsession"
    first, _runtime = run(path, WallClock(T0))
    first.close_store()
    status = '[{"source": "json", "state": "stopped", "last_error": "the feeds stopped: boom"}]'
    for params in ({"error": "boom"}, {}):
        words = json.dumps({"template": "{error} ({kind})", "params": params})
        with sqlite3.connect(path) as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('feed_status', ?)", (status,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('feeds_stopped', ?)", (words,))
        db.close()
        report = build_report(path)
        for language in ("en", "zh_CN", "ja"):
            assert "the feeds stopped: boom" in report_text(report, language), params
            assert "the feeds stopped: boom" in report_html(report, language), params


def test_a_feed_that_failed_once_and_recovered_is_not_said_stopped_by_the_report(
    tmp_path: Path,
) -> None:
    """Real parts R14seam T-flaky: ``anchordesk live`` with a JSON feed answering 503 to its
    first request and well to the ten after it, stopped with SIGTERM: the report said
    "Feeds  server busy (HTTP 503)" (the page and every language too), as if an error had
    stopped the feeds: a feed keeps its last error after it recovers, and every feed is
    "stopped" at the end. The status below is the one that run kept."""
    path = tmp_path / "show.adsession"
    first, _runtime = run(path, WallClock(T0))
    first.close_store()
    status = [
        {"source": "json", "state": "stopped", "requests": 11, "errors": 1,
         "consecutive_errors": 0, "items": 0, "last_error": "server busy (HTTP 503)",
         "next_poll_in_s": None, "quota_units": 0, "note": ""}
    ]  # fmt: skip
    with sqlite3.connect(path) as db:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('feed_status', ?)", (json.dumps(status),))
    db.close()
    report = build_report(path)
    assert report.feeds_stopped == ""
    assert report.to_json()["feeds_stopped"] == ""
    for language in ("en", "zh_CN", "ja"):
        assert "HTTP 503" not in report_text(report, language)
        assert "HTTP 503" not in report_html(report, language)


def test_a_run_whose_wall_clock_was_set_back_is_read_after_the_run_before(
    tmp_path: Path,
) -> None:
    """Real parts R14seam T-back: ``anchordesk live`` under libfaketime an hour ahead, killed
    25 s in with the mug's planned deal live; the same command on the true clock, 12 s,
    SIGTERM. The file said the first deal was cut off; the report read the second run's rows
    an hour before the first's and replayed them first: the first run's deal "stopped by the
    operator" (by the second run's deal of the same id), "Duration 0:20" for 0:31 of show."""
    path = tmp_path / "show.adsession"
    ahead = WallClock(T0 + 3600.0)
    first, runtime = run(path, ahead)
    frames(runtime, ahead, T0 + 3600.0, 20.0)
    first.close_store()

    wall = WallClock(T0)
    again, runtime = run(path, wall)
    frames(runtime, wall, T0, 10.0)
    runtime.stop_deal(10.0, sku="MUG")
    again.close_store()
    report = build_report(path)
    cut, stopped = report.ledger.deals
    assert (cut.deal_id, cut.end_reason) == ("segment-0", "interrupted")
    assert (stopped.deal_id, stopped.end_reason) == ("segment-0", "stopped")
    assert report.started_at is not None and report.ended_at is not None
    assert 26.0 <= report.ended_at - report.started_at <= 27.0  # 16 s (its last beat), 10 s
    (mug,) = report.timings
    assert mug.actual_s is not None and 26.0 <= mug.actual_s <= 27.0


def test_a_killed_runs_deal_prompts_neither_stay_on_the_board_nor_silence_the_next_run(
    tmp_path: Path,
) -> None:
    """Real parts R14seam T-multi: four runs of one session (three kill -9s): the phone and
    the board of the fourth listed four "Stoneware Mug sells out in ~1 min" prompts, one per
    run's visit of the segment, three of them with "3 left" when 2 were left. And the mug's
    planned deal, "segment-0" in every run, had its "deal ending" prompt in the first run
    only: the next run's deal of the same id ended with no word. A deal's or a segment
    visit's prompt ends with the run that kept it."""
    path = tmp_path / "show.adsession"
    wall = WallClock(T0)
    first, _runtime = run(path, wall)
    ending = DealSituation("segment-0", "MUG", "Mug", 20.0, 3, 3)
    short = {"on_screen_sku": "MUG", "on_screen_title": "Mug", "on_screen_stock_left": 3}
    fired = first.board.prompt_now(
        PromptInputs(
            now=T0 + 280.0,
            live_deals=(ending,),
            on_screen_sells_out_in_s=60.0,
            segment_started_at=T0,
            segment_left_s=320.0,
            **short,  # type: ignore[arg-type]
        )
    )
    assert {prompt.rule for prompt in fired} == {DEAL_ENDING, STOCK_SHORT}
    first.close_store()  # killed

    wall.now = T0 + 300.0
    again, _runtime = run(path, wall)
    assert again.board.prompts.active(T0 + 300.0) == ()
    fired = again.board.prompt_now(PromptInputs(now=T0 + 580.0, live_deals=(ending,)))
    assert [prompt.key for prompt in fired] == ["deal_ending:segment-0"]
    again.close_store()


def test_a_heartbeat_behind_the_shows_last_change_moves_no_time_of_the_report() -> None:
    """A show ended cleanly keeps its last heartbeat up to a beat before its end, which the
    report now reads: taken for a moment of the run sheet, it opened a stretch of its own and
    moved the rows after it by the 4 s it lagged."""
    events = [
        ShowEventRecord("r-1", "show_started", T0, {"at_s": 0.0}),
        ShowEventRecord("r-2", "segment_started", T0, {"at_s": 0.0}),
        ShowEventRecord("r-3", "show_finished", T0 + 100.0, {"at_s": 100.0}),
        ShowEventRecord("heard:r", "run_last_heard", T0 + 96.0, {"at_s": 96.0}),
    ]
    clock = SteadyClock(events)
    assert clock.steps == 0
    assert [event.at for event in clock.events(events)] == [event.at for event in events]
    assert clock.times([T0 + 50.0, T0 + 99.0]) == [T0 + 50.0, T0 + 99.0]


def test_numbers_too_large_for_a_float_in_a_session_file_end_neither_report_nor_resume(
    tmp_path: Path,
) -> None:
    """JSON's integers have no bound: a session whose heartbeat time, a show event's show
    clock or the kept show's stock is a 401-digit integer (a hand edit, a damaged page) ended
    ``anchordesk live --session`` and ``anchordesk report`` in "OverflowError: int too large
    to convert to float" (R14seam T-huge: every number of a four-run session's events and
    meta, one at a time). Such a number is no time; such a show is listed unreadable."""
    huge = "1" + "0" * 400

    def beat(at: str, at_s: str) -> Callable[[str], str]:
        return lambda _: '{"run": "x", "at": ' + at + ', "at_s": ' + at_s + "}"

    def put(before: str, after: str) -> Callable[[str], str]:
        return lambda data: data.replace(before, after)

    for table, key, edit in (
        ("meta", "heard", beat("1790000000", huge)),
        ("meta", "heard", beat(huge, "5")),
        ("show_events", "segment_started", put('"at_s": 0.0', f'"at_s": {huge}')),
        ("meta", "show", put('"stock": 5', f'"stock": {huge}')),
    ):
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.adsession"
        wall = WallClock(T0)
        first, runtime = run(path, wall)
        frames(runtime, wall, T0, 6.0)
        first.close_store()
        with sqlite3.connect(path) as db:
            if table == "meta":
                (value,) = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
                db.execute("UPDATE meta SET value = ? WHERE key = ?", (edit(value), key))
            else:
                rowid, data = db.execute(
                    "SELECT rowid, data FROM show_events WHERE kind = ?", (key,)
                ).fetchone()
                assert edit(data) != data
                db.execute("UPDATE show_events SET data = ? WHERE rowid = ?", (edit(data), rowid))
        db.close()
        report = build_report(path)
        assert report_text(report) and report.to_json()
        again, runtime = run(path, wall)  # the same command again
        frames(runtime, wall, T0, 2.0)
        again.close_store()
        assert build_report(path).ledger.orders == 0
    assert [row.problem for row in report.unreadable_rows] == [
        "the show kept in the session: stock out of range (10000000000000000000)"
    ]
