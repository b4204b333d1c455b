"""A page whose one item is nested too deep: the other items are kept, that one is rejected.

Python's JSON reader recurses once per level of nesting and gives up on the whole document
with ``RecursionError`` past about a thousand. One hostile or broken item would then refuse
the whole page, and the page would be asked for again and refused again, forever. Only after
that failure (the normal path is the plain ``json.loads``), a small scanner without recursion
finds where each element of the page's item list begins and ends (it counts brackets outside
strings, so its work is linear in the body's length and its memory constant), and each
element is read alone; an element that is still too deep becomes an :class:`UnreadableElement`
that the adapter keeps as a rejected item with its reason, like any item it cannot read.

Nesting anywhere else (beside the list, or in the list's parents) still refuses the page: that
is not the platform's JSON.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Where a page keeps its items: one path of object keys per shape the adapter reads.
ItemPaths = Sequence[tuple[str, ...]]

_STRING = r'(?>"[^"\\]*+(?:\\.[^"\\]*+)*+")'
_SCALARS = r'[^"\[\]{}]++'


def _nested(levels: int) -> str:
    """A list or object nested at most ``levels`` deep, as a regular expression whose every
    repetition is possessive: it never backtracks, so a failed match costs its length once."""
    inner = f"{_STRING}|{_SCALARS}"
    pattern = ""
    for _ in range(levels):
        pattern = rf"[\[{{](?:{inner}{'|' + pattern if pattern else ''})*+[\]}}]"
    return pattern


# In the item list: a run of ordinary elements (up to 8 deep) in one match, done by the
# regular expression engine; only the rare deeper element is scanned bracket by bracket.
_SHALLOW = re.compile(rf"(?:{_nested(8)}|{_STRING}|{_SCALARS})++")
# Inside a deep element (or a container off the paths): all but brackets is skipped at once.
_FLAT = re.compile(rf"(?:{_STRING}|{_SCALARS})++|[\[{{]++|[\]}}]++")
# Above the list (the page object and the list's parents): one token at a time, keys matter.
_TOKEN = re.compile(rf'{_STRING}|[\[{{]|[\]}}]|[,:]|[^"\[\]{{}},:]++')
#: An element nested deeper than this is read alone; shallower ones stay in the page's text.
CUT_DEPTH = 200


@dataclass(frozen=True)
class UnreadableElement:
    """An element of a page's item list that cannot be read alone (nested too deep).

    ``fields`` are its top-level values that are not lists or objects (its ``id`` and
    ``type``, when it has them), ``text`` the element as sent."""

    text: str
    reason: str
    fields: dict[str, Any] = field(default_factory=dict)


class _Frame:
    __slots__ = ("expecting_key", "key")

    def __init__(self) -> None:
        self.key: str | None = None
        self.expecting_key = True


_Spans = list[tuple[tuple[str, ...], list[tuple[int, int]]]]


def _child_spans(text: str, paths: ItemPaths, cut_depth: int | None = None) -> _Spans | None:
    """For every container found at one of ``paths`` (in document order): its path and the
    spans of the lists and objects directly inside it; None when the text is not shaped like
    JSON."""
    cut_depth = CUT_DEPTH if cut_depth is None else cut_depth
    prefixes = {path[:n] for path in paths for n in range(len(path) + 1)}
    targets = {tuple(path) for path in paths}
    found: _Spans = []
    frames: list[_Frame] = []  # the objects above a target, while on a path
    keys: list[str] = []
    depth = 0
    base = 0  # skipping: the depth at which the skipped container ends
    start = -1
    deepest = 0  # how deep the element being skipped goes
    state = "track"  # track | target | skip
    recording = False
    position, end = 0, len(text)
    while position < end:
        if state == "track":
            match = _TOKEN.match(text, position)
            if match is None:
                return None
            token = match.group()
            first = token[0]
            position = match.end()
            if first == '"':
                if frames and frames[-1].expecting_key:
                    try:
                        frames[-1].key = json.loads(token)
                    except ValueError:
                        return None
                    frames[-1].expecting_key = False
            elif first == ",":
                if frames:
                    frames[-1].key, frames[-1].expecting_key = None, True
            elif first in "[{":
                key = frames[-1].key if frames else None
                if frames and key is None:
                    return None  # a value where a key belongs
                here = (*keys, key) if key is not None else ()
                if here in targets:
                    found.append((here, []))
                    state, depth = "target", depth + 1
                elif here in prefixes and first == "{":
                    if key is not None:
                        keys.append(key)
                    frames.append(_Frame())
                    depth += 1
                else:
                    state, base, recording, depth = "skip", depth, False, depth + 1
            elif first in "]}":
                if not frames:
                    return None
                frames.pop()
                if keys:
                    keys.pop()
                depth -= 1
            continue
        if state == "target" and (shallow := _SHALLOW.match(text, position)) is not None:
            position = shallow.end()
            if position >= end:
                break
        match = _FLAT.match(text, position)
        if match is None:
            return None
        token = match.group()
        first = token[0]
        if first in "[{":
            if state == "target":
                state, base, recording, start, deepest = "skip", depth, True, match.start(), 0
            depth += len(token)
            deepest = max(deepest, depth - base)
            position = match.end()
        elif first in "]}":
            if state == "target":  # the target itself ends: back above it
                state, depth, position = "track", depth - 1, match.start() + 1
                continue
            closing = depth - base
            if len(token) < closing:
                depth -= len(token)
                position = match.end()
                continue
            position = match.start() + closing
            depth = base
            if recording and deepest > cut_depth:
                found[-1][1].append((start, position))
            state = "target" if recording else "track"
        else:
            position = match.end()
    if state != "track" or depth != 0 or frames:
        return None
    return found


def load_deep_page(text: str, paths: ItemPaths, load: Callable[[str], Any]) -> Any | None:
    """The page read with each element of its item list read alone (see the module's doc);
    None when that does not help (the depth is elsewhere, or the text is not JSON): the caller
    then refuses the page as before. ``ValueError`` when an element is not JSON at all."""
    spans = _child_spans(text, paths)
    if not spans or not any(elements for _, elements in spans):
        return None
    # Each element is replaced by a string no sender can guess, then put back by position.
    nonce = secrets.token_hex(16)
    pieces: list[str] = []
    last = 0
    for _, elements in spans:
        for start, stop in elements:
            pieces += [text[last:start], f'"{nonce}"']
            last = stop
    pieces.append(text[last:])
    try:
        page = load("".join(pieces))
    except RecursionError:
        return None
    for path in paths:
        container = _at(page, path)
        if not isinstance(container, list):
            continue
        slots = [index for index, value in enumerate(container) if value == nonce]
        # The list json keeps is the last one at its path (a repeated key: the last wins).
        kept = [elements for where, elements in spans if where == path][-1:]
        if not kept or len(kept[0]) != len(slots):
            return None
        for index, (start, stop) in zip(slots, kept[0], strict=True):
            container[index] = _element(text[start:stop], load)
    return page


def _at(page: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(page, dict):
            return None
        page = page.get(key)
    return page


def _element(text: str, load: Callable[[str], Any]) -> Any:
    try:
        return load(text)
    except RecursionError:
        return UnreadableElement(text, "nested too deep to read", _shallow(text, load))


def top_level_scalars(text: str, load: Callable[[str], Any]) -> dict[str, Any]:
    """The scalar members of the object ``text`` (its lists and objects left out, never
    read, so at any depth), each read by ``load``; empty when ``text`` is no object."""
    return _shallow(text, load)


def _shallow(text: str, load: Callable[[str], Any]) -> dict[str, Any]:
    """The element's own scalar fields (its id, its type), its lists and objects left out."""
    spans = _child_spans(text, [()], cut_depth=0)
    if not spans:
        return {}
    pieces: list[str] = []
    last = 0
    for start, stop in spans[0][1]:
        pieces += [text[last:start], "null"]
        last = stop
    pieces.append(text[last:])
    try:
        value = load("".join(pieces))
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
