"""Program preview: the composited picture as it goes out, pulled on a Qt timer.

The pipeline thread publishes its newest composited frame; the preview only *reads* it on a
timer (never a queued signal per frame, which would pile up in the event queue when the window is
busy) and skips the work when the frame number has not changed. The frame is shrunk to the
widget's size with OpenCV before it becomes a QImage, so the Qt thread never scales a full
1080p picture. Nothing here can hold up the pipeline.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

Frame = npt.NDArray[np.uint8]
FrameSource = Callable[[], tuple[int, Frame] | None]
"""Returns (frame number, BGR frame) of the newest composited frame, or None before the first."""


def fit_rect(source: QSize, target: QRect) -> QRect:
    """The largest rectangle of ``source``'s shape centred inside ``target``."""
    if source.width() <= 0 or source.height() <= 0:
        return QRect(target)
    scale = min(target.width() / source.width(), target.height() / source.height())
    width = max(1, int(source.width() * scale))
    height = max(1, int(source.height() * scale))
    return QRect(
        target.x() + (target.width() - width) // 2,
        target.y() + (target.height() - height) // 2,
        width,
        height,
    )


class FramePreview(QWidget):
    """Paints the newest frame of a :data:`FrameSource`, letterboxed, at most ``fps`` a second.

    ``frames_shown`` and :meth:`shown_fps` say how smooth the preview really is (benchmark).
    """

    def __init__(
        self, parent: QWidget | None = None, fps: int = 30, label: str = "", border: str = ""
    ) -> None:
        super().__init__(parent)
        self._source: FrameSource | None = None
        self._last_number = -1
        self._image: QImage | None = None
        self._image_bytes: Frame | None = None  # keeps the QImage's buffer alive
        self._canvas_size = QSize(16, 9)
        self._label = label
        self._border = QColor(border) if border else None
        self._shown_at: deque[float] = deque(maxlen=120)
        self.frames_shown = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(1000 / fps)))
        self._timer.timeout.connect(self.pull)

    def set_source(self, source: FrameSource | None) -> None:
        self._source = source
        self._last_number = -1
        if source is None:
            self._timer.stop()
            self._image = None
            self.update()
        else:
            self._timer.start()

    def set_label(self, label: str) -> None:
        self._label = label
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def hasHeightForWidth(self) -> bool:
        return False

    def pull(self) -> None:
        if self._source is None or not self.isVisible():
            return
        newest = self._source()
        if newest is None:
            return
        number, frame = newest
        if number == self._last_number:
            return
        self._last_number = number
        self.show_frame(frame)

    def show_frame(self, frame: Frame) -> None:
        height, width = frame.shape[:2]
        self._canvas_size = QSize(width, height)
        target = fit_rect(self._canvas_size, self.rect())
        if target.width() < width or target.height() < height:
            # Bilinear: 0.5 ms for 720p on this machine against 4 ms for INTER_AREA, and the
            # preview is shrunk less than 2:1 in a normal layout, where the two look alike.
            small: Frame = cv2.resize(  # type: ignore[assignment]
                frame, (target.width(), target.height()), interpolation=cv2.INTER_LINEAR
            )
        else:
            small = np.ascontiguousarray(frame)
        self._image_bytes = small
        self._image = QImage(
            small.data,
            small.shape[1],
            small.shape[0],
            int(small.strides[0]),
            QImage.Format.Format_BGR888,
        )
        self.frames_shown += 1
        self._shown_at.append(time.monotonic())
        self.update()

    def shown_fps(self) -> float:
        if len(self._shown_at) < 2:
            return 0.0
        span_s = self._shown_at[-1] - self._shown_at[0]
        return (len(self._shown_at) - 1) / span_s if span_s > 0 else 0.0

    def current_image(self) -> QImage | None:
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#111"))
        target = fit_rect(self._canvas_size, self.rect())
        if self._image is not None:
            painter.drawImage(target, self._image)
        else:
            painter.setPen(QColor("#888"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("No picture yet"))
        if self._border is not None:
            painter.setPen(QPen(self._border, 3))
            painter.drawRect(target.adjusted(1, 1, -2, -2))
        if self._label:
            # Above the picture when the frame leaves room: the preview must show the picture
            # as it goes out, overlays in its corners included. Else a tag as small as its text.
            metrics = painter.fontMetrics()
            height = metrics.height() + 6
            width = min(metrics.horizontalAdvance(self._label) + 12, target.width())
            top = target.y() - height - 2 if target.y() >= height + 2 else target.y() + 3
            box = QRect(target.x() + 3, top, width, height)
            if top < target.y():
                painter.setPen(self._border or QColor("white"))
            else:
                painter.fillRect(box, QColor(0, 0, 0, 160))
                painter.setPen(QColor("white"))
            painter.drawText(
                box.adjusted(6, 0, 0, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self._label,
            )
        painter.end()
