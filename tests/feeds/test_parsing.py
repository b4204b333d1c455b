"""Reading a feed's JSON text (feeds/parsing.py): a lone surrogate escape becomes U+FFFD, what
JSON's grammar allows otherwise reads as before."""

from __future__ import annotations

import json
import random

import pytest

from anchordesk.feeds.parsing import json_text


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (r'"a\ud800b"', "a\ufffdb"),  # half a pair
        (r'"\udc00\ud800"', "\ufffd\ufffd"),  # the halves in the wrong order
        (r'"\ud83d\ude00"', "\U0001f600"),  # a whole pair is the character
        (r'"\uD83D\uDE00"', "\U0001f600"),
        (r'"\\ud800"', "\\ud800"),  # an escaped backslash, then the letters "ud800"
        (r'"\\\ud800"', "\\\ufffd"),  # a backslash, then a lone half
        (r'"\u4e2d\u6587"', "中文"),
        ('"plain"', "plain"),
    ],
)
def test_lone_surrogates_read_as_the_replacement_character(text: str, read: str) -> None:
    value = json.loads(json_text(text))
    assert value == read
    value.encode("utf-8")  # what the session file needs


def test_any_mix_of_escapes_reads_as_json_reads_it_but_for_lone_halves() -> None:
    rnd = random.Random(7)
    tokens = [r"\ud83d", r"\ude00", r"\uDBFF", r"\uDC00", "\\\\", "a", r"\u4e2d", "u", "d800"]
    for _ in range(3000):
        text = '"' + "".join(rnd.choice(tokens) for _ in range(rnd.randint(0, 8))) + '"'
        expected = "".join(
            "\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in json.loads(text)
        )
        assert json.loads(json_text(text)) == expected, text
