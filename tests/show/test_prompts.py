"""Every prompt rule with the time passed in: it fires at its threshold and not before, once
per situation, respects its cooldown, can be turned off and dismissed, and leaves by itself."""

from __future__ import annotations

from anchordesk.show.prompts import (
    DEAL_ENDING,
    QUESTION_WAITING,
    RULES,
    SHOW_S,
    SOLD_OUT_ON_SCREEN,
    STOCK_SHORT,
    THRESHOLDS,
    VIEWERS_DROP,
    DealSituation,
    PromptDesk,
    PromptInputs,
    WaitingQuestion,
    prompt_data,
    prompt_from_data,
    rules_on,
)

T0 = 1_800_000_000.0


def fired(desk: PromptDesk, inputs: PromptInputs) -> list[str]:
    return [prompt.rule for prompt in desk.evaluate(inputs)]


def test_thresholds_are_the_issues() -> None:
    assert THRESHOLDS.viewers_drop_fraction == 1 / 3
    assert THRESHOLDS.viewers_drop_window_s == 120
    assert THRESHOLDS.deal_ending_s == 30
    assert THRESHOLDS.deal_units_left_fraction == 0.5
    assert THRESHOLDS.question_wait_s == 60
    assert THRESHOLDS.question_stale_s == 120


def test_viewers_falling_by_more_than_a_third_in_two_minutes_prompts_once() -> None:
    desk = PromptDesk()
    audience = [(T0, 900), (T0 + 60, 800)]
    # 900 -> 600 is exactly a third: not more than a third.
    assert fired(desk, PromptInputs(T0 + 90, audience=[*audience, (T0 + 90, 600)])) == []
    drop = [*audience, (T0 + 100, 599)]
    new = desk.evaluate(PromptInputs(T0 + 100, audience=drop))
    assert [p.rule for p in new] == [VIEWERS_DROP]
    assert new[0].value("from") == "900" and new[0].value("to") == "599"
    assert "900" in new[0].english and "599" in new[0].english
    # The same slide, a moment later: no second prompt.
    assert fired(desk, PromptInputs(T0 + 105, audience=[*drop, (T0 + 105, 500)])) == []


def test_a_drop_spread_over_more_than_two_minutes_does_not_prompt() -> None:
    desk = PromptDesk()
    audience = [(T0, 900), (T0 + 100, 800), (T0 + 200, 700), (T0 + 300, 580)]
    recent = [(at, n) for at, n in audience if at >= T0 + 300 - 120]
    assert fired(desk, PromptInputs(T0 + 300, audience=recent)) == []


def test_a_new_drop_after_the_cooldown_prompts_again() -> None:
    desk = PromptDesk()
    assert fired(desk, PromptInputs(T0 + 60, audience=[(T0, 900), (T0 + 60, 500)])) == [
        VIEWERS_DROP
    ]
    later = [(T0 + 100, 900), (T0 + 150, 500)]
    assert fired(desk, PromptInputs(T0 + 150, audience=later)) == []  # within the cooldown
    later = [(T0 + 200, 900), (T0 + 250, 500)]
    assert fired(desk, PromptInputs(T0 + 250, audience=later)) == [VIEWERS_DROP]


def deal(remaining_s: float, left: int, total: int = 100) -> DealSituation:
    return DealSituation("d1", "SERUM", "Serum", remaining_s, left, total)


def test_a_deal_ending_in_30_s_with_more_than_half_left_prompts_once() -> None:
    desk = PromptDesk()
    assert fired(desk, PromptInputs(T0, live_deals=[deal(31, 90)])) == []
    assert fired(desk, PromptInputs(T0, live_deals=[deal(30, 50)])) == []  # half: not more
    new = desk.evaluate(PromptInputs(T0 + 1, live_deals=[deal(29.2, 51)]))
    assert [p.rule for p in new] == [DEAL_ENDING]
    assert new[0].value("seconds") == "30" and new[0].value("left") == "51"
    assert fired(desk, PromptInputs(T0 + 2, live_deals=[deal(28, 51)])) == []


