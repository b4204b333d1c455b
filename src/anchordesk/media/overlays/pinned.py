"""A pinned comment: an audience member's name and words, always as plain text.

Comments come from strangers: ``<b>`` or ``<img src=…>`` in a comment must appear as those
characters, never as markup. Text is laid out with QTextLayout/drawText, which never parse
HTML (unlike QLabel or QTextDocument with Qt's rich-text autodetection).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QImage

from anchordesk.media.overlays.fonts import FontFamilies
from anchordesk.media.overlays.labels import Labels
from anchordesk.media.overlays.layout import OverlayLayout
from anchordesk.media.overlays.painting import (
    begin,
    draw_elided,
    draw_text_block,
    new_image,
    plain,
    wrap_lines,
)
from anchordesk.media.overlays.theme import Theme, qcolor

MAX_LINES = 3


@dataclass(frozen=True)
class PinnedCommentView:
    author: str
    text: str


def render_pinned(
    view: PinnedCommentView,
    theme: Theme,
    layout: OverlayLayout,
    fonts: FontFamilies,
    labels: Labels,
) -> QImage:
    """As tall as the comment needs (up to three lines), as wide as the layout allows."""
    px = layout.px
    box = layout.pinned
    padding = px(14)
    header_font = fonts.font(px(20), bold=True)
    body_font = fonts.font(px(22))
    header_height = QFontMetricsF(header_font).height()
    body_width = box.width - 2 * padding
    body_metrics = QFontMetricsF(body_font)
    text = plain(view.text)
    # Measure first so the bubble hugs short comments.
    lines = max(1, len(wrap_lines(text, body_font, body_width, MAX_LINES)))
    height = int(padding + header_height + px(4) + lines * body_metrics.lineSpacing() + padding)
    height = min(height, box.height)
    image = new_image(box.width, height)
    painter = begin(image)
    try:
        radius = px(14)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(qcolor(theme.panel))
        painter.drawRoundedRect(QRectF(0, 0, box.width, height), radius, radius)

        tag_padding = px(8)
        tag_width = QFontMetricsF(header_font).horizontalAdvance(labels.pinned) + 2 * tag_padding
        tag = QRectF(padding, padding, tag_width, header_height)
        painter.setBrush(qcolor(theme.accent))
        painter.drawRoundedRect(tag, px(6), px(6))
        draw_elided(
            painter, labels.pinned, header_font, qcolor(theme.on_accent),
            tag.adjusted(tag_padding, 0, -tag_padding, 0), Qt.AlignmentFlag.AlignHCenter,
        )  # fmt: skip
        author_rect = QRectF(
            tag.right() + px(10), padding, box.width - tag.right() - px(10) - padding, header_height
        )
        draw_elided(painter, view.author, header_font, qcolor(theme.accent), author_rect)
        draw_text_block(
            painter, text, body_font, qcolor(theme.text), padding,
            padding + header_height + px(4), body_width, MAX_LINES,
        )  # fmt: skip
    finally:
        painter.end()
    return image
