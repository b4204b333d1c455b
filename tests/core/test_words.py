"""Messages below the window: English when printed, their template and values kept for the
window to translate, and nothing here needs Qt."""

from __future__ import annotations

import subprocess
import sys

import pytest

from anchordesk.core.words import QT_TRANSLATE_NOOP, Words, field_names, fill


def test_a_message_prints_as_its_english_with_its_values() -> None:
    words = Words(
        QT_TRANSLATE_NOOP("LiveShow", "{sku} is sold out: no deal can start on it"), sku="MASK-10"
    )
    assert str(words) == "MASK-10 is sold out: no deal can start on it"
    assert words.context == "LiveShow"
    assert words.template == "{sku} is sold out: no deal can start on it"
    assert words.params == {"sku": "MASK-10"}


def test_a_value_that_is_a_message_is_said_inside_it() -> None:
    what = Words(QT_TRANSLATE_NOOP("ShowProblems", "title"))
    words = Words(
        QT_TRANSLATE_NOOP("ShowProblems", "the {what} is {length} characters long"),
        what=what,
        length="1,000",
    )
    assert str(words) == "the title is 1,000 characters long"


def test_braces_in_values_are_kept_as_they_are() -> None:
    """A SKU or a title from outside is never read as a template."""
    words = Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal on {sku}"), sku="{title}{0}")
    assert str(words) == "no live deal on {title}{0}"


def test_a_broken_template_still_reaches_the_person() -> None:
    assert fill("missing {other} field", {}) == "missing {other} field"
    assert fill("unbalanced { brace", {"a": "b"}) == "unbalanced { brace"
    assert field_names("{a} and {b} but not {{c}}") == {"a", "b"}


def test_messages_are_values() -> None:
    one = Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal on {sku}"), sku="A")
    same = Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal on {sku}"), sku="A")
    other = one.replaced(sku="B")
    assert one == same and hash(one) == hash(same)
    assert str(other) == "no live deal on B" and str(one) == "no live deal on A"
    with pytest.raises(AttributeError):
        one.template = "changed"  # type: ignore[misc]


def test_the_layers_below_the_window_do_not_load_qt() -> None:
    """Problems and refusals are made without Qt: the command line's `show check` stays light."""
    code = (
        "import sys\n"
        "import anchordesk.core.words, anchordesk.show.validate, anchordesk.showfile.files\n"
        "import anchordesk.showfile.csv_import, anchordesk.show.state\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
