"""Shared drawing helpers: images that become layers, plain-text blocks, images from files."""

from __future__ import annotations

import itertools
import logging
import re
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QImageReader,
    QPainter,
    QTextLayout,
    QTextOption,
)

from anchordesk.media.layers import OverlayLayer

log = logging.getLogger(__name__)

_versions = itertools.count(1)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def next_version() -> int:
    """A version number no other rendering ever had (the compositor caches by it)."""
    return next(_versions)


def new_image(width: int, height: int) -> QImage:
    image = QImage(max(1, width), max(1, height), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    return image


def begin(image: QImage) -> QPainter:
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    return painter


def image_to_bgra(image: QImage) -> np.ndarray[tuple[int, int, int], np.dtype[np.uint8]]:
    """Copy a premultiplied ARGB32 QImage out as (height, width, 4) BGRA bytes.

    ARGB32 stored as 32-bit words is B, G, R, A in memory on little-endian machines, which is
    the layer format; the copy lets the QImage go and keeps the layer immutable.
    """
    if image.format() != QImage.Format.Format_ARGB32_Premultiplied:
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    pixels = raw.reshape(height, stride)[:, : width * 4].reshape(height, width, 4).copy()
    pixels.flags.writeable = False
    return pixels


def to_layer(image: QImage, name: str, x: int, y: int, z: int) -> OverlayLayer:
    return OverlayLayer(
        name=name, x=x, y=y, z=z, version=next_version(), bgra_premultiplied=image_to_bgra(image)
    )


def plain(text: str) -> str:
    """Outside text on one line: control characters and line breaks become single spaces.

    Text is only ever laid out as plain text (QTextLayout / drawText): nothing here is HTML.
    """
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def wrap_lines(text: str, font: QFont, width: float, max_lines: int) -> list[str]:
    """Plain text wrapped to ``width`` in at most ``max_lines`` lines, the last one elided.

    Wraps at word boundaries, or anywhere for CJK text that has no spaces.
    """
    text = plain(text)
    if not text or width <= 0 or max_lines <= 0:
        return []
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    spans: list[tuple[int, int]] = []
    layout.beginLayout()
    while len(spans) < max_lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        spans.append((line.textStart(), line.textLength()))
    layout.endLayout()
    metrics = QFontMetricsF(font)
    lines = [text[start : start + length].rstrip() for start, length in spans[:-1]]
    last_start = spans[-1][0]
    lines.append(metrics.elidedText(text[last_start:], Qt.TextElideMode.ElideRight, width))
    return lines


def draw_text_block(
    painter: QPainter,
    text: str,
    font: QFont,
    colour: QColor,
    x: float,
    y: float,
    width: float,
    max_lines: int,
) -> float:
    """Draw :func:`wrap_lines` from (x, y) down; return the height used."""
    lines = wrap_lines(text, font, width, max_lines)
    metrics = QFontMetricsF(font)
    painter.setFont(font)
    painter.setPen(colour)
    for index, line_text in enumerate(lines):
        baseline = y + index * metrics.lineSpacing() + metrics.ascent()
        painter.drawText(QPointF(x, baseline), line_text)
    return len(lines) * metrics.lineSpacing()


def draw_elided(
    painter: QPainter,
    text: str,
    font: QFont,
    colour: QColor,
    rect: QRectF,
    alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
) -> float:
    """One line of plain text elided to the rect's width; returns the drawn width."""
    metrics = QFontMetricsF(font)
    line = metrics.elidedText(plain(text), Qt.TextElideMode.ElideRight, rect.width())
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(rect, int(alignment | Qt.AlignmentFlag.AlignVCenter), line)
    return min(rect.width(), metrics.horizontalAdvance(line))


def draw_fitted(
    painter: QPainter,
    text: str,
    font: QFont,
    smallest_px: int,
    colour: QColor,
    rect: QRectF,
) -> float:
    """One line of plain text at ``font``'s size, made smaller (down to ``smallest_px``) until
    it fits the rect, elided only past that: the deal's word "DEAL ALL CLAIMED" beside its
    clock was cut to "DEAL ALL CL…" at 1280×720 (R24hunt24ui left). Returns the drawn width."""
    line = plain(text)
    fitted = QFont(font)
    size = fitted.pixelSize()
    while size > smallest_px and QFontMetricsF(fitted).horizontalAdvance(line) > rect.width():
        size -= 1
        fitted.setPixelSize(size)
    return draw_elided(painter, line, fitted, colour, rect)


class ImageCache:
    """Product images and logos: decoded once, scaled once per target size.

    Safe to use from the pipeline thread while the app thread preloads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._originals: dict[Path, QImage | None] = {}
        self._scaled: dict[tuple[Path, int, int], QImage | None] = {}

    def preload(self, paths: list[Path]) -> None:
        """Decode images ahead of time so a segment change never waits for a PNG decoder."""
        for path in paths:
            self._original(path)

    def _original(self, path: Path) -> QImage | None:
        with self._lock:
            if path in self._originals:
                return self._originals[path]
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)  # phone photos carry their rotation in EXIF
        image = reader.read()
        result: QImage | None = image
        if image.isNull():
            log.warning("image %s could not be read: %s", path, reader.errorString())
            result = None
        else:
            result = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        with self._lock:
            self._originals[path] = result
        return result

    def fitted(self, path: Path, width: int, height: int) -> QImage | None:
        """The image scaled to fit inside width x height, aspect kept; None if unreadable."""
        key = (path, width, height)
        with self._lock:
            if key in self._scaled:
                return self._scaled[key]
        original = self._original(path)
        scaled = (
            None
            if original is None
            else original.scaled(
                QSize(width, height),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        with self._lock:
            self._scaled[key] = scaled
        return scaled
