"""One rule for printing or logging text that came from outside (feeds, show files, CSVs).

A SKU or an order id is typed by a stranger or a spreadsheet: an ESC sequence in it would
retitle or clear the operator's terminal, a newline would forge a log line, a bidi override
would make a line read differently from what it holds. Everything from outside that reaches a
terminal or a log goes through ``escape_controls`` first; what it shows stays readable and
unambiguous (``\\x1b``, ``\\n``), and nothing is dropped.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

from anchordesk.core.redact import MASK, mask_secrets, mask_urls

# C0 and C1 controls, DEL, and the Unicode bidi embeddings/overrides/isolates and line/paragraph
# separators: the characters that change how a terminal or a log viewer shows the rest. Lone
# surrogates too (JSON's "\ud800" makes one): no UTF-8 stream can take them, so a print() or
# a log record holding one raised UnicodeEncodeError instead of showing the line. Also the
# bidi marks (LRM, RLM, ALM: they move the neutral characters around them) and the invisible
# ones that make two SKUs or ids look the same (zero-width space, word joiner and invisible
# operators, the zero-width no-break space/BOM, the soft hyphen). The zero-width joiners
# (U+200C, U+200D) stay: emoji sequences and several scripts need them.
#
# Every other format character (Unicode category Cf, what the show's checks call invisible:
# show/validate.py) is escaped as well — Unicode 14's, written out (computing them took 0.6 s
# at import) and checked against unicodedata by the tests: above all the tag characters
# U+E0000-E007F, which show as nothing, so a feed's "TAG" + U+E0041 printed as a second
# "TAG (not in the show)" beside the real one. A tag right after the black flag or another tag
# stays: the flags of England, Scotland and Wales are written so.
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b\u200e-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
)
# And the default-ignorable characters that are no format character but show as nothing just
# the same, outside the sequences that need them (archaic Hangul, Mongolian): the Hangul
# fillers (letters: "MUG" + U+3164 was printed as a second "MUG" of the report's unknown
# SKUs), the combining grapheme joiner, Khmer's inherent vowels, Mongolian's free variation
# selectors; and the Braille blank (U+2800, a symbol that is a blank cell: no default-ignorable
# one, but "MUG" + U+2800 showed as "MUG" just the same). The variation selectors U+FE00-FE0F
# stay: emoji need them.
INVISIBLE_LETTERS = "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u2800\u3164\uffa0"
_INVISIBLE_LETTER = re.compile(f"[{INVISIBLE_LETTERS}]")


_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + FORMAT_CHARACTERS + INVISIBLE_LETTERS + "]"
    "|(?<![\U0001f3f4\U000e0020-\U000e007f])[\U000e0020-\U000e007f]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Half of a surrogate pair alone: JSON's "\ud800", or what Python makes of bytes that are not
# UTF-8 (a command-line argument, a file name). UTF-8 cannot encode it: every writer, keyring,
# HTTP client and socket raised UnicodeEncodeError on it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Unicode's default-ignorable characters (DerivedCoreProperties.txt, Default_Ignorable_Code_Point):
# they show as nothing, whatever their category (the Hangul fillers are letters, Lo).
DEFAULT_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def shows_as_nothing(char: str) -> bool:
    """Whether ``char`` shows as nothing: a format character (category Cf), one of Unicode's
    default-ignorable characters, or one of the invisible letters above."""
    return (
        unicodedata.category(char) == "Cf"
        or DEFAULT_IGNORABLE.match(char) is not None
        or _INVISIBLE_LETTER.match(char) is not None
    )


def escaped_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as its ``\\uXXXX`` escape (JSON's own for it):
    printable, storable as UTF-8. Given its own result it gives it back (settings saved with
    an escaped id read the same id again; a JSON text keeps its escapes); an id that must be
    told from every other goes through :func:`escaped_id`."""
    if text.isascii():
        return text
    return LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# What the escape of a lone surrogate looks like (the six characters "\\ud800").
_LOOKS_ESCAPED = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_TO_ESCAPE = re.compile("[\\\\\ud800-\udfff]")


def escaped_id(text: str) -> str:
    """An id from outside as the session keeps it: as it is, but with each lone surrogate as its
    ``\\uXXXX`` escape and, when it holds one or what reads as the escape of one, its
    backslashes doubled. No two ids give the same: by :func:`escaped_surrogates` alone the
    author "u" + a lone half and the author sent as the six characters "u\\ud800" were one (a
    ban of one hid the other's comments). An id holding neither is given back as it is, and
    one holding a lone half and no backslash as escaped_surrogates wrote it: the ids an older
    session stored stay the same."""
    if "\\" not in text and (text.isascii() or not LONE_SURROGATE.search(text)):
        return text
    if not LONE_SURROGATE.search(text) and not _LOOKS_ESCAPED.search(text):
        return text
    return _TO_ESCAPE.sub(_escaped_character, text)


def _escaped_character(match: re.Match[str]) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else f"\\u{ord(char):04x}"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


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


