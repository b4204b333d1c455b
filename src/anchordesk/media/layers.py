"""Overlay layers: what the show draws and the compositor blends over the camera picture.

A layer is pre-rendered once per content change into premultiplied BGRA pixels — the memory
layout of ``QImage.Format_ARGB32_Premultiplied`` on little-endian machines, so a QImage can be
viewed as a layer without conversion. The canvas itself is BGR (OpenCV's order), so the blend
needs no channel swap. ``version`` changes whenever the pixels change; the compositor caches
per (name, version) and re-uploads nothing otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True, eq=False)
class OverlayLayer:
    name: str
    x: int
    y: int
    z: int
    version: int
    bgra_premultiplied: npt.NDArray[np.uint8]  # shape (height, width, 4)

    @property
    def width(self) -> int:
        return int(self.bgra_premultiplied.shape[1])

    @property
    def height(self) -> int:
        return int(self.bgra_premultiplied.shape[0])


class OverlaySource(Protocol):
    """Something that puts layers on the picture (a banner, the show's cards and timers).

    Called from the pipeline thread once per output frame with the media time; it must be cheap
    when nothing changed (return the same layer objects) and re-render only on a content change.
    """

    def layers(self, now_s: float, canvas_size: tuple[int, int]) -> Sequence[OverlayLayer]: ...
