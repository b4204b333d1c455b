"""A still picture as a source (a "be right back" card, a product photo), and the slate shown
while the camera is unavailable."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from anchordesk.core.errors import UserError
from anchordesk.media.portaudio import library_noise_filtered
from anchordesk.media.sources.base import SourceState, SourceStatus, VideoFrameRef

_still_ids = itertools.count(1_000_000)

#: A still picture is kept at most this long on its longer side (the largest canvas is 4096):
#: a bigger one is decoded at 1/2, 1/4 or 1/8 of its size. A 16000x16000 PNG of 790 kB was
#: kept whole, 768 MB for the whole run (1.6 GB peak).
KEPT_SIDE_PX = 4096
#: Larger than this on a side is refused before it is decoded: decoding it whole (which
#: OpenCV does for every format but JPEG, even to reduce it) would take gigabytes.
LARGEST_SIDE_PX = 16384
_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4}
_REDUCED[8] = cv2.IMREAD_REDUCED_COLOR_8


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image's header alone (None when Qt cannot tell)."""
    from PySide6.QtCore import QBuffer, QByteArray
    from PySide6.QtGui import QImageReader

    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    size = QImageReader(buffer).size()
    return (size.width(), size.height()) if size.isValid() else None


def load_image_bgr(path: Path) -> npt.NDArray[np.uint8]:
    """Read an image file; a missing or unreadable file is the user's to fix (exit code 2)."""
    try:
        # imdecode over a byte buffer: cv2.imread cannot open non-ASCII paths on Windows.
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as error:
        raise UserError(f"{path}: cannot read the image ({error.strerror})") from None
    with library_noise_filtered(_DECODER_NOISE):
        image = _decoded(path, data)
    if image is None:
        raise UserError(f"{path}: not an image OpenCV can read")
    return np.ascontiguousarray(image, dtype=np.uint8)


#: What the image libraries print on their own, straight to descriptor 2, about a broken file
#: (a PNG cut short: "libpng error: PNG input buffer is incomplete"; OpenCV's "[ERROR:0@0.1]
#: global grfmt_tiff.cpp…" lines; Qt's "qt.imageformats.tiff: …"), before the one line that
#: says it in words. The blank lines between them go too.
_DECODER_NOISE = re.compile(
    rb"^(libpng (error|warning): .*|\[ ?(ERROR|WARN|INFO):\d+@[\d.]+\] .*|"
    rb"qt\.imageformats\.\w+: .*|Corrupt JPEG data: .*|Premature end of JPEG file|\s*)$"
)


def _decoded(path: Path, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.generic] | None:
    flags = cv2.IMREAD_COLOR
    size = image_size(data.tobytes())
    if size is not None:
        width, height = size
        if max(width, height) > LARGEST_SIDE_PX:
            raise UserError(
                f"{path}: the picture is {width}x{height}; a picture may be at most "
                f"{LARGEST_SIDE_PX}x{LARGEST_SIDE_PX} (scale it down first)"
            )
        factor = next(f for f in (1, 2, 4, 8) if max(width, height) <= KEPT_SIDE_PX * f)
        flags = _REDUCED[factor]
    return cv2.imdecode(data, flags)


def render_slate(width: int, height: int, title: str, subtitle: str) -> npt.NDArray[np.uint8]:
    """A dark card with two lines of centred text (ASCII: drawn with OpenCV's own font)."""
    picture = np.full((height, width, 3), (48, 32, 24), np.uint8)
    scale = min(width, height) / 720  # vertical canvases: fit the narrow side
    for text, font_scale, y in ((title, 1.6 * scale, 0.47), (subtitle, 0.9 * scale, 0.58)):
        thickness = max(1, round(2 * scale))
        (text_width, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        cv2.putText(
            picture,
            text,
            ((width - text_width) // 2, int(height * y)),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (235, 235, 235),
            thickness,
            cv2.LINE_AA,
        )
    return picture


class StillImageSource:
    def __init__(self, picture: npt.NDArray[np.uint8], name: str = "still image") -> None:
        self._frame = VideoFrameRef(picture, next(_still_ids), 1)
        self._name = name
        self._state = SourceState.STOPPED

    @classmethod
    def from_file(cls, path: Path) -> StillImageSource:
        return cls(load_image_bgr(path), name=path.name)

    @property
    def name(self) -> str:
        return self._name

    def start(self) -> None:
        self._state = SourceState.ACTIVE

    def stop(self) -> None:
        self._state = SourceState.STOPPED

    def status(self) -> SourceStatus:
        height, width = self._frame.bgr.shape[:2]
        return SourceStatus(self._name, self._state, f"{width}x{height}")

    def frame(self, now_s: float) -> VideoFrameRef:
        return self._frame


class SlateSource(StillImageSource):
    """The "camera unavailable" card."""

    def __init__(self, width: int = 1280, height: int = 720, detail: str = "") -> None:
        super().__init__(
            render_slate(width, height, "Camera unavailable", detail or "Retrying automatically"),
            name="slate",
        )
