"""The announcement ticker: a band along the bottom with text scrolling right to left.

The text is rendered once into a strip (repeated so any window onto it is full); each frame
only crops the window at the current offset, a copy of a few hundred kilobytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QImage

from anchordesk.media.overlays.fonts import FontFamilies
from anchordesk.media.overlays.labels import Labels
from anchordesk.media.overlays.layout import OverlayLayout
from anchordesk.media.overlays.painting import begin, draw_elided, image_to_bgra, new_image, plain
from anchordesk.media.overlays.theme import Theme, qcolor

SPEED_PX_S = 90.0  # at the 720 px design size; scales with the canvas


@dataclass(frozen=True)
class TickerView:
    text: str


@dataclass(frozen=True)
class TickerStrip:
    """The rendered band: a static badge and a strip the scrolling window moves along."""

    badge: QImage
    strip: npt.NDArray[np.uint8]  # (height, period + window, 4) premultiplied BGRA
    period_px: int  # one text plus its gap: the window wraps around after this many pixels
    window_px: int  # the visible width right of the badge
    speed_px_s: float

    def offset_px(self, now_s: float) -> int:
        return int(now_s * self.speed_px_s) % self.period_px

    def window(self, offset_px: int) -> npt.NDArray[np.uint8]:
        view = self.strip[:, offset_px : offset_px + self.window_px]
        pixels = np.ascontiguousarray(view)
        pixels.flags.writeable = False
        return pixels


def render_ticker(
    view: TickerView,
    theme: Theme,
    layout: OverlayLayout,
    fonts: FontFamilies,
    labels: Labels,
) -> TickerStrip:
    px = layout.px
    box = layout.ticker
    height = box.height
    badge_font = fonts.font(px(20), bold=True)
    badge_padding = px(16)
    badge_width = (
        int(QFontMetricsF(badge_font).horizontalAdvance(labels.notice)) + 2 * badge_padding
    )
    badge = new_image(badge_width, height)
    painter = begin(badge)
    try:
        painter.fillRect(QRectF(0, 0, badge_width, height), qcolor(theme.accent))
        draw_elided(
            painter, labels.notice, badge_font, qcolor(theme.on_accent),
            QRectF(0, 0, badge_width, height), Qt.AlignmentFlag.AlignHCenter,
        )  # fmt: skip
    finally:
        painter.end()

    window = max(1, box.width - badge_width)
    text_font = fonts.font(px(22))
    metrics = QFontMetricsF(text_font)
    text = plain(view.text)
    gap = px(120)
    period = max(1, math.ceil(metrics.horizontalAdvance(text)) + gap)
    copies = math.ceil((period + window) / period) + 1
    strip_image = new_image(period + window, height)
    painter = begin(strip_image)
    try:
        # An opaque band: the window moves every frame, and an opaque layer is a plain copy in
        # the compositor instead of a blend.
        band = (*theme.panel[:3], 255)
        painter.fillRect(QRectF(0, 0, strip_image.width(), height), qcolor(band))
        painter.setFont(text_font)
        painter.setPen(qcolor(theme.text))
        baseline = (height - metrics.height()) / 2 + metrics.ascent()
        # Start one window in, so the text enters from the right edge when the show starts.
        for index in range(-copies, copies):
            x = window + index * period
            if x + period < 0 or x > strip_image.width():
                continue
            painter.drawText(QPointF(x, baseline), text)
    finally:
        painter.end()
    return TickerStrip(
        badge=badge,
        strip=image_to_bgra(strip_image),
        period_px=period,
        window_px=window,
        speed_px_s=SPEED_PX_S * layout.scale,
    )
