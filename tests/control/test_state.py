"""The API's state is the snapshot's values in the contract's shape; money as decimal text."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from anchordesk.control.state import settled, state_json
from anchordesk.live.snapshot import (
    DealView,
    LiveSnapshot,
    OutputView,
    PinnedView,
    ProductView,
    SalesView,
    SegmentView,
    SessionMode,
    StatsView,
)


def snapshot() -> LiveSnapshot:
    return LiveSnapshot(
        session_id="rehearsal_2026",
        mode=SessionMode.REHEARSAL,
        currency="JPY",
        segments=(
            SegmentView(0, "オープニング", 60.0, 12.5, None, "", None),
            SegmentView(1, "美容液", 120.0, 0.0, "SERUM", "", None),
        ),
        current_index=0,
        on_screen_sku="SERUM",
        products=(ProductView("SERUM", "美容液", Decimal("1280"), "JPY", 40, 10, Decimal(12800)),),
        deals=(
            DealView(
                "deal-1",
                "SERUM",
                "美容液",
                "live",
                Decimal("980"),
                Decimal("1280"),
                "JPY",
                60,
                41.25,
                7,
                20,
                3,
            ),
        ),
        sales=SalesView(
            "JPY",
            Decimal("12800"),
            gmv_by_currency=(("JPY", Decimal("12800")), ("USD", Decimal("30.5"))),
            orders=9,
            orders_per_minute=1.5,
        ),
        pinned=PinnedView("youtube:c1", "ゆき", "<b>在庫は?</b>"),
        outputs=(OutputView("rtmp://a.rtmp.youtube.com/live2/****", "reconnecting", 3),),
        stats=StatsView(29.97, 4, 35.5, 1_000_000),
    )


def test_the_contract_shape() -> None:
    state = state_json(snapshot())
    assert state["session"] == {"id": "rehearsal_2026", "mode": "rehearsal"}
    assert state["segment"] == {
        "index": 0, "title": "オープニング", "elapsed_s": 12.5, "planned_s": 60.0, "count": 2,
    }  # fmt: skip
    assert state["on_screen"] == "SERUM" and state["staged"] is None
    assert state["studio_mode"] is False
    assert state["deals"] == [
        {
            "sku": "SERUM", "state": "live", "price": "980", "remaining_s": 41.25,
            "units_left": 7, "currency": "JPY",
        }
    ]  # fmt: skip
    assert state["products"] == [
        {
            "sku": "SERUM", "title": "美容液", "price": "1280", "stock_left": 40,
            "units_sold": 10, "currency": "JPY",
        }
    ]  # fmt: skip
    assert state["sales"] == {
        "currency": "JPY", "gmv": "12800", "orders": 9, "orders_per_minute": 1.5,
        "gmv_by_currency": {"JPY": "12800", "USD": "30.50"},  # apart, never added up
        "rejected_items": 0,
    }  # fmt: skip
    # Comment text goes out as a JSON string, as it was written; the page shows it as text.
    assert state["pinned"] == {"id": "youtube:c1", "author": "ゆき", "text": "<b>在庫は?</b>"}
    assert state["outputs"] == [
        {"url": "rtmp://a.rtmp.youtube.com/live2/****", "state": "reconnecting", "attempt": 3}
    ]
    assert state["viewers"] is None and state["feeds"] == []
    assert state["stats"] == {
        "fps": 29.97, "dropped_frames": 4, "cpu_percent": 35.5, "recording_bytes": 1_000_000,
        "recording_text": "1.0 MB", "fps_text": "30.0", "cpu_text": "36%",
    }  # fmt: skip


def test_the_running_clocks_alone_are_no_change() -> None:
    one = state_json(snapshot())
    later = {**one, "segment": {**one["segment"], "elapsed_s": 20.0}, "stats": {}}
    later["deals"] = [{**one["deals"][0], "remaining_s": 30.0}]
    assert settled(one) == settled(later)
    other = {**one, "on_screen": None}
    assert settled(one) != settled(other)


def test_deals_are_each_products_latest_not_the_sessions_history() -> None:
    # A show with a deal every few minutes: the remote's list stays one line per product.
    def deal(number: int, sku: str, state: str) -> DealView:
        return DealView(
            f"deal-{number}", sku, sku, state, Decimal("980"), Decimal("1280"), "JPY", 60,
            0.0 if state != "live" else 30.0, 5, 20, 0,
        )  # fmt: skip

    history = [deal(n, "SERUM", "ended") for n in range(200)]
    history += [deal(200, "CREAM", "sold_out"), deal(201, "SERUM", "live")]
    history += [deal(202, "MASK", "ended"), deal(203, "MASK", "sold_out")]
    many = replace(snapshot(), deals=tuple(history))
    assert [(d["sku"], d["state"]) for d in state_json(many)["deals"]] == [
        ("CREAM", "sold_out"), ("SERUM", "live"), ("MASK", "sold_out"),
    ]  # fmt: skip
    # The window's deal panel and the picture ask the same rule.
    assert many.deal_for("SERUM") is history[201] and many.deal_for("MASK") is history[203]
    assert many.deal_for(None) is None and many.deal_for("NONE") is None
