"""A moving test pattern with a burnt-in clock and frame counter.

It makes problems visible on the receiving side: a frame number that jumps shows a dropped frame,
the wall-clock time next to a viewer's own clock shows the end-to-end latency, and the white
square that flashes at each whole second lines up with the tone's beep (A/V sync by eye and ear).

Per frame only the regions that change are redrawn (the sweeping bar, the flash square, the text
box), so the pattern costs a fraction of a millisecond even at 1080p.
"""

from __future__ import annotations

import datetime
import itertools
import math

import cv2
import numpy as np
import numpy.typing as npt

from anchordesk.media.sources.base import SourceState, SourceStatus, VideoFrameRef

_BAR_COLOURS_BGR = [
    (192, 192, 192),
    (0, 192, 192),
    (192, 192, 0),
    (0, 192, 0),
    (192, 0, 192),
    (0, 0, 192),
    (192, 0, 0),
]
_FLASH_S = 0.1  # the tone beeps for the same span at each whole second
_SWEEP_PERIOD_S = 2.0
_source_ids = itertools.count(1)


def _base_picture(width: int, height: int) -> npt.NDArray[np.uint8]:
    picture = np.zeros((height, width, 3), np.uint8)
    bars_bottom = height * 2 // 3
    for index, colour in enumerate(_BAR_COLOURS_BGR):
        left = index * width // len(_BAR_COLOURS_BGR)
        right = (index + 1) * width // len(_BAR_COLOURS_BGR)
        picture[:bars_bottom, left:right] = colour
    ramp = np.linspace(0, 255, width, dtype=np.float32).astype(np.uint8)
    picture[bars_bottom:, :, :] = ramp[np.newaxis, :, np.newaxis]
    return picture


class TestPatternSource:
    """Colour bars, a bar sweeping across every two seconds, a flash each second, and text."""

    __test__ = False  # not a pytest class despite the name

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 30.0) -> None:
        self._width = width
        self._height = height
        self._fps = fps
        self._base = _base_picture(width, height)
        self._picture = self._base.copy()
        self._source_id = next(_source_ids)
        self._sequence = 0
        scale = min(width, height) / 720  # vertical canvases: fit the narrow side
        self._font_scale = 1.1 * scale
        self._thickness = max(1, round(2 * scale))
        self._bar_width = max(4, width // 64)
        box_height = round(110 * scale)
        self._text_box = (
            round(24 * scale),
            height - box_height - round(24 * scale),
            min(width - round(48 * scale), round(760 * scale)),
            box_height,
        )
        self._flash_box = (
            width - round(140 * scale),
            round(24 * scale),
            round(100 * scale),
            round(100 * scale),
        )
        self._dirty: list[tuple[int, int, int, int]] = []
        self._state = SourceState.STOPPED

    @property
    def name(self) -> str:
        return "test pattern"

    def start(self) -> None:
        self._state = SourceState.ACTIVE

    def stop(self) -> None:
        self._state = SourceState.STOPPED

    def status(self) -> SourceStatus:
        return SourceStatus(self.name, self._state, f"{self._width}x{self._height}")

    def _restore(self, x: int, y: int, w: int, h: int) -> None:
        self._picture[y : y + h, x : x + w] = self._base[y : y + h, x : x + w]

    def frame(self, now_s: float) -> VideoFrameRef:
        for rect in self._dirty:
            self._restore(*rect)
        self._dirty.clear()
        picture = self._picture

        phase = (now_s % _SWEEP_PERIOD_S) / _SWEEP_PERIOD_S
        bar_x = int(phase * (self._width - self._bar_width))
        bar = (bar_x, 0, self._bar_width, self._height * 2 // 3)
        picture[bar[1] : bar[1] + bar[3], bar[0] : bar[0] + bar[2]] = 255
        self._dirty.append(bar)

        if now_s - math.floor(now_s) < _FLASH_S:
            x, y, w, h = self._flash_box
            picture[y : y + h, x : x + w] = 255
            self._dirty.append(self._flash_box)

        x, y, w, h = self._text_box
        picture[y : y + h, x : x + w] = 0
        self._dirty.append(self._text_box)
        frame_number = round(now_s * self._fps)
        whole_s = int(now_s)
        media_text = (
            f"{whole_s // 3600:02d}:{whole_s // 60 % 60:02d}:{whole_s % 60:02d}."
            f"{int((now_s - whole_s) * 1000):03d}  frame {frame_number:07d}"
        )
        wall_text = "wall " + datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
        line_height = h // 2
        for line, text in enumerate((media_text, wall_text)):
            cv2.putText(
                picture,
                text,
                (x + 12, y + line_height * (line + 1) - line_height // 4),
                cv2.FONT_HERSHEY_SIMPLEX,
                self._font_scale,
                (255, 255, 255),
                self._thickness,
                cv2.LINE_AA,
            )
        self._sequence += 1
        return VideoFrameRef(picture, self._source_id, self._sequence)
