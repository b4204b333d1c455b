"""A text banner overlay (``anchordesk live --banner TEXT``): the smallest real OverlaySource.

Drawn with QPainter (real text layout, CJK fallback fonts) once per text or canvas change; every
other frame returns the same layer object, so the compositor re-uses its prepared copy.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF

from anchordesk.media.layers import OverlayLayer
from anchordesk.media.overlays.fonts import font_families
from anchordesk.media.overlays.painting import begin, new_image, plain, to_layer

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _language_of(text: str) -> str:
    if _KANA.search(text):
        return "ja"
    if _HAN.search(text):
        return "zh_CN"
    return "en"


class TextBanner:
    """A one-line banner across the top of the picture, on a translucent dark band.

    ``set_text`` may be called from any thread; the pipeline thread renders on its next frame.
    """

    def __init__(
        self, text: str, *, name: str = "banner", z: int = 100, vertical_position: float = 0.0
    ) -> None:
        """``vertical_position``: 0.0 at the top of the picture, 1.0 at the bottom."""
        self._text = plain(text)
        self._vertical_position = min(max(vertical_position, 0.0), 1.0)
        self._name = name
        self._z = z
        self._lock = threading.Lock()
        self._layer: OverlayLayer | None = None
        self._rendered_for: tuple[str, tuple[int, int]] | None = None

    def set_text(self, text: str) -> None:
        with self._lock:
            self._text = plain(text)

    def layers(self, now_s: float, canvas_size: tuple[int, int]) -> Sequence[OverlayLayer]:
        with self._lock:
            text = self._text
        if not text:
            return ()
        key = (text, canvas_size)
        if key != self._rendered_for or self._layer is None:
            self._layer = self._render(text, canvas_size)
            self._rendered_for = key
        return (self._layer,)

    def _render(self, text: str, canvas_size: tuple[int, int]) -> OverlayLayer:
        canvas_width, canvas_height = canvas_size
        short_side = min(canvas_width, canvas_height)
        margin = round(short_side * 0.04)
        font = QFont()
        font.setFamilies(list(font_families(_language_of(text)).text))
        font.setPixelSize(max(12, round(short_side * 0.05)))
        font.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetricsF(font)
        padding = round(font.pixelSize() * 0.5)
        width = canvas_width - 2 * margin
        height = round(metrics.height()) + 2 * padding
        image = new_image(width, height)
        painter = begin(image)
        try:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 170))
            painter.drawRoundedRect(QRectF(0, 0, width, height), padding, padding)
            painter.setFont(font)
            painter.setPen(QColor(255, 255, 255))
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width - 2 * padding)
            painter.drawText(
                QRectF(padding, 0, width - 2 * padding, height),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                elided,
            )
        finally:
            painter.end()
        y = margin + round(self._vertical_position * (canvas_height - height - 2 * margin))
        return to_layer(image, self._name, margin, y, self._z)