def test_a_product_sold_out_on_screen_prompts_once() -> None:
    desk = PromptDesk()
    on = {"on_screen_sku": "SERUM", "on_screen_title": "Serum"}
    assert fired(desk, PromptInputs(T0, on_screen_stock_left=1, **on)) == []  # type: ignore[arg-type]
    assert fired(desk, PromptInputs(T0 + 1, on_screen_stock_left=0, **on)) == [  # type: ignore[arg-type]
        SOLD_OUT_ON_SCREEN
    ]
    assert fired(desk, PromptInputs(T0 + 2, on_screen_stock_left=0, **on)) == []  # type: ignore[arg-type]
    # Sold out off screen: not this rule's business.
    assert fired(PromptDesk(), PromptInputs(T0, on_screen_stock_left=None)) == []


def test_a_question_waiting_60_s_prompts_once_and_one_at_a_time() -> None:
    desk = PromptDesk()
    first = WaitingQuestion("json:c1", T0, "ann", "Does it ship to Osaka?")
    second = WaitingQuestion("json:c2", T0 + 5, "bob", "Size?")
    assert fired(desk, PromptInputs(T0 + 59.9, questions=[first, second])) == []
    new = desk.evaluate(PromptInputs(T0 + 60, questions=[first, second]))
    assert [p.value("comment") for p in new] == ["json:c1"]
    assert new[0].value("text") == "Does it ship to Osaka?"
    # The second has waited 60 s too, but one waiting question at a time (the cooldown) ...
    assert fired(desk, PromptInputs(T0 + 70, questions=[first, second])) == []
    # ... then it gets its prompt, and the first never again.
    new = desk.evaluate(PromptInputs(T0 + 121, questions=[first, second]))
    assert [p.value("comment") for p in new] == ["json:c2"]
    # A question left waiting past two minutes is a backlog, not news: no prompt for it.
    third = WaitingQuestion("json:c3", T0 + 60, "cat", "Colour?")
    assert fired(desk, PromptInputs(T0 + 60 + 121 + 60, questions=[third])) == []


def test_stock_running_out_before_the_segment_ends_prompts_once_per_visit() -> None:
    desk = PromptDesk()
    inputs = {
        "on_screen_sku": "SERUM",
        "on_screen_title": "Serum",
        "on_screen_stock_left": 40,
        "segment_started_at": T0,
    }
    # Sells out in ~7 min, 6 min of the segment left: fine.
    calm = PromptInputs(T0 + 60, on_screen_sells_out_in_s=400, segment_left_s=360, **inputs)  # type: ignore[arg-type]
    assert fired(desk, calm) == []
    short = PromptInputs(T0 + 90, on_screen_sells_out_in_s=240, segment_left_s=330, **inputs)  # type: ignore[arg-type]
    new = desk.evaluate(short)
    assert [p.rule for p in new] == [STOCK_SHORT]
    assert new[0].value("minutes") == "4"
    assert fired(desk, short) == []
    # Not selling at all: no forecast, no prompt.
    idle = PromptInputs(T0 + 90, on_screen_sells_out_in_s=None, segment_left_s=330, **inputs)  # type: ignore[arg-type]
    assert fired(PromptDesk(), idle) == []


def test_a_rule_turned_off_never_fires() -> None:
    desk = PromptDesk(enabled=rules_on([DEAL_ENDING]))
    assert DEAL_ENDING not in desk.enabled and len(desk.enabled) == len(RULES) - 1
    assert fired(desk, PromptInputs(T0, live_deals=[deal(10, 90)])) == []


def test_prompts_are_dismissed_or_leave_by_themselves_and_survive_a_round_trip() -> None:
    desk = PromptDesk()
    desk.evaluate(PromptInputs(T0, live_deals=[deal(10, 90)]))
    question = WaitingQuestion("json:c1", T0 - 100, "ann", "?")
    desk.evaluate(PromptInputs(T0 + 1, questions=[question]))
    assert [p.rule for p in desk.active(T0 + 2)] == [QUESTION_WAITING, DEAL_ENDING]
    key = desk.active(T0 + 2)[1].key
    assert desk.dismiss(key) and not desk.dismiss(key)
    assert [p.rule for p in desk.active(T0 + 2)] == [QUESTION_WAITING]
    assert desk.active(T0 + 1 + SHOW_S) == ()
    prompt = next(iter(desk.fired.values()))
    assert prompt_from_data(prompt.at, prompt_data(prompt)) == prompt
