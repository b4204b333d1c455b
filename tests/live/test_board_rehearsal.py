"""A show rehearsed with the simulated audience (seeded, clocks injected): the board's viewers,
conversion, forecasts and prompts follow what the crowd does, and the report of the session
file shows the board's figures and prompts.

The crowd is ``feeds/audience.py``'s simulator, read page by page as the rehearsal feed reads
it (its JSON items through the generic adapter), stored through the session's own path with
the wall clock of the test; the show clock moves only when the test ticks the run sheet.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.control.commands import run_command
from anchordesk.feeds import audience
from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.audience import AudienceSimulator
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import CommandRejected, LiveShowPlan
from anchordesk.live.show_session import audience_view
from anchordesk.live.snapshot import LiveSnapshot, SessionMode
from anchordesk.show.feed_items import Comment, FeedItem, Order, OrderUpdate, is_question
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.prompts import (
    DEAL_ENDING,
    QUESTION_WAITING,
    SOLD_OUT_ON_SCREEN,
    STOCK_SHORT,
    VIEWERS_DROP,
    Prompt,
)
from anchordesk.store import SessionStore
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_html import report_html

T0 = 1_800_000_000.0
STEP_S = 5.0
SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(
        Product("MUG", "Mug", Decimal("24.00"), 150),
        Product("LAMP", "Lamp", Decimal("60.00"), 1000),
    ),
    rundown=(
        Segment("Talk", 600, "MUG"),  # ten minutes of talk: the crowd drifts away
        Segment("Mug deal", 240, "MUG", deal=DealPlan(Decimal("18.00"), 120, None)),
        Segment("Lamp deal", 120, "LAMP", deal=DealPlan(Decimal("45.00"), 60, 500)),
    ),
)
CHANGES_AT_S = {600.0: 1, 840.0: 2}
END_S = 960.0
DISMISS_AT_S = 650.0


def prepared(item: FeedItem) -> FeedItem:
    """What the feed hub does to a comment before it is stored: is it a question?"""
    if isinstance(item, Comment):
        return dataclasses.replace(item, is_question=is_question(item.text))
    return item


class Rehearsal:
    def __init__(self, tmp_path: Path, seed: int) -> None:
        self.now = T0
        options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
        self.show = build_live_show(
            options,
            LiveShowPlan(
                show=SHOW,
                sessions_dir=tmp_path / "sessions",
                rehearsal_feeds=[],
                wall_clock=lambda: self.now,
            ),
            switched=True,
        )
        session = self.show.begin_session(SessionMode.REHEARSAL)
        assert session is not None and session.runtime is not None
        self.session = session
        self.runtime = session.runtime
        self.crowd = AudienceSimulator(
            SHOW, seed=seed, view=audience_view(self.runtime), run_id="r"
        )
        self.adapter = JsonFeedAdapter("http://127.0.0.1/feed", None, "rehearsal")
        self.cursor: str | None = None
        self.items: list[tuple[float, FeedItem]] = []
        self.audience: list[tuple[float, int]] = []  # (wall time, online) as served
        self.snapshots: list[LiveSnapshot] = []
        self.fired: dict[str, Prompt] = {}
        self.dismissed = ""

    def run(self) -> None:
        show_s = 0.0
        while show_s <= END_S:
            self.now = T0 + show_s
            self.runtime.tick(show_s)
            if show_s in CHANGES_AT_S:
                self.show.goto_segment(CHANGES_AT_S[show_s])
            page = self.crowd.page(self.cursor, show_s, 500)
            self.cursor = page["next"]
            items = [prepared(item) for raw in page["items"] if (item := self.adapter._item(raw))]
            kept = self.session.ingest(items)
            for item in kept:
                self.items.append((self.now, item))
                if getattr(item, "online", None) is not None:
                    self.audience.append((self.now, item.online))  # type: ignore[union-attr]
            snapshot = self.show.snapshot()
            self.snapshots.append(snapshot)
            for prompt in snapshot.prompts:
                self.fired.setdefault(prompt.key, prompt)
            if show_s == DISMISS_AT_S and snapshot.prompts:
                # The operator dismisses the oldest, from the web remote.
                self.dismissed = snapshot.prompts[-1].key
                run_command(self.show, "dismiss_prompt", {"key": self.dismissed}, "remote")
            show_s += STEP_S

    def expected_buyers(self) -> int:
        cancelled = {item.order_id for _, item in self.items if isinstance(item, OrderUpdate)}
        return len(
            {
                (item.source, item.customer)
                for _, item in self.items
                if isinstance(item, Order) and item.id not in cancelled
            }
        )


# The crowd of this test buys 14 times as often as a believable one (whose conversion is a
# few percent: tests/feeds/test_audience.py), and the mug has 150 in stock: so within sixteen
# minutes of show the mug sells out on screen and its forecast has orders to follow. Every
# figure below is still compared with what the crowd actually sent.
EAGER_BUYERS = 14


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(audience, "BUY_PER_VIEWER_S", audience.BUY_PER_VIEWER_S * EAGER_BUYERS)
        yield _rehearsed(tmp_path_factory)


def _rehearsed(tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    run = Rehearsal(tmp_path_factory.mktemp("board"), seed=7)
    try:
        run.run()
        run.last = run.show.snapshot()  # type: ignore[attr-defined]
        run.path = asyncio.run(run.show.end_session())  # type: ignore[attr-defined]
        run.ended = run.show.snapshot()  # type: ignore[attr-defined]
    finally:
        run.show.media.stop()
    return run


def test_viewers_and_conversion_follow_the_crowd(rehearsal: Rehearsal) -> None:
    board = rehearsal.last.board  # type: ignore[attr-defined]
    assert board is not None
    assert board.viewers_now == rehearsal.crowd.online
    peak = max(online for _, online in rehearsal.audience)
    assert board.viewers_peak == peak
    assert board.buyers == rehearsal.expected_buyers() > 0
    assert board.conversion == pytest.approx(board.buyers / peak)
    # The sparkline is the last ten minutes of what the crowd said, relative to now.
    recent = [(round(at - rehearsal.now, 3), n) for at, n in rehearsal.audience]
    assert list(board.viewer_history) == [p for p in recent if p[0] >= -600.0]
    # The deal brought people in: the mug deal's segment peaks above the talk's end.
    talk, mug, _lamp = board.segments
    assert mug.viewers_peak > talk.viewers_end  # type: ignore[operator]


def test_the_forecast_follows_the_orders(rehearsal: Rehearsal) -> None:
    during_deal = [s for s in rehearsal.snapshots if s.current_index == 1 and s.board]
    forecasts = [
        (s, p)
        for s in during_deal
        if (p := s.board.product("MUG")) and p.sells_out_in_s  # type: ignore[union-attr]
    ]
    assert forecasts, "the mug sold during its deal: the board forecast its sell-out"
    snapshot, mug = forecasts[len(forecasts) // 2]
    assert mug.stock_left == snapshot.product("MUG").stock_left  # type: ignore[union-attr]
    now = snapshot.board.at  # type: ignore[union-attr]
    units = sum(
        line.quantity
        for at, item in rehearsal.items
        if isinstance(item, Order) and now - 120 < at <= now
        for line in item.lines
        if line.sku == "MUG"
    )
    assert mug.units_per_minute == pytest.approx(units / 2)
    assert mug.sells_out_in_s == pytest.approx(mug.stock_left / (units / 120))  # type: ignore[operator]


def test_prompts_fire_when_the_crowd_gives_reason_and_only_then(rehearsal: Rehearsal) -> None:
    fired = rehearsal.fired
    rules = {prompt.rule for prompt in fired.values()}
    # Viewers: a prompt exactly when the crowd fell by more than a third within two minutes.
    drops = [p for p in fired.values() if p.rule == VIEWERS_DROP]
    for prompt in drops:
        window = [n for at, n in rehearsal.audience if prompt.at - 120 <= at <= prompt.at]
        assert max(window) - window[-1] > max(window) / 3
    fell = any(
        max(n for t, n in rehearsal.audience if at - 120 <= t <= at) - online
        > max(n for t, n in rehearsal.audience if at - 120 <= t <= at) / 3
        for at, online in rehearsal.audience
    )
    assert bool(drops) == fell
    # The mug sold out on screen during its deal, and the board said so first.
    assert SOLD_OUT_ON_SCREEN in rules and STOCK_SHORT in rules
    short = next(p for p in fired.values() if p.rule == STOCK_SHORT)
    sold_out = next(p for p in fired.values() if p.rule == SOLD_OUT_ON_SCREEN)
    assert short.value("sku") == sold_out.value("sku") == "MUG" and short.at < sold_out.at
    # The lamp's deal ends with most of its 500 units unsold: 30 s before its end.
    (ending,) = [p for p in fired.values() if p.rule == DEAL_ENDING]
    assert ending.value("sku") == "LAMP" and int(ending.value("left")) > 250
    lamp_deal = next(d for s in rehearsal.snapshots for d in s.deals if d.sku == "LAMP")
    assert lamp_deal.deal_id in ending.key
    # Nobody pins the crowd's questions: the first waits 60 s, then the board says so.
    first_question = next(p for p in fired.values() if p.rule == QUESTION_WAITING)
    asked_at = next(
        at
        for at, item in rehearsal.items
        if f"{item.source}:{getattr(item, 'id', '')}" == first_question.value("comment")
    )
    assert 60 <= first_question.at - asked_at < 60 + 2 * STEP_S


def test_the_report_shows_the_boards_figures_and_the_prompts(rehearsal: Rehearsal) -> None:
    ended = rehearsal.ended.board  # type: ignore[attr-defined]
    report = build_report(rehearsal.path)  # type: ignore[attr-defined]
    assert report.board is not None and ended is not None
    figures = report.board.figures
    assert figures.segments == ended.segments
    assert (figures.viewers_peak, figures.buyers, figures.conversion) == (
        ended.viewers_peak,
        ended.buyers,
        ended.conversion,
    )
    assert figures.gmv_by_currency == ended.gmv_by_currency
    assert figures.average_order_value == ended.average_order_value
    assert [(p.sku, p.units, p.gmv) for p in figures.products] == [
        (p.sku, p.units, p.gmv) for p in ended.products
    ]
    assert sorted((p.at, p.key) for p in report.board.prompts) == sorted(
        (p.at, p.key) for p in rehearsal.fired.values()
    )
    # The deal's sell-through: the lamp sold under half of its 500.
    lamp = next(d for s in figures.segments for d in s.deals if d.sku == "LAMP")
    assert lamp.units_total == 500 and lamp.sell_through is not None and lamp.sell_through < 0.5
    text = report_text(report, "en")
    assert "Audience and conversion" in text and "Prompts" in text
    assert "sold out while on screen" in text
    page = report_html(report, "zh_CN")
    assert "在线人数走势" in page and "<polyline" in page and "在展示中售罄" in page


def test_a_dismissed_prompt_leaves_the_board_and_the_report_says_when(
    rehearsal: Rehearsal,
) -> None:
    key = rehearsal.dismissed
    assert key
    after = [s for s in rehearsal.snapshots if s.board and s.board.at > T0 + DISMISS_AT_S]
    assert all(key not in {p.key for p in s.prompts} for s in after)
    report = build_report(rehearsal.path)  # type: ignore[attr-defined]
    assert report.board is not None
    assert report.board.dismissed == {key: T0 + DISMISS_AT_S}
    store = SessionStore(rehearsal.path, read_only=True)  # type: ignore[attr-defined]
    try:
        commands = [e.data for e in store.show_events() if e.kind == "command"]
    finally:
        store.close()
    (dismissal,) = [c for c in commands if c["command"] == "dismiss_prompt"]
    assert dismissal["origin"] == "remote" and dismissal["arguments"] == {"key": key}
    assert "dismissed at 10:50" in report_text(report, "en")
    with pytest.raises(CommandRejected, match="no prompt"):
        rehearsal.show.dismiss_prompt("no-such-prompt")
