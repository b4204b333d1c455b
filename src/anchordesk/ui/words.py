"""Saying a lower layer's message (`anchordesk.core.words.Words`) in the window's language.

The one place the window turns a show problem, a CSV problem or a refused command into text:
the template is translated in its own context, then its values are filled in — values that
are messages themselves are said the same way, counts with the language's grouping, values
from outside (SKUs, titles, paths)
stay exactly as they are. The result is plain text, shown as plain text. How a message is said
in a language is `anchordesk.core.languages.say`'s, shared with the remote control.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from anchordesk.core import languages
from anchordesk.core.disk import error_words
from anchordesk.core.printable import escape_controls, masked_cut
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.media.overlays.countdown import clock_text
from anchordesk.show.timing import format_duration
from anchordesk.show.validate import Problem
from anchordesk.ui import i18n
from anchordesk.ui.state import OutputRow


def say(words: Words | str) -> str:
    """``words`` in the window's language (`anchordesk.core.languages.say`, the one way a
    message is said: the remote control says it the same way in a phone's language)."""
    return languages.say(words, i18n.current_language())


def refusal_text(words: Words | str) -> str:
    """A refused command as one sentence for the status bar, in the window's language: in
    English begun with a capital ("No question to pin yet."), in Chinese and Japanese ended
    with "。" as the window's other messages are.

    Only the template's own first letter is made a capital, never a value from outside
    ("iPhone-15 is sold out…" keeps its SKU as written).
    """
    text = say(words)
    language = i18n.current_language()
    template = languages.template_in(words, language) if isinstance(words, Words) else words
    if text and template[:1].isascii() and template[:1].islower():
        text = text[0].upper() + text[1:]
    if not text or text[-1] in ".!?。！？…":
        return text
    return say(Words(QT_TRANSLATE_NOOP("LiveShow", "{refusal}."), refusal=text))


def say_problem(problem: Problem) -> str:
    """A problem with where it is (``$.products[2].price (product …): …``), translated."""
    return say(problem.located())


def say_problems(problems: Sequence[Problem], language: str) -> list[str]:
    """Each of ``problems`` as :func:`say_problem` says it, in ``language`` (from any thread:
    the window's is not held while a long list is said)."""
    return [languages.say(problem.located(), language) for problem in problems]


def disk_error_text(path: Path | str, error: OSError) -> str:
    """A file that could not be written, named, with why in the window's language ("the disk
    holding … is full", "… is read-only"): the C library's English reason alone ("No space
    left on device") named neither the file nor the disk in a Chinese or Japanese window."""
    return say(error_words(path, error))


def plain_tooltip(text: str) -> str:
    """``text`` as a tool tip that shows it as typed.

    Qt takes a tool tip for rich text when its first line holds anything like a tag ("<b>",
    "<img …>", "&lt;"), and renders it: a stranger's pinned comment "<img src='/home/…'>"
    showed a picture from this computer's disk, "<font size=7>" covered the window, in the
    tool tips of the pinned line, the board's prompts and the status bar's segment (R15ui F1).
    Escaped inside <qt>, it is shown as it was written; "" stays "" (no tool tip)."""
    if not text:
        return ""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def menu_text(text: str) -> str:
    """``text`` from outside (a file's path) as a menu item shows it, as it is named.

    Qt reads a menu item's "&" as the mark of its access key and a tab as the start of its
    key column: File → Open recent showed "…/Tom & Jerry.json" as "Tom _Jerry.json" (the
    space underlined, J its key) and "Q&A<tab>final.json" as "QA" with "final.json" where
    keys go. "&" doubled, control characters written out (``escape_controls``)."""
    return escape_controls(text).replace("&", "&&")


#: A name from outside quoted in a line of ours is cut after this many characters.
QUOTED_CHARS = 60


def quoted_text(text: str) -> str:
    """``text`` from outside (a destination's name) quoted in a one-line message: control
    characters written out, and cut with "…" past ``QUOTED_CHARS``. Quoted whole, a pasted
    name of 3,000 characters made the Settings problem line (which cannot wrap inside a word)
    thousands of pixels wide: OK, Cancel and the reason after the name off the screen.
    Masked whole before it is cut (``masked_cut``, the one rule of every shortening): a
    stream URL pasted as a name, cut inside its password, showed the password's start."""
    return masked_cut(escape_controls(text), QUOTED_CHARS + 1)


def deal_clock(seconds_left: float) -> str:
    """A deal's time left as the picture's countdown reads it past an hour ("23:59:01"), as a
    stopwatch under it ("1:28"): a day's deal read "1439:21 left" in the window and on the
    phone beside the picture's 23:59:01."""
    whole = math.ceil(max(0.0, seconds_left) - 1e-9)
    return clock_text(whole) if whole >= 3600 else format_duration(whole)


def unbroken(text: str) -> str:
    """``text`` (an amount such as "BHD 1.234") never split across two lines when a list of
    them wraps: orders in nine currencies written on one line made the window 2,275 px wide on
    a 1366 screen; wrapped at any space, an amount's code and figure parted."""
    return text.replace(" ", "\u00a0")


def title_text(text: str) -> str:
    """``text`` from outside (a show's title, a file's name) as a window title shows it.

    Qt takes "[*]" in a window title for its mark of unsaved changes and drops it: a show
    titled "Sale [*] Night" was "Sale  Night — AnchorDesk" in the title bar. Doubled, a "[*]"
    is shown as such; control characters written out (``escape_controls``)."""
    return escape_controls(text).replace("[*]", "[*][*]")


def fault_text(output: OutputRow) -> str:
    """An output's fault in the window's language (its English line when it has no words)."""
    return say(output.fault) if output.fault is not None else output.last_error or ""


def notice_text(output: OutputRow) -> str:
    """What a working output has to say (a slow uplink's dropped frames), in the window's
    language; "" when nothing."""
    return say(output.notice) if output.notice is not None else ""


def closed_bidi(text: str) -> str:
    """``text`` with each bidi embedding, override or isolate it leaves open closed at its end:
    a title elided ("…") may have lost its closing marks, and what it left open would turn
    the window's words after it around."""
    stack: list[str] = []
    for char in text:
        if char in "\u202a\u202b\u202d\u202e":
            stack.append("\u202c")
        elif char == "\u202c" and stack and stack[-1] == "\u202c":
            stack.pop()
        elif char in "\u2066\u2067\u2068":
            stack.append("\u2069")
        elif char == "\u2069" and "\u2069" in stack:
            while stack.pop() != "\u2069":
                pass
    return text + "".join(reversed(stack))


def fitted_parts(
    parts: Sequence[str], separator: str, width_px: int, advance: Callable[[str], int]
) -> list[str]:
    """``parts`` (figures: "$1,299.00", "150 left", "12 sold") joined by ``separator`` into as
    few lines as keep each within ``width_px`` (by ``advance``), each part whole: a figure
    cut at a card's edge would be another number."""
    lines: list[str] = []
    for part in parts:
        if lines and advance(lines[-1] + separator + part) <= width_px:
            lines[-1] += separator + part
        else:
            lines.append(part)
    return lines
