"""Prompt rules turned off are kept in settings.json and reach the show (known rules only;
a newer version's rule names stay in the file, R27hunt27in F4)."""

from __future__ import annotations

from anchordesk.live.settings import settings_from_dict, settings_to_dict
from anchordesk.show.prompts import DEAL_ENDING, QUESTION_WAITING, RULES


def test_prompt_rules_off_round_trip_and_unknown_names_stay_in_the_file_only() -> None:
    settings = settings_from_dict({"prompts_off": [QUESTION_WAITING, "no-such-rule", 3]})
    assert settings.prompts_off == [QUESTION_WAITING]
    assert settings_to_dict(settings)["prompts_off"] == [QUESTION_WAITING, "no-such-rule", 3]
    assert settings_from_dict({}).prompts_off == []
    assert settings_from_dict({"prompts_off": "all"}).prompts_off == []
    every = settings_from_dict({"prompts_off": list(reversed(RULES))})
    assert every.prompts_off == list(RULES) and DEAL_ENDING in every.prompts_off
