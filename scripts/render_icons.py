"""Render the application icon's PNGs at the hicolor sizes from its SVG, with Qt's SVG renderer.

    .venv/bin/python scripts/render_icons.py      # writes resources/icons/hicolor/NxN/apps/*.png

The PNGs are committed (a desktop without an SVG loader, Windows and the frozen app's window
icon use them); run this again after changing the SVG. tests/packaging checks they exist at
every size and match the SVG's size.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from anchordesk.core import paths

#: The sizes of the freedesktop hicolor theme that desktops look up for an application icon.
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(size: int) -> QImage:
    renderer = QSvgRenderer(str(paths.icon_path()))
    if not renderer.isValid():
        raise SystemExit(f"{paths.icon_path()}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    for size in SIZES:
        target = paths.icon_path(size)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(size).save(str(target), "PNG"):
            print(f"could not write {target}", file=sys.stderr)
            return 1
        print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
