"""Teleprompter: a window for a second screen with the current segment's script in large type.

The script scrolls at an adjustable speed (lines per minute feel is what talent asks for, so
the speed is in pixels per second at the chosen size), can be mirrored for a beam-splitter
glass, and the header shows the segment's remaining time (red once it over-runs) and the next
segment's title. The script is drawn with QPainter.drawText: show text is never markup.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QFont, QKeyEvent, QPainter, QPaintEvent, QTransform
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from anchordesk.show.timing import format_duration
from anchordesk.ui.state import ShowState

_TEXT_FLAGS = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


class ScriptView(QWidget):
    """Scrolling, optionally mirrored, large script text."""

    TICK_MS = 33

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.script = ""
        self.offset_px = 0.0
        self.speed_px_s = 40.0
        self.mirrored = False
        self.scrolling = True
        self.point_size = 40
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._timer = QTimer(self)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(lambda: self.advance(self.TICK_MS / 1000))

    def sizeHint(self) -> QSize:
        return QSize(900, 600)

    def set_script(self, script: str) -> None:
        if script != self.script:
            self.script = script
            self.offset_px = 0.0
            self.update()

    def showEvent(self, event: object) -> None:
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSize(self.point_size)
        return font

    def text_height(self) -> float:
        painter = QPainter(self)
        painter.setFont(self._font())
        bounds = painter.boundingRect(
            QRectF(0, 0, max(1, self.width() - 80), 1_000_000), _TEXT_FLAGS, self.script
        )
        painter.end()
        return bounds.height()

    def advance(self, elapsed_s: float) -> None:
        if not self.scrolling or not self.script:
            return
        # Stop once the last line reached the reading line (a third from the top).
        limit = max(0.0, self.text_height() - self.height() / 3)
        self.offset_px = min(limit, self.offset_px + self.speed_px_s * elapsed_s)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if self.mirrored:
            painter.setTransform(QTransform(-1, 0, 0, 1, self.width(), 0))
        painter.setFont(self._font())
        painter.setPen(QColor("white"))
        area = QRectF(40, self.height() / 3 - self.offset_px, self.width() - 80, 1_000_000)
        painter.drawText(area, _TEXT_FLAGS, self.script)
        painter.resetTransform()
        # The reading line.
        painter.fillRect(QRectF(0, self.height() / 3 - 2, 24, 4), QColor("#ff3355"))
        painter.end()


class TeleprompterWindow(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("teleprompter")
        self.view = ScriptView(self)
        self.remaining = QLabel(self)
        self.next_title = QLabel(self)
        self.segment_title = QLabel(self)
        for label in (self.remaining, self.next_title, self.segment_title):
            label.setTextFormat(Qt.TextFormat.PlainText)
        big = QFont(self.font())
        big.setPointSize(28)
        big.setBold(True)
        self.remaining.setFont(big)
        medium = QFont(self.font())
        medium.setPointSize(18)
        self.segment_title.setFont(medium)
        self.next_title.setFont(medium)
        self.speed = QSlider(Qt.Orientation.Horizontal, self)
        self.speed.setRange(0, 300)
        self.speed.setValue(int(self.view.speed_px_s))
        self.speed.valueChanged.connect(self._speed_changed)
        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(16, 120)
        self.size_slider.setValue(self.view.point_size)
        self.size_slider.valueChanged.connect(self._size_changed)
        self.mirror = QCheckBox(self)
        self.mirror.toggled.connect(self._mirror_changed)
        self.pause = QPushButton(self)
        self.pause.setCheckable(True)
        self.pause.toggled.connect(self._pause_toggled)
        self.restart = QPushButton(self)
        self.restart.clicked.connect(self._restart)
        self.speed_label = QLabel(self)
        self.size_label = QLabel(self)
        header = QHBoxLayout()
        header.addWidget(self.segment_title, 1)
        header.addWidget(self.remaining)
        controls = QHBoxLayout()
        controls.addWidget(self.speed_label)
        controls.addWidget(self.speed, 1)
        controls.addWidget(self.size_label)
        controls.addWidget(self.size_slider, 1)
        controls.addWidget(self.mirror)
        controls.addWidget(self.pause)
        controls.addWidget(self.restart)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.next_title)
        layout.addLayout(controls)
        self.setStyleSheet(
            "TeleprompterWindow, QLabel, QCheckBox { background: black; color: white; }"
        )
        self.resize(1000, 700)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Teleprompter"))
        self.speed_label.setText(self.tr("Speed"))
        self.size_label.setText(self.tr("Size"))
        self.mirror.setText(self.tr("Mirror"))
        self.pause.setText(self.tr("Pause"))
        self.restart.setText(self.tr("From the top"))
        self.speed.setAccessibleName(self.tr("Scroll speed"))
        self.size_slider.setAccessibleName(self.tr("Text size"))
        self.mirror.setAccessibleName(self.tr("Mirror the text"))
        self.pause.setAccessibleName(self.tr("Pause scrolling"))
        self.restart.setAccessibleName(self.tr("Scroll back to the top"))
        self.view.setAccessibleName(self.tr("Script"))

    def update_state(self, state: ShowState) -> None:
        current = state.current
        following = state.next
        if current is None:
            self.view.set_script("")
            self.segment_title.setText("")
            self.remaining.setText("")
        else:
            self.view.set_script(current.script)
            self.segment_title.setText(current.title)
            remaining_s = current.planned_s - current.elapsed_s
            self.remaining.setText(format_duration(remaining_s))
            self.remaining.setStyleSheet("color: #ff5252" if remaining_s < 0 else "color: white")
        self.next_title.setText(
            self.tr("Next: %1").replace("%1", following.title)
            if following
            else self.tr("Last segment")
        )

    def _speed_changed(self, value: int) -> None:
        self.view.speed_px_s = float(value)

    def _size_changed(self, value: int) -> None:
        self.view.point_size = value
        self.view.update()

    def _mirror_changed(self, on: bool) -> None:
        self.view.mirrored = on
        self.view.update()

    def _pause_toggled(self, paused: bool) -> None:
        self.view.scrolling = not paused

    def _restart(self) -> None:
        self.view.offset_px = 0.0
        self.view.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Talent's own keys on the prompter screen: arrows change the speed, space pauses.
        key = event.key()
        if key == Qt.Key.Key_Up:
            self.speed.setValue(self.speed.value() + 10)
        elif key == Qt.Key.Key_Down:
            self.speed.setValue(self.speed.value() - 10)
        elif key == Qt.Key.Key_Space:
            self.pause.toggle()
        elif key == Qt.Key.Key_Escape and self.isFullScreen():
            self.showNormal()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.hide()
        event.ignore()
