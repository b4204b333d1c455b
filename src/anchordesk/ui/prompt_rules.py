"""The data board's prompt rules in words, each with its threshold from ``show/prompts.py``
(``Thresholds``, the one place they are set): the board's Rules menu and the settings' Prompts
page list the same sentences."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from anchordesk.show.prompts import (
    DEAL_ENDING,
    QUESTION_WAITING,
    SOLD_OUT_ON_SCREEN,
    STOCK_SHORT,
    THRESHOLDS,
    VIEWERS_DROP,
)


def rule_text(rule: str) -> str:
    """One rule as a sentence in the window's language, its numbers filled in."""
    translate = QCoreApplication.translate
    t = THRESHOLDS
    if rule == VIEWERS_DROP:
        return (
            translate("PromptRules", "Viewers fell by more than %1% in %2 s")
            .replace("%1", f"{t.viewers_drop_fraction * 100:.0f}")
            .replace("%2", f"{t.viewers_drop_window_s:.0f}")
        )
    if rule == DEAL_ENDING:
        return (
            translate("PromptRules", "A deal ends within %1 s with more than %2% of its units left")
            .replace("%1", f"{t.deal_ending_s:.0f}")
            .replace("%2", f"{t.deal_units_left_fraction * 100:.0f}")
        )
    if rule == SOLD_OUT_ON_SCREEN:
        return translate("PromptRules", "The product on screen sold out")
    if rule == QUESTION_WAITING:
        return translate("PromptRules", "A question has waited %1 s unanswered").replace(
            "%1", f"{t.question_wait_s:.0f}"
        )
    if rule == STOCK_SHORT:
        return translate(
            "PromptRules", "The product on screen will sell out before its segment ends"
        )
    return rule
