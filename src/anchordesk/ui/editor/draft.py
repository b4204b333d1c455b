"""The show being edited, as the JSON data a show file holds, and where its problems point.

The editor keeps the user's text even when it is wrong ("12,5" as a price, an unknown sku), so
the draft is JSON-like data, not a frozen :class:`anchordesk.show.model.Show`. It is checked by
the show's own reader (:func:`anchordesk.showfile.files.parse_show`), so the editor reports exactly
what ``anchordesk show check`` would, at the same JSON paths.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from anchordesk.show.compliance import HitKind, find_hits
from anchordesk.show.validate import Problem, Severity
from anchordesk.showfile.files import ShowReport, decode_show_data, parse_show, write_show_text
from anchordesk.showfile.numbers import MAX_NUMBER_CHARS, bounded_decimal

_PATH_TOKEN = re.compile(r"\.([A-Za-z_]+)|\[(\d+)\]")


def number_or_text(text: str) -> int | float | str | None:
    """A cell's text as the JSON value it stands for; text that is no number stays text, so
    the reader names the cell ("'12,5' is not a number") instead of the editor guessing."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_NUMBER_CHARS or not isinstance(bounded_decimal(text), Decimal):
        return text  # "1e999999999" stays text: the reader names it, nothing computes with it
    value = Decimal(text)
    if value == value.to_integral_value() and "." not in text and "e" not in text.lower():
        return int(value)
    as_float = float(value)
    # The reader parses floats as Decimal from their repr: keep the typed digits exactly.
    return as_float if Decimal(repr(as_float)) == value else text


def cell_text(value: Any) -> str:
    """A JSON value as the editor shows it in a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value):
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def split_path(path: str) -> list[str | int]:
    """``$.rundown[2].deal.price`` -> ``["rundown", 2, "deal", "price"]``."""
    parts: list[str | int] = []
    for name, index in _PATH_TOKEN.findall(path.removeprefix("$")):
        parts.append(name if name else int(index))
    return parts


@dataclass(frozen=True)
class Finding:
    """A problem or compliance hit, ready for the editor: where, what, how bad."""

    path: str
    message: str
    is_error: bool
    line: int | None = None
    column: int | None = None


def check_draft(data: dict[str, Any], base_dir: Path | None) -> tuple[ShowReport, list[Finding]]:
    """Validate the draft with the show's reader and run the compliance matcher on its texts."""
    report = parse_show(json.dumps(data, ensure_ascii=False), base_dir=base_dir)
    findings = [
        Finding(p.path, p.message, p.severity is Severity.ERROR, p.line, p.column)
        for p in report.problems
    ]
    banned = tuple(w for w in data.get("banned_words") or [] if isinstance(w, str) and w.strip())
    for path, text in on_air_texts(data):
        for hit in find_hits(text, banned):
            what = "banned word" if hit.kind is HitKind.BANNED else "absolute term"
            findings.append(
                Finding(path, f"{what} {hit.text!r} (rule: {hit.term})", is_error=False)
            )
    return report, findings


def on_air_texts(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, text) of what is said or shown on air, as the compliance check reads them."""
    texts: list[tuple[str, str]] = []

    def add(path: str, value: Any) -> None:
        if isinstance(value, str) and value:
            texts.append((path, value))

    add("$.title", data.get("title"))
    for index, line in enumerate(data.get("ticker") or []):
        add(f"$.ticker[{index}]", line)
    for index, product in enumerate(data.get("products") or []):
        if isinstance(product, dict):
            add(f"$.products[{index}].title", product.get("title"))
            for point_index, point in enumerate(product.get("points") or []):
                add(f"$.products[{index}].points[{point_index}]", point)
    for index, segment in enumerate(data.get("rundown") or []):
        if isinstance(segment, dict):
            add(f"$.rundown[{index}].title", segment.get("title"))
            add(f"$.rundown[{index}].script", segment.get("script"))
    return texts


def read_draft(path: Path) -> dict[str, Any]:
    """The raw data of a show file, for editing even when it breaks rules.

    Raises ``ValueError`` with one line (and the line/column for bad JSON) when the file is not
    a JSON object at all: then there is nothing to put in the tables.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path.name} is not UTF-8 text (byte at offset {error.start})") from None
    try:
        data = decode_show_data(text)  # numbers bounded, as the show's reader does
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path.name}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: a show file holds one JSON object {{…}}")
    return data


def rebase(relative: str | None, old_dir: Path | None, new_dir: Path) -> str | None:
    """A path relative to the old show folder, made relative to the new one ("save as")."""
    if not relative or old_dir is None or Path(relative).is_absolute():
        return relative
    target = (old_dir / relative).resolve()
    try:
        return Path(os.path.relpath(target, new_dir.resolve())).as_posix()
    except ValueError:
        return str(target)


def relative_to_show(picked: Path, show_dir: Path | None) -> str:
    """A picked file as the show file should name it: relative to the show when possible."""
    if show_dir is None:
        return str(picked)
    try:
        return Path(os.path.relpath(picked.resolve(), show_dir.resolve())).as_posix()
    except ValueError:
        return str(picked)


def write_draft(data: dict[str, Any], path: Path, old_dir: Path | None) -> None:
    """Write a draft that still has errors, atomically, with its paths rebased to ``path``."""
    folder = path.resolve().parent
    data = json.loads(json.dumps(data))  # a deep copy
    theme = data.get("theme")
    if isinstance(theme, dict):
        theme["logo"] = rebase(theme.get("logo"), old_dir, folder)
    for product in data.get("products") or []:
        if isinstance(product, dict) and isinstance(product.get("image"), str):
            product["image"] = rebase(product["image"], old_dir, folder)
    write_show_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def problem_to_finding(problem: Problem) -> Finding:
    return Finding(problem.path, problem.message, problem.is_error, problem.line, problem.column)


def new_show_data(language: str = "zh_CN", currency: str = "CNY") -> dict[str, Any]:
    return {
        "format": 1,
        "title": "",
        "currency": currency,
        "language": language,
        "theme": {"accent": "#ff3355", "logo": None},
        "banned_words": [],
        "ticker": [],
        "products": [],
        "rundown": [],
    }
