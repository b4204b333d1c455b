"""``anchordesk live`` has no window reading the snapshot: it reads it itself, so the data
board's prompts fire headless too and are kept for the report."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from anchordesk.cli.commands import _watch_board
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Comment
from anchordesk.show.model import Product, Segment, Show
from anchordesk.show.prompts import QUESTION_WAITING
from anchordesk.store.report import build_report

T0 = 1_800_000_000.0
SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 10),),
    rundown=(Segment("Hello", 600, "MUG"),),
)


def test_a_headless_show_fires_and_keeps_the_boards_prompts(tmp_path: Path) -> None:
    clock = [T0]
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    show = build_live_show(
        options,
        LiveShowPlan(
            show=SHOW,
            sessions_dir=tmp_path / "sessions",
            rehearsal_feeds=[],
            wall_clock=lambda: clock[0],
        ),
    )
    session = show.begin_session(SessionMode.REHEARSAL)
    assert session is not None
    session.add_comments(
        [Comment("json", "q1", "Ann", "Is it dishwasher safe?", is_question=True)], T0
    )
    clock[0] = T0 + 61

    async def run() -> None:
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch_board(show, stop, every_s=0.01))
        for _ in range(200):
            if session.board.prompts.fired:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await watcher
        await show.end_session()

    try:
        asyncio.run(run())
    finally:
        show.media.stop()
    report = build_report(session.path)
    assert report.board is not None
    assert [p.rule for p in report.board.prompts] == [QUESTION_WAITING]