_MASKED_AT_MOST = 2000  # characters of a text read for URLs to mask (a huge one held the caller)
_WORD_MASKED_AT_MOST = 8000  # a word running past them is read whole up to this length
_LAST_WORD = re.compile(r"\S*\Z")
_WORD_GOES_ON = re.compile(r"\S*")
CUT_MARK = "…"


def masked_cut(
    text: str, limit: int, secrets: tuple[str, ...] | list[str] = (), mark: str = CUT_MARK
) -> str:
    """Text from outside shortened to at most ``limit`` characters, masked whole first: its
    URLs by the one rule (core/redact) and ``secrets`` (a feed's token) wherever they are,
    THEN cut, the cut marked with ``mark`` ("…": a feed's secrets' rule reads it). Cut first,
    a URL cut before its '@' or inside its key, or a token cut in two, was masked by no rule,
    and its start was shown (a status, a log line, a rejected item's words, a problem of the
    settings or of a show). Every cut of outside text goes through here; control characters
    are the caller's to escape."""
    if secrets:
        text = mask_secrets(text, secrets)
    part = _masked_part(text)
    whole = len(part) == len(text) or part.endswith(MASK)  # (its last word masked whole)
    needed = _needed(part, limit)
    masked = mask_urls(needed)
    if len(masked) <= limit and whole and len(needed) == len(part):
        return masked
    return masked[: max(limit - len(mark), 0)] + mark


_PIECE_GOES_ON = re.compile(r"[^\s/?#&]*")
_READ_WHOLE_PAST_LIMIT = 100


def _needed(text: str, limit: int) -> str:
    """The start of ``text`` whose mask decides the first ``limit`` characters: up to the end
    of the path segment or query item the cut falls in (a key cut short may no longer look
    like one), or, when the word goes on to an '@', up to the host after it (the password
    before it). What follows cannot change how they are masked, and a URL of a thousand
    segments masked whole for a 40-character quote cost 7 ms an item (25 s for a page)."""
    if len(text) <= limit + _READ_WHOLE_PAST_LIMIT:  # masked whole, it may fit after all
        return text
    end = _PIECE_GOES_ON.match(text, limit)
    assert end is not None  # (it matches the empty text)
    stop = end.end()
    word = _WORD_GOES_ON.match(text, stop)
    at = text.rfind("@", stop, word.end() if word is not None else stop)
    if at >= 0:
        host = _PIECE_GOES_ON.match(text, at + 1)
        stop = host.end() if host is not None else at + 1
    return text[:stop]


def _masked_part(text: str) -> str:
    """The start of ``text`` a quote is masked in: its first 2,000 characters, never ending
    inside a word that may be a URL (it holds a ':'): such a word is read whole, or, past
    8,000 characters, masked whole. Cut inside it, a URL whose password ran past the 2,000th
    character had no '@' left: no rule masked it, and the password's start was the quote."""
    if len(text) <= _MASKED_AT_MOST:
        return text
    head = text[:_MASKED_AT_MOST]
    last = _LAST_WORD.search(head)
    if last is None or ":" not in last.group():
        return head
    rest = _WORD_GOES_ON.match(text, _MASKED_AT_MOST, last.start() + _WORD_MASKED_AT_MOST + 1)
    if rest is not None and rest.end() - last.start() <= _WORD_MASKED_AT_MOST:
        return text[: rest.end()]
    return head[: last.start()] + MASK


# What json.dumps(ensure_ascii=False) leaves raw of what escape_controls escapes: JSON writes
# C0 controls inside its strings as escapes itself (a raw one in its text is its own line break).
_JSON_RAW_CONTROLS = re.compile(_CONTROLS.pattern.replace("\x00-\x1f", "", 1))


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # (JSON writes such a character as its UTF-16 pair)
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def terminal_json(value: object, indent: int | None = 2) -> str:
    """``value`` as JSON for a terminal (``anchordesk report --json``, ``anchordesk control``):
    readable in any language, with every character ``escape_controls`` escapes written as a
    JSON escape (the same JSON): C1 controls (U+009B is a terminal's CSI), bidi overrides and
    line separators went out raw, and a lone surrogate could not be printed at all."""
    return _JSON_RAW_CONTROLS.sub(
        _json_escape, json.dumps(value, ensure_ascii=False, indent=indent)
    )


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


# The bidi embeddings, overrides and isolates.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bidi_isolated(text: str) -> str:
    """``text`` set between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE when it holds a
    bidi control: whatever it leaves open (a right-to-left override a show's author typed, or
    pasted) ends with it, and cannot turn around the text placed after it (the window's own
    name in its title bar, the next announcement on the picture's ticker). The text itself is
    shown as its author wrote it."""
    # (A set's test of the whole text, not a walk in Python: the window isolates each of a
    # show's 30,000 titles at every refresh of its state.)
    if not BIDI_CONTROLS.isdisjoint(text):
        return f"\u2068{text}\u2069"
    return text
