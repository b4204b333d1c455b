"""The flash-deal countdown: mm:ss, a bar that shrinks each second, urgency colour at the end.

The view carries the exact remaining time, but it renders (and compares) by the whole seconds
shown, so a 30 fps pipeline re-renders it once a second and reuses the layer in between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QImage, QPen

from anchordesk.media.overlays.fonts import FontFamilies
from anchordesk.media.overlays.labels import Labels
from anchordesk.media.overlays.layout import OverlayLayout
from anchordesk.media.overlays.painting import begin, draw_elided, draw_fitted, new_image
from anchordesk.media.overlays.theme import Theme, qcolor

URGENT_S = 10


class CountdownState(Enum):
    LIVE = "live"
    ENDED = "ended"  # time ran out
    SOLD_OUT = "sold_out"  # the product has no stock left (the card says sold out too)
    DEAL_SOLD_OUT = "deal_sold_out"  # the deal's own units are gone; the product is still on sale


@dataclass(frozen=True)
class CountdownView:
    remaining_s: float
    duration_s: float
    state: CountdownState = CountdownState.LIVE
    # A deal whose product is not the one on the card shows as a strip named after its product:
    # a running deal never silently leaves the picture when the operator shows something else.
    product_title: str | None = None

    @property
    def seconds_shown(self) -> int:
        """What the clock reads: it shows 00:01 through the last second, 00:00 once over."""
        if self.state is not CountdownState.LIVE:
            return 0
        whole = math.ceil(max(0.0, self.remaining_s) - 1e-9)
        return min(whole, math.ceil(self.duration_s))

    @property
    def urgent(self) -> bool:
        return self.state is CountdownState.LIVE and 0 < self.seconds_shown <= URGENT_S

    def render_key(self) -> tuple[int, float, CountdownState, str | None]:
        return (self.seconds_shown, self.duration_s, self.state, self.product_title)


def clock_text(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def render_countdown(
    view: CountdownView,
    theme: Theme,
    layout: OverlayLayout,
    fonts: FontFamilies,
    labels: Labels,
) -> QImage:
    px = layout.px
    box = layout.countdown
    image = new_image(box.width, box.height)
    painter = begin(image)
    try:
        highlight = theme.urgency if view.urgent else theme.accent
        if view.state is not CountdownState.LIVE:
            highlight = theme.sold_out
        radius = px(14)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(qcolor(theme.panel))
        painter.drawRoundedRect(QRectF(0, 0, box.width, box.height), radius, radius)
        if view.urgent:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            border = max(2.0, px(3))
            painter.setPen(QPen(qcolor(theme.urgency), border))
            painter.drawRoundedRect(
                QRectF(border / 2, border / 2, box.width - border, box.height - border),
                radius,
                radius,
            )

        padding = px(16)
        bar_height = px(10)
        bar = QRectF(
            padding, box.height - padding - bar_height, box.width - 2 * padding, bar_height
        )
        row = QRectF(padding, px(4), box.width - 2 * padding, bar.top() - px(6))

        clock_font = fonts.font(px(40), bold=True, digits=True)
        clock = clock_text(view.seconds_shown)
        clock_width = QFontMetricsF(clock_font).horizontalAdvance(clock)
        draw_elided(painter, clock, clock_font, qcolor(highlight), row, Qt.AlignmentFlag.AlignRight)
        label = {
            CountdownState.LIVE: labels.deal,
            CountdownState.ENDED: labels.deal_ended,
            CountdownState.SOLD_OUT: labels.sold_out,
            CountdownState.DEAL_SOLD_OUT: labels.deal_sold_out,
        }[view.state]
        label_rect = QRectF(row.left(), row.top(), row.width() - clock_width - px(12), row.height())
        label_colour = theme.text if view.state is CountdownState.LIVE else theme.muted
        if view.product_title:
            # A deal on a product that is not on the card: which product, in two lines (a
            # small "FLASH DEAL" over the product's name), so the name is never cut to "…".
            top = QRectF(
                label_rect.left(), label_rect.top(), label_rect.width(), label_rect.height() * 0.45
            )
            bottom = QRectF(
                label_rect.left(),
                top.bottom(),
                label_rect.width(),
                label_rect.height() - top.height(),
            )
            draw_fitted(
                painter, label, fonts.font(px(15), bold=True), px(10), qcolor(highlight), top
            )
            draw_fitted(
                painter,
                view.product_title,
                fonts.font(px(20), bold=True),
                px(12),
                qcolor(label_colour),
                bottom,
            )
        else:
            label_font = fonts.font(px(24), bold=True)
            draw_fitted(painter, label, label_font, px(12), qcolor(label_colour), label_rect)

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(qcolor(theme.track))
        painter.drawRoundedRect(bar, bar_height / 2, bar_height / 2)
        fraction = view.seconds_shown / view.duration_s if view.duration_s > 0 else 0.0
        fraction = min(1.0, max(0.0, fraction))
        if fraction > 0:
            filled = QRectF(
                bar.left(), bar.top(), max(bar_height, bar.width() * fraction), bar_height
            )
            painter.setBrush(qcolor(highlight))
            painter.drawRoundedRect(filled, bar_height / 2, bar_height / 2)
    finally:
        painter.end()
    return image
