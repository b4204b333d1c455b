"""Text geometry for the report's SVG charts: label widths, ticks and labels that never overlap.

An SVG page has no layout engine for chart labels, so the charts place every label themselves:
widths are estimated on the generous side (a CJK character is a full em; Latin letters are
taken wider than most sans-serif fonts draw them), a label that would run past its room is cut
with an ellipsis (the full text stays in a ``<title>`` tooltip), and labels that would collide
go to another lane, or are left out when no lane has room (the segment table lists them all).
Tests read these same boxes back from the SVG and check them in a real browser too.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from anchordesk.core.printable import html_text as escape  # outside text: escaped, controls shown

ELLIPSIS = "…"


def char_width(char: str, font_px: float) -> float:
    """An upper estimate of one character's advance in the page's sans-serif fonts at
    ``font_px``. The ratios are DejaVu Sans's (the widest common default; Noto and system UI
    fonts draw narrower), rounded up."""
    if unicodedata.east_asian_width(char) in ("W", "F") or char in "mwMW@%…—":
        return font_px
    if char in " .,:;'|!iIjlft()[]":
        return 0.4 * font_px
    if char.isupper() or char in "&¥€$£#":
        return 0.8 * font_px
    return 0.64 * font_px


def text_width(text: str, font_px: float) -> float:
    return sum(char_width(char, font_px) for char in text)


def fit_text(text: str, max_px: float, font_px: float) -> str:
    """``text`` cut (with an ellipsis) so that it is at most ``max_px`` wide; "" if not even
    one character and the ellipsis fit."""
    if text_width(text, font_px) <= max_px:
        return text
    room = max_px - char_width(ELLIPSIS, font_px)
    cut = ""
    for char in text:
        if text_width(cut + char, font_px) > room:
            break
        cut += char
    return cut.rstrip() + ELLIPSIS if cut.strip() else ""


@dataclass(frozen=True)
class TextBox:
    """Where a label is drawn: ``x`` is its anchor (start or end), ``y`` its baseline."""

    x: float
    y: float
    text: str
    font_px: float
    anchor: str = "start"  # "start" | "end" | "middle"

    @property
    def width(self) -> float:
        return text_width(self.text, self.font_px)

    @property
    def left(self) -> float:
        if self.anchor == "end":
            return self.x - self.width
        if self.anchor == "middle":
            return self.x - self.width / 2
        return self.x

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def top(self) -> float:
        # Noto Sans CJK's line box (what a browser's getBBox gives): ascent 1.16 em, descent
        # 0.29 em; taller than the glyphs themselves.
        return self.y - 1.16 * self.font_px

    @property
    def bottom(self) -> float:
        return self.y + 0.3 * self.font_px

    def overlaps(self, other: TextBox) -> bool:
        return not (
            self.right <= other.left
            or other.right <= self.left
            or self.bottom <= other.top
            or other.bottom <= self.top
        )

    def svg(self, css_class: str, tooltip: str | None = None) -> str:
        title = f"<title>{escape(tooltip)}</title>" if tooltip and tooltip != self.text else ""
        anchor = "" if self.anchor == "start" else f' text-anchor="{self.anchor}"'
        return (
            f'<text x="{self.x:.1f}" y="{self.y:.1f}"{anchor} class="{css_class}">'
            f"{title}{escape(self.text)}</text>"
        )


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round steps (1, 2, 2.5 or 5 times a power of ten) from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def time_step_s(duration_s: float, plot_px: float, min_gap_px: float) -> int:
    """The smallest round time step whose labels stand at least ``min_gap_px`` apart."""
    for step in (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800):
        if plot_px * step / max(duration_s, 1.0) >= min_gap_px:
            return step
    return 21600


def place_in_lanes(
    items: list[tuple[float, str, str]],
    lanes: int,
    first_baseline: float,
    lane_px: float,
    right_limit: float,
    font_px: float,
    max_label_px: float,
) -> list[TextBox]:
    """Labels starting at x (``(x, full text, short text)``, in x order), each in the first
    lane where it does not touch the previous label. A full label gets the room up to the
    label ``lanes`` places ahead (so that one finds a lane too) and is cut to it; when too
    little of it would show, the short text (the number) stands in; when no lane has room
    even for that, the label stays out (the tables list every segment). Labels never pass
    ``right_limit``."""
    gap = 0.4 * font_px
    lane_end = [-math.inf] * lanes
    placed: list[TextBox] = []
    for position, (x, full, short) in enumerate(items):
        ahead = items[position + lanes][0] - gap if position + lanes < len(items) else math.inf
        room = min(max_label_px, right_limit - x, ahead - x)
        label = fit_text(full, room, font_px)
        if len(label) < len(short) + 3:  # "12 …" says no more than "12"
            label = short if text_width(short, font_px) <= right_limit - x else ""
        if not label:
            continue
        lane = next((n for n in range(lanes) if x >= lane_end[n] + gap), None)
        if lane is None:
            continue
        box = TextBox(x, first_baseline + lane * lane_px, label, font_px)
        lane_end[lane] = box.right
        placed.append(box)
    return placed
