"""The product card: image, title, price (list price struck through under a deal), stock left,
and a sold-out state."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from anchordesk.core.money import format_money
from anchordesk.media.overlays.fonts import FontFamilies
from anchordesk.media.overlays.labels import Labels
from anchordesk.media.overlays.layout import OverlayLayout
from anchordesk.media.overlays.painting import (
    ImageCache,
    begin,
    draw_elided,
    draw_fitted,
    draw_text_block,
    new_image,
)
from anchordesk.media.overlays.theme import Theme, qcolor

# At or below this many left, the stock counter takes the urgency colour.
LOW_STOCK = 10


@dataclass(frozen=True)
class CardView:
    """What the card shows; equal views render to identical pixels (the cache key)."""

    title: str
    price: Decimal  # the list price
    currency: str
    deal_price: Decimal | None = None  # a live deal's price: the list price is struck through
    stock_left: int | None = None  # None: do not show a counter
    sold_out: bool = False
    image_path: Path | None = None
    sku: str = ""


def _price_text(amount: Decimal, currency: str, language: str) -> str:
    """A price as the card writes it: the program's formatter in the show's language; a whole
    price without its zeros (¥129, as live-commerce cards write it), any other with all its
    digits (a KWD price keeps three, and nothing is rounded in front of the viewers)."""
    return format_money(amount, currency, language, drop_zero_fraction=True)


def render_card(
    view: CardView,
    theme: Theme,
    layout: OverlayLayout,
    fonts: FontFamilies,
    labels: Labels,
    images: ImageCache,
) -> QImage:
    """As tall as its content needs, at most the layout's card box."""
    box = layout.card
    px = layout.px
    image = new_image(box.width, box.height)
    painter = begin(image)
    try:
        content_bottom = _draw(painter, view, theme, layout, fonts, labels, images)
        height = min(box.height, math.ceil(content_bottom + px(16)))
        # The panel goes behind what is drawn, now that the content's height is known.
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationOver)
        panel = QPainterPath()
        radius = px(18)
        panel.addRoundedRect(QRectF(0, 0, box.width, height), radius, radius)
        painter.setClipPath(panel)
        painter.setPen(Qt.PenStyle.NoPen)
        # An accent edge ties the card to the brand without colouring the whole panel.
        painter.fillRect(QRectF(0, 0, px(6), height), qcolor(theme.accent))
        painter.fillRect(QRectF(0, 0, box.width, height), qcolor(theme.panel))
    finally:
        painter.end()
    return image.copy(0, 0, box.width, height)


def _draw(
    painter: QPainter,
    view: CardView,
    theme: Theme,
    layout: OverlayLayout,
    fonts: FontFamilies,
    labels: Labels,
    images: ImageCache,
) -> float:
    """Draw everything but the panel; return the bottom of the content."""
    px = layout.px
    width, height = layout.card.width, layout.card.height
    padding = px(16)

    if layout.card_horizontal:
        side = height - 2 * padding
        picture = QRectF(padding, padding, side, side)
        text = QRectF(picture.right() + padding, padding, width - side - 3 * padding, side)
        title_lines = 2
    else:
        picture = QRectF(padding, padding, width - 2 * padding, px(190))
        text = QRectF(
            padding,
            picture.bottom() + px(12),
            width - 2 * padding,
            height - picture.bottom() - px(12) - padding,
        )
        title_lines = 2

    _draw_picture(painter, view, theme, picture, fonts, images, px(12))
    on_deal = view.deal_price is not None and not view.sold_out
    if on_deal:
        _draw_badge(painter, labels.deal, theme, fonts, picture, px)

    y = text.top()
    title_font = fonts.font(px(24), bold=True)
    y += draw_text_block(
        painter, view.title, title_font, qcolor(theme.text), text.left(), y, text.width(),
        title_lines,
    )  # fmt: skip
    y += px(6)

    price_font = fonts.font(px(44), bold=True)
    shown_price = view.deal_price if view.deal_price is not None else view.price
    price_colour = qcolor(theme.sold_out if view.sold_out else theme.accent)
    price_text = _price_text(shown_price, view.currency, fonts.language)
    price_height = QFontMetricsF(price_font).height()
    price_rect = QRectF(text.left(), y, text.width(), price_height)
    # A price too wide for the card is drawn smaller, never elided: "KWD 888,88…" on air is
    # another number (a 888,888,888.888 deal in a KWD show); a list price that does not fit
    # whole beside it is left out rather than cut.
    advance = draw_fitted(painter, price_text, price_font, px(20), price_colour, price_rect)
    if view.deal_price is not None:
        list_font = fonts.font(px(22))
        list_text = _price_text(view.price, view.currency, fonts.language)
        list_left = text.left() + advance + px(12)
        list_rect = QRectF(list_left, y + px(8), text.right() - list_left, price_height - px(8))
        fits = QFontMetricsF(list_font).horizontalAdvance(list_text) <= list_rect.width()
        list_width = (
            draw_elided(painter, list_text, list_font, qcolor(theme.muted), list_rect)
            if fits
            else 0
        )
        if list_width > 0:
            strike_y = list_rect.center().y()
            painter.setPen(QPen(qcolor(theme.muted), max(1.0, px(2))))
            painter.drawLine(
                QPointF(list_left - px(2), strike_y),
                QPointF(list_left + list_width + px(2), strike_y),
            )
    y += price_height + px(4)

    stock_font = fonts.font(px(22), bold=True)
    stock_rect = QRectF(text.left(), y, text.width(), QFontMetricsF(stock_font).height())
    if view.sold_out:
        draw_elided(painter, labels.sold_out, stock_font, qcolor(theme.urgency), stock_rect)
    elif view.stock_left is not None:
        low = view.stock_left <= LOW_STOCK
        colour = qcolor(theme.urgency if low else theme.text)
        draw_elided(painter, labels.left(view.stock_left), stock_font, colour, stock_rect)
    if view.sold_out or view.stock_left is not None:
        y += stock_rect.height()

    if view.sold_out:
        _draw_sold_out_stamp(painter, labels.sold_out, theme, fonts, picture, px)
    return max(y, picture.bottom())


