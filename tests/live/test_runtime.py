"""The live show as the app layer holds it: media time passed in, commands, events, overlays."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from anchordesk.live.runtime import ShowRuntime, scene_from_snapshot
from anchordesk.media.overlays import CountdownState, ensure_gui_application
from anchordesk.show.events import (
    DealEnded,
    DealEndReason,
    DealStarted,
    SegmentStarted,
    ShowEvent,
    ShowStarted,
    StockChanged,
)
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.state import ShowCommandError


def sample_show() -> Show:
    return Show(
        title="Autumn skincare night",
        currency="CNY",
        language="zh_CN",
        products=(
            Product("SERUM-30", "水润精华液 30ml", Decimal("199"), stock=50),
            Product("CREAM-50", "Night Cream 50 ml", Decimal("259.90"), stock=5),
        ),
        rundown=(
            Segment("开场", 5),
            Segment("精华液", 10, sku="SERUM-30", deal=DealPlan(Decimal("129"), 6, stock=3)),
            Segment("晚霜", 5, sku="CREAM-50"),
        ),
        ticker=("满199减30", "今晚9点抽奖"),
    )


def test_autoplay_follows_the_rundown_by_seconds() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    runtime.tick(0.0)
    opening = runtime.scene()
    assert opening.card is None and opening.countdown is None
    assert opening.lower_third is not None and opening.lower_third.title == "开场"

    runtime.tick(5.0)
    serum = runtime.scene()
    assert serum.card is not None and serum.card.sku == "SERUM-30"
    assert serum.card.deal_price == Decimal("129") and serum.card.price == Decimal("199")
    assert serum.card.stock_left == 3, "the deal's own quota is what is left to buy"
    assert serum.countdown is not None and serum.countdown.seconds_shown == 6

    runtime.tick(7.2)
    assert runtime.scene().countdown.seconds_shown == 4  # type: ignore[union-attr]

    runtime.tick(11.0)
    ended = runtime.scene()
    assert ended.countdown is not None and ended.countdown.state is CountdownState.ENDED
    assert ended.countdown.seconds_shown == 0
    assert ended.card is not None and ended.card.deal_price is None
    assert ended.card.stock_left == 50

    runtime.tick(15.0)
    cream = runtime.scene()
    assert cream.card is not None and cream.card.sku == "CREAM-50"
    assert cream.countdown is None, "the serum's ended deal leaves with its segment"


def test_coarse_ticks_still_cross_every_segment_at_its_planned_time() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    events: list[ShowEvent] = []
    runtime.add_listener(events.append)
    runtime.tick(16.0)
    started = [event for event in events if isinstance(event, SegmentStarted)]
    assert [(event.index, event.at_s) for event in started] == [(0, 0.0), (1, 5.0), (2, 15.0)]
    ended = [event for event in events if isinstance(event, DealEnded)]
    assert [(event.at_s, event.reason) for event in ended] == [(11.0, DealEndReason.ENDED)]
    assert isinstance(events[0], ShowStarted), "the start events reach early listeners"


def test_without_autoplay_the_show_waits_on_the_first_segment() -> None:
    runtime = ShowRuntime(sample_show(), 0.0)
    runtime.tick(100.0)
    assert runtime.snapshot().state.segment_index == 0
    events = runtime.next_segment()
    started = [event for event in events if isinstance(event, SegmentStarted)]
    assert started[0].at_s == 100.0, "no time given: the latest media time"
    assert runtime.scene().card is not None
    runtime.previous_segment(101.0)
    assert runtime.snapshot().state.segment_index == 0
    runtime.jump_to_segment(2, 102.0)
    assert runtime.scene().card.sku == "CREAM-50"  # type: ignore[union-attr]
    with pytest.raises(ShowCommandError):
        runtime.jump_to_segment(7)


def test_moving_by_hand_switches_autoplay_off() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    runtime.next_segment(1.0)
    assert not runtime.snapshot().autoplay
    runtime.tick(30.0)
    assert runtime.snapshot().state.segment_index == 1
    runtime.set_autoplay(True, 31.0)
    assert runtime.snapshot().autoplay


def test_orders_lower_the_stock_and_sell_the_deal_out() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    runtime.tick(5.0)
    list_price = runtime.apply_order("SERUM-30", 1, 5.5, Decimal("199"))
    assert list_price.deal_id is None, "a list-price line during the deal is not a deal line"
    assert runtime.scene().card.stock_left == 3  # type: ignore[union-attr]
    outcome = runtime.apply_order("SERUM-30", 2, 6.0, Decimal("129.00"))
    assert outcome.accepted_units == 2 and outcome.unit_price == Decimal("129")
    assert runtime.scene().card.stock_left == 1  # type: ignore[union-attr]
    last = runtime.apply_order("SERUM-30", 2, 6.5, Decimal("129"))
    assert last.deal_units == 2 and last.over_deal_quota_units == 1
    scene = runtime.scene(7.0)
    # The deal's units are gone but the product is still on sale: the bar must not say "sold
    # out" next to a card that says "45 left".
    assert scene.countdown is not None
    assert scene.countdown.state is CountdownState.DEAL_SOLD_OUT
    assert scene.card is not None and scene.card.deal_price is None
    assert scene.card.stock_left == 45 and not scene.card.sold_out


def test_a_product_with_no_stock_left_shows_sold_out() -> None:
    runtime = ShowRuntime(sample_show(), 0.0)
    runtime.jump_to_segment(2, 1.0)
    runtime.apply_order("CREAM-50", 5, 2.0)
    card = runtime.scene().card
    assert card is not None and card.sold_out and card.stock_left == 0


def test_a_stopped_deal_leaves_the_picture_at_once() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    runtime.tick(6.0)
    runtime.stop_deal(7.0)
    assert runtime.scene().countdown is None


def test_deal_started_by_hand_counts_down_from_the_command() -> None:
    runtime = ShowRuntime(sample_show(), 0.0)
    runtime.jump_to_segment(2, 10.0)
    events = runtime.start_deal(12.0, price=Decimal("199"), seconds=30)
    assert any(isinstance(event, DealStarted) for event in events)
    countdown = runtime.scene(20.5).countdown
    assert countdown is not None and countdown.seconds_shown == 22
    with pytest.raises(ShowCommandError):
        runtime.start_deal(13.0, sku="CREAM-50", price=Decimal("300"), seconds=30)


def test_media_time_never_runs_backwards() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    runtime.tick(6.0)
    runtime.tick(2.0)
    assert runtime.now_s == 6.0
    assert runtime.snapshot().state.segment_index == 1


def test_pinned_comments_are_plain_cleaned_text() -> None:
    runtime = ShowRuntime(sample_show(), 0.0)
    pinned = runtime.pin_comment("小红\u202e", "<b>x</b>\n\x07second line")
    assert pinned is not None
    assert pinned.author == "小红"
    assert pinned.text == "<b>x</b> second line"
    scene = runtime.scene()
    assert scene.pinned is not None and scene.pinned.text == "<b>x</b> second line"
    runtime.unpin_comment()
    assert runtime.scene().pinned is None
    assert runtime.pin_comment("a", "   ") is None


def test_ticker_shows_the_show_announcements_and_can_change() -> None:
    runtime = ShowRuntime(sample_show(), 0.0)
    ticker = runtime.scene().ticker
    assert ticker is not None and "满199减30" in ticker.text and "今晚9点抽奖" in ticker.text
    runtime.set_ticker([])
    assert runtime.scene().ticker is None


def test_a_failing_listener_does_not_stop_the_others_or_the_show() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    seen: list[ShowEvent] = []

    def broken(event: ShowEvent) -> None:
        raise RuntimeError("store is full")

    runtime.add_listener(broken)
    runtime.add_listener(seen.append)
    runtime.tick(5.0)
    assert any(isinstance(event, DealStarted) for event in seen)
    assert runtime.snapshot().state.segment_index == 1


def test_a_listener_may_command_the_runtime_and_order_is_kept() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    seen: list[ShowEvent] = []

    def sell_when_deal_starts(event: ShowEvent) -> None:
        seen.append(event)
        if isinstance(event, DealStarted):
            runtime.apply_order(event.sku, 1, event.at_s, event.price)

    runtime.add_listener(sell_when_deal_starts)
    runtime.tick(5.0)
    kinds = [event.kind for event in seen]
    assert kinds.index("deal_started") < kinds.index("stock_changed")
    changed = [event for event in seen if isinstance(event, StockChanged)]
    assert changed[0].deal_stock_left == 2


def test_orders_from_many_threads_while_the_pipeline_ticks() -> None:
    runtime = ShowRuntime(sample_show(), 0.0)
    runtime.jump_to_segment(1, 0.0)
    events: list[ShowEvent] = []
    runtime.add_listener(events.append)
    stop = threading.Event()

    def pipeline() -> None:
        frame = 0
        while not stop.is_set():
            frame += 1
            runtime.tick(frame / 1000)

    ticker = threading.Thread(target=pipeline)
    ticker.start()
    accepted: list[int] = []
    lock = threading.Lock()

    def buyer() -> None:
        for _ in range(20):
            outcome = runtime.apply_order("SERUM-30", 1)
            with lock:
                accepted.append(outcome.accepted_units)

    buyers = [threading.Thread(target=buyer) for _ in range(4)]
    for thread in buyers:
        thread.start()
    for thread in buyers:
        thread.join()
    stop.set()
    ticker.join()
    assert sum(accepted) == 50
    assert runtime.snapshot().state.stock_left("SERUM-30") == 0
    stock_events = [event for event in events if isinstance(event, StockChanged)]
    assert [event.stock_left for event in stock_events] == list(range(49, -1, -1))


def test_the_runtime_is_an_overlay_source() -> None:
    ensure_gui_application()
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    first = runtime.layers(5.0, (1280, 720))
    names = {layer.name for layer in first}
    assert {"show.card", "show.countdown", "show.lower_third", "show.ticker"} <= names
    assert runtime.snapshot().state.segment_index == 1, "drawing a frame ticks the show"
    card = next(layer for layer in first if layer.name == "show.card")
    again = runtime.layers(5.5, (1280, 720))
    assert next(layer for layer in again if layer.name == "show.card") is card


def test_scene_of_a_snapshot_is_a_pure_function_of_time() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    runtime.tick(5.0)
    snapshot = runtime.snapshot()
    assert scene_from_snapshot(snapshot, 9.5).countdown.seconds_shown == 2  # type: ignore[union-attr]
    assert scene_from_snapshot(snapshot, 5.0).countdown.seconds_shown == 6  # type: ignore[union-attr]


def test_a_recorder_added_after_the_picture_began_still_gets_the_start_events_once() -> None:
    # The window starts the picture (which ticks the show) before the session store opens;
    # its recorder used to miss the show's start, and the report lost the first segment.
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    early: list[ShowEvent] = []
    runtime.add_listener(early.append)
    runtime.tick(1.0)  # the pipeline's first frames
    late: list[ShowEvent] = []
    runtime.add_listener(late.append, from_start=True)
    runtime.tick(6.0)  # autoplay moves to the second segment
    started = [(e.index, e.at_s) for e in late if isinstance(e, SegmentStarted)]
    assert started == [(0, 0.0), (1, 5.0)]
    assert isinstance(late[0], ShowStarted)
    assert [e.kind for e in late] == [e.kind for e in early], "same events, same order"


def test_a_recorder_added_before_the_first_tick_gets_the_start_events_only_once() -> None:
    runtime = ShowRuntime(sample_show(), 0.0, autoplay=True)
    events: list[ShowEvent] = []
    runtime.add_listener(events.append, from_start=True)
    runtime.tick(1.0)
    assert [e.kind for e in events].count("show_started") == 1
    assert [e.index for e in events if isinstance(e, SegmentStarted)] == [0]
