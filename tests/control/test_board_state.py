"""The remote's state carries the data board's figures and prompts as the window shows them
(money per currency as decimal text), and a prompt can be dismissed from the remote."""

from __future__ import annotations

from decimal import Decimal

from anchordesk.control.commands import parse_command
from anchordesk.control.state import settled, state_json
from anchordesk.live.snapshot import LiveSnapshot
from anchordesk.show.board import BoardFigures, ProductFigures, SegmentFigures
from anchordesk.show.prompts import DEAL_ENDING, Prompt

T0 = 1_800_000_000.0


def snapshot() -> LiveSnapshot:
    board = BoardFigures(
        at=T0,
        viewers_now=120,
        viewers_peak=160,
        viewer_history=((-60.0, 160), (0.0, 120)),
        comments_per_minute=12.0,
        orders_per_minute=3.0,
        orders=5,
        buyers=4,
        units=6,
        gmv_by_currency=(("EUR", Decimal("30.00")), ("JPY", Decimal("3840"))),
        average_order_value=(("EUR", Decimal("30.00")), ("JPY", Decimal("960"))),
        products=(
            ProductFigures("SERUM", "美容液", "JPY", 3, Decimal("3840"), 37, 1.5, 1480.0, True),
        ),
        segments=(
            SegmentFigures(
                0, "オープニング", None, T0 - 60, None, 160, 120, 160, 12, 5, 4, 6,
                (("JPY", Decimal("3840")),), (),
            ),
        ),
    )  # fmt: skip
    prompt = Prompt(
        "deal_ending:d1",
        DEAL_ENDING,
        T0,
        (("title", "美容液"), ("seconds", "30"), ("left", "17"), ("total", "20")),
    )
    return LiveSnapshot(currency="JPY", board=board, prompts=(prompt,))


def test_the_board_and_prompts_in_the_state() -> None:
    state = state_json(snapshot())
    board = state["board"]
    assert board["viewers_now"] == 120 and board["viewers_peak"] == 160
    assert board["conversion"] == 0.025 and board["buyers"] == 4
    assert board["gmv"] == {"EUR": "30.00", "JPY": "3840"}  # never one sum
    assert board["average_order"] == {"EUR": "30.00", "JPY": "960"}
    assert board["products"][0]["sells_out_in_s"] == 1480 and board["products"][0]["on_sale"]
    assert board["segments"][0]["conversion"] == 0.025
    assert board["segments"][0]["gmv"] == {"JPY": "3840"}
    (prompt,) = state["prompts"]
    assert prompt["key"] == "deal_ending:d1" and prompt["rule"] == DEAL_ENDING
    assert prompt["text"] == "Deal on 美容液 ends in 30 s with 17 of 20 left"
    assert prompt["values"]["left"] == "17"
    # The board's rates move each second: they go out with the stats, not as a state change;
    # a prompt appearing is a change.
    assert "board" not in settled(state) and settled(state)["prompts"] == state["prompts"]
    assert state_json(LiveSnapshot())["board"] is None


def test_dismiss_prompt_is_a_command() -> None:
    assert parse_command({"command": "dismiss_prompt", "key": "deal_ending:d1"}) == (
        "dismiss_prompt",
        {"key": "deal_ending:d1"},
    )