def _draw_picture(
    painter: QPainter,
    view: CardView,
    theme: Theme,
    picture: QRectF,
    fonts: FontFamilies,
    images: ImageCache,
    radius: int,
) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(qcolor(theme.track))
    painter.drawRoundedRect(picture, radius, radius)
    product_image = (
        images.fitted(view.image_path, int(picture.width()), int(picture.height()))
        if view.image_path is not None
        else None
    )
    if product_image is not None:
        x = picture.left() + (picture.width() - product_image.width()) / 2
        y = picture.top() + (picture.height() - product_image.height()) / 2
        painter.drawImage(QPointF(x, y), product_image)
    else:
        # No picture (none given, or it cannot be read): a drawn shopping bag. Never the SKU:
        # an internal code means nothing to viewers and looks like a mistake on air.
        _draw_placeholder(painter, theme, picture)
    if view.sold_out:
        # Grey the product out: the card stays readable but clearly not buyable.
        veil = QColor(qcolor(theme.panel))
        veil.setAlpha(170)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(veil)
        painter.drawRoundedRect(picture, radius, radius)


def _draw_placeholder(painter: QPainter, theme: Theme, picture: QRectF) -> None:
    """A shopping bag in the muted colour, centred in the tile, sized to it."""
    side = min(picture.width(), picture.height()) * 0.5
    if side < 8:
        return
    colour = qcolor(theme.muted)
    centre = picture.center()
    body = QRectF(centre.x() - side / 2, centre.y() - side * 0.3, side, side * 0.75)
    pen = QPen(colour, max(1.5, side / 14))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(body, side / 12, side / 12)
    handle = QRectF(centre.x() - side / 4, body.top() - side * 0.28, side / 2, side * 0.56)
    painter.drawArc(handle, 0, 180 * 16)
    painter.setPen(Qt.PenStyle.NoPen)


def _draw_badge(
    painter: QPainter,
    text: str,
    theme: Theme,
    fonts: FontFamilies,
    picture: QRectF,
    px: Callable[[float], int],
) -> None:
    font = fonts.font(px(18), bold=True)
    metrics = QFontMetricsF(font)
    pad = px(10)
    badge = QRectF(
        picture.left() + px(8),
        picture.top() + px(8),
        min(metrics.horizontalAdvance(text) + 2 * pad, picture.width() - px(16)),
        metrics.height() + px(6),
    )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(qcolor(theme.accent))
    painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
    draw_elided(
        painter, text, font, qcolor(theme.on_accent), badge.adjusted(pad, 0, -pad, 0),
        Qt.AlignmentFlag.AlignHCenter,
    )  # fmt: skip


def _draw_sold_out_stamp(
    painter: QPainter,
    text: str,
    theme: Theme,
    fonts: FontFamilies,
    picture: QRectF,
    px: Callable[[float], int],
) -> None:
    font = fonts.font(px(40), bold=True)
    metrics = QFontMetricsF(font)
    stamp_width = min(metrics.horizontalAdvance(text) + px(36), picture.width() * 0.9)
    stamp_height = metrics.height() + px(12)
    painter.save()
    painter.translate(picture.center())
    painter.rotate(-12)
    stamp = QRectF(-stamp_width / 2, -stamp_height / 2, stamp_width, stamp_height)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(qcolor(theme.urgency), max(2.0, px(4))))
    painter.drawRoundedRect(stamp, px(8), px(8))
    draw_elided(
        painter, text, font, qcolor(theme.urgency), stamp.adjusted(px(12), 0, -px(12), 0),
        Qt.AlignmentFlag.AlignHCenter,
    )  # fmt: skip
    painter.restore()
