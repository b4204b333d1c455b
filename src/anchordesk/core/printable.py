"""One rule for printing or logging text that came from outside (feeds, show files, CSVs).

A SKU or an order id is typed by a stranger or a spreadsheet: an ESC sequence in it would
retitle or clear the operator's terminal, a newline would forge a log line, a bidi override
would make a line read differently from what it holds. Everything from outside that reaches a
terminal or a log goes through ``escape_controls`` first; what it shows stays readable and
unambiguous (``\\x1b``, ``\\n``), and nothing is dropped.
"""

from __future__ import annotations

import html
import re
import unicodedata

from anchordesk.core.redact import mask_urls

# C0 and C1 controls, DEL, and the Unicode bidi embeddings/overrides/isolates and line/paragraph
# separators: the characters that change how a terminal or a log viewer shows the rest. Lone
# surrogates too (JSON's "\ud800" makes one): no UTF-8 stream can take them, so a print() or
# a log record holding one raised UnicodeEncodeError instead of showing the line. Also the
# bidi marks (LRM, RLM, ALM: they move the neutral characters around them) and the invisible
# ones that make two SKUs or ids look the same (zero-width space, word joiner and invisible
# operators, the zero-width no-break space/BOM, the soft hyphen). The zero-width joiners
# (U+200C, U+200D) stay: emoji sequences and several scripts need them.
_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape, on one line.

    A backslash is left as it is: the escapes are for reading, not for parsing back.
    """
    return _CONTROLS.sub(_escape, text)


def printable_message(text: str) -> str:
    """A message for the terminal or the log, on one line: every URL in it masked by the one
    rule of ``core/redact.py`` (a stream key typed in a misspelt ``--to`` is still a key) and
    every control character escaped (a file name may hold a newline or an ESC)."""
    return escape_controls(mask_urls(text))


def html_text(text: str) -> str:
    """Text from outside for a web page: HTML-escaped (quotes too, for attributes) and with
    the characters above written as escapes, so a SKU reads the same in the page as in the
    terminal report (a right-to-left override would show it reversed in its cell)."""
    return html.escape(escape_controls(text))


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: a CJK character takes two, a combining mark (the
    accent of an "é" written as "e" + U+0301) and a zero-width joiner none."""
    return sum(
        0
        if unicodedata.combining(char) or char in "\u200c\u200d"
        else 2
        if unicodedata.east_asian_width(char) in ("W", "F")
        else 1
        for char in text
    )
