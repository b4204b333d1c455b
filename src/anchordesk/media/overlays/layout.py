"""Where each overlay goes on a 16:9 or a 9:16 canvas, with sizes that scale with the canvas.

Sizes are designed for the short side of 720 px and scale linearly, so 1080p looks like 720p,
only sharper. Landscape: card and countdown down the right side, lower third and pinned
comment on the left, the ticker along the bottom. Portrait (phone apps put their own comment
list and buttons over the bottom-right): card and countdown in the lower middle, lower third
near the top, ticker at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def bottom(self) -> int:
        return self.y + self.height


@dataclass(frozen=True)
class OverlayLayout:
    canvas_width: int
    canvas_height: int
    scale: float
    portrait: bool
    margin: int
    card: Box  # the card's box; its height is the most it may use
    card_horizontal: bool  # image beside the text (portrait) or above it (landscape)
    countdown: Box
    lower_third: Box  # width is the most the lower third may use
    pinned: Box  # width and height are the most the pinned comment may use
    ticker: Box
    logo: Box  # the logo is fitted into this box, keeping its aspect ratio

    def px(self, design_px: float) -> int:
        """A size designed at 720 px short side, on this canvas."""
        return max(1, round(design_px * self.scale))

    @classmethod
    def for_canvas(cls, width: int, height: int) -> OverlayLayout:
        scale = min(width, height) / 720

        def px(value: float) -> int:
            return max(1, round(value * scale))

        margin = px(24)
        ticker_height = px(44)
        ticker = Box(0, height - ticker_height, width, ticker_height)
        logo = Box(margin, margin, px(200), px(64))
        countdown_height = px(76)
        gap = px(12)
        if width >= height:
            card_width = px(340)
            card_x = width - margin - card_width
            card_height = px(430)
            card = Box(card_x, margin, card_width, card_height)
            countdown = Box(card_x, card.bottom + gap, card_width, countdown_height)
            lower_third_height = px(92)
            lower_third = Box(
                margin,
                ticker.y - margin - lower_third_height,
                min(px(640), card_x - 2 * margin),
                lower_third_height,
            )
            pinned_height = px(150)
            pinned = Box(
                margin,
                lower_third.y - gap - pinned_height,
                min(px(460), card_x - 2 * margin),
                pinned_height,
            )
            return cls(
                width, height, scale, False, margin, card, False, countdown, lower_third,
                pinned, ticker, logo,
            )  # fmt: skip
        inner_width = width - 2 * margin
        card_height = px(220)
        card = Box(margin, ticker.y - margin - card_height, inner_width, card_height)
        countdown = Box(margin, card.y - gap - countdown_height, inner_width, countdown_height)
        pinned_height = px(150)
        pinned = Box(margin, countdown.y - gap - pinned_height, px(520), pinned_height)
        lower_third = Box(margin, logo.bottom + gap, inner_width, px(92))
        return cls(
            width, height, scale, True, margin, card, True, countdown, lower_third, pinned,
            ticker, logo,
        )  # fmt: skip
