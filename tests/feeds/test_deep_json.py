"""The scanner behind a page whose one item is nested too deep (feeds/deep_json.py): it must
find exactly the elements JSON's own reader finds, whatever the strings, keys and spacing
hold, and give the same page back with only the deep elements read apart."""

from __future__ import annotations

import contextlib
import json
import random
import re
from decimal import Decimal
from typing import Any

import pytest

from anchordesk.feeds import deep_json
from anchordesk.feeds.deep_json import UnreadableElement, load_deep_page

PATHS = [("items",), ("data", "orders", "nodes"), ("data", "orders", "edges")]
DEEP = "[" * 5000 + "]" * 5000


def _load(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _value(rnd: random.Random, depth: int) -> Any:
    pick = rnd.random()
    if depth > 10 or pick < 0.3:
        return rnd.choice([1, 'a]}"[{,:\\', None, True, 2.5, "", "é\u2028\ud800", -3])
    if pick < 0.65:
        return [_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    keys = ["items", "data", "orders", "edges", "nodes", "id", 'k"y', ""]
    return {rnd.choice(keys): _value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))}


@pytest.mark.parametrize("cut_depth", [0, 1, 3])
def test_pages_read_apart_are_the_pages_json_reads(
    cut_depth: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every element counts as "deep" here, so every one is cut out and put back.
    monkeypatch.setattr(deep_json, "CUT_DEPTH", cut_depth)
    monkeypatch.setattr(deep_json, "_SHALLOW", re.compile(r"(?!)"))
    rnd = random.Random(cut_depth)
    compared = 0
    for _ in range(600):
        page: dict[str, Any] = {"items": [_value(rnd, 1) for _ in range(rnd.randint(0, 6))]}
        if rnd.random() < 0.5:
            page = {"data": {"orders": {"edges": [_value(rnd, 3) for _ in range(3)]}}, **page}
        if rnd.random() < 0.3:
            page = {"before": _value(rnd, 1), **page, "after": _value(rnd, 1)}
        text = json.dumps(page, indent=rnd.choice([None, 1]), ensure_ascii=rnd.random() < 0.5)
        if rnd.random() < 0.2:
            text = text.replace('"items"', '"it\\u0065ms"', 1)  # an escaped key is that key
        read = load_deep_page(text, PATHS, _load)
        if read is not None:
            compared += 1
            assert read == _load(text), text
    assert compared > 400


def test_only_the_deep_element_is_read_apart_and_what_it_says_of_itself_is_kept() -> None:
    text = (
        '{"next": "7", "items": [{"id": "a"}, "x]\\"", {"id": "b", "type": "comment",'
        f' "text": {DEEP}, "meta": {{"k": [1]}}}}, 3], "poll_ms": 5}}'
    )
    page = load_deep_page(text, [("items",)], _load)
    assert page is not None and (page["next"], page["poll_ms"]) == ("7", 5)
    first, odd, deep, number = page["items"]
    assert (first, odd, number) == ({"id": "a"}, 'x]"', 3)
    assert isinstance(deep, UnreadableElement) and deep.reason == "nested too deep to read"
    assert deep.fields == {"id": "b", "type": "comment", "text": None, "meta": {"k": [1]}}
    assert deep.text.startswith('{"id": "b"') and deep.text.endswith("}")


def test_a_repeated_key_keeps_the_last_list_as_json_does() -> None:
    text = f'{{"items": [{{"id": 1}}, {DEEP}], "items": [{{"id": 2}}, {DEEP}, {{"id": 3}}]}}'
    page = load_deep_page(text, [("items",)], _load)
    assert page is not None
    assert page["items"][0] == {"id": 2} and page["items"][2] == {"id": 3}
    assert isinstance(page["items"][1], UnreadableElement)


@pytest.mark.parametrize(
    "text",
    [
        f'{{"items": [1], "other": {DEEP}}}',  # the depth is beside the list
        f'{{"items": [{DEEP}',  # cut short
        f'{{"items": ["open string, {DEEP}]}}',
        f'[{{"items": [{DEEP}]}}]',  # the page is not an object
        f'{{"items": [{DEEP}]}} trailing',
    ],
)
def test_what_is_not_a_page_with_one_deep_item_is_not_made_into_one(text: str) -> None:
    # None, or ValueError when it is not JSON at all (the caller says so).
    with contextlib.suppress(ValueError):
        assert load_deep_page(text, [("items",)], _load) is None
