"""Settings → Prompts lists every prompt rule with its threshold (the same sentences as the
board's Rules menu) and writes the rules turned off into settings.json."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from anchordesk.live.settings import Settings, load_settings
from anchordesk.show.prompts import DEAL_ENDING, QUESTION_WAITING, RULES
from anchordesk.ui.prompt_rules import rule_text
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.prompts_page import PromptsPage


def test_the_prompts_page_lists_the_rules_and_saves_those_turned_off(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings(prompts_off=[DEAL_ENDING]), settings_file=path)
    qtbot.addWidget(dialog)
    page = dialog.page(PromptsPage)
    assert dialog.tabs.tabText(dialog.tabs.indexOf(page)) == "Prompts"
    assert [box.text() for box in page.rules.values()] == [rule_text(rule) for rule in RULES]
    assert page.rules[QUESTION_WAITING].text() == "A question has waited 60 s unanswered"
    assert not page.rules[DEAL_ENDING].isChecked() and page.rules[QUESTION_WAITING].isChecked()
    page.rules[DEAL_ENDING].setChecked(True)
    page.rules[QUESTION_WAITING].setChecked(False)
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        dialog.accept()
    assert json.loads(path.read_text(encoding="utf-8"))["prompts_off"] == [QUESTION_WAITING]
    assert load_settings(path).prompts_off == [QUESTION_WAITING]
