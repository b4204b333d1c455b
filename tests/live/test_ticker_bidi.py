"""The picture's ticker joins the show's announcements on one line: a right-to-left override one
of them leaves open must end with it, not turn the next ones around on air (R8ui L2)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np

from anchordesk.live.runtime import ShowRuntime
from anchordesk.media.overlays.fonts import ensure_gui_application
from anchordesk.show.model import Product, Segment, Show

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 20),),
    rundown=(Segment("Mug", 300, "MUG"),),
)


def ticker_pixels(*announcements: str) -> np.ndarray:
    runtime = ShowRuntime(replace(SHOW, ticker=announcements), 0.0)
    [strip] = [layer for layer in runtime.layers(0.0, (1280, 720)) if layer.name == "show.ticker"]
    return np.asarray(strip.bgra_premultiplied)


def test_an_override_left_open_in_one_announcement_does_not_turn_the_next_around() -> None:
    ensure_gui_application()
    # What the author meant: "abc" shown right to left ("cba"), then "Free shipping" as is.
    meant = ticker_pixels("\u202eabc\u202c", "Free shipping")
    # Before: the open override ran on into "Free shipping", drawn "gnippihs eerF" on air.
    assert np.array_equal(ticker_pixels("\u202eabc", "Free shipping"), meant)
    assert not np.array_equal(ticker_pixels("abc", "Free shipping"), meant)  # the check sees it
