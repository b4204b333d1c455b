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

from PySide6.QtCore import QCoreApplication

from anchordesk.core.unicode_text import decoded, encoding_name
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.compliance import Hit, HitKind, find_hits
from anchordesk.show.validate import Problem
from anchordesk.showfile.files import (
    ShowReport,
    decode_show_data,
    parse_show,
    read_show_bytes,
    rebased_path,
    write_show_text,
)
from anchordesk.showfile.numbers import MAX_NUMBER_CHARS, bounded_decimal
from anchordesk.ui.words import say

_PATH_TOKEN = re.compile(r"\.([A-Za-z_]+)|\[(\d+)\]")


def json_copy(value: Any) -> Any:
    """A copy of a show's JSON ``value`` (objects and lists made anew, the rest shared), made
    without recursion: ``copy.deepcopy`` takes about two Python frames a level, so a show file
    holding a value nested 600 deep (read and run by the control room, its unknown field kept)
    ended the editor's open in RecursionError, the editor never shown."""
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            copied: Any = item
            if isinstance(item, (dict, list)):
                copied = {} if isinstance(item, dict) else []
                pending.append((item, copied))
            if isinstance(target, dict):
                target[key] = copied
            else:
                target.append(copied)
    return root


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
    """A problem or compliance hit, ready for the editor: where, what (in the window's
    language), how bad."""

    path: str
    message: str
    is_error: bool
    line: int | None = None
    column: int | None = None


def check_draft(data: dict[str, Any], base_dir: Path | None) -> tuple[ShowReport, list[Finding]]:
    """Validate the draft with the show's reader and run the compliance matcher on its texts."""
    report = parse_show(json.dumps(data, ensure_ascii=False), base_dir=base_dir)
    findings = [problem_to_finding(p) for p in report.problems]
    banned = tuple(w for w in data.get("banned_words") or [] if isinstance(w, str) and w.strip())
    for path, text in on_air_texts(data):
        for hit in find_hits(text, banned):
            findings.append(Finding(path, _hit_message(hit), is_error=False))
    return report, findings


def _hit_message(hit: Hit) -> str:
    """'banned word “cheap” (rule: cheap)': the term as written and the rule it matched."""
    if hit.kind is HitKind.BANNED:
        template = QCoreApplication.translate("ShowEditor", "banned word “%1” (rule: %2)")
    else:
        template = QCoreApplication.translate("ShowEditor", "absolute term “%1” (rule: %2)")
    # One pass, so a “%2” typed in the comment is not replaced in turn.
    return "".join(
        {"%1": hit.text, "%2": hit.term}.get(part, part) for part in re.split(r"(%[12])", template)
    )


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
    raw = read_show_bytes(path)  # a FIFO, a device, 2 GB: said, never waited for
    if isinstance(raw, Words):
        raise UnreadableDraft(raw)
    try:
        # By the one reading of a file's bytes (core/unicode_text), as File → Open reads it: a
        # show saved as UTF-16 opened and ran, and the editor refused it as "not UTF-8 text".
        text = decoded(raw).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise UnreadableDraft(
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowEditor", "{file} is not {encoding} text (byte at offset {offset})"
                ),
                file=path.name,
                encoding=encoding_name(error.encoding),
                offset=error.start,
            )
        ) from None
    try:
        data = decode_show_data(text)  # numbers bounded, as the show's reader does
    except json.JSONDecodeError as error:
        raise UnreadableDraft(
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowEditor", "{file}: invalid JSON at line {line}, column {column}: {reason}"
                ),
                file=path.name,
                line=error.lineno,
                column=error.colno,
                reason=error.msg,
            )
        ) from None
    except RecursionError:
        # Nested deeper than the decoder goes (the show's reader says so; the editor's Open
        # ended in a traceback).
        raise UnreadableDraft(
            Words(QT_TRANSLATE_NOOP("ShowProblems", "invalid show: the JSON is nested too deeply"))
        ) from None
    if not isinstance(data, dict):
        raise UnreadableDraft(
            Words(
                QT_TRANSLATE_NOOP("ShowEditor", "{file}: a show file holds one JSON object {{…}}"),
                file=path.name,
            )
        )
    return data


class UnreadableDraft(ValueError):
    """A file the editor cannot put in its tables; ``words`` says why (translated on show)."""

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


def rebase(relative: str | None, old_dir: Path | None, new_dir: Path) -> str | None:
    """A path relative to the old show folder, made relative to the new one ("save as"):
    from the names alone, as the show's writer does (the old folder may not answer)."""
    return rebased_path(relative, old_dir, new_dir)


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
    return Finding(problem.path, say(problem.words), problem.is_error, problem.line, problem.column)


#: A new show's currency, by the window's language (the one its sample show uses): every new
#: show started in yuan and Chinese, in the Japanese and the English window too.
NEW_SHOW_CURRENCY = {"zh_CN": "CNY", "ja": "JPY", "en": "USD"}


def new_show_data(language: str = "zh_CN", currency: str | None = None) -> dict[str, Any]:
    currency = currency or NEW_SHOW_CURRENCY.get(language, "CNY")
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
