"""Draw the product pictures and logos of the sample shows (resources/shows/*/images/).

Run from the repository (all samples, or the languages named: zh, en, ja):
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_sample_images.py [ja ...]
The pictures are simple studio-style packshots (gradient backdrop, soft shadow, a shaded
bottle, jar, tube, box, mug, kettle, bag or tumbler with its label) so that the overlays and
the screenshots look like a real show without shipping anyone's photographs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QRadialGradient,
)

SIZE = 480
ROOT = Path(__file__).resolve().parents[1] / "resources" / "shows"
CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans", "DejaVu Sans"]


def _font(pixels: int, bold: bool = True) -> QFont:
    font = QFont()
    font.setFamilies(CJK_FAMILIES)
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


def _body_gradient(rect: QRectF, colour: QColor) -> QLinearGradient:
    gradient = QLinearGradient(rect.left(), 0, rect.right(), 0)
    gradient.setColorAt(0.0, colour.darker(135))
    gradient.setColorAt(0.35, colour.lighter(135))
    gradient.setColorAt(0.55, colour)
    gradient.setColorAt(1.0, colour.darker(160))
    return gradient


def _label(painter: QPainter, rect: QRectF, text: str, ink: QColor, pixels: int = 26) -> None:
    painter.setPen(QPen(ink))
    painter.setFont(_font(pixels))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)


def _backdrop(painter: QPainter, tint: QColor) -> None:
    gradient = QLinearGradient(0, 0, 0, SIZE)
    gradient.setColorAt(0.0, tint.lighter(175))
    gradient.setColorAt(1.0, tint.lighter(120))
    painter.fillRect(0, 0, SIZE, SIZE, gradient)
    shadow = QRadialGradient(QPointF(SIZE / 2, SIZE * 0.86), SIZE * 0.32)
    shadow.setColorAt(0.0, QColor(0, 0, 0, 90))
    shadow.setColorAt(1.0, QColor(0, 0, 0, 0))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(shadow))
    painter.drawEllipse(QRectF(SIZE * 0.18, SIZE * 0.80, SIZE * 0.64, SIZE * 0.12))


def bottle(painter: QPainter, colour: QColor, text: str) -> None:
    body = QRectF(170, 190, 140, 230)
    painter.setBrush(_body_gradient(body, colour))
    painter.drawRoundedRect(body, 26, 26)
    neck = QRectF(205, 150, 70, 48)
    painter.setBrush(_body_gradient(neck, QColor("#d9d9d9")))
    painter.drawRect(neck)
    bulb = QRectF(212, 70, 56, 86)
    painter.setBrush(_body_gradient(bulb, QColor("#2b2b2b")))
    painter.drawRoundedRect(bulb, 24, 24)
    painter.setBrush(QColor(255, 255, 255, 215))
    painter.drawRect(QRectF(182, 260, 116, 90))
    _label(painter, QRectF(182, 260, 116, 90), text, colour.darker(220), 22)


def jar(painter: QPainter, colour: QColor, text: str) -> None:
    lid = QRectF(130, 200, 220, 70)
    painter.setBrush(_body_gradient(lid, QColor("#c9a86a")))
    painter.drawRoundedRect(lid, 14, 14)
    body = QRectF(120, 262, 240, 150)
    painter.setBrush(_body_gradient(body, colour))
    painter.drawRoundedRect(body, 30, 30)
    _label(painter, QRectF(130, 290, 220, 100), text, colour.darker(240), 26)


def tube(painter: QPainter, colour: QColor, text: str) -> None:
    path = QPainterPath()
    path.moveTo(170, 90)
    path.lineTo(310, 90)
    path.lineTo(292, 380)
    path.lineTo(188, 380)
    path.closeSubpath()
    painter.setBrush(_body_gradient(QRectF(170, 90, 140, 290), colour))
    painter.drawPath(path)
    painter.setBrush(QColor("#e8e8e8"))
    painter.drawRect(QRectF(160, 70, 160, 24))
    cap = QRectF(205, 380, 70, 50)
    painter.setBrush(_body_gradient(cap, QColor("#3a3a3a")))
    painter.drawRoundedRect(cap, 8, 8)
    _label(painter, QRectF(180, 170, 120, 140), text, QColor("white"), 24)


def box(painter: QPainter, colour: QColor, text: str) -> None:
    front = QRectF(120, 150, 200, 260)
    side = QPainterPath()
    side.moveTo(320, 150)
    side.lineTo(370, 120)
    side.lineTo(370, 380)
    side.lineTo(320, 410)
    side.closeSubpath()
    top = QPainterPath()
    top.moveTo(120, 150)
    top.lineTo(170, 120)
    top.lineTo(370, 120)
    top.lineTo(320, 150)
    top.closeSubpath()
    painter.setBrush(colour.darker(140))
    painter.drawPath(side)
    painter.setBrush(colour.lighter(130))
    painter.drawPath(top)
    painter.setBrush(colour)
    painter.drawRect(front)
    painter.setBrush(QColor(255, 255, 255, 220))
    painter.drawEllipse(QRectF(150, 190, 140, 140))
    _label(painter, QRectF(150, 190, 140, 140), text, colour.darker(200), 24)


def mug(painter: QPainter, colour: QColor, text: str) -> None:
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(colour.darker(130), 26))
    painter.drawEllipse(QRectF(300, 210, 90, 120))
    painter.setPen(Qt.PenStyle.NoPen)
    body = QRectF(120, 170, 210, 240)
    painter.setBrush(_body_gradient(body, colour))
    painter.drawRoundedRect(body, 22, 22)
    painter.setBrush(QColor("#4a2c1a"))
    painter.drawEllipse(QRectF(128, 162, 194, 30))
    _label(painter, QRectF(130, 250, 190, 90), text, QColor("white"), 26)


def kettle(painter: QPainter, colour: QColor, text: str) -> None:
    body = QPainterPath()
    body.moveTo(140, 410)
    body.cubicTo(120, 300, 160, 190, 240, 180)
    body.cubicTo(320, 190, 360, 300, 340, 410)
    body.closeSubpath()
    painter.setBrush(_body_gradient(QRectF(120, 180, 240, 230), colour))
    painter.drawPath(body)
    spout = QPainterPath()
    spout.moveTo(150, 330)
    spout.cubicTo(100, 300, 80, 240, 60, 200)
    spout.lineTo(75, 195)
    spout.cubicTo(100, 240, 120, 280, 165, 300)
    spout.closeSubpath()
    painter.drawPath(spout)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor("#2b2b2b"), 14))
    painter.drawArc(QRectF(180, 120, 120, 110), 0, 180 * 16)
    painter.setPen(Qt.PenStyle.NoPen)
    _label(painter, QRectF(170, 290, 140, 80), text, QColor("white"), 24)


def bag(painter: QPainter, colour: QColor, text: str) -> None:
    path = QPainterPath()
    path.moveTo(150, 120)
    path.lineTo(330, 120)
    path.lineTo(350, 410)
    path.lineTo(130, 410)
    path.closeSubpath()
    painter.setBrush(_body_gradient(QRectF(130, 120, 220, 290), colour))
    painter.drawPath(path)
    painter.setBrush(colour.darker(150))
    painter.drawRect(QRectF(150, 120, 180, 22))
    painter.setBrush(QColor(255, 255, 255, 225))
    painter.drawRoundedRect(QRectF(165, 210, 150, 130), 10, 10)
    _label(painter, QRectF(165, 210, 150, 130), text, colour.darker(200), 24)


def tumbler(painter: QPainter, colour: QColor, text: str) -> None:
    body = QRectF(180, 120, 120, 300)
    painter.setBrush(_body_gradient(body, colour))
    painter.drawRoundedRect(body, 18, 18)
    lid = QRectF(174, 92, 132, 40)
    painter.setBrush(_body_gradient(lid, QColor("#222222")))
    painter.drawRoundedRect(lid, 10, 10)
    _label(painter, QRectF(184, 220, 112, 100), text, QColor("white"), 22)


def draw(
    shape: Callable[[QPainter, QColor, str], None], colour: str, text: str, path: Path
) -> None:
    image = QImage(SIZE, SIZE, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    tint = QColor(colour)
    _backdrop(painter, tint)
    painter.setPen(Qt.PenStyle.NoPen)
    shape(painter, tint, text)
    painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        raise SystemExit(f"cannot write {path}")


def logo(text: str, colour: str, path: Path) -> None:
    image = QImage(256, 256, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(QRectF(8, 8, 240, 240), 56, 56)
    _label(painter, QRectF(8, 8, 240, 240), text, QColor("white"), 96)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise SystemExit(f"cannot write {path}")


def draw_zh() -> None:
    zh = ROOT / "zh" / "images"
    draw(bottle, "#e8a0b4", "玻尿酸\n精华液", zh / "serum.png")
    draw(jar, "#f3e3c3", "修护\n面霜", zh / "cream.png")
    draw(tube, "#6fb7c9", "氨基酸\n洁面乳", zh / "cleanser.png")
    draw(box, "#9fc98f", "补水\n面膜", zh / "mask.png")
    logo("秋", "#ff3355", ROOT / "zh" / "logo.png")


def draw_en() -> None:
    en = ROOT / "en" / "images"
    draw(mug, "#d9534f", "Cozy\nMug", en / "mug.png")
    draw(kettle, "#5b7db1", "Pour\nOver", en / "kettle.png")
    draw(bag, "#8d6e4f", "Single\nOrigin", en / "beans.png")
    draw(tumbler, "#3f8f6b", "Travel\n500ml", en / "tumbler.png")
    logo("CK", "#1e88e5", ROOT / "en" / "logo.png")


def draw_ja() -> None:
    ja = ROOT / "ja" / "images"
    draw(jar, "#7cb342", "宇治\n抹茶", ja / "matcha.png")
    draw(kettle, "#a0522d", "常滑\n急須", ja / "kyusu.png")
    draw(mug, "#4f6d8f", "有田\n湯呑", ja / "yunomi.png")
    draw(bag, "#9c6b43", "焙じ茶\n20包", ja / "hojicha.png")
    logo("和", "#2e7d32", ROOT / "ja" / "logo.png")


SAMPLES = {"zh": draw_zh, "en": draw_en, "ja": draw_ja}


def main(argv: list[str]) -> int:
    """Draw the samples named on the command line (zh, en, ja), or all of them."""
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    for language in argv or list(SAMPLES):
        if language not in SAMPLES:
            raise SystemExit(f"no sample show {language!r}; choose from {', '.join(SAMPLES)}")
        SAMPLES[language]()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
