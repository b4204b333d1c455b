"""Parts of the control room's frame: fitting the window to the screen, the two previews'
arrangement, and the notice shown over the picture.

- ``fitted_geometry``: the window's frame inside the screen's available area (the title bar and
  the status bar must stay on screen: the status bar is where messages go);
- ``PreviewPair``: program (and, in studio mode, staged) previews side by side or one above the
  other, whichever gives the bigger pictures in the space the docks leave;
- ``NoticeBanner``: the last few notices over the top of the program preview, where the
  operator is looking, for what must not go unseen (a failure, a key that had nothing to act
  on).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QMargins, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QSplitter, QWidget

from anchordesk.ui.preview import FramePreview

# What a window manager usually adds around a window before the window is shown (title bar and
# borders); the real margins replace this guess once the window is on screen.
DEFAULT_FRAME_MARGINS = QMargins(1, 30, 1, 1)


def fitted_geometry(available: QRect, wanted: QSize, frame: QMargins) -> QRect:
    """The client rectangle for a window of ``wanted`` size whose frame (client plus
    ``frame``) fits ``available``, centred there."""
    width = min(wanted.width(), available.width() - frame.left() - frame.right())
    height = min(wanted.height(), available.height() - frame.top() - frame.bottom())
    outer_width = width + frame.left() + frame.right()
    outer_height = height + frame.top() + frame.bottom()
    x = available.x() + (available.width() - outer_width) // 2 + frame.left()
    y = available.y() + (available.height() - outer_height) // 2 + frame.top()
    return QRect(x, y, max(1, width), max(1, height))


def side_by_side_is_bigger(size: QSize, aspect: float = 16 / 9) -> bool:
    """Two pictures of ``aspect`` in ``size``: are they bigger side by side than stacked?"""
    width, height = max(1, size.width()), max(1, size.height())
    beside = min(width / 2, height * aspect)
    stacked = min(width, height / 2 * aspect)
    return beside >= stacked


class PreviewPair(QSplitter):
    """The staged preview (studio mode) and the program preview, arranged for size."""

    def __init__(self, staged: FramePreview, program: FramePreview, parent: QWidget) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.staged = staged
        self.program = program
        self.addWidget(staged)
        self.addWidget(program)
        self.setChildrenCollapsible(False)
        for preview in (staged, program):
            preview.setMinimumSize(160, 90)
            preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, 90)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.arrange(event.size())
        super().resizeEvent(event)

    def arrange(self, size: QSize | None = None) -> None:
        size = size or self.size()
        wanted = (
            Qt.Orientation.Horizontal
            if not self.staged.isVisibleTo(self) or side_by_side_is_bigger(size)
            else Qt.Orientation.Vertical
        )
        if wanted != self.orientation():
            self.setOrientation(wanted)
        if self.staged.isVisibleTo(self):
            half = (size.width() if wanted == Qt.Orientation.Horizontal else size.height()) // 2
            self.setSizes([half, half])


class NoticeBanner(QLabel):
    """The last few notices over the program preview, newest at the bottom; each goes after
    ``SHOW_MS``, the oldest first when a fourth comes.

    One line at a time let a routine notice cover a fault within a second: a live show's feed
    failing was said 0.3 s before "Live on …" took its place, and nothing in the window showed it
    again (seen under Xvfb). A notice now stays its ``SHOW_MS`` whatever follows it."""

    SHOW_MS = 6000
    MAX_LINES = 3

    def __init__(self, parent: QWidget, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.setObjectName("notice_banner")
        self.setTextFormat(Qt.TextFormat.PlainText)  # messages quote comments and file names
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel { background: rgba(33, 33, 33, 225); color: #ffe082; border-radius: 6px;"
            " padding: 6px 12px; font-weight: bold; }"
        )
        self.clock = clock
        self.lines: list[tuple[str, float]] = []  # (text, when it was said), oldest first
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.expire)
        self.hide()
        parent.installEventFilter(self)  # the preview resized: the banner follows its width

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        resized = watched is self.parentWidget() and event.type() == QEvent.Type.Resize
        if resized and self.isVisible():
            self.place()
        return super().eventFilter(watched, event)

    def notify(self, text: str) -> None:
        now = self.clock()
        # The same notice again moves to the bottom instead of showing twice.
        self.lines = [line for line in self._current(now) if line[0] != text]
        self.lines.append((text, now))
        del self.lines[: -self.MAX_LINES]
        self._render(now)
        self.raise_()

    def newest(self) -> str:
        """The last notice said, while it shows ("" when none does)."""
        return self.lines[-1][0] if self.lines and self.isVisible() else ""

    def expire(self) -> None:
        """The timer: the notices shown ``SHOW_MS`` go."""
        now = self.clock()
        self.lines = self._current(now)
        self._render(now)

    def _current(self, now: float) -> list[tuple[str, float]]:
        return [line for line in self.lines if now - line[1] < self.SHOW_MS / 1000]

    def _render(self, now: float) -> None:
        if not self.lines:
            self.timer.stop()
            self.hide()
            return
        text = "\n".join(line for line, _ in self.lines)
        self.setText(text)
        self.setAccessibleName(self.lines[-1][0])
        self.place()
        self.show()
        left_s = self.SHOW_MS / 1000 - (now - self.lines[0][1])
        self.timer.start(max(1, round(left_s * 1000)))

    def place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        width = min(host.width() - 24, max(240, self.sizeHint().width()))
        self.setFixedWidth(max(1, width))
        height = self.heightForWidth(width)
        self.setFixedHeight(max(self.sizeHint().height(), height))
        self.move((host.width() - width) // 2, 12)
