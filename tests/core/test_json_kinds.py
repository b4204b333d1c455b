"""A show file and a feed name a JSON value's kind in the same words (one helper for both)."""

from __future__ import annotations

import json

from anchordesk.core.json_kinds import json_kind


def test_each_json_kind_is_named_as_a_person_reads_it() -> None:
    values = json.loads('[{}, [], "x", 7, 1.5, true, false, null]')
    assert [str(json_kind(value)) for value in values] == [
        "an object", "a list", "a text", "a number", "a number", "true", "false", "null",
    ]  # fmt: skip


def test_a_readers_own_stand_in_for_a_number_literal_is_a_number() -> None:
    class Unconverted:
        pass

    assert str(json_kind(Unconverted(), also_numbers=(Unconverted,))) == "a number"
    assert json_kind(Unconverted()) == "Unconverted"
