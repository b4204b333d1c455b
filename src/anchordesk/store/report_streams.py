"""How each stream destination of a session went: kept by the run as it ends, read by the report.

The report said nothing of the stream itself: a show whose stream was down for its last ten
minutes, or never went live, read as a whole show (its orders and comments came over the
feeds all the same). The run writes one ``stream_ended`` event per destination when its
session ends (live/show_session.py ``record_streams``): the destination as the logs name it
(its key masked), how long it was live, how often it connected again, how long it was down
at the end and why. A run killed before its end writes none: the report then says nothing of
its stream rather than guess.
"""

from __future__ import annotations

import logging
import math
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from anchordesk.core.printable import masked_cut
from anchordesk.core.words import Count, Template, Words
from anchordesk.show.timing import format_duration
from anchordesk.store.report_i18n import text

log = logging.getLogger(__name__)

STREAM_ENDED = "stream_ended"

# Bounds on what a hand-edited file may claim (a week live; a line of words).
_MAX_S = 7 * 24 * 3600.0
_MAX_TEXT = 300
_MAX_COUNT = 1_000_000
# Words inside words a kept reason may hold ("the server closed the connection ({why}…)").
_MAX_DEPTH = 3


@dataclass(frozen=True)
class StreamEntry:
    destination: str
    live_s: float
    live_again: int
    down_at_end_s: float
    last_error: str
    # The same reason as the run worded it (core/words), said in the report's language; None
    # in a session of an older version (its English ``last_error`` is said).
    reason_words: Words | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "live_s": self.live_s,
            "reconnects": self.live_again,
            "down_at_end_s": self.down_at_end_s,
            "last_error": self.last_error,
        }


def stream_entries(events: Iterable[Any]) -> list[StreamEntry]:
    """The ``stream_ended`` events of ``events`` (ShowEventRecords), in the order kept; one that
    cannot be read is skipped with a warning (a report never dies on one event)."""
    entries = []
    for event in events:
        if event.kind != STREAM_ENDED:
            continue
        data = event.data
        try:
            entries.append(
                StreamEntry(
                    destination=_text(data["destination"]),
                    live_s=_seconds(data.get("live_s")),
                    live_again=_count(data.get("live_again")),
                    down_at_end_s=_seconds(data.get("down_at_end_s")),
                    last_error=_text(data.get("last_error") or ""),
                    reason_words=reason_from_data(data.get("last_error_words")),
                )
            )
        except (KeyError, TypeError, ValueError, OverflowError):
            log.warning("session event %s cannot be read: skipped", event.id)
    return entries


def _seconds(value: object) -> float:
    if value is None:
        return 0.0
    # A JSON number only, as the run writes it: "12" or true read as 12 s and 1 s.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    number = float(value) + 0.0  # -0.0 is no time either
    if not math.isfinite(number) or number < 0:
        raise ValueError("not a time")
    return round(min(number, _MAX_S), 1)


def _count(value: object) -> int:
    """A count of connections: a whole JSON number, not below 0 (``-5`` was said as
    "reconnects: -5", ``true`` as 1, ``3.7`` as 3)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("not a count")
    return min(value, _MAX_COUNT)


def _text(value: object) -> str:
    """A destination or a reason as the report may show it: masked by the one rule. The run
    keeps them masked, but a session of an older version or from someone else may hold a key
    whole (the report printed ``rtmp://host/app/KEY`` in its text, JSON and page)."""
    if not isinstance(value, str):
        raise TypeError("not text")
    return masked_cut(value, _MAX_TEXT, mark="")  # masked whole, then cut


def reason_as_data(words: Words | None) -> dict[str, object] | None:
    """Why a stream ended as the run keeps it beside its English (``last_error_words``): the
    words' context, template and values, so the report says it in its own language. Kept as
    English only, a Chinese or Japanese report said "the server closed the connection" in the
    middle of its own sentence."""
    if words is None:
        return None
    params: dict[str, object] = {}
    for name, value in words.params.items():
        if isinstance(value, Words):
            params[name] = reason_as_data(value)
        elif isinstance(value, Count):
            params[name] = int(value)
        else:
            params[name] = str(value)
    return {"context": words.context, "template": words.template, "params": params}


def reason_from_data(data: object, depth: int = 0) -> Words | None:
    """What :func:`reason_as_data` kept, or None when it cannot be read (a damaged or
    hand-edited file, a newer version's shape: the English reason is said instead)."""
    if not isinstance(data, dict) or depth > _MAX_DEPTH:
        return None
    context, template, params = data.get("context"), data.get("template"), data.get("params")
    if not isinstance(context, str) or not isinstance(template, str) or not _plain(template):
        return None
    if not isinstance(params, dict) or len(params) > 20:
        return None
    values: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, dict):
            values[name] = reason_from_data(value, depth + 1)
            if values[name] is None:
                return None
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT:
            values[name] = Count(value)  # a count of 400 digits ended Babel's formatting
        elif isinstance(value, str):
            values[name] = masked_cut(value, 4 * _MAX_TEXT, mark="")
        else:
            return None
    return Words(Template(context[:100], template[: 4 * _MAX_TEXT]), **values)


def _plain(template: str) -> bool:
    """Whether ``template``'s fields are plain names, as the program's are: a hand-edited one
    of ``{reason.__class__}`` read the value's attributes."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return False
    return all(
        name is None or (name.isidentifier() and not spec and conversion is None)
        for _, name, spec, conversion in parts
    )


def _reason(entry: StreamEntry, language: str) -> str:
    """Why ``entry`` ended, in ``language``: its words translated (the program's own
    catalogue, as the window says them); else, or in English, as the run kept it. Masked and
    cut as every kept text is: the values are from outside (a server's words)."""
    if entry.reason_words is None or language == "en":
        return entry.last_error
    from anchordesk.core import languages  # Qt's catalogue, only for a translated report

    words = entry.reason_words
    if languages.template_in(words, language) == words.template:
        return entry.last_error  # not one of this version's words (a newer one's, or edited)
    return _text(languages.say(words, language))


def stream_duration(seconds: float) -> str:
    """A stream's time live, or down at the end, as the run and the report say it: a time
    above zero is at least "0:01" ("not live for the last 0:00 of the run" was said of a
    stream whose server went away 0.3 s before the stop, "live 0:00" of one live 0.4 s)."""
    return format_duration(max(seconds, 1.0) if seconds > 0 else 0.0)


def stream_text(entry: StreamEntry, language: str) -> str:
    """One line of the report: ``rtmp://…/****: live 58:12, 2 reconnects; not live for the
    last 0:14 of the run: no answer from the server within 10 s``."""
    if entry.live_s <= 0:
        reason = _reason(entry, language) or text(language, "stream_no_answer")
        return text(language, "stream_never", destination=entry.destination, reason=reason)
    line = text(
        language, "stream_live", destination=entry.destination, live=stream_duration(entry.live_s)
    )
    if entry.live_again:
        line += text(language, "stream_again", count=entry.live_again)
    if entry.down_at_end_s > 0:
        reason = _reason(entry, language)
        why = text(language, "stream_why", reason=reason) if reason else ""
        line += text(language, "stream_down", down=stream_duration(entry.down_at_end_s), why=why)
    return line
