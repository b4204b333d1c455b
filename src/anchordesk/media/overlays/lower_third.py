"""The segment title (lower third): what the show is talking about now."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QImage

from anchordesk.media.overlays.fonts import FontFamilies
from anchordesk.media.overlays.layout import OverlayLayout
from anchordesk.media.overlays.painting import begin, draw_elided, new_image, plain
from anchordesk.media.overlays.theme import Theme, qcolor


@dataclass(frozen=True)
class LowerThirdView:
    title: str
    subtitle: str = ""


def render_lower_third(
    view: LowerThirdView, theme: Theme, layout: OverlayLayout, fonts: FontFamilies
) -> QImage:
    """As wide as its text needs, at most the layout's width (longer text is elided)."""
    px = layout.px
    box = layout.lower_third
    title_font = fonts.font(px(32), bold=True)
    subtitle_font = fonts.font(px(20))
    title, subtitle = plain(view.title), plain(view.subtitle)
    edge = px(8)
    padding = px(18)
    text_width = QFontMetricsF(title_font).horizontalAdvance(title)
    if subtitle:
        text_width = max(text_width, QFontMetricsF(subtitle_font).horizontalAdvance(subtitle))
    width = min(box.width, int(edge + 2 * padding + text_width + 1))
    height = box.height if subtitle else px(60)
    image = new_image(width, height)
    painter = begin(image)
    try:
        radius = px(10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(qcolor(theme.panel))
        painter.drawRoundedRect(QRectF(0, 0, width, height), radius, radius)
        painter.setBrush(qcolor(theme.accent))
        painter.drawRoundedRect(QRectF(0, 0, edge, height), edge / 2, edge / 2)
        inner = QRectF(edge + padding, 0, width - edge - 2 * padding, height)
        if subtitle:
            title_rect = QRectF(inner.left(), px(8), inner.width(), height * 0.55 - px(4))
            subtitle_rect = QRectF(
                inner.left(),
                title_rect.bottom(),
                inner.width(),
                height - title_rect.bottom() - px(8),
            )
            draw_elided(painter, title, title_font, qcolor(theme.text), title_rect)
            draw_elided(painter, subtitle, subtitle_font, qcolor(theme.muted), subtitle_rect)
        else:
            draw_elided(painter, title, title_font, qcolor(theme.text), inner)
    finally:
        painter.end()
    return image
