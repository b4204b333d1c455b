"""The brand look of the overlays: the show's accent colour and logo, on a light or dark base."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtGui import QColor


class Look(Enum):
    DARK = "dark"
    LIGHT = "light"


# RGBA tuples keep the theme hashable and free of Qt objects, so it can be part of cache keys
# and be built on any thread.
Rgba = tuple[int, int, int, int]


def parse_colour(text: str, default: Rgba = (255, 51, 85, 255)) -> Rgba:
    """``#rgb``, ``#rrggbb`` or ``#aarrggbb`` (Qt's spelling) as RGBA; the default if invalid."""
    colour = QColor(text.strip()) if text else QColor()
    if not colour.isValid():
        return default
    return (colour.red(), colour.green(), colour.blue(), colour.alpha())


def qcolor(rgba: Rgba) -> QColor:
    return QColor(rgba[0], rgba[1], rgba[2], rgba[3])


def _urgency_for(accent: Rgba) -> Rgba:
    """Red says "hurry" — unless the brand is already red, where red would not stand out."""
    hue, _lightness, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in accent[:3]))
    reddish = saturation > 0.25 and (hue < 25 / 360 or hue > 330 / 360)
    return (255, 184, 0, 255) if reddish else (255, 45, 45, 255)


def _text_on(background: Rgba) -> Rgba:
    """Black or white, whichever reads better on the background (WCAG relative luminance)."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    luminance = (
        0.2126 * linear(background[0])
        + 0.7152 * linear(background[1])
        + 0.0722 * linear(background[2])
    )
    return (20, 20, 24, 255) if luminance > 0.4 else (255, 255, 255, 255)


@dataclass(frozen=True)
class Theme:
    accent: Rgba = (255, 51, 85, 255)
    look: Look = Look.DARK
    logo_path: Path | None = None

    @classmethod
    def from_show(
        cls, accent: str | None, logo_path: Path | None = None, look: Look | str = Look.DARK
    ) -> Theme:
        return cls(
            accent=parse_colour(accent or ""),
            look=Look(look) if isinstance(look, str) else look,
            logo_path=logo_path,
        )

    @property
    def panel(self) -> Rgba:
        return (18, 18, 24, 214) if self.look is Look.DARK else (255, 255, 255, 235)

    @property
    def text(self) -> Rgba:
        return (255, 255, 255, 255) if self.look is Look.DARK else (22, 22, 28, 255)

    @property
    def muted(self) -> Rgba:
        return (176, 176, 186, 255) if self.look is Look.DARK else (110, 110, 120, 255)

    @property
    def track(self) -> Rgba:
        """The empty part of a bar."""
        return (255, 255, 255, 56) if self.look is Look.DARK else (0, 0, 0, 36)

    @property
    def on_accent(self) -> Rgba:
        return _text_on(self.accent)

    @property
    def urgency(self) -> Rgba:
        return _urgency_for(self.accent)

    @property
    def on_urgency(self) -> Rgba:
        return _text_on(self.urgency)

    @property
    def sold_out(self) -> Rgba:
        return (120, 120, 128, 255)
