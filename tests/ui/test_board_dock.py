"""The data board dock shows the snapshot's figures as they are (it computes none), says a
prompt once (notice and teleprompter), dismisses it through the LiveShow, and shows text from
outside as plain text."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from anchordesk.core.money import format_money
from anchordesk.live.snapshot import LiveSnapshot
from anchordesk.show.board import BoardFigures, DealFigures, ProductFigures, SegmentFigures
from anchordesk.show.feed_items import Comment, Order, OrderLine
from anchordesk.show.prompts import DEAL_ENDING, QUESTION_WAITING, Prompt
from anchordesk.ui.docks.board import BoardPanel

T0 = 1_800_000_000.0


def figures() -> BoardFigures:
    return BoardFigures(
        at=T0,
        viewers_now=1234,
        viewers_peak=1600,
        viewer_history=((-300.0, 1600), (-120.0, 1400), (0.0, 1234)),
        comments_per_minute=42.0,
        orders_per_minute=7.5,
        orders=40,
        buyers=30,
        units=55,
        gmv_by_currency=(("EUR", Decimal("30.00")), ("USD", Decimal("960.00"))),
        average_order_value=(("EUR", Decimal("30.00")), ("USD", Decimal("24.62"))),
        products=(
            ProductFigures(
                "MUG", "<b>Mug</b>", "USD", 40, Decimal("960.00"), 20, 5.0, 240.0, True
            ),
            ProductFigures("LAMP", "Lamp", "USD", 0, Decimal("0"), 10, 0.0, None, False),
        ),
        segments=(
            SegmentFigures(
                0, "Hello", None, T0 - 600, T0 - 300, 800, 1600, 1600, 10, 12, 10, 15,
                (("USD", Decimal("300.00")),), (),
            ),
            SegmentFigures(
                1, "Mug", "MUG", T0 - 300, None, 1600, 1234, 1600, 20, 28, 20, 40,
                (("USD", Decimal("660.00")),),
                (DealFigures("d1", "MUG", 30, 50, ""),),
            ),
        ),
    )  # fmt: skip


def snapshot(prompts: tuple[Prompt, ...] = ()) -> LiveSnapshot:
    return LiveSnapshot(currency="USD", board=figures(), prompts=prompts)


QUESTION = Prompt(
    "question_waiting:json:c1",
    QUESTION_WAITING,
    T0,
    (("seconds", "61"), ("author", "<i>Mallory</i>"), ("text", "%1 <b>price?</b>")),
)
DEAL = Prompt(
    "deal_ending:d1",
    DEAL_ENDING,
    T0 - 5,
    (("title", "Mug"), ("seconds", "30"), ("left", "40"), ("total", "50")),
)


def test_the_board_shows_the_snapshots_figures(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = BoardPanel()
    qtbot.addWidget(panel)
    panel.update_snapshot(snapshot())
    values = {name: label.text() for name, label in panel.values.items()}
    assert values["viewers"] == "1,234"
    assert values["comments"] == "42" and values["orders"] == "7.5"
    # Each currency apart, the show's first; never one sum.
    usd, eur = format_money(Decimal("960.00"), "USD", "en"), format_money(Decimal(30), "EUR", "en")
    assert values["gmv"] == f"{usd}\n+ {eur}"  # one amount a line
    assert values["conversion"] == "1.9%"  # 30 buyers ÷ 1,600 at the peak
    assert panel.peak_label.text() == "Peak 1,600 · buyers 30"
    assert panel.sparkline.points == figures().viewer_history
    assert panel.products.rowCount() == 1  # the lamp neither sold nor is on sale
    row = [panel.products.item(0, column).text() for column in range(4)]  # type: ignore[union-attr]
    assert row == ["<b>Mug</b>", "40", usd, "sells out in ~4 min"]
    segments = [
        [panel.segments.item(r, c).text() for c in range(5)]  # type: ignore[union-attr]
        for r in range(panel.segments.rowCount())
    ]
    assert segments == [["1", "Hello", "1,600", "12", "0.6%"], ["2", "Mug", "1,600", "28", "1.2%"]]
    for label in (*panel.values.values(), panel.peak_label):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_a_prompt_is_said_once_in_words_and_dismissed_by_key(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = BoardPanel()
    qtbot.addWidget(panel)
    fired: list[str] = []
    newest: list[str] = []
    panel.prompt_fired.connect(fired.append)
    panel.newest_prompt_changed.connect(newest.append)
    panel.update_snapshot(snapshot((QUESTION, DEAL)))
    panel.update_snapshot(snapshot((QUESTION, DEAL)))
    line = "A question has waited 61 s: <i>Mallory</i>: %1 <b>price?</b>"
    assert fired == ["Deal on Mug ends in 30 s with 40 of 50 left", line]  # oldest first
    assert newest == [line]
    shown = [panel.prompt_list.item(i).text() for i in range(2)]  # type: ignore[union-attr]
    assert shown == [line, fired[0]]  # newest first
    with qtbot.waitSignal(panel.dismiss_requested) as dismissed:
        panel.prompt_list.item(1).setSelected(True)  # type: ignore[union-attr]
        panel.dismiss_button.click()
    assert dismissed.args == ["deal_ending:d1"]
    panel.update_snapshot(snapshot((QUESTION,)))
    assert panel.prompt_list.count() == 1 and len(fired) == 2
    panel.update_snapshot(snapshot(()))
    assert newest == [line, ""] and not panel.dismiss_button.isEnabled()


def test_the_windows_board_and_teleprompter_follow_the_live_show(qtbot, control_room) -> None:  # type: ignore[no-untyped-def]
    window = control_room
    controller = window.controller
    session = controller.live.session
    controller.next_segment()  # the serum's segment: its deal starts
    session.ingest(
        [
            Order(
                "json", f"o{n}", "USD", Decimal("29.00"), (OrderLine("SERUM", 1, Decimal("29.00")),)
            )
            for n in range(3)
        ]
    )
    controller.poll_show()
    board = controller.snapshot.board
    assert board is not None and board.orders == 3
    qtbot.waitUntil(lambda: window.board.values["orders"].text() == "3", timeout=3000)
    assert window.board.values["gmv"].text() == format_money(Decimal("87.00"), "USD", "en")
    serum = board.product("SERUM")
    assert serum is not None and serum.on_sale and serum.sells_out_in_s is not None
    forecast = window.board.products.item(0, 3).text()  # type: ignore[union-attr]
    assert forecast == f"sells out in ~{round(serum.sells_out_in_s / 60)} min"
    # A question nobody answers: after 60 s the board prompts, the teleprompter shows the line.
    controller.live.plan.wall_clock = lambda: session.board.started_at + 3600
    session.add_comments(
        [Comment("json", "q1", "Ann", "Does it suit dry skin?", is_question=True)],
        session.board.started_at + 3500,
    )
    controller.poll_show()
    qtbot.waitUntil(lambda: window.board.prompt_list.count() >= 1, timeout=3000)
    line = window.board.prompt_list.item(0).text()  # type: ignore[union-attr]
    assert "Does it suit dry skin?" in line
    assert window.teleprompter.view.lines.prompt == window.board.newest_prompt
    assert window.notice.newest() == f"Prompt: {window.board.newest_prompt}"  # over the picture
    window.board.dismiss_button.click()
    controller.poll_show()
    assert all(p.rule != QUESTION_WAITING for p in controller.snapshot.prompts)


def test_the_rules_menu_lists_each_rule_with_its_threshold_and_turns_it_off(  # type: ignore[no-untyped-def]
    qtbot, control_room
) -> None:
    window = control_room
    texts = [action.text() for action in window.board.rule_actions.values()]
    assert texts[0] == "Viewers fell by more than 33% in 120 s"
    assert texts[1] == "A deal ends within 30 s with more than 50% of its units left"
    assert texts[3] == "A question has waited 60 s unanswered"
    assert all(action.isChecked() for action in window.board.rule_actions.values())
    window.board.rule_actions[QUESTION_WAITING].trigger()  # off
    assert window.controller.settings.prompts_off == [QUESTION_WAITING]
    session = window.controller.live.session
    assert QUESTION_WAITING not in session.board.prompts.enabled
    # A question left unanswered for a minute: no prompt while the rule is off.
    window.controller.live.plan.wall_clock = lambda: session.board.started_at + 3600
    session.add_comments(
        [Comment("json", "q9", "Ann", "Any other colours?", is_question=True)],
        session.board.started_at + 3500,
    )
    window.controller.poll_show()
    assert all(p.rule != QUESTION_WAITING for p in window.controller.snapshot.prompts)
