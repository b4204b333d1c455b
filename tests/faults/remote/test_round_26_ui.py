"""Round twenty-six of issue 10, the window's leftovers outside ui/ (hunt26ui)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from tests.media.test_overlays_render import card_view, named, render, scene

from anchordesk.media.overlays import CountdownState, CountdownView, ensure_gui_application
from anchordesk.media.overlays.fonts import font_families
from anchordesk.media.overlays.layout import OverlayLayout


@pytest.fixture(scope="module", autouse=True)
def gui() -> None:
    ensure_gui_application()


def _ink_ratio(pixels: np.ndarray, background: np.ndarray) -> float:
    """Width over height of what is written in ``pixels`` (BGRA) on ``background``."""
    ink = np.any(np.abs(pixels[:, :, :3].astype(int) - background.astype(int)) > 60, axis=2)
    rows = np.flatnonzero(ink.any(axis=1))
    columns = np.flatnonzero(ink.any(axis=0))
    assert rows.size and columns.size, "nothing written"
    return (columns[-1] - columns[0] + 1) / (rows[-1] - rows[0] + 1)


def _words_ratio(text: str, pixel_size: int) -> float:
    """The same ratio for ``text`` written whole in the picture's bold font, on its own."""
    font = font_families("en").font(pixel_size, bold=True)
    image = QImage(pixel_size * len(text), pixel_size * 3, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.black)
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(Qt.GlobalColor.white)
    painter.drawText(pixel_size, pixel_size * 2, text)
    painter.end()
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    pixels = pixels[:, : width * 4].reshape(height, width, 4)
    return _ink_ratio(pixels, np.zeros(3, np.uint8))


@pytest.mark.parametrize("canvas", [(1280, 720), (1920, 1080), (854, 480)])
def test_the_deal_banner_in_the_picture_says_all_claimed_whole_beside_its_clock(
    canvas: tuple[int, int],
) -> None:
    """A deal whose units are all claimed: at 1280×720 the picture's banner read "DEAL ALL
    CL…" beside its clock (R24hunt24ui left). Read from the picture's own layer: the words
    written left of the clock are as wide (for their height) as "DEAL ALL CLAIMED" whole."""
    view = CountdownView(0.0, 60.0, CountdownState.DEAL_SOLD_OUT)
    layer = named(render(scene(card=card_view(), countdown=view), canvas), "show.countdown")
    pixels = layer.bgra_premultiplied
    layout = OverlayLayout.for_canvas(*canvas)
    px = layout.px
    clock_font = font_families("en").font(px(40), bold=True, digits=True)

    clock_width = QFontMetricsF(clock_font).horizontalAdvance("00:00")
    padding, bar_height = px(16), px(10)
    bar_top = layout.countdown.height - padding - bar_height
    left = padding
    right = int(layout.countdown.width - padding - clock_width - px(12))
    words = pixels[px(4) : bar_top - px(6), left:right]
    background = pixels[px(6), left + px(2), :3]  # the panel beside the words
    written = _ink_ratio(words, background)
    whole = _words_ratio("DEAL ALL CLAIMED", 48)
    cut = _words_ratio("DEAL ALL CL…", 48)
    assert abs(written - whole) < abs(written - cut), (written, whole, cut)
    assert abs(written - whole) / whole < 0.1, (written, whole)
